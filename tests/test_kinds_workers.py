"""``workers=`` reaches the complex-step and extrapolation Hessians and k-th derivatives.

Serial, a pool of two processes and a map-like callable give the same bits and the same
``nfev``; the callable sees every evaluation (the points go through the map, not around it).
Richardson and the complex step evaluate all their points in one map call; Ridders one column
(every entry still going) at a time.
"""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

from methods import get_method

X = np.array([0.3, -0.7, 1.1])
CASES = [("complex-step", {}), ("richardson", {"levels": 2}), ("ridders", {})]


def f3(x):
    """A 3-variable function with every second derivative nonzero (module level: it pickles)."""
    return np.exp(x[0]) * np.sin(x[1]) + x[2] ** 3 * x[0] + np.log(2 + x[1] * x[2])


def g1(x):
    return np.exp(x) * np.sin(2 * x)


class RecordingMap:
    """``map`` that records how often it was called and on how many points."""

    def __init__(self) -> None:
        self.calls = 0
        self.points = 0

    def __call__(self, func, items):
        items = list(items)
        self.calls += 1
        self.points += len(items)
        return [func(item) for item in items]


def same(a, b) -> None:
    """Bit for bit: values, step, error estimate and nfev."""
    assert a.nfev == b.nfev
    assert np.asarray(a.value).tobytes() == np.asarray(b.value).tobytes()
    assert np.asarray(a.step).tobytes() == np.asarray(b.step).tobytes()
    assert (a.error_estimate is None) == (b.error_estimate is None)
    if a.error_estimate is not None:
        assert np.asarray(a.error_estimate).tobytes() == np.asarray(b.error_estimate).tobytes()


def calls_expected(name: str, recorder: RecordingMap, ntab: int = 10) -> None:
    if name == "ridders":  # adaptive: one map call per column, the columns one after another
        assert 1 < recorder.calls <= ntab
    else:  # every point known before the first evaluation: one map call
        assert recorder.calls == 1


@pytest.mark.parametrize(("name", "settings"), CASES)
@pytest.mark.parametrize("step", [None, 1e-3])
def test_hessian_workers_give_the_serial_bits(name, settings, step) -> None:
    serial = get_method(name, **settings).hessian(f3, X, step=step)
    assert np.all(np.isfinite(serial.value)) and serial.nfev > 1
    recorder = RecordingMap()
    mapped = get_method(name, **settings, workers=recorder).hessian(f3, X, step=step)
    same(serial, mapped)
    assert recorder.points == serial.nfev  # every evaluation went through the map
    calls_expected(name, recorder)
    pooled = get_method(name, **settings, workers=2).hessian(f3, X, step=step)
    same(serial, pooled)
    assert multiprocessing.active_children() == []  # the pool is shut down


@pytest.mark.parametrize(("name", "settings"), CASES)
@pytest.mark.parametrize("deriv", [2, 3])
def test_kth_derivative_workers_give_the_serial_bits(name, settings, deriv) -> None:
    serial = get_method(name, **settings).derivative(g1, 0.4, deriv=deriv)
    assert np.all(np.isfinite(serial.value)) and serial.nfev > 1
    recorder = RecordingMap()
    mapped = get_method(name, **settings, workers=recorder).derivative(g1, 0.4, deriv=deriv)
    same(serial, mapped)
    assert recorder.points == serial.nfev
    calls_expected(name, recorder)
    pooled = get_method(name, **settings, workers=2).derivative(g1, 0.4, deriv=deriv)
    same(serial, pooled)
    assert multiprocessing.active_children() == []


def test_a_failing_point_is_named_as_in_the_serial_path() -> None:
    def bad(x):
        if x[0] > 0.35:
            raise ValueError("outside")
        return float(np.sum(x**2))

    messages = []
    for workers in (1, RecordingMap()):
        with pytest.raises(Exception) as info:
            get_method("richardson", levels=2, workers=workers).hessian(bad, X, step=0.1)
        messages.append(str(info.value).split(": ", 1)[1])  # after the label (names workers)
    assert messages[0] == messages[1] and "outside" in messages[0]
