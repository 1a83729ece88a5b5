"""Stencils are applied in a fixed order of elementwise operations, never a BLAS product.

Each method's value (and error estimate) equals, bit for bit, a plain-Python evaluation that adds
the weighted values left to right (``acc = w0 f0; acc = acc + w1 f1; ...``): Python floats are
IEEE doubles rounded the same on every CPU, so the methods give the same bits on every CPU.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from methods import get_method
from methods.finite_difference import SCHEMES
from methods.fornberg import float_stencil
from methods.ordered_sum import ordered_sum, weighted_sum

EPS = float(np.finfo(float).eps)
POINTS = [np.array([0.3, -0.7, 1.9]), np.array([12.5, 1e-3, -300.25])]


def f(x):
    # values of mixed magnitude, so the order of summation shows in the last bits
    return float(np.sin(x[0]) * np.exp(x[1] / 7) + x[0] * x[1] * x[2] + 1e3 * np.cos(x[2] / 50))


def _bits(a) -> bytes:
    return np.asarray(a, dtype=float).tobytes()


def _at(x: np.ndarray, i: int, value: float) -> np.ndarray:
    y = x.copy()
    y[i] = value
    return y


def test_ordered_sum_adds_left_to_right_like_python():
    rng = np.random.default_rng(7)
    for k in range(1, 12):
        terms = rng.standard_normal((5, k)) * 10.0 ** rng.integers(-8, 9, size=(5, k))
        weights = rng.standard_normal(k)
        for row, values in zip(ordered_sum(terms), terms, strict=True):
            acc = float(values[0])
            for t in values[1:]:
                acc = acc + float(t)
            assert row == acc
        for row, values in zip(weighted_sum(terms, weights), terms, strict=True):
            acc = float(weights[0]) * float(values[0])
            for w, v in zip(weights[1:], values[1:], strict=True):
                acc = acc + float(w) * float(v)
            assert row == acc
    assert ordered_sum(np.zeros((3, 0))).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="`weights` has 2 entries"):
        weighted_sum(np.zeros((2, 3)), (1.0, 2.0))


@pytest.mark.parametrize("x", POINTS, ids=["unit", "wide"])
@pytest.mark.parametrize(
    ("scheme", "order"), [(s, p) for s, info in SCHEMES.items() for p in info.orders]
)
def test_finite_difference_is_the_plain_python_sum(scheme, order, x):
    est = get_method(scheme, order=order).gradient(f, x)
    offsets, weights = float_stencil(scheme, 1, order)
    expected = []
    for i in range(x.size):
        h = float(est.step[i])
        acc = None
        for s, w in zip(offsets, weights, strict=True):
            term = w * f(_at(x, i, float(x[i]) + s * h))
            acc = term if acc is None else acc + term
        expected.append(acc / h)
    assert _bits(est.value) == _bits(expected)


def _python_richardson(x: np.ndarray, levels: int) -> tuple[list[float], list[float]]:
    values, errors = [], []
    for i in range(x.size):
        h0 = 0.1 * max(1.0, abs(float(x[i])))
        d, r = [], []
        for k in range(levels + 1):
            half = h0 / 2.0**k
            plus, minus = float(x[i]) + half, float(x[i]) - half
            fp, fm, width = f(_at(x, i, plus)), f(_at(x, i, minus)), plus - minus
            d.append((fp - fm) / width)
            r.append(EPS * (abs(fp) + abs(fm)) / width + EPS * abs(d[-1]))
        # rows: [value, weight of D_0, ..., weight of D_L]
        col = [
            [d[k]] + [1.0 if m == k else 0.0 for m in range(levels + 1)] for k in range(levels + 1)
        ]
        table = [col]
        for j in range(1, levels + 1):
            prev, factor = table[-1], 4.0**j - 1.0
            table.append(
                [None] * j
                + [
                    [a + (a - b) / factor for a, b in zip(prev[k], prev[k - 1], strict=True)]
                    for k in range(j, levels + 1)
                ]
            )
        last, previous = table[levels][levels], table[levels - 1][levels - 1]
        acc = abs(last[1]) * r[0]
        for k in range(1, levels + 1):
            acc = acc + abs(last[1 + k]) * r[k]
        values.append(last[0])
        errors.append(abs(last[0] - previous[0]) + acc)
    return values, errors


@pytest.mark.parametrize("x", POINTS, ids=["unit", "wide"])
@pytest.mark.parametrize("levels", [1, 2, 3, 4, 6])
def test_richardson_is_the_plain_python_tableau(levels, x):
    est = get_method("richardson", levels=levels).gradient(f, x)
    values, errors = _python_richardson(x, levels)
    assert _bits(est.value) == _bits(values)
    assert _bits(est.error_estimate) == _bits(errors)


def _python_ridders(x: np.ndarray, i: int, con=1.4, ntab=10, safe=2.0) -> tuple[float, float]:
    def column(h: float) -> tuple[list[float], float]:
        plus, minus = float(x[i]) + h, float(x[i]) - h
        fp, fm, width = f(_at(x, i, plus)), f(_at(x, i, minus)), plus - minus
        q = (fp - fm) / width
        return q, EPS * (abs(fp) + abs(fm)) / width + EPS * abs(q)

    con2, hh = con * con, 0.1 * max(1.0, abs(float(x[i])))
    a = [[None] * ntab for _ in range(ntab)]
    rounding = [0.0] * ntab
    q, rounding[0] = column(hh)
    a[0][0] = [q] + [1.0 if m == 0 else 0.0 for m in range(ntab)]
    err, best = math.inf, None
    for c in range(1, ntab):
        hh /= con
        q, rounding[c] = column(hh)
        a[0][c] = [q] + [1.0 if m == c else 0.0 for m in range(ntab)]
        fac = con2
        for j in range(1, c + 1):
            a[j][c] = [
                (u * fac - v) / (fac - 1.0)
                for u, v in zip(a[j - 1][c], a[j - 1][c - 1], strict=True)
            ]
            fac *= con2
            errt = max(abs(a[j][c][0] - a[j - 1][c][0]), abs(a[j][c][0] - a[j - 1][c - 1][0]))
            if errt <= err:
                err, best = errt, a[j][c]
        if abs(a[c][c][0] - a[c - 1][c - 1][0]) >= safe * err:
            break
    acc = 0.0
    for w, r in zip(best[1:], rounding, strict=True):
        if w != 0:
            acc = acc + abs(w) * r
    return best[0], err + acc


@pytest.mark.parametrize("x", POINTS, ids=["unit", "wide"])
def test_ridders_is_the_plain_python_tableau(x):
    est = get_method("ridders").gradient(f, x)
    expected = [_python_ridders(x, i) for i in range(x.size)]
    assert _bits(est.value) == _bits([v for v, _ in expected])
    assert _bits(est.error_estimate) == _bits([e for _, e in expected])


@pytest.mark.parametrize("x", POINTS, ids=["unit", "wide"])
@pytest.mark.parametrize(
    ("edge_order", "position"), [(1, "center"), (2, "center"), (1, "edge"), (2, "edge")]
)
def test_numpy_gradient_point_form_is_the_plain_python_formula(edge_order, position, x):
    # numpy.gradient's own uniform-grid formulas, in its order of operations
    est = get_method("numpy-gradient", edge_order=edge_order, position=position).gradient(f, x)
    f0, expected = f(x), []
    for i in range(x.size):
        h, xi = float(est.step[i]), float(x[i])
        if position == "center":
            expected.append((f(_at(x, i, xi + h)) - f(_at(x, i, xi - h))) / (2.0 * h))
        elif edge_order == 1:
            expected.append((f(_at(x, i, xi + h)) - f0) / h)
        else:
            f1, f2 = f(_at(x, i, xi + 1.0 * h)), f(_at(x, i, xi + 2.0 * h))
            expected.append((-1.5 / h) * f0 + (2.0 / h) * f1 + (-0.5 / h) * f2)
    assert _bits(est.value) == _bits(expected)
