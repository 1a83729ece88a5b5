"""The "Which method should I use?" sentences of REPORT.md, each computed from the measurements.

A method is a *black box* when the table says so (column ``black_box``: it only evaluates ``f``
at real points, needing at most vectorized calls); the others need complex arithmetic, dual
numbers or the formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .analysis import EPS, WRONG, method_summary
from .text import fmt_number, fmt_time

__all__ = ["recommendations", "ROUNDING_LEVEL"]

#: A median error at most this is "rounding level" (4 eps, 8.9e-16).
ROUNDING_LEVEL = 4 * EPS


def _names(frame: pd.DataFrame, k: int = 5) -> str:
    labs = [f"`{lab}`" for lab in frame["label"]]
    return ", ".join(labs[:k]) + (f" and {len(labs) - k} more" if len(labs) > k else "")


def _leaders(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    """The methods at rounding level in ``col``, else those within 2x of the best."""
    frame = frame[frame[col].notna()].sort_values(col)
    if frame.empty:  # e.g. a run without the cost pass has no default-step errors
        return frame
    at_floor = frame[frame[col] <= ROUNDING_LEVEL]
    return at_floor if len(at_floor) else frame[frame[col] <= 2 * frame[col].iloc[0]]


def _each(frame: pd.DataFrame, k: int = 3) -> str:
    """Labels with their own default-step error and evaluations per coordinate."""
    return ", ".join(
        f"`{r.label}` ({fmt_number(r.median_default_error)}, {r.nfev_per_coordinate:.3g} "
        "evaluations per coordinate)"
        for r in frame.head(k).itertuples()
    )


def _most_accurate(s: pd.DataFrame) -> str:
    top = _leaders(s, "median_best_error")
    level = top["median_best_error"].iloc[-1] <= ROUNDING_LEVEL
    what = "reach rounding level" if level else "are best"
    return (
        f"**Most accurate**: {len(top)} method(s) {what} on smooth problems "
        f"(median best error {fmt_number(top['median_best_error'].max())} or less): "
        f"{_names(top)}."
    )


def _not_black_box(other: pd.DataFrame) -> list[str]:
    d = _leaders(other, "median_default_error") if not other.empty else other
    if d.empty:
        return []
    return [
        f"**If you can run f on complex numbers, dual numbers or have its formula**: "
        f"{_names(d)} give {fmt_number(d['median_default_error'].max())} or better with no step "
        "to choose. Check the hazards below: they differentiate the program, so they "
        "inherit its cancellation."
    ]


def _black_box_default(bb: pd.DataFrame) -> str:
    d = bb.sort_values("median_default_error").head(3)
    t = bb.sort_values("median_best_error").iloc[0]
    tuned = (
        f" at step ~{fmt_number(t['best_step'])} (theory {fmt_number(t['theoretical_step'])})."
        if np.isfinite(t["best_step"])
        else "."
    )
    return (
        f"**If f is a black box** (real evaluations only), the most accurate at their default "
        f"settings (median error): {_each(d)}; with a tuned "
        f"step, `{t['label']}` reaches {fmt_number(t['median_best_error'])}" + tuned
    )


def _black_box_robust(bb: pd.DataFrame, n_problems: int) -> list[str]:
    lead = bb.sort_values("median_default_error").iloc[0]
    sturdy = bb[bb["failures"] == bb["failures"].min()].sort_values("median_default_error")
    if lead["failures"] <= sturdy["failures"].iloc[0]:
        return []
    r = sturdy.iloc[0]
    return [
        f"**Black box, robust**: `{r['label']}` fails on {int(r['failures'])} of "
        f"{n_problems} problems, with median error "
        f"{fmt_number(r['median_default_error'])} at its default step "
        f"({r['nfev_per_coordinate']:.3g} evaluations per coordinate); the most accurate "
        f"black-box default above, `{lead['label']}`, fails on {int(lead['failures'])} "
        "(see the hazards)."
    ]


def _black_box_cheapest(bb: pd.DataFrame) -> list[str]:
    good = bb[bb["median_default_error"] <= 1e-8]
    if good.empty:
        return []
    c = good.sort_values(["nfev_per_coordinate", "time"]).iloc[0]
    return [
        f"**Cheapest black-box method with 8+ correct digits at its default step**: "
        f"`{c['label']}` ({c['nfev_per_coordinate']:.3g} evaluations of f per "
        f"coordinate, {fmt_time(c['time'])} per gradient, median error "
        f"{fmt_number(c['median_default_error'])})."
    ]


def _fastest(s: pd.DataFrame) -> list[str]:
    good = s[s["median_default_error"] <= 1e-8].sort_values("time")
    if good.empty:
        return []
    fastest = ", ".join(f"`{r.label}` ({fmt_time(r.time)})" for r in good.head(3).itertuples())
    return [f"**Fastest with 8+ correct digits at the default step**: {fastest}."]


def _step_choice(s: pd.DataFrame) -> list[str]:
    stepped = s[s["window_decades"].notna() & (s["kind"] == "step")]
    if stepped.empty:
        return []
    wide = stepped[stepped["window_decades"] == stepped["window_decades"].max()]
    narrow = stepped[stepped["window_decades"] == stepped["window_decades"].min()]
    return [
        f"**Step choice**: the error of {_names(wide, 3)} stays within 10x of its best over "
        f"{wide['window_decades'].iloc[0]:.2f} decades of step (median); for "
        f"{_names(narrow, 3)} only {narrow['window_decades'].iloc[0]:.2f} decades, so "
        "their step must be chosen with care."
    ]


def _fewest_failures(s: pd.DataFrame, n_problems: int) -> str:
    robust = s.sort_values(["failures", "median_best_error"])
    robust = robust[robust["failures"] == robust["failures"].iloc[0]]
    worst = s.sort_values("failures", ascending=False, kind="stable").head(3)
    worst = worst[worst["failures"] > robust["failures"].iloc[0]]
    most = (
        "; the most: " + ", ".join(f"`{r.label}` ({int(r.failures)})" for r in worst.itertuples())
        if not worst.empty
        else ""
    )
    return (
        f"**Fewest failures over all {n_problems} problems** (best error above "
        f"{WRONG:g} or no finite estimate): {_names(robust)} with "
        f"{int(robust['failures'].iloc[0])}{most}."
    )


def recommendations(df: pd.DataFrame, summary: pd.DataFrame | None = None) -> list[str]:
    """Sentences answering "which method should I use?", each computed from the measurements.

    "Black box" methods only evaluate f at real points (the table's ``black_box`` column); the
    others need complex arithmetic, dual numbers or the formula. "Rounding level" is a median
    error of at most :data:`ROUNDING_LEVEL` (4 eps, 8.9e-16).

    Parameters
    ----------
    df : pandas.DataFrame
        Results table.
    summary : pandas.DataFrame, optional
        :func:`diffbench.analysis.method_summary` of ``df`` (computed if not given).

    Returns
    -------
    list of str
        Markdown sentences.
    """
    summary = method_summary(df) if summary is None else summary
    s = summary[summary["smooth_problems"] > 0].copy()
    if s.empty:
        return ["No method produced a result on a smooth problem; nothing to recommend."]
    n_problems = df["problem"].nunique()
    black_box = s["black_box"].eq(True)
    out = [_most_accurate(s), *_not_black_box(s[~black_box])]
    bb = s[black_box]
    bb = bb[bb["median_default_error"].notna()]
    if not bb.empty:
        out.append(_black_box_default(bb))
        out += _black_box_robust(bb, n_problems)
        out += _black_box_cheapest(bb)
    out += _fastest(s)
    out += _step_choice(s)
    out.append(_fewest_failures(s, n_problems))
    return out
