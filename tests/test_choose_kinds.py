"""diffbench choose --kind jacobian|hessian|derivative (diffbench/chooser/kinds.py)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from diffbench.chooser import choose
from diffbench.chooser.kinds import KindChoice, choose_kind
from diffbench.expressions import expression_function
from methods import as_vector_function, method_class
from methods.capabilities import ReferenceGrade

HESS = expression_function("exp(a)*sin(b) + a**2*b", "a,b")
X = [0.3, 1.2]


def test_hessian_with_formula_uses_exact_reference_and_declared_kinds():
    choice = choose(HESS, X, kind="hessian")
    assert isinstance(choice, KindChoice)
    assert choice.reference == "exact (formula)"
    labels = [c.label for c in choice.ranking]
    for c in choice.ranking:  # every candidate declares the kind
        assert "hessian" in method_class(c.label.split("(")[0]).derivative_kinds
    assert "dual" not in labels and "richardson(levels=4)" in labels and "ridders" in labels
    # sympy computes Hessians of a formula since the peers' kinds were merged: exact with no
    # evaluation of f, it ranks first, as the gradient chooser ranks it for a formula
    best = choice.recommended
    assert best.label == "sympy" and best.nfev == 0 and best.error < 1e-14
    assert best.meets_target and choice.code == "get_method('sympy').hessian(f, x)"
    hyper = next(c for c in choice.ranking if c.label == "hyper-dual")
    assert hyper.nfev == 2 and hyper.error < 1e-14 and hyper.meets_target
    text = choice.report()
    assert "Hessian" in text and "hyper-dual" in text and "evaluations of f" in text


def test_hessian_black_box_takes_best_graded_reference():
    f = as_vector_function(lambda a, b: a**2 * np.exp(b) + np.sin(a * b))
    choice = choose_kind(f, X, kind="hessian", methods=["central", "richardson"])
    # ReferenceGrade.EXACT comes first: hyper-dual, or autograd (which traces plain numpy
    # callables and computes Hessians since the peers' kinds were merged)
    assert method_class(choice.reference).reference == ReferenceGrade.EXACT
    assert 0 <= choice.uncertainty < 1e-9
    assert {c.label.split("(")[0] for c in choice.ranking} == {"central", "richardson"}
    assert all(c.error < 1e-6 and c.nfev > 0 for c in choice.ranking)


def test_jacobian_of_vector_function():
    f = lambda x: [x[0] ** 2 * x[1], np.sin(x[1]), x[0] * x[1]]  # noqa: E731 (duals pass)
    choice = choose(f, X, kind="jacobian", target=1e-10)
    assert choice.reference in ("dual", "hyper-dual")
    assert choice.recommended.nfev == 1 and choice.recommended.error < 1e-14
    assert choice.to_dict()["kind"] == "jacobian"


def test_third_derivative_with_budget():
    f = expression_function("x*sin(x)", "x")
    choice = choose(f, [0.7], kind="derivative", deriv=3, budget=12)
    assert choice.deriv == 3 and "3rd derivative" in choice.report()
    assert all(c.nfev <= 12 for c in choice.ranking)
    assert any("budget" in c.why for c in choice.rejected)  # ridders needs more
    assert choice.recommended.meets_target and "deriv=3" in choice.code


@pytest.mark.parametrize(
    ("f", "x", "kind", "match"),
    [
        (HESS, X, "jacobian", "`--kind` jacobian needs a vector-valued f.*--kind gradient"),
        (lambda x: x * 2.0, X, "hessian", "`--kind` hessian needs a scalar f"),
        (HESS, X, "derivative", "`--kind` derivative needs a function of one variable"),
        (HESS, X, "curl", "`--kind`"),
    ],
)
def test_bad_kind_is_one_line_naming_kind(f, x, kind, match):
    with pytest.raises(ValueError, match=match):
        choose(f, x, kind=kind)


def test_gradient_path_is_unchanged():
    choice = choose(HESS, X, methods=["dual", "central"])
    assert not isinstance(choice, KindChoice) and choice.recommended.label == "dual"


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "diffbench.cli", "choose", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_kind_hessian_and_errors():
    r = _cli("--expr", "exp(a)*sin(b)", "--vars", "a,b", "--at", "0.3,1.2", "--kind", "hessian")
    assert r.returncode == 0, r.stderr
    assert "recommended for the Hessian: sympy" in r.stdout  # a formula: exact, 0 evaluations
    r = _cli("--expr", "x*sin(x)", "--vars", "x", "--at", "0.7", "--kind", "derivative",
             "--deriv", "2", "--json")  # fmt: skip
    assert r.returncode == 0 and json.loads(r.stdout)["deriv"] == 2
    r = _cli("--expr", "x*sin(x)", "--vars", "x", "--at", "0.7", "--kind", "jacobian")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--kind" in r.stderr
