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
from matplotlib.colors import to_hex, to_rgb
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

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

#: Markers of methods; no star: a star marks the best step in the step figures.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h", "<", ">", "p", "d")
#: How much white is mixed into a colour when a colour's markers are all taken (0: the colour).
_TINTS = (0.0, 0.45, 0.7)
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
    and line style by method name. Every label gets its own (colour, marker) pair: a label whose
    pair is taken (a variant of one method with the same order, or another method without an
    order) gets the next free marker of its colour, then a lighter tint of its colour.

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
    taken: set[tuple[str, str]] = set()
    for (_, row), order in zip(labels.iterrows(), orders, strict=True):
        k = names.index(row["method"])
        color, marker = _free_pair(order_color(None if order is pd.NA else order), k, taken)
        taken.add((color, marker))
        styles[row["label"]] = Style(
            color=color,
            marker=marker,
            linestyle=_LINESTYLES[(k // len(_MARKERS) + k) % len(_LINESTYLES)],
        )
    return styles


def _tint(color: str, white: float) -> str:
    """``color`` with a share ``white`` of white mixed in.

    Examples
    --------
    >>> _tint("#555555", 0.0), _tint("#000000", 0.5)
    ('#555555', '#808080')
    """
    if not white:
        return color
    return to_hex([c + (1.0 - c) * white for c in to_rgb(color)])


def _free_pair(color: str, k: int, taken: set[tuple[str, str]]) -> tuple[str, str]:
    """The first (colour, marker) not in ``taken``: the method's marker (the ``k``-th) or the
    next free one in the colour, then in lighter tints of it; the method's own pair if all are
    taken.

    Examples
    --------
    >>> _free_pair("#555555", 0, set())
    ('#555555', 'o')
    >>> _free_pair("#555555", 0, {("#555555", "o")})
    ('#555555', 's')
    """
    for white in _TINTS:
        tinted = _tint(color, white)
        for i in range(len(_MARKERS)):
            marker = _MARKERS[(k + i) % len(_MARKERS)]
            if (tinted, marker) not in taken:
                return tinted, marker
    return color, _MARKERS[k % len(_MARKERS)]


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
    drop: float = 0.0,
    **kw: Any,
) -> None:
    """Markers on the bottom (``y=0``) or top (``y=1``) edge of the axes, at data ``x``,
    ``drop`` points below it (other keywords go to ``ax.plot``)."""
    if mask.any():
        tr = blended_transform_factory(ax.transData, ax.transAxes)
        if drop:
            tr = tr + ScaledTranslation(0.0, -drop / 72, ax.figure.dpi_scale_trans)
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
