"""``workers=``: parallel evaluation of f at independent points (methods/parallel.py).

Values bit-identical and ``nfev`` equal to the serial path for an int pool, a thread pool's map and
a multiprocessing pool's map; clear errors naming ``workers``; no process left behind; labels,
``get_params`` and ``repr`` unchanged at ``workers=1``. No test here depends on timing
(benchmarks/parallel_speedup.py measures the speed-up).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from methods import FunctionEvaluationError, get_method
from methods.complex_step import ComplexArgumentError
from methods.parallel import MapWrapper, check_workers, describe_workers

POINT = np.array([0.3, -0.7, 1.9, 0.45])

#: configurations of every method that takes ``workers`` (a few settings each)
CONFIGS = [
    ("forward", {}),
    ("backward", {"order": 3}),
    ("central", {}),
    ("central", {"order": 6}),
    ("richardson", {"levels": 2}),
    ("ridders", {}),
    ("complex-step", {}),
    ("numpy-gradient", {}),
    ("numpy-gradient", {"edge_order": 2, "position": "edge"}),
]
IDS = [f"{name}-{settings}" for name, settings in CONFIGS]


def smooth(x):
    """A module-level (picklable) function of real or complex x, with some rounding to expose."""
    return np.sin(x[0]) * np.exp(x[1]) + x[0] * x[1] * x[2] + np.cos(x[3] * x[2]) / 3.0


def fails_at_second_coordinate(x):
    if x[1] != -0.7:
        raise ArithmeticError("moved coordinate 1")
    return float(np.sum(x))


def nan_at_first_coordinate(x):
    return math.nan if x[0] != 0.3 else float(np.sum(x))


def casts_to_real(x):
    return np.exp(x.astype(float)[0]) + 0j * x[0]  # astype(float) drops Im: a ComplexWarning


def dies_at_second_coordinate(x):
    if x[1] != -0.7:
        os._exit(3)  # a crash of f (a segfault, say) in a worker process
    return float(np.sum(x))


class Unpicklable:
    def __init__(self) -> None:
        self.inner = lambda x: float(np.sum(x))

    def __call__(self, x):
        return self.inner(x)


@pytest.fixture(scope="module")
def process_pool():
    with multiprocessing.Pool(2) as pool:
        yield pool
        pool.terminate()
        pool.join()


@pytest.fixture(scope="module")
def thread_pool():
    with ThreadPoolExecutor(3) as executor:
        yield executor


def _after_label(exc: BaseException) -> str:
    """The message without the method's label (which shows ``workers`` when it is not 1)."""
    label, _, rest = str(exc).partition(": ")
    assert label.startswith(("central", "complex-step"))
    return rest


def _same(a, b) -> None:
    assert (a is None) == (b is None)
    if a is not None:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        assert a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("workers", ["int", "threads", "processes"])
@pytest.mark.parametrize(("name", "settings"), CONFIGS, ids=IDS)
def test_values_are_bit_identical_and_nfev_equal(
    name, settings, workers, process_pool, thread_pool
):
    given = {"int": 2, "threads": thread_pool.map, "processes": process_pool.map}[workers]
    serial = get_method(name, **settings).gradient(smooth, POINT)
    parallel = get_method(name, **settings, workers=given).gradient(smooth, POINT)
    for field in ("value", "step", "error_estimate"):
        _same(getattr(parallel, field), getattr(serial, field))
    assert parallel.nfev == serial.nfev > 0
    assert serial.method == get_method(name, **settings).label


@pytest.mark.parametrize("name", ["central", "ridders", "complex-step"])
def test_derivative_with_a_pool_matches_the_serial_value(name):
    serial = get_method(name).derivative(np.exp, 0.7)
    parallel = get_method(name, workers=2).derivative(np.exp, 0.7)
    assert parallel.value == serial.value and parallel.nfev == serial.nfev


def test_no_child_process_is_left_after_a_call_with_workers_2():
    before = set(multiprocessing.active_children())
    get_method("central", workers=2).gradient(smooth, POINT)
    assert set(multiprocessing.active_children()) - before == set()
    with pytest.raises(FunctionEvaluationError):
        get_method("ridders", workers=2).gradient(fails_at_second_coordinate, POINT)
    assert set(multiprocessing.active_children()) - before == set()


def test_a_worker_process_that_dies_is_an_error_naming_workers_and_leaves_nothing():
    before = set(multiprocessing.active_children())
    with pytest.raises(RuntimeError, match=r"`workers`=2: a worker process ended \(exit codes"):
        get_method("central", workers=2).gradient(dies_at_second_coordinate, POINT)
    assert set(multiprocessing.active_children()) - before == set()


@pytest.mark.parametrize("workers", [1, 2, "threads"])
def test_f_raising_names_the_first_failing_point_as_the_serial_path_does(workers, thread_pool):
    given = thread_pool.map if workers == "threads" else workers
    with pytest.raises(FunctionEvaluationError) as serial:
        get_method("central").gradient(fails_at_second_coordinate, POINT)
    with pytest.raises(FunctionEvaluationError) as parallel:
        get_method("central", workers=given).gradient(fails_at_second_coordinate, POINT)
    assert _after_label(parallel.value) == _after_label(serial.value)
    assert "ArithmeticError at x=[0.3, -0.70000" in str(parallel.value)
    assert isinstance(parallel.value.__cause__, ArithmeticError)


def test_a_non_finite_value_warns_in_the_parent_and_gives_nan():
    with pytest.warns(RuntimeWarning, match=r"f returned nan at x=\["):
        est = get_method("central", workers=2).gradient(nan_at_first_coordinate, POINT)
    assert math.isnan(est.value[0]) and np.all(np.isfinite(est.value[1:]))


@pytest.mark.parametrize("workers", [2, "threads", "processes"])
def test_complex_step_refuses_f_unfit_for_complex_input_as_serially(
    workers, thread_pool, process_pool
):
    # "processes": a pool started before the call, whose workers did not inherit the
    # parent's warning filters (the evaluator sets them there)
    given = {2: 2, "threads": thread_pool.map, "processes": process_pool.map}[workers]
    for f in (casts_to_real, fails_at_second_coordinate):
        with pytest.raises(ComplexArgumentError) as serial:
            get_method("complex-step").gradient(f, POINT)
        with pytest.raises(ComplexArgumentError) as parallel:
            get_method("complex-step", workers=given).gradient(f, POINT)
        assert _after_label(parallel.value) == _after_label(serial.value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the parent's filters were restored
        assert np.float64(1.0) + 0 == 1.0


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("workers", "error", "match"),
    [
        (0, ValueError, r"`workers` must be a positive int .* got 0\."),
        (-1, ValueError, r"`workers` must be a positive int .* got -1\."),
        (True, TypeError, r"`workers` must be .* got the bool True"),
        (np.True_, TypeError, r"`workers` must be .* got the bool"),
        (2.0, TypeError, r"`workers` must be .* got float 2\.0"),
        ("4", TypeError, r"`workers` must be .* got str '4'"),
    ],
)
@pytest.mark.parametrize("name", ["forward", "richardson", "ridders", "complex-step"])
def test_bad_workers_is_a_clear_error(name, workers, error, match):
    with pytest.raises(error, match=match):
        get_method(name, workers=workers)


def test_a_map_returning_the_wrong_number_of_values_is_an_error_naming_workers():
    def short_map(func, items):
        return list(map(func, items))[:-1]

    with pytest.raises(ValueError, match=r"`workers` \(.*short_map\) returned 7 values for 8"):
        get_method("central", workers=short_map).gradient(smooth, POINT)


def test_a_map_that_fails_is_an_error_naming_workers():
    with pytest.raises(RuntimeError, match=r"`workers` \(len\) raised TypeError"):
        get_method("central", workers=len).gradient(smooth, POINT)


def test_an_unpicklable_f_with_a_process_pool_is_an_error_naming_workers():
    before = set(multiprocessing.active_children())
    with pytest.raises(TypeError, match=r"`workers`=2 .* f must be picklable"):
        get_method("central", workers=2).gradient(Unpicklable(), POINT)
    with pytest.raises(TypeError, match=r"`workers`=2 .* f must be picklable"):
        get_method("central", workers=2).gradient(lambda x: float(x[0]), POINT)
    assert set(multiprocessing.active_children()) - before == set()
    # threads need no pickling
    est = get_method("central", workers=ThreadPoolExecutor(2).map).gradient(Unpicklable(), POINT)
    np.testing.assert_allclose(est.value, 1.0, rtol=1e-8)


@pytest.mark.parametrize("name", ["central", "richardson", "complex-step", "numpy-gradient"])
def test_workers_with_vectorized_is_an_error_naming_workers(name):
    with pytest.raises(ValueError, match=r"`workers` must be 1 with vectorized=True"):
        get_method(name, vectorized=True, workers=2)
    assert get_method(name, vectorized=True, workers=1).vectorized


# -- identities -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "settings"), CONFIGS, ids=IDS)
def test_workers_1_changes_no_label_params_or_repr(name, settings):
    plain, one = get_method(name, **settings), get_method(name, **settings, workers=1)
    assert "workers" not in plain.label and one.label == plain.label
    assert "workers" not in plain.get_params() and one.get_params() == plain.get_params()
    assert repr(one) == repr(plain) and "workers" not in repr(plain)
    assert get_method(name, **plain.get_params()).label == plain.label


def test_workers_other_than_1_are_shown_and_round_trip():
    four = get_method("central", order=4, workers=4)
    assert four.label == "central(order=4, workers=4)"
    assert four.get_params()["workers"] == 4
    assert get_method("central", **four.get_params()).label == four.label
    with ThreadPoolExecutor(1) as pool:
        assert get_method("ridders", workers=pool.map).label == "ridders(workers=Executor.map)"
    grid = get_method("numpy-gradient", workers=2)
    assert grid.grid_label == "numpy-gradient(edge_order=1)"
    assert grid.label == "numpy-gradient(edge_order=1, position=center, workers=2)"


def test_map_wrapper_checks_and_describes():
    assert check_workers(np.int32(3)) == 3 and type(check_workers(np.int32(3))) is int
    assert describe_workers(3) == "3" and describe_workers(print) == "print"
    with MapWrapper(2) as map_:
        assert map_(abs, [-1, -2, 3]) == [1, 2, 3]
    assert map_._pool is None
    with MapWrapper(lambda func, items: map(func, items)) as map_:  # an iterator is fine
        assert map_(abs, [-4]) == [4]
