"""The sweep's bulk paths give the rows of the per-row path (issue 12, speed of the sweep).

``execute._run_point`` measures a configuration's whole step sweep at a point through
``measure.measure_steps`` (one warnings context, errors scored in one vectorized pass,
steps from ``execute.steps_at``, the point's columns once). These tests rebuild the rows the
per-row way (``measure_gradient`` and ``step_at`` per row, as the code before the change did)
and require the same rows, value for value and bit for bit. No timing is asserted here:
``benchmarks/sweep_speed.py`` measures the speed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import methods
from diffbench.execute import Context, _base_row, _build, point_text, run_task, steps_at
from diffbench.figures.registry import save_figures
from diffbench.measure import measure_gradient, measure_steps
from diffbench.plan import exact_gradients, plan_accuracy
from diffbench.problems import get_problem
from diffbench.runner import DEFAULT_STEPS, resolve_methods
from diffbench.steps import step_at
from diffbench.store import measurement_key

LABELS = [
    "forward(order=1)",
    "central(order=8)",
    "complex-step",
    "approx-fprime",
    "numpy-gradient(edge_order=1, position=center)",
    "dual",
    "richardson(levels=2)",
]
#: Problems with NaN estimates (sqrt-near-0, pole), errors (tan-pi/2), noise, large x, 2-D.
PROBLEMS = ["sqrt-near-0", "pole", "tan-pi/2", "runge~noise1e-8", "log-large", "exp-sin"]


def _per_row(ctx: Context, task) -> list[dict]:
    """The rows of a point task, one measure_gradient call per row (the code before bulk)."""
    rows = []
    prob = task.problem
    for config in task.configs:
        base = _base_row(ctx, task, config)
        method, failed = _build(config)
        for i, point in enumerate(prob.points):
            x = np.asarray(point, dtype=float)
            for t in task.steps:
                h = None if t is None else step_at(t, x)
                row = dict(
                    base,
                    point=i,
                    point_values=point_text(point),
                    step_rel=t,
                    step=None if h is None else float(np.max(h)),
                )
                row["key"] = measurement_key(
                    "accuracy", prob.name, i, config.label, t, None, "point"
                )
                m = failed or measure_gradient(method, prob.function, x, task.truths[i], step=h)
                rows.append({**row, **m.as_row()})
    return rows


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module")
def point_tasks():
    configs = [c for c in resolve_methods(None) if c.label in LABELS]
    assert {c.label for c in configs} == set(LABELS)
    problems = [get_problem(p) for p in PROBLEMS]
    truths = exact_gradients(problems)
    plan = plan_accuracy(configs, problems, DEFAULT_STEPS, {}, truths)
    return [t for t in plan if t.what == "point"]


def test_bulk_point_rows_equal_the_per_row_rows(point_tasks):
    ctx = Context("run", "versions")
    statuses = set()
    for task in point_tasks:
        with np.errstate(all="ignore"):
            expected = _per_row(ctx, task)
        got = run_task(ctx, task)
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert list(g) == list(e)  # same columns in the same order
            diff = {k: (g[k], e[k]) for k in e if not _same(g[k], e[k])}
            assert not diff, (g["key"], diff)
            statuses.add(g["status"])
    # the subset covers every path: ok rows scored in bulk, NaN and error rows row by row
    assert {"ok", "non-finite", "error"} <= statuses


def test_measure_steps_is_measure_gradient_at_each_step():
    method = methods.get_method("central", order=4)
    f = np.log
    x = np.array([0.5])
    truth = np.array([2.0])
    steps = [None, 1e-2, 1e-6, 0.5, 0.75, -1.0, np.array([1e-3])]
    with np.errstate(all="ignore"):
        bulk = measure_steps(method, f, x, truth, steps)
        single = [measure_gradient(method, f, x, truth, step=h) for h in steps]
    assert [m.status for m in bulk] == [m.status for m in single]
    assert "error" in {str(m.status) for m in bulk}  # the negative step
    assert "non-finite" in {str(m.status) for m in bulk}  # log of negative numbers
    for b, s in zip(bulk, single, strict=True):
        assert b == s  # every column (value, estimate, exception are not compared)
        assert b.message == s.message


def test_measure_steps_without_truth_or_with_a_zero_truth():
    method = methods.get_method("forward")
    f = methods.as_vector_function(lambda a, b: a * a + b * b)
    x = np.zeros(2)
    for truth in (None, np.zeros(2)):
        bulk = measure_steps(method, f, x, truth, [1e-3, 1e-8])
        single = [measure_gradient(method, f, x, truth, step=h) for h in (1e-3, 1e-8)]
        assert bulk == single


def test_measure_steps_keeps_warnings_of_each_call_apart():
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 3:
            warnings.warn("third call", RuntimeWarning, stacklevel=1)
            return float("nan")
        return float(v[0])

    method = methods.get_method("forward")
    bulk = measure_steps(method, f, np.array([1.0]), np.array([1.0]), [1e-3, 1e-4, 1e-5])
    assert [str(m.status) for m in bulk] == ["ok", "non-finite", "ok"]
    assert "third call" in bulk[1].message


@pytest.mark.parametrize(
    "x", [np.array([0.5, -1.0]), np.array([1e10, 2.0]), np.array([3.0, 3.0]), np.array([])]
)
def test_steps_at_is_step_at_for_each_step(x):
    ts = [None, 1e-1, 1e-8, 3e-300, 1e-16]
    got = steps_at(ts, x)
    for t, h in zip(ts, got, strict=True):
        want = None if t is None else step_at(t, x)
        assert type(h) is type(want)
        if isinstance(want, np.ndarray):
            assert h.tobytes() == want.tobytes()
        else:
            assert h == want


def test_figures_drawn_in_worker_processes_are_the_serial_ones(tmp_path):
    """save_figures(jobs=2) writes the same files, byte for byte, as jobs=1."""
    from diffbench.runner import sweep

    df = sweep(["central", "dual", "numpy-gradient"], ["runge", "exp-sin"], cost=True,
               timing={"target": 1e-4, "repeat": 1, "budget": 0.01})  # fmt: skip
    serial = save_figures(df, tmp_path / "serial", jobs=1)
    parallel = save_figures(df, tmp_path / "parallel", jobs=2)
    assert {k: [p.name for p in v] for k, v in serial.items()} == {
        k: [p.name for p in v] for k, v in parallel.items()
    }
    names = [p.name for v in serial.values() for p in v]
    assert len(names) >= 4
    for name in names:
        assert (tmp_path / "serial" / name).read_bytes() == (
            tmp_path / "parallel" / name
        ).read_bytes(), name
