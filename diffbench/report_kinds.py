"""The report's sections on Jacobians, Hessians and k-th derivatives: one per kind in the table.

Each section starts with a recommendation computed from this run's default-step results
(:func:`diffbench.analysis_kinds.kind_recommendations`: with the formula or dual/complex
arithmetic, as a black box, robust, cheapest with 8+ correct digits; per order k for
derivatives whose picks differ), then has a methods table (best and default-step errors, both
at each problem's first point: :mod:`diffbench.analysis_kinds`), a table of best errors per
problem (worst over the points), the default-step failures, and the error-against-step figures
of its problems (the registry's ``kinds`` section, with theory slopes), and, where grid methods
were measured in their grid form, the observed convergence order per method and region against
theory (:mod:`diffbench.analysis_kind_grids`) with error-against-grid-size figures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .analysis_base import WRONG
from .analysis_kind_grids import kind_grid_summary
from .analysis_kinds import (
    ADVICE,
    GOOD_ERROR,
    KIND_TITLES,
    kind_best,
    kind_defaults,
    kind_recommendations,
    kind_rows,
    kind_summary,
    kinds_present,
)
from .report_sections import Figures, embedded_figures
from .text import fmt_count, fmt_number, markdown_table

__all__ = ["kinds_sections", "kind_section"]

#: What each kind's section says it measures, and its rounding slope.
_WHAT = {
    "jacobian": "Jacobians of maps R^n -> R^m (problems of `diffbench.battery_kinds`); "
    "rounding error grows like eps/h",
    "hessian": "Hessians of f: R^n -> R; rounding error grows like eps/h^2; the methods table "
    "also gives the largest asymmetry max|H - H^T| / max|H| at the default step",
    "derivative": "k-th derivatives (k = 2, 3, 4) of the one-dimensional battery; rounding "
    "error grows like eps/h^k",
}


#: What one estimate of each kind is called ("evaluations of f per ...").
_UNIT = {"jacobian": "Jacobian", "hessian": "Hessian", "derivative": "derivative"}
#: The basis of every median in a recommendation.
_BASIS = "median over the first point of each problem"


def _pick(r: pd.Series, failures: bool = True) -> str:
    """One recommended label with its default-step error, evaluations (and failures)."""
    fails = (
        f", fails at its default step on {int(r['default_failures'])} of "
        f"{int(r['default_problems'])} problems"
        if failures
        else ""
    )
    return (
        f"`{r['label']}` (error {fmt_number(r['median_default_error'])}, nfev "
        f"{fmt_count(float(r['median_nfev']))}{fails})"
    )


def _picks(frame: pd.DataFrame, k: int = 3) -> str:
    """Up to ``k`` labels with their numbers, then the others by name (a sentence names every
    method its claim is about); failures said once if the first ``k`` have the same count."""
    shown = frame.head(k)
    counts = set(zip(shown["default_failures"], shown["default_problems"], strict=True))
    same = len(counts) == 1
    items = ", ".join(_pick(r, failures=not same) for _, r in shown.iterrows())
    rest = [f"`{lab}`" for lab in frame["label"].iloc[k:]]
    more = f" and also {', '.join(rest)}" if rest else ""
    if not same:
        return items + more
    f, n = (int(c) for c in counts.pop())
    fails = f"each fails on {f} of {n} problems" if f else f"none fails on any of {n} problems"
    those = f"of the first {len(shown)}" if rest else "of those shown"
    return f"{items}{more} (at its default step, {those} {fails})"


def _advice_lines(rec: pd.DataFrame, unit: str, brief: bool = False) -> list[str]:
    """The recommendation sentences of one set of picks (all the rows, or one order k); brief:
    short lead-ins for the per-k lines (the basis is said once before them)."""
    by = {a: g for a, g in rec.groupby("advice", sort=False)}
    good = fmt_number(GOOD_ERROR, 0)
    lead = by["black-box"].iloc[0] if "black-box" in by else None
    texts = {
        "formula": lambda f: (
            "formula, dual or complex: " + _picks(f)
            if brief
            else "**If you have the formula or can run f on dual or complex numbers** (not a "
            f"black box): {_picks(f)} give {fmt_number(f['median_default_error'].max())} or "
            f"better at their default step, with no step to choose ({_BASIS})."
        ),
        "black-box": lambda f: (
            "black box, most accurate: " + _pick(f.iloc[0])
            if brief
            else "**If f is a black box** (real evaluations only), the most accurate at its "
            f"default step ({_BASIS}): {_pick(f.iloc[0])}."
        ),
        "robust": lambda f: (
            "black box, fewest failures: " + _pick(f.iloc[0])
            if brief
            else "**Black box, robust at the default step** (fewest default-step failures, as "
            f"a share of its problems): {_pick(f.iloc[0])}; the most accurate one above fails "
            f"on {int(lead['default_failures'])} of {int(lead['default_problems'])}."
        ),
        "cheapest": lambda f: (
            f"cheapest black box with 8+ digits: {_pick(f.iloc[0])}"
            if brief
            else "**Cheapest black-box method with 8+ correct digits at its default step** "
            f"(median error <= {good}, fewest evaluations of f per {unit}): "
            f"{_pick(f.iloc[0])}."
        ),
    }
    lines = [texts[a](by[a]) for a in ADVICE if a in by]
    if lead is not None and "cheapest" not in by:
        lines.append(
            "no black box with 8+ digits"
            if brief
            else "**No black-box method has 8+ correct digits at its default step** (median "
            f"error <= {good}, {_BASIS})."
        )
    return lines


def _recommendation(rows: pd.DataFrame, kind: str) -> list[str]:
    """The section's "Recommendation" blocks (none if no method has a default-step result)."""
    rec = kind_recommendations(rows)
    if rec.empty:
        return []
    pooled = rec[rec["deriv"].isna()]
    blocks = [
        "**Recommendation** (from this run's default-step results, each problem at its first "
        f"point; a failure is no finite estimate or an error above {WRONG:g} and counts as "
        "infinite in the medians; nfev = evaluations of f per "
        f"{_UNIT[kind]}, at the default step):",
        "\n".join(f"- {line}" for line in _advice_lines(pooled, _UNIT[kind])),
    ]
    per_k = rec[rec["deriv"].notna()]
    if per_k.empty:
        return blocks
    lines = []
    for k, g in per_k.groupby("deriv", sort=True):
        lines.append(
            f"- **k = {k}**: " + "; ".join(_advice_lines(g, _UNIT[kind], brief=True)) + "."
        )
    return [
        *blocks,
        "The first choices differ between the orders k, so per k (the same rules, medians over "
        "the first point of each problem of that k; the methods table below pools them):",
        "\n".join(lines),
    ]


def _methods_table(summary: pd.DataFrame, hessian: bool) -> str:
    header = ["method", "kind", "order", "problems", "best error", "default-step error",
              "nfev (default)", "failures: default step"]  # fmt: skip
    if hessian:
        header.insert(6, "asymmetry")
    rows = []
    for _, r in summary.iterrows():
        row = [
            f"`{r['label']}`",
            str(r["kind"]),
            "-" if pd.isna(r["order"]) else str(int(r["order"])),
            str(r["problems"]),
            fmt_number(r["median_best_error"]),
            fmt_number(r["median_default_error"]),
            fmt_count(r["median_nfev"]),
            f"{r['default_failures']}",
        ]
        if hessian:
            row.insert(6, fmt_number(r["max_asymmetry"]))
        rows.append(row)
    return markdown_table(header, rows)


def _best_table(rows: pd.DataFrame) -> str:
    best = kind_best(rows)
    best = best[~best["skipped"]]
    labels = list(dict.fromkeys(best["label"]))
    problems = list(dict.fromkeys(best["problem"]))
    cells = {(r["label"], r["problem"]): r for _, r in best.iterrows()}
    table = []
    for p in problems:
        line = [f"`{p}`"]
        for lab in labels:
            r = cells.get((lab, p))
            line.append("" if r is None else "fails" if r["failed"] else
                        fmt_number(r["best_rel_error"]))  # fmt: skip
        table.append(line)
    return markdown_table(["problem", *[f"`{lab}`" for lab in labels]], table)


def _failures(rows: pd.DataFrame) -> list[str]:
    d = kind_defaults(rows)
    d = d[d["failed"]]
    if d.empty:
        return [f"No default-step result failed (every one is finite with an error <= {WRONG:g})."]
    lines = []
    for (label, problem), g in d.groupby(["label", "problem"], sort=False):
        r = g.iloc[0]
        why = r["message"] if r["status"] != "ok" else f"error {fmt_number(r['rel_error'])}"
        lines.append(f"- `{label}` on `{problem}` ({len(g)} point(s)): {why}")
    return [f"Default-step failures (no finite estimate, or an error above {WRONG:g}):",
            "\n".join(lines)]  # fmt: skip


def _skipped(rows: pd.DataFrame) -> list[str]:
    s = rows[rows["status"] == "skipped"]
    if s.empty:
        return []
    by_reason = s.groupby("message", sort=False)["problem"].unique()
    return [
        "Not measured: "
        + "; ".join(f"{', '.join(f'`{p}`' for p in ps)}: {why}" for why, ps in by_reason.items())
        + "."
    ]


def _order(p: float, spec: str = ".2f") -> str:
    return "-" if pd.isna(p) else format(float(p), spec)


def _region(r: pd.Series) -> str:
    ks = r.get("derivs") or ()
    return f"{r['region']} (k = {', '.join(str(k) for k in ks)})" if len(ks) else r["region"]


def _grid_orders(rows: pd.DataFrame) -> list[str]:
    summary = kind_grid_summary(rows)
    if summary.empty:
        return []
    table = [
        [f"`{r['label']}`", _region(r), _order(r["theory"], "g"), _order(r["median_observed"]),
         f"{r['problems']} of {r['measured']}", fmt_number(r["median_best_error"])]
        for _, r in summary.iterrows()
    ]  # fmt: skip
    header = ["grid method", "region", "theory order", "observed order (median)",
              "problems with an order", "best error (median)"]  # fmt: skip
    return [
        "Grid methods in their grid form (the samples of each problem's domain on the gradient "
        "sweep's grid sizes, the exact value at every node): the observed convergence order "
        "`error ~ N^-p` fitted on the last grids before the rounding floor "
        "(`diffbench.analysis.fit_order`), median over the problems with enough grids, next to "
        "the order theory gives in the region. `edge` is the band of nodes a one-sided "
        "formula reaches (numpy.gradient applied k times: the first k nodes); its theory order "
        "is the one the method declares (`edge_truncation_order`): findiff's one-sided "
        "stencils keep `acc`, numpy.gradient applied k times keeps max(edge_order - (k - 1), 0) "
        "(0: the edge error does not fall as the grid is refined), one row per theory order.",
        markdown_table(header, table),
    ]


def kind_section(df: pd.DataFrame, kind: str, figures: Figures, base: Path) -> list[str]:
    """The Markdown blocks of one kind's section (empty if the table has no rows of it)."""
    rows = kind_rows(df, kind)
    if rows.empty:
        return []
    summary = kind_summary(rows)
    blocks = [
        f"## {KIND_TITLES[kind]}",
        *_recommendation(rows, kind),
        f"{len(rows)} measurements of {_WHAT[kind]}. Errors are relative max-norm errors over the "
        "entries against exact SymPy/mpmath values (`diffbench.metrics.matrix_error`). In the "
        "methods table both errors are at each problem's first point and are medians over the "
        "problems: the best error over the swept relative steps (smallest 3-step running "
        "median; exact and adaptive methods: their one value), and the error at the method's "
        "default step (a failure counts as infinite).",
        _methods_table(summary, kind == "hessian"),
        "Best error per problem (worst over its points, each at its own best step):",
        _best_table(rows),
        *_failures(rows),
        *_skipped(rows),
        *_grid_orders(rows),
    ]
    for problem in dict.fromkeys(rows["problem"]):
        shown = embedded_figures(figures, "kinds", base, problem)
        if shown:
            blocks += [f"### {problem}", *shown]
    return blocks


def kinds_sections(df: pd.DataFrame, figures: Figures, base: Path) -> list[str]:
    """A section per kind other than ``gradient`` present in the table, in kind order."""
    return [b for kind in kinds_present(df) for b in kind_section(df, kind, figures, base)]
