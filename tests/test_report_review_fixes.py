"""Fixes from a new user's review of the showcase report: the step-selection failures column,
the criterion the default step rule is chosen by, the grid edge's own theory order and the
basis of the headline advice (polynomials left out, no method hidden behind "and N more")."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_report import acc_row, cost_row
from test_step_selection_report import STEPS, _row

from diffbench import analysis, report
from diffbench.analysis_kind_grids import kind_grid_summary
from diffbench.analysis_steps import step_rule_summary
from diffbench.report_kinds import _grid_orders
from diffbench.report_steps import default_step_rule, step_rules_section
from diffbench.store import measurement_key, rows_to_frame
from methods import get_method


# --------------------------------------------------------------------------------------------
# 1. step selection: a failure is what the Definitions say
# --------------------------------------------------------------------------------------------
def _rule(problem, rule, err, label="good", method="good", order=2):
    key = measurement_key("step-rule", problem, 0, label, None, None, "point", step_rule=rule)
    return _row(problem, "smooth", None, err, key=key, measure="step-rule", step_rule=rule,
                nfev=4, nfev_extra=0, step_used=1e-3, method=method, label=label, order=order,
                settings=json.dumps({"order": order}))  # fmt: skip


def test_step_rule_failures_count_large_finite_errors_as_the_definitions_do():
    rows = [
        _row("a", "smooth", s, e)
        for s, e in zip(STEPS, [1e-4, 1e-8, 1e-10, 1e-9, 1e-6], strict=True)
    ]
    rows += [
        _rule("a", "relative", 53.0),
        _rule("b", "relative", 1e-9),
        _rule("c", "relative", 2e-3),
    ]
    df = rows_to_frame(rows)
    s = step_rule_summary(df).set_index("step_rule")
    assert s.loc["relative", "failures"] == 2  # 53 and 2e-3 are above 0.001, though finite
    section = "\n\n".join(step_rules_section(df, {}, Path(".")))
    assert "| `good` | `relative` | 3 | 2.0e-3 | 5.3e+1 | 4 | 0 | 0/1 | 2 |" in section
    assert "no finite estimate or an error above 0.001" in section


# --------------------------------------------------------------------------------------------
# 2. the criterion of the default rule, measured
# --------------------------------------------------------------------------------------------
def _central(errors: dict[tuple[str, int, str], float]) -> pd.DataFrame:
    rows = [_rule(p, rule, e, label=f"central(order={o})", method="central", order=o)
            for (rule, o, p), e in errors.items()]  # fmt: skip
    return rows_to_frame(rows)


def test_the_default_rule_and_its_criterion_are_read_and_measured():
    assert default_step_rule("central") == get_method("central").step_rule == "guarded"
    assert default_step_rule("no-such-method") is None
    df = _central({
        ("relative", 2, "p"): 1e-10, ("relative", 4, "p"): 1e-6,  # 10^4 x worse
        ("relative", 2, "q"): 1e-10, ("relative", 4, "q"): 1e-12,
        ("guarded", 2, "p"): 1e-10, ("guarded", 4, "p"): 1e-11,
        ("guarded", 2, "q"): 1e-10, ("guarded", 4, "q"): 5e-14,  # below 1e-13: equal
    })  # fmt: skip
    s = step_rule_summary(df).set_index(["label", "step_rule"])
    assert s.loc[("central(order=4)", "relative"), "worse_than_lowest"] == 1
    assert s.loc[("central(order=4)", "guarded"), "worse_than_lowest"] == 0
    assert s.loc[("central(order=4)", "guarded"), "lowest_compared"] == 2
    assert s.loc[("central(order=2)", "guarded"), "lowest_compared"] == 0
    text = "\n\n".join(step_rules_section(df, {}, Path(".")))
    assert "The default rule (`guarded`) is not chosen for coming within 10x" in text
    assert "`central`: `guarded` 0/2 (the fewest), `relative` 1/2" in text
    assert "this run supports the default for `central`" in text
    assert "| `central(order=4)` | `guarded` |" in text and "| 0/2 |" in text
    assert "| `central(order=2)` | `guarded` |" in text and "| - |" in text


def test_the_report_says_plainly_when_the_data_do_not_support_the_default():
    df = _central({
        ("relative", 2, "p"): 1e-10, ("relative", 4, "p"): 1e-12,
        ("guarded", 2, "p"): 1e-10, ("guarded", 4, "p"): float("nan"),  # no estimate: worse
    })  # fmt: skip
    text = "\n\n".join(step_rules_section(df, {}, Path(".")))
    assert "`central`: `guarded` 1/1, the fewest `relative` 0/1" in text
    assert "it does not support it for `central`" in text
    assert "supports the default" not in text


# --------------------------------------------------------------------------------------------
# 3. the grid edge's own theory order
# --------------------------------------------------------------------------------------------
def test_grid_methods_declare_the_order_of_their_edge():
    one, two = get_method("numpy-gradient"), get_method("numpy-gradient", edge_order=2)
    assert (one.edge_truncation_order(), two.edge_truncation_order()) == (1, 2)
    assert [two.edge_truncation_order("derivative", k) for k in (1, 2, 3, 4)] == [2, 1, 0, 0]
    assert one.edge_truncation_order("derivative", 2) == 0  # half the second derivative
    assert (one.edge_truncation_order("hessian"), two.edge_truncation_order("hessian")) == (0, 1)
    assert get_method("findiff", acc=6).edge_truncation_order("derivative", 3) == 6
    with pytest.raises(ValueError, match="derivative_kind"):
        one.edge_truncation_order("jacobian")


def _grid_rows(label, method, settings, deriv, region, errors):
    n = [8, 16, 32, 64]
    return pd.DataFrame({"form": "grid", "label": label, "method": method, "settings": settings,
                         "family": "grid", "kind": "grid", "derivative_kind": "derivative",
                         "problem": f"p{deriv}", "deriv": deriv, "region": region, "order": 2,
                         "grid_size": n, "status": "ok",
                         "rel_error": [errors(k) for k in n]})  # fmt: skip


def test_the_grid_order_table_gives_the_edge_its_own_theory_order():
    lab, settings = "numpy-gradient(edge_order=2)", '{"edge_order": 2, "position": "edge"}'
    rows = pd.concat([
        _grid_rows(lab, "numpy-gradient", settings, 2, "interior", lambda k: 3.0 / k**2),
        _grid_rows(lab, "numpy-gradient", settings, 3, "interior", lambda k: 5.0 / k**2),
        _grid_rows(lab, "numpy-gradient", settings, 2, "edge", lambda k: 1.0 / k),
        _grid_rows(lab, "numpy-gradient", settings, 3, "edge", lambda k: 0.5),
        _grid_rows("findiff(acc=4)", "findiff", '{"acc": 4}', 2, "edge", lambda k: 9.0 / k**4),
    ], ignore_index=True)  # fmt: skip
    s = kind_grid_summary(rows)
    edge = {r.derivs: r for r in s[(s["label"] == lab) & (s["region"] == "edge")].itertuples()}
    assert edge[(2,)].theory == 1 and edge[(2,)].median_observed == pytest.approx(1)
    assert edge[(3,)].theory == 0
    interior = s[(s["label"] == lab) & (s["region"] == "interior")]
    assert list(interior["theory"]) == [2.0] and interior["derivs"].iloc[0] == ()
    assert s[s["label"] == "findiff(acc=4)"]["theory"].tolist() == [4.0]
    table = "\n".join(_grid_orders(rows))
    assert f"| `{lab}` | edge (k = 2) | 1 | 1.00 |" in table
    assert f"| `{lab}` | edge (k = 3) | 0 | - |" in table


# --------------------------------------------------------------------------------------------
# 4. the headline's basis: polynomials left out, best steps at the sweep's edge flagged
# --------------------------------------------------------------------------------------------
POLY, WAVE = "polynomial;smooth", "smooth"


def _stepped(label, problem, tags, errors, default):
    fd = ("finite-difference", "step")
    rows = [acc_row(label, *fd, problem, tags, 0, s, e) for s, e in zip(STEPS, errors, strict=True)]
    return rows + [cost_row(label, *fd, problem, tags, default, 4, 1e-4)]


@pytest.fixture
def polynomial_heavy():
    """``good`` is exact on two polynomials (best at the sweep's largest step) and 1e-10 on a
    wave; seven exact methods at rounding level everywhere."""
    exact_at_largest = [1e-16, 1e-16, 2e-16, 1e-13, 1e-11]
    rows = _stepped("good", "poly-a", POLY, exact_at_largest, 1e-13)
    rows += _stepped("good", "poly-b", POLY, exact_at_largest, 1e-13)
    rows += _stepped("good", "wave", WAVE, [1e-5, 1e-9, 1e-10, 1e-10, 1e-8], 2e-10)
    for k in range(7):
        for problem, tags in (("poly-a", POLY), ("poly-b", POLY), ("wave", WAVE)):
            rows.append(acc_row(f"ex{k}", "symbolic", "exact", problem, tags, 0, None, 0.0))
            rows.append(cost_row(f"ex{k}", "symbolic", "exact", problem, tags, 0.0, 0, 1e-5))
    return rows_to_frame(rows)


def test_the_headline_takes_its_medians_over_the_smooth_problems_not_tagged_polynomial(
    polynomial_heavy,
):
    assert analysis.headline_problems(polynomial_heavy) == ["wave"]
    text = "\n".join(report.recommendations(polynomial_heavy))
    assert "median over the first point of each smooth problem not tagged polynomial (wave)" in text
    black_box = next(s for s in text.splitlines() if s.startswith("**If f is a black box**"))
    assert "`good` (2.0e-10" in black_box and "reaches 1.0e-10 at step ~1.0e-3" in black_box
    assert "~1.0e-1" not in black_box
    rendered = report.render_report(polynomial_heavy)
    assert "left out because an order-p stencil is exact on a polynomial" in rendered


def test_the_methods_table_flags_a_best_step_at_the_sweeps_largest(polynomial_heavy):
    s = analysis.method_summary(polynomial_heavy).set_index("label")
    assert (s.loc["good", "best_steps_at_largest"], s.loc["good", "best_steps_found"]) == (2, 3)
    rendered = report.render_report(polynomial_heavy)
    assert "| `good` | finite-difference | step | 1.0e-16 | 1.0e-13 | 1.0e-1 (largest swept) |" in (
        rendered
    )


def test_the_headline_flags_its_best_step_when_it_is_the_sweeps_largest():
    rows = _stepped("good", "wave", WAVE, [1e-12, 1e-12, 1e-11, 1e-9, 1e-7], 1e-9)
    text = "\n".join(report.recommendations(rows_to_frame(rows)))
    assert (
        "reaches 1.0e-12 at step ~1.0e-1 (theory 1.0e-3), the sweep's largest step on 1 of 1"
        in (text)
    )


def test_no_method_a_claim_is_about_is_hidden_behind_and_n_more(polynomial_heavy):
    most = next(
        s for s in report.recommendations(polynomial_heavy) if s.startswith("**Most accurate**")
    )
    assert "7 method(s) reach rounding level" in most
    assert all(f"`ex{k}`" in most for k in range(7)) and " more" not in most


def test_definitions_say_what_dual_complex_and_formula_methods_see_of_synthetic_noise():
    # the noisy problems' noise is locally constant in x: the report must say that dual,
    # complex-step and formula methods get the noise-free derivative there, and why
    from diffbench.report_sections import definitions_section

    text = "\n".join(definitions_section())
    line = next(s for s in text.splitlines() if s.startswith("- Noisy problems"))
    assert "dual numbers" in line and "complex step" in line and "noise-free derivative" in line
