"""Error against step of a Jacobian, Hessian or k-th derivative problem, with theory slopes.

One panel per problem: a curve per step method over the swept relative steps at the problem's
first point, a horizontal line per method measured once (exact, adaptive: its error at its own
step), and dashed guides with the slopes theory predicts (:func:`diffbench.analysis_kinds.
theory_slopes`): ``h^p`` for a stencil of accuracy order p (whatever the derivative) on the
truncation side and ``h^-k`` for the k-th derivative on the rounding side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis import EPS
from ..analysis_kinds import curve_rows, kinds_present, theory_slopes
from ..schema import Status
from .style import DEFAULT_STYLE, Style, method_styles

__all__ = ["plot_kind_error_vs_step"]

#: Errors are drawn at least this large (an exact 0 would not show on a log axis).
_FLOOR = 1e-18


def _rows(df: pd.DataFrame, problem: str) -> pd.DataFrame:
    kinds = [k for k in kinds_present(df) if k != "gradient"]
    rows = df[(df["problem"] == problem) & (df["status"] != Status.SKIPPED)]
    rows = rows[rows["derivative_kind"].isin(kinds)] if "derivative_kind" in rows else rows[:0]
    if rows.empty:
        raise ValueError(
            f"`problem` {problem!r} has no Jacobian, Hessian or derivative rows in the table."
        )
    first = rows["point"].min()
    return curve_rows(rows[rows["point"] == first])


def _guide(ax: Any, x0: float, y0: float, slope: float, text: str) -> None:
    xs = np.array([x0 / 10**0.7, x0 * 10**0.7])
    ys = 3 * y0 * (xs / x0) ** slope
    ax.plot(xs, ys, color="k", lw=1.2, ls=(0, (4, 2)))
    ax.text(xs[1] if slope > 0 else xs[0], ys[1] if slope > 0 else ys[0], text, fontsize=8,
            ha="left" if slope > 0 else "right", va="center")  # fmt: skip


def _guides(ax: Any, curves: list[tuple[np.ndarray, np.ndarray, Any]], rounding: float) -> None:
    """A truncation guide per distinct order (at a curve of that order, right of its best step)
    and one rounding guide (left of the best step of the curve that goes lowest)."""
    done: set[float] = set()
    lowest = None
    for h, e, order in curves:
        ok = np.isfinite(h) & np.isfinite(e) & (e > _FLOOR)
        if ok.sum() < 4:
            continue
        hh, ee = h[ok], e[ok]
        ib = int(np.argmin(ee))
        if lowest is None or ee[ib] < lowest[1][lowest[2]]:
            lowest = (hh, ee, ib)
        p = theory_slopes("jacobian", order)[0]
        side = np.flatnonzero((hh > hh[ib] * 3) & (ee < 1e-1))
        if np.isfinite(p) and p not in done and side.size >= 2:
            j = side[len(side) // 2]
            _guide(ax, hh[j], ee[j], p, f" $h^{{{p:g}}}$")
            done.add(p)
    if lowest is not None:
        hh, ee, ib = lowest
        # the upper envelope within 3 decades below the best step (rounding makes curves jagged)
        side = np.flatnonzero((hh < hh[ib] / 10) & (hh > hh[ib] / 1e3))
        if side.size:
            j = side[int(np.argmax(ee[side]))]
            _guide(ax, hh[j], ee[j], rounding, f"$h^{{{rounding:g}}}$ ")


def plot_kind_error_vs_step(
    df: pd.DataFrame, problem: str, *, styles: Mapping[str, Style] | None = None
) -> Figure:
    """Relative error against relative step for one Jacobian, Hessian or derivative problem.

    Parameters
    ----------
    df : pandas.DataFrame
        Results table with rows of ``problem`` whose ``derivative_kind`` is not ``gradient``.
    problem : str
        A problem of :mod:`diffbench.battery_kinds` in the table.
    styles : mapping, optional
        Label -> :class:`~diffbench.figures.style.Style` (default :func:`method_styles`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = _rows(df, problem)
    styles = styles if styles is not None else method_styles(df)
    kind = str(rows["derivative_kind"].iloc[0])
    deriv = rows["deriv"].dropna()
    k = int(deriv.iloc[0]) if kind == "derivative" and len(deriv) else None
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    ax.set_xscale("log")
    ax.set_yscale("log")
    curves = []
    for label, g in rows.groupby("label", sort=False):
        st = styles.get(label, DEFAULT_STYLE)
        err = np.where(g["status"] == Status.OK, g["rel_error"].to_numpy(dtype=float), np.nan)
        err = np.maximum(err, _FLOOR)
        if g["step_rel"].notna().any():
            g2 = g.assign(_e=err).sort_values("step_rel")
            h = g2["step_rel"].to_numpy(dtype=float)
            ax.plot(h, g2["_e"], color=st.color, marker=st.marker, ms=3, ls=st.linestyle,
                    lw=1, label=label)  # fmt: skip
            curves.append((h, g2["_e"].to_numpy(dtype=float), g["order"].iloc[0]))
        elif np.isfinite(err).any():
            ax.axhline(float(np.nanmax(err)), color=st.color, ls=":", lw=1.5,
                       label=f"{label} (own step)")  # fmt: skip
    rounding = theory_slopes(kind, None, k)[1]
    _guides(ax, curves, rounding)
    ax.axhline(EPS, color="0.5", lw=0.8, ls=":")
    what = {"jacobian": "Jacobian", "hessian": "Hessian"}.get(kind, f"derivative of order {k}")
    ax.set_title(
        f"{problem}: {what}, relative error against relative step (first point)\n"
        f"dashed: theory slopes, h^p for a stencil of accuracy order p, h^{rounding:g} for "
        "rounding; dotted: methods without a step",
        fontsize=9,
    )
    ax.set_xlabel("relative step t (step passed: t * max(1, |x_i|))")
    ax.set_ylabel("relative error (max-norm over the entries)")
    ax.legend(fontsize=7, loc="best", ncols=2)
    return fig
