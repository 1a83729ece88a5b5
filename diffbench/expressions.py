"""Safe parsing of a user's formula into a SymPy expression, without executing anything.

``sympy.sympify`` (and ``parse_expr``) hand their input to Python's ``eval``: a string such as
``__import__('os').system('...')`` runs. Here the text is only *parsed* with Python's ``ast``
(``mode="eval"``), every node is checked against a strict whitelist, and the SymPy expression is
built from the nodes by this module. Nothing of the user's text is ever evaluated by Python or
seen by ``sympify``.

Allowed: integer and float literals, the declared variables, ``+ - * / **``, unary ``+``/``-``,
parentheses, calls of the functions in :data:`FUNCTIONS` with positional arguments, and the
constants in :data:`CONSTANTS`. Everything else is rejected with a ``ValueError`` naming it.

Every function stays as written: ``expm1``, ``log1p``, ``log2`` and ``log10`` are SymPy's
C functions (:mod:`sympy.codegen.cfunctions`), never rewritten as ``exp(a) - 1`` or
``log(1 + a)``, so the numpy callable calls ``numpy.expm1`` and ``expm1(x)/x`` at ``1e-12`` is
``1.0000000000005``, not ``1.0000889``; ``cbrt`` is the real cube root (:class:`cbrt`,
``numpy.cbrt``), defined for negative arguments.

Messages name the parameter as the caller knows it: ``text`` and ``variables`` by default,
``--expr`` and ``--vars`` from the command line (the ``text_name`` and ``variables_name``
arguments).
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import sympy
from sympy.codegen import cfunctions

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "cbrt",
    "expression_function",
    "parse_expression",
    "parse_variables",
]

#: Longest accepted text, in characters.
MAX_LENGTH = 2000
#: Deepest accepted nesting of operations and calls.
MAX_DEPTH = 40
#: Largest accepted |exponent| when the exponent is a number (stops ``9**9**9``).
MAX_EXPONENT = 1000
#: Largest accepted exact integer or rational (bits of numerator or denominator).
_MAX_BITS = 4096


def _log(*args: Any) -> sympy.Expr:
    return sympy.log(*args)


class cbrt(sympy.Function):  # noqa: N801 (the name users write)
    """The real cube root, ``sign(a) |a|^(1/3)`` (``numpy.cbrt``; SymPy's ``cbrt`` is complex
    for negative ``a``).

    Examples
    --------
    >>> a = sympy.Symbol("a", real=True)
    >>> cbrt(sympy.Integer(-8)), cbrt(a).diff(a)
    (-2, 1/(3*cbrt(a)**2))
    """

    nargs = 1

    @classmethod
    def eval(cls, a: Any) -> Any:
        if a.is_Number:
            return sympy.real_root(a, 3)
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        return 1 / (3 * cbrt(self.args[0]) ** 2)

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real

    def _numpycode(self, printer: Any) -> str:
        return f"{printer._module_format('numpy.cbrt')}({printer._print(self.args[0])})"

    def _mpmathcode(self, printer: Any) -> str:
        a = printer._print(self.args[0])
        sign, root = printer._module_format("mpmath.sign"), printer._module_format("mpmath.cbrt")
        return f"({sign}({a})*{root}(abs({a})))"


# name -> (SymPy builder, accepted numbers of arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[int, ...]]] = {
    "sin": (sympy.sin, (1,)),
    "cos": (sympy.cos, (1,)),
    "tan": (sympy.tan, (1,)),
    "asin": (sympy.asin, (1,)),
    "acos": (sympy.acos, (1,)),
    "atan": (sympy.atan, (1,)),
    "atan2": (sympy.atan2, (2,)),
    "sinh": (sympy.sinh, (1,)),
    "cosh": (sympy.cosh, (1,)),
    "tanh": (sympy.tanh, (1,)),
    "asinh": (sympy.asinh, (1,)),
    "acosh": (sympy.acosh, (1,)),
    "atanh": (sympy.atanh, (1,)),
    "exp": (sympy.exp, (1,)),
    "expm1": (cfunctions.expm1, (1,)),
    "log": (_log, (1, 2)),
    "log1p": (cfunctions.log1p, (1,)),
    "log10": (cfunctions.log10, (1,)),
    "log2": (cfunctions.log2, (1,)),
    "sqrt": (sympy.sqrt, (1,)),
    "cbrt": (cbrt, (1,)),
    "abs": (sympy.Abs, (1,)),
    "sign": (sympy.sign, (1,)),
    "erf": (sympy.erf, (1,)),
    "erfc": (sympy.erfc, (1,)),
    "min": (sympy.Min, (2, 3, 4, 5, 6, 7, 8)),
    "max": (sympy.Max, (2, 3, 4, 5, 6, 7, 8)),
}
#: name -> SymPy constant
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: lambda a: +a, ast.USub: lambda a: -a}
_OPERATOR_HINTS = {
    ast.BitXor: "`^` (write powers as `**`)",
    ast.FloorDiv: "`//`",
    ast.Mod: "`%`",
    ast.MatMult: "`@`",
    ast.BitAnd: "`&`",
    ast.BitOr: "`|`",
    ast.LShift: "`<<`",
    ast.RShift: "`>>`",
}
_NODE_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.Starred: "star arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def parse_variables(
    variables: str | Sequence[str], *, variables_name: str = "`variables`"
) -> tuple[str, ...]:
    """Check variable names (a sequence, or one comma-separated string) and return them.

    ``variables_name`` is how messages name the parameter (``--vars`` on the command line).

    Names must be plain identifiers, distinct, not Python keywords, not start with ``__``, and
    not be a function or constant name of the expression language.

    Examples
    --------
    >>> parse_variables("q, chi,delta")
    ('q', 'chi', 'delta')
    """
    vname = variables_name
    if isinstance(variables, str):
        names = [v.strip() for v in variables.split(",")]
    elif isinstance(variables, Sequence):
        names = list(variables)
    else:
        raise TypeError(
            f"{vname} must be a sequence of names or a comma-separated string, "
            f"got {type(variables).__name__}."
        )
    if not names or names == [""]:
        raise ValueError(f"{vname} must name at least one variable.")
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"{vname}: {name!r} is not a valid variable name.")
        if keyword.iskeyword(name) or name.startswith("__"):
            raise ValueError(f"{vname}: {name!r} is a reserved name.")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ValueError(
                f"{vname}: {name!r} is the name of a function or constant of the expression "
                "language; rename the variable."
            )
    dup = sorted({v for v in names if names.count(v) > 1})
    if dup:
        raise ValueError(f"{vname}: repeated name(s) {', '.join(dup)}.")
    return tuple(names)


def _symbols(names: Sequence[str]) -> tuple[sympy.Symbol, ...]:
    # real=True: derivatives of abs/sign simplify to what the real function does.
    return tuple(sympy.Symbol(v, real=True) for v in names)


class _Builder:
    """Walk a whitelisted ``ast`` tree and build the SymPy expression."""

    def __init__(self, text: str, symbols: dict[str, sympy.Symbol], tname: str) -> None:
        self.text = text
        self.symbols = symbols
        self.tname = tname

    def refuse(self, node: ast.AST, what: str) -> ValueError:
        col = getattr(node, "col_offset", None)
        segment = ast.get_source_segment(self.text, node) if col is not None else None
        where = f" at column {col + 1}" if col is not None else ""
        shown = f": {segment[:60]!r}" if segment else ""
        return ValueError(f"{self.tname}: not allowed: {what}{where}{shown}.")

    def build(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            op = _UNARY.get(type(node.op))
            if op is None:
                raise self.refuse(node, f"the operator {type(node.op).__name__}")
            return self.check_size(node, op(self.build(node.operand, depth + 1)))
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        what = _NODE_NAMES.get(type(node), f"the syntax {type(node).__name__}")
        raise self.refuse(node, what)

    def binary(self, node: ast.BinOp, depth: int) -> Any:
        # A chain a + b - c + ... (or a * b / c ...) nests to the left in the AST; it is walked as
        # one level so that long sums count as flat, not as deep.
        group = (ast.Add, ast.Sub) if isinstance(node.op, ast.Add | ast.Sub) else (type(node.op),)
        if isinstance(node.op, ast.Mult | ast.Div):
            group = (ast.Mult, ast.Div)
        chain = []
        left: ast.AST = node
        while (
            isinstance(left, ast.BinOp)
            and isinstance(left.op, group)
            and not isinstance(left.op, ast.Pow)
        ):
            chain.append(left)
            left = left.left
        if not chain:  # a power: right-associative, walked as nested
            chain, left = [node], node.left
        value = self.build(left, depth + 1)
        for link in reversed(chain):
            op = _BINARY.get(type(link.op))
            if op is None:
                hint = _OPERATOR_HINTS.get(type(link.op), type(link.op).__name__)
                raise self.refuse(link, f"the operator {hint}")
            right = self.build(link.right, depth + 1)
            if isinstance(link.op, ast.Pow):
                self.check_exponent(link, right)
            value = self.check_size(link, op(value, right))
        return value

    def constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = (
                "complex numbers"
                if isinstance(value, complex)
                else (f"the literal {value!r} ({type(value).__name__})")
            )
            raise self.refuse(node, kind)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.refuse(node, "a number that overflows float64")
            return sympy.Float(value)
        if value.bit_length() > _MAX_BITS:
            raise self.refuse(node, f"an integer of more than {_MAX_BITS} bits")
        return sympy.Integer(value)

    def name(self, node: ast.Name) -> Any:
        if node.id in self.symbols:
            return self.symbols[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise self.refuse(node, f"the function {node.id!r} without a call")
        raise self.refuse(
            node,
            f"the name {node.id!r} (not a declared variable: {', '.join(self.symbols)}; "
            f"nor a constant: {', '.join(CONSTANTS)})",
        )

    def call(self, node: ast.Call, depth: int) -> Any:
        if isinstance(node.func, ast.Attribute):
            raise self.refuse(node.func, f"attribute access ('.{node.func.attr}')")
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node, "calling anything but a named function")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(node, f"calling {name!r} (allowed functions: {', '.join(FUNCTIONS)})")
        if node.keywords:
            raise self.refuse(node, f"keyword arguments in the call of {name!r}")
        builder, arities = FUNCTIONS[name]
        if len(node.args) not in arities:
            raise self.refuse(
                node,
                f"calling {name!r} with {len(node.args)} argument(s) (it takes "
                f"{' or '.join(map(str, arities))})",
            )
        args = [self.build(a, depth + 1) for a in node.args]
        return self.check_size(node, builder(*args))

    def check_exponent(self, node: ast.BinOp, exponent: Any) -> None:
        if isinstance(exponent, sympy.Number) and abs(exponent) > MAX_EXPONENT:
            raise self.refuse(node, f"an exponent larger than {MAX_EXPONENT} in magnitude")

    def check_size(self, node: ast.AST, value: Any) -> Any:
        """Reject exact numbers so large that further arithmetic on them could take forever."""
        if isinstance(value, sympy.Rational):
            bits = max(int(value.p).bit_length(), int(value.q).bit_length())
            if bits > _MAX_BITS:
                raise self.refuse(node, f"a number of more than {_MAX_BITS} bits")
        return value


def parse_expression(
    text: str,
    variables: str | Sequence[str],
    *,
    text_name: str = "`text`",
    variables_name: str = "`variables`",
) -> sympy.Expr:
    """Parse a formula into a SymPy expression without executing any of it.

    Parameters
    ----------
    text : str
        The formula in Python syntax, e.g. ``"q*chi*delta"`` or ``"exp(-x**2) * sin(3*y)"``. At
        most :data:`MAX_LENGTH` characters, nested at most :data:`MAX_DEPTH` levels.
    variables : sequence of str, or str
        The variable names, in order (a comma-separated string is accepted). They become real
        SymPy symbols (``sympy.Symbol(name, real=True)``).
    text_name, variables_name : str
        How messages name the two parameters (the command line passes ``--expr``, ``--vars``).

    Returns
    -------
    sympy.Expr
        The expression; its free symbols are among the declared variables.

    Raises
    ------
    ValueError
        Text that is not a formula of the allowed language, naming what was refused (attribute
        access, an unknown name or function, a lambda, a string, a huge exponent, ...), or a
        formula that is undefined (``1/0``).
    TypeError
        ``text`` is not a string.

    Examples
    --------
    >>> parse_expression("q*chi*delta", "q,chi,delta")
    chi*delta*q
    >>> parse_expression("exp(-x**2) + pi", ["x"])
    pi + exp(-x**2)
    >>> parse_expression("__import__('os')", ["x"])
    Traceback (most recent call last):
    ...
    ValueError: `text`: not allowed: calling '__import__' (allowed functions: ...
    """
    tname = text_name
    if not isinstance(text, str):
        raise TypeError(f"{tname} must be a string, got {type(text).__name__}.")
    names = parse_variables(variables, variables_name=variables_name)
    if len(text) > MAX_LENGTH:
        raise ValueError(
            f"{tname} is {len(text)} characters long; at most {MAX_LENGTH} are allowed."
        )
    if not text.strip():
        raise ValueError(f"{tname} is empty.")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(
            f"{tname} is not a valid formula: {exc.msg} (column {exc.offset})."
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"{tname} could not be parsed: {type(exc).__name__}: {exc}") from None
    builder = _Builder(text.strip(), dict(zip(names, _symbols(names), strict=True)), tname)
    try:
        expr = builder.build(tree.body)
    except RecursionError:
        raise ValueError(f"{tname} is nested too deeply (at most {MAX_DEPTH} levels).") from None
    if not isinstance(expr, sympy.Expr):  # cannot happen: every node builds a SymPy object
        raise ValueError(f"{tname} did not give a mathematical expression: {text.strip()!r}.")
    if expr.has(sympy.I):
        raise ValueError(
            f"{tname} is not real-valued (a negative number to a fractional power?): {expr}."
        )
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ValueError(
            f"{tname} is undefined (division by zero?): {text.strip()!r} gives {expr}."
        )
    return expr


def expression_function(
    text: str,
    variables: str | Sequence[str],
    *,
    text_name: str = "`text`",
    variables_name: str = "`variables`",
) -> Any:
    """Parse ``text`` (see :func:`parse_expression`) into a :class:`methods.SymbolicFunction`.

    ``text_name`` and ``variables_name`` name the parameters in messages.

    Examples
    --------
    >>> import numpy as np
    >>> f = expression_function("q*chi*delta", "q,chi,delta")
    >>> float(f(np.array([0.5, 2.0, 3.0])))
    3.0
    """
    from methods import SymbolicFunction

    names = parse_variables(variables, variables_name=variables_name)
    expr = parse_expression(text, names, text_name=text_name, variables_name=variables_name)
    return SymbolicFunction(expr, _symbols(names))
