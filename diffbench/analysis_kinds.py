"""Jacobians, Hessians and k-th derivatives in the results table: their rows, best and
default-step errors, failures, and the slopes theory predicts for their error-vs-step curves
(rows of grid methods' grid form are left to :mod:`diffbench.analysis_kind_grids`).

A row's ``derivative_kind`` says what it differentiates (an empty cell, as in tables written
before the column existed by hand, counts as ``gradient``). Every gradient analysis
(:mod:`diffbench.analysis`) reads :func:`gradient_rows`; the functions here read one other kind.

One basis for both errors of a method: the problem's **first point**. The *best error* is the
smallest 3-step running median of the error over the swept relative steps there
(:func:`diffbench.analysis.best_on_curve`; exact and adaptive methods: their one measurement);
the *default-step error* is the measurement with ``step=None`` there. A default-step result
*fails* when it has no finite estimate or its error is above :data:`~diffbench.analysis.WRONG`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .analysis_base import WRONG, _median, best_attainable, first_points, label_table
from .analysis_kind_grids import point_form_rows
from .schema import DERIVATIVE_KINDS, Status

__all__ = [
    "KIND_TITLES",
    "derivative_kinds_of",
    "gradient_rows",
    "kind_rows",
    "kinds_present",
    "curve_rows",
    "kind_defaults",
    "kind_best",
    "kind_summary",
    "theory_slopes",
]

#: Section titles of the kinds (no gradient: its sections are the report's main part).
KIND_TITLES = {
    "jacobian": "Jacobians",
    "hessian": "Hessians",
    "derivative": "Higher derivatives",
}


def derivative_kinds_of(df: pd.DataFrame) -> pd.Series:
    """The ``derivative_kind`` of every row, missing values read as ``gradient``."""
    if "derivative_kind" not in df.columns:
        return pd.Series("gradient", index=df.index, dtype=object)
    return df["derivative_kind"].replace("", np.nan).fillna("gradient")


def gradient_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of gradient measurements (the whole table of a gradient-only run)."""
    return df[(derivative_kinds_of(df) == "gradient").to_numpy()]


def kind_rows(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows of one ``derivative_kind``; ``ValueError`` naming ``kind`` if it is not one."""
    if kind not in DERIVATIVE_KINDS:
        raise ValueError(f"`kind` must be one of {DERIVATIVE_KINDS}, got {kind!r}.")
    return df[(derivative_kinds_of(df) == kind).to_numpy()]


def kinds_present(df: pd.DataFrame) -> list[str]:
    """The kinds other than ``gradient`` the table has rows of, in
    :data:`~diffbench.schema.DERIVATIVE_KINDS` order."""
    present = set(derivative_kinds_of(df))
    return [k for k in DERIVATIVE_KINDS if k != "gradient" and k in present]


def curve_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Accuracy rows of a kind forming the error-vs-step curves: a step method's default-step
    row (no ``step_rel``) is left out, a method measured only without a step keeps its row."""
    rows = point_form_rows(rows)  # grid forms: error against grid size (analysis_kind_grids)
    stepped = (rows["kind"] == "step").to_numpy() & rows["step_rel"].isna().to_numpy()
    return rows[(rows["measure"] == "accuracy").to_numpy() & ~stepped]


def kind_defaults(rows: pd.DataFrame) -> pd.DataFrame:
    """Default-step (``step_rel`` missing) results of a kind at every point that ran.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, problem, point, status, rel_error, asymmetry, nfev, message, failed``
        (no finite estimate, or an error above :data:`~diffbench.analysis.WRONG`).
    """
    rows = point_form_rows(rows)
    ran = rows[(rows["status"] != Status.SKIPPED).to_numpy() & rows["step_rel"].isna().to_numpy()]
    cols = ["label", "problem", "point", "status", "rel_error", "asymmetry", "nfev", "message"]
    out = ran[cols].reset_index(drop=True)
    err = out["rel_error"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        out["failed"] = (out["status"] != Status.OK).to_numpy() | ~(err <= WRONG)
    return out


def kind_best(rows: pd.DataFrame, *, first_point: bool = False) -> pd.DataFrame:
    """Best attainable error per (label, problem) of a kind (worst over the points, or at the
    first point): :func:`diffbench.analysis.best_attainable` on :func:`curve_rows`."""
    if rows.empty:
        return best_attainable(rows, grid=False)
    return best_attainable(curve_rows(rows), grid=False, first_point=first_point)


def kind_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per method label, the rows of one kind summarised at each problem's first point.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, family, kind, order, problems`` (that ran), ``median_best_error``,
        ``median_default_error`` (a failed default-step result counts as infinite),
        ``max_asymmetry`` (Hessians; NaN otherwise), ``median_nfev`` (at the default step)
        and ``default_failures``; rows in label display order.
    """
    cols = ["label", "family", "kind", "order", "problems", "median_best_error",
            "median_default_error", "max_asymmetry", "median_nfev", "default_failures"]  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=cols)
    best = kind_best(rows, first_point=True)
    first = first_points(rows)
    dflt = kind_defaults(rows)
    dflt = dflt[dflt["point"] == dflt["problem"].map(first)]
    out = []
    for _, info in label_table(rows).iterrows():
        b = best[(best["label"] == info["label"]) & ~best["skipped"]]
        d = dflt[dflt["label"] == info["label"]]
        if b.empty and d.empty:
            continue
        errs = np.where(d["failed"], math.inf, d["rel_error"].to_numpy(dtype=float))
        asym = d["asymmetry"].to_numpy(dtype=float)
        out.append(
            {
                "label": info["label"],
                "family": info["family"],
                "kind": info["kind"],
                "order": info["order"],
                "problems": int(b["problem"].nunique()),
                "median_best_error": _median(np.where(b["failed"], math.inf, b["best_rel_error"])),
                "median_default_error": _median(errs),
                "max_asymmetry": float(np.nanmax(asym)) if np.isfinite(asym).any() else math.nan,
                "median_nfev": _median(d["nfev"].to_numpy(dtype=float, na_value=np.nan)),
                "default_failures": int(d["failed"].sum()),
            }
        )
    return pd.DataFrame(out, columns=cols)


def theory_slopes(kind: str, order: int | None, deriv: int | None = None) -> tuple[float, float]:
    """Slopes of log(error) against log(step) that theory predicts for a stencil.

    Truncation error ~ h^p for a stencil of accuracy order ``p``, whatever the derivative;
    rounding error ~ eps / h^k for the k-th derivative (k = 1 for a Jacobian, 2 for a Hessian,
    ``deriv`` for a derivative). Returns ``(p, -k)``; ``p`` is NaN without an order.

    Examples
    --------
    >>> theory_slopes("hessian", 2), theory_slopes("derivative", 4, 3)
    ((2.0, -2.0), (4.0, -3.0))
    """
    k = {"gradient": 1, "jacobian": 1, "hessian": 2}.get(kind)
    if k is None:
        if kind != "derivative" or deriv is None:
            raise ValueError(f"`kind` {kind!r} needs `deriv` (derivative) or is unknown.")
        k = int(deriv)
    p = math.nan if order is None or pd.isna(order) else float(order)
    return p, -float(k)
