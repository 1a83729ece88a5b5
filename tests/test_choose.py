"""The chooser: measured recommendations on battery problems, honest numbers, clear errors.

Most tests hand ``choose`` the battery function *without its formula* (``black_box``): that is
what production code looks like, and it makes the chooser probe for dual, complex and array
support and build its reference from the agreement of methods. Errors are then checked against
the battery's exact (mpmath) gradient, which the chooser never saw.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from functools import cache

import numpy as np
import pytest
import sympy

from diffbench.chooser import Choice, choose
from diffbench.chooser.cli import main
from diffbench.chooser.ranking import candidate_key, clearly_faster
from diffbench.expressions import expression_function
from diffbench.noise import noise_aware_error, noise_aware_step
from diffbench.problems import get_problem, list_problems
from methods import as_vector_function, get_method


class BlackBox:
    """The problem's code without its formula: vectorized, and runs on duals and complex numbers."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


def real_only(fn):
    """Code that only takes real float arrays (no duals, no complex, no batches)."""

    def f(x):
        return float(fn(np.asarray(x, dtype=float)))

    return f


def complex_only(fn):
    """Code that copies its input with np.array: complex numbers pass, dual numbers do not."""

    def f(x):
        return fn(np.array(x, copy=True))

    return f


def rerun_error(choice: Choice, f, x, exact) -> tuple[float, np.ndarray]:
    """Run the recommendation again from its public description; relative error vs the truth."""
    rec = choice.recommended
    est = get_method(rec.name, **rec.settings).gradient(f, x, step=rec.step)
    scale = float(np.max(np.abs(exact)))
    err = float(np.max(np.abs(est.value - exact)))
    return (err / scale if scale > 0 else err), est.value


@cache
def black_box_choice(name: str, point: int = 0, wrap: str = "black_box") -> Choice:
    p = get_problem(name)
    f = {"black_box": BlackBox, "real_only": real_only, "complex_only": complex_only}[wrap](
        p.function
    )
    return choose(f, p.points[point])


# -- expected behaviour on the battery -----------------------------------------------------------
@pytest.mark.parametrize("name", ["seed-product", "exp-sin", "runge"])
def test_analytic_dual_compatible_code_gets_an_exact_method(name: str) -> None:
    p = get_problem(name)
    x = p.points[0]
    choice = black_box_choice(name)
    rec = choice.recommended
    assert rec.name == "dual" and rec.kind == "exact" and rec.meets_target
    assert any("dual numbers" in r for r in choice.reasons)
    assert choice.probes.dual == "accepted" and choice.probes.complex_ok
    err, _ = rerun_error(choice, BlackBox(p.function), x, p.exact_gradient(x))
    assert err <= 4 * np.finfo(float).eps


def test_complex_safe_code_without_duals_gets_the_complex_step() -> None:
    p = get_problem("exp-sin")
    x = p.points[0]
    choice = black_box_choice("exp-sin", wrap="complex_only")
    rec = choice.recommended
    assert rec.family == "complex-step" and rec.nfev == 3  # one per coordinate, plus f(x)
    assert any("complex step has no subtractive cancellation" in r for r in choice.reasons)
    assert choice.probes.dual.startswith("rejected")
    err, _ = rerun_error(choice, complex_only(p.function), x, p.exact_gradient(x))
    assert err <= 4 * np.finfo(float).eps


@pytest.mark.parametrize(
    ("name", "point"), [(p.name, k) for p in list_problems("non-analytic") for k in range(2)]
)
def test_non_analytic_function_never_gets_the_complex_step(name: str, point: int) -> None:
    p = get_problem(name)
    x = p.points[point]
    # with only the complex step and one alternative the complex step would be cheapest
    choice = choose(BlackBox(p.function), x, methods=["complex-step", "central"])
    assert choice.recommended.family != "complex-step"
    (cs,) = [c for c in choice.rejected if c.name == "complex-step"]
    assert "analytic" in cs.reason
    assert any(r.startswith("The complex step is ruled out") for r in choice.reasons)
    err, _ = rerun_error(choice, BlackBox(p.function), x, p.exact_gradient(x))
    assert err <= 1e-8


def test_non_analytic_formula_rules_out_the_complex_step_even_where_it_would_pass() -> None:
    # |x|^3 at x = 0.5 > 0: as written the complex step is right here, wrong for x < 0
    f = expression_function("abs(x)**3", "x")
    choice = choose(f, [0.5], methods=["complex-step", "central"])
    assert choice.recommended.family != "complex-step"
    assert "formula contains Abs" in choice.probes.complex


@pytest.mark.parametrize(("name", "point"), [("log-large", 0), ("log-large", 1), ("exp-large", 0)])
def test_large_x_never_gets_a_vanishing_step(name: str, point: int) -> None:
    p = get_problem(name)
    x = p.points[point]
    f = BlackBox(p.function)
    exact = p.exact_gradient(x)
    # only step methods, including SciPy's absolute-step approx_fprime
    choice = choose(f, x, methods=["forward", "central", "approx-fprime"])
    err, value = rerun_error(choice, f, x, exact)
    assert np.all(value != 0)
    assert err <= choice.target
    # every method in the ranking, re-run at its recommended step, is as good as claimed
    for c in choice.ranking:
        est = get_method(c.name, **c.settings).gradient(f, x, step=c.step)
        rel = float(np.max(np.abs(est.value - exact)) / np.max(np.abs(exact)))
        assert rel < 0.01, c.label
        assert rel <= max(2 * c.measured_error, 1e-15), c.label


@pytest.mark.parametrize(
    ("name", "point"), [(p.name, k) for p in list_problems(tag="noisy") for k in range(2)]
)
def test_noisy_function_noise_level_and_step(name: str, point: int) -> None:
    p = get_problem(name)
    x = np.array(p.points[point])
    f = real_only(p.function)  # a simulation: real numbers only
    choice = black_box_choice(name, point, "real_only")
    assert choice.noisy
    assert 1 / 3 < choice.noise / p.noise < 3  # ECnoise
    # Moré–Wild optimum with the true eps_f and |f''| (largest over the coordinates)
    sub = dict(zip(p.symbols, x, strict=True))
    mu = np.array([abs(float(sympy.diff(p.expr, s, 2).subs(sub))) for s in p.symbols])
    optimum = noise_aware_error(p.noise, float(mu.max()))
    exact = p.exact_gradient(x)
    rec = choice.recommended
    if rec.kind in ("step", "grid"):
        assert "noise-aware step" in rec.caveats
    est = get_method(rec.name, **rec.settings).gradient(f, x, step=rec.step)
    assert np.max(np.abs(est.value - exact)) <= 3 * optimum
    # and every difference method's step is the noise-aware one, none from the noisy sweep
    steps = [c for c in choice.ranking if c.family == "finite-difference"]
    assert steps and all("noise-aware step" in c.caveats for c in steps)


@pytest.mark.parametrize("name", [p.name for p in list_problems(tag="noisy")])
def test_noisy_forward_difference_step_is_the_more_wild_step(name: str) -> None:
    p = get_problem(name)
    x = np.array(p.points[0])
    f = real_only(p.function)
    choice = choose(f, x, methods=["forward"], noise=black_box_choice(name, 0, "real_only").noise)
    (fw,) = [c for c in choice.ranking if c.label == "forward(order=1)"]
    est = get_method("forward").gradient(f, x, step=fw.step)
    sub = dict(zip(p.symbols, x, strict=True))
    mu = np.array([abs(float(sympy.diff(p.expr, s, 2).subs(sub))) for s in p.symbols])
    h_mw = np.array([noise_aware_step(p.noise, m) for m in mu])
    # the step agrees with 8^(1/4) sqrt(eps_f/|f''|) within the spread of the estimates
    assert np.all(est.step / h_mw > 1 / 3) and np.all(est.step / h_mw < 3)
    err = np.abs(est.value - p.exact_gradient(x))
    assert np.all(err <= 3 * np.array([noise_aware_error(p.noise, m) for m in mu]))


def test_noisy_function_with_a_formula_does_not_use_the_formula() -> None:
    p = get_problem("runge~noise1e-8")
    choice = choose(p, methods=["sympy", "dual", "central"])
    (sym,) = [c for c in choice.rejected if c.name == "sympy"]
    assert sym.status == "not applicable" and "values differ" in sym.reason
    assert choice.probes.expression_matches is False
    assert choice.recommended.name == "dual"  # the noise is locally constant for dual numbers


def test_tight_budget_restricts_the_choice() -> None:
    p = get_problem("seed-product")
    f = real_only(p.function)  # no duals, no complex numbers: differences only
    choice = choose(f, p.points[0], budget=p.dim + 1)
    assert choice.recommended is not None
    assert all(c.nfev <= p.dim + 1 for c in choice.ranking)
    assert choice.recommended.nfev == p.dim + 1  # a forward-type difference
    over = [c for c in choice.rejected if c.status == "over budget"]
    assert {"central(order=2)", "richardson(levels=2)"} <= {c.label for c in over}
    assert any(r.startswith(f"Left out for the budget of {p.dim + 1}") for r in choice.reasons)
    tighter = choose(f, p.points[0], budget=p.dim, methods=["forward", "central"])
    assert tighter.recommended is None and tighter.ranking == ()
    assert tighter.reasons[0].startswith(f"No method fits the budget of {p.dim}")


def test_consensus_reference_is_honest_about_its_uncertainty() -> None:
    p = get_problem("exp-sin")
    choice = black_box_choice("exp-sin")
    ref = choice.reference
    assert ref.trusted and ref.source.startswith("agreement of") and "dual" in ref.methods
    exact = p.exact_gradient(p.points[0])
    dist = np.max(np.abs(ref.value - exact)) / np.max(np.abs(exact))
    assert dist <= max(ref.uncertainty, 4 * np.finfo(float).eps)


def test_ranking_order_and_rows() -> None:
    choice = black_box_choice("runge")
    rows = choice.ranking
    met = [c for c in rows if c.meets_target]
    assert rows[: len(met)] == tuple(met)  # target first
    # then counted cost (nfev, robustness, fixed order); a method moves ahead of one that
    # ranks before it on those only if it is clearly (2x) faster in the timing rounds
    for i, a in enumerate(met):
        for b in met[i + 1 :]:
            if candidate_key(b) < candidate_key(a):
                assert clearly_faster(a.timings, b.timings), (a.label, b.label)
    unmet = rows[len(met) :]
    assert list(unmet) == sorted(unmet, key=candidate_key)  # time never orders the others
    for c in rows:
        assert c.status == "ok" and c.code.startswith(f'get_method("{c.name}"')
        if c.kind in ("step", "grid"):
            assert c.window[0] <= c.window[1] and c.robustness >= 0
        else:
            assert math.isinf(c.robustness)
    # the formula methods do not apply to a plain callable, and say so
    reasons = {c.name: c.reason for c in choice.rejected}
    assert "needs the function's formula" in reasons["sympy"]


def test_code_runs_and_matches_the_recommendation() -> None:
    p = get_problem("seed-product")
    f, x = real_only(p.function), list(p.points[0])
    choice = choose(f, x, methods=["central", "forward"])
    value = eval(choice.code, {"get_method": get_method, "f": f, "x": x}).value  # noqa: S307
    _, rerun = rerun_error(choice, f, x, p.exact_gradient(x))
    assert np.array_equal(value, rerun)
    snippet = choice.snippet(["from mymod import g", "f = g"])
    assert snippet.splitlines()[:3] == [
        "from methods import get_method",
        "from mymod import g",
        "f = g",
    ]
    assert snippet.splitlines()[-1] == f"grad = {choice.code}.value"


def test_formula_gives_an_exact_reference_and_formula_methods() -> None:
    f = expression_function("q*chi*exp(delta)", "q,chi,delta")
    choice = choose(f, [0.3, -1.7, 2.9], methods=["sympy", "dual", "central"])
    assert choice.reference.source.startswith("exact gradient of the formula")
    assert choice.reference.uncertainty == 0
    rec = choice.recommended
    assert rec.name == "sympy" and rec.nfev == 0 and "uses the formula, not f" in rec.caveats
    assert any("differentiates the formula itself" in r for r in choice.reasons)


def test_high_dimension_sweeps_a_subset_of_coordinates() -> None:
    p = get_problem("rosenbrock-30")
    x = p.points[1]
    choice = choose(BlackBox(p.function), x, methods=["central"])
    assert any("Step sweeps ran on 8 of the 30 coordinates" in n for n in choice.notes)
    rec = choice.recommended
    err, _ = rerun_error(choice, BlackBox(p.function), x, p.exact_gradient(x))
    assert rec.meets_target and err <= choice.target


def test_report_and_json_are_complete() -> None:
    choice = black_box_choice("runge")
    text = choice.report()
    for part in ("What f is like at x", "Ranking", "Recommendation: dual", "Code:", "grad ="):
        assert part in text
    data = json.loads(json.dumps(choice.to_dict()))
    assert data["recommended"]["label"] == "dual"
    assert len(data["ranking"]) == len(choice.ranking)
    assert data["noise"]["ecnoise"]["info"] == "noise detected"


# -- bad input -----------------------------------------------------------------------------------
def _boom(x):
    raise ZeroDivisionError("boom")


@pytest.mark.parametrize(
    ("f", "x", "kwargs", "error", "message"),
    [
        (_boom, [1.0], {}, ValueError, r"f raised ZeroDivisionError at x = \[1\.\]: boom"),
        (lambda v: float(np.log(v[0])), [-1.0], {}, ValueError, r"outside the domain of f"),
        (np.sum, [1.0], {"target": 0.0}, ValueError, r"`target` must be positive"),
        (np.sum, [1.0], {"target": -1e-8}, ValueError, r"`target` must be positive"),
        (np.sum, [1.0], {"budget": 0}, ValueError, r"`budget` must be an integer >= 1"),
        (np.sum, [1.0], {"budget": 2.5}, TypeError, r"`budget` must be an integer"),
        (np.sum, [1.0], {"noise": "loud"}, ValueError, r"`noise` must be 'auto' or a level"),
        (np.sum, [1.0], {"noise": -1e-8}, ValueError, r"`noise` must be 'auto' or a finite"),
        (np.sum, [1.0, 2.0], {"reference": [1.0]}, ValueError, r"`reference` must be 2 finite"),
        (np.sum, [1.0], {"methods": ["nope"]}, ValueError, r"unknown method 'nope'"),
        (np.sum, [[1.0]], {}, ValueError, r"`x` must be 1-D"),
        (3.0, [1.0], {}, TypeError, r"`f` must be callable"),
    ],
)
def test_bad_input_is_a_clear_error(f, x, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        choose(f, x, **kwargs)


def test_formula_dimension_and_differentiability_errors() -> None:
    with pytest.raises(ValueError, match=r"`x` has 3 coordinate\(s\) but f's formula has 2"):
        choose(expression_function("x*y", "x,y"), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"not differentiable at x = \[0\.\]"):
        choose(expression_function("sqrt(x)", "x"), [0.0], methods=["central"])


# -- the command line ----------------------------------------------------------------------------
def test_cli_expression_run(capsys: pytest.CaptureFixture) -> None:
    argv = ["choose", "--expr", "q*chi*delta", "--vars", "q,chi,delta", "--at", "0.3,-1.7,2.9"]
    rc = main([*argv, "--methods", "sympy,central"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "Recommendation: sympy" in out
    assert "f = expression_function('q*chi*delta', 'q,chi,delta')" in out
    assert 'grad = get_method("sympy").gradient(f, x).value' in out
    rc = main([*argv, "--methods", "central", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["recommended"]["name"] == "central"
    assert data["snippet"].startswith("from methods import get_method\n")


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "usermod_choose.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            def f(q, chi):
                return q * np.exp(chi)
            def vec(x):
                return x[0] * np.exp(x[1])
            def boom(x):
                raise ZeroDivisionError("no")
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    yield
    sys.modules.pop("usermod_choose", None)


def test_cli_function_run(user_module, capsys: pytest.CaptureFixture) -> None:
    rc = main(["choose", "--function", "usermod_choose:f", "--at=-0.5,0.2", "--methods", "dual"])
    out = capsys.readouterr().out
    assert rc == 0 and "Recommendation: dual" in out
    assert "from methods import as_vector_function, get_method" in out
    assert "f = as_vector_function(f)" in out
    rc = main(["choose", "--function", "usermod_choose:vec", "--vector-input", "--at", "1,2",
               "--methods", "dual"])  # fmt: skip
    assert rc == 0 and "Recommendation: dual" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--function", "usermod_choose:boom", "--at", "1"], "f raised ZeroDivisionError"),
        (["--function", "no_such_module_xyz:f", "--at", "1"], "cannot import module"),
        (["--function", "usermod_choose:nothing", "--at", "1"], "has no attribute 'nothing'"),
        (["--function", "usermod_choose", "--at", "1"], "must look like module:function"),
        (["--expr", "log(x)", "--vars", "x", "--at=-1"], "outside the domain"),
        (["--expr", "x*y", "--vars", "x,y", "--at", "1,2,3"], "--vars names 2 variable"),
        (["--expr", "open('x')", "--vars", "x", "--at", "1"], "not allowed: calling 'open'"),
        (["--expr", "x", "--at", "1"], "--expr needs --vars"),
        (["--problem", "runge", "--target", "0"], "--target must be positive"),
        (["--problem", "runge", "--target", "abc"], "--target must be a number"),
        (["--problem", "runge", "--budget", "-2"], "--budget must be positive"),
        (["--problem", "runge", "--budget", "0"], "--budget must be positive"),
        (["--problem", "runge", "--noise", "-1"], "--noise must be 'auto' or a level"),
        (["--problem", "runge", "--at", "1,2"], "--at has 2 coordinate(s)"),
        (["--problem", "no-such-problem"], "unknown problem 'no-such-problem'"),
    ],
)
def test_cli_bad_input(user_module, capsys, argv, message) -> None:
    rc = main(["choose", *argv])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.err.startswith("diffbench choose: error: ")
    assert message in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_cli_budget_too_small_exits_1(capsys) -> None:
    rc = main(["choose", "--problem", "runge", "--budget", "1", "--methods", "central"])
    assert rc == 1
    assert "No method fits the budget of 1" in capsys.readouterr().out


def test_cli_in_a_subprocess_has_no_traceback(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "diffbench.chooser.cli", "--function", "nomod_xyz:f", "--at", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "cannot import module 'nomod_xyz'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_separate_arguments_through_as_vector_function() -> None:
    # the same function written with separate arguments gets the same recommendation
    f = as_vector_function(lambda x, y: np.exp(x) * np.sin(y))
    choice = choose(f, [0.7, 1.3], methods=["dual", "central"])
    assert choice.recommended.name == "dual"
    err, _ = rerun_error(choice, f, [0.7, 1.3], get_problem("exp-sin").exact_gradient([0.7, 1.3]))
    assert err <= 4 * np.finfo(float).eps
    assert (
        choice.recommended.error <= 2 * choice.reference.uncertainty
    )  # measured + u, measured <= u


def test_docstring_examples_run() -> None:
    import doctest

    import diffbench.chooser.api
    import diffbench.expressions
    import diffbench.noise

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for module in (diffbench.chooser.api, diffbench.expressions, diffbench.noise):
        result = doctest.testmod(module, optionflags=flags)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_diffbench_command_has_choose(capsys) -> None:
    from diffbench.cli import main as diffbench_main

    rc = diffbench_main(["choose", "--problem", "seed-square", "--methods", "dual,central"])
    assert rc == 0 and "Recommendation: dual" in capsys.readouterr().out
    rc = diffbench_main(["choose", "--problem", "seed-square", "--budget", "zero"])
    assert rc == 2 and "--budget must be an integer" in capsys.readouterr().err


def test_diffbench_choose_is_the_function_even_after_the_cli_is_imported() -> None:
    import diffbench
    import diffbench.chooser.cli  # noqa: F401  (imports the chooser package)

    choice = diffbench.choose(np.sum, [1.0, 2.0], methods=["central"], noise=0)
    assert isinstance(choice, Choice) and choice.recommended.name == "central"
