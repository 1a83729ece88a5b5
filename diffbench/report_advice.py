"""The "Which method should I use?" sentences of REPORT.md, each computed from the measurements.

Every sentence says the basis of its numbers: "at the default step" (the ``step=None``
measurement a user gets without tuning, at each problem's first point), "at the best swept step"
(tuned per point), and over which problems a median runs (:func:`basis_text`: the first point
of each smooth problem not tagged ``polynomial``, :func:`diffbench.analysis.headline_problems`,
since an order-p stencil is exact on a polynomial of degree <= p and its best step there is only
the sweep's largest). Advice for production use (which method to pick, which is robust) rests on
the default step. Every method a sentence's claim is about is named (no "and N more").

A method is a *black box* when the table says so (column ``black_box``: it only evaluates ``f``
at real points, needing at most vectorized calls); the others need complex arithmetic, dual
numbers or the formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .analysis import EPS, WRONG, headline_problems, method_summary, smooth_problems
from .text import fmt_number, fmt_time

__all__ = ["recommendations", "ROUNDING_LEVEL", "BASIS", "basis_text", "step_at_largest"]

#: A median error at most this is "rounding level" (4 eps, 8.9e-16).
ROUNDING_LEVEL = 4 * EPS
#: The set a median of the summary runs over.
BASIS = "median over the first point of each smooth problem"


def basis_text(df: pd.DataFrame) -> str:
    """The basis of the headline medians, naming the problems when polynomials are left out.

    Examples
    --------
    >>> t = pd.DataFrame({"problem": ["quad", "wave"], "tags": ["polynomial;smooth", "smooth"]})
    >>> basis_text(t)
    'median over the first point of each smooth problem not tagged polynomial (wave)'
    """
    basis = headline_problems(df)
    if basis == smooth_problems(df):
        return BASIS
    return f"{BASIS} not tagged polynomial ({', '.join(basis)})"


def step_at_largest(r: pd.Series) -> bool:
    """Whether a summary row's best step is the sweep's largest on most of its problems."""
    found = r.get("best_steps_found", 0) or 0
    return bool(found) and 2 * (r.get("best_steps_at_largest", 0) or 0) > found


def _names(frame: pd.DataFrame) -> str:
    """Every label of ``frame``: a sentence names each method its claim is about."""
    labs = [f"`{lab}`" for lab in frame["label"]]
    return ", ".join(labs[:-1]) + f" and {labs[-1]}" if len(labs) > 1 else "".join(labs)


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


def _most_accurate(s: pd.DataFrame, basis: str) -> str:
    top = _leaders(s, "median_best_error")
    level = top["median_best_error"].iloc[-1] <= ROUNDING_LEVEL
    what = "reach rounding level" if level else "are best"
    return (
        f"**Most accurate**: {len(top)} method(s) {what} on smooth problems at the best swept "
        f"step (best error {fmt_number(top['median_best_error'].max())} or less, {basis}): "
        f"{_names(top)}."
    )


def _not_black_box(other: pd.DataFrame, basis: str) -> list[str]:
    d = _leaders(other, "median_default_error") if not other.empty else other
    if d.empty:
        return []
    return [
        f"**If you can run f on complex numbers, dual numbers or have its formula**: "
        f"{_names(d)} give {fmt_number(d['median_default_error'].max())} or better at their "
        f"default step, with no step to choose ({basis}). Check the hazards below: they "
        "differentiate the program, so they inherit its cancellation."
    ]


def _black_box_default(bb: pd.DataFrame, basis: str) -> str:
    d = bb.sort_values("median_default_error").head(3)
    t = bb.sort_values("median_best_error").iloc[0]
    tuned = (
        f" at step ~{fmt_number(t['best_step'])} (theory {fmt_number(t['theoretical_step'])})"
        if np.isfinite(t["best_step"])
        else ""
    )
    if tuned and step_at_largest(t):
        tuned += (
            f", the sweep's largest step on {int(t['best_steps_at_largest'])} of "
            f"{int(t['best_steps_found'])} of these problems: the error may fall further above "
            "the range, or the method is exact there (no step to recommend)"
        )
    tuned += "."
    return (
        f"**If f is a black box** (real evaluations only), the most accurate at their default "
        f"step (error, {basis}): {_each(d)}; at the best swept step, on the same points, "
        f"`{t['label']}` reaches {fmt_number(t['median_best_error'])}" + tuned
    )


def _black_box_robust(bb: pd.DataFrame, n_problems: int, basis: str) -> list[str]:
    """The black-box method with the fewest failures at its default step, if the most accurate
    black-box default fails more often."""
    bb = bb[bb["default_problems"] > 0]
    if bb.empty:
        return []
    lead = bb.sort_values("median_default_error").iloc[0]
    fewest = bb["default_failures"].min()
    sturdy = bb[bb["default_failures"] == fewest].sort_values("median_default_error")
    if lead["default_failures"] <= fewest:
        return []
    r = sturdy.iloc[0]
    return [
        f"**Black box, robust at the default step**: `{r['label']}` fails at its default step "
        f"on {int(r['default_failures'])} of {int(r['default_problems'])} problems (first "
        f"point of each; at its best swept step: {int(r['failures'])} of {n_problems}), "
        f"with error {fmt_number(r['median_default_error'])} at its default step ({basis}; "
        f"{r['nfev_per_coordinate']:.3g} evaluations per coordinate); the most accurate "
        f"black-box default above, `{lead['label']}`, fails at its default step on "
        f"{int(lead['default_failures'])} of {int(lead['default_problems'])} (see the hazards)."
    ]


def _black_box_cheapest(bb: pd.DataFrame, basis: str) -> list[str]:
    good = bb[bb["median_default_error"] <= 1e-8]
    if good.empty:
        return []
    c = good.sort_values(["nfev_per_coordinate", "time"]).iloc[0]
    return [
        f"**Cheapest black-box method with 8+ correct digits at its default step**: "
        f"`{c['label']}` ({c['nfev_per_coordinate']:.3g} evaluations of f per "
        f"coordinate, {fmt_time(c['time'])} per gradient, error "
        f"{fmt_number(c['median_default_error'])}; {basis})."
    ]


def _fastest(s: pd.DataFrame, basis: str) -> list[str]:
    good = s[s["median_default_error"] <= 1e-8].sort_values("time")
    if good.empty:
        return []
    fastest = ", ".join(f"`{r.label}` ({fmt_time(r.time)})" for r in good.head(3).itertuples())
    return [
        f"**Fastest with 8+ correct digits at the default step** (time per gradient, {basis}): "
        f"{fastest}."
    ]


def _step_choice(s: pd.DataFrame, basis: str) -> list[str]:
    stepped = s[s["window_decades"].notna() & (s["kind"] == "step")]
    if stepped.empty:
        return []
    wide = stepped[stepped["window_decades"] == stepped["window_decades"].max()]
    narrow = stepped[stepped["window_decades"] == stepped["window_decades"].min()]
    text = (
        f"**Step choice**: around the best swept step, the error of {_names(wide)} stays at "
        f"most max(10 x its best, 4 eps) over {wide['window_decades'].iloc[0]:.2f} decades of "
        f"step ({basis})"
    )
    if len(narrow) == len(stepped):
        return [text + "."]
    return [
        text + f"; for {_names(narrow)} only {narrow['window_decades'].iloc[0]:.2f} decades, "
        f"so {'their' if len(narrow) > 1 else 'its'} step must be chosen with care."
    ]


def _fewest(s: pd.DataFrame, col: str, tie: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The labels with the fewest failures in ``col`` and up to three with the most."""
    s = s[s[col].notna()]
    robust = s.sort_values([col, tie])
    robust = robust[robust[col] == robust[col].iloc[0]]
    worst = s.sort_values(col, ascending=False, kind="stable").head(3)
    return robust, worst[worst[col] > robust[col].iloc[0]]


def _failure_counts(robust: pd.DataFrame, worst: pd.DataFrame, col: str) -> str:
    most = (
        "; the most: " + ", ".join(f"`{r['label']}` ({int(r[col])})" for _, r in worst.iterrows())
        if not worst.empty
        else ""
    )
    return f"{_names(robust)} with {int(robust[col].iloc[0])}{most}"


def _fewest_failures(s: pd.DataFrame, n_problems: int) -> str:
    tuned = _failure_counts(*_fewest(s, "failures", "median_best_error"), "failures")
    measured = s[s["default_problems"] > 0]
    default = (
        "at the default step (first point of each problem measured at it): "
        + _failure_counts(
            *_fewest(measured, "default_failures", "median_default_error"), "default_failures"
        )
        + "; "
        if not measured.empty
        else ""
    )
    return (
        f"**Fewest failures over all {n_problems} problems** (error above {WRONG:g} or no "
        f"finite estimate): {default}at the best swept step (worst point): {tuned}."
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
        :func:`diffbench.analysis.method_summary` of ``df`` over
        :func:`diffbench.analysis.headline_problems` (computed if not given).

    Returns
    -------
    list of str
        Markdown sentences.
    """
    summary = method_summary(df, headline_problems(df) or None) if summary is None else summary
    basis = basis_text(df)
    s = summary[summary["smooth_problems"] > 0].copy()
    if s.empty:
        return ["No method produced a result on a smooth problem; nothing to recommend."]
    n_problems = df["problem"].nunique()
    black_box = s["black_box"].eq(True)
    out = [_most_accurate(s, basis), *_not_black_box(s[~black_box], basis)]
    bb = s[black_box]
    bb = bb[bb["median_default_error"].notna()]
    if not bb.empty:
        out.append(_black_box_default(bb, basis))
        out += _black_box_robust(bb, n_problems, basis)
        out += _black_box_cheapest(bb, basis)
    out += _fastest(s, basis)
    out += _step_choice(s, basis)
    out.append(_fewest_failures(s, n_problems))
    return out
