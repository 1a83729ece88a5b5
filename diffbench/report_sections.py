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
)
from .figures.registry import FIGURES
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
]

#: How the report words each failure mode of :data:`diffbench.analysis.MODES`.
MODE_WORDS = {
    "error": "raise an error",
    "nan": "return NaN",
    "100%": "have ~100% error (no correct digit even at the best step)",
    "wrong": f"give a wrong answer (best error above {WRONG:g})",
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
        "All errors are relative max-norm errors against exact SymPy/mpmath gradients. "
        "Definitions are at the end.",
    ]


_METHOD_HEADER = [
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


def _method_row(r: pd.Series) -> list[str]:
    return [
        f"`{r['label']}`",
        r["family"],
        r["kind"],
        fmt_number(r["median_best_error"]),
        fmt_number(r["median_default_error"]),
        fmt_number(r["best_step"]),
        fmt_number(r["theoretical_step"]),
        fmt_count(r["window_decades"], ".2f"),
        fmt_count(r["nfev"], ".0f"),
        fmt_count(r["nfev_per_coordinate"]),
        fmt_time(r["time"]),
        fmt_time(r["prepare_time"]),
        str(r["failures"]),
    ]


def methods_section(summary: pd.DataFrame, smooth: list[str]) -> list[str]:
    """The summary table of :func:`diffbench.analysis.method_summary`."""
    text = (
        f"Medians over the {len(smooth)} smooth problems ({', '.join(smooth) or 'none'}). "
        "`best step` is the measured optimal requested step (median over points), next to "
        "`theoretical_step()`; `window` is the width in decades of the steps whose error is "
        "within 10x of the best; cost is at the default step. `failures` counts problems of any "
        f"kind with best error above {WRONG:g} or no finite estimate."
    )
    rows = [_method_row(r) for _, r in summary.iterrows()]
    return ["## Methods", text, markdown_table(_METHOD_HEADER, rows, ["---"] * 3 + ["--:"] * 10)]


def _best_cell(r: pd.Series) -> str:
    return "n/a" if r["skipped"] else "fail" if r["failed"] else fmt_number(r["best_rel_error"], 0)


def best_section(df: pd.DataFrame, figures: Figures, base: Path) -> list[str]:
    """Best attainable error, one row per label and form, one column per problem."""
    text = (
        "Best attainable error (best step per point, worst point). `fail`: no finite estimate at "
        "some point; `n/a`: not run (unavailable or not applicable). Grid-form rows (`[grid]`) "
        "give the best interior error over grid sizes."
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
    "the library wrapped; medians over the smooth problems; "
    "`failures` counts problems of any kind with best error above 0.001 or no finite "
    "estimate; `prepare (once)` is compiling or tracing, kept out of the time per gradient)."
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
            str(r["failures"]),
        ]
        for _, r in comp.iterrows()
    ]
    header = ["family", "source", "method", "best error", "default-step error", "nfev / n"]
    header += ["time / gradient", "prepare (once)", "failures"]
    return [*blocks, _PEER_TEXT, markdown_table(header, rows, ["---"] * 3 + ["--:"] * 6)]


_CALIBRATION_TEXT = (
    "Methods that return their own error estimate, against the true error (both absolute, "
    "max-norm over coordinates, every accuracy row with a result). `coverage`: how often the "
    "estimate is at least the true error; `ratio`: median of estimate / true error (above 1 "
    "is conservative); `10x under`: how often the estimate is more than 10x too small, the "
    "case that misleads a user."
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


_HAZARD_TEXT = (
    "For each hazard tag, the methods that fail on its problems, decided at each method's "
    "best step among the swept ones (so tuning within that range does not help), plus those "
    "that only fail at their default step. Swept steps are absolute (h itself, not scaled "
    "by |x|): on the large-x problems the best step of a finite difference can lie above "
    "the range, which is the hazard those problems show (relative default steps avoid it)."
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
    blocks = ["## Hazards: who fails, and how", _HAZARD_TEXT]
    for tag, info in hazard_findings(df).items():
        problems = ", ".join(f"`{p}`" for p in info["problems"])
        lines = [_mode_line(m, affected) for m, affected in info["modes"].items() if affected]
        lines.append(_clean_line(info["clean"], bool(lines)))
        blocks += [f"### {tag} ({problems})", "\n".join(lines)]
    return blocks


def cost_section(figures: Figures, base: Path) -> list[str]:
    """What the cost figures show, and the figures."""
    text = (
        "Evaluations of f and time per gradient at the default step (first point of each "
        "problem; time is the median of autoranged repeats, measured serially after the "
        "accuracy sweep). Preparation done once per function (compiling, tracing: JAX, PyTensor, "
        "autograd) is timed apart, in the column `prepare (once)` of the summary, and not "
        "included in the time per gradient. The Pareto front joins the methods no other method "
        "beats on both."
    )
    return ["## Cost", text, *embedded_figures(figures, "cost", base)]


_DEFINITIONS = (
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
)


def definitions_section() -> list[str]:
    """The definitions the report's numbers follow."""
    return ["## Definitions", "\n".join(_DEFINITIONS)]


def environment_section(df: pd.DataFrame, run_info: Mapping[str, Any]) -> list[str]:
    """Run id, times, versions and platform."""
    run_id = run_info.get("run_id") or (df["run_id"].iloc[0] if len(df) else "-")
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
    return ["## Environment", "\n".join(f"- {k}: {v}" for k, v in env)]
