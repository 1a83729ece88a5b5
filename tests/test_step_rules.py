"""Data-driven step rules (methods/step_rules.py) and the guarded default step."""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from methods import as_vector_function, get_method
from methods.counting import CountedFunction
from methods.fornberg import optimal_step
from methods.step_rules import DATA_RULES, choose_steps, model_step

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import step_rules as bench  # noqa: E402  (benchmarks/step_rules.py)

EPS = 2.0**-52

#: (scheme, order) each rule serves in these tests
SERVED = {
    "curtis-reid": [("forward", 1), ("central", 2), ("central", 8)],
    "dumontet-vignes": [("forward", 1), ("central", 2), ("central", 8)],
    "stepleman-winarsky": [("forward", 1), ("central", 2), ("central", 8)],
    "gmsw": [("forward", 1), ("backward", 1)],
}


def _exp(x: np.ndarray) -> float:
    return math.exp(x[0])


@pytest.mark.parametrize(
    ("rule", "scheme", "order"), [(r, s, p) for r, cases in SERVED.items() for s, p in cases]
)
def test_each_rule_gives_a_finite_step_and_counts_its_evaluations(
    rule: str, scheme: str, order: int
) -> None:
    x = [1.0, 0.5]
    f = as_vector_function(lambda a, b: math.exp(a) * math.sin(b))
    calls = []

    def g(z: np.ndarray) -> float:
        calls.append(1)
        return f(z)

    est = get_method(scheme, order=order, step_rule=rule).gradient(g, x)
    assert np.all(np.isfinite(est.step)) and np.all(est.step > 0)
    stencil = 2 * order + (scheme != "central")
    assert est.nfev == len(calls) > stencil  # the rule's probes are counted too
    truth = [math.exp(1.0) * math.sin(0.5), math.exp(1.0) * math.cos(0.5)]
    np.testing.assert_allclose(est.value, truth, rtol=1e-6)


def test_gmsw_reproduces_the_forward_interval_of_the_paper() -> None:
    # Gill, Murray, Saunders & Wright (1983): h_F = 2 sqrt(eps_A / |f''|) with eps_A the absolute
    # error of f. exp at 0: f = f'' = 1, so h_F = 2 sqrt(eps) = 2.98e-8, to the accuracy of the
    # second-difference estimate of f'' (a few per cent).
    est = get_method("forward", step_rule="gmsw").derivative(np.exp, 0.0)
    assert est.step == pytest.approx(2.0 * math.sqrt(EPS), rel=0.05)


def test_dumontet_vignes_reproduces_the_central_step_of_the_error_model() -> None:
    # Dumontet & Vignes (1977): the third derivative from a third difference whose rounding is a
    # sizable but not dominant part; then h = (3 eps |f| / |f'''|)^(1/3). exp at 1: f''' = f, so
    # h = (3 eps)^(1/3) = 8.7e-6 (unit scale), up to the accuracy of the f''' estimate.
    f = CountedFunction(_exp, "test")
    h = choose_steps("dumontet-vignes", f, np.array([1.0]), "central", 2, np.array([1e-5]))
    assert h[0] == pytest.approx(optimal_step("central", 1, 2), rel=0.1)
    assert h[0] == pytest.approx(model_step("central", 2, EPS * math.e, math.e), rel=0.1)
    assert f.nfev >= 5  # f(x) and at least one four-point third difference


def test_curtis_reid_lands_in_its_ratio_band() -> None:
    # Curtis & Reid (1974): accept h when truncation / rounding estimate is in [10, 1000].
    # Forward order 1 on exp at 1: T = |f''| h / 2 (forward vs forward(2)), R = eps |f| / h
    # (max |f| over the points ~ e), so T/R = h^2 / (2 eps) at unit ratio f''/f: the accepted h
    # gives h^2 / (2 eps) within [10, 1000] up to the second-order terms.
    est = get_method("forward", step_rule="curtis-reid").derivative(np.exp, 1.0)
    ratio = est.step**2 / (2 * EPS)
    assert 8 <= ratio <= 1100
    assert abs(est.value - math.e) / math.e < 1e-6


def test_stepleman_winarsky_stops_near_the_balance_of_truncation_and_rounding() -> None:
    # Stepleman & Winarsky (1979): the changes |D(h/2) - D(h)| shrink like h^p while truncation
    # dominates and stop shrinking once rounding does, which happens within a small factor of the
    # optimal step. exp at 1 is unit scale, so the optimum is the unit-scale h* = (3 eps)^(1/3)
    # (central(2)); the rule must stop within a factor 4 of it, with an error near the optimal
    # one (about 1e-11 relative), after at least two halvings (2 + 2 + 2 evaluations) and the
    # estimate (2).
    method = get_method("central", step_rule="stepleman-winarsky")
    est = method.derivative(np.exp, 1.0)
    assert method.theoretical_step() / 4 <= est.step <= 4 * method.theoretical_step()
    assert abs(est.value - math.e) / math.e < 1e-10
    assert est.nfev >= 8


def test_unknown_rule_and_unserved_order_raise_naming_step_rule() -> None:
    with pytest.raises(ValueError, match=r"`step_rule` must be one of \['relative'"):
        get_method("central", step_rule="curtis")
    with pytest.raises(ValueError, match=r"`step_rule`='gmsw'.*forward and backward of order 1"):
        get_method("central", order=4, step_rule="gmsw")
    with pytest.raises(ValueError, match=r"`step_rule`='gmsw'.*forward\(order=2\)"):
        get_method("forward", order=2, step_rule="gmsw")


@pytest.mark.parametrize("rule", DATA_RULES[:3])
def test_rules_choose_gradient_steps_only(rule: str) -> None:
    f = as_vector_function(lambda a, b: a * a * b)
    method = get_method("central", step_rule=rule)
    with pytest.raises(ValueError, match=rf"`step_rule`='{rule}' chooses gradient steps only"):
        method.hessian(f, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"chooses gradient steps only, not Jacobian steps"):
        method.jacobian(lambda z: np.array([z[0], z[1]]), [1.0, 2.0])
    # an explicit step is the step itself under any rule
    assert method.hessian(f, [1.0, 2.0], step=1e-3).step is not None


def test_guarded_default_is_relative_at_the_lowest_order_and_in_jacobians() -> None:
    f = as_vector_function(lambda a, b: math.sin(a) + b)
    for name in ("central", "forward", "backward"):
        guarded = get_method(name).gradient(f, [0.3, 2.0])
        relative = get_method(name, step_rule="relative").gradient(f, [0.3, 2.0])
        np.testing.assert_array_equal(guarded.value, relative.value)
        np.testing.assert_array_equal(guarded.step, relative.step)
        assert guarded.nfev == relative.nfev  # no probe at the lowest order
    jac = get_method("central", order=4).jacobian(lambda z: np.array([z[0] ** 2]), [3.0])
    np.testing.assert_allclose(jac.step, optimal_step("central", 1, 4) * 3.0, rtol=1e-6)


def test_guarded_shrinks_the_step_before_a_pole() -> None:
    # 1 / (x - 1) at 1.001: the relative step of central(8) puts stencil points across the pole;
    # the guard shrinks it until the estimate agrees with central(2)'s
    f = as_vector_function(lambda a: 1.0 / (a - 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = get_method("central", order=8, step_rule="relative").gradient(f, [1.001])
        good = get_method("central", order=8).gradient(f, [1.001])
    truth = -1.0 / 0.001**2
    assert abs(bad.value[0] - truth) / abs(truth) > 0.5
    assert abs(good.value[0] - truth) / abs(truth) < 1e-4
    assert good.step[0] < 4e-4  # four steps fit in front of the pole


def _violations(rule: str) -> list[str]:
    """Battery points (every point of every problem) where central(p) under ``rule`` is 10x
    worse than central(2)."""
    out = []
    for name, f, x, truth in bench.battery_points():
        low = bench.default_error("central", 2, rule, f, x, truth)[0]
        for order in (4, 6, 8):
            err = bench.default_error("central", order, rule, f, x, truth)[0]
            if bench.worse_than_lowest(err, low):
                out.append(f"{name} at {x}: central({order}) {err:.1e} vs central(2) {low:.1e}")
    return out


def test_the_default_step_is_never_10x_worse_than_order_2() -> None:
    assert _violations("guarded") == []
    # the old default, the unit-scale relative step, fails the property (sin50, pole, ...)
    assert len(_violations("relative")) >= 3


@pytest.mark.parametrize("rule", ["guarded", *DATA_RULES[:3]])
def test_a_vectorized_f_gets_every_probe_as_a_batch(rule: str) -> None:
    calls = []

    def batch_only(X: np.ndarray) -> np.ndarray:
        assert X.ndim == 2  # a vectorized f may accept (m, n) arrays only
        calls.append(X.shape[0])
        return np.exp(X[:, 0]) * X[:, 1]

    est = get_method("central", order=4, step_rule=rule, vectorized=True).gradient(
        batch_only, [0.5, 2.0]
    )
    assert est.nfev == sum(calls)
    np.testing.assert_allclose(est.value, [2.0 * math.exp(0.5), math.exp(0.5)], rtol=1e-9)


def test_guarded_hessians_and_higher_derivatives_use_the_relative_step() -> None:
    f = as_vector_function(lambda a, b: a**3 * b)
    x = [30.0, 2.0]
    for kwargs in ({"deriv": 2}, {"deriv": 3}):
        guarded = get_method("central").derivative(np.exp, 40.0, **kwargs)
        relative = get_method("central", step_rule="relative").derivative(np.exp, 40.0, **kwargs)
        assert guarded.step == relative.step and guarded.nfev == relative.nfev
    # Hessians: "relative" keeps the a-priori step; "guarded" searches it from f
    # (methods/hessian_steps.py, tests/test_hessian_step_rule.py), on relative steps too
    guarded = get_method("central", order=4).hessian(f, x)
    relative = get_method("central", order=4, step_rule="relative").hessian(f, x)
    np.testing.assert_allclose(relative.step, optimal_step("central", 2, 4) * np.array([30.0, 2.0]))
    ratio = guarded.step / np.array([30.0, 2.0])
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-6)
    assert guarded.nfev > relative.nfev
