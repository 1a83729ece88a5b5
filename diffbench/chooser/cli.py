"""``diffbench choose``: which differentiation method should my code use? (command line)

Plugged into ``diffbench/cli.py`` through :func:`add_parser` (which sets ``handler=run`` on the
parsed arguments); :func:`main` runs it on its own (``python -m diffbench.chooser.cli ...``).
Bad input (an unknown problem, a formula that is refused, a module that cannot be imported, a
point outside the domain, a non-positive target, budget or time limit) prints one line
``diffbench choose: error: ...`` on stderr and exits with status 2, never a traceback; so does
a function that fails by exiting (``sys.exit``, ``KeyboardInterrupt`` raised by it). Without
any usable method (e.g. a budget too small for all of them) the status is 1.

While ``f`` is measured, whatever it prints goes to stderr: stdout carries only the report (or
the JSON of ``--json``). A run longer than a few seconds says what it is measuring on stderr;
``--time-limit`` bounds the evaluations of ``f`` it plans for.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..user_import import import_attribute

__all__ = ["add_parser", "main", "run"]

_EXAMPLES = """\
examples:
  diffbench choose --problem runge
  diffbench choose --problem log-large --at 2.7e10 --budget 3
  diffbench choose --expr "q*chi*delta" --vars q,chi,delta --at 0.3,-1.7,2.9
  diffbench choose --function my_module:my_func --at=-1.5,2.0 --noise 1e-8 --json

Write --at=-1.5,2 (with "=") when the first coordinate is negative.
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``choose`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    p = subparsers.add_parser(
        "choose",
        help="measure every method on your function and recommend one",
        description=(
            "Measure every applicable differentiation method on one function at one point and "
            "recommend one for production: a ranked table (step, expected error, evaluations "
            "and time per gradient, robustness, caveats), the reasons, and the code to use it."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--problem", metavar="NAME", help="a battery problem, e.g. runge")
    source.add_argument(
        "--expr", metavar="FORMULA", help='a formula, e.g. "exp(-x**2)*sin(y)" (needs --vars)'
    )
    source.add_argument(
        "--function",
        metavar="MODULE:NAME",
        help="a Python callable, func(x1, ..., xn) -> float (see --vector-input)",
    )
    p.add_argument("--vars", metavar="NAMES", help="variables of --expr, comma-separated")
    p.add_argument(
        "--at",
        metavar="X",
        help="the point, comma-separated (default for --problem: its first point)",
    )
    p.add_argument(
        "--vector-input",
        action="store_true",
        help="--function takes one array x of shape (n,) instead of n arguments",
    )
    p.add_argument(
        "--target", metavar="REL", default="1e-8", help="relative error target (default 1e-8)"
    )
    p.add_argument(
        "--budget", metavar="NFEV", default=None, help="most evaluations of f per gradient"
    )
    p.add_argument(
        "--noise",
        metavar="auto|LEVEL",
        default="auto",
        help="noise std-dev of f (absolute); auto: estimate with ECnoise; 0: noise-free",
    )
    p.add_argument(
        "--time-limit",
        metavar="SECONDS",
        default="60",
        help="seconds of evaluations of f to plan for (default 60; 'none': no limit); a slow f "
        "gets fewer steps and methods, and the report says what was skipped",
    )
    p.add_argument(
        "--methods", metavar="NAMES", help="only these registered methods, comma-separated"
    )
    p.add_argument(
        "--workers",
        metavar="N",
        default="1",
        help="evaluate f at a gradient's points in N processes, for the methods with a workers "
        "setting (finite differences, complex step, Richardson, Ridders, numpy-gradient), in the "
        "step sweeps and final evaluations; f must pickle (--function, --problem or --expr); "
        "the recommendation is the same as with 1 (default 1)",
    )
    p.add_argument(
        "--kind",
        default="gradient",
        help="what to differentiate: gradient (default), jacobian (vector f), hessian, or "
        "derivative (f of one variable; see --deriv)",
    )
    p.add_argument(
        "--deriv", metavar="K", default="1", help="derivative order with --kind derivative"
    )
    p.add_argument("--all", action="store_true", help="show every ranked method (default: 15)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(handler=run)
    return p


class _InputError(ValueError):
    """Bad command-line input, reported as one line."""


def _numbers(text: str, option: str) -> np.ndarray:
    parts = [t.strip() for t in text.split(",")]
    try:
        values = np.array([float(t) for t in parts], dtype=float)
    except ValueError:
        raise _InputError(f"{option} must be comma-separated numbers, got {text!r}.") from None
    if not np.all(np.isfinite(values)):
        raise _InputError(f"{option} must be finite numbers, got {text!r}.")
    return values


def _positive(text: str, option: str, kind: type) -> Any:
    try:
        value = kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise _InputError(f"{option} must be {what}, got {text!r}.") from None
    if not value > 0 or (kind is float and not np.isfinite(value)):
        raise _InputError(f"{option} must be positive, got {text}.")
    return value


def _noise(text: str) -> str | float:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value >= 0):
        raise _InputError(f"--noise must be 'auto' or a level >= 0 (absolute), got {text!r}.")
    return value


def _import_callable(spec: str) -> tuple[Callable, str, str]:
    """``module:name`` (name may be dotted) -> (callable, module, name)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise _InputError(f"--function must look like module:function, got {spec!r}.")
    try:
        obj, module_name, attr = import_attribute(spec, "--function")
    except ValueError as exc:
        raise _InputError(str(exc)) from None
    if not callable(obj):
        raise _InputError(f"{spec!r} is not callable (it is a {type(obj).__name__}).")
    return obj, module_name, attr


def _load(args: argparse.Namespace) -> tuple[Callable, np.ndarray, list[str], str]:
    """The function, the point, code lines that rebuild ``f``, and a title."""
    from methods import as_vector_function

    at = None if args.at is None else _numbers(args.at, "--at")
    if args.problem is not None:
        from ..problems import get_problem

        problem = get_problem(args.problem)
        x = np.array(problem.points[0], dtype=float) if at is None else at
        if x.size != problem.dim:
            raise _InputError(
                f"--at has {x.size} coordinate(s) but problem {problem.name!r} has "
                f"{problem.dim} variable(s) ({', '.join(map(str, problem.symbols))})."
            )
        setup = ["from diffbench import get_problem", f"f = get_problem({problem.name!r}).function"]
        return problem.function, x, setup, f"problem {problem.name}: {problem.description}"
    if args.vector_input and args.function is None:
        raise _InputError("--vector-input only applies to --function.")
    if at is None:
        raise _InputError("--at is required with --expr and --function (e.g. --at 0.3,1.2).")
    if args.expr is not None:
        from ..expressions import expression_function, parse_variables

        if args.vars is None:
            raise _InputError("--expr needs --vars, the variable names in order (e.g. x,y).")
        names = parse_variables(args.vars, variables_name="--vars")
        if len(names) != at.size:
            raise _InputError(
                f"--vars names {len(names)} variable(s) ({', '.join(names)}) but --at has "
                f"{at.size} coordinate(s)."
            )
        f = expression_function(args.expr, names, text_name="--expr", variables_name="--vars")
        setup = [
            "from diffbench.expressions import expression_function",
            f"f = expression_function({args.expr!r}, {','.join(names)!r})",
        ]
        return f, at, setup, f"f = {f.expr}"
    if args.vars is not None:
        raise _InputError("--vars only applies to --expr.")
    func, module, attr = _import_callable(args.function)
    head = attr.split(".")[0]
    if args.vector_input:
        setup = [f"from {module} import {head}", f"f = {attr}"]
        return func, at, setup, f"f = {module}:{attr} (one array argument)"
    setup = [
        "from methods import as_vector_function",
        f"from {module} import {head}",
        f"f = as_vector_function({attr})",
    ]
    return as_vector_function(func), at, setup, f"f = {module}:{attr} ({at.size} arguments)"


def _time_limit(text: str) -> float | None:
    if text.strip().lower() == "none":
        return None
    return _positive(text, "--time-limit", float)


def run(args: argparse.Namespace) -> int:
    """Run ``diffbench choose`` on parsed arguments; return the exit status (0, 1 or 2)."""
    from .api import choose

    try:
        target = _positive(args.target, "--target", float)
        budget = None if args.budget is None else _positive(args.budget, "--budget", int)
        limit = _time_limit(getattr(args, "time_limit", "60"))
        only = None if args.methods is None else [m.strip() for m in args.methods.split(",")]
        noise = _noise(args.noise)
        workers = _positive(getattr(args, "workers", "1"), "--workers", int)
        kind = getattr(args, "kind", "gradient")
        deriv = _positive(getattr(args, "deriv", "1"), "--deriv", int)
        with contextlib.redirect_stdout(sys.stderr):  # what f prints is not the report
            f, x, setup, title = _load(args)
            choice = choose(
                f,
                x,
                target=target,
                budget=budget,
                noise=noise,
                methods=only,
                time_limit=limit,
                workers=workers,
                **({} if kind == "gradient" and deriv == 1 else {"kind": kind, "deriv": deriv}),
            )
    except (ValueError, TypeError, LookupError, ArithmeticError, RuntimeError, OSError) as exc:
        hint = ""
        if args.function and not args.vector_input and "positional argument" in str(exc):
            # the usual mistake: a function of one array called as func(x1, ..., xn)
            hint = (
                " (--function calls func(x1, ..., xn); if it takes one array, add --vector-input)"
            )
        print(f"diffbench choose: error: {exc}{hint}", file=sys.stderr)
        return 2
    if args.json:
        out = choice.to_dict()
        out["function"] = title
        if hasattr(choice, "snippet"):
            out["snippet"] = choice.snippet(setup)
        print(json.dumps(out, indent=2, default=str))
    else:
        print(f"diffbench choose: {title}")
        kw = {} if getattr(args, "kind", "gradient") != "gradient" else {"setup": setup}
        print(choice.report(None if args.all else 15, **kw))
        print(f"\n({choice.seconds:.1f} s)")
    return 0 if choice.recommended is not None else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``choose`` as a program: ``python -m diffbench.chooser.cli --problem runge``."""
    parser = argparse.ArgumentParser(prog="diffbench")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "choose":
        argv = ["choose", *argv]
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
