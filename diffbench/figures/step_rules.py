"""Step rules: error against evaluations of f at the default step each rule chose.

One panel per scheme (the table's ``method`` column of the configurations that took a
``step_rule``), log-log: a marker per configuration and rule at the median total evaluations per
gradient (x) and the median relative error (y) over the points measured
(:func:`diffbench.analysis_steps.step_rule_summary`). The marker says the rule, the colour the
accuracy order (as in every figure, :func:`~diffbench.figures.style.order_color`). Guides: a
dashed line per order at the median best error over the swept steps at the same points (what an
oracle step would give), and machine epsilon. A median that is zero or infinite cannot sit on a
log axis: it is not drawn, and the panel says how many were left out. Rules whose points of one
configuration coincide are drawn once, as one marker named ``"a = b"`` (:func:`merge_coinciding`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..analysis_curves import EPS, identical_curves
from ..analysis_steps import step_rule_summary
from .style import order_color

__all__ = ["plot_step_rules", "merge_coinciding", "RULE_MARKERS"]

#: Markers of the rules, in the order the table lists them.
RULE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h", "<", ">", "*")


def _rule_markers(rules: list[str]) -> dict[str, str]:
    return {r: RULE_MARKERS[i % len(RULE_MARKERS)] for i, r in enumerate(rules)}


#: How the rules of coinciding points are joined in their name.
_JOIN = " = "


def merge_coinciding(s: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`~diffbench.analysis_steps.step_rule_summary` with the rules of one
    label whose points coincide (same evaluations, same error to 6 digits:
    :func:`~diffbench.analysis_curves.identical_curves`) drawn once: one row, its ``step_rule``
    the rules joined by ``" = "`` (e.g. ``"relative = guarded"``).

    Examples
    --------
    >>> s = pd.DataFrame({"label": ["f"] * 3, "step_rule": ["relative", "guarded", "gmsw"],
    ...                   "median_nfev": [2.0, 2.0, 5.0], "median_error": [1e-8, 1e-8, 1e-9]})
    >>> list(merge_coinciding(s)["step_rule"])
    ['relative = guarded', 'gmsw']
    """
    out = []
    for _, g in s.groupby("label", sort=False):
        points = {
            r["step_rule"]: ([r["median_nfev"]], [r["median_error"]]) for _, r in g.iterrows()
        }
        for group in identical_curves(points):
            row = g[g["step_rule"] == group[0]].iloc[0].copy()
            row["step_rule"] = _JOIN.join(group)
            out.append(row)
    return pd.DataFrame(out, columns=s.columns).reset_index(drop=True)


def _rule_names(rules: list[str], names: list[str]) -> list[str]:
    """``names`` (rules and merged rules) in the order of ``rules``, a merged one after its last
    rule."""
    return sorted(
        names,
        key=lambda n: (max(rules.index(r) for r in n.split(_JOIN)), len(n.split(_JOIN)), n),
    )


def _draw_panel(ax, s: pd.DataFrame, merged: pd.DataFrame, markers: dict[str, str]) -> None:
    hidden = 0
    for _, r in merged.iterrows():
        x, y = float(r["median_nfev"]), float(r["median_error"])
        if not (np.isfinite(x) and x > 0 and np.isfinite(y) and y > 0):
            hidden += 1
            continue
        size = 30 + 12 * (0 if pd.isna(r["order"]) else int(r["order"]))
        ax.scatter(x, y, s=size, marker=markers[r["step_rule"]], color=order_color(r["order"]),
                   edgecolors="black", linewidths=0.5, alpha=0.85, zorder=3)  # fmt: skip
    for order, g in s.groupby("order", sort=True):
        best = float(np.nanmedian(g["median_best"].to_numpy(dtype=float)))
        if np.isfinite(best) and best > 0:
            ax.axhline(best, color=order_color(order), linestyle="--", linewidth=1, zorder=1)
    ax.axhline(EPS, color="0.4", linestyle=":", linewidth=1, zorder=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    if hidden:
        ax.text(0.02, 0.02, f"{hidden} median(s) 0 or failed: not drawn", fontsize=7,
                transform=ax.transAxes)  # fmt: skip


def _legend(fig: Figure, rules: list[str], markers: dict[str, str], orders: list) -> None:
    handles = [Line2D([], [], marker=markers[r], linestyle="", color="0.3", label=r) for r in rules]
    handles += [
        Line2D([], [], marker="o", linestyle="", color=order_color(o), label=f"order {int(o)}")
        for o in orders
    ]
    handles += [
        Line2D([], [], linestyle="--", color="0.3", label="best swept step (median), per order"),
        Line2D([], [], linestyle=":", color="0.4", label="machine epsilon"),
    ]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)


def plot_step_rules(df: pd.DataFrame) -> Figure:
    """Error against evaluations of f at each step rule's default step (log-log).

    Parameters
    ----------
    df : pandas.DataFrame
        Results table with ``step-rule`` rows (a sweep of configurations taking ``step_rule``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        The table has no ``step-rule`` rows.
    """
    s = step_rule_summary(df)
    if s.empty:
        raise ValueError("the table has no step-rule measurements.")
    schemes = list(dict.fromkeys(s["method"]))
    merged = merge_coinciding(s)
    rules = _rule_names(
        list(dict.fromkeys(s["step_rule"])), list(dict.fromkeys(merged["step_rule"]))
    )
    markers = _rule_markers(rules)
    orders = sorted(o for o in s["order"].dropna().unique())
    fig = Figure(figsize=(4.2 * len(schemes) + 2.4, 4.4), layout="constrained")
    axes = fig.subplots(1, len(schemes), sharey=True, squeeze=False)[0]
    for ax, scheme in zip(axes, schemes, strict=True):
        _draw_panel(ax, s[s["method"] == scheme], merged[merged["method"] == scheme], markers)
        ax.set_title(scheme, fontsize=10)
        ax.set_xlabel("evaluations of f per gradient (median)")
    axes[0].set_ylabel("relative error at the rule's step (median)")
    _legend(fig, rules, markers, orders)
    n = int(s["points"].max())
    fig.suptitle(
        f"Step rules: error against cost, medians over {n} points per configuration "
        "(marker: rule; colour and size: order)",
        fontsize=11,
    )
    return fig
