"""The sections of REPORT.md, each a list of Markdown blocks (paragraphs, tables, lists).

Every number comes from :mod:`diffbench.analysis`; every figure is found through the figure
registry (:data:`diffbench.figures.FIGURES`). :func:`diffbench.report.render_report` joins the
blocks with blank lines.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .analysis import (
    WRONG,
    best_attainable,
    display_label,
    estimate_calibration,
    hazard_findings,
    peer_comparison,
    step_column,
)
from .figures.registry import FIGURES
from .report_advice import step_at_largest
from .schema import STATUSES
from .text import fmt_count, fmt_number, fmt_time, markdown_table

__all__ = [
    "MODE_WORDS",
    "intro",
    "methods_section",
    "best_section",
    "peer_section",
    "calibration_section",
    "hazard_section",
    "cost_section",
    "problem_figures_section",
    "definitions_section",
    "environment_section",
    "embedded_figures",
    "step_words",
]

#: How the report words each failure mode of :data:`diffbench.analysis.MODES`.
MODE_WORDS = {
    "error": "raise an error",
    "nan": "return NaN",
    "100%": "have ~100% error (no correct digit even at the best swept step)",
    "wrong": f"give a wrong answer (error above {WRONG:g} at the best swept step)",
    "default": f"are only right with a tuned step (error above {WRONG:g} at their default step)",
}

#: Figures found by the report: figure name -> written paths (:func:`save_figures`).
Figures = Mapping[str, list[Path]]


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def embedded_figures(
    figures: Figures, section: str, base: Path, problem: str | None = None
) -> list[str]:
    """Image links of the figures the registry places in ``section`` (of ``problem``, for the
    per-problem ones), in registry order, relative to ``base``."""
    blocks = []
    for spec in FIGURES:
        if spec.section != section:
            continue
        paths = list(figures.get(spec.name, []))
        if spec.per_problem:
            wanted = spec.filename(problem)
            paths = [p for p in paths if p.name == wanted]
        blocks += [f"![{spec.caption}]({Path(os.path.relpath(p, base)).as_posix()})" for p in paths]
    return blocks


def problem_figures_section(df: pd.DataFrame, figures: Figures, base: Path) -> list[str]:
    """A heading per problem with figures, then its figures."""
    blocks = ["## Error against step, per problem"]
    for problem in dict.fromkeys(df["problem"]):
        shown = embedded_figures(figures, "problem", base, problem)
        if shown:
            blocks += [f"### {problem}", *shown]
    return blocks


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
#: The first line of every report; an existing file without it is never overwritten.
REPORT_HEADING = "# diffbench report"


def intro(df: pd.DataFrame) -> list[str]:
    """Title and one paragraph: what was measured, and the status counts."""
    acc = df[df["measure"] == "accuracy"]
    counts = df["status"].value_counts()
    status = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
    return [
        REPORT_HEADING,
        f"{len(df)} measurements ({len(acc)} of accuracy, {len(df) - len(acc)} of cost) of "
        f"{df['label'].nunique()} method configurations on {df['problem'].nunique()} problems. "
        f"Status: {status}. "
        f"All errors are relative max-norm errors against exact SymPy/mpmath "
        f"{_kinds_measured(df)}. "
        "Definitions are at the end.",
    ]


#: How the intro names each derivative kind (``derivative_kind`` column), in this order.
_KIND_WORDS = {
    "gradient": "gradients",
    "jacobian": "Jacobians",
    "hessian": "Hessians",
    "derivative": "k-th derivatives",
}


def _kinds_measured(df: pd.DataFrame) -> str:
    """The kinds in the table, in words: 'gradients', 'gradients, Jacobians and Hessians'."""
    present = set(df["derivative_kind"]) if "derivative_kind" in df else {"gradient"}
    words = [w for k, w in _KIND_WORDS.items() if k in present] or ["derivatives"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


#: Headers of the methods table; each says its basis (defined in the Definitions).
_METHOD_HEADER = [
    "method",
    "family",
    "kind",
    "best error (best swept step)",
    "default-step error",
    "best step",
    "theory step",
    "safe window (dec.)",
    "nfev",
    "nfev / n",
    "time / gradient",
    "prepare (once)",
    "failures: default step",
    "failures: best swept step",
]


def _failures(r: pd.Series) -> str:
    """``k of m`` problems with a default-step measurement; ``-`` without any."""
    m = r.get("default_problems", 0)
    return f"{int(r['default_failures'])} of {int(m)}" if m else "-"


def _method_row(r: pd.Series) -> list[str]:
    return [
        f"`{r['label']}`",
        r["family"],
        r["kind"],
        fmt_number(r["median_best_error"]),
        fmt_number(r["median_default_error"]),
        fmt_number(r["best_step"]) + (" (largest swept)" if step_at_largest(r) else ""),
        fmt_number(r["theoretical_step"]),
        fmt_count(r["window_decades"], ".2f"),
        fmt_count(r["nfev"], ".0f"),
        fmt_count(r["nfev_per_coordinate"]),
        fmt_time(r["time"]),
        fmt_time(r["prepare_time"]),
        _failures(r),
        str(r["failures"]),
    ]


def step_words(relative: bool) -> str:
    """How the report names the swept step: relative (schema 3) or absolute (schema 2)."""
    return "relative step h / max(1, |x|)" if relative else "absolute step h"


def methods_section(summary: pd.DataFrame, smooth: list[str], relative: bool = False) -> list[str]:
    """The summary table of :func:`diffbench.analysis.method_summary`, every column on a stated
    basis; ``relative``: the table's steps are relative (``step_rel``)."""
    text = (
        f"Every error, step and cost column is the median over the {len(smooth)} smooth "
        f"problem(s) "
        f"({', '.join(smooth) or 'none'}) of one value per problem, **at its first point** (the "
        "point where the default-step measurements are made), so the columns compare like with "
        "like: `best error` at the best swept step there, `default-step error` at the method's "
        f"default step there. `best step` is the measured optimal {step_words(relative)} "
        "(median), next to `theoretical_step()`; `safe window` is the width in decades of the "
        "steps around the best whose error is at most max(10 x best, 4 eps); `(largest swept)`: "
        "the best step is the sweep's largest on most of these problems, where the error may "
        "fall further above the range or the stencil is exact (order p on a polynomial of "
        "degree <= p: the problems tagged polynomial), so it is no step to use on other "
        "functions (the headline advice takes its medians over the smooth problems not tagged "
        "polynomial). Cost columns are "
        "at the default step. The two `failures` columns count problems of *any* kind: at the "
        f"default step (first point: error above {WRONG:g} or no finite estimate; what a user "
        f"gets without tuning) and at the best swept step (worst point: best error above "
        f"{WRONG:g} or no finite estimate; what tuning can reach). Definitions at the end."
    )
    rows = [_method_row(r) for _, r in summary.iterrows()]
    return ["## Methods", text, markdown_table(_METHOD_HEADER, rows, ["---"] * 3 + ["--:"] * 11)]


def _best_cell(r: pd.Series) -> str:
    return "n/a" if r["skipped"] else "fail" if r["failed"] else fmt_number(r["best_rel_error"], 0)


def best_section(df: pd.DataFrame, figures: Figures, base: Path) -> list[str]:
    """Best attainable error, one row per label and form, one column per problem."""
    text = (
        "Best attainable error on each problem: at each point the best error over the swept "
        "steps, then the **worst of the problem's points** (so a method listed here with a small "
        "error is right at every point, if its step is tuned per point). `fail`: no finite "
        "estimate at some point; `n/a`: not run (unavailable or not applicable). Grid-form rows "
        "(`[grid]`) give the best interior error over grid sizes."
    )
    problems = list(dict.fromkeys(df["problem"]))
    rows = []
    for (label, form), b in best_attainable(df).groupby(["label", "form"], sort=False):
        cells = b.set_index("problem")
        rows.append(
            [
                f"`{display_label(label, form)}`",
                *[_best_cell(cells.loc[p]) if p in cells.index else "" for p in problems],
            ]
        )
    table = markdown_table(["method", *[f"`{p}`" for p in problems]], rows)
    return [
        "## Best relative error per problem",
        text,
        table,
        *embedded_figures(figures, "overview", base),
    ]


_PEER_TEXT = (
    "Every optional peer library measured in this run, next to diffbench's own methods and the "
    "numpy/scipy functions of the same family, on the same problems and points (`source`: "
    "the library wrapped). Columns as in the methods table: medians over the first point of "
    "each smooth problem; `failures` over all problems, at the default step and at the best "
    f"swept step (error above {WRONG:g} or no finite estimate); `prepare (once)` is compiling "
    "or tracing, kept out of the time per gradient."
)


def peer_section(summary: pd.DataFrame) -> list[str]:
    """Peers next to the other methods of their family (:func:`peer_comparison`)."""
    blocks = ["## Peers: the libraries next to ours"]
    comp = peer_comparison(summary)
    if comp.empty:
        return [
            *blocks,
            "No peer library ran (install them with `pip install 'diffbench[peers]'`).",
        ]
    rows = [
        [
            r["family"],
            r["source"],
            f"`{r['label']}`",
            fmt_number(r["median_best_error"]),
            fmt_number(r["median_default_error"]),
            fmt_count(r["nfev_per_coordinate"]),
            fmt_time(r["time"]),
            fmt_time(r["prepare_time"]),
            _failures(r),
            str(r["failures"]),
        ]
        for _, r in comp.iterrows()
    ]
    header = ["family", "source", "method", *_METHOD_HEADER[3:5], "nfev / n"]
    header += ["time / gradient", "prepare (once)", *_METHOD_HEADER[-2:]]
    return [*blocks, _PEER_TEXT, markdown_table(header, rows, ["---"] * 3 + ["--:"] * 7)]


_CALIBRATION_TEXT = (
    "Methods that return their own error estimate, against the true error (both absolute, "
    "max-norm over coordinates, every accuracy row with a result). `coverage`: how often the "
    "estimate is at least the true error; `ratio`: median over **every** such row of "
    "estimate / max(true error, eps x |exact gradient|) (a true error of exactly 0 counts as "
    "rounding level, so no row is dropped; above 1 is conservative); `10x under`: how often "
    "the estimate is more than 10x too small, the case that misleads a user."
)


def _percent(v: float) -> str:
    return "-" if math.isnan(v) else f"{100 * v:.0f} %"


def calibration_section(df: pd.DataFrame) -> list[str]:
    """Honesty of the methods' own error estimates (:func:`estimate_calibration`)."""
    blocks = ["## Error estimates: are they honest?"]
    cal = estimate_calibration(df)
    if cal.empty:
        return [*blocks, "No method in this run returned an error estimate."]
    rows = [
        [
            f"`{r['label']}`",
            str(r["rows"]),
            _percent(r["coverage"]),
            _percent(r["coverage_smooth"]),
            fmt_number(r["median_ratio"]),
            _percent(r["underestimate_10x"]),
        ]
        for _, r in cal.iterrows()
    ]
    header = ["method", "rows", "coverage", "coverage (smooth)", "ratio", "10x under"]
    return [*blocks, _CALIBRATION_TEXT, markdown_table(header, rows, ["---"] + ["--:"] * 5)]


def _hazard_text(relative: bool) -> str:
    head = (
        "For each hazard tag, the methods that fail on its problems, decided at each method's "
        "best swept step, worst point (so tuning within the swept range does not help), plus "
        "those that fail only at their default step (first point). "
    )
    if relative:
        return head + (
            "Swept steps are relative: the method gets h_i = step x max(1, |x_i|), so large-x "
            "problems are swept around the steps that suit them."
        )
    return head + (
        "Swept steps are absolute (h itself, not scaled by |x|): on the large-x problems the "
        "best step of a finite difference can lie above the range, which is the hazard those "
        "problems show (relative default steps avoid it)."
    )


def _mode_line(mode: str, affected: dict[str, list[tuple[str, str]]]) -> str:
    parts = []
    for label, hits in affected.items():
        where = ", ".join(p for p, _ in hits)
        detail = hits[0][1]
        parts.append(f"`{label}` ({where}{': ' + detail if detail else ''})")
    shown = "; ".join(parts[:10])
    more = f"; and {len(parts) - 10} more" if len(parts) > 10 else ""
    return f"- {len(parts)} method(s) {MODE_WORDS[mode]}: {shown}{more}."


def _clean_line(clean: list[str], any_failing: bool) -> str:
    if not any_failing:
        return f"- No method fails on these problems ({len(clean)} methods ran)."
    if len(clean) <= 10:
        return f"- Fine on all of them ({len(clean)}): " + ", ".join(f"`{c}`" for c in clean) + "."
    return f"- The other {len(clean)} methods are fine on all of them."


def hazard_section(df: pd.DataFrame) -> list[str]:
    """Per hazard tag, who fails and how (:func:`hazard_findings`)."""
    blocks = ["## Hazards: who fails, and how", _hazard_text(step_column(df) == "step_rel")]
    for tag, info in hazard_findings(df).items():
        problems = ", ".join(f"`{p}`" for p in info["problems"])
        lines = [_mode_line(m, affected) for m, affected in info["modes"].items() if affected]
        lines.append(_clean_line(info["clean"], bool(lines)))
        blocks += [f"### {tag} ({problems})", "\n".join(lines)]
    return blocks


def cost_section(figures: Figures, base: Path) -> list[str]:
    """What the cost figures show, and the figures."""
    text = (
        "Evaluations of f and time per gradient against the relative error, **all three at the "
        "default step** from the same measurements (medians over the first point of each "
        "smooth problem; time is the median of autoranged repeats, measured serially after the "
        "accuracy sweep). An error of exactly 0 sits in the grey band left of the errors, a "
        "method that never calls f (formula-driven AD, symbolic) in the grey band below the "
        "counts: outside the log scale, not at a made-up value, and not on the Pareto front, "
        "which joins the methods of the data range no other method beats on both. Preparation "
        "done once per function (compiling, tracing: JAX, PyTensor, autograd) is timed apart, "
        "in the column `prepare (once)` of the summary, and not included in the time per "
        "gradient."
    )
    return ["## Cost", text, *embedded_figures(figures, "cost", base)]


def _definitions(relative: bool) -> tuple[str, ...]:
    steps = (
        "- Steps: the sweep passes a relative step: the method gets h_i = step x max(1, |x_i|) "
        "per coordinate; figures and the `best step` column use this relative step "
        "h / max(1, |x|) (an adaptive method's own step is divided by max(1, |x|) to be drawn "
        "on the same axis)."
        if relative
        else "- Steps: `step` is the h passed to `gradient(step=...)`, absolute (not scaled by "
        "|x|); figures plot the step actually used, the representable (x + h) - x."
    )
    return (
        "- Relative error: max_i |estimate_i - exact_i| / max_i |exact_i| (the absolute error "
        "where the exact gradient is zero); NaN estimates are failures, never scored.",
        "- Best error at a point (*at the best swept step*): the smallest 3-step running median "
        "of the error over the swept steps, so one lucky step (an exact cancellation) does not "
        "count; the ends of the step range score the larger of their two errors. The *best "
        "swept step* is the first step that reaches this score. Being a median of three "
        "neighbouring steps, it can sit a little above one well-placed step: a default-step "
        "error slightly below the best error (same point) is luck of that one step, not a "
        "contradiction.",
        "- Default-step error (*at the default step*): the error of the measurement made with "
        "`step=None`, the method's own default, as production runs it; measured once per "
        "problem, at its *first point* (the same measurement gives `nfev`, `time` and "
        "`prepare (once)`).",
        "- Methods and peers tables: every error, step and cost column is the median over the "
        "smooth problems of one value per problem at its first point (a failure counts as "
        "infinite), so `best error` and `default-step error` share one basis.",
        "- Best relative error per problem (table and overview figure): the best error at each "
        "point, then the *worst point* of the problem.",
        "- Failures (over all problems, not only smooth ones): *at the default step*: the "
        f"first-point default-step measurement has no finite estimate or an error above "
        f"{WRONG:g}, written `k of m` (m: problems with a default-step measurement); *at the "
        f"best swept step*: at some point no finite estimate, or a best error above {WRONG:g}. "
        "Recommendations for production use the default-step count.",
        "- Safe window (decades): the width, in decades of step, of the contiguous steps around "
        "the best swept step whose error is at most max(10 x best error, 4 eps); the floor "
        "4 eps = 8.9e-16 keeps a method whose best error is exactly 0 from having a window of "
        "only its exact zeros.",
        "- Theory step: the method's `theoretical_step()`, the error-model optimum for a "
        "unit-scale problem (its default step is this times max(1, |x|)).",
        steps,
        "- nfev: evaluations of f per gradient at the default step (0: the method never calls "
        "f; it uses the formula); nfev / n: per coordinate. Time / gradient: median of "
        "autoranged repeats.",
        "- `prepare (once)`: time of `prepare(f, n)`, the one-time work per function (JAX "
        "tracing and compiling, PyTensor compiling); methods with nothing to prepare show the "
        "few microseconds of building their gradient function.",
        "- Error estimates: `coverage`, share of rows whose estimate >= true absolute error; "
        "`ratio`, median of estimate / max(true error, eps x max_i |exact_i|) over every row "
        "(none dropped: a zero true error counts as rounding level); `10x under`, share of rows "
        "whose estimate is under a tenth of the true error.",
        '- Smooth problems: tagged `smooth` and not `noisy`. The headline advice ("Which method '
        'should I use?") takes its medians over those not tagged `polynomial` (all of them if '
        "every one is): an order-p stencil is exact on a polynomial of degree <= p. Rounding "
        "level: a median error of at most 4 eps = 8.9e-16.",
        "- Noisy problems (`~noise` in the name): the noise-free function plus noise that is a "
        "deterministic function of the point (the same value at the same x). Methods that "
        "differentiate the formula, or carry dual numbers or a complex step through f, see that "
        "noise as locally constant and get the noise-free derivative; they measure a program "
        "whose noise does not vary smoothly with x. On code whose noise does (an iterative "
        "solver's tolerance, for example) they would carry it into the derivative, as finite "
        "differences do.",
        "- Grid methods: uniform grids on the problem's domain; `edge` = boundary nodes (of a "
        "k-th derivative or Hessian: the nodes a one-sided formula reaches), `interior` = the "
        "rest; convergence orders are fitted on log-log over the last 3 grid sizes before the "
        "rounding floor (the figure's legend names them); the edge's theory order is the one "
        "the method declares (`edge_truncation_order`).",
    )


def definitions_section(relative: bool = False) -> list[str]:
    """The definitions the report's numbers follow (``relative``: the steps are relative)."""
    return ["## Definitions", "\n".join(_definitions(relative))]


def _provenance(run_info: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The run's recorded provenance (``run.json``'s ``provenance``), or "not recorded"."""
    prov = run_info.get("provenance")
    if not isinstance(prov, Mapping):
        return [("provenance", "not recorded (this run's run.json has none)")]
    commit = prov.get("git_commit") or "not recorded"
    dirty = prov.get("git_dirty")
    state = {True: " (uncommitted changes)", False: " (clean)"}.get(dirty, "")
    packages = prov.get("packages") or {}
    listed = ", ".join(f"{k} {v}" for k, v in sorted(packages.items())) or "not recorded"
    return [
        ("git commit", f"{commit}{state}"),
        ("packages", listed),
        ("BLAS", prov.get("blas") or "not recorded"),
        ("CPU", prov.get("cpu") or "not recorded"),
        ("machine", prov.get("machine") or "not recorded"),
    ]


def environment_section(df: pd.DataFrame, run_info: Mapping[str, Any]) -> list[str]:
    """Run id, times, versions, platform and provenance (commit, packages, BLAS, CPU)."""
    run_id = run_info.get("run_id") or (df["run_id"].iloc[0] if len(df) else "-")
    env = [
        ("run id", run_id),
        ("started", run_info.get("started", "-")),
        ("finished", run_info.get("finished", "-")),
        ("status", run_info.get("status", "-")),
        ("duration", f"{run_info['seconds']} s" if "seconds" in run_info else "-"),
        ("ran on", _ran_on(run_info)),
        ("versions", df["versions"].iloc[0] if len(df) else "-"),
        ("platform", run_info.get("platform", "-")),
        *_provenance(run_info),
    ]
    return ["## Environment", "\n".join(f"- {k}: {v}" for k, v in env)]


def _ran_on(run_info: Mapping[str, Any]) -> str:
    """Where the accuracy tasks ran: a dask scheduler's address, or the local worker count."""
    if run_info.get("scheduler"):
        return f"dask cluster at {run_info['scheduler']} (cost pass serial, in the writer)"
    jobs = run_info.get("jobs")
    return "-" if jobs is None else f"{jobs} local worker process(es)"
