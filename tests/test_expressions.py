"""Safe formula parsing: whitelisted syntax only, nothing of the input ever executed."""

from __future__ import annotations

import os

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffbench.expressions import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    expression_function,
    parse_expression,
    parse_variables,
)
from diffbench.truth import exact_gradient

X, Y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)


# -- what is accepted ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x*y", X * Y),
        ("2*x**2 + 3*y - 4", 2 * X**2 + 3 * Y - 4),
        ("-x + (+y)", -X + Y),
        ("exp(-x**2) * sin(3*y)", sympy.exp(-(X**2)) * sympy.sin(3 * Y)),
        ("log(x, 2)", sympy.log(X) / sympy.log(2)),
        ("abs(x) * max(x, y)", sympy.Abs(X) * sympy.Max(X, Y)),
        ("pi * E", sympy.pi * sympy.E),
        ("x / 4", X / 4),
        ("2**3**2", sympy.Integer(512)),  # right-associative, as in Python
        ("sqrt(x) + atan2(y, x) + tanh(x)", sympy.sqrt(X) + sympy.atan2(Y, X) + sympy.tanh(X)),
    ],
)
def test_parses_the_allowed_language(text: str, expected: sympy.Expr) -> None:
    assert sympy.simplify(parse_expression(text, ["x", "y"]) - expected) == 0


def test_float_literals_are_the_exact_doubles() -> None:
    expr = parse_expression("0.1*x", ["x"])
    coeff = expr.as_coeff_Mul()[0]
    assert float(coeff) == 0.1
    assert sympy.Rational(coeff) == sympy.Rational(0.1)  # the binary double, not 1/10


def test_long_flat_sums_are_not_deep() -> None:
    text = "+".join(["x"] * 600)
    assert len(text) <= MAX_LENGTH
    assert parse_expression(text, ["x"]) == 600 * X


def test_expression_function_evaluates_in_the_vector_convention() -> None:
    f = expression_function("q*chi*delta", "q,chi,delta")
    assert float(f(np.array([0.5, 2.0, 3.0]))) == 3.0
    assert f(np.array([[0.5, 2.0, 3.0], [1.0, 1.0, -1.0]])).tolist() == [3.0, -1.0]
    assert [s.name for s in f.symbols] == ["q", "chi", "delta"]


# -- what is refused, each with a message naming it ----------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('ls')", r"attribute access \('\.system'\)"),
        ("__import__('os')", r"calling '__import__'"),
        ("open('f', 'w')", r"calling 'open'"),
        ("x.real", r"attribute access"),
        ("sin.__globals__", r"attribute access"),
        ("(lambda: 1)()", r"calling anything but a named function"),
        ("lambda: 1", r"lambda"),
        ("[t for t in (1,)]", r"comprehensions"),
        ("x[0]", r"subscripts"),
        ("'text'", r"the literal 'text' \(str\)"),
        ("sin(x=1)", r"keyword arguments in the call of 'sin'"),
        ("sin(x, y)", r"calling 'sin' with 2 argument\(s\)"),
        ("z + 1", r"the name 'z' \(not a declared variable"),
        ("x ^ 2", r"`\^` \(write powers as `\*\*`\)"),
        ("x % 2", r"the operator `%`"),
        ("x if y else 1", r"conditional expressions"),
        ("x < y", r"comparisons"),
        ("(x := 2)", r"assignment expressions"),
        ("1j * x", r"complex numbers"),
        ("True * x", r"the literal True"),
        ("9**9**9", r"an exponent larger than 1000"),
        ("(9**64)**64", r"a number of more than 4096 bits"),
        ("1e999 * x", r"overflows float64"),
        ("sin", r"the function 'sin' without a call"),
        ("x / 0", r"undefined \(division by zero\?\)"),
        ("(-2)**0.5 * x", r"not real-valued"),
        ("x +", r"not a valid formula"),
        ("", r"`text` is empty"),
        ("sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), r"nesting deeper than 40"),
        ("x" * (MAX_LENGTH + 1), r"at most 2000 are allowed"),
    ],
)
def test_refuses_with_a_message_naming_what(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_expression(text, ["x", "y"])


def test_refuses_non_string_text() -> None:
    with pytest.raises(TypeError, match="`text` must be a string"):
        parse_expression(b"x", ["x"])


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ("", r"at least one variable"),
        ("x,x", r"repeated name\(s\) x"),
        ("x,1y", r"'1y' is not a valid variable name"),
        ("lambda", r"'lambda' is a reserved name"),
        ("__class__", r"'__class__' is a reserved name"),
        ("sin", r"'sin' is the name of a function or constant"),
        ("pi", r"'pi' is the name of a function or constant"),
    ],
)
def test_bad_variable_names(variables: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_variables(variables)


def test_sympify_never_sees_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # sympify turns strings into code through parse_expr; make any such call fail loudly
    import sympy.parsing.sympy_parser as sp

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("parse_expr was called")

    monkeypatch.setattr(sp, "parse_expr", forbidden)
    expr = parse_expression("exp(x) * log(1 + y**2) - max(x, 2)", ["x", "y"])
    assert expr.free_symbols == {X, Y}


# -- hostile input never runs --------------------------------------------------------------------
def _payloads(path: str) -> list[str]:
    p = repr(path)
    return [
        f"__import__('os').system('touch ' + {p})",
        f"open({p}, 'w')",
        f"open({p}, 'w').write('x')",
        f"(lambda: open({p}, 'w'))()",
        f"[open({p}, 'w') for _ in [1]]",
        f"{{open({p}, 'w')}}",
        f"(open({p}, 'w') for _ in [1]).__next__()",
        f"exec(\"open({path!s}, 'w')\")",
        f"eval(\"open({path!s}, 'w')\")",
        "x.__class__.__mro__[-1].__subclasses__()",
        "sin.__globals__['__builtins__']['__import__']('os')",
        f"getattr(__builtins__, 'open')({p}, 'w')",
        f"sympify(\"open({path!s}, 'w')\")",
        f"x if open({p}, 'w') else y",
        f"(y := open({p}, 'w'))",
        f"sin(x=open({p}, 'w'))",
        f"sin(*[open({p}, 'w')])",
        f"f'{{open({p}, \"w\")}}'",
        f"x[open({p}, 'w')]",
        "9**9**9**9",
        "(" * 150 + "x" + ")" * 150,
    ]


_BENIGN = ["x", "y", "2", "sin(x)", "exp(-y**2)", "0.5", "pi", "x*y"]
_OPS = [" + ", " - ", " * ", " / ", " ** ", ", ", ".", "(", ")", " "]


def _hostile(path: str) -> st.SearchStrategy[str]:
    fragment = st.sampled_from(_payloads(path) + _BENIGN)
    glue = st.sampled_from(_OPS)
    joined = st.lists(st.tuples(fragment, glue), min_size=1, max_size=5).map(
        lambda parts: "".join(a + b for a, b in parts).rstrip(" +-*/,.(")
    )
    wrapped = st.tuples(st.sampled_from(list(FUNCTIONS) + ["", "open", "eval"]), joined).map(
        lambda t: f"{t[0]}({t[1]})" if t[0] else t[1]
    )
    return st.one_of(joined, wrapped, st.sampled_from(_payloads(path)))


def test_the_payloads_are_real(tmp_path: object) -> None:
    # Sanity check of the property test below: handed to eval, a payload does create the file.
    target = os.path.join(str(tmp_path), "X")
    eval(_payloads(target)[1])  # noqa: S307 - the point is to show what parse_expression prevents
    assert os.path.exists(target)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_input_is_rejected_or_pure_and_never_executes(tmp_path: object, data) -> None:
    sandbox = os.path.join(str(tmp_path), "sandbox")
    os.makedirs(sandbox, exist_ok=True)
    target = os.path.join(sandbox, "X")
    text = data.draw(_hostile(target))
    try:
        expr = parse_expression(text, ["x", "y"])
    except ValueError as exc:
        assert str(exc).startswith("`text`")
    else:
        assert isinstance(expr, sympy.Expr)
        assert expr.free_symbols <= {X, Y}
        assert "open" not in str(expr) and "import" not in str(expr)
    assert os.listdir(sandbox) == [], f"{text!r} created {os.listdir(sandbox)}"


# -- every function stays as written, and is right at tiny and huge arguments --------------------
_MP = {  # name -> (mpmath function, its derivative), written independently of SymPy
    "sin": (mpmath.sin, mpmath.cos),
    "cos": (mpmath.cos, lambda a: -mpmath.sin(a)),
    "tan": (mpmath.tan, lambda a: mpmath.sec(a) ** 2),
    "asin": (mpmath.asin, lambda a: 1 / mpmath.sqrt(1 - a**2)),
    "acos": (mpmath.acos, lambda a: -1 / mpmath.sqrt(1 - a**2)),
    "atan": (mpmath.atan, lambda a: 1 / (1 + a**2)),
    "sinh": (mpmath.sinh, mpmath.cosh),
    "cosh": (mpmath.cosh, mpmath.sinh),
    "tanh": (mpmath.tanh, lambda a: mpmath.sech(a) ** 2),
    "asinh": (mpmath.asinh, lambda a: 1 / mpmath.sqrt(1 + a**2)),
    "acosh": (mpmath.acosh, lambda a: 1 / mpmath.sqrt(a**2 - 1)),
    "atanh": (mpmath.atanh, lambda a: 1 / (1 - a**2)),
    "exp": (mpmath.exp, mpmath.exp),
    "expm1": (mpmath.expm1, mpmath.exp),
    "log": (mpmath.log, lambda a: 1 / a),
    "log1p": (mpmath.log1p, lambda a: 1 / (1 + a)),
    "log10": (mpmath.log10, lambda a: 1 / (a * mpmath.log(10))),
    "log2": (lambda a: mpmath.log(a, 2), lambda a: 1 / (a * mpmath.log(2))),
    "sqrt": (mpmath.sqrt, lambda a: 1 / (2 * mpmath.sqrt(a))),
    "cbrt": (
        lambda a: mpmath.sign(a) * mpmath.cbrt(abs(a)),
        lambda a: 1 / (3 * mpmath.cbrt(a * a)),
    ),
    "abs": (abs, mpmath.sign),
    "sign": (mpmath.sign, lambda a: 0),
    "erf": (mpmath.erf, lambda a: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-(a**2))),
    "erfc": (mpmath.erfc, lambda a: -2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-(a**2))),
}
_POINTS = {  # tiny and huge arguments inside each domain (and where float64 results are finite)
    "sin": [1e-300, -3e-8, 1e8],
    "cos": [1e-300, 1e8],
    "tan": [1e-300, 1.5],
    "asin": [1e-300, 0.999999],
    "acos": [1e-300, -0.999999],
    "atan": [1e-300, 1e300],
    "sinh": [1e-300, 700.0],
    "cosh": [1e-300, -700.0],
    "tanh": [1e-300, 18.0],
    "asinh": [1e-300, 1e300],
    "acosh": [1.0 + 1e-10, 1e300],
    "atanh": [1e-300, 0.999999],
    "exp": [-700.0, 1e-300, 700.0],
    "expm1": [1e-300, -1e-12, 700.0],
    "log": [1e-300, 1.0 + 1e-12, 1e300],
    "log1p": [1e-300, -1e-12, 1e300],
    "log10": [1e-300, 1e300],
    "log2": [1e-300, 1e300],
    "sqrt": [1e-300, 1e300],
    "cbrt": [1e-300, -8.0, -1e300],
    "abs": [-1e-300, 1e300],
    "sign": [-1e-300, 1e300],
    "erf": [1e-300, 3.0],
    "erfc": [1e-300, 20.0],
}


def _close(got: float, want: mpmath.mpf, rel: float) -> bool:
    want = float(want)
    return abs(got - want) <= rel * abs(want) or got == want


def test_every_one_argument_function_is_checked() -> None:
    one = {name for name, (_, arities) in FUNCTIONS.items() if 1 in arities}
    assert one == set(_MP) == set(_POINTS)


@pytest.mark.parametrize(("name", "point"), [(n, p) for n in _POINTS for p in _POINTS[n]])
def test_functions_stay_as_written_and_are_accurate(name: str, point: float) -> None:
    f = expression_function(f"{name}(x)", "x")
    assert f.expr.func.__name__ in (name, "Abs", "Pow") and f.expr.func is not sympy.Add
    fn, deriv = _MP[name]
    with mpmath.workdps(60):
        a = mpmath.mpf(point)
        value, slope = fn(a), deriv(a)
    assert _close(float(f(np.array([point]))), value, 1e-15), (name, point)
    if name == "sign":  # its derivative is a DiracDelta, which mpmath cannot evaluate
        return
    grad = exact_gradient(f.expr, f.symbols, np.array([point]))
    assert _close(float(grad[0]), slope, 1e-15), (name, point)


@pytest.mark.parametrize(
    ("text", "point", "value", "slope"),
    [
        # the cancellations that rewriting would bring back
        ("expm1(x)/x", 1e-12, lambda a: mpmath.expm1(a) / a, None),
        ("log1p(x)/x", 1e-12, lambda a: mpmath.log1p(a) / a, None),
        (
            "x*expm1(x)",
            1e-200,
            lambda a: a * mpmath.expm1(a),
            lambda a: mpmath.expm1(a) + a * mpmath.exp(a),
        ),
        (
            "log(x, 2) + log2(x)",
            1e300,
            lambda a: 2 * mpmath.log(a, 2),
            lambda a: 2 / (a * mpmath.log(2)),
        ),
        ("atan2(x, 2)", 1e-300, lambda a: mpmath.atan2(a, 2), None),
        ("max(x, 2*x)", 3.0, lambda a: 2 * a, None),
    ],
)
def test_formulas_keep_their_accuracy(text: str, point: float, value, slope) -> None:
    f = expression_function(text, "x")
    with mpmath.workdps(60):
        a = mpmath.mpf(point)
        want = value(a)
        want_slope = mpmath.diff(value, a) if slope is None else slope(a)
    assert _close(float(f(np.array([point]))), want, 1e-15), text
    grad = exact_gradient(f.expr, f.symbols, np.array([point]))
    assert _close(float(grad[0]), want_slope, 1e-14), text


def test_expm1_over_x_is_not_rewritten() -> None:
    f = expression_function("expm1(x)/x", "x")
    assert "expm1" in str(f.expr) and "exp(x) - 1" not in str(f.expr)
    assert abs(float(f(np.array([1e-12]))) - 1.0000000000005) <= 1e-15
    g = expression_function("log1p(x)", "x")
    assert str(g.expr) == "log1p(x)"


def test_cli_messages_name_the_options(capsys: pytest.CaptureFixture) -> None:
    from diffbench.chooser.cli import main

    rc = main(["choose", "--expr", "open('x')", "--vars", "x", "--at", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "--expr: not allowed: calling 'open'" in err and "`text`" not in err
    rc = main(["choose", "--expr", "x", "--vars", "x,x", "--at", "1,2"])
    err = capsys.readouterr().err
    assert rc == 2 and "--vars: repeated name(s) x" in err and "`variables`" not in err
    rc = main(["choose", "--expr", "x +", "--vars", "x", "--at", "1"])
    assert "--expr is not a valid formula" in capsys.readouterr().err
