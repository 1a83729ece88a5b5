"""Figure 2: error of the grid methods against grid size, one figure per problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..analysis import EPS, convergence_order, label_table
from ..schema import Status
from .style import DEFAULT_STYLE, Style, edge_marks, method_styles

__all__ = ["plot_error_vs_grid"]

#: Region -> line style and whether the markers are filled.
_REGIONS = (("interior", "-", True), ("edge", "--", False))


def _grid_rows(df: pd.DataFrame, problem: str) -> pd.DataFrame:
    grid = df[
        (df["measure"] == "accuracy")
        & (df["problem"] == problem)
        & df["region"].isin([r for r, _, _ in _REGIONS])
        & df["grid_size"].notna()
    ]
    if grid.empty:
        raise ValueError(f"`problem` {problem!r} has no grid measurements in the table.")
    return grid


def _axes(fig: Figure, grid: pd.DataFrame, problem: str) -> Any:
    ax = fig.subplots()
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    dim = int(grid["dim"].iloc[0])
    domain = str(grid["point_values"].iloc[0]).removeprefix("grid ")
    fig.suptitle(
        f"{problem}: grid methods, error against grid size\n(uniform {dim}-D grid on {domain}; "
        "solid: interior nodes, dashed: boundary nodes)",
        fontsize=10,
    )
    sizes = sorted(int(n) for n in grid["grid_size"].unique())
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("grid points per axis N   (spacing h = domain width / (N - 1))")
    ax.set_ylabel("relative error (max-norm over the region)")
    ax.axhline(EPS, color="k", lw=0.8, ls=":")
    return ax


def _draw_curve(ax: Any, g: pd.DataFrame, st: Style, ls: str, fill: Any) -> tuple[float, bool]:
    """One region of one label; returns its fitted order and whether any measurement failed."""
    n = g["grid_size"].to_numpy(dtype=float)
    e = g["rel_error"].to_numpy(dtype=float)
    good = (g["status"] == Status.OK).to_numpy()
    ok = good & (e > 0)
    ax.plot(
        n, np.where(ok, e, np.nan), color=st.color, ls=ls, marker=st.marker, mfc=fill, ms=5, lw=1.4
    )
    edge_marks(ax, n, ~good, 1.0, "x", st.color, zorder=2)
    return convergence_order(n[ok], e[ok]), bool((~good).any())


def plot_error_vs_grid(
    df: pd.DataFrame, problem: str, *, styles: Mapping[str, Style] | None = None
) -> Figure:
    """Interior and edge error of grid methods against grid size, with fitted orders.

    Solid lines: interior nodes; dashed: boundary nodes. The legend gives the convergence order
    fitted by :func:`diffbench.analysis.convergence_order` over the asymptotic range.

    Returns
    -------
    matplotlib.figure.Figure
    """
    styles = dict(styles or method_styles(df))
    grid = _grid_rows(df, problem)
    fig = Figure(figsize=(9.5, 4.8), layout="constrained")
    ax = _axes(fig, grid, problem)
    handles, names = [], []
    any_fail = False
    for label in label_table(grid)["label"]:
        st = styles.get(label, DEFAULT_STYLE)
        for region, ls, filled in _REGIONS:
            g = grid[(grid["label"] == label) & (grid["region"] == region)].sort_values("grid_size")
            if g.empty:
                continue
            fill = st.color if filled else "white"
            p, failed = _draw_curve(ax, g, st, ls, fill)
            any_fail |= failed
            ptxt = f"order {p:.2f}" if np.isfinite(p) else "order n/a"
            handles.append(Line2D([], [], color=st.color, ls=ls, marker=st.marker, mfc=fill, ms=5))
            names.append(f"{label}, {region} ({ptxt})")
    handles.append(Line2D([], [], color="k", lw=0.8, ls=":"))
    names.append("machine epsilon")
    if any_fail:
        handles.append(Line2D([], [], ls="", marker="x", color="0.3"))
        names.append("NaN / error (at top)")
    ax.grid(True, which="major", color="0.92", lw=0.6)
    ax.legend(
        handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False
    )
    return fig
