"""``diffbench from-asv`` on the kinds and step-rule benchmarks (benchmarks/bench_kinds.py,
benchmarks/bench_step_rules.py).

A fake asv results directory is written with the parameter names, values and units the benchmark
classes declare (read from the classes, never copied), and the rows read back are compared with
the rows the sweep itself writes for the same measurement (:func:`diffbench.execute.run_task` on
one ``kind`` or ``rule`` task): same key, ``measure``, ``derivative_kind``, ``deriv``,
``step_rule`` and method-describing columns. No timing is asserted.
"""

from __future__ import annotations

import math
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_asv import write_asv

from benchmarks import bench_kinds, bench_step_rules
from diffbench.asv_results import AsvResultsError, read_asv_results
from diffbench.battery_kinds import get_kind_problem
from diffbench.cli import main
from diffbench.configs import resolve_methods
from diffbench.execute import Context, run_task
from diffbench.plan import Task, exact_gradients, exact_kind_truths, step_rules_for
from diffbench.problems import get_problem
from diffbench.schema import COLUMNS
from diffbench.store import measurement_key, read_results, rows_to_frame

KIND_ACC = bench_kinds.KindAccuracy
KIND_COST = bench_kinds.KindCost
RULE_ACC = bench_step_rules.StepRuleAccuracy
#: Columns that hold what was measured, or which run and versions: every other column of the
#: table says what a row measures and with what (compared with the sweep's row, ``key`` apart).
MEASURED = {
    "run_id", "key", "versions", "message", "status", "abs_error", "rel_error", "error_estimate",
    "asymmetry", "nfev", "nfev_extra", "time", "time_number", "time_repeats", "prepare_time",
    "step_used",
}  # fmt: skip
IDENTITY = [c for c in COLUMNS if c not in MEASURED]


def definition(cls: type, function: str) -> dict[str, Any]:
    """The benchmarks.json entry asv writes for ``cls.function``: its type from the name's
    prefix, its unit (asv's default for times), the class's parameter names and values."""
    kind = function.split("_")[0]
    unit = getattr(getattr(cls, function), "unit", "seconds" if kind == "time" else "unit")
    return {
        "type": kind,
        "unit": unit,
        "param_names": list(cls.param_names),
        "params": [list(values) for values in cls.params],
    }


def name(cls: type, function: str) -> str:
    """asv's name of a benchmark: module (without the package), class, function."""
    return f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}.{function}"


def combos(cls: type) -> list[dict[str, Any]]:
    """The parameter combinations of ``cls`` in asv's order (last parameter fastest)."""
    return [dict(zip(cls.param_names, c, strict=True)) for c in product(*cls.params)]


def sweep_rows(task: Task) -> pd.DataFrame:
    """The rows the sweep writes for one task, as the store reads them back."""
    return rows_to_frame(run_task(Context("sweep", "versions"), task))


def assert_same_columns(row: pd.Series, swept: pd.Series, columns: list[str]) -> None:
    """``row`` and ``swept`` agree on ``columns`` (missing on both counts as agreeing)."""
    for column in columns:
        a, b = row[column], swept[column]
        assert (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and a == b), (column, a, b)


# --------------------------------------------------------------------------------------------
# Jacobians and Hessians
# --------------------------------------------------------------------------------------------
ERROR = "track_relative_error"
KIND_BENCHES = {
    name(KIND_ACC, ERROR): definition(KIND_ACC, ERROR),
    name(KIND_ACC, "track_nfev"): definition(KIND_ACC, "track_nfev"),
    name(KIND_COST, "time_kind"): definition(KIND_COST, "time_kind"),
}


def test_kind_benchmarks_become_accuracy_rows_of_their_kind(tmp_path: Path) -> None:
    params = combos(KIND_ACC)
    n = len(params)
    errors: list[Any] = [10.0 ** -(i + 1) for i in range(n)]
    nfevs: list[Any] = [float(10 + i) for i in range(n)]
    times: list[Any] = [1e-4 * (i + 1) for i in range(n)]
    errors[1] = nfevs[1] = times[1] = math.nan  # skipped (cannot run, raised or NaN)
    errors[2] = None  # failed in asv
    ratio = name(bench_kinds.KindRatios, "track_sparse_over_dense_jacobian_nfev")
    benches = {**KIND_BENCHES, ratio: {"type": "track", "unit": "ratio", "param_names": []}}
    benches[ratio]["params"] = []
    values = {
        name(KIND_ACC, ERROR): errors,
        name(KIND_ACC, "track_nfev"): nfevs,
        name(KIND_COST, "time_kind"): times,
        ratio: [0.2],
    }
    write_asv(tmp_path, benches, values, stats_number={name(KIND_COST, "time_kind"): [5] * n})
    table, other, _ = read_asv_results(tmp_path)

    # the ratio is no row: it stays among the other values
    assert other["benchmark"].tolist() == [ratio] and other["value"].tolist() == [0.2]
    assert len(table) == n and set(table["measure"]) == {"accuracy"}
    for i, p in enumerate(params):
        label, problem = p["method"], p["problem"]
        prob = get_kind_problem(problem)
        deriv = prob.deriv if prob.kind == "derivative" else None
        key = measurement_key("accuracy", problem, 0, label, None, None, "point", prob.kind, deriv)
        row = table.set_index("key").loc[key]
        assert (row["label"], row["problem"], row["point"]) == (label, problem, 0)
        assert row["derivative_kind"] == prob.kind and row["form"] == "point"
        assert pd.isna(row["step_rel"]) and pd.isna(row["step"])  # the default step
        assert row["dim"] == prob.dim and row["step_rule"] == ""
        if i == 1:
            assert row["status"] == "skipped" and "skipped there" in row["message"]
            assert np.isnan(row["rel_error"]) and pd.isna(row["nfev"]) and np.isnan(row["time"])
        elif i == 2:
            assert row["status"] == "error" and "failed in asv" in row["message"]
            assert np.isnan(row["rel_error"]) and row["nfev"] == nfevs[i]
        else:
            assert row["status"] == "ok" and row["message"] == ""
            assert (row["rel_error"], row["nfev"]) == (errors[i], nfevs[i])
            assert row["time"] == times[i] and row["time_number"] == 5


@pytest.fixture(scope="module")
def kind_task() -> Task:
    """The sweep's task of the first configuration on the first problem of ``bench_kinds``, at
    the default step only."""
    (config,) = resolve_methods([bench_kinds.LABELS[0]])
    prob = get_kind_problem(bench_kinds.PROBLEMS[0])
    deriv = prob.deriv if prob.kind == "derivative" else None
    truths = exact_kind_truths([prob])[prob.name]
    return Task(
        "kind", prob, (config,), steps=(None,), truths=truths, derivative_kind=prob.kind,
        deriv=deriv,
    )  # fmt: skip


def test_a_kind_row_is_the_row_the_sweep_writes(tmp_path: Path, kind_task: Task) -> None:
    swept = sweep_rows(kind_task)
    mine = swept[swept["point"] == 0].iloc[0]
    assert mine["status"] == "ok"
    params = combos(KIND_ACC)
    at = params.index({"method": mine["label"], "problem": mine["problem"]})
    fill = [math.nan] * len(params)
    error, nfev = float(mine["rel_error"]), int(mine["nfev"])  # asv's JSON: Python numbers
    values = {
        name(KIND_ACC, ERROR): [error if i == at else v for i, v in enumerate(fill)],
        name(KIND_ACC, "track_nfev"): [nfev if i == at else v for i, v in enumerate(fill)],
        name(KIND_COST, "time_kind"): [1e-3 if i == at else v for i, v in enumerate(fill)],
    }
    write_asv(tmp_path, KIND_BENCHES, values)
    table, _, _ = read_asv_results(tmp_path)
    row = table.set_index("key").loc[mine["key"]]
    assert_same_columns(row, mine, IDENTITY)
    assert (row["rel_error"], row["nfev"], row["status"]) == (mine["rel_error"], mine["nfev"], "ok")
    assert row["time"] == 1e-3  # the sweep does not time Jacobians: asv's time is kept here


# --------------------------------------------------------------------------------------------
# step rules
# --------------------------------------------------------------------------------------------
EXTRA = "track_extra_nfev"
RULE_BENCHES = {
    name(RULE_ACC, ERROR): definition(RULE_ACC, ERROR),
    name(RULE_ACC, "track_nfev"): definition(RULE_ACC, "track_nfev"),
    name(RULE_ACC, EXTRA): definition(RULE_ACC, EXTRA),
}


def _accepted(label: str) -> tuple[str, ...]:
    (config,) = resolve_methods([label])
    return step_rules_for(config)


def test_step_rule_benchmarks_become_step_rule_rows(tmp_path: Path) -> None:
    params = combos(RULE_ACC)
    accepted = {label: _accepted(label) for label in bench_step_rules.LABELS}
    served = [p["rule"] in accepted[p["configuration"]] for p in params]
    assert not all(served)  # gmsw serves forward order 1 only: asv skips the rest
    # what asv stores: NaN where the rule does not serve the stencil
    errors: list[Any] = [1e-6 * (i + 1) if s else math.nan for i, s in enumerate(served)]
    extra: list[Any] = [float(i % 9) if s else math.nan for i, s in enumerate(served)]
    nfev: list[Any] = [e + 4 for e in extra]
    skipped, failed = served.index(True), served.index(True, served.index(True) + 1)
    errors[skipped] = nfev[skipped] = extra[skipped] = math.nan  # no finite estimate
    errors[failed] = None
    values = {
        name(RULE_ACC, ERROR): errors,
        name(RULE_ACC, "track_nfev"): nfev,
        name(RULE_ACC, EXTRA): extra,
    }
    write_asv(tmp_path, RULE_BENCHES, values)
    table, other, _ = read_asv_results(tmp_path)

    assert other.empty and set(table["measure"]) == {"step-rule"}
    assert len(table) == sum(served)  # rules a stencil does not take are no rows, as in the sweep
    by_key = table.set_index("key")
    for i, p in enumerate(params):
        rule, label, problem = p["rule"], p["configuration"], p["problem"]
        key = measurement_key("step-rule", problem, 0, label, None, None, "point", step_rule=rule)
        if not served[i]:
            assert key not in by_key.index
            continue
        row = by_key.loc[key]
        assert (row["label"], row["step_rule"], row["problem"], row["point"]) == (
            label,
            rule,
            problem,
            0,
        )
        assert row["derivative_kind"] == "gradient" and pd.isna(row["step_rel"])
        if i == skipped:
            assert row["status"] == "skipped" and np.isnan(row["rel_error"])
            assert pd.isna(row["nfev"]) and pd.isna(row["nfev_extra"])
        elif i == failed:
            assert row["status"] == "error" and np.isnan(row["rel_error"])
            assert (row["nfev"], row["nfev_extra"]) == (nfev[i], extra[i])
        else:
            assert row["status"] == "ok"
            assert (row["rel_error"], row["nfev"], row["nfev_extra"]) == (
                errors[i],
                nfev[i],
                extra[i],
            )


@pytest.fixture(scope="module")
def rule_task() -> Task:
    """The sweep's step-rule task of the second configuration on the first problem of
    ``bench_step_rules``."""
    (config,) = resolve_methods([bench_step_rules.LABELS[1]])
    prob = get_problem(bench_step_rules.PROBLEMS[0])
    truths = exact_gradients([prob])[prob.name]
    rules = step_rules_for(config)
    return Task("rule", prob, (config,), truths=truths, rules=rules, measure="step-rule")


def test_a_step_rule_row_is_the_row_the_sweep_writes(tmp_path: Path, rule_task: Task) -> None:
    swept = sweep_rows(rule_task)
    swept = swept[(swept["point"] == 0) & (swept["status"] == "ok")].set_index("step_rule")
    assert len(swept) >= 2
    params = combos(RULE_ACC)
    errors: list[Any] = [math.nan] * len(params)
    extra: list[Any] = [math.nan] * len(params)
    nfev: list[Any] = [math.nan] * len(params)
    for i, p in enumerate(params):
        mine = p["configuration"] == rule_task.configs[0].label
        if mine and p["problem"] == rule_task.problem.name and p["rule"] in swept.index:
            errors[i] = float(swept.loc[p["rule"], "rel_error"])
            extra[i] = int(swept.loc[p["rule"], "nfev_extra"])
            nfev[i] = int(swept.loc[p["rule"], "nfev"])
    values = {
        name(RULE_ACC, ERROR): errors,
        name(RULE_ACC, "track_nfev"): nfev,
        name(RULE_ACC, EXTRA): extra,
    }
    write_asv(tmp_path, RULE_BENCHES, values)
    table = read_asv_results(tmp_path)[0].set_index("key")
    for rule, mine in swept.iterrows():
        row = table.loc[mine["key"]]
        assert row["step_rule"] == rule
        assert_same_columns(row, mine, [c for c in IDENTITY if c != "step_rule"])
        assert_same_columns(row, mine, ["rel_error", "nfev", "nfev_extra", "status"])


def test_the_step_rule_benchmark_counts_all_and_extra_evaluations() -> None:
    bench = RULE_ACC()
    truths = bench.setup_cache()
    label, problem = bench_step_rules.LABELS[0], bench_step_rules.PROBLEMS[0]
    counts = {}
    for rule in bench_step_rules.RULES[:2]:
        bench.setup(truths, rule, label, problem)
        counts[rule] = (
            bench.track_nfev(truths, rule, label, problem),
            bench.track_extra_nfev(truths, rule, label, problem),
        )
    baseline, other = counts[bench_step_rules.RULES[0]], counts[bench_step_rules.RULES[1]]
    assert baseline[1] == 0 and baseline[0] > 0  # the unit-scale rule spends only the stencil
    assert other[0] - other[1] == baseline[0]
    assert RULE_ACC.track_nfev.unit == "evaluations"
    assert RULE_ACC.track_extra_nfev.unit == "extra evaluations"


# --------------------------------------------------------------------------------------------
# refusals and the report
# --------------------------------------------------------------------------------------------
def test_an_extra_count_that_is_not_an_integer_is_refused_naming_where(tmp_path: Path) -> None:
    n = len(combos(RULE_ACC))
    extra: list[Any] = [0.0] * n
    extra[0] = 1.5
    write_asv(
        tmp_path, RULE_BENCHES, {name(RULE_ACC, ERROR): [1e-8] * n, name(RULE_ACC, EXTRA): extra}
    )
    with pytest.raises(AsvResultsError) as info:
        read_asv_results(tmp_path)
    text = str(info.value)
    assert "nfev_extra 1.5 is not an integer" in text and name(RULE_ACC, EXTRA) in text
    first = combos(RULE_ACC)[0]
    assert f'"configuration": "{first["configuration"]}"' in text and "testbox" in text


def test_a_negative_kind_time_is_refused_naming_where(tmp_path: Path) -> None:
    n = len(combos(KIND_COST))
    times: list[Any] = [1e-4] * n
    times[-1] = -1e-4
    write_asv(tmp_path, {name(KIND_COST, "time_kind"): KIND_BENCHES[name(KIND_COST, "time_kind")]},
              {name(KIND_COST, "time_kind"): times})  # fmt: skip
    with pytest.raises(AsvResultsError, match="time -0.0001 is negative") as info:
        read_asv_results(tmp_path)
    assert name(KIND_COST, "time_kind") in str(info.value)
    assert bench_kinds.PROBLEMS[-1] in str(info.value)


def test_the_report_on_kind_and_step_rule_rows(tmp_path: Path) -> None:
    """A run of these benchmarks alone (no gradient step sweep) gives the report and figures."""
    kind_n, rule_n = len(combos(KIND_ACC)), len(combos(RULE_ACC))
    accepted = {label: _accepted(label) for label in bench_step_rules.LABELS}
    served = [p["rule"] in accepted[p["configuration"]] for p in combos(RULE_ACC)]
    values = {
        name(KIND_ACC, ERROR): [1e-7 * (i + 1) for i in range(kind_n)],
        name(KIND_ACC, "track_nfev"): [12.0] * kind_n,
        name(KIND_COST, "time_kind"): [1e-4] * kind_n,
        name(RULE_ACC, ERROR): [
            1e-8 * (i % 5 + 1) if s else math.nan for i, s in enumerate(served)
        ],
        name(RULE_ACC, "track_nfev"): [4 + i % 3 if s else math.nan for i, s in enumerate(served)],
        name(RULE_ACC, EXTRA): [float(i % 3) if s else math.nan for i, s in enumerate(served)],
    }
    assert len(values[name(RULE_ACC, ERROR)]) == rule_n
    write_asv(tmp_path / "r", {**KIND_BENCHES, **RULE_BENCHES}, values)
    assert main(["from-asv", str(tmp_path / "r"), "--output", str(tmp_path / "out")]) == 0
    table = read_results(tmp_path / "out")
    assert set(table["measure"]) == {"accuracy", "step-rule"}
    report = (tmp_path / "out" / "REPORT.md").read_text()
    assert bench_kinds.PROBLEMS[0] in report and bench_step_rules.RULES[1] in report
    figures = tmp_path / "out" / "figures"
    assert (figures / "step_rules.png").stat().st_size > 0
    assert any(f.name.startswith("kind_") for f in figures.iterdir())
