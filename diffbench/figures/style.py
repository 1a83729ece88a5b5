"""How methods look in every figure: colour encodes the accuracy order, marker and line style the
method (the differencing scheme), so 17 finite differences stay apart and nobody needs to tell
shades of one hue apart.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies),
one per accuracy order (the table's ``order`` column); a method without an order is dark grey.
Markers and line styles go through the method names (``method`` column) in label display order.
Both are assigned from the whole table, so a method looks the same in every figure of a report.

Conventions shared by the figures: a zero error cannot sit on a log axis, so it is a marker on
the bottom edge ("exact zero"), never padded with ``+1e-16``; a NaN estimate or a raised error
is a marker on the top edge ("NaN / error").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.transforms import blended_transform_factory

from ..analysis import label_table

__all__ = [
    "Style",
    "DEFAULT_STYLE",
    "method_styles",
    "order_color",
    "ORDER_COLORS",
    "figure_name",
    "edge_marks",
]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")
_LINESTYLES = ("-", "--", "-.", ":")
#: Okabe-Ito colours, one per accuracy order 1, 2, ..., 8 (then again).
ORDER_COLORS = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#8C6D1F",  # dark yellow (Okabe-Ito yellow darkened to read on white)
    "#000000",  # black
)
#: Colour of a method without an accuracy order (exact, most adaptive methods).
NO_ORDER_COLOR = "#555555"
#: Colour of the "exact zero" markers.
ZERO_COLOR = "#009E73"


@dataclass(frozen=True)
class Style:
    """How one method label is drawn."""

    color: Any
    marker: str
    linestyle: str


#: The style of a label missing from a style mapping.
DEFAULT_STYLE = Style("0.5", "o", "-")


def order_color(order: Any) -> str:
    """The colour of an accuracy order (:data:`ORDER_COLORS`); :data:`NO_ORDER_COLOR` without one.

    Examples
    --------
    >>> order_color(2), order_color(None), order_color(float("nan"))
    ('#0072B2', '#555555', '#555555')
    """
    try:
        k = int(order)
    except (TypeError, ValueError):
        return NO_ORDER_COLOR
    return ORDER_COLORS[(k - 1) % len(ORDER_COLORS)] if k >= 1 else NO_ORDER_COLOR


def method_styles(df: pd.DataFrame) -> dict[str, Style]:
    """A :class:`Style` per method label: colour by accuracy order (:func:`order_color`), marker
    and line style by method name (variants of one method with the same order: another marker).

    Computed from every label in ``df``; pass the same mapping to every figure of a report.

    Returns
    -------
    dict
        Label -> :class:`Style`.
    """
    labels = label_table(df)
    names = list(dict.fromkeys(labels["method"]))
    orders = labels["order"] if "order" in labels.columns else pd.Series(None, index=labels.index)
    styles: dict[str, Style] = {}
    seen: dict[tuple[str, str], int] = {}
    for (_, row), order in zip(labels.iterrows(), orders, strict=True):
        k = names.index(row["method"])
        color = order_color(None if order is pd.NA else order)
        # variants of one method with the same order (same colour) get another marker
        j = seen[row["method"], color] = seen.get((row["method"], color), -1) + 1
        styles[row["label"]] = Style(
            color=color,
            marker=_MARKERS[(k + 5 * j) % len(_MARKERS)],
            linestyle=_LINESTYLES[(k // len(_MARKERS) + k) % len(_LINESTYLES)],
        )
    return styles


def figure_name(problem: str) -> str:
    """A file-name-safe form of a problem name.

    Examples
    --------
    >>> figure_name("tan-pi/2")
    'tan-pi_2'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", problem)


def edge_marks(
    ax: Any,
    x: np.ndarray,
    mask: np.ndarray,
    y: float,
    marker: str,
    color: Any,
    *,
    zorder: float = 6,
    **kw: Any,
) -> None:
    """Markers on the bottom (``y=0``) or top (``y=1``) edge of the axes, at data ``x`` (other
    keywords go to ``ax.plot``)."""
    if mask.any():
        tr = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(
            x[mask],
            np.full(int(mask.sum()), y),
            transform=tr,
            ls="",
            marker=marker,
            color=color,
            clip_on=False,
            zorder=zorder,
            **kw,
        )
