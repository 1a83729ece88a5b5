"""Fixes from a new-user review of ``diffbench choose`` (the kinds chooser and its text).

No test depends on timing: where a time is asserted, the chooser's clock (``running.clock``)
is replaced by a fake one (as tests/test_choose_kinds_order.py does).
"""

from __future__ import annotations

import numpy as np
import pytest

from diffbench.chooser import choose, kinds, kinds_text, running, text
from diffbench.chooser.findings import NoiseOrigin
from diffbench.chooser.kinds import choose_kind
from diffbench.expressions import expression_function
from methods import get_method
from methods.counting import FunctionEvaluationError

RUNGE = expression_function("1/(1+25*x**2)", "x")
HESS = expression_function("exp(a)*sin(b) + a**2*b", "a,b")


def plain_map(x):
    """A Jacobian's f in plain numpy: neither dual-safe nor traceable by autograd."""
    return np.array([x[0] ** 2 * x[1], np.sin(x[1])])


# -- 1. the step sweep of a k-th derivative ------------------------------------------------------
def test_derivative_step_methods_are_swept_to_a_tuned_step() -> None:
    choice = choose_kind(RUNGE, [0.3], kind="derivative", deriv=3, methods=["central"], noise=0)
    c8 = next(c for c in choice.ranking if c.label == "central(order=8)")
    default = get_method("central", order=8).derivative(RUNGE, 0.3, deriv=3).value
    exact = choice_reference_value(0.3)
    assert abs(default - exact) / abs(exact) > 1e-3  # the default step is poor here
    assert c8.step is not None  # tuned, not the default
    assert c8.error < 1e-9 and "step=" in c8.code


def choice_reference_value(x: float) -> float:
    from diffbench.truth import exact_derivative

    return float(exact_derivative(RUNGE.expr, RUNGE.symbols[0], x, 3))


def test_a_defect_in_the_sweep_is_not_swallowed(monkeypatch) -> None:
    call = kinds._call

    def broken(method, kind, f, x, deriv, step):
        if step is not None and method.name == "central":
            raise IndexError("a defect of the sweep")
        return call(method, kind, f, x, deriv, step)

    monkeypatch.setattr(kinds, "_call", broken)
    with pytest.raises(IndexError, match="a defect of the sweep"):
        choose_kind(RUNGE, [0.3], kind="derivative", deriv=2, methods=["central"], noise=0)


def test_a_bad_step_a_method_rejects_is_skipped(monkeypatch) -> None:
    call = kinds._call

    def picky(method, kind, f, x, deriv, step):
        if step is not None and float(np.max(step)) < 1e-4:
            raise ValueError("`step` is lost in x + h")
        return call(method, kind, f, x, deriv, step)

    monkeypatch.setattr(kinds, "_call", picky)
    choice = choose_kind(RUNGE, [0.3], kind="derivative", deriv=2, methods=["central"], noise=0)
    assert all(c.step is None or c.step >= 1e-4 for c in choice.ranking)
    assert any(c.step is not None for c in choice.ranking)


# -- 2. the reference method is not scored against itself ----------------------------------------
def test_the_reference_method_is_scored_against_the_next_graded_one() -> None:
    choice = choose_kind(plain_map, [1.0, 2.0], kind="jacobian", noise=0)
    # ties of grade go by registry order: complex-step before numdifftools-complex, every run
    assert choice.reference == "complex-step"
    assert choice.second_reference == "numdifftools-complex"
    assert choice.uncertainty > 0
    own = next(c for c in choice.ranking if c.label == choice.reference)
    assert own.error == pytest.approx(2 * choice.uncertainty)  # its distance + the uncertainty
    assert all(c.error >= choice.uncertainty for c in choice.ranking)
    assert choice.recommended.label == "complex-step"
    assert "scored against numdifftools-complex" in choice.report()
    assert choice.to_dict()["second_reference"] == "numdifftools-complex"


def test_a_reference_method_alone_has_no_measured_error(monkeypatch) -> None:
    configurations = kinds._configurations

    def only_complex_step(kind, deriv, expr):
        return [c for c in configurations(kind, deriv, expr)
                if c[0].name in ("complex-step", "central")]  # fmt: skip

    monkeypatch.setattr(kinds, "_configurations", only_complex_step)
    choice = choose_kind(plain_map, [1.0, 2.0], kind="jacobian", noise=0)
    assert choice.reference == "complex-step" and choice.second_reference == ""
    own = next(c for c in choice.ranking if c.label == "complex-step")
    assert np.isnan(own.error) and not own.meets_target
    assert choice.recommended.label.startswith("central")
    report = choice.report()
    assert "n/a (ref)" in report and "its own error is not measured" in report


def test_autograd_names_a_vector_for_a_jacobian() -> None:
    with pytest.raises(FunctionEvaluationError) as info:
        get_method("autograd").jacobian(plain_map, [1.0, 2.0])
    assert "must return a real vector" in str(info.value)
    assert "real scalar" not in str(info.value)


# -- 3. time per call, after compilation ---------------------------------------------------------
def test_time_is_per_call_after_compilation(monkeypatch) -> None:
    now = [0.0]
    seen: set = set()
    call = kinds._call

    def fake(method, kind, f, x, deriv, step):
        out = call(method, kind, f, x, deriv, step)
        key = (type(method), repr(method))
        now[0] += 0.001 if key in seen else 5.0  # the first call "compiles": 5 fake seconds
        seen.add(key)
        return out

    monkeypatch.setattr(kinds, "_call", fake)
    monkeypatch.setattr(running, "clock", lambda: now[0])
    choice = choose_kind(HESS, [0.3, 1.2], kind="hessian", methods=["sympy", "central"], noise=0)
    sympy = next(c for c in choice.ranking if c.label == "sympy")
    assert sympy.nfev == 0
    assert sympy.seconds == pytest.approx(0.001)
    assert sympy.compile_seconds == pytest.approx(5.0 - 0.001)
    central = next(c for c in choice.ranking if c.label.startswith("central"))
    assert np.isnan(central.compile_seconds)  # evaluates f: timed on its first call
    assert "compile_seconds in --json" in choice.report()
    assert choice.to_dict()["ranking"][0]["compile_seconds"] == pytest.approx(4.999)


# -- 4. the text ---------------------------------------------------------------------------------
def test_a_cut_table_says_how_many_more() -> None:
    choice = choose_kind(HESS, [0.3, 1.2], kind="hessian", methods=["central"], noise=0)
    n = len(choice.ranking)
    assert n > 3
    assert f"... {n - 3} more (use --all or --json)" in choice.report(top=3)
    assert "more (use --all" not in choice.report(top=None)


def test_reasons_are_never_cut_mid_word() -> None:
    long = (
        "dual: f raised TypeError at x=[1.0, 2.0]: numpy.asarray() of a dual number with a "
        "non-zero derivative would silently drop the derivative; use `.value` if that is what "
        "you mean, or numpy functions that dual numbers support, of which there are many"
    )
    why = kinds_text.failure(TypeError(long))
    assert why.endswith("…") and len(why) <= 240
    kept = why[len("failed: TypeError: ") : -1]
    assert long.startswith(kept) and long[len(kept)] == " "  # cut at a word boundary
    assert kinds_text.failure(ValueError("step too small. Use 1e-3.")) == (
        "failed: ValueError: step too small."
    )
    cut = text.short(long, 100)
    assert cut.endswith("…") and long[len(cut) - 1] in " ;,"


def test_the_noise_line_says_one_thing() -> None:
    class Est:  # ECnoise found noise, at the rounding level
        info, level, nfev, detected = "noise detected", 3, 36, True

    source = text.noise_source(NoiseOrigin.ECNOISE, Est())
    assert "noise detected" not in source and "36 evaluations" in source
    quiet = text.noise_verdict(2e-16, False)
    assert "not noisy" in quiet and "noise-free" not in quiet
    assert "noisy" in text.noise_verdict(1e-6, True)
    choice = choose(lambda x: float(np.sum(x**2)), [0.5, 1.5], progress=False)
    line = next(s for s in choice.report(15).splitlines() if s.strip().startswith("noise "))
    assert ("not noisy" in line) != (" noisy (above" in line)
    assert "noise-free" not in line and "noise detected" not in line
