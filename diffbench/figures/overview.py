"""Figure 3: heat map of the best attainable error, method x problem."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..analysis import best_attainable, display_label
from ..text import fmt_number

__all__ = ["plot_overview", "FAIL_STYLE", "NA_STYLE", "OVERVIEW_CMAP"]

#: Sequential, colour-blind-safe map of log10 error: light = accurate, dark = inaccurate.
OVERVIEW_CMAP = "cividis_r"
#: A cell where some point gave no finite estimate: black, cross-hatched, white text.
FAIL_STYLE = {"facecolor": "black", "hatch": "xx", "edgecolor": "0.45"}
#: A cell of a method not run (unavailable or not applicable): white, light diagonal hatching.
NA_STYLE = {"facecolor": "white", "hatch": "///", "edgecolor": "0.8"}


def _matrix(best: pd.DataFrame, problems: list[str], column: str) -> pd.DataFrame:
    """Rows (label, form) in the order of ``best``, columns the problems."""
    rows = list(dict.fromkeys(zip(best["label"], best["form"], strict=True)))
    mat = best.set_index(["label", "form", "problem"])[column].unstack("problem")
    return mat.reindex(index=pd.MultiIndex.from_tuples(rows), columns=problems)


def _cells(ax: Any, values: np.ndarray, failed: np.ndarray, skipped: np.ndarray, im: Any) -> None:
    """The text of every cell, and the fail / n/a patches."""
    nr, nc = values.shape
    for i in range(nr):
        for j in range(nc):
            v = values[i, j]
            if np.isfinite(v):
                r, g, b, _ = im.cmap(im.norm(max(v, 1e-300)))
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                text, color, style = fmt_number(v, 0), "white" if dark else "black", "normal"
            elif failed[i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, lw=0, **FAIL_STYLE))
                text, color, style = "fail", "white", "normal"
            elif skipped[i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, lw=0, **NA_STYLE))
                text, color, style = "n/a", "0.35", "italic"
            else:
                continue
            ax.text(j, i, text, ha="center", va="center", fontsize=6, color=color, style=style)


def plot_overview(df: pd.DataFrame) -> Figure:
    """Heat map of the best attainable relative error, method label x problem.

    Cells show the value (``0`` for an exact zero, coloured as the smallest error) on a
    sequential colour-blind-safe map (:data:`OVERVIEW_CMAP`: light is accurate, dark is not,
    log10 of the error from 1e-16 to 1 and above). "fail" (some point never gave a finite
    estimate) is a black cross-hatched cell; "n/a" (the method was not run: unavailable or not
    applicable) a white cell with light hatching; both named in the legend. Grid-form rows are
    marked ``[grid]``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    best = best_attainable(df)
    if best.empty:
        raise ValueError("the table has no accuracy measurements.")
    problems = list(dict.fromkeys(df["problem"]))
    values = _matrix(best, problems, "best_rel_error").to_numpy(dtype=float)
    failed = _matrix(best, problems, "failed").eq(True).to_numpy()
    skipped = _matrix(best, problems, "skipped").eq(True).to_numpy()
    rows = best.drop_duplicates(["label", "form"])
    shown = np.where(values == 0, 1e-17, values)  # a colour, clipped to the lowest: not a value
    norm = LogNorm(vmin=1e-16, vmax=1.0, clip=True)
    cmap = colormaps[OVERVIEW_CMAP].with_extremes(bad="white")
    nr, nc = values.shape
    fig = Figure(figsize=(2.6 + 0.62 * nc, 2.2 + 0.24 * nr), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(
        np.ma.masked_invalid(shown), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest"
    )
    _cells(ax, values, failed, skipped, im)
    fam = rows["family"].tolist()
    for i in range(1, nr):  # a line between families
        if fam[i] != fam[i - 1]:
            ax.axhline(i - 0.5, color="#D55E00", lw=1.2)
    names = [display_label(r.label, r.form) for r in rows.itertuples()]
    ax.set_xticks(range(nc), problems, rotation=50, ha="right", rotation_mode="anchor", fontsize=7)
    ax.set_yticks(range(nr), names, fontsize=7)
    ax.set_xticks(np.arange(nc + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(nr + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_title(
        "Best attainable relative error\n(best swept step per point, worst point;\n"
        "grid rows: best interior error over grid sizes)",
        fontsize=9,
    )
    fig.legend(
        [Patch(lw=0, **FAIL_STYLE), Patch(lw=0.5, **NA_STYLE)],
        ["fail: no finite estimate at some point", "n/a: not run (unavailable / not applicable)"],
        loc="outside lower center",
        ncols=2,
        fontsize=7,
        frameon=False,
    )
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("relative error (log scale; exact 0 has the colour of 1e-16)", fontsize=8)
    return fig
