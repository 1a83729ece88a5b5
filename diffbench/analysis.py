"""What a sweep measured, computed from the results table alone.

Every function here is a pure function of the tidy table of :func:`diffbench.sweep` /
:func:`diffbench.read_results` (or of plain arrays) returning a DataFrame, a dict or a number;
:mod:`diffbench.plots` and :mod:`diffbench.report` only draw and format what these return.
Nothing here looks a method up in the registry or parses a label: what a row's method is and can
do is in the row (``family``, ``kind``, ``black_box``, ``needs``, ``peer``, ``wraps``, ...), and
what was measured is in ``measure``, ``form`` and ``region``. Two declarations a row does not
carry are read from the method the row names, through :func:`diffbench.configs.method_from_row`:
the edge truncation order of a grid method (:func:`.analysis_kind_grids.region_theory_order`)
and, in the report, the default step rule of a step method
(:func:`diffbench.report_steps.default_step_rule`). A method not registered here (a table from
other code) gives None: that theory order is NaN and the default-rule sentence is left out.

This module holds the per-label summaries and re-exports the rest: curves on plain arrays
(:mod:`.analysis_curves`: :func:`best_on_curve`, :func:`convergence_order`, :func:`fit_order`,
:func:`pareto_front`, :func:`identical_curves`), the table per label and problem
(:mod:`.analysis_base`: best steps, best errors, default-step results) and hazards, error
estimates and peers (:mod:`.analysis_hazards`).

Definitions: errors are relative max-norm errors (:mod:`diffbench.metrics`). The *best error*
of a method at a point is the best score of :func:`best_on_curve` over the swept steps; the
*default-step error* is the error of the measurement at the method's default step
(``step=None``), made at each problem's first point (:func:`default_results`). Every column of
:func:`method_summary` that compares the two uses the same basis: the first point of each smooth
problem. *Smooth* problems are tagged ``smooth`` and not ``noisy``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .analysis_base import (
    WRONG,
    _median,
    _smooth_or_all,
    best_attainable,
    best_steps,
    default_results,
    display_label,
    family_rank,
    first_points,
    flag,
    label_table,
    smooth_problems,
    step_column,
)
from .analysis_curves import (
    EPS,
    FIT_POINTS,
    WINDOW_FLOOR,
    best_on_curve,
    convergence_order,
    fit_order,
    identical_curves,
    pareto_front,
)
from .analysis_hazards import MODES, estimate_calibration, hazard_findings, peer_comparison

__all__ = [
    "EPS",
    "WRONG",
    "WINDOW_FLOOR",
    "FIT_POINTS",
    "MODES",
    "family_rank",
    "label_table",
    "smooth_problems",
    "step_column",
    "first_points",
    "best_on_curve",
    "convergence_order",
    "fit_order",
    "pareto_front",
    "identical_curves",
    "best_steps",
    "best_attainable",
    "default_results",
    "display_label",
    "cost_summary",
    "method_summary",
    "headline_problems",
    "hazard_findings",
    "estimate_calibration",
    "peer_comparison",
]


# --------------------------------------------------------------------------------------------
# summaries per label
# --------------------------------------------------------------------------------------------
def _default_errors(d: pd.DataFrame) -> np.ndarray:
    """Errors of default-step results; a measurement without a finite estimate is infinite."""
    return np.where(d["status"] == "ok", d["rel_error"].to_numpy(dtype=float), np.inf)


def cost_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method label: cost and error at the default step, both from the same measurements.

    Every number comes from the default-step results (:func:`default_results`: the ``cost``
    rows, made with ``step=None`` at the first point of each problem), medians over the smooth
    problems (:func:`smooth_problems`; all problems if there are none): the error and the cost a
    user gets without tuning, on one basis.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, family, kind, order, median_default_error`` (a failure counts as
        infinite), ``nfev`` (median evaluations of f per gradient; 0: the method never calls
        f), ``nfev_per_coordinate``, ``time`` (median seconds per gradient), ``problems``;
        one row per label with a default-step result, in label display order.
    """
    smooth = _smooth_or_all(df)
    dflt = default_results(df)
    dflt = dflt[dflt["problem"].isin(smooth)]
    labels = label_table(df).set_index("label")
    out = []
    for label in labels.index:
        c = dflt[dflt["label"] == label]
        if c.empty:
            continue
        err = _default_errors(c)
        nfev = c["nfev"].astype(float).to_numpy()
        out.append(
            {
                "label": label,
                "family": labels.loc[label, "family"],
                "kind": labels.loc[label, "kind"],
                "order": labels.loc[label].get("order", math.nan),
                "median_default_error": _median(err),
                "nfev": _median(nfev),
                "nfev_per_coordinate": _median(nfev / c["dim"].astype(float).to_numpy()),
                "time": _median(c["time"]),
                "problems": len(c),
            }
        )
    cols = ["label", "family", "kind", "order", "median_default_error", "nfev"]
    return pd.DataFrame(out, columns=cols + ["nfev_per_coordinate", "time", "problems"])


def _summary_row(
    info: pd.Series,
    best: tuple[pd.DataFrame, pd.DataFrame],
    steps: pd.DataFrame,
    dflt: pd.DataFrame,
    smooth: list,
) -> dict[str, Any]:
    """One label's summary. ``best`` is (worst point, first point) of
    :func:`best_attainable`; every median over the smooth problems' first points."""
    worst, first = best
    bs = first[first["problem"].isin(smooth)]
    st = steps[steps["problem"].isin(smooth)]
    ds = dflt[dflt["problem"].isin(smooth)]
    stepped = info["kind"] in ("step", "grid")
    nfev = ds["nfev"].astype(float).to_numpy()
    return {
        "median_best_error": _median(np.where(bs["failed"], np.inf, bs["best_rel_error"])),
        "median_default_error": _median(_default_errors(ds)) if len(ds) else math.nan,
        "best_step": _median(st["best_step"]) if stepped else math.nan,
        "window_decades": _median(st["window_decades"]) if stepped else math.nan,
        "best_steps_at_largest": int(st["at_largest_step"].sum()) if stepped else 0,
        "best_steps_found": int(st["best_step"].notna().sum()) if stepped else 0,
        "nfev": _median(nfev),
        "nfev_per_coordinate": _median(nfev / ds["dim"].astype(float).to_numpy()),
        "time": _median(ds["time"]),
        "prepare_time": _median(ds["prepare_time"]) if "prepare_time" in ds else math.nan,
        "smooth_problems": int(bs["best_rel_error"].notna().sum()),
        "failures": int((worst["failed"] | (worst["best_rel_error"] > WRONG)).sum()),
        "default_failures": int(dflt["failed"].sum()) if len(dflt) else math.nan,
        "default_problems": len(dflt),
    }


_SUMMARY_COLUMNS = [
    "label",
    "method",
    "family",
    "kind",
    "median_best_error",
    "median_default_error",
    "best_step",
    "theoretical_step",
    "window_decades",
    "best_steps_at_largest",
    "best_steps_found",
    "nfev",
    "nfev_per_coordinate",
    "time",
    "prepare_time",
    "smooth_problems",
    "failures",
    "default_failures",
    "default_problems",
    "black_box",
    "needs",
    "peer",
    "wraps",
]


def headline_problems(df: pd.DataFrame) -> list[str]:
    """The smooth problems not tagged ``polynomial`` (all smooth ones if every one is): the basis
    of the report's headline advice. On a polynomial of degree <= p an order-p stencil is exact,
    so its best error there is rounding at the sweep's largest step, which says nothing about
    the step or the error on other functions.

    Examples
    --------
    >>> t = pd.DataFrame({"problem": ["quad", "wave", "spiky"],
    ...                   "tags": ["polynomial;smooth", "smooth", "singularity"]})
    >>> headline_problems(t)
    ['wave']
    """
    smooth = smooth_problems(df)
    tags = df.drop_duplicates("problem").set_index("problem")["tags"].fillna("")
    other = [p for p in smooth if "polynomial" not in str(tags.get(p, "")).split(";")]
    return other or smooth


def method_summary(df: pd.DataFrame, problems: list[str] | None = None) -> pd.DataFrame:
    """One row per method label: accuracy, step and cost figures over the smooth problems.

    Only labels measured in the point form (grid-form-only labels have their own rows in
    :func:`best_attainable`).

    Every median is over the smooth problems (:func:`smooth_problems`), one value per problem
    at its first point: the best error and the best step there, and the default-step error and
    cost there (the default-step measurements are made at the first point), so the columns
    compare like with like.

    Parameters
    ----------
    df : pandas.DataFrame
        Results table.
    problems : list of str, optional
        The problems the medians run over instead of the smooth ones (e.g.
        :func:`headline_problems`); the failure counts are over all problems either way.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, family, kind, black_box, needs, peer, wraps`` (from the
        table), ``median_best_error`` (best swept step), ``median_default_error`` (default
        step), ``best_step`` (measured optimal requested step, relative when the table has
        ``step_rel``), ``theoretical_step``, ``window_decades`` (safe-step window),
        ``best_steps_at_largest`` (of the ``best_steps_found`` problems, those whose best step
        is the largest swept step: see ``at_largest_step`` of :func:`best_steps`), ``nfev``
        (per gradient), ``nfev_per_coordinate``, ``time`` (seconds per gradient),
        ``prepare_time``, ``smooth_problems`` (count with a result); and over *all* problems:
        ``failures`` (at the best swept step, worst point: best error above :data:`WRONG` or
        no finite estimate), ``default_failures`` (at the default step, first point: error
        above :data:`WRONG` or no finite estimate) and ``default_problems`` (problems with a
        default-step measurement).
    """
    smooth = _smooth_or_all(df) if problems is None else list(problems)
    labels = label_table(df).set_index("label")
    labels = labels[labels.index.isin(set(df.loc[df["region"] == "point", "label"]))]
    worst = best_attainable(df, grid=False)
    worst = worst[~worst["skipped"].astype(bool)]
    first = best_attainable(df, grid=False, first_point=True)
    first = first[~first["skipped"].astype(bool)]
    steps = best_steps(df)
    steps = steps[steps["point"] == steps["problem"].map(first_points(df))]
    dflt = default_results(df)
    theo = df.drop_duplicates("label").set_index("label")["theoretical_step"]
    rows = []
    for label, info in labels.iterrows():
        rows.append(
            {
                "label": label,
                "method": info["method"],
                "family": info["family"],
                "kind": info["kind"],
                "theoretical_step": float(theo.get(label, math.nan)),
                "black_box": flag(info.get("black_box")),
                "needs": info.get("needs") or "",
                "peer": flag(info.get("peer")),
                "wraps": info.get("wraps") or "",
                **_summary_row(
                    info,
                    (worst[worst["label"] == label], first[first["label"] == label]),
                    steps[steps["label"] == label],
                    dflt[dflt["label"] == label],
                    smooth,
                ),
            }
        )
    return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)
