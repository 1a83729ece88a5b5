"""Step rules measured: the default step each rule chose, against the best swept step.

Pure functions of the results table (:func:`diffbench.sweep` / :func:`diffbench.read_results`).
The sweep measures every configuration that takes a ``step_rule`` (the finite differences) at the
default step chosen by each rule, at the first point of every problem (``step-rule`` rows,
:func:`diffbench.plan.plan_step_rules`); the same configuration's swept rows give the best error
over the swept steps at the same point (:func:`diffbench.analysis.best_steps`).

Definitions:

* a rule's *error* at a point is the relative error of the gradient at the step it chose; a
  measurement without a finite estimate counts as an infinite error (in the median and worst);
* *extra evaluations* (``nfev_extra``): the rule's ``nfev`` minus that of the unit-scale rule
  ``relative`` at the same point (the stencil's);
* *within 10x of the best swept step*: the error is at most ``max(10 x best, 4 eps)`` with
  ``best`` the best error over the swept steps (:func:`diffbench.analysis.best_on_curve`, the
  level of the safe-step window); a point whose swept steps all failed counts as within when the
  rule gives a finite estimate;
* a *failure* is what it is everywhere in the report: no finite estimate, or an error above
  :data:`~diffbench.analysis.WRONG`;
* *more than 10x worse than the lowest order*: at the same point, the error of order ``p`` is
  above ``10 x max(e_low, 1e-13)``, with ``e_low`` the error of the same scheme's lowest order
  measured (central 2, forward/backward 1) under the same rule (a non-finite error where
  ``e_low`` is finite counts as worse; errors below :data:`EQUAL_BELOW` count as equal). The
  criterion by which ``guarded`` is the default (docs/theory.md#the-guarded-default, the
  README's "Choosing default steps", ``benchmarks/step_rules.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .analysis_base import WRONG, best_steps, label_table
from .analysis_curves import WINDOW_FLOOR
from .schema import Status

__all__ = [
    "RULE_MEASURE",
    "EQUAL_BELOW",
    "step_rule_rows",
    "step_rule_points",
    "step_rule_summary",
]

#: The ``measure`` of the rows a step rule's default step gave.
RULE_MEASURE = "step-rule"

#: Errors below this count as equal in the "10x worse than the lowest order" test: an exact 0 of
#: the lowest order (central(2) on a quadratic) cannot be matched by a stencil whose weights
#: round (``FLOOR`` of ``benchmarks/step_rules.py``).
EQUAL_BELOW = 1e-13

_SUMMARY_COLUMNS = [
    "label",
    "method",
    "order",
    "step_rule",
    "points",
    "failures",
    "median_error",
    "worst_error",
    "median_nfev",
    "median_extra",
    "within",
    "compared",
    "median_best",
    "worse_than_lowest",
    "lowest_compared",
]


def step_rule_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of a step rule's default step that ran (empty if the table has none)."""
    if "step_rule" not in df.columns:
        return df.iloc[0:0]
    rows = df[(df["measure"] == RULE_MEASURE) & (df["status"] != Status.SKIPPED)]
    return rows[rows["step_rule"].fillna("") != ""]


def step_rule_points(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (label, rule, problem, point): the rule's error and cost next to the best
    swept step's error at that point.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, order, step_rule, problem, point, status, error`` (infinite
        unless ``ok``), ``step_used, nfev, nfev_extra, best`` (the best error over the swept
        steps, NaN if no swept step gave a finite estimate), ``swept`` (whether the point was
        swept), ``within`` (see the module's definitions; False where not swept),
        ``lowest`` (the error of the same scheme's lowest order under the same rule at the same
        point; NaN for the lowest order itself and where it was not measured) and
        ``worse_than_lowest`` (more than 10x worse than ``lowest``, see the module's
        definitions; False where ``lowest`` is NaN).
    """
    rows = step_rule_rows(df)
    cols = ["label", "method", "order", "step_rule", "problem", "point", "status"]
    out = rows[[*cols, "rel_error", "step_used", "nfev", "nfev_extra"]].copy()
    ok = (out["status"] == Status.OK).to_numpy()
    out["error"] = np.where(ok, out["rel_error"].to_numpy(dtype=float), math.inf)
    out = out.drop(columns="rel_error")
    best = best_steps(df)[["label", "problem", "point", "best_rel_error"]]
    best = best.rename(columns={"best_rel_error": "best"})
    out["point"] = out["point"].astype(int)
    out = out.merge(best, on=["label", "problem", "point"], how="left", indicator=True)
    out["swept"] = (out.pop("_merge") == "both").to_numpy()
    b = out["best"].to_numpy(dtype=float)
    level = np.maximum(10.0 * np.nan_to_num(b, nan=np.inf), WINDOW_FLOOR)
    finite = np.isfinite(out["error"].to_numpy(dtype=float))
    out["within"] = out["swept"].to_numpy() & finite & (out["error"].to_numpy() <= level)
    return _against_lowest(out).reset_index(drop=True)


def _against_lowest(out: pd.DataFrame) -> pd.DataFrame:
    """Add ``lowest`` and ``worse_than_lowest`` (module definitions) to the points."""
    order = pd.to_numeric(out["order"], errors="coerce")
    keys = ["method", "step_rule", "problem", "point"]
    low_order = order.groupby([out[k] for k in keys]).transform("min")
    is_low = (order == low_order).to_numpy()
    low = out.loc[is_low, [*keys, "error"]].drop_duplicates(keys)
    merged = out[keys].merge(low.rename(columns={"error": "lowest"}), on=keys, how="left")
    lowest = merged["lowest"].to_numpy(dtype=float, copy=True)
    lowest[is_low] = np.nan
    err = out["error"].to_numpy(dtype=float)
    ref = np.isfinite(lowest)
    bound = 10.0 * np.maximum(np.where(ref, lowest, 0.0), EQUAL_BELOW)
    out["lowest"] = lowest
    out["worse_than_lowest"] = ref & (~np.isfinite(err) | (err > bound))
    return out


def _median(values: pd.Series) -> float:
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    arr = arr[~np.isnan(arr)]
    return float(np.median(arr)) if arr.size else math.nan


def step_rule_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per configuration and rule: error, cost and robustness over the points measured.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, order, step_rule, points, failures`` (no finite estimate or
        an error above :data:`~diffbench.analysis.WRONG`),
        ``median_error, worst_error`` (over the points, failures infinite), ``median_nfev,
        median_extra`` (evaluations per gradient: all of them, and beyond the stencil),
        ``within`` (points within 10x of the best swept step) of ``compared`` (points with swept
        steps) and ``median_best`` (the median best swept error of those points); labels in
        display order (:func:`diffbench.analysis.label_table`), rules in the order measured.

    Examples
    --------
    >>> step_rule_summary(pd.DataFrame(columns=["label", "measure", "status"])).empty
    True
    """
    pts = step_rule_points(df) if "step_rule" in df.columns else pd.DataFrame()
    if pts.empty:
        return pd.DataFrame(columns=_SUMMARY_COLUMNS)
    labels = [lab for lab in label_table(df)["label"] if lab in set(pts["label"])]
    rules = list(dict.fromkeys(pts["step_rule"]))
    out = []
    for label in labels:
        for rule in rules:
            g = pts[(pts["label"] == label) & (pts["step_rule"] == rule)]
            if g.empty:
                continue
            errors = g["error"].to_numpy(dtype=float)
            swept = g[g["swept"]]
            out.append(
                {
                    "label": label,
                    "method": g["method"].iloc[0],
                    "order": g["order"].iloc[0],
                    "step_rule": rule,
                    "points": len(g),
                    "failures": int((~(errors <= WRONG)).sum()),
                    "median_error": float(np.median(errors)),
                    "worst_error": float(np.max(errors)),
                    "median_nfev": _median(g["nfev"]),
                    "median_extra": _median(g["nfev_extra"]),
                    "within": int(swept["within"].sum()),
                    "compared": len(swept),
                    "median_best": _median(swept["best"]),
                    "worse_than_lowest": int(g["worse_than_lowest"].sum()),
                    "lowest_compared": int(np.isfinite(g["lowest"].to_numpy(dtype=float)).sum()),
                }
            )
    return pd.DataFrame(out, columns=_SUMMARY_COLUMNS)
