"""The peer-ratio benchmarks (benchmarks/bench_peer_ratios.py): setup, one track call, bookkeeping.

No timing is asserted (shared, noisy machine): a time ratio must only be a finite positive number.
The accuracy bookkeeping is checked against errors computed here from the exact gradient (SymPy +
mpmath), and against the accuracy bands of docs/theory.md#extrapolation. A missing peer must
skip, not fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import bench_peer_ratios as bench
from benchmarks.common import rosenbrock
from diffbench.problems import rosenbrock as rosenbrock_problem
from methods import method_class

EPS = float(np.finfo(float).eps)


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorter timing loops: the tests check what is returned, not how fast."""
    monkeypatch.setattr(bench, "TARGET", 0.001)
    monkeypatch.setattr(bench, "REPEAT", 3)


def setup_or_skip(benchmark: object, *args: object) -> None:
    """Run ``benchmark.setup``; a NotImplementedError must name a peer that really is missing."""
    try:
        benchmark.setup(*args)
    except NotImplementedError as exc:
        peer = str(exc).split(":")[0]
        assert not method_class(peer).availability()[0], f"skipped although available: {exc}"
        pytest.skip(str(exc))


def relative_error(value: np.ndarray, truth: np.ndarray) -> float:
    return float(np.max(np.abs(value - truth)) / np.max(np.abs(truth)))


def test_the_points_are_the_battery_points() -> None:
    for n in bench.RICHARDSON_SIZES:
        for name, index in bench.POINTS.items():
            expected = np.array(rosenbrock_problem(n).points[index])
            np.testing.assert_array_equal(bench.rosenbrock_point(n, name), expected)
    with pytest.raises(ValueError, match="`point` must be one of"):
        bench.rosenbrock_point(10, "minimum")


def test_each_library_gets_the_same_function() -> None:
    x = bench.rosenbrock_point(10, "near-minimum")
    assert bench.rosenbrock_with(np)(x) == rosenbrock(x)
    autograd_numpy = pytest.importorskip("autograd.numpy")
    assert bench.rosenbrock_with(autograd_numpy)(x) == rosenbrock(x)


@pytest.mark.parametrize(
    ("ours", "peer", "ratio"),
    [
        (1e-16, 3e-16, 1.0),  # both below the floor: equal
        (0.0, 0.0, 1.0),
        (4e-14, 1e-14, 4.0),
        (1e-14, 4e-14, 0.25),
        (2 * bench.ERROR_FLOOR, 0.0, 2.0),
    ],
)
def test_error_ratio_floors_rounding_level_errors(ours: float, peer: float, ratio: float) -> None:
    assert bench.error_ratio(ours, peer) == pytest.approx(ratio, rel=1e-12)
    assert bench.AccuracyComparison(ours, peer).equal_or_better is (ratio <= 1.0)


def test_richardson_time_ratio_is_a_finite_positive_number(quick: None) -> None:
    benchmark = bench.RichardsonVersusNumdifftools()
    n, setting = bench.RICHARDSON_SIZES[0], "matched"
    setup_or_skip(benchmark, n, setting)
    ratio = benchmark.track_time_ratio(n, setting)
    assert math.isfinite(ratio) and ratio > 0
    assert bench.RichardsonVersusNumdifftools.track_time_ratio.unit == "ratio"


@pytest.mark.parametrize("point", list(bench.POINTS))
def test_richardson_accuracy_bookkeeping(point: str) -> None:
    n = bench.RICHARDSON_SIZES[0]
    truth = rosenbrock_problem(n).exact_gradient(bench.rosenbrock_point(n, point))
    benchmark = bench.RichardsonAccuracy()
    results = {}
    for setting in bench.RICHARDSON_SETTINGS:
        setup_or_skip(benchmark, {(n, point): truth}, n, point, setting)
        args = ({(n, point): truth}, n, point, setting)
        results[setting] = (
            benchmark.track_richardson_error(*args),
            benchmark.track_numdifftools_error(*args),
            benchmark.track_error_ratio(*args),
        )
    x = bench.rosenbrock_point(n, point)
    import numdifftools

    peer_error = relative_error(numdifftools.Gradient(rosenbrock)(x), truth)
    for setting, (ours, peer, ratio) in results.items():
        value = bench.richardson_gradient(setting, x)().value
        assert ours == relative_error(value, truth)
        assert peer == peer_error
        assert ratio == max(ours, 4 * EPS) / max(peer, 4 * EPS)
        # docs/theory.md#extrapolation bands: richardson <= 1e-12 on smooth unit-scale problems;
        # numdifftools' adaptive default stays well inside that here
        assert 0 <= ours <= 1e-12 and 0 <= peer <= 1e-12
    # the matched settings exist to be equal or better at every point; the default is not
    # (its step 0.1 max(1, |x|) leaves 3x-30x more rounding error on this quartic)
    assert results["matched"][2] <= 1.0
    assert results["default"][0] > results["matched"][0]


def test_dual_versus_autograd_setup_track_and_errors(quick: None) -> None:
    benchmark = bench.DualVersusAutodiff()
    n = bench.DUAL_SIZES[0]
    truths = {n: rosenbrock_problem(n).exact_gradient(bench.rosenbrock_point(n))}
    setup_or_skip(benchmark, truths, n, "autograd")
    ratio = benchmark.track_time_ratio(truths, n, "autograd")
    assert math.isfinite(ratio) and ratio > 0
    # both are exact up to the rounding of the program: a few ulp
    # (docs/theory.md#exact-methods-differentiate-the-program)
    assert benchmark.track_dual_error(truths, n, "autograd") <= 1e-15
    assert benchmark.track_peer_error(truths, n, "autograd") <= 1e-15


@pytest.mark.parametrize(
    ("peer", "builder"),
    [
        ("jax", lambda x: bench.autodiff_gradient("jax", x)),
        ("autograd", lambda x: bench.autodiff_gradient("autograd", x)),
        ("numdifftools", bench.numdifftools_gradient),
    ],
)
def test_a_missing_peer_is_skipped_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, peer: str, builder: object
) -> None:
    cls = method_class(peer)
    monkeypatch.setattr(cls, "requires", ("diffbench_no_such_package",))
    with pytest.raises(NotImplementedError, match=f"{peer}: needs the optional package"):
        builder(bench.rosenbrock_point(10))


def test_unknown_settings_and_peers_are_named() -> None:
    x = bench.rosenbrock_point(10)
    with pytest.raises(ValueError, match="`setting` must be one of"):
        bench.richardson_gradient("fast", x)
    with pytest.raises(ValueError, match="`peer` must be one of"):
        bench.autodiff_gradient("theano", x)
