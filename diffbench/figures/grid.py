"""Figure 2: error of the grid methods against grid size, one figure per problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..analysis import EPS, FIT_POINTS, fit_order, identical_curves, label_table
from ..schema import Status
from .style import DEFAULT_STYLE, Style, edge_marks, method_styles

__all__ = ["plot_error_vs_grid"]

#: Region -> line style and whether the markers are filled.
_REGIONS = (("interior", "-", True), ("edge", "--", False))
_STYLE_OF = {region: (ls, filled) for region, ls, filled in _REGIONS}


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


def _axes(fig: Figure, grid: pd.DataFrame, problem: str, merged: bool) -> Any:
    ax = fig.subplots()
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    dim = int(grid["dim"].iloc[0])
    domain = str(grid["point_values"].iloc[0]).removeprefix("grid ")
    fig.suptitle(
        f"{problem}: grid methods, error against grid size\n(uniform {dim}-D grid on {domain}; "
        "solid: interior nodes, dashed: boundary nodes)\n"
        f"orders fitted on the last {FIT_POINTS} grids before the rounding floor (N range in "
        "the legend)"
        + ("; identical curves (to 6 digits) drawn once, named a = b" if merged else ""),
        fontsize=9,
    )
    sizes = sorted(int(n) for n in grid["grid_size"].unique())
    ax.set_xticks(sizes, [str(n) for n in sizes], fontsize=7, rotation=45 if len(sizes) > 7 else 0)
    ax.minorticks_off()
    ax.set_xlabel("grid points per axis N\n(spacing h = domain width / (N - 1))")
    ax.set_ylabel("relative error (max-norm over the region)")
    ax.axhline(EPS, color="k", lw=0.8, ls=":")
    return ax


def _draw_curve(ax: Any, g: pd.DataFrame, st: Style, ls: str, fill: Any) -> tuple[str, bool]:
    """One region of one label; returns its fitted order as the legend says it, and whether any
    measurement failed."""
    n = g["grid_size"].to_numpy(dtype=float)
    e = g["rel_error"].to_numpy(dtype=float)
    good = (g["status"] == Status.OK).to_numpy()
    ok = good & (e > 0)
    ax.plot(
        n, np.where(ok, e, np.nan), color=st.color, ls=ls, marker=st.marker, mfc=fill, ms=5, lw=1.4
    )
    edge_marks(ax, n, ~good, 1.0, "x", st.color, zorder=2)
    p, first, last = fit_order(n[ok], e[ok])
    text = f"N {first:.0f}-{last:.0f}: order {p:.2f}" if np.isfinite(p) else "order n/a"
    return text, bool((~good).any())


def _curves(grid: pd.DataFrame) -> list[tuple[str, str, str, pd.DataFrame]]:
    """(label, region, legend name, rows) of every curve to draw; curves with identical errors
    in a region are drawn once, under the first label, named ``"a\n= b"``."""
    out = []
    for region, _, _ in _REGIONS:
        rows = {}
        for label in label_table(grid)["label"]:
            g = grid[(grid["label"] == label) & (grid["region"] == region)]
            if not g.empty:
                rows[label] = g.sort_values("grid_size")
        curves = {
            lab: (g["grid_size"].to_numpy(dtype=float), _errors(g)) for lab, g in rows.items()
        }
        for group in identical_curves(curves):
            out.append((group[0], region, "\n= ".join(group), rows[group[0]]))
    order = {lab: k for k, lab in enumerate(label_table(grid)["label"])}
    return sorted(out, key=lambda c: order[c[0]])


def _errors(g: pd.DataFrame) -> np.ndarray:
    ok = (g["status"] == Status.OK).to_numpy()
    return np.where(ok, g["rel_error"].to_numpy(dtype=float), np.nan)


def plot_error_vs_grid(
    df: pd.DataFrame, problem: str, *, styles: Mapping[str, Style] | None = None
) -> Figure:
    """Interior and edge error of grid methods against grid size, with fitted orders.

    Solid lines: interior nodes; dashed: boundary nodes. The legend gives the convergence order
    fitted by :func:`diffbench.analysis.fit_order` on the last grids before the rounding floor
    (the asymptotic part), and which grid sizes N those were. Curves with identical errors (e.g.
    ``numpy.gradient`` and ``findiff(acc=2)``, the same stencil) are drawn once, named together
    (``"a\n= b"``; equal to 6 significant digits, :func:`diffbench.analysis.identical_curves`),
    and the title says so.

    Returns
    -------
    matplotlib.figure.Figure
    """
    styles = dict(styles or method_styles(df))
    grid = _grid_rows(df, problem)
    fig = Figure(figsize=(10.5, 5.4), layout="constrained")
    curves = _curves(grid)
    ax = _axes(fig, grid, problem, any("\n= " in c[2] for c in curves))
    handles, names = [], []
    any_fail = False
    for label, region, name, g in curves:
        st = styles.get(label, DEFAULT_STYLE)
        ls, filled = _STYLE_OF[region]
        fill = st.color if filled else "white"
        ptxt, failed = _draw_curve(ax, g, st, ls, fill)
        any_fail |= failed
        handles.append(Line2D([], [], color=st.color, ls=ls, marker=st.marker, mfc=fill, ms=5))
        names.append(f"{name}, {region} ({ptxt})")
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
