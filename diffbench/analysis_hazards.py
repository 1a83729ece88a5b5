"""Failures on hazards, calibration of methods' own error estimates, peers next to ours.

Part of :mod:`diffbench.analysis` (which re-exports every public name here).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .analysis_base import WRONG, _accuracy, best_attainable, flag, label_table, smooth_problems
from .analysis_curves import EPS
from .schema import Status
from .text import fmt_number

__all__ = ["MODES", "hazard_findings", "estimate_calibration", "peer_comparison"]

#: Failure modes of :func:`hazard_findings`, in the order the report lists them.
MODES = ("error", "nan", "100%", "wrong", "default")
#: Tags that describe a kind of function rather than a hazard.
_NOT_HAZARDS = {"smooth", "seed", "unit-scale", "polynomial"}


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
def _truth_scale(acc: pd.DataFrame) -> pd.Series:
    """Per row: the size of the exact gradient, max_i |exact_i| (abs_error / rel_error, which is
    the same for every row of a problem point), 1 where it is unknown or zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = acc["abs_error"].astype(float) / acc["rel_error"].astype(float)
    scale = scale.where(np.isfinite(scale) & (scale > 0))
    per_point = scale.groupby([acc["problem"], acc["point"]]).transform("median")
    return per_point.fillna(1.0)


def estimate_calibration(df: pd.DataFrame) -> pd.DataFrame:
    """How well each method's own error estimate describes its true error.

    Over the accuracy rows (status ok) of every method that returns an estimate: ``rows``;
    ``coverage``, the fraction of rows whose estimate is at least the true absolute error
    (max-norm over coordinates for both); ``coverage_smooth``, the same on the smooth problems;
    ``median_ratio``, the median over *every* row of estimate / max(true error, eps x scale),
    scale being max_i |exact_i| of the row's problem point (1 where the exact gradient is 0):
    a true error of exactly 0 counts as rounding level, so no row is dropped (above 1: the
    estimate is conservative); ``underestimate_10x``, the fraction of rows whose estimate is
    more than 10x below the true error.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, rows, coverage, coverage_smooth, median_ratio,
        underestimate_10x``.
    """
    acc = df[(df["measure"] == "accuracy") & (df["status"] == Status.OK)]
    acc = acc[acc["error_estimate"].notna() & acc["abs_error"].notna()]
    acc = acc.assign(_floor=EPS * _truth_scale(acc)) if len(acc) else acc.assign(_floor=[])
    smooth = set(smooth_problems(df))
    rows = []
    for label, g in acc.groupby("label", sort=False):
        est = g["error_estimate"].to_numpy(dtype=float)
        err = g["abs_error"].to_numpy(dtype=float)
        in_smooth = g["problem"].isin(smooth).to_numpy()
        ratio = est / np.maximum(err, g["_floor"].to_numpy(dtype=float))
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
    s["peer"] = [flag(v) for v in s["peer"]]
    s["source"] = [w if isinstance(w, str) and w else "diffbench" for w in s["wraps"]]
    families = set(s.loc[s["peer"], "family"])
    out = s[s["family"].isin(families)]
    return out.sort_values(["family", "peer"], kind="stable").reset_index(drop=True)
