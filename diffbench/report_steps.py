"""The report's "Step selection" section: each step rule's default step against the swept steps.

Generated from the ``step-rule`` rows of the table (:mod:`diffbench.analysis_steps`): per
configuration and rule, the median and worst error over the points measured (at the step the
rule chose), the evaluations it spent beyond the stencil, and how often it came within 10x of
the best swept step at the same point; then, per scheme, the rule that came within 10x most
often; then the figure (registry section ``step-rules``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .analysis_steps import step_rule_summary
from .report_sections import Figures, embedded_figures
from .text import fmt_count, fmt_number, markdown_table

__all__ = ["step_rules_section", "rule_verdicts"]

_HEADER = ["method", "rule", "points", "median error", "worst error", "nfev (median)",
           "extra nfev (median)", "within 10x of best swept", "failures"]  # fmt: skip
_ALIGN = ["---", "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]


def _table(summary: pd.DataFrame) -> str:
    rows = [
        [
            f"`{r['label']}`",
            f"`{r['step_rule']}`",
            str(r["points"]),
            fmt_number(r["median_error"]),
            fmt_number(r["worst_error"]),
            fmt_count(float(r["median_nfev"])),
            fmt_count(float(r["median_extra"])),
            f"{r['within']}/{r['compared']}",
            str(r["failures"]),
        ]
        for _, r in summary.iterrows()
    ]
    return markdown_table(_HEADER, rows, _ALIGN)


def rule_verdicts(summary: pd.DataFrame) -> list[str]:
    """Per scheme (``method``): the rule within 10x of the best swept step at the most
    (configuration, point) pairs over every order (ties: fewer extra evaluations), as sentences.

    Examples
    --------
    >>> s = pd.DataFrame({"method": ["central"] * 2, "step_rule": ["relative", "guarded"],
    ...                   "within": [3, 5], "compared": [6, 6], "median_extra": [0.0, 18.0]})
    >>> rule_verdicts(s)
    ['`central`: `guarded` came within 10x of the best swept step at 5/6 (order, point) \
pairs, for 18 extra evaluations per gradient (median over orders); `relative`: 3/6, 0.']
    """
    out = []
    for method, g in summary.groupby("method", sort=False):
        per = g.groupby("step_rule", sort=False).agg(
            within=("within", "sum"), compared=("compared", "sum"), extra=("median_extra", "median")
        )
        per = per.assign(_neg=-per["within"]).sort_values(["_neg", "extra"], kind="stable")
        (best, b), *rest = per.iterrows()
        others = "; ".join(
            f"`{rule}`: {int(r['within'])}/{int(r['compared'])}, {fmt_count(float(r['extra']))}"
            for rule, r in rest
        )
        out.append(
            f"`{method}`: `{best}` came within 10x of the best swept step at "
            f"{int(b['within'])}/{int(b['compared'])} (order, point) pairs, for "
            f"{fmt_count(float(b['extra']))} extra evaluations per gradient (median over orders)"
            + (f"; {others}." if others else ".")
        )
    return out


def step_rules_section(df: pd.DataFrame, figures: Figures, base: Path) -> list[str]:
    """The "Step selection" section (empty if the table has no ``step-rule`` rows)."""
    summary = step_rule_summary(df)
    if summary.empty:
        return []
    n = int(summary["points"].max())
    intro = (
        "Every finite difference that takes a `step_rule` was also measured at the **default "
        f"step chosen by each rule** (`{'`, `'.join(dict.fromkeys(summary['step_rule']))}`), at "
        f"the first point of each problem ({n} points). Per configuration and rule: the median "
        "and worst relative error at the step the rule chose (no finite estimate counts as "
        "infinite), the evaluations of f per gradient (all of them, and beyond the stencil: the "
        "`relative` rule's count), and at how many points the error is within 10x of the best "
        "error over the swept steps of the same configuration at the same point (at most "
        "max(10 x best, 4 eps), the safe-step window's level). Use a rule with "
        '`get_method("central", order=4, step_rule="dumontet-vignes")`; `diffbench choose` '
        "recommends one when it is robust on your function."
    )
    return [
        "## Step selection",
        intro,
        "\n".join(f"- {v}" for v in rule_verdicts(summary)),
        _table(summary),
        *embedded_figures(figures, "step-rules", base),
    ]
