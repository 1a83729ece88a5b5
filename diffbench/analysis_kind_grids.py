"""Grid methods' k-th derivatives and Hessians in the results table: observed orders.

The grid-form rows of a kind (``form == "grid"``: a grid method on a sampled grid of a problem
of :mod:`diffbench.battery_kinds`, one row per grid size and region) form error-against-grid-size
curves, like gradient grids. :func:`kind_grid_orders` fits each curve's observed convergence
order with :func:`diffbench.analysis.fit_order` (the last grids before the rounding floor) next
to the order theory gives in the curve's region: inside the grid the row's ``order`` (2 for
``numpy.gradient`` applied k times, ``acc`` for findiff), at the edge what the method declares
(``edge_truncation_order(kind, deriv)`` of :class:`methods.grid_kinds.GridKinds`: findiff keeps
``acc``; ``numpy.gradient`` applied k times has ``max(edge_order - (k - 1), 0)``);
:func:`kind_grid_summary` takes the median over the problems of one theory order.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .analysis_base import _median, label_table
from .analysis_curves import fit_order
from .configs import method_from_row
from .schema import Status

__all__ = [
    "grid_form_rows",
    "point_form_rows",
    "region_theory_order",
    "kind_grid_orders",
    "kind_grid_summary",
]

#: The regions a grid-form row is scored over.
_REGIONS = ("interior", "edge")


def _is_grid(rows: pd.DataFrame) -> np.ndarray:
    if "form" in rows.columns:
        return (rows["form"] == "grid").to_numpy()
    return rows["grid_size"].notna().to_numpy()


def grid_form_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows measured in a grid method's grid form (``form == "grid"``)."""
    return rows[_is_grid(rows)]


def point_form_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows measured at a point (every row but :func:`grid_form_rows`)."""
    return rows[~_is_grid(rows)]


def region_theory_order(g: pd.DataFrame, region: str) -> float:
    """The order theory gives for the grid-form rows ``g`` of one label, problem and region.

    ``interior``: the rows' ``order``. ``edge``: what the method declares for the rows' kind
    and ``deriv`` (``edge_truncation_order``, read from the method the rows' ``method`` and
    ``settings`` name); NaN if it declares none or is not registered here.

    Examples
    --------
    >>> g = pd.DataFrame({"method": ["numpy-gradient"], "settings": ['{"edge_order": 1}'],
    ...                   "derivative_kind": ["derivative"], "deriv": [2], "order": [2]})
    >>> region_theory_order(g, "interior"), region_theory_order(g, "edge")
    (2.0, 0.0)
    """
    first = g.iloc[0]
    if region != "edge":
        return float(pd.to_numeric(pd.Series([first.get("order")]), errors="coerce").iloc[0])
    method = method_from_row(str(first.get("method")), first.get("settings") or "{}")
    declared = getattr(method, "edge_truncation_order", None)
    if declared is None:
        return math.nan
    kind = first.get("derivative_kind")
    kind = kind if isinstance(kind, str) and kind else "gradient"
    deriv = pd.to_numeric(pd.Series([first.get("deriv")]), errors="coerce").iloc[0]
    try:
        return float(declared(kind, int(deriv) if kind == "derivative" else 1))
    except (ValueError, TypeError, NotImplementedError):
        return math.nan


def kind_grid_orders(rows: pd.DataFrame) -> pd.DataFrame:
    """Observed convergence order of every (label, problem, region) grid curve of a kind.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows of one kind (:func:`diffbench.analysis_kinds.kind_rows`); rows not in grid form
        are ignored.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, problem, deriv, region, theory, observed, first, last, grids`` (the
        order theory gives, the fitted order, the smallest and largest grid size fitted on; NaN
        when fewer than :data:`~diffbench.analysis.FIT_POINTS` usable grids, and ``grids``
        the number of grid sizes with a finite error).

    Examples
    --------
    >>> n = [8, 16, 32, 64]
    >>> df = pd.DataFrame({"form": "grid", "label": "m", "problem": "p", "deriv": 2,
    ...                    "region": "interior", "order": 2, "grid_size": n, "status": "ok",
    ...                    "rel_error": [3.0 / k**2 for k in n]})
    >>> round(float(kind_grid_orders(df)["observed"].iloc[0]), 6)
    2.0
    """
    cols = ["label", "problem", "deriv", "region", "theory", "observed", "first", "last", "grids"]
    grid = grid_form_rows(rows)
    grid = grid[grid["region"].isin(_REGIONS).to_numpy() & grid["grid_size"].notna().to_numpy()]
    out = []
    for (label, problem, region), g in grid.groupby(["label", "problem", "region"], sort=False):
        theory = region_theory_order(g, region)
        ok = (g["status"] == Status.OK).to_numpy()
        n = g["grid_size"].to_numpy(dtype=float)[ok]
        e = g["rel_error"].to_numpy(dtype=float)[ok]
        p, first, last = fit_order(n, e)
        deriv = pd.to_numeric(g["deriv"], errors="coerce").iloc[0] if "deriv" in g else math.nan
        out.append([label, problem, deriv, region, float(theory), p, first, last,
                    int(np.isfinite(e).sum())])  # fmt: skip
    return pd.DataFrame(out, columns=cols)


def kind_grid_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per grid-form label, region and theory order, the median observed order over the
    problems of a kind.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, region, theory, median_observed, problems`` (with a fitted order),
        ``measured`` (problems with grid rows), ``median_best_error`` (the smallest error over
        the grid sizes, median over the problems) and ``derivs`` (the orders k of the row's
        problems when theory gives a label's region different orders for different k, so that
        it gets one row per theory order; else empty); labels in display order.
    """
    cols = ["label", "region", "theory", "median_observed", "problems", "measured",
            "median_best_error", "derivs"]  # fmt: skip
    orders = kind_grid_orders(rows)
    if orders.empty:
        return pd.DataFrame(columns=cols)
    grid = grid_form_rows(rows)
    ok = grid[(grid["status"] == Status.OK).to_numpy()]
    best = ok.groupby(["label", "problem", "region"])["rel_error"].min().to_dict()
    out = []
    for label in label_table(grid)["label"]:
        for region in _REGIONS:
            mine = orders[(orders["label"] == label) & (orders["region"] == region)]
            split = mine["theory"].nunique(dropna=False) > 1
            for _, o in mine.groupby(mine["theory"].fillna(-1.0), sort=False):
                fitted = o["observed"].to_numpy(dtype=float)
                b = [best[(label, p, region)] for p in o["problem"] if (label, p, region) in best]
                derivs = sorted({int(k) for k in o["deriv"].dropna()}) if split else []
                out.append([label, region, float(o["theory"].iloc[0]), _median(fitted),
                            int(np.isfinite(fitted).sum()), len(o), _median(b),
                            tuple(derivs)])  # fmt: skip
    return pd.DataFrame(out, columns=cols)
