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

from .analysis_base import WRONG
from .analysis_steps import EQUAL_BELOW, step_rule_summary
from .configs import method_from_row
from .report_sections import Figures, embedded_figures
from .text import fmt_count, fmt_number, markdown_table

__all__ = ["step_rules_section", "rule_verdicts", "default_rule_verdict", "default_step_rule"]

_HEADER = ["method", "rule", "points", "median error", "worst error", "nfev (median)",
           "extra nfev (median)", "within 10x of best swept", "failures",
           "more than 10x worse than the lowest order"]  # fmt: skip
_ALIGN = ["---", "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]


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
            f"{r['worse_than_lowest']}/{r['lowest_compared']}" if r["lowest_compared"] else "-",
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


def default_step_rule(method: str) -> str | None:
    """The ``step_rule`` a registered method takes by default (None if ``method`` is not
    registered here or takes no rule): read from the method, not assumed."""
    rule = getattr(method_from_row(method), "step_rule", None)
    return rule if isinstance(rule, str) else None


def default_rule_verdict(summary: pd.DataFrame, defaults: dict[str, str | None]) -> list[str]:
    """The criterion the default rule is chosen by, measured from the table, as one sentence.

    Per scheme: the (order, point) pairs above the lowest order where a rule is more than 10x
    worse than the lowest order under the same rule (:mod:`diffbench.analysis_steps`), for the
    default rule, ``relative`` and the rule with the fewest; then whether this run supports the
    default by that criterion (the default has the fewest) or not, scheme by scheme.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`diffbench.analysis_steps.step_rule_summary`.
    defaults : dict
        Scheme (``method``) -> its default rule (:func:`default_step_rule`).

    Examples
    --------
    >>> s = pd.DataFrame({"method": ["central"] * 2, "step_rule": ["relative", "guarded"],
    ...                   "worse_than_lowest": [3, 0], "lowest_compared": [9, 9]})
    >>> default_rule_verdict(s, {"central": "guarded"})[0].split(": ", 2)[2]
    '`central`: `guarded` 0/9 (the fewest), `relative` 3/9. By that criterion this run supports \
the default for `central`.'
    """
    parts, yes, no, used = [], [], [], []
    for method, g in summary.groupby("method", sort=False):
        default = defaults.get(method)
        per = g.groupby("step_rule", sort=False)[["worse_than_lowest", "lowest_compared"]].sum()
        per = per[per["lowest_compared"] > 0]
        if default not in per.index:
            continue
        used.append(default)
        per = per.assign(share=per["worse_than_lowest"] / per["lowest_compared"])
        fewest = per.sort_values("share", kind="stable")
        text = f"`{method}`: `{default}` {_ratio(per.loc[default])}"
        if per.loc[default, "share"] <= fewest["share"].iloc[0]:
            yes.append(method)
            text += " (the fewest)"
        else:
            no.append(method)
            text += f", the fewest `{fewest.index[0]}` {_ratio(fewest.iloc[0])}"
        if "relative" in per.index and "relative" not in (default, fewest.index[0]):
            text += f", `relative` {_ratio(per.loc['relative'])}"
        parts.append(text)
    if not parts:
        return []
    verdict = [f"this run supports the default for {_schemes(yes)}"] if yes else []
    if no:
        verdict.append(
            f"it does not support it for {_schemes(no)}, where another rule is more than 10x "
            "worse than the lowest order less often"
        )
    return [
        f"The default rule ({_schemes(list(dict.fromkeys(used)))}) is not chosen for coming "
        "within 10x of the best swept step most often: its criterion "
        "(docs/theory.md#the-guarded-default) is that a higher order is never more than 10x "
        "worse than the same scheme's lowest order (central 2, forward/backward 1) at the same "
        f"point (errors below {EQUAL_BELOW:g} count as equal; last column). (Order, point) "
        "pairs above the lowest order more than 10x worse: "
        + "; ".join(parts)
        + ". By that criterion "
        + "; ".join(verdict)
        + "."
    ]


def _ratio(r: pd.Series) -> str:
    return f"{int(r['worse_than_lowest'])}/{int(r['lowest_compared'])}"


def _schemes(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


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
        "max(10 x best, 4 eps), the safe-step window's level). `failures`: points with no "
        f"finite estimate or an error above {WRONG:g}, as in the other tables. The last column: "
        "points where the order is more than 10x worse than the same scheme's lowest order "
        "under the same rule at the same point (`-` for the lowest order). Use a rule with "
        '`get_method("central", order=4, step_rule="dumontet-vignes")`; `diffbench choose` '
        "recommends one when it is robust on your function."
    )
    defaults = {m: default_step_rule(m) for m in dict.fromkeys(summary["method"])}
    return [
        "## Step selection",
        intro,
        "\n".join(f"- {v}" for v in rule_verdicts(summary)),
        *default_rule_verdict(summary, defaults),
        _table(summary),
        *embedded_figures(figures, "step-rules", base),
    ]
