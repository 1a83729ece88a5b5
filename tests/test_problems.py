"""The problem battery: exact ground truth checked against independent mpmath differentiation."""

from __future__ import annotations

import pickle
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from diffbench.problems import (
    TAGS,
    NoisyFunction,
    Problem,
    get_problem,
    list_problems,
    make_noisy,
    point_noise,
    register_problem,
    rosenbrock,
    unregister_problem,
)
from methods import SymbolicFunction

BATTERY = list_problems()
CASES = [(p, pt) for p in BATTERY for pt in p.points]
IDS = [f"{p.name}@{pt[0]!r}" for p, pt in CASES]


def _mpmath_diff(problem: Problem, point: tuple, dps: int = 60) -> list:
    """Partial derivatives by mpmath's own numerical differentiation of the expression."""
    f = sympy.lambdify(problem.symbols, problem.expr, modules="mpmath")
    with mpmath.workdps(dps):
        x = [mpmath.mpf(v) for v in point]
        out = []
        for i in range(len(x)):

            def partial(t, i=i):
                return f(*x[:i], t, *x[i + 1 :])

            out.append(mpmath.diff(partial, x[i]))
        return out


# -- the battery -----------------------------------------------------------------------------
def test_battery_covers_every_hazard():
    names = [p.name for p in BATTERY]
    assert len(names) >= 14 and len(set(names)) == len(names)
    for required in ("seed-product", "seed-quadratic", "seed-square", "runge", "rosenbrock-2"):
        assert required in names
    assert "rosenbrock-10" in names
    covered = set().union(*(p.tags for p in BATTERY))
    assert covered == TAGS - {"noisy"}
    assert all(p.noise == 0 and "noisy" not in p.tags for p in BATTERY)


def test_points_are_doubles_inside_the_domain_and_not_all_dyadic():
    dyadic = 0
    for p in BATTERY:
        assert 1 <= len(p.points) <= 3
        assert len(p.domain) == p.dim
        for pt in p.points:
            assert all(type(v) is float for v in pt)
            assert all(lo <= v <= hi for v, (lo, hi) in zip(pt, p.domain, strict=True))
            dyadic += all(Fraction(v).denominator <= 2**10 for v in pt)
    assert dyadic < len(CASES) / 2


def test_seed_product_truth_is_the_exact_products():
    p = get_problem("seed-product")
    q, chi, delta = p.points[0]
    assert p.points[0] == (0.3, -1.7, 2.9)
    expected = [Fraction(chi) * Fraction(delta), Fraction(q) * Fraction(delta)]
    expected.append(Fraction(q) * Fraction(chi))
    assert p.exact_gradient(p.points[0]).tolist() == [float(e) for e in expected]


@pytest.mark.parametrize(("problem", "point"), CASES, ids=IDS)
def test_truth_agrees_with_independent_mpmath_diff(problem, point):
    truth = problem.exact_gradient_mp(point)
    reference = _mpmath_diff(problem, point)
    for t, r in zip(truth, reference, strict=True):
        if r == 0 or abs(t) < mpmath.mpf(10) ** -40:
            assert abs(t - r) < mpmath.mpf(10) ** -30
        else:
            assert abs(t - r) / abs(r) < mpmath.mpf(10) ** -30
    # rounded once to float64 from the 50-digit value
    assert problem.exact_gradient(point).tolist() == [float(t) for t in truth]


def test_truth_is_taken_at_the_double_not_the_decimal():
    # 1.001 is not representable; x - 1 at the double is 1.00000000000000e-3 + 8.9e-17 (exact)
    p = get_problem("pole")
    x = Fraction(1.001)
    assert x != Fraction(1001, 1000)
    assert p.exact_gradient([1.001])[0] == float(-1 / (x - 1) ** 2)
    assert p.exact_gradient([1.001])[0] != -1e6


def test_exact_value_matches_numpy_function_at_smooth_points():
    for p in list_problems(tag="smooth"):
        for pt in p.points:
            exact = p.exact_value(pt)
            assert p.function(np.array(pt)) == pytest.approx(exact, rel=1e-14)


def test_cancellation_is_really_in_the_numpy_callable():
    p = get_problem("expm1-ratio")
    exact = p.exact_value([1e-7])
    numpy_value = float(p.function(np.array([1e-7])))
    assert 1e-11 < abs(numpy_value - exact) / exact < 1e-7  # exp(x) - 1 lost ~9 digits
    assert isinstance(p.function, SymbolicFunction) and p.function.expr == p.expr


def test_function_is_vectorized_and_agrees_row_by_row():
    for p in BATTERY:
        X = np.array(p.points)
        batch = p.function(X)
        assert batch.shape == (len(p.points),)
        rows = [p.function(row) for row in X]
        np.testing.assert_array_equal(batch, rows)


def test_exact_gradients_on_a_grid():
    p = get_problem("runge")
    X = np.linspace(-1.0, 1.0, 257)[:, None]
    G = p.exact_gradients(X)
    assert G.shape == (257, 1)
    for i in (0, 100, 128, 256):
        assert G[i, 0] == p.exact_gradient(X[i])[0]
    assert G[128, 0] == 0.0  # x = 0 exactly
    with pytest.raises(ValueError, match="`X` must have shape"):
        p.exact_gradients(X[:, 0])


def test_bad_points_for_the_exact_gradient():
    p = get_problem("exp-sin")
    with pytest.raises(ValueError, match="`x` has 3 coordinates"):
        p.exact_gradient([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="`x` must be finite"):
        p.exact_gradient([np.nan, 1.0])
    with pytest.raises(ValueError, match="`dps` must be an integer >= 16"):
        p.exact_gradient_mp([0.1, 0.2], dps=10)
    with pytest.raises(ValueError, match="complex"):
        get_problem("sqrt-near-0").exact_gradient([-1.0])


def test_precision_rises_where_the_derivative_formula_cancels():
    # d/dx (e^x - 1)/x = e^x/x - (e^x - 1)/x^2: at x = 1e-45 that loses ~45 digits, so the
    # 50-digit value is wrong in float64, and the certified one is 1/2 (+ x/3, below an ulp).
    p = get_problem("expm1-ratio")
    assert float(p.exact_gradient_mp([1e-45])[0]) != 0.5
    assert p.exact_gradient([1e-45])[0] == 0.5


def test_warns_when_the_truth_cannot_be_confirmed():
    x = sympy.Symbol("x", real=True)
    # tan^2 - sec^2 = -1: its derivative formula gives rounding residue at every precision
    p = Problem(
        "hidden-zero",
        sympy.tan(x) ** 2 - sympy.sec(x) ** 2,
        (x,),
        ((0.3,),),
        ((0.0, 1.0),),
        frozenset(),
        "",
    )
    with pytest.warns(RuntimeWarning, match="could not be confirmed"):
        g = p.exact_gradient([0.3])
    assert abs(g[0]) < 1e-300


# -- Rosenbrock ------------------------------------------------------------------------------
def _rosenbrock_closed_form(x: list[Fraction]) -> list[Fraction]:
    n = len(x)
    g = [Fraction(0)] * n
    for i in range(n - 1):
        g[i] += -400 * x[i] * (x[i + 1] - x[i] ** 2) - 2 * (1 - x[i])
        g[i + 1] += 200 * (x[i + 1] - x[i] ** 2)
    return g


def test_rosenbrock_1000_gradient_equals_the_closed_form():
    p = rosenbrock(1000)
    assert p is get_problem("rosenbrock-1000") and p.dim == 1000
    assert "high-dimensional" in p.tags
    assert p.name not in [q.name for q in list_problems()]
    for pt in p.points:
        exact = [Fraction(v) for v in pt]  # polynomial: exact rational arithmetic
        expected = [float(g) for g in _rosenbrock_closed_form(exact)]
        assert p.exact_gradient(pt).tolist() == expected


def test_rosenbrock_2_classic_values():
    p = get_problem("rosenbrock-2")
    # at the double nearest -1.2, not at -1.2: -215.59999999999994, -87.99999999999999
    x1 = Fraction(-1.2)
    expected = [-400 * x1 * (1 - x1**2) - 2 * (1 - x1), 200 * (1 - x1**2)]
    assert p.exact_gradient([-1.2, 1.0]).tolist() == [float(e) for e in expected]
    assert p.exact_gradient([-1.2, 1.0]).tolist() != [-215.6, -88.0]
    assert p.exact_value([-1.2, 1.0]) == float(100 * (1 - x1**2) ** 2 + (1 - x1) ** 2)
    assert p.function(np.array([1.0, 1.0])) == 0.0


def test_rosenbrock_bad_sizes():
    with pytest.raises(ValueError, match="`n` must be an integer >= 2"):
        rosenbrock(1)
    with pytest.raises(ValueError, match="`n` must be at most 1000"):
        rosenbrock(1001)
    with pytest.raises(TypeError, match="`n` must be an integer"):
        rosenbrock(2.5)
    with pytest.raises(ValueError, match="`n` must be at most 1000"):
        get_problem("rosenbrock-2000")


# -- registry ----------------------------------------------------------------------------------
def test_get_problem_errors_list_the_choices():
    with pytest.raises(ValueError, match=r"unknown problem 'rungee'; choose from \[.*'runge'"):
        get_problem("rungee")
    with pytest.raises(TypeError, match="`name` must be a string"):
        get_problem(3)
    with pytest.raises(ValueError, match="unknown problem 'nothing'"):
        get_problem("nothing~noise1e-8")


def test_list_problems_filters_by_tag():
    assert [p.name for p in list_problems(tag="runge")] == ["runge"]
    assert {p.name for p in list_problems(tag="zero-derivative")} == {"abs-cubed", "cos-zero"}
    assert list_problems() == BATTERY  # stable order
    with pytest.raises(ValueError, match="`tag` must be one of"):
        list_problems(tag="wobbly")


@pytest.fixture
def user_problem():
    u, v = sympy.symbols("u v", real=True)
    p = register_problem(
        "test-user-cubic",
        u**3 * v,
        (u, v),
        [(0.25, -1.5), [0.7, 0.1]],
        domain=[(-1, 1), (-2, 2)],
        tags={"polynomial", "smooth"},
        description="u^3 v",
    )
    yield p
    unregister_problem("test-user-cubic")


def test_register_problem_adds_a_listed_problem(user_problem):
    assert get_problem("test-user-cubic") is user_problem
    assert list_problems()[-1] is user_problem
    assert user_problem.points == ((0.25, -1.5), (0.7, 0.1))
    assert user_problem.domain == ((-1.0, 1.0), (-2.0, 2.0))
    np.testing.assert_array_equal(user_problem.exact_gradient([0.5, 2.0]), [1.5, 0.125])
    with pytest.raises(ValueError, match="`name` 'test-user-cubic' is already taken"):
        register_problem(
            "test-user-cubic",
            user_problem.expr,
            user_problem.symbols,
            user_problem.points,
            domain=user_problem.domain,
            tags=(),
            description="",
        )


def test_unregister_only_user_problems():
    with pytest.raises(ValueError, match="`name` 'runge' is not a user-registered problem"):
        unregister_problem("runge")


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"name": ""}, ValueError, "`name` must be a non-empty string"),
        ({"name": "runge"}, ValueError, "`name` 'runge' is already taken"),
        ({"name": "rosenbrock-5"}, ValueError, "`name` 'rosenbrock-5' is already taken"),
        ({"name": "a~noise1"}, ValueError, "`name` must not contain"),
        ({"expr": "x**2"}, TypeError, "`expr` must be a SymPy expression"),
        ({"symbols": ()}, ValueError, "`symbols` must not be empty"),
        ({"symbols": ("x",)}, TypeError, "`symbols` must contain only sympy.Symbol"),
        ({"expr": sympy.Symbol("y") * 2}, ValueError, r"`symbols` must include .*\['y'\]"),
        ({"points": [(0.1, 0.2)]}, ValueError, "`points` must be a non-empty sequence"),
        ({"points": []}, ValueError, "`points` must be a non-empty sequence"),
        ({"points": [(np.inf,)]}, ValueError, "`points` must be finite"),
        ({"points": [(5.0,)]}, ValueError, "`points` must lie inside `domain`"),
        ({"domain": [(1.0, -1.0)]}, ValueError, "`domain` needs finite low < high"),
        ({"domain": [(0, 1), (0, 1)]}, ValueError, r"`domain` must be 1 pairs"),
        ({"tags": {"fancy"}}, ValueError, r"`tags` has unknown tag\(s\) \['fancy'\]"),
        ({"tags": "smooth"}, TypeError, "`tags` must be a collection"),
        ({"tags": {"noisy"}}, ValueError, "`tags` contains 'noisy' but `noise` is 0"),
        ({"description": None}, TypeError, "`description` must be a string"),
    ],
)
def test_register_problem_rejects_bad_input(change, error, match):
    x = sympy.Symbol("x", real=True)
    kwargs = {
        "name": "test-bad",
        "expr": x**2,
        "symbols": (x,),
        "points": [(0.5,)],
        "domain": [(-1.0, 1.0)],
        "tags": {"smooth"},
        "description": "bad",
    }
    kwargs.update(change)
    with pytest.raises(error, match=match):
        register_problem(
            kwargs.pop("name"), kwargs.pop("expr"), kwargs.pop("symbols"), kwargs.pop("points"),
            **kwargs,
        )  # fmt: skip
    assert "test-bad" not in [p.name for p in list_problems()]


def test_problems_pickle_without_their_compiled_caches():
    p = get_problem("exp-sin")
    expected = p.exact_gradient(p.points[0])
    p.function(np.array(p.points[0]))
    q = pickle.loads(pickle.dumps(p))
    assert q == p and hash(q) == hash(p)
    np.testing.assert_array_equal(q.exact_gradient(q.points[0]), expected)


# -- noise ---------------------------------------------------------------------------------------
def test_noisy_variants_are_opt_in():
    noisy = list_problems(include_noisy=True)
    extra = noisy[len(BATTERY) :]
    assert noisy[: len(BATTERY)] == BATTERY
    assert 2 <= len(extra) <= 3
    assert all("noisy" in p.tags and p.noise > 0 for p in extra)
    assert list_problems(tag="noisy") == extra
    assert "runge~noise1e-8" in [p.name for p in extra]


def test_make_noisy_keeps_the_noise_free_truth():
    base = get_problem("runge")
    p = get_problem("runge~noise1e-8")
    assert p is get_problem("runge~noise1e-08")  # same level, same problem
    assert p.name == "runge~noise1e-8" and p.noise == 1e-8 and p.expr == base.expr
    assert isinstance(p.function, NoisyFunction) and p.function.noise == 1e-8
    np.testing.assert_array_equal(p.exact_gradient([0.3]), base.exact_gradient([0.3]))
    assert p.exact_value([0.3]) == base.exact_value([0.3])
    assert make_noisy(base, 2.5e-7).name == "runge~noise2.5e-7"
    with pytest.raises(ValueError, match="`level` must be positive and finite"):
        make_noisy(base, 0.0)
    with pytest.raises(ValueError, match="`level` must be positive and finite"):
        make_noisy(base, np.nan)
    with pytest.raises(ValueError, match="`problem` 'runge~noise1e-8' is already noisy"):
        make_noisy(p, 1e-6)


def test_noise_is_deterministic_per_point():
    p = get_problem("exp-sin~noise1e-8")
    x = np.array([0.7, 1.3])
    first = p.function(x)
    assert p.function(x.copy()) == first
    batch = p.function(np.array([x, [0.7, 1.3 + 2**-52], x]))
    assert batch[0] == batch[2] == first
    assert batch[1] != batch[0]
    assert point_noise([0.0, 1.0]) == point_noise([-0.0, 1.0])
    assert point_noise([1.0, 0.0]) != point_noise([0.0, 1.0])


def test_noise_has_the_stated_standard_deviation():
    p = get_problem("runge~noise1e-8")
    clean = get_problem("runge").function
    X = np.random.default_rng(7).uniform(-1.0, 1.0, size=(20000, 1))
    z = (p.function(X) - clean(X)) / 1e-8
    assert 0.8 < np.std(z) < 1.2
    assert abs(np.mean(z)) < 0.05
    # normal, not uniform: about 4.6% of values beyond 2 sigma
    assert 0.035 < np.mean(np.abs(z) > 2) < 0.06


def test_noise_passes_complex_inputs_through():
    p = get_problem("runge~noise1e-8")
    h = 1e-20
    value = p.function(np.array([0.3 + 1j * h]))
    assert value.imag / h == pytest.approx(p.exact_gradient([0.3])[0], rel=1e-14)
    assert value.real == p.function(np.array([0.3]))


@pytest.mark.parametrize("name", ["sin-exp-log", "seed-quadratic", "rosenbrock-10", "x-abs-x"])
def test_gradient_expressions_equal_sympy_diff(name):
    p = get_problem(name)
    for g, s in zip(p.gradient_exprs, p.symbols, strict=True):
        assert sympy.expand(g - sympy.diff(p.expr, s)) == 0


@pytest.mark.parametrize(
    ("expr", "point", "match"),
    [
        (
            1 / sympy.Symbol("t", real=True),
            0.0,
            r"`points`: the exact gradient of 'bad' is undefined at \(0\.0,\) \(ZeroDivisionError\)",  # noqa: E501
        ),
        (
            sympy.sqrt(sympy.Symbol("t", real=True)),
            -1.0,
            r"`points`: .* undefined at \(-1\.0,\) \(ValueError: .*complex",
        ),
    ],
)
def test_register_problem_rejects_points_without_ground_truth(expr, point, match):
    from diffbench.problems import get_problem

    (t,) = expr.free_symbols
    with pytest.raises(ValueError, match=match):
        register_problem(
            "bad", expr, (t,), [(point,)], domain=[(-1.0, 1.0)], tags=["smooth"], description="d"
        )
    with pytest.raises(ValueError, match="unknown problem"):
        get_problem("bad")
