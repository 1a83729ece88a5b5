"""What a sweep measured, computed from the results table alone.

Every function here is a pure function of the tidy table of :func:`diffbench.sweep` /
:func:`diffbench.read_results` (or of plain arrays) returning a DataFrame, a dict or a number;
:mod:`diffbench.plots` and :mod:`diffbench.report` only draw and format what these return.
Nothing here looks a method up in the registry or parses a label: what a row's method is and can
do is in the row (``family``, ``kind``, ``black_box``, ``needs``, ``peer``, ``wraps``, ...), and
what was measured is in ``measure``, ``form`` and ``region``.

The curve-level functions (:func:`best_on_curve`, :func:`convergence_order`,
:func:`pareto_front`) take plain arrays, so they serve callers without a table too.

Definitions: errors are relative max-norm errors (:mod:`diffbench.metrics`). The *best error*
of a method on a problem is, at each point, the best score of :func:`best_on_curve` over the
step range, then the worst of the problem's points. *Smooth* problems are tagged ``smooth`` and
not ``noisy``; medians over a method's results use them.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from methods.capabilities import Family

from .schema import Status
from .text import fmt_number

__all__ = [
    "EPS",
    "WRONG",
    "MODES",
    "family_rank",
    "label_table",
    "smooth_problems",
    "best_on_curve",
    "convergence_order",
    "pareto_front",
    "best_steps",
    "best_attainable",
    "display_label",
    "cost_summary",
    "method_summary",
    "hazard_findings",
    "estimate_calibration",
    "peer_comparison",
]

EPS = float(np.finfo(float).eps)
#: A best error above this is a failure ("wrong answer"); between 0.3 and 3 it is "~100% error".
WRONG = 1e-3
#: Failure modes of :func:`hazard_findings`, in the order the report lists them.
MODES = ("error", "nan", "100%", "wrong", "default")
_BEST_STEP_COLUMNS = [
    "label",
    "problem",
    "point",
    "n_ok",
    "n_total",
    "best_rel_error",
    "best_step",
    "best_step_used",
    "window_decades",
]
#: Tags that describe a kind of function rather than a hazard.
_NOT_HAZARDS = {"smooth", "seed", "unit-scale", "polynomial"}
#: Columns describing a label's method, as far as the table has them.
_LABEL_COLUMNS = (
    "label",
    "method",
    "family",
    "kind",
    "order",
    "black_box",
    "needs",
    "peer",
    "wraps",
    "noise_linear",
    "reference",
)


# --------------------------------------------------------------------------------------------
# labels and problems
# --------------------------------------------------------------------------------------------
def family_rank(family: str) -> int:
    """Display position of a family (:attr:`methods.capabilities.Family.display_order`); a name
    that is not a :class:`~methods.capabilities.Family` comes after all of them.

    Examples
    --------
    >>> family_rank("finite-difference"), family_rank("symbolic"), family_rank("other")
    (0, 6, 7)
    """
    try:
        return Family(family).display_order
    except ValueError:
        return len(Family)


def label_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per method label with what the table says about its method, in display order.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, family, kind, order`` and those of ``black_box, needs, peer,
        wraps, noise_linear, reference`` the table has; rows in family display order, then in
        order of first appearance.
    """
    cols = [c for c in _LABEL_COLUMNS if c in df.columns]
    labels = df[cols].drop_duplicates("label").reset_index(drop=True)
    labels["_first"] = range(len(labels))
    labels["_fam"] = labels["family"].map(family_rank)
    return labels.sort_values(["_fam", "_first"]).drop(columns=["_first", "_fam"])


def smooth_problems(df: pd.DataFrame) -> list[str]:
    """Problems tagged "smooth" and not "noisy" (a noisy function is not smooth), in table order."""
    tags = df.drop_duplicates("problem").set_index("problem")["tags"].fillna("")
    return [p for p, t in tags.items() if "smooth" in t.split(";") and "noisy" not in t.split(";")]


def _smooth_or_all(df: pd.DataFrame) -> list[str]:
    return smooth_problems(df) or list(dict.fromkeys(df["problem"]))


def _accuracy(df: pd.DataFrame, region: str = "point") -> pd.DataFrame:
    return df[(df["measure"] == "accuracy") & (df["region"] == region)]


def _median(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.median(arr)) if arr.size else math.nan


def display_label(label: str, form: str) -> str:
    """How a row of :func:`best_attainable` is named in tables and figures.

    Examples
    --------
    >>> display_label("numpy-gradient", "grid"), display_label("central", "point")
    ('numpy-gradient [grid]', 'central')
    """
    return f"{label} [grid]" if form == "grid" else label


# --------------------------------------------------------------------------------------------
# curves (plain arrays)
# --------------------------------------------------------------------------------------------
def best_on_curve(errors: Any) -> tuple[int, float, int, int]:
    """The best step of one error-vs-step curve, robust to a single lucky step.

    ``errors`` are ordered by step (NaN for a failed measurement). The score of step ``i`` is the
    median of the errors at ``i - 1, i, i + 1`` (failures count as infinite; an end step scores
    the larger of its two errors): an exact cancellation at one step does not make a best step, a
    plateau does (its first step is the best step), and every score is an error that was
    measured. With fewer than three steps the score is the error itself.

    Returns
    -------
    (int, float, int, int)
        Index of the best step (-1 if every measurement failed), its score (the best error), and
        the first and last index of the contiguous window around it whose errors are within 10x
        of the best score.

    Examples
    --------
    >>> best_on_curve([1e-3, 1e-6, 0.0, 1e-6, 1e-2])  # the lone zero is luck: score 1e-6
    (1, 1e-06, 1, 3)
    >>> best_on_curve([0.0, 1e-6, 1e-6, 1e-6, 1e-3])  # so is a zero at the end
    (0, 1e-06, 0, 3)
    """
    e = np.asarray(errors, dtype=float)
    e = np.where(np.isnan(e), np.inf, e)
    n = e.size
    if n == 0 or not np.isfinite(e).any():
        return -1, math.nan, -1, -1
    if n < 3:
        score = e
    else:
        padded = np.concatenate([[np.inf], e, [np.inf]])
        windows = np.stack([padded[:-2], padded[1:-1], padded[2:]])
        score = np.median(windows, axis=0)
    i = int(np.argmin(score))  # the first step that reaches the best score
    best = float(score[i])
    if not np.isfinite(best):
        finite = np.flatnonzero(np.isfinite(e))
        i = int(finite[np.argmin(e[finite])])
        best = float(e[i])
    lo = hi = i
    while lo > 0 and e[lo - 1] <= 10 * best:
        lo -= 1
    while hi < n - 1 and e[hi + 1] <= 10 * best:
        hi += 1
    return i, best, lo, hi


def convergence_order(sizes: Any, errors: Any, *, floor: float = 1e3 * EPS) -> float:
    """Observed convergence order from errors on grids of increasing size.

    Fits ``log(error) = c - p log(N)`` with ``np.polyfit`` over the asymptotic range: errors
    below 0.1 (coarser grids are pre-asymptotic) and above the rounding floor. If the error
    reaches its minimum before the finest grid, rounding has taken over: only the grids before
    the minimum whose error is still 10x above it are used. At most the last four such grids
    enter the fit. Returns ``p``, or NaN with fewer than three usable grids.

    Examples
    --------
    >>> n = np.array([8, 16, 32, 64])
    >>> round(convergence_order(n, 3.0 / n**2), 6)
    2.0
    """
    n = np.asarray(sizes, dtype=float)
    e = np.asarray(errors, dtype=float)
    keep = np.isfinite(e) & (e > 0) & np.isfinite(n) & (n > 0)
    n, e = n[keep], e[keep]
    order = np.argsort(n)
    n, e = n[order], e[order]
    if n.size < 3:
        return math.nan
    imin = int(np.argmin(e))
    idx = np.arange(n.size)
    if imin < n.size - 1:
        use = (idx < imin) & (e >= 10 * e[imin])
    else:
        use = e > floor
    use &= e <= 0.1
    n, e = n[use][-4:], e[use][-4:]
    if n.size < 3:
        return math.nan
    slope = np.polyfit(np.log(n), np.log(e), 1)[0]
    return float(-slope)


def pareto_front(x: Any, y: Any) -> np.ndarray:
    """Boolean mask of points not dominated in (x, y), both to be minimised.

    Examples
    --------
    >>> pareto_front([1.0, 2.0, 3.0], [2.0, 1.0, 3.0]).tolist()
    [True, True, False]
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    mask = np.zeros(x.size, dtype=bool)
    for i in np.flatnonzero(ok):
        dominated = ok & (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        mask[i] = not dominated.any()
    return mask


# --------------------------------------------------------------------------------------------
# best steps and best errors
# --------------------------------------------------------------------------------------------
def best_steps(df: pd.DataFrame) -> pd.DataFrame:
    """Per (label, problem, point): the best error over steps and the step that gave it.

    The best step is found by :func:`best_on_curve` (robust to one lucky step).

    Returns
    -------
    pandas.DataFrame
        Columns ``label, problem, point, best_rel_error, best_step`` (requested step),
        ``best_step_used``, ``window_decades`` (log10 width of the contiguous range of requested
        steps around the best whose errors are within 10x of it: the safe-step window; NaN with
        a single measurement), ``n_ok``, ``n_total``. A point without any finite estimate has
        ``best_rel_error`` NaN.
    """
    acc = _accuracy(df)
    acc = acc[acc["status"] != Status.SKIPPED]
    out = []
    for (label, problem, point), g in acc.groupby(["label", "problem", "point"], sort=False):
        g = g.sort_values("step", ascending=False)
        ok = (g["status"] == Status.OK).to_numpy()
        errs = np.where(ok, g["rel_error"].to_numpy(dtype=float), np.nan)
        i, best, lo, hi = best_on_curve(errs)
        steps = g["step"].to_numpy(dtype=float)
        rec = {
            "label": label,
            "problem": problem,
            "point": int(point),
            "n_ok": int(ok.sum()),
            "n_total": len(g),
            "best_rel_error": best,
            "best_step": steps[i] if i >= 0 else math.nan,
            "best_step_used": float(g["step_used"].iloc[i]) if i >= 0 else math.nan,
            "window_decades": math.nan,
        }
        if i >= 0 and np.isfinite(steps).sum() > 1:
            rec["window_decades"] = float(np.log10(steps[lo] / steps[hi]))
        out.append(rec)
    return pd.DataFrame(out, columns=_BEST_STEP_COLUMNS)


def _best_point_form(df: pd.DataFrame) -> list[tuple]:
    bs = best_steps(df)
    rows = []
    for (label, problem), g in _accuracy(df).groupby(["label", "problem"], sort=False):
        mine = bs[(bs["label"] == label) & (bs["problem"] == problem)]
        skipped = bool((g["status"] == Status.SKIPPED).all())
        failed = (not skipped) and bool(mine["best_rel_error"].isna().any() or mine.empty)
        value = math.nan if skipped or failed else float(mine["best_rel_error"].max())
        reason = str(g["message"].iloc[0]) if skipped else ""
        rows.append((label, "point", problem, value, failed, skipped, reason))
    return rows


def _best_grid_form(df: pd.DataFrame) -> list[tuple]:
    rows = []
    for (label, problem), g in _accuracy(df, "interior").groupby(["label", "problem"], sort=False):
        ok = g[g["status"] == Status.OK]
        skipped = bool((g["status"] == Status.SKIPPED).all()) and g["grid_size"].isna().all()
        value = float(ok["rel_error"].min()) if len(ok) else math.nan
        reason = str(g["message"].iloc[0]) if skipped else ""
        rows.append((label, "grid", problem, value, not skipped and not len(ok), skipped, reason))
    return rows


def best_attainable(df: pd.DataFrame, *, grid: bool = True) -> pd.DataFrame:
    """Best attainable relative error per method label, form and problem.

    For the point form: the smallest error over steps at each point, then the worst of the
    problem's points (every point tuned to its own best step). For grid methods (``grid=True``)
    rows of form ``"grid"`` hold the smallest interior error over grid sizes.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, form`` (``"point"`` or ``"grid"``), ``problem, best_rel_error,
        failed`` (no finite estimate at some point), ``skipped`` (never run: unavailable or not
        applicable), ``reason``, ``family`` and ``kind``. Rows in label display order
        (:func:`label_table`), the point form of a label before its grid form.
    """
    rows = _best_point_form(df) + (_best_grid_form(df) if grid else [])
    cols = ["label", "form", "problem", "best_rel_error", "failed", "skipped", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    labels = label_table(df).set_index("label")
    out["family"] = out["label"].map(labels["family"])
    out["kind"] = out["label"].map(labels["kind"])
    rank = {lab: k for k, lab in enumerate(labels.index)}
    out["_rank"] = out["label"].map(rank)
    out["_form"] = (out["form"] == "grid").astype(int)
    out = out.sort_values(["_rank", "_form"], kind="stable")
    return out.drop(columns=["_rank", "_form"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# summaries per label
# --------------------------------------------------------------------------------------------
def cost_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method label: median best error, nfev per coordinate and time per gradient.

    Medians are over the smooth problems (:func:`smooth_problems`); all problems if there are
    none. Costs come from the ``cost`` rows (default step at the first point).

    Returns
    -------
    pandas.DataFrame
        Columns ``label, family, kind, median_best_error, nfev_per_coordinate, time,
        problems``, one row per label with a result, in label display order.
    """
    smooth = _smooth_or_all(df)
    best = best_attainable(df, grid=False)
    best = best[best["problem"].isin(smooth) & ~best["skipped"]]
    cost = df[
        (df["measure"] == "cost") & df["problem"].isin(smooth) & (df["status"] != Status.SKIPPED)
    ]
    labels = label_table(df).set_index("label")
    out = []
    for label in labels.index:
        b = best[best["label"] == label]
        c = cost[cost["label"] == label]
        if b.empty and c.empty:
            continue
        errs = b["best_rel_error"].to_numpy(dtype=float)
        nfev_ok = len(c) and c["nfev"].notna().all()
        per_coord = c["nfev"].to_numpy(dtype=float) / c["dim"].to_numpy(dtype=float)
        out.append(
            {
                "label": label,
                "family": labels.loc[label, "family"],
                "kind": labels.loc[label, "kind"],
                "median_best_error": float(np.median(errs))
                if errs.size and np.isfinite(errs).all()
                else math.nan,
                "nfev_per_coordinate": float(np.median(per_coord)) if nfev_ok else math.nan,
                "time": float(np.median(c["time"].dropna()))
                if c["time"].notna().any()
                else math.nan,
                "problems": len(b),
            }
        )
    return pd.DataFrame(out)


def _summary_row(
    info: pd.Series, best: pd.DataFrame, steps: pd.DataFrame, cost: pd.DataFrame, smooth: list
) -> dict[str, Any]:
    bs = best[best["problem"].isin(smooth)]
    st = steps[steps["problem"].isin(smooth)]
    cs = cost[cost["problem"].isin(smooth)]
    default_err = np.where(cs["status"] == Status.OK, cs["rel_error"].to_numpy(dtype=float), np.inf)
    stepped = info["kind"] in ("step", "grid")
    return {
        "median_best_error": _median(np.where(bs["failed"], np.inf, bs["best_rel_error"])),
        "median_default_error": _median(default_err) if default_err.size else math.nan,
        "best_step": _median(st["best_step"]) if stepped else math.nan,
        "window_decades": _median(st["window_decades"]) if stepped else math.nan,
        "nfev": _median(cs["nfev"].astype(float)),
        "nfev_per_coordinate": _median(
            cs["nfev"].astype(float).to_numpy() / cs["dim"].astype(float).to_numpy()
        ),
        "time": _median(cs["time"]),
        "prepare_time": _median(cs["prepare_time"]) if "prepare_time" in cs else math.nan,
        "smooth_problems": int(bs["best_rel_error"].notna().sum()),
        "failures": int((best["failed"] | (best["best_rel_error"] > WRONG)).sum()),
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
    "nfev",
    "nfev_per_coordinate",
    "time",
    "prepare_time",
    "smooth_problems",
    "failures",
    "black_box",
    "needs",
    "peer",
    "wraps",
]


def method_summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per method label: accuracy, step and cost figures over the smooth problems.

    Only labels measured in the point form (grid-form-only labels have their own rows in
    :func:`best_attainable`).

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, family, kind, black_box, needs, peer, wraps`` (from the
        table), ``median_best_error, median_default_error, best_step`` (median over smooth
        points of the measured optimal requested step), ``theoretical_step``,
        ``window_decades`` (median), ``nfev`` (median per gradient), ``nfev_per_coordinate``,
        ``time`` (median seconds per gradient), ``prepare_time``, ``smooth_problems`` (count
        with a result), ``failures`` (problems of any kind where the best error is above
        :data:`WRONG` or no finite estimate was obtained).
    """
    smooth = _smooth_or_all(df)
    labels = label_table(df).set_index("label")
    labels = labels[labels.index.isin(set(df.loc[df["region"] == "point", "label"]))]
    best = best_attainable(df, grid=False)
    best = best[~best["skipped"]]
    steps = best_steps(df)
    cost = df[(df["measure"] == "cost") & (df["status"] != Status.SKIPPED)]
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
                "black_box": _flag(info.get("black_box")),
                "needs": info.get("needs") or "",
                "peer": _flag(info.get("peer")),
                "wraps": info.get("wraps") or "",
                **_summary_row(
                    info,
                    best[best["label"] == label],
                    steps[steps["label"] == label],
                    cost[cost["label"] == label],
                    smooth,
                ),
            }
        )
    return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)


def _flag(value: Any) -> bool:
    """A boolean cell of the table; missing is False."""
    return bool(value) if value is not None and value is not pd.NA else False


# --------------------------------------------------------------------------------------------
# failures on hazards
# --------------------------------------------------------------------------------------------
def _outcome(errs: pd.DataFrame) -> tuple[str, str]:
    """Classify the measurements of one (label, problem) pair: (category, detail)."""
    status = errs["status"]
    if (status == Status.SKIPPED).all():
        return "skipped", str(errs["message"].iloc[0])
    ok = errs[status == Status.OK]
    if ok.empty:
        if (status == Status.ERROR).all():
            return "error", _short(str(errs["message"].iloc[0]))
        first_nan = errs[status == Status.NONFINITE]["message"]
        return "nan", _short(str(first_nan.iloc[0])) if len(first_nan) else ""
    return "ok", ""


def _short(message: str) -> str:
    """The informative part of a row's message, for a sentence."""
    found = re.search(r"f returned (\S+) at x=(\[[^\]]*\])", message)
    if found:
        return f"it evaluates f at x = {found.group(2)}, where f is {found.group(1)}"
    message = (
        message.split(": ", 1)[-1] if message.startswith(("ValueError", "TypeError")) else message
    )
    return message if len(message) <= 110 else message[:107] + "..."


def _hazard_problems(df: pd.DataFrame) -> dict[str, list[str]]:
    tags = df.drop_duplicates("problem").set_index("problem")["tags"].fillna("")
    by_tag: dict[str, list[str]] = {}
    for problem, t in tags.items():
        for tag in t.split(";"):
            if tag and tag not in _NOT_HAZARDS:
                by_tag.setdefault(tag, []).append(problem)
    return by_tag


def _failure_mode(
    best: tuple[float, bool], cost: tuple[str, float] | None
) -> tuple[str | None, str]:
    """The mode of a method that gave a finite estimate: judged at its best step, then at its
    default step; (None, "") when it is fine."""
    value, failed = best
    if failed:
        return "nan", "no finite estimate at some point"
    if 0.3 <= value <= 3:
        return "100%", f"best error {fmt_number(value)}"
    if value > WRONG:
        return "wrong", f"best error {fmt_number(value)}"
    if cost is not None:
        status, err = cost
        if status != Status.OK:
            return "default", f"{status} at the default step"
        if err > WRONG:
            return "default", (
                f"error {fmt_number(err)} at the default step, {fmt_number(value)} at the best step"
            )
    return None, ""


def hazard_findings(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per hazard tag: its problems and, per failure mode, the methods and problems affected.

    Failure modes (:data:`MODES`), decided at each method's best step (so a mode means even
    tuning does not help): ``error`` (every measurement raised), ``nan`` (no finite estimate),
    ``100%`` (best error between 0.3 and 3: no correct digit), ``wrong`` (best error above
    :data:`WRONG` otherwise), and ``default`` (fine at the best step, but the error at the
    default step is above :data:`WRONG` or the default step fails).

    Returns
    -------
    dict
        ``{tag: {"problems": [...], "modes": {mode: {label: [(problem, detail), ...]}},
        "clean": [labels fine on every problem of the tag]}}``.
    """
    best = {
        (r.label, r.problem): (float(r.best_rel_error), bool(r.failed))
        for r in best_attainable(df, grid=False).itertuples()
    }
    outcomes = {key: _outcome(g) for key, g in _accuracy(df).groupby(["label", "problem"])}
    cost_rows = df[df["measure"] == "cost"].drop_duplicates(["label", "problem"])
    cost = {(r.label, r.problem): (r.status, float(r.rel_error)) for r in cost_rows.itertuples()}
    labels = list(label_table(df)["label"])
    out: dict[str, dict[str, Any]] = {}
    for tag, problems in sorted(_hazard_problems(df).items()):
        modes: dict[str, dict[str, list]] = {m: {} for m in MODES}
        clean = []
        for label in labels:
            fine, ran = True, False
            for problem in problems:
                category, detail = outcomes.get((label, problem), ("skipped", ""))
                if category == "skipped":
                    continue
                ran = True
                mode = category if category in ("error", "nan") else None
                if mode is None:
                    mode, detail = _failure_mode(best[label, problem], cost.get((label, problem)))
                if mode:
                    fine = False
                    modes[mode].setdefault(label, []).append((problem, detail))
            if fine and ran:
                clean.append(label)
        out[tag] = {"problems": problems, "modes": modes, "clean": clean}
    return out


# --------------------------------------------------------------------------------------------
# error estimates and peers
# --------------------------------------------------------------------------------------------
def estimate_calibration(df: pd.DataFrame) -> pd.DataFrame:
    """How well each method's own error estimate describes its true error.

    Over the accuracy rows (status ok) of every method that returns an estimate: ``rows``;
    ``coverage``, the fraction of rows whose estimate is at least the true absolute error
    (max-norm over coordinates for both); ``coverage_smooth``, the same on the smooth problems;
    ``median_ratio``, the median of estimate / true error over rows with a non-zero true error
    (above 1: the estimate is conservative); ``underestimate_10x``, the fraction of rows whose
    estimate is more than 10x below the true error.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, rows, coverage, coverage_smooth, median_ratio,
        underestimate_10x``.
    """
    acc = df[(df["measure"] == "accuracy") & (df["status"] == Status.OK)]
    acc = acc[acc["error_estimate"].notna() & acc["abs_error"].notna()]
    smooth = set(smooth_problems(df))
    rows = []
    for label, g in acc.groupby("label", sort=False):
        est = g["error_estimate"].to_numpy(dtype=float)
        err = g["abs_error"].to_numpy(dtype=float)
        in_smooth = g["problem"].isin(smooth).to_numpy()
        nonzero = err > 0
        ratio = est[nonzero] / err[nonzero]
        rows.append(
            {
                "label": label,
                "method": g["method"].iloc[0],
                "rows": len(g),
                "coverage": float(np.mean(est >= err)),
                "coverage_smooth": float(np.mean(est[in_smooth] >= err[in_smooth]))
                if in_smooth.any()
                else math.nan,
                "median_ratio": float(np.median(ratio)) if ratio.size else math.nan,
                "underestimate_10x": float(np.mean(est < err / 10)),
            }
        )
    return pd.DataFrame(rows)


def peer_comparison(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary rows of every family that has a peer: peers next to the other methods of it.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`method_summary` (at least ``label, family, peer, wraps``).

    Returns
    -------
    pandas.DataFrame
        Its rows of those families, ours first within a family, with ``peer`` as bool and
        ``source``: the library wrapped (``wraps``), or ``diffbench`` for methods written here.
    """
    s = summary.copy()
    s["peer"] = [_flag(v) for v in s["peer"]]
    s["source"] = [w if isinstance(w, str) and w else "diffbench" for w in s["wraps"]]
    families = set(s.loc[s["peer"], "family"])
    out = s[s["family"].isin(families)]
    return out.sort_values(["family", "peer"], kind="stable").reset_index(drop=True)
