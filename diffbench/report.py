"""REPORT.md: what the sweep measured, in tables and sentences generated from the results.

Every number and every recommendation in the report is computed here from the results table;
nothing is written by hand. Definitions (also printed in the report):

* best error of a method on a problem: at each point, the smallest 3-step running median of the
  error over the step range (:func:`diffbench.plots.best_on_curve`, so a single lucky step does
  not count), then the worst of the problem's points;
* "smooth" problems: tagged ``smooth`` and not ``noisy``; medians over methods' results use them;
* default-step error: the error of the ``cost`` measurement, made with ``step=None``.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .plots import best_attainable, best_steps, save_figures, smooth_problems
from .schema import STATUSES, Status
from .store import read_results, read_run_info

__all__ = ["write_report", "method_summary", "hazard_findings", "recommendations", "render_report"]

#: A best error above this is a failure ("wrong answer"); between 0.3 and 3 it is "~100% error".
WRONG = 1e-3
#: Families that only evaluate f at real points.
_BLACK_BOX = {"finite-difference", "grid", "extrapolation"}
EPS = float(np.finfo(float).eps)
#: Tags that describe a kind of function rather than a hazard.
_NOT_HAZARDS = {"smooth", "seed", "unit-scale", "polynomial"}


def _fmt(v: Any, digits: int = 1) -> str:
    """An error or step for a table: ``0`` for exact zero, ``-`` for missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "-"
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.{digits}e}".replace("e-0", "e-").replace("e+0", "e+")


def _fmt_time(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    v = float(v)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v / 1e-9:.3g} ns"


def _median(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.median(arr)) if arr.size else math.nan


def _labels(df: pd.DataFrame) -> pd.DataFrame:
    from .plots import _label_table

    return _label_table(df).set_index("label")


def _needs(method: str) -> frozenset[str] | None:
    """What a registered method needs from f (None if it is not registered here)."""
    try:
        import methods

        return frozenset(methods.method_class(method).needs)
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# summaries
# --------------------------------------------------------------------------------------------
def method_summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per method label: accuracy, step and cost figures over the smooth problems.

    Columns: ``label, method, family, kind, median_best_error, median_default_error,
    best_step`` (median over smooth points of the measured optimal requested step),
    ``theoretical_step``, ``window_decades`` (median), ``nfev`` (median per gradient),
    ``nfev_per_coordinate``, ``time`` (median seconds per gradient), ``smooth_problems``
    (count with a result), ``failures`` (problems of any kind where the best error is above
    :data:`WRONG` or no finite estimate was obtained).
    """
    smooth = smooth_problems(df) or list(dict.fromkeys(df["problem"]))
    labels = _labels(df)
    # grid-form-only labels (e.g. ``numpy-gradient(edge_order=2)``) have their own rows in the
    # per-problem table, marked [grid]; the summary is about the point form
    point_labels = set(df.loc[df["region"] == "point", "label"])
    labels = labels[labels.index.isin(point_labels)]
    best = best_attainable(df, grid=False)
    steps = best_steps(df)
    cost = df[(df["measure"] == "cost") & (df["status"] != "skipped")]
    theo = df.drop_duplicates("label").set_index("label")["theoretical_step"]
    rows = []
    for label, info in labels.iterrows():
        b = best[(best["label"] == label) & ~best["skipped"]]
        bs = b[b["problem"].isin(smooth)]
        st = steps[(steps["label"] == label) & steps["problem"].isin(smooth)]
        c = cost[cost["label"] == label]
        cs = c[c["problem"].isin(smooth)]
        default_err = np.where(cs["status"] == "ok", cs["rel_error"].to_numpy(dtype=float), np.inf)
        stepped = info["kind"] in ("step", "grid")
        rows.append(
            {
                "label": label,
                "method": info["method"],
                "family": info["family"],
                "kind": info["kind"],
                "median_best_error": _median(np.where(bs["failed"], np.inf, bs["best_rel_error"])),
                "median_default_error": _median(default_err) if default_err.size else math.nan,
                "best_step": _median(st["best_step"]) if stepped else math.nan,
                "theoretical_step": float(theo.get(label, math.nan)),
                "window_decades": _median(st["window_decades"]) if stepped else math.nan,
                "nfev": _median(cs["nfev"].astype(float)),
                "nfev_per_coordinate": _median(
                    cs["nfev"].astype(float).to_numpy() / cs["dim"].astype(float).to_numpy()
                ),
                "time": _median(cs["time"]),
                "prepare_time": _median(cs["prepare_time"]) if "prepare_time" in cs else math.nan,
                "smooth_problems": int(bs["best_rel_error"].notna().sum()),
                "failures": int((b["failed"] | (b["best_rel_error"] > WRONG)).sum()),
            }
        )
    return pd.DataFrame(rows)


def _outcome(errs: pd.DataFrame) -> tuple[str, str]:
    """Classify the measurements of one (label, problem) pair: (category, detail)."""
    status = errs["status"]
    if (status == "skipped").all():
        return "skipped", str(errs["message"].iloc[0])
    ok = errs[status == "ok"]
    if ok.empty:
        if (status == "error").all():
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


def hazard_findings(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per hazard tag: its problems and, per failure mode, the methods and problems affected.

    Failure modes, decided at each method's best step (so a mode means even tuning does not
    help): ``error`` (every measurement raised), ``nan`` (no finite estimate), ``100%`` (best
    error between 0.3 and 3: no correct digit), ``wrong`` (best error above :data:`WRONG`
    otherwise), and ``default`` (fine at the best step, but the error at the default step is
    above :data:`WRONG` or the default step fails).

    Returns
    -------
    dict
        ``{tag: {"problems": [...], "modes": {mode: {label: [(problem, detail), ...]}},
        "clean": [labels fine on every problem of the tag]}}``.
    """
    tags = df.drop_duplicates("problem").set_index("problem")["tags"].fillna("")
    by_tag: dict[str, list[str]] = {}
    for problem, t in tags.items():
        for tag in t.split(";"):
            if tag and tag not in _NOT_HAZARDS:
                by_tag.setdefault(tag, []).append(problem)
    best = {
        (r.label, r.problem): (float(r.best_rel_error), bool(r.failed))
        for r in best_attainable(df, grid=False).itertuples()
    }
    acc = df[(df["measure"] == "accuracy") & (df["region"] == "point")]
    outcomes = {key: _outcome(g) for key, g in acc.groupby(["label", "problem"], sort=False)}
    cost_rows = df[df["measure"] == "cost"].drop_duplicates(["label", "problem"])
    cost = {(r.label, r.problem): (r.status, float(r.rel_error)) for r in cost_rows.itertuples()}
    labels = list(_labels(df).index)
    out: dict[str, dict[str, Any]] = {}
    for tag, problems in sorted(by_tag.items()):
        modes: dict[str, dict[str, list]] = {m: {} for m in _MODES}
        clean = []
        for label in labels:
            fine, ran = True, False
            for problem in problems:
                category, detail = outcomes.get((label, problem), ("skipped", ""))
                if category == "skipped":
                    continue
                ran = True
                mode = None
                if category in ("error", "nan"):
                    mode = category
                else:
                    value, failed = best[(label, problem)]
                    if failed:
                        mode, detail = "nan", "no finite estimate at some point"
                    elif 0.3 <= value <= 3:
                        mode, detail = "100%", f"best error {_fmt(value)}"
                    elif value > WRONG:
                        mode, detail = "wrong", f"best error {_fmt(value)}"
                    elif (label, problem) in cost:
                        status, err = cost[(label, problem)]
                        if status != "ok":
                            mode, detail = "default", f"{status} at the default step"
                        elif err > WRONG:
                            mode = "default"
                            detail = (
                                f"error {_fmt(err)} at the default step, {_fmt(value)} at the "
                                "best step"
                            )
                if mode:
                    fine = False
                    modes[mode].setdefault(label, []).append((problem, detail))
            if fine and ran:
                clean.append(label)
        out[tag] = {"problems": problems, "modes": modes, "clean": clean}
    return out


def recommendations(df: pd.DataFrame, summary: pd.DataFrame | None = None) -> list[str]:
    """Sentences answering "which method should I use?", each computed from the measurements.

    "Black box" methods only evaluate f at real points (families finite-difference, grid and
    extrapolation, needing nothing beyond vectorized calls); the others need complex
    arithmetic, dual numbers or the formula. "Rounding level" is a median error of at most
    4 eps (8.9e-16).
    """
    summary = method_summary(df) if summary is None else summary
    s = summary[summary["smooth_problems"] > 0].copy()
    if s.empty:
        return ["No method produced a result on a smooth problem; nothing to recommend."]
    floor = 4 * EPS
    out: list[str] = []

    def names(frame: pd.DataFrame, k: int = 5) -> str:
        labs = [f"`{lab}`" for lab in frame["label"]]
        return ", ".join(labs[:k]) + (f" and {len(labs) - k} more" if len(labs) > k else "")

    def leaders(frame: pd.DataFrame, col: str) -> pd.DataFrame:
        """The methods at rounding level in ``col``, else those within 2x of the best."""
        frame = frame[frame[col].notna()].sort_values(col)
        if frame.empty:  # e.g. a run without the cost pass has no default-step errors
            return frame
        at_floor = frame[frame[col] <= floor]
        return at_floor if len(at_floor) else frame[frame[col] <= 2 * frame[col].iloc[0]]

    def each(frame: pd.DataFrame, k: int = 3) -> str:
        """Labels with their own default-step error and evaluations per coordinate."""
        return ", ".join(
            f"`{r.label}` ({_fmt(r.median_default_error)}, {r.nfev_per_coordinate:.3g} "
            "evaluations per coordinate)"
            for r in frame.head(k).itertuples()
        )

    def blackbox(label: str, method: str, family: str) -> bool:
        needs = _needs(method)
        return family in _BLACK_BOX and (needs is None or not needs - {"vectorized"})

    bb = s[[blackbox(r.label, r.method, r.family) for r in s.itertuples()]]
    other = s.drop(bb.index)
    top = leaders(s, "median_best_error")
    what = "reach rounding level" if top["median_best_error"].iloc[-1] <= floor else "are best"
    out.append(
        f"**Most accurate**: {len(top)} method(s) {what} on smooth problems "
        f"(median best error {_fmt(top['median_best_error'].max())} or less): {names(top)}."
    )
    d = leaders(other, "median_default_error") if not other.empty else other
    if not d.empty:
        out.append(
            f"**If you can run f on complex numbers, dual numbers or have its formula**: "
            f"{names(d)} give {_fmt(d['median_default_error'].max())} or better with no step "
            "to choose. Check the hazards below: they differentiate the program, so they "
            "inherit its cancellation."
        )
    bb = bb[bb["median_default_error"].notna()]
    if not bb.empty:
        d = bb.sort_values("median_default_error").head(3)
        t = bb.sort_values("median_best_error").iloc[0]
        out.append(
            f"**If f is a black box** (real evaluations only), the most accurate at their default "
            f"settings (median error): {each(d)}; with a tuned "
            f"step, `{t['label']}` reaches {_fmt(t['median_best_error'])}"
            + (
                f" at step ~{_fmt(t['best_step'])} (theory {_fmt(t['theoretical_step'])})."
                if np.isfinite(t["best_step"])
                else "."
            )
        )
        lead = d.iloc[0]
        sturdy = bb[bb["failures"] == bb["failures"].min()].sort_values("median_default_error")
        if lead["failures"] > sturdy["failures"].iloc[0]:
            r = sturdy.iloc[0]
            out.append(
                f"**Black box, robust**: `{r['label']}` fails on {int(r['failures'])} of "
                f"{df['problem'].nunique()} problems, with median error "
                f"{_fmt(r['median_default_error'])} at its default step "
                f"({r['nfev_per_coordinate']:.3g} evaluations per coordinate); the most accurate "
                f"black-box default above, `{lead['label']}`, fails on {int(lead['failures'])} "
                "(see the hazards)."
            )
        good = bb[bb["median_default_error"] <= 1e-8]
        if not good.empty:
            c = good.sort_values(["nfev_per_coordinate", "time"]).iloc[0]
            out.append(
                f"**Cheapest black-box method with 8+ correct digits at its default step**: "
                f"`{c['label']}` ({c['nfev_per_coordinate']:.3g} evaluations of f per "
                f"coordinate, {_fmt_time(c['time'])} per gradient, median error "
                f"{_fmt(c['median_default_error'])})."
            )
    good = s[s["median_default_error"] <= 1e-8].sort_values("time")
    if not good.empty:
        fastest = ", ".join(f"`{r.label}` ({_fmt_time(r.time)})" for r in good.head(3).itertuples())
        out.append(f"**Fastest with 8+ correct digits at the default step**: {fastest}.")
    stepped = s[s["window_decades"].notna() & (s["kind"] == "step")]
    if not stepped.empty:
        widest, narrowest = stepped["window_decades"].max(), stepped["window_decades"].min()
        wide = stepped[stepped["window_decades"] == widest]
        narrow = stepped[stepped["window_decades"] == narrowest]
        out.append(
            f"**Step choice**: the error of {names(wide, 3)} stays within 10x of its best over "
            f"{wide['window_decades'].iloc[0]:.2f} decades of step (median); for "
            f"{names(narrow, 3)} only {narrow['window_decades'].iloc[0]:.2f} decades, so "
            "their step must be chosen with care."
        )
    robust = s.sort_values(["failures", "median_best_error"])
    robust = robust[robust["failures"] == robust["failures"].iloc[0]]
    worst = s.sort_values("failures", ascending=False, kind="stable").head(3)
    worst = worst[worst["failures"] > robust["failures"].iloc[0]]
    out.append(
        f"**Fewest failures over all {df['problem'].nunique()} problems** (best error above "
        f"{WRONG:g} or no finite estimate): {names(robust)} with "
        f"{int(robust['failures'].iloc[0])}"
        + (
            "; the most: "
            + ", ".join(f"`{r.label}` ({int(r.failures)})" for r in worst.itertuples())
            + "."
            if not worst.empty
            else "."
        )
    )
    return out


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------
#: Packages every diffbench install has; a method needing anything else wraps an optional peer.
CORE_PACKAGES = frozenset({"numpy", "scipy", "sympy", "mpmath"})


def is_peer(method: str) -> bool:
    """Whether a registered method wraps an optional peer library (it needs a non-core package)."""
    try:
        import methods

        return any(r not in CORE_PACKAGES for r in methods.method_class(method).requires)
    except Exception:  # a method not registered here
        return False


def source_of(method: str) -> str:
    """Who wrote a method: the library it wraps (``requires``), or ``diffbench``."""
    try:
        import methods

        return ", ".join(methods.method_class(method).requires) or "diffbench"
    except Exception:  # a method not registered here
        return "?"


def peer_comparison(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary rows of every family that has a peer: peers next to the other methods of it.

    Columns: those of :func:`method_summary` plus ``peer`` (bool) and ``source`` (the library
    wrapped, or ``diffbench`` for methods written here).
    """
    s = summary.copy()
    s["peer"] = [is_peer(m) for m in s["method"]]
    s["source"] = [source_of(m) for m in s["method"]]
    families = set(s.loc[s["peer"], "family"])
    out = s[s["family"].isin(families)]
    return out.sort_values(["family", "peer"], kind="stable").reset_index(drop=True)


def estimate_calibration(df: pd.DataFrame) -> pd.DataFrame:
    """How well each method's own error estimate describes its true error.

    Over the accuracy rows (status ok) of every method that returns an estimate: ``rows``;
    ``coverage``, the fraction of rows whose estimate is at least the true absolute error
    (max-norm over coordinates for both); ``coverage_smooth``, the same on the smooth problems;
    ``median_ratio``, the median of estimate / true error over rows with a non-zero true error
    (above 1: the estimate is conservative); ``underestimate_10x``, the fraction of rows whose
    estimate is more than 10x below the true error.
    """
    acc = df[(df["measure"] == "accuracy") & (df["status"] == "ok")]
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


def _peer_section(summary: pd.DataFrame) -> list[str]:
    comp = peer_comparison(summary)
    if comp.empty:
        return ["No peer library ran (install them with `pip install 'diffbench[peers]'`).", ""]
    lines = [
        "Every optional peer library measured in this run, next to diffbench's own methods and the "
        "numpy/scipy functions of the same family, on the same problems and points (`source`: "
        "the library wrapped; medians over the smooth problems; "
        "`failures` counts problems of any kind with best error above 0.001 or no finite "
        "estimate; `prepare (once)` is compiling or tracing, kept out of the time per gradient).",
        "",
    ]
    rows = [
        [
            r["family"],
            r["source"],
            f"`{r['label']}`",
            _fmt(r["median_best_error"]),
            _fmt(r["median_default_error"]),
            "-" if math.isnan(r["nfev_per_coordinate"]) else f"{r['nfev_per_coordinate']:.3g}",
            _fmt_time(r["time"]),
            _fmt_time(r["prepare_time"]),
            str(r["failures"]),
        ]
        for _, r in comp.iterrows()
    ]
    header = [
        "family",
        "source",
        "method",
        "best error",
        "default-step error",
        "nfev / n",
        "time / gradient",
        "prepare (once)",
        "failures",
    ]
    lines.append(_table(header, rows, ["---"] * 3 + ["--:"] * 6))
    return [*lines, ""]


def _calibration_section(df: pd.DataFrame) -> list[str]:
    cal = estimate_calibration(df)
    if cal.empty:
        return ["No method in this run returned an error estimate.", ""]
    lines = [
        "Methods that return their own error estimate, against the true error (both absolute, "
        "max-norm over coordinates, every accuracy row with a result). `coverage`: how often the "
        "estimate is at least the true error; `ratio`: median of estimate / true error (above 1 "
        "is conservative); `10x under`: how often the estimate is more than 10x too small, the "
        "case that misleads a user.",
        "",
    ]
    rows = [
        [
            f"`{r['label']}`",
            str(r["rows"]),
            f"{100 * r['coverage']:.0f} %",
            "-" if math.isnan(r["coverage_smooth"]) else f"{100 * r['coverage_smooth']:.0f} %",
            _fmt(r["median_ratio"]),
            f"{100 * r['underestimate_10x']:.0f} %",
        ]
        for _, r in cal.iterrows()
    ]
    header = ["method", "rows", "coverage", "coverage (smooth)", "ratio", "10x under"]
    lines.append(_table(header, rows, ["---"] + ["--:"] * 5))
    return [*lines, ""]


def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


_MODES = ("error", "nan", "100%", "wrong", "default")
_MODE_WORDS = {
    "error": "raise an error",
    "nan": "return NaN",
    "100%": "have ~100% error (no correct digit even at the best step)",
    "wrong": f"give a wrong answer (best error above {WRONG:g})",
    "default": f"are only right with a tuned step (error above {WRONG:g} at their default step)",
}


def _hazard_section(findings: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for tag, info in findings.items():
        problems = ", ".join(f"`{p}`" for p in info["problems"])
        lines += [f"### {tag} ({problems})", ""]
        failing = set()
        for mode, affected in info["modes"].items():
            if not affected:
                continue
            failing |= set(affected)
            parts = []
            for label, hits in affected.items():
                where = ", ".join(p for p, _ in hits)
                detail = hits[0][1]
                parts.append(f"`{label}` ({where}{': ' + detail if detail else ''})")
            shown = "; ".join(parts[:10])
            more = f"; and {len(parts) - 10} more" if len(parts) > 10 else ""
            lines.append(f"- {len(parts)} method(s) {_MODE_WORDS[mode]}: {shown}{more}.")
        clean = info["clean"]
        if not failing:
            lines.append(f"- No method fails on these problems ({len(clean)} methods ran).")
        elif len(clean) <= 10:
            lines.append(
                f"- Fine on all of them ({len(clean)}): " + ", ".join(f"`{c}`" for c in clean) + "."
            )
        else:
            lines.append(f"- The other {len(clean)} methods are fine on all of them.")
        lines.append("")
    return lines


def render_report(
    df: pd.DataFrame,
    run_info: dict[str, Any] | None = None,
    figures: dict[str, list[Path]] | None = None,
    base: Path | None = None,
) -> str:
    """The Markdown text of the report (figures referenced relative to ``base``)."""
    run_info = run_info or {}
    figures = figures or {}
    base = base or Path(".")
    summary = method_summary(df)
    smooth = smooth_problems(df)
    problems = list(dict.fromkeys(df["problem"]))
    run_id = run_info.get("run_id") or (df["run_id"].iloc[0] if len(df) else "-")
    acc = df[df["measure"] == "accuracy"]
    counts = df["status"].value_counts()
    status = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)

    def rel(p: Path) -> str:
        return Path(os.path.relpath(p, base)).as_posix()

    lines = [
        "# diffbench report",
        "",
        f"{len(df)} measurements ({len(acc)} of accuracy, {len(df) - len(acc)} of cost) of "
        f"{df['label'].nunique()} method configurations on {len(problems)} problems. "
        f"Status: {status}. "
        "All errors are relative max-norm errors against exact SymPy/mpmath gradients. "
        "Definitions are at the end.",
        "",
        "## Which method should I use?",
        "",
        "Derived from this run's measurements (the text is generated, not written by hand):",
        "",
    ]
    lines += [f"- {s}" for s in recommendations(df, summary)]
    lines += ["", "## Methods", ""]
    lines.append(
        f"Medians over the {len(smooth)} smooth problems ({', '.join(smooth) or 'none'}). "
        "`best step` is the measured optimal requested step (median over points), next to "
        "`theoretical_step()`; `window` is the width in decades of the steps whose error is "
        "within 10x of the best; cost is at the default step. `failures` counts problems of any "
        f"kind with best error above {WRONG:g} or no finite estimate."
    )
    lines.append("")
    header = [
        "method",
        "family",
        "kind",
        "best error",
        "default-step error",
        "best step",
        "theory step",
        "window (dec.)",
        "nfev",
        "nfev / n",
        "time / gradient",
        "prepare (once)",
        "failures",
    ]
    rows = []
    for _, r in summary.iterrows():
        rows.append(
            [
                f"`{r['label']}`",
                r["family"],
                r["kind"],
                _fmt(r["median_best_error"]),
                _fmt(r["median_default_error"]),
                _fmt(r["best_step"]),
                _fmt(r["theoretical_step"]),
                "-" if math.isnan(r["window_decades"]) else f"{r['window_decades']:.2f}",
                "-" if math.isnan(r["nfev"]) else f"{r['nfev']:.0f}",
                "-" if math.isnan(r["nfev_per_coordinate"]) else f"{r['nfev_per_coordinate']:.3g}",
                _fmt_time(r["time"]),
                _fmt_time(r["prepare_time"]),
                str(r["failures"]),
            ]
        )
    lines.append(_table(header, rows, ["---"] * 3 + ["--:"] * 10))
    lines += ["", "## Best relative error per problem", ""]
    lines.append(
        "Best attainable error (best step per point, worst point). `fail`: no finite estimate at "
        "some point; `n/a`: not run (unavailable or not applicable). Grid-form rows (`[grid]`) "
        "give the best interior error over grid sizes."
    )
    lines.append("")
    best = best_attainable(df)
    mat_rows = []
    present = set(best["label"])
    order = [c for lab in _labels(df).index for c in (lab, f"{lab} [grid]") if c in present]
    for label in order:
        b = best[best["label"] == label].set_index("problem")
        cells = []
        for p in problems:
            if p not in b.index:
                cells.append("")
                continue
            r = b.loc[p]
            cells.append(
                "n/a" if r["skipped"] else "fail" if r["failed"] else _fmt(r["best_rel_error"], 0)
            )
        mat_rows.append([f"`{label}`", *cells])
    lines.append(_table(["method", *[f"`{p}`" for p in problems]], mat_rows))
    for fig in figures.get("overview", []):
        lines += ["", f"![Best attainable relative error, method x problem]({rel(fig)})"]
    lines += ["", "## Peers: the libraries next to ours", ""]
    lines += _peer_section(summary)
    lines += ["## Error estimates: are they honest?", ""]
    lines += _calibration_section(df)
    lines += ["## Hazards: who fails, and how", ""]
    lines.append(
        "For each hazard tag, the methods that fail on its problems, decided at each method's "
        "best step among the swept ones (so tuning within that range does not help), plus those "
        "that only fail at their default step. Swept steps are absolute (h itself, not scaled "
        "by |x|): on the large-x problems the best step of a finite difference can lie above "
        "the range, which is the hazard those problems show (relative default steps avoid it)."
    )
    lines.append("")
    lines += _hazard_section(hazard_findings(df))
    lines += ["## Cost", ""]
    lines.append(
        "Evaluations of f and time per gradient at the default step (first point of each "
        "problem; time is the median of autoranged repeats, measured serially after the "
        "accuracy sweep). Preparation done once per function (compiling, tracing: JAX, PyTensor, "
        "autograd) is timed apart, in the column `prepare (once)` of the summary, and not "
        "included in the time per gradient. The Pareto front joins the methods no other method "
        "beats on both."
    )
    for fig in figures.get("cost", []):
        lines += ["", f"![Cost against accuracy]({rel(fig)})"]
    lines += ["", "## Error against step, per problem", ""]
    grid_figs = {f.name.removeprefix("grid_"): f for f in figures.get("grid", [])}
    for fig in figures.get("step", []):
        name = fig.name.removeprefix("step_")
        lines += [f"### {name.removesuffix('.png')}", "", f"![Error against step]({rel(fig)})", ""]
        if name in grid_figs:
            lines += [f"![Grid methods: error against grid size]({rel(grid_figs[name])})", ""]
    lines += [
        "## Definitions",
        "",
        "- Relative error: max_i |estimate_i - exact_i| / max_i |exact_i| (the absolute error "
        "where the exact gradient is zero); NaN estimates are failures, never scored.",
        "- Best error at a point: the smallest 3-step running median of the error over the "
        "step range, so one lucky step (an exact cancellation) does not count; then the worst "
        "of the problem's points.",
        "- Steps: `step` is the h passed to `gradient(step=...)`, absolute (not scaled by |x|); "
        "figures plot the step actually used, the representable (x + h) - x. Default steps follow "
        "each method's own rule (finite differences: the error-model optimum times max(1, |x|)).",
        "- `prepare (once)`: time of `prepare(f, n)`, the one-time work per function (JAX "
        "tracing and compiling, PyTensor compiling); methods with nothing to prepare show the "
        "few microseconds of building their gradient function.",
        "- Ends of a step curve score the larger of their two errors; the best step is the first "
        "step that reaches the best score.",
        "- Smooth problems: tagged `smooth` and not `noisy`.",
        "- Grid methods: uniform grids on the problem's domain; `edge` = boundary nodes, "
        "`interior` = the rest; convergence orders are fitted on log-log in the asymptotic range.",
        "",
        "## Environment",
        "",
    ]
    env = [
        ("run id", run_id),
        ("started", run_info.get("started", "-")),
        ("finished", run_info.get("finished", "-")),
        ("status", run_info.get("status", "-")),
        ("duration", f"{run_info['seconds']} s" if "seconds" in run_info else "-"),
        ("worker processes", run_info.get("jobs", "-")),
        ("versions", df["versions"].iloc[0] if len(df) else "-"),
        ("platform", run_info.get("platform", "-")),
    ]
    lines += [f"- {k}: {v}" for k, v in env]
    lines.append("")
    return "\n".join(lines)


def write_report(
    source: str | os.PathLike | pd.DataFrame = "reports",
    output: str | os.PathLike | None = None,
    *,
    figures: bool = True,
) -> Path:
    """Draw the figures and write the Markdown report.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        A run directory (holding ``results.csv`` and ``run.json``) or a results table.
    output : path-like, optional
        The report file; default ``<source>/REPORT.md`` (required when ``source`` is a table).
        Figures go to ``figures/`` next to it.
    figures : bool, default True
        Draw the PNG figures (and embed them).

    Returns
    -------
    pathlib.Path
        The report written.

    Raises
    ------
    diffbench.store.ResultsFileError
        The results file is missing or corrupt (it is not modified).
    """
    run_info: dict[str, Any] = {}
    if isinstance(source, pd.DataFrame):
        if output is None:
            raise ValueError("`output` is required when `source` is a DataFrame.")
        df = source
    else:
        directory = Path(source)
        df = read_results(directory if directory.suffix != ".csv" else directory)
        info_dir = directory if directory.suffix != ".csv" else directory.parent
        try:
            run_info = read_run_info(info_dir)
        except ValueError:
            run_info = {}
        output = output or (info_dir / "REPORT.md")
    if df.empty:
        raise ValueError(f"the results in {source!s} contain no measurements.")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    figs = save_figures(df, out.parent / "figures") if figures else {}
    text = render_report(df, run_info, figs, base=out.parent)
    out.write_text(text, encoding="utf-8")
    return out
