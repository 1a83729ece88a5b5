"""``diffbench from-asv``: asv's stored results as the sweep's tidy table, figures and report.

``asv run`` stores one JSON file per machine, commit and environment under
``.asv/results/<machine>/``, and the benchmark definitions (parameter names, units) in
``.asv/results/benchmarks.json``. Each benchmark's values are stored flattened in the product
order of its parameters (last parameter fastest), the parameter values as ``repr`` strings
(read back here with :func:`ast.literal_eval`, never ``eval``), NaN for a skipped combination
and ``null`` for a failed one.

Benchmarks of the suite in ``benchmarks/`` become rows of :data:`diffbench.store.COLUMNS` by
their parameter names (:data:`TABLE_PARAMS`): ``label`` (a configuration's label: an
``accuracy`` row) or ``method`` (a method name with its default settings and step: a ``cost``
row, at the problem's first point, as the sweep's), ``problem`` (or ``n``: ``rosenbrock-<n>``),
``point``, ``step`` (the sweep's relative step: ``step_rel``, and ``step`` is
``step_rel * max(1, |x_i|)`` at the point), ``grid_size`` and ``region``. ``track_*`` values with
``unit = "relative error"`` fill ``rel_error``, with ``unit = "evaluations"`` ``nfev``, with
``unit = "extra evaluations"`` ``nfev_extra``, and ``time_*`` values ``time`` (asv's median
seconds per call); the benchmarks of one parameter combination share its row, keyed by the
sweep's :func:`~diffbench.store.measurement_key`. Every other value (ratios, peak memory,
benchmarks with other parameters) is listed in :data:`OTHER_FILE`.

Beyond gradients (``benchmarks/bench_kinds.py``, ``benchmarks/bench_step_rules.py``), rows are
those ``diffbench run`` writes for the same measurement:

- a ``problem`` of :mod:`diffbench.battery_kinds` (whatever the parameter naming the method:
  ``bench_kinds`` passes a label as ``method``) makes the row the sweep's ``accuracy`` row of
  that Jacobian, Hessian or k-th derivative at the default step, at the problem's first point:
  ``derivative_kind`` and ``deriv`` (the k of a ``derivative``) set, ``step_rel`` empty.
  The sweep does not time these; asv's time of the same call (``KindCost.time_kind``) goes to
  that row's ``time``. The ``KindRatios`` stay in :data:`OTHER_FILE`.
- a ``rule`` with a ``configuration`` (a label) makes a ``step-rule`` row at the problem's first
  point: ``step_rule``, ``rel_error``, ``nfev`` and ``nfev_extra`` (what the rule spent beyond
  the unit-scale rule ``relative``). A rule the configuration does not take (``gmsw`` serves
  forward and backward order 1 only; :func:`diffbench.plan.step_rules_for`) is no row, as in the
  sweep, unless asv stored a value for it.

asv records a skipped combination and a NaN the same way, so a NaN becomes a row with status
``skipped`` (the suite skips what cannot run here, what raised and what returned NaN; ``asv run
--show-stderr`` prints which: where the sweep writes ``non-finite``, asv's row says
``skipped``); combinations that are not measurements at all (a point index beyond a problem's
points, or a step rule the configuration does not take, with no value) are left out. A failed
benchmark becomes a row with status ``error``.

What the suite never stores is refused with an error naming the file, the benchmark and the
parameters, never stored or allocated: a negative point index, or a value for a point the
problem does not have; a step that is not a positive number; a negative error, time or nfev, an
nfev_extra that is not an integer; a grid of more than :data:`diffbench.steps.MAX_GRID_POINTS`
nodes.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .schema import SCHEMA_VERSION
from .store import (
    ResultsFileError,
    measurement_key,
    results_path,
    rows_to_frame,
    write_run_info,
)

__all__ = [
    "AsvResultsError",
    "AsvRun",
    "DEFAULT_RESULTS_DIR",
    "DEFAULT_OUTPUT",
    "OTHER_FILE",
    "TABLE_PARAMS",
    "list_runs",
    "read_asv_results",
    "from_asv",
    "add_parser",
    "handle",
]

DEFAULT_RESULTS_DIR = ".asv/results"
DEFAULT_OUTPUT = "reports/asv"
#: Values of the run that are not rows of the table: ``benchmark, parameters, value, unit``.
OTHER_FILE = "asv_other.csv"
#: Parameter names that map onto columns of the results table.
TABLE_PARAMS = frozenset(
    {"label", "configuration", "method", "rule", "problem", "n", "point", "step", "grid_size"}
    | {"region"}
)
#: The column of a ``track_*`` benchmark's values, by its unit.
_TRACK_COLUMNS = {
    "relative error": "rel_error",
    "evaluations": "nfev",
    "extra evaluations": "nfev_extra",
}


class AsvResultsError(ResultsFileError):
    """asv results that are missing or cannot be read (reported as one line, exit status 2)."""


@dataclass(frozen=True)
class AsvRun:
    """One stored asv result file: a machine, a commit and an environment."""

    path: Path
    machine: str
    commit_hash: str
    env_name: str
    date: int
    last_started: int

    @property
    def run_id(self) -> str:
        """``asv-<machine>-<commit[:8]>-<env>``, the ``run_id`` of its rows."""
        return f"asv-{self.machine}-{self.commit_hash[:8]}-{self.env_name}"


# --------------------------------------------------------------------------------------------
# reading asv's files
# --------------------------------------------------------------------------------------------
def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AsvResultsError(f"{str(path)!r} is not readable asv JSON ({exc}).") from None


def _check_dir(results_dir: str | os.PathLike) -> Path:
    root = Path(results_dir)
    if not root.is_dir():
        raise AsvResultsError(
            f"no asv results directory at {str(root)!r}; run `asv machine --yes` once, then "
            "`asv run` (or `make asv`)."
        )
    return root


def _benchmarks(root: Path) -> dict[str, dict]:
    path = root / "benchmarks.json"
    if not path.is_file():
        raise AsvResultsError(
            f"{str(root)!r} has no benchmarks.json: not an asv results directory, or `asv run` "
            "has not finished."
        )
    data = _load_json(path)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "version"}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise AsvResultsError(f"{str(path)!r} is not an asv benchmarks.json.")
    return data


def list_runs(results_dir: str | os.PathLike = DEFAULT_RESULTS_DIR) -> list[AsvRun]:
    """The result files under ``results_dir``, oldest run first.

    Raises
    ------
    AsvResultsError
        The directory is missing, or a result file is not asv's.
    """
    root = _check_dir(results_dir)
    runs = []
    for path in sorted(root.glob("*/*.json")):
        if path.name == "machine.json":
            continue
        data = _load_json(path)
        try:
            started = [v[3] for v in data["results"].values() if len(v) > 3 and v[3] is not None]
            runs.append(
                AsvRun(
                    path=path,
                    machine=str(data["params"]["machine"]),
                    commit_hash=str(data["commit_hash"]),
                    env_name=str(data["env_name"]),
                    date=int(data.get("date") or 0),
                    last_started=int(max(started, default=0)),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            raise AsvResultsError(
                f"{str(path)!r} is not an asv result file (no commit_hash, env_name, params or "
                "results)."
            ) from None
    return sorted(runs, key=lambda r: (r.last_started, r.date))


def _select(runs: list[AsvRun], root: Path, commit: str | None) -> AsvRun:
    if not runs:
        raise AsvResultsError(f"no asv result files in {str(root)!r}; run `asv run` first.")
    if commit:
        runs = [r for r in runs if r.commit_hash.startswith(commit)]
        if not runs:
            raise AsvResultsError(f"no asv results for a commit starting with {commit!r}.")
    return runs[-1]


def _param_values(params: Any, where: str) -> list[list[Any]]:
    """asv's stored parameter ``repr`` strings, parsed safely."""
    if not isinstance(params, list) or not all(isinstance(p, list) for p in params):
        raise AsvResultsError(f"{where}: the parameters are not a list of lists.")
    out = []
    for values in params:
        parsed = []
        for text in values:
            try:
                parsed.append(ast.literal_eval(text))
            except (ValueError, SyntaxError, TypeError):
                raise AsvResultsError(
                    f"{where}: parameter value {text!r} is not a Python literal."
                ) from None
        out.append(parsed)
    return out


# --------------------------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------------------------
class _Lookup:
    """Method configurations, problems and accepted step rules by the names asv stored, looked up
    once per read."""

    def __init__(self) -> None:
        import methods

        from .configs import resolve_methods

        self.by_label = {c.label: c for c in resolve_methods()}
        self.defaults = {
            c.name: c for c in resolve_methods([{"name": n} for n in methods.method_names()])
        }
        self.problems: dict[str, Any] = {}
        self.rules: dict[str, tuple[str, ...]] = {}

    def config(self, label: str | None, name: str | None) -> Any:
        """The configuration of a label (or of a method name's defaults; a ``method`` parameter
        holding a label, as ``bench_kinds``' does, is read as that label), or None if unknown."""
        if label is None:
            return self.defaults.get(name) or self.by_label.get(name)
        found = self.by_label.get(label)
        return found or next((c for c in self.defaults.values() if c.label == label), None)

    def problem(self, name: str) -> Any:
        """The problem of that name: of the gradient battery (``rosenbrock-<n>`` too) or of
        :mod:`diffbench.battery_kinds` (a Jacobian, Hessian or k-th derivative); None if
        unknown."""
        from .battery_kinds import get_kind_problem
        from .problems import get_problem

        if name not in self.problems:
            self.problems[name] = None
            for get in (get_problem, get_kind_problem):
                try:
                    self.problems[name] = get(name)
                    break
                except (ValueError, TypeError):
                    continue
        return self.problems[name]

    def accepts(self, config: Any, rule: str) -> bool:
        """Whether the sweep measures ``config`` with ``step_rule=rule``
        (:func:`diffbench.plan.step_rules_for`)."""
        from .plan import step_rules_for

        if config.label not in self.rules:
            self.rules[config.label] = step_rules_for(config)
        return rule in self.rules[config.label]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_params(params: Mapping[str, Any], where: str) -> None:
    """Parameter values no benchmark of this suite stores are refused, before anything is
    looked up or allocated: names that are not strings, a negative point index, a step that is
    not a positive number, a region the table does not know, a grid size that is not an integer
    of at least 2 or whose grid would exceed :data:`diffbench.steps.MAX_GRID_POINTS` nodes."""
    from .schema import REGIONS
    from .steps import MAX_GRID_POINTS

    for name in ("label", "configuration", "method", "rule", "problem"):
        if name in params and not isinstance(params[name], str):
            raise AsvResultsError(f"{where}: `{name}` {params[name]!r} is not a string.")
    n, point, step = params.get("n"), params.get("point"), params.get("step")
    if "n" in params and not (_is_int(n) and n >= 1):
        raise AsvResultsError(f"{where}: `n` {n!r} is not a positive integer.")
    if "point" in params and not (_is_int(point) and point >= 0):
        raise AsvResultsError(f"{where}: point index {point!r} is not an integer >= 0.")
    if "step" in params and not (_is_real(step) and math.isfinite(step) and step > 0):
        raise AsvResultsError(f"{where}: step {step!r} is not a positive finite number.")
    if params.get("region", "point") not in REGIONS:
        raise AsvResultsError(
            f"{where}: region {params['region']!r} is not one of {', '.join(REGIONS)}."
        )
    size = params.get("grid_size")
    if "grid_size" in params and not (_is_int(size) and 2 <= size <= MAX_GRID_POINTS):
        raise AsvResultsError(
            f"{where}: grid size {size!r} is not an integer from 2 to {MAX_GRID_POINTS}."
        )


def _check_grid(problem: Any, size: int, where: str) -> None:
    """A grid of more than :data:`diffbench.steps.MAX_GRID_POINTS` nodes is refused (its axes
    alone could need terabytes), as the sweep refuses it."""
    from .steps import MAX_GRID_POINTS

    if size**problem.dim > MAX_GRID_POINTS:
        raise AsvResultsError(
            f"{where}: grid size {size} on {problem.name} ({problem.dim}-D) gives "
            f"{size}**{problem.dim} nodes, more than the sweep's limit {MAX_GRID_POINTS}."
        )


def _what(measure: str, problem: Any) -> tuple[str, str, int | None]:
    """``(measure, derivative_kind, deriv)`` of a row: a problem of
    :mod:`diffbench.battery_kinds` makes it the sweep's ``accuracy`` row of its kind at the
    default step (its time, if asv timed it, in ``time``), whatever the benchmark's parameters
    would make of a gradient problem."""
    from .battery_kinds import KindProblem

    if not isinstance(problem, KindProblem):
        return measure, "gradient", None
    return "accuracy", problem.kind, problem.deriv if problem.kind == "derivative" else None


def _base_row(
    run: AsvRun,
    measure: str,
    params: Mapping[str, Any],
    lookup: _Lookup,
    where: str = "asv results",
    has_value: bool = False,
) -> dict[str, Any] | None:
    """The row of one parameter combination, without values; None if it is no measurement (a
    point index beyond the problem's points, or a step rule the configuration does not take,
    with no value: the suite's product of parameters holds such combinations and skips them).

    The columns describing the method and the problem are the sweep's (same functions); a grid
    row's ``nfev`` is only what asv counted (``GridAccuracy.track_nfev``), never reconstructed.
    The parameter ``step`` is the sweep's relative step (``step_rel``); ``step`` is then the
    largest step passed at the point, ``step_rel * max(1, |x_i|)``. Benchmarks without a
    ``point`` parameter that measure a Jacobian, Hessian, k-th derivative or step rule do it at
    the problem's first point, as the sweep's cost rows.

    Raises
    ------
    AsvResultsError
        Naming ``where`` (file, benchmark, parameters): parameter values the suite never stores
        (:func:`_check_params`), a value for a point the problem does not have, or a grid too
        large to describe.
    """
    from .execute import grid_text, point_text, problem_columns
    from .measure import grid_spacing
    from .steps import step_at

    _check_params(params, where)
    label = params.get("label", params.get("configuration"))
    config = lookup.config(label, params.get("method"))
    problem_name = params.get("problem")
    if problem_name is None:
        problem_name = f"rosenbrock-{params['n']}"
    problem = lookup.problem(problem_name)
    measure, kind, deriv = _what(measure, problem)
    rule = params.get("rule")
    if rule is not None and config is not None and not has_value:
        if not lookup.accepts(config, rule):
            return None  # not a stencil the rule serves: the sweep measures no such row
    grid_size = params.get("grid_size")
    # benchmarks of one point measure a problem's first point, as the sweep's cost rows do
    first = grid_size is None and (measure == "step-rule" or kind != "gradient")
    point = 0 if measure == "cost" else params.get("point", 0 if first else None)
    form = "point" if grid_size is None else "grid"
    step_rel = params.get("step")
    row: dict[str, Any] = {
        "run_id": run.run_id,
        "measure": measure,
        "schema_version": SCHEMA_VERSION,
        "form": form,
        "derivative_kind": kind,
        "deriv": deriv,
        "problem": problem_name,
        "point": point,
        "step_rel": step_rel,
        "step": step_rel,
        "step_rule": rule or "",
        "grid_size": grid_size,
        "region": params.get("region", "point"),
        "versions": f"asv results of commit {run.commit_hash[:12]}, {run.env_name}, "
        f"machine {run.machine}",
        "message": "",
    }
    if config is not None:
        row.update(config.columns(form, kind, deriv))
    else:
        shown = str(label if label is not None else params.get("method"))
        row.update(method=shown.split("(")[0], label=shown, message="not in this registry")
    if problem is not None:
        if point is not None and point >= len(problem.points):
            if has_value:
                raise AsvResultsError(
                    f"{where}: a value for point {point} of {problem_name}, which has "
                    f"{len(problem.points)} point(s)."
                )
            return None
        row.update(problem_columns(problem))
        if point is not None:
            row["point_values"] = point_text(problem.points[point])
            if step_rel is not None:
                row["step"] = float(np.max(step_at(step_rel, problem.points[point])))
        if grid_size is not None:
            _check_grid(problem, grid_size, where)
            spacing = grid_spacing(problem.domain, grid_size)
            row.update(step=spacing, step_used=spacing, point_values=grid_text(problem.domain))
    step_key = step_rel if grid_size is None else None
    row["key"] = measurement_key(
        measure, problem_name, point, row["label"], step_key, grid_size, row["region"], kind,
        deriv, step_rule=rule,
    )  # fmt: skip
    return row


def _has_value(value: Any) -> bool:
    """Whether an asv value is a measurement (not ``null``: failed, nor NaN: skipped)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _checked_value(column: str, value: Any, where: str) -> float | int:
    """A benchmark value for ``column``, or :class:`AsvResultsError` naming ``where``: errors
    and times are non-negative numbers (an error may be infinite), nfev a non-negative
    integer, nfev_extra an integer (a difference of two counts)."""
    if not _is_real(value):
        raise AsvResultsError(f"{where}: value {value!r} is not a number.")
    if column == "nfev_extra":
        if not (math.isfinite(value) and float(value).is_integer()):
            raise AsvResultsError(f"{where}: nfev_extra {value!r} is not an integer.")
        return int(value)
    if column == "nfev":
        if not (math.isfinite(value) and value >= 0 and float(value).is_integer()):
            raise AsvResultsError(f"{where}: nfev {value!r} is not a non-negative integer.")
        return int(value)
    if value < 0:
        what = "an error" if column == "rel_error" else "a time"
        raise AsvResultsError(f"{where}: {column} {value!r} is negative, which {what} cannot be.")
    if column == "time" and not math.isfinite(value):
        raise AsvResultsError(f"{where}: time {value!r} is not finite.")
    return float(value)


def _set_value(
    row: dict, column: str, value: Any, stats: Mapping[str, Any], where: str = "asv results"
) -> None:
    """Put one benchmark value into its column; remember the outcome for the row's status."""
    outcomes = row.setdefault("_outcomes", [])
    if value is None:
        outcomes.append("error")
    elif not _has_value(value):
        outcomes.append("skipped")
    else:
        outcomes.append("ok")
        row[column] = _checked_value(column, value, where)
        if column == "time":
            number, samples = stats.get("number"), stats.get("samples")
            if number is not None and not (_is_int(number) and number >= 1):
                raise AsvResultsError(f"{where}: stats_number {number!r} is not an integer >= 1.")
            row["time_number"] = number
            if samples:
                if not isinstance(samples, list) or not all(_is_real(t) for t in samples):
                    raise AsvResultsError(f"{where}: samples {samples!r} are not numbers.")
                row["time_repeats"] = json.dumps([float(f"{t:.6g}") for t in samples])


def _finish(row: dict) -> dict:
    """Status and message of a row from the outcomes of its values."""
    outcomes = row.pop("_outcomes", [])
    notes = [row["message"]] if row["message"] else []
    if "error" in outcomes:
        status = "error"
        notes.append("a benchmark failed in asv (`asv run --show-stderr` prints why)")
    elif "ok" in outcomes:
        status = "ok"
    else:
        status = "skipped"
        notes.append(
            "no value from asv: skipped there (not available, raised or returned NaN; "
            "`asv run --show-stderr` prints which)"
        )
    row.update(status=status, message="; ".join(notes))
    return row


def _column(bench: Mapping[str, Any]) -> str | None:
    """The table column a benchmark's values go to (by its type and unit), or None."""
    if bench.get("type") == "time":
        return "time"
    if bench.get("type") == "track":
        return _TRACK_COLUMNS.get(bench.get("unit"))
    return None


def _measure(bench: Mapping[str, Any]) -> str | None:
    """``accuracy`` (configurations by ``label``), ``cost`` (methods by name, default settings
    and step) or ``step-rule`` (a ``rule`` with a ``configuration``'s label) for benchmarks that
    are rows of the table, else None. (A problem of :mod:`diffbench.battery_kinds` makes any of
    them an ``accuracy`` row of its kind: :func:`_what`.)"""
    names = set(bench.get("param_names") or ())
    if not names or not names <= TABLE_PARAMS or _column(bench) is None:
        return None
    if not ({"label", "configuration", "method"} & names and {"problem", "n"} & names):
        return None
    if "rule" in names:
        return "step-rule" if {"label", "configuration"} & names else None
    return "cost" if "method" in names else "accuracy"


def _run_values(run: AsvRun, benchmarks: Mapping[str, dict]) -> tuple[list[dict], list[dict]]:
    """Table rows and other values of one result file."""
    data = _load_json(run.path)
    columns = data.get("result_columns")
    results = data.get("results")
    if not isinstance(columns, list) or not isinstance(results, dict):
        raise AsvResultsError(f"{str(run.path)!r} has no result_columns or results.")
    rows: dict[str, dict] = {}
    other: list[dict] = []
    lookup = _Lookup()
    for bench_name, entry in results.items():
        where = f"{str(run.path)!r}, benchmark {bench_name}"
        if not isinstance(entry, list):
            raise AsvResultsError(f"{where}: the entry is not a list.")
        fields = dict(zip(columns, entry, strict=False))
        values = fields.get("result")
        bench = benchmarks.get(bench_name)
        if values is None or bench is None:
            continue  # no values at all, or a benchmark no longer defined
        params = _param_values(fields.get("params") or [], where)
        names = list(bench.get("param_names") or [])
        combos = list(product(*params)) if params else [()]
        if len(names) != len(params):
            raise AsvResultsError(
                f"{where}: benchmarks.json names {len(names)} parameters, the result file "
                f"stores {len(params)} (results of an older suite? read them with that suite)."
            )
        if not isinstance(values, list) or len(values) != len(combos):
            raise AsvResultsError(
                f"{where}: {len(values) if isinstance(values, list) else 'no'} values for "
                f"{len(combos)} parameter combinations."
            )
        measure = _measure(bench)
        column = _column(bench)
        for i, (combo, value) in enumerate(zip(combos, values, strict=True)):
            named = dict(zip(names, combo, strict=True))
            if measure is None:
                other.append(
                    {
                        "benchmark": bench_name,
                        "parameters": json.dumps(named, default=repr),
                        "value": value,
                        "unit": bench.get("unit", ""),
                    }
                )
                continue
            at = f"{where}, parameters {json.dumps(named, default=repr)}"
            base = _base_row(run, measure, named, lookup, at, _has_value(value))
            if base is None:
                continue
            row = rows.setdefault(base["key"], base)
            number = fields.get("stats_number")
            samples = fields.get("samples")
            stats = {
                "number": number[i] if isinstance(number, list) and i < len(number) else None,
                "samples": samples[i] if isinstance(samples, list) and i < len(samples) else None,
            }
            _set_value(row, column, value, stats, at)
    return [_finish(r) for r in rows.values()], other


def read_asv_results(
    results_dir: str | os.PathLike = DEFAULT_RESULTS_DIR, *, commit: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, AsvRun]:
    """Read one asv run into the sweep's results table.

    Parameters
    ----------
    results_dir : path-like, default ``.asv/results``
        asv's results directory (``results_dir`` of ``asv.conf.json``).
    commit : str, optional
        A commit hash or its prefix; default the run that finished last.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, AsvRun)
        The table (columns :data:`diffbench.store.COLUMNS`), the other values (columns
        ``benchmark, parameters, value, unit``) and the run they come from.

    Raises
    ------
    AsvResultsError
        A missing directory, no results, or files that are not asv's.
    """
    root = _check_dir(results_dir)
    benchmarks = _benchmarks(root)
    run = _select(list_runs(root), root, commit)
    rows, other = _run_values(run, benchmarks)
    if not rows:
        raise AsvResultsError(
            f"{str(run.path)!r} holds no accuracy or cost benchmarks of this suite."
        )
    table = rows_to_frame(rows)
    others = pd.DataFrame(other, columns=["benchmark", "parameters", "value", "unit"])
    return table, others, run


def _write_table(table: pd.DataFrame, out_dir: Path) -> Path:
    from .store import ResultsWriter, check_replaceable, check_writable, remove_results

    check_writable(out_dir)
    try:
        check_replaceable(out_dir)
    except ResultsFileError as exc:
        raise AsvResultsError(f"{exc} Choose another --output.") from None
    remove_results(out_dir)
    with ResultsWriter(out_dir) as writer:
        writer.append(table.to_dict("records"))
    return results_path(out_dir)


def from_asv(
    results_dir: str | os.PathLike = DEFAULT_RESULTS_DIR,
    output: str | os.PathLike = DEFAULT_OUTPUT,
    *,
    commit: str | None = None,
    report: bool = True,
) -> dict[str, Any]:
    """Write an asv run as a results dataset, ``asv_other.csv``, figures and ``REPORT.md``.

    Parameters
    ----------
    results_dir : path-like, default ``.asv/results``
        asv's results directory.
    output : path-like, default ``reports/asv``
        Directory for the files (the layout of ``diffbench run --output``).
    commit : str, optional
        Commit hash prefix of the run to read; default the run that finished last.
    report : bool, default True
        Also draw the figures and write the report (``diffbench.report.write_report``).

    Returns
    -------
    dict
        ``run`` (:class:`AsvRun`), ``rows`` (int), ``results`` / ``other`` / ``report`` (paths;
        ``report`` is None without a report).
    """
    table, others, run = read_asv_results(results_dir, commit=commit)
    out_dir = Path(output)
    results = _write_table(table, out_dir)
    other_path = out_dir / OTHER_FILE
    others.to_csv(other_path, index=False)
    write_run_info(
        out_dir,
        {
            "run_id": run.run_id,
            "started": datetime.fromtimestamp(run.last_started / 1000, UTC).isoformat(
                timespec="seconds"
            ),
            "versions": table["versions"].iloc[0],
            "config": {
                "source": "asv",
                "results_dir": str(results_dir),
                "result_file": str(run.path),
                "commit": run.commit_hash,
                "machine": run.machine,
                "env_name": run.env_name,
            },
            "status": "complete",
        },
    )
    report_path = None
    if report:
        from .report import write_report

        report_path = write_report(out_dir)
    return {
        "run": run,
        "rows": len(table),
        "results": results,
        "other": other_path,
        "report": report_path,
    }


# --------------------------------------------------------------------------------------------
# the subcommand
# --------------------------------------------------------------------------------------------
def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``from-asv`` to the ``diffbench`` command's ``subparsers``."""
    p = subparsers.add_parser(
        "from-asv",
        help="turn asv's stored results into the results dataset, the figures and the report",
        description=(
            "Read the results of `asv run` (one machine, commit and environment: by default "
            "the run that finished last) into the same table as `diffbench run`, then draw "
            "the same figures and write the report. Ratios and peak memory go to "
            f"OUTPUT/{OTHER_FILE}."
        ),
    )
    p.add_argument(
        "results_dir",
        nargs="?",
        default=DEFAULT_RESULTS_DIR,
        metavar="RESULTS_DIR",
        help=f"asv's results directory (default {DEFAULT_RESULTS_DIR})",
    )
    p.add_argument(
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"output directory (default {DEFAULT_OUTPUT})",
    )
    p.add_argument("--commit", metavar="HASH", help="commit (prefix) of the run to read")
    p.add_argument("--no-report", action="store_true", help="write the table only")
    p.set_defaults(handler=handle)
    return p


def handle(args: argparse.Namespace) -> int:
    """Run ``diffbench from-asv``; errors propagate as exceptions (one line, exit 2)."""
    out = from_asv(args.results_dir, args.output, commit=args.commit, report=not args.no_report)
    run = out["run"]
    print(
        f"read asv results of commit {run.commit_hash[:12]} ({run.env_name}, machine "
        f"{run.machine}): wrote {out['rows']} rows to {results_path(args.output)}"
        + (f" and {out['report']}" if out["report"] else "")
    )
    return 0
