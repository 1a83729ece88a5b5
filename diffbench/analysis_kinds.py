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
from .analysis_curves import EPS
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
    "kind_recommendations",
    "ADVICE",
    "ROUNDING_LEVEL",
    "GOOD_ERROR",
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
        ``max_asymmetry`` (Hessians; NaN otherwise), ``median_nfev`` (at the default step),
        ``default_failures`` and ``default_problems`` (the problems with a default-step result
        at their first point); rows in label display order.
    """
    cols = ["label", "family", "kind", "order", "problems", "median_best_error",
            "median_default_error", "max_asymmetry", "median_nfev", "default_failures",
            "default_problems"]  # fmt: skip
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
                "default_problems": int(d["problem"].nunique()),
            }
        )
    return pd.DataFrame(out, columns=cols)


#: The recommendations of :func:`kind_recommendations`, in the order a section lists them.
ADVICE = ("formula", "black-box", "robust", "cheapest")
#: A median default-step error at most this is "rounding level" (4 eps, 8.9e-16).
ROUNDING_LEVEL = 4 * EPS
#: A median default-step error at most this has "8+ correct digits".
GOOD_ERROR = 1e-8

_REC_COLUMNS = ["deriv", "advice", "rank", "label", "reference", "median_default_error",
                "median_nfev", "default_failures", "default_problems"]  # fmt: skip


def _default_table(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`kind_summary` of the labels with a finite median default-step error, with their
    ``black_box`` and ``reference`` and the share of their default-step results that fail."""
    s = kind_summary(rows)
    s = s[(s["default_problems"] > 0).to_numpy() & np.isfinite(s["median_default_error"])]
    info = label_table(rows).set_index("label")
    s = s.assign(
        black_box=s["label"].map(info["black_box"]).fillna(False).astype(bool),
        reference=s["label"].map(info["reference"]).fillna("") if "reference" in info else "",
        failure_rate=s["default_failures"] / s["default_problems"],
    )
    return s


def _ranked(s: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``s`` sorted by ``keys`` then label (a deterministic order for ties; NaN last)."""
    return s.sort_values([*keys, "label"], kind="mergesort", na_position="last")


def _choices(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(advice, its labels in rank order) for one set of a kind's rows."""
    if "black_box" not in rows.columns:  # a table written before the column: no basis
        return []
    s = _default_table(rows)
    if s.empty:
        return []
    accuracy = ["median_default_error", "failure_rate", "median_nfev"]
    formula = _ranked(s[~s["black_box"]], accuracy)
    if not formula.empty:  # rounding level, else within 2x of the best
        floor = max(float(formula["median_default_error"].iloc[0]) * 2, ROUNDING_LEVEL)
        formula = formula[formula["median_default_error"] <= floor]
    bb = s[s["black_box"]]
    accurate = _ranked(bb, accuracy).head(1)
    robust = _ranked(bb, ["failure_rate", "median_default_error", "median_nfev"]).head(1)
    if not accurate.empty and robust["failure_rate"].iloc[0] >= accurate["failure_rate"].iloc[0]:
        robust = robust.iloc[:0]  # the most accurate is already among the most robust
    good = bb[bb["median_default_error"] <= GOOD_ERROR]
    cheapest = _ranked(good, ["median_nfev", "median_default_error", "failure_rate"]).head(1)
    picks = zip(ADVICE, (formula, accurate, robust, cheapest), strict=True)
    return [(a, f) for a, f in picks if not f.empty]


def _pick_frame(rows: pd.DataFrame, deriv: object) -> pd.DataFrame:
    parts = [
        f.assign(advice=advice, rank=range(len(f)), deriv=deriv) for advice, f in _choices(rows)
    ]
    if not parts:
        return pd.DataFrame(columns=_REC_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[_REC_COLUMNS]
    return out.astype({"deriv": "Int64"})


def _first_picks(rec: pd.DataFrame) -> tuple:
    return tuple(rec[rec["rank"] == 0][["advice", "label"]].itertuples(index=False, name=None))


def kind_recommendations(rows: pd.DataFrame) -> pd.DataFrame:
    """Which method to use for one kind, from its default-step results (at each problem's
    first point, as in :func:`kind_summary`; a failure counts as an infinite error).

    The advice (:data:`ADVICE`) and how each is chosen, among the labels with a finite median
    default-step error (ties: fewer failing shares, fewer evaluations, then label):

    - ``formula``: the labels that are not black boxes (column ``black_box``: they need the
      formula, dual or complex numbers) at rounding level (:data:`ROUNDING_LEVEL`), else
      within 2x of the best, most accurate first;
    - ``black-box``: the black-box label with the smallest median default-step error;
    - ``robust``: the black-box label failing at its default step on the smallest share of
      its problems, if the ``black-box`` one fails on a larger share;
    - ``cheapest``: the black-box label with the fewest median evaluations among those with
      a median default-step error of at most :data:`GOOD_ERROR` (8+ correct digits).

    Parameters
    ----------
    rows : pandas.DataFrame
        The rows of one kind (:func:`kind_rows`).

    Returns
    -------
    pandas.DataFrame
        Columns ``deriv`` (NA: all the rows; k: only the k-th derivatives), ``advice``,
        ``rank`` (0 = first choice), ``label, reference, median_default_error, median_nfev,
        default_failures, default_problems``. The rows with ``deriv`` NA come first; rows
        per order k follow only for derivatives whose first choices differ between orders.
    """
    out = _pick_frame(rows, pd.NA).astype({"deriv": "Int64"})
    if rows.empty or "deriv" not in rows.columns:
        return out
    orders = sorted(int(k) for k in rows["deriv"].dropna().unique())
    if len(orders) < 2:
        return out
    per_k = [_pick_frame(rows[(rows["deriv"] == k).to_numpy()], k) for k in orders]
    if len({_first_picks(r) for r in per_k}) == 1:
        return out
    return pd.concat([out, *per_k], ignore_index=True)


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
