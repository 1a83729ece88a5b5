"""Safe formula parsing: whitelisted syntax only, nothing of the input ever executed."""

from __future__ import annotations

import os

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
