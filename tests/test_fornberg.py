"""Exact Fornberg weights and the stencil error model against docs/theory.md."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from methods.fornberg import (
    ErrorModel,
    Stencil,
    error_model,
    fornberg_weights,
    optimal_step,
    stencil,
)

EPS = 2.0**-52


def fr(text: str) -> tuple[F, ...]:
    """'-1/2, 0, 1/2' -> exact Fractions (weight lists as in docs/theory.md#fornberg-weights)."""
    return tuple(F(t.strip()) for t in text.split(","))


# docs/theory.md#fornberg-weights
CENTRAL_FIRST = {
    2: "-1/2, 0, 1/2",
    4: "1/12, -2/3, 0, 2/3, -1/12",
    6: "-1/60, 3/20, -3/4, 0, 3/4, -3/20, 1/60",
    8: "1/280, -4/105, 1/5, -4/5, 0, 4/5, -1/5, 4/105, -1/280",
}
CENTRAL_SECOND = {
    2: "1, -2, 1",
    4: "-1/12, 4/3, -5/2, 4/3, -1/12",
    6: "1/90, -3/20, 3/2, -49/18, 3/2, -3/20, 1/90",
    8: "-1/560, 8/315, -1/5, 8/5, -205/72, 8/5, -1/5, 8/315, -1/560",
}
FORWARD_FIRST = {
    1: "-1, 1",
    2: "-3/2, 2, -1/2",
    3: "-11/6, 3, -3/2, 1/3",
    4: "-25/12, 4, -3, 4/3, -1/4",
    5: "-137/60, 5, -5, 10/3, -5/4, 1/5",
    6: "-49/20, 6, -15/2, 20/3, -15/4, 6/5, -1/6",
}


@pytest.mark.parametrize("order", sorted(CENTRAL_FIRST))
def test_central_first_derivative_weights_exact(order: int) -> None:
    offsets, weights = stencil("central", 1, order)
    k = order // 2
    assert offsets == tuple(F(s) for s in range(-k, k + 1))
    assert weights == fr(CENTRAL_FIRST[order])
    assert all(isinstance(w, F) for w in weights)


@pytest.mark.parametrize("order", sorted(CENTRAL_SECOND))
def test_central_second_derivative_weights_exact(order: int) -> None:
    offsets, weights = stencil("central", 2, order)
    assert len(offsets) == order + 1
    assert weights == fr(CENTRAL_SECOND[order])


@pytest.mark.parametrize("order", sorted(FORWARD_FIRST))
def test_forward_weights_exact(order: int) -> None:
    offsets, weights = stencil("forward", 1, order)
    assert offsets == tuple(F(s) for s in range(order + 1))
    assert weights == fr(FORWARD_FIRST[order])


@pytest.mark.parametrize("order", sorted(FORWARD_FIRST))
def test_backward_is_mirrored_forward_with_odd_sign(order: int) -> None:
    # docs/theory.md#fornberg-weights: reverse the offsets; negate the weights for odd derivative
    # orders.
    offsets, weights = stencil("backward", 1, order)
    assert offsets == tuple(F(-s) for s in range(order + 1))
    assert weights == tuple(-w for w in fr(FORWARD_FIRST[order]))
    f_off, f_w = stencil("forward", 2, order)
    b_off, b_w = stencil("backward", 2, order)
    assert b_off == tuple(-s for s in f_off)
    assert b_w == f_w  # even derivative: same weights


def test_backward_weights_come_from_the_recursion_on_mirrored_nodes() -> None:
    assert stencil("backward", 1, 3).weights == fornberg_weights([0, -1, -2, -3], 1)
    assert stencil("backward", 1, 3).weights == fr("11/6, -3, 3/2, -1/3")


def test_arbitrary_rational_nodes_and_shifted_x0() -> None:
    # Non-uniform nodes: first derivative at 0 on {-1, 1/2, 2}, by hand from Lagrange polynomials.
    w = fornberg_weights([-1, F(1, 2), 2], 1)
    assert w == (F(-5, 9), F(4, 9), F(1, 9))
    # Shifting both nodes and x0 changes nothing.
    assert fornberg_weights([9, F(21, 2), 12], 1, x0=10) == w
    # deriv 0 interpolates: at a node, weight 1 there and 0 elsewhere.
    assert fornberg_weights([0, 1, 3], 0, x0=1) == (0, 1, 0)


def test_third_derivative_central_has_more_nodes() -> None:
    offsets, weights = stencil("central", 3, 2)
    assert offsets == tuple(F(s) for s in range(-2, 3))
    assert weights == fr("-1/2, 1, 0, -1, 1/2")


@st.composite
def nodes_and_deriv(draw: st.DrawFn) -> tuple[list[F], int]:
    raw = draw(
        st.lists(
            st.fractions(min_value=-5, max_value=5, max_denominator=12),
            min_size=2,
            max_size=7,
            unique=True,
        )
    )
    deriv = draw(st.integers(min_value=1, max_value=len(raw) - 1))
    return raw, deriv


@settings(max_examples=60, deadline=None)
@given(nodes_and_deriv(), st.fractions(min_value=-2, max_value=2, max_denominator=7))
def test_weights_reproduce_every_monomial_exactly(case: tuple[list[F], int], x0: F) -> None:
    # sum_j w_j (s_j - x0)^k = m! if k == m else 0, for every k < number of nodes. In particular
    # the weights of any derivative (m >= 1) sum to exactly 0.
    nodes, m = case
    w = fornberg_weights(nodes, m, x0=x0)
    assert sum(w) == 0
    for k in range(len(nodes)):
        moment = sum(wj * (s - x0) ** k for wj, s in zip(w, nodes, strict=True))
        assert moment == (math.factorial(m) if k == m else 0)


# docs/theory.md#optimal-steps table: method, order p, C, S, h* at unit scale (rounded there).
TABLE = [
    ("forward", 1, F(1, 2), F(2), 3.0e-8),
    ("backward", 1, F(-1, 2), F(2), 3.0e-8),
    ("central", 2, F(1, 6), F(1), 8.7e-6),
    ("central", 4, F(-1, 30), F(3, 2), 1.2e-3),
    ("central", 6, F(1, 140), F(11, 6), 1e-2),
    ("central", 8, F(-1, 630), F(25, 12), 3e-2),
    ("forward", 2, F(-1, 3), F(4), 1.1e-5),
]


@pytest.mark.parametrize(("scheme", "p", "c", "s", "h_table"), TABLE)
def test_error_model_matches_theory_table(scheme: str, p: int, c: F, s: F, h_table: float) -> None:
    em = error_model(scheme, 1, p)
    assert em == ErrorModel(deriv=1, order=p, truncation=c, abs_weight_sum=s)
    # C is the leading moment: sum w s^(p+1) / (p+1)!
    offsets, weights = stencil(scheme, 1, p)
    assert (
        sum(w * o ** (p + 1) for w, o in zip(weights, offsets, strict=True)) / math.factorial(p + 1)
        == c
    )
    h = optimal_step(scheme, 1, p)
    assert h == pytest.approx(h_table, rel=0.1)
    assert h == pytest.approx((float(s) * EPS / (p * abs(float(c)))) ** (1 / (p + 1)), rel=1e-12)


def test_optimal_step_closed_forms() -> None:
    assert optimal_step("forward", 1, 1) == pytest.approx(2 * math.sqrt(EPS), rel=1e-14)
    assert optimal_step("central", 1, 2) == pytest.approx((3 * EPS) ** (1 / 3), rel=1e-14)
    # second derivative, central order 2: C = 1/12, S = 4, h* = (2*4*eps/(2/12))^(1/4)
    assert error_model("central", 2, 2).truncation == F(1, 12)
    assert optimal_step("central", 2, 2) == pytest.approx((48 * EPS) ** 0.25, rel=1e-14)
    # a noisier f moves the optimum as eps^(1/(p+1))
    assert optimal_step("central", 1, 2, eps=1e-10) == pytest.approx((3e-10) ** (1 / 3), rel=1e-12)


def test_stencil_is_a_cached_named_tuple() -> None:
    s = stencil("central", 1, 4)
    assert isinstance(s, Stencil)
    assert stencil("central", 1, 4) is s
    offsets, weights = s
    assert len(offsets) == len(weights) == 5


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: stencil("sideways", 1, 2), ValueError, r"`scheme` must be one of \['central'"),
        (
            lambda: stencil("central", 1, 3),
            ValueError,
            r"`accuracy` of a central stencil must be even",
        ),
        (lambda: stencil("forward", 0, 2), ValueError, r"`deriv` must be an integer >= 1, got 0"),
        (lambda: stencil("forward", 1, 0), ValueError, r"`accuracy` must be an integer >= 1"),
        (lambda: stencil("forward", 1.0, 2), TypeError, r"`deriv` must be an integer, got float"),
        (lambda: stencil("forward", True, 2), TypeError, r"`deriv` must be an integer, got bool"),
        (
            lambda: fornberg_weights([0, 0.5, 1], 1),
            TypeError,
            r"`offsets` must hold exact rationals",
        ),
        (lambda: fornberg_weights([0, 1, 1], 1), ValueError, r"`offsets` must be distinct"),
        (lambda: fornberg_weights([0, 1], 2), ValueError, r"`offsets` needs more than `deriv`=2"),
        (lambda: fornberg_weights(3, 1), TypeError, r"`offsets` must be a sequence"),
        (lambda: fornberg_weights([0, 1], -1), ValueError, r"`deriv` must be an integer >= 0"),
        (lambda: fornberg_weights([0, 1], 1, x0=0.5), TypeError, r"`x0` must hold exact rationals"),
        (lambda: optimal_step("central", 1, 2, eps=0), ValueError, r"`eps` must be a real number"),
    ],
)
def test_bad_arguments_name_the_parameter(call, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        call()
