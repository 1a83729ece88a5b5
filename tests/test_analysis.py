"""The analysis of a results table: pure functions of the table or of plain arrays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from diffbench import analysis
from diffbench.report_sections import MODE_WORDS
from diffbench.store import measurement_key, rows_to_frame


# --------------------------------------------------------------------------------------------
# curves (moved from tests/test_plots.py: the functions moved from diffbench.plots)
# --------------------------------------------------------------------------------------------
def test_best_on_curve_ignores_a_single_lucky_step():
    # the exact zero at index 3 is luck; the 3-step medians reach 1e-9 first at index 2
    assert analysis.best_on_curve([1e-2, 1e-5, 1e-9, 0.0, 1e-9, 1e-6]) == (2, 1e-9, 2, 4)
    i, best, lo, hi = analysis.best_on_curve([math.nan, math.nan])
    assert (i, lo, hi) == (-1, -1, -1) and math.isnan(best)
    assert analysis.best_on_curve([30.0, 1.0]) == (1, 1.0, 1, 1)  # 30 is not within 10x


def test_best_on_curve_takes_plain_arrays():
    # no DataFrame needed (the chooser reuses it): a list, a tuple or an ndarray
    assert analysis.best_on_curve(np.array([1e-3, 1e-4, 1e-4, 1e-1])) == (1, 1e-4, 0, 2)
    i, best, lo, hi = analysis.best_on_curve(())
    assert (i, lo, hi) == (-1, -1, -1) and math.isnan(best)


def test_convergence_order_uses_the_asymptotic_range():
    n = np.array([8, 16, 32, 64, 128, 256])
    assert analysis.convergence_order(n, 5.0 / n**4) == pytest.approx(4.0)
    # a rounding plateau after the minimum does not flatten the fit
    errs = np.array([1e-3, 6.25e-5, 3.9e-6, 1e-12, 3e-12, 8e-12])
    assert analysis.convergence_order(n, errs) == pytest.approx(4.0, abs=0.05)
    assert math.isnan(analysis.convergence_order([8, 16], [1e-3, 1e-4]))


def test_pareto_front():
    mask = analysis.pareto_front([1.0, 2.0, 0.5, 3.0], [5.0, 1.0, 6.0, 1.0])
    assert mask.tolist() == [True, True, True, False]


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
def row(label, family, problem, step, err, **extra):
    out = {
        "run_id": "r",
        "key": measurement_key("accuracy", problem, 0, label, step, None, "point"),
        "measure": "accuracy",
        "problem": problem,
        "tags": "smooth",
        "dim": 1,
        "point": 0,
        "method": label,
        "label": label,
        "family": family,
        "kind": "step" if step is not None else "exact",
        "form": "point",
        "step": step,
        "region": "point",
        "rel_error": err,
        "status": "ok",
    }
    return {**out, **extra}


def test_label_table_follows_the_declared_family_order():
    df = rows_to_frame(
        [
            row("sym", "symbolic", "p", None, 1e-16, black_box=False, needs="expression"),
            row("new", "not-a-family", "p", None, 1e-3),
            row("fd", "finite-difference", "p", 1e-3, 1e-8, black_box=True, wraps=""),
            row("cs", "complex-step", "p", 1e-3, 1e-16, needs="complex", peer=False),
        ]
    )
    labels = analysis.label_table(df)
    assert list(labels["label"]) == ["fd", "cs", "sym", "new"]  # unknown families go last
    assert {"black_box", "needs", "peer", "wraps"} <= set(labels.columns)
    assert labels.set_index("label").loc["sym", "needs"] == "expression"


def test_method_summary_carries_the_declared_capabilities():
    df = rows_to_frame(
        [
            row("fd", "finite-difference", "p", 1e-3, 1e-8, black_box=True, peer=False),
            row("nd", "extrapolation", "p", None, 1e-12, black_box=True, peer=True, wraps="nd"),
        ]
    )
    s = analysis.method_summary(df).set_index("label")
    assert s.loc["nd", "peer"] and s.loc["nd", "wraps"] == "nd" and not s.loc["fd", "peer"]
    assert s.loc["fd", "black_box"] and s.loc["fd", "wraps"] == ""
    comp = analysis.peer_comparison(s.reset_index())
    assert list(comp["source"]) == ["nd"]  # the finite-difference family has no peer


def test_empty_summaries_keep_their_columns():
    df = rows_to_frame([row("fd", "finite-difference", "p", 1e-3, 1e-8, status="skipped")])
    assert "best_step" in analysis.best_steps(df).columns
    summary = analysis.method_summary(df)
    assert {"median_best_error", "black_box", "failures"} <= set(summary.columns)


def test_every_failure_mode_has_words_in_the_report():
    assert set(MODE_WORDS) == set(analysis.MODES)


def test_display_label_is_only_for_display():
    df = rows_to_frame(
        [
            row("g", "grid", "p", 1e-3, 1e-8),
            {
                **row("g", "grid", "p", None, 1e-5, grid_size=16, region="interior", form="grid"),
                "key": measurement_key("accuracy", "p", None, "g", None, 16, "interior"),
            },
        ]
    )
    best = analysis.best_attainable(df)
    assert list(zip(best["label"], best["form"], strict=True)) == [("g", "point"), ("g", "grid")]
    assert [analysis.display_label(r.label, r.form) for r in best.itertuples()] == ["g", "g [grid]"]
    assert isinstance(best, pd.DataFrame) and best["best_rel_error"].iloc[1] == 1e-5
