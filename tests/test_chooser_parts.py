"""The parts of the chooser package: findings as data, words only from text, declared capabilities.

These tests build the records directly (no full ``choose`` run), so they are fast; the behaviour
of ``choose`` on the battery is in test_choose.py.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
import sympy

import diffbench
from diffbench.chooser import Candidate, Choice, choose, text
from diffbench.chooser.context import Context
from diffbench.chooser.findings import (
    CandidateStatus,
    Caveat,
    ComplexOutcome,
    ComplexProbe,
    DualOutcome,
    DualProbe,
    ReferenceBasis,
    VectorizedOutcome,
    VectorizedProbe,
)
from diffbench.chooser.ranking import candidate_key
from diffbench.chooser.reference import consensus, exact_gradient, formula_reference, votes
from diffbench.chooser.results import Probes, Reference
from diffbench.chooser.running import Run, relative_error
from methods import Estimate, get_method, method_class
from methods.capabilities import Need


def row(label: str = "m", **fields) -> Candidate:
    base = {
        "label": label,
        "name": label,
        "family": "finite-difference",
        "kind": "step",
        "settings": {},
        "status": CandidateStatus.OK,
    }
    return Candidate(**{**base, **fields})


def estimate_run(value) -> Run:
    est = Estimate(np.asarray(value, dtype=float), None, 1, None, "m")
    return Run(est, None, 0.0)


def test_package_exports_and_diffbench_choose_is_the_function() -> None:
    assert callable(choose) and diffbench.choose is choose
    import diffbench.chooser as pkg

    assert set(pkg.__all__) <= set(dir(pkg)) | set(pkg._EXPORTS)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pkg.nope  # noqa: B018
    assert Choice.__module__ == "diffbench.chooser.results"


def test_every_caveat_has_words_and_candidates_give_them_in_order() -> None:
    assert set(text.CAVEAT_WORDS) == set(Caveat)
    assert len(set(text.CAVEAT_WORDS.values())) == len(Caveat)
    c = row(flags=(Caveat.ABSOLUTE_STEP, Caveat.NOISE_AWARE_STEP))
    assert c.caveats == ("absolute step", "noise-aware step")
    assert c.to_dict()["caveats"] == ["absolute step", "noise-aware step"]
    assert c.to_dict()["status"] == "ok" and type(c.to_dict()["status"]) is str


@pytest.mark.parametrize(
    ("probe", "words"),
    [
        (ComplexProbe(ComplexOutcome.ACCEPTED), "analytic at x (complex step agrees"),
        (ComplexProbe(ComplexOutcome.NOT_ANALYTIC_FORMULA, parts=("Abs", "sign")),
         "not analytic: the formula contains Abs, sign,"),
        (ComplexProbe(ComplexOutcome.NOT_ANALYTIC, coordinate=1, complex_step=2.0,
                      real_difference=-2.0),
         "not analytic at x: along x[1] the complex step gives 2, real differences -2"),
        (ComplexProbe(ComplexOutcome.NOT_ANALYTIC, "why"), "not analytic at x: why"),
        (ComplexProbe(ComplexOutcome.NOT_CONFIRMED), "not confirmed: f is noisy"),
        (ComplexProbe(ComplexOutcome.REJECTED, "TypeError: no"), "rejected: TypeError: no"),
        (ComplexProbe(ComplexOutcome.REJECTED), "rejected: f refused complex input"),
        (ComplexProbe(ComplexOutcome.NOT_PROBED), "not probed (no candidate method needs it)"),
    ],
)  # fmt: skip
def test_complex_probe_words(probe: ComplexProbe, words: str) -> None:
    assert text.complex_words(probe).startswith(words)
    probes = Probes(
        1.0,
        0.0,
        VectorizedProbe(VectorizedOutcome.ACCEPTED, 2),
        probe,
        DualProbe(DualOutcome.NOT_PROBED),
        None,
        None,
    )
    assert probes.complex == text.complex_words(probe)
    assert probes.complex_ok is (probe.outcome is ComplexOutcome.ACCEPTED)


def test_dual_and_vectorized_words() -> None:
    assert text.dual_words(DualProbe(DualOutcome.ACCEPTED)) == "accepted"
    assert text.dual_words(DualProbe(DualOutcome.REJECTED, "TypeError: x")) == (
        "rejected: TypeError: x"
    )
    assert text.vectorized_words(VectorizedProbe(VectorizedOutcome.RAISED, 2, "KeyError")) == (
        "no: f raised KeyError on an (m, n) array of points"
    )
    wrong = VectorizedProbe(VectorizedOutcome.WRONG_SHAPE, 2, shape=(3, 2))
    assert (
        text.vectorized_words(wrong)
        == "no: f maps a (3, 2) array of points to shape (3, 2), not (3,)"
    )
    assert not wrong.ok and VectorizedProbe(VectorizedOutcome.ACCEPTED, 2).ok


def test_reasons_follow_the_flags_not_the_words(monkeypatch) -> None:
    ref = Reference(np.ones(2), 0.0, ReferenceBasis.GIVEN)
    probes = Probes(
        1.0,
        0.0,
        VectorizedProbe(VectorizedOutcome.ACCEPTED, 2),
        ComplexProbe(ComplexOutcome.NOT_CONFIRMED),
        DualProbe(DualOutcome.NOT_PROBED),
        None,
        None,
    )
    rec = row(
        flags=(Caveat.NOISE_AWARE_STEP,),
        window=(1e-5, 1e-3),
        error=1e-7,
        best_error=1e-7,
        meets_target=True,
        nfev=3,
        seconds=1e-4,
    )
    # other words for the caveats change nothing in the reasons
    monkeypatch.setitem(text.CAVEAT_WORDS, Caveat.NOISE_AWARE_STEP, "something else")
    reasons = text.reasons(rec, [rec], [], probes, ref, 1e-6, None, 1e-9)
    assert any(r.startswith("f is noisy (eps_f ~ 1e-09)") for r in reasons)
    assert "The complex step is ruled out: its result cannot be confirmed on a noisy f." in reasons


def test_why_it_works_comes_from_needs() -> None:
    dual = row("dual", kind="exact", nfev=1, needs=frozenset({Need.DUAL}))
    code = row("autodiff", kind="exact", nfev=1)
    cs = row("cs", kind="adaptive", nfev=2, needs=frozenset({Need.COMPLEX}))
    assert "dual numbers" in text._why_it_works(dual)
    assert "differentiates f's code exactly" in text._why_it_works(code)
    assert "complex step has no subtractive cancellation" in text._why_it_works(cs)
    assert text._why_it_works(row()) == ""


def test_rejected_lines_group_by_status() -> None:
    rows = [
        row("a", status=CandidateStatus.FAILED, reason="boom"),
        row("b", status=CandidateStatus.OVER_BUDGET, nfev=5),
        row("c", status=CandidateStatus.FAILED, reason="boom"),
        row("over", status=CandidateStatus.NOT_APPLICABLE, reason="over there"),
        row("d", status=CandidateStatus.OVER_BUDGET, nfev=7),
    ]
    assert text.rejected_lines(rows) == [
        "  a, c: failed: boom",
        "  over budget (evaluations per gradient): b 5, d 7",
        "  over: not applicable: over there",
    ]


def test_candidate_key_orders_target_then_cost_then_robustness() -> None:
    rows = [
        row("unknown", nfev=1, seconds=1.0),
        row("misses", nfev=1, error=1e-3, seconds=1.0),
        row("meets-robust", nfev=4, meets_target=True, robustness=6.0, seconds=2.0),
        row("meets-narrow", nfev=4, meets_target=True, robustness=1.0, seconds=1.0),
        row("meets-cheap", nfev=2, meets_target=True, robustness=0.5, seconds=9.0),
    ]
    order = [c.label for c in sorted(rows, key=candidate_key)]
    assert order == ["meets-cheap", "meets-robust", "meets-narrow", "misses", "unknown"]


def test_reference_votes_by_declared_grade() -> None:
    assert votes(method_class("dual")) and votes(method_class("richardson"))
    assert votes(method_class("complex-step")) and votes(method_class("numdifftools-complex"))
    assert not votes(method_class("central")) and not votes(method_class("sympy"))


def test_consensus_ties_go_to_the_higher_grade_and_complex_needs_its_probe() -> None:
    dual, rich, cs = get_method("dual"), get_method("richardson"), get_method("complex-step")
    # two methods that disagree: no consensus; the exact one stands alone, untrusted
    ref = consensus([(rich, estimate_run([1.0])), (dual, estimate_run([2.0]))], True)
    assert ref.basis is ReferenceBasis.SINGLE and ref.methods == ("dual",) and not ref.trusted
    assert ref.source == "dual alone (no second method agreed within 1e-6)"
    assert ref.uncertainty == pytest.approx(0.5)
    # the complex step agrees with dual, but its probe failed: it does not vote
    pool = [(dual, estimate_run([2.0])), (cs, estimate_run([2.0]))]
    assert consensus(pool, False).basis is ReferenceBasis.SINGLE
    agreed = consensus(pool, True)
    assert agreed.basis is ReferenceBasis.CONSENSUS and agreed.trusted
    assert agreed.source == "agreement of dual, complex-step"
    assert consensus([], True).basis is ReferenceBasis.NONE


def test_exact_gradient_of_a_formula() -> None:
    x, y = sympy.symbols("x y")
    assert np.array_equal(exact_gradient(x * y, [x, y], np.array([2.0, 3.0])), [3.0, 2.0])
    with pytest.raises(ValueError, match=r"not differentiable at x = \[0\.\]"):
        exact_gradient(sympy.sqrt(x), [x], np.array([0.0]))
    # mpmath has no derivative of Mathieu functions; SymPy cannot print this derivative
    with pytest.raises(NotImplementedError, match="mpmath cannot evaluate"):
        exact_gradient(sympy.mathieuc(1, 1, x), [x], np.array([0.7]))
    with pytest.raises(NotImplementedError, match="mpmath cannot evaluate"):
        exact_gradient(sympy.polylog(x, 0.3), [x], np.array([0.7]))


def test_relative_error_scales_a_subset_by_the_whole_reference() -> None:
    assert relative_error(np.array([1.0]), np.array([1.5]), 5.0) == pytest.approx(0.1)
    assert relative_error(np.array([1.0]), np.array([1.5]), 0.0) == 0.5
    assert math.isnan(relative_error(np.array([np.nan]), np.array([1.5]), 1.0))
    assert math.isnan(relative_error(np.array([1.0]), np.array([np.inf]), 1.0))


def test_context_and_records_are_immutable() -> None:
    ctx = Context(
        f=np.sum,
        x=np.ones(2),
        target=1e-8,
        budget=None,
        has_expr=False,
        f0=2.0,
        matches=None,
        vectorized=True,
        complex_probe=ComplexProbe(ComplexOutcome.ACCEPTED),
        noisy=False,
        eps_f=1e-16,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.noisy = True  # type: ignore[misc]
    assert ctx.complex_ok and ctx.ref_scale == 0.0
    ref = Reference(np.array([3.0, -4.0]), 0.0, ReferenceBasis.EXACT)
    later = dataclasses.replace(ctx, ref=ref)
    assert later.ref_scale == 4.0 and ctx.ref is None
    assert ref.source == "exact gradient of the formula (SymPy + mpmath)"


def test_a_formula_mpmath_cannot_differentiate_gives_no_exact_reference_but_a_note() -> None:
    x = sympy.Symbol("x")
    f = SimpleNamespace(expr=sympy.polylog(x, 0.3), symbols=(x,))
    assert formula_reference(f, np.array([0.7])) == (None, [text.MPMATH_NOTE])
    f = SimpleNamespace(expr=x**3, symbols=(x,))
    ref, notes = formula_reference(f, np.array([2.0]))
    assert ref.basis is ReferenceBasis.EXACT and ref.value.tolist() == [12.0] and notes == []
