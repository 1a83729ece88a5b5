"""The ``diffbench`` command: ``run``, ``report``, ``export``, ``list``, and module subcommands.

Adding a subcommand is a one-line change: put the module's name in :data:`SUBCOMMAND_MODULES`.
Such a module exposes ``add_parser(subparsers)``, which adds its parser with
``subparsers.add_parser(name, help=..., description=...)``, and a handler ``fn(args) -> int``
(the exit code), given either with ``parser.set_defaults(handler=fn)`` or as a module-level
function ``handle(args)``.

Errors never show a traceback: a bad argument, an unknown name or an unreadable file ends the
command with exit code 2 and one line on stderr (set ``DIFFBENCH_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from importlib import import_module
from typing import Any, NoReturn

__all__ = ["SUBCOMMAND_MODULES", "main", "build_parser"]

#: Modules that add subcommands (see the module docstring). One line per module.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    # "diffbench.<module>",
    "diffbench.chooser.cli",
    "diffbench.asv_results",
)

_DEFAULT_OUTPUT = "reports"


class CommandError(Exception):
    """An error reported as one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``diffbench run: error: ... (see --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# --------------------------------------------------------------------------------------------
# diffbench run
# --------------------------------------------------------------------------------------------
def _split(values: Sequence[str] | None) -> list[str] | None:
    """Accept ``--methods a b`` and ``--methods a,b``."""
    if values is None:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out


def parse_steps(tokens: Sequence[str] | None) -> Any:
    """``START:STOP[:PER_DECADE]`` or relative step values, as given on the command line."""
    from .steps import DEFAULT_STEPS, StepRange

    if tokens is None:
        return None
    tokens = _split(tokens) or []
    if len(tokens) == 1 and ":" in tokens[0]:
        parts = tokens[0].split(":")
        if len(parts) not in (2, 3):
            raise CommandError(
                f"`--steps` range must be START:STOP[:PER_DECADE], got {tokens[0]!r}."
            )
        try:
            start, stop = float(parts[0]), float(parts[1])
            per = int(parts[2]) if len(parts) == 3 else DEFAULT_STEPS.per_decade
        except ValueError:
            raise CommandError(
                f"`--steps` range must be START:STOP[:PER_DECADE] with numbers, got {tokens[0]!r}."
            ) from None
        return StepRange(start, stop, per)
    try:
        return [float(t) for t in tokens]
    except ValueError:
        raise CommandError(
            f"`--steps` must be a range START:STOP[:PER_DECADE] or step values, got {tokens!r}."
        ) from None


def _add_run(subparsers: Any) -> None:
    from .steps import DEFAULT_GRID_SIZES, DEFAULT_STEPS

    sizes = "; ".join(f"{d}-D: {', '.join(map(str, s))}" for d, s in DEFAULT_GRID_SIZES.items())
    p = subparsers.add_parser(
        "run",
        help="sweep methods over problems, steps and grid sizes; write the results dataset",
        description=(
            "Measure every method configuration on every problem: errors over a range of "
            "relative steps (step methods; at x the step passed is STEP * max(1, |x_i|)), one "
            "value per point (exact and adaptive methods), errors over grid sizes (grid "
            "methods), then nfev and time per gradient at the default step. Rows are written "
            "to OUTPUT/results/ (Parquet parts) as they are produced; an interrupted run "
            "continues with --resume."
        ),
    )
    p.add_argument(
        "--methods", nargs="+", metavar="NAME", help="method names or labels (default: all)"
    )
    p.add_argument(
        "--problems",
        nargs="+",
        metavar="NAME",
        help="problem names, or module:attr naming your own Problem, list of Problems or "
        "ProblemRegistry (default: the battery)",
    )
    p.add_argument(
        "--steps",
        nargs="+",
        metavar="STEP",
        help="relative steps, each scaled by max(1, |x_i|) at a point: START:STOP[:PER_DECADE] "
        f"or step values (default {DEFAULT_STEPS.spec()})",
    )
    p.add_argument(
        "--grid-sizes", nargs="+", type=int, metavar="N", help=f"points per axis (default {sizes})"
    )
    p.add_argument(
        "--output",
        default=_DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"output directory (default {_DEFAULT_OUTPUT}; a new run replaces its results)",
    )
    p.add_argument("--resume", action="store_true", help="continue the run in DIR (no repeats)")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help=f"worker processes for the accuracy sweep (default {_default_jobs()}; timing is "
        "serial)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the accuracy sweep on a dask.distributed cluster (e.g. tcp://host:8786; "
        'needs pip install "diffbench[cluster]"): rows stream back to this process, which '
        "writes DIR; the timing pass stays serial here. Not with --jobs",
    )
    p.add_argument("--no-cost", action="store_true", help="skip the timing pass")
    p.add_argument(
        "--kinds",
        metavar="KINDS",
        help="what to differentiate, comma-separated: gradient, jacobian, hessian, derivative, "
        "or all (default: every kind, or with --problems the kinds of the problems named; "
        "Jacobians, Hessians and k-th derivatives run on the problems of "
        "diffbench.battery_kinds, which --problems may name)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(handler=_run)


def _default_jobs() -> int:
    """Local worker processes of ``diffbench run`` without ``--jobs``."""
    return min(2, os.cpu_count() or 1)


class _Progress:
    """Progress lines on stderr: rewritten in place on a terminal, every 10% otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.last = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.start
        line = f"{phase}: {done}/{total} batches, {elapsed:.0f} s"
        if self.tty:
            end = "\n" if done == total else ""
            print(f"\r{line}   ", end=end, file=sys.stderr, flush=True)
            return
        decile = (10 * done) // max(total, 1)
        if decile != self.last or done == total:
            self.last = decile
            print(line, file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    from .runner import sweep
    from .schema import STATUSES
    from .store import results_path

    if args.jobs is not None and args.scheduler is not None:
        raise CommandError(
            "give `--jobs` (local worker processes) or `--scheduler` (a dask cluster), not both."
        )
    if args.jobs is not None and args.jobs < 1:
        raise CommandError(f"`--jobs` must be a positive integer, got {args.jobs}.")
    jobs = _default_jobs() if args.jobs is None and args.scheduler is None else args.jobs
    started = time.perf_counter()
    try:
        df = sweep(
            _split(args.methods),
            _split(args.problems),
            steps=parse_steps(args.steps),
            grid_sizes=args.grid_sizes,
            output=args.output,
            resume=args.resume,
            jobs=jobs,
            scheduler=args.scheduler,
            cost=False if args.no_cost else None,
            progress=_Progress(args.quiet),
            kinds=args.kinds,
        )
    except KeyboardInterrupt:
        print(
            f"\ndiffbench run: interrupted; the rows written so far are kept in "
            f"{results_path(args.output)}. Continue with `diffbench run --output {args.output} "
            "--resume`.",
            file=sys.stderr,
        )
        return 130
    counts = df["status"].value_counts().to_dict()
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
    print(
        f"wrote {len(df)} rows ({summary}) to {results_path(args.output)} "
        f"(run {df['run_id'].iloc[0] if len(df) else '-'}, {time.perf_counter() - started:.0f} s). "
        f"Next: diffbench report --input {args.output}"
    )
    return 0


# --------------------------------------------------------------------------------------------
# diffbench report
# --------------------------------------------------------------------------------------------
def _add_report(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="draw the figures and write REPORT.md from a run's results",
        description=(
            "Read INPUT's results (INPUT/results/, or an earlier version's results.csv), "
            "draw the figures into INPUT/figures/ and write "
            "INPUT/REPORT.md "
            "(best errors, optimal steps, hazards, a recommendation, cost)."
        ),
    )
    p.add_argument("--input", default=_DEFAULT_OUTPUT, metavar="DIR", help="directory of the run")
    p.add_argument("--output", metavar="FILE", help="report file (default INPUT/REPORT.md)")
    p.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    path = write_report(args.input, output=args.output)
    print(f"wrote {path}")
    return 0


# --------------------------------------------------------------------------------------------
# diffbench export
# --------------------------------------------------------------------------------------------
def _add_export(subparsers: Any) -> None:
    from .store import EXPORT_FILE

    p = subparsers.add_parser(
        "export",
        help="write a run's results as one flat CSV file",
        description="Write the results table of the run in INPUT as one CSV file (the columns "
        "and formatting of the CSV store of earlier versions; readable by pandas.read_csv).",
    )
    p.add_argument("--csv", action="store_true", required=True, help="write CSV (the one format)")
    p.add_argument("--input", default=_DEFAULT_OUTPUT, metavar="DIR", help="directory of the run")
    p.add_argument("--output", metavar="FILE", help=f"CSV file (default INPUT/{EXPORT_FILE})")
    p.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    from .store import export_csv

    path = export_csv(args.input, args.output)
    print(f"wrote {path}")
    return 0


# --------------------------------------------------------------------------------------------
# diffbench list
# --------------------------------------------------------------------------------------------
def _add_list(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "list",
        help="list the methods (with availability) and the problems (with tags)",
        description="List every registered method with its family, kind, variants and whether it "
        "can run here, and every problem of the battery with its dimension and tags.",
    )
    p.add_argument("what", nargs="?", choices=("methods", "problems", "all"), default="all")
    p.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    import methods
    from methods.derivative_kinds import DERIVATIVE_KINDS

    from .problems import list_problems

    lines: list[str] = []
    if args.what in ("methods", "all"):
        lines.append("Methods (name, family, kind, configurations, availability):")
        for info in methods.available():
            cls = methods.method_class(info.name)
            labels = [cls(**s).label for s in cls.variants()]
            status = "available" if info.available else f"NOT available: {info.reason}"
            lines.append(f"  {info.name:<22} {info.family:<18} {info.kind:<9} {status}")
            if len(labels) > 1 or labels[0] != info.name:
                lines.append(f"  {'':<22} variants: {', '.join(labels)}")
            kinds = [k for k in DERIVATIVE_KINDS if k in info.derivative_kinds]
            shown = [
                f"derivative (k <= {info.max_deriv})" if k == "derivative" else k for k in kinds
            ]
            lines.append(f"  {'':<22} computes: {', '.join(shown)}")
    if args.what in ("problems", "all"):
        if lines:
            lines.append("")
        lines.append("Problems (name, variables, points, tags):")
        for p in list_problems(include_noisy=True):
            lines.append(
                f"  {p.name:<24} n={p.dim:<4} points={len(p.points):<2} {', '.join(sorted(p.tags))}"
            )
        lines.append("  (also rosenbrock-<n> for 2 <= n <= 1000, by name)")
    print("\n".join(lines))
    return 0


# --------------------------------------------------------------------------------------------
# the parser and main
# --------------------------------------------------------------------------------------------
_BUILTIN = (_add_run, _add_report, _add_export, _add_list)


def build_parser() -> argparse.ArgumentParser:
    """The ``diffbench`` parser with every subcommand (built-in and from modules)."""
    parser = _Parser(
        prog="diffbench",
        description="Measure how accurately and cheaply each way of computing derivatives works, "
        "against exact SymPy/mpmath ground truth.",
    )
    from .execute import versions

    parser.add_argument("--version", action="version", version=versions())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for add in _BUILTIN:
        add(subparsers)
    for name in SUBCOMMAND_MODULES:
        try:
            module = import_module(name)
        except ImportError as exc:
            print(
                f"diffbench: note: subcommand module {name} is unavailable ({exc})", file=sys.stderr
            )
            continue
        before = set(subparsers.choices)
        module.add_parser(subparsers)
        handle = getattr(module, "handle", None)
        for cmd in set(subparsers.choices) - before:
            sub = subparsers.choices[cmd]
            if sub.get_default("handler") is None and handle is not None:
                sub.set_defaults(handler=handle)
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``diffbench`` command; return the exit code (0 ok, 2 error, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    prog = f"diffbench {args.command}"
    handler = getattr(args, "handler", None)
    if handler is None:
        print(f"{prog}: error: this command has no handler", file=sys.stderr)
        return 2
    debug = bool(os.environ.get("DIFFBENCH_DEBUG"))
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
    except (CommandError, ValueError, TypeError, OSError, LookupError, ImportError) as exc:
        if debug:
            raise
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # anything else is still one line, never a traceback
        if debug:
            raise
        print(
            f"{prog}: error: {type(exc).__name__}: {_one_line(exc)} "
            "(set DIFFBENCH_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
