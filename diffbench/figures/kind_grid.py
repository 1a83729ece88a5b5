"""Error of grid methods' k-th derivatives and Hessians against grid size, with theory slopes.

The gradient grid figure (:func:`diffbench.figures.grid.plot_error_vs_grid`: interior solid,
edge dashed, the observed order fitted per curve in the legend) drawn from a kind problem's
grid-form rows, with a dashed guide ``N^-p`` per distinct order p theory gives (the rows'
``order``: 2 for ``numpy.gradient`` applied k times, ``acc`` for findiff), stopped at
:func:`guide_floor` (a hundredth of the smallest error drawn) so that the data set the y range.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis_curves import EPS
from ..analysis_kind_grids import grid_form_rows
from ..schema import Status
from .grid import plot_error_vs_grid
from .style import Style

__all__ = ["plot_kind_error_vs_grid", "guide_floor", "GUIDE_FLOOR"]


#: Theory guides stop this factor below the smallest error drawn.
GUIDE_FLOOR = 1e-2


def guide_floor(rows: pd.DataFrame) -> float:
    """Where the theory guides stop: :data:`GUIDE_FLOOR` times the smallest positive error of
    ``rows`` that succeeded (any region), and not below a hundredth of machine epsilon.

    Examples
    --------
    >>> f"{guide_floor(pd.DataFrame({'rel_error': [4e-9, 0.0, 3e-3], 'status': 'ok'})):.0e}"
    '4e-11'
    """
    e = rows.loc[rows["status"] == Status.OK, "rel_error"].to_numpy(dtype=float)
    e = e[np.isfinite(e) & (e > 0)]
    return max(GUIDE_FLOOR * float(e.min()) if e.size else EPS, GUIDE_FLOOR * EPS)


def plot_kind_error_vs_grid(
    df: pd.DataFrame, problem: str, *, styles: Mapping[str, Style] | None = None
) -> Figure:
    """Interior and edge error of the grid methods on one kind problem, against grid size.

    Parameters
    ----------
    df : pandas.DataFrame
        Results table with grid-form rows of ``problem`` (a derivative or Hessian problem).
    problem : str
        The problem.
    styles : mapping, optional
        Label -> :class:`~diffbench.figures.style.Style`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = grid_form_rows(df[df["problem"] == problem])
    if rows.empty:
        raise ValueError(f"`problem` {problem!r} has no grid-form rows in the table.")
    fig = plot_error_vs_grid(rows, problem, styles=styles)
    ax = fig.axes[0]
    interior = rows[(rows["region"] == "interior") & (rows["status"] == Status.OK)]
    n = interior["grid_size"].to_numpy(dtype=float)
    e = interior["rel_error"].to_numpy(dtype=float)
    ok = np.isfinite(e) & (e > 0)
    if ok.any():
        n0, e0 = float(np.min(n[ok])), float(np.max(e[ok]))
        floor = guide_floor(rows)
        for p in sorted({float(o) for o in pd.to_numeric(rows["order"]).dropna()}):
            # the guide stops at the floor (or the largest grid), so the data set the y range
            xs = np.array([n0, min(float(np.max(n[ok])), n0 * (3 * e0 / floor) ** (1 / p))])
            ys = 3 * e0 * (xs / n0) ** -p
            ax.plot(xs, ys, color="k", lw=1.0, ls=(0, (4, 2)))
            ax.text(xs[1], ys[1], f" $N^{{-{p:g}}}$", fontsize=8, va="center")
    kind = str(rows["derivative_kind"].iloc[0])
    deriv = pd.to_numeric(rows["deriv"], errors="coerce").dropna()
    what = f"derivative of order {int(deriv.iloc[0])}" if kind == "derivative" else "Hessian"
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    fig.suptitle(f"{title}\n{what}; dashed black: theory slopes N^-p (order p inside the grid)",
                 fontsize=9)  # fmt: skip
    return fig
