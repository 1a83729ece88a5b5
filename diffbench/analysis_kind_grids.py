"""Grid methods' k-th derivatives and Hessians in the results table: observed orders.

The grid-form rows of a kind (``form == "grid"``: a grid method on a sampled grid of a problem
of :mod:`diffbench.battery_kinds`, one row per grid size and region) form error-against-grid-size
curves, like gradient grids. :func:`kind_grid_orders` fits each curve's observed convergence
order with :func:`diffbench.analysis.fit_order` (the last grids before the rounding floor) next
to the order theory gives (the row's ``order``: 2 for ``numpy.gradient`` applied k times inside
the grid, ``acc`` for findiff); :func:`kind_grid_summary` takes the median over the problems.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .analysis_base import _median, label_table
from .analysis_curves import fit_order
from .schema import Status

__all__ = ["grid_form_rows", "point_form_rows", "kind_grid_orders", "kind_grid_summary"]

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
        ok = (g["status"] == Status.OK).to_numpy()
        n = g["grid_size"].to_numpy(dtype=float)[ok]
        e = g["rel_error"].to_numpy(dtype=float)[ok]
        p, first, last = fit_order(n, e)
        theory = pd.to_numeric(g["order"], errors="coerce").iloc[0]
        deriv = pd.to_numeric(g["deriv"], errors="coerce").iloc[0] if "deriv" in g else math.nan
        out.append([label, problem, deriv, region, float(theory), p, first, last,
                    int(np.isfinite(e).sum())])  # fmt: skip
    return pd.DataFrame(out, columns=cols)


def kind_grid_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per grid-form label and region, the median observed order over the problems of a kind.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, region, theory, median_observed, problems`` (with a fitted order),
        ``measured`` (problems with grid rows), ``median_best_error`` (the smallest error over
        the grid sizes, median over the problems); labels in display order.
    """
    cols = ["label", "region", "theory", "median_observed", "problems", "measured",
            "median_best_error"]  # fmt: skip
    orders = kind_grid_orders(rows)
    if orders.empty:
        return pd.DataFrame(columns=cols)
    grid = grid_form_rows(rows)
    ok = grid[(grid["status"] == Status.OK).to_numpy()]
    best = ok.groupby(["label", "problem", "region"])["rel_error"].min().to_dict()
    out = []
    for label in label_table(grid)["label"]:
        for region in _REGIONS:
            o = orders[(orders["label"] == label) & (orders["region"] == region)]
            if o.empty:
                continue
            fitted = o["observed"].to_numpy(dtype=float)
            b = [v for (lab, _, reg), v in best.items() if lab == label and reg == region]
            out.append([label, region, float(o["theory"].iloc[0]), _median(fitted),
                        int(np.isfinite(fitted).sum()), len(o), _median(b)])  # fmt: skip
    return pd.DataFrame(out, columns=cols)
