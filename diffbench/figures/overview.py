"""Figure 3: heat map of the best attainable error, method x problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..analysis import best_attainable, display_label
from ..text import fmt_number

__all__ = ["plot_overview"]


def _cell_text(value: float, failed: bool, skipped: bool) -> str:
    if np.isfinite(value):
        return fmt_number(value, 0)
    return "fail" if failed else "n/a" if skipped else ""


def _matrix(best: pd.DataFrame, problems: list[str], column: str) -> pd.DataFrame:
    """Rows (label, form) in the order of ``best``, columns the problems."""
    rows = list(dict.fromkeys(zip(best["label"], best["form"], strict=True)))
    mat = best.set_index(["label", "form", "problem"])[column].unstack("problem")
    return mat.reindex(index=pd.MultiIndex.from_tuples(rows), columns=problems)


def plot_overview(df: pd.DataFrame) -> Figure:
    """Heat map of the best attainable relative error, method label x problem.

    Cells show the value (``0`` for an exact zero); "fail" where some point never gave a finite
    estimate, "n/a" where the method was not run (unavailable or not applicable). Colour is
    log10 of the error, from 1e-16 (green) to 1 and above (red). Grid-form rows are marked
    ``[grid]``.

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
    shown = np.where(values == 0, 1e-17, values)
    norm = LogNorm(vmin=1e-16, vmax=1.0, clip=True)
    cmap = colormaps["RdYlGn_r"].with_extremes(bad="0.85")
    nr, nc = values.shape
    fig = Figure(figsize=(2.6 + 0.62 * nc, 1.8 + 0.24 * nr), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(
        np.ma.masked_invalid(shown), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest"
    )
    for i in range(nr):
        for j in range(nc):
            text = _cell_text(values[i, j], failed[i, j], skipped[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=6)
    fam = rows["family"].tolist()
    for i in range(1, nr):  # a line between families
        if fam[i] != fam[i - 1]:
            ax.axhline(i - 0.5, color="k", lw=1.2)
    names = [display_label(r.label, r.form) for r in rows.itertuples()]
    ax.set_xticks(range(nc), problems, rotation=50, ha="right", rotation_mode="anchor", fontsize=7)
    ax.set_yticks(range(nr), names, fontsize=7)
    ax.set_xticks(np.arange(nc + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(nr + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_title(
        "Best attainable relative error (best step per point, worst point; "
        "grid rows: best interior error over grid sizes)",
        fontsize=9,
    )
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("relative error (log scale; 0 drawn as 1e-16)", fontsize=8)
    return fig
