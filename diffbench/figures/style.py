"""How methods look in every figure: a colour per family, shades and markers per variant.

Colours come from the family's declared colormap (:attr:`methods.capabilities.Family.colormap`),
and families are listed in their declared display order; both are read from the ``family``
column of the table, so a method looks the same in every figure of a report.

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
from matplotlib import colormaps
from matplotlib.transforms import blended_transform_factory

from methods.capabilities import Family

from ..analysis import label_table

__all__ = [
    "Style",
    "DEFAULT_STYLE",
    "method_styles",
    "family_colormap",
    "figure_name",
    "edge_marks",
]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")
_LINESTYLES = ("-", "--", "-.", ":")
#: Colour of the "exact zero" markers.
ZERO_COLOR = "#2ca02c"


@dataclass(frozen=True)
class Style:
    """How one method label is drawn."""

    color: Any
    marker: str
    linestyle: str


#: The style of a label missing from a style mapping.
DEFAULT_STYLE = Style("0.5", "o", "-")


def family_colormap(family: str) -> str:
    """The colormap of a family (``Greys`` for a name that is not a declared family).

    Examples
    --------
    >>> family_colormap("complex-step"), family_colormap("unknown")
    ('Purples', 'Greys')
    """
    try:
        return Family(family).colormap
    except ValueError:
        return "Greys"


def method_styles(df: pd.DataFrame) -> dict[str, Style]:
    """A :class:`Style` per method label: family colormap, a shade per label, a marker and line
    style per method name within the family.

    Computed from every label in ``df``; pass the same mapping to every figure of a report.

    Returns
    -------
    dict
        Label -> :class:`Style`.
    """
    styles: dict[str, Style] = {}
    for family, group in label_table(df).groupby("family", sort=False):
        cmap = colormaps[family_colormap(family)]
        n = len(group)
        shades = np.linspace(0.95, 0.5, n) if n > 1 else [0.8]
        names = list(dict.fromkeys(group["method"]))
        for shade, (_, row) in zip(shades, group.iterrows(), strict=True):
            k = names.index(row["method"])
            styles[row["label"]] = Style(
                color=cmap(float(shade)),
                marker=_MARKERS[k % len(_MARKERS)],
                linestyle=_LINESTYLES[k % len(_LINESTYLES)],
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
