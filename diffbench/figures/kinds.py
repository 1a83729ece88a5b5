"""Error against step of a Jacobian, Hessian or k-th derivative problem, with theory slopes.

The layout of the gradient figure (:func:`diffbench.figures.step.step_figure`): one column of
panels per point, one row per family group (finite differences; other step-swept families;
methods measured once per point), legends right of each row, curves with identical errors drawn
once and named together, the best step starred, machine epsilon dotted. A method measured once
(exact, adaptive, a grid method at its own spacing) is a marker at its own step, or in the
"no step" band. Dashed guides show the slopes theory predicts
(:func:`diffbench.analysis_kinds.theory_slopes`): ``h^p`` for a stencil of accuracy order p
(whatever the derivative) where truncation dominates and ``h^-k`` for the k-th derivative
(Jacobian: k = 1, Hessian: k = 2) where rounding does.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from ..analysis_kinds import curve_rows, kinds_present, theory_slopes
from ..schema import Status
from .step import step_figure
from .style import Style, method_styles

__all__ = ["plot_kind_error_vs_step"]


def _rows(df: pd.DataFrame, problem: str) -> pd.DataFrame:
    kinds = [k for k in kinds_present(df) if k != "gradient"]
    rows = df[(df["problem"] == problem) & (df["status"] != Status.SKIPPED)]
    rows = rows[rows["derivative_kind"].isin(kinds)] if "derivative_kind" in rows else rows[:0]
    rows = curve_rows(rows) if not rows.empty else rows
    if rows.empty:
        raise ValueError(
            f"`problem` {problem!r} has no Jacobian, Hessian or derivative rows in the table."
        )
    return rows


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
    rounding = theory_slopes(kind, None, k)[1]
    what = {"jacobian": "Jacobian", "hessian": "Hessian"}.get(kind, f"derivative of order {k}")
    tags = str(rows["tags"].iloc[0]).replace(";", ", ")
    title = f"{problem}: {what}, relative error against relative step   (tags: {tags})"
    return step_figure(rows, styles, relative=True, title=title, rounding=rounding)
