"""Ours against the peer libraries: time ratios measured in one run (``unit = "ratio"``).

Each ratio is ``time(ours) / time(peer)``, both timed in the same process, interleaved, so lower
is better, as asv assumes (0.1 means ours is 10x faster):

- ``RichardsonVersusNumdifftools``: our ``richardson`` gradient / ``numdifftools.Gradient`` with
  its defaults, extended Rosenbrock at n = 10 and 100 from the classic start (target <= 0.1).
  Two settings of ours: ``default`` (``richardson()``, initial step ``0.1 max(1, |x_i|)``) and
  ``matched`` (:data:`RICHARDSON_SETTINGS`), chosen so that its accuracy is equal to or better
  than numdifftools' at both points of the problem. ``RichardsonAccuracy`` records both errors
  against the exact gradient and whether "equal or better" holds (:func:`compare_accuracy`).
- ``DualVersusAutodiff``: our ``dual`` / ``autograd.grad`` and / ``jax.jit(jax.grad)`` in
  float64, n = 10, 100, 1000; it also records each side's error against the exact gradient.

Every side times what its users write. The user's function is one vectorized Rosenbrock
(``common.rosenbrock``; the same formula in each library's numpy, :func:`rosenbrock_with`): in
numpy for ours (``get_method(...).gradient(f, x)``) and for numdifftools
(``numdifftools.Gradient(f)(x)``), in ``autograd.numpy`` for ``autograd.grad(f)(x)`` and in
``jax.numpy`` for ``jax.jit(jax.grad(f))`` with ``jax_enable_x64`` switched on the way JAX
documents it (``jax.config.update``). The peer adapters' route (a battery ``SymbolicFunction``
lambdified by SymPy into one call with n arguments) is not used: it would time SymPy's
generated code, not the library. Building a gradient function (and JAX's tracing and XLA
compilation) happens once in ``setup``, untimed, as a user builds it once; JAX's result is
copied to numpy (``numpy.asarray``), which also waits for the asynchronous computation.

Timing is timeit-style: each call's loop count is set so that one repeat lasts at least
``TARGET`` seconds, then ``REPEAT`` interleaved repeats are taken and the ratio of the median
per-call times is returned. A missing peer raises ``NotImplementedError`` in ``setup`` (asv:
skipped). The script ``benchmarks/peer_ratios.py`` prints the same numbers without asv.
"""

from __future__ import annotations

import statistics
import timeit
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffbench.metrics import gradient_error
from diffbench.problems import rosenbrock as rosenbrock_problem
from methods import get_method, method_class

from .common import loop_count, rosenbrock, rosenbrock_start

#: Seconds one repeat of one call lasts at least, and the number of interleaved repeats.
TARGET = 0.02
REPEAT = 7
#: Problem sizes of the two comparisons.
RICHARDSON_SIZES = (10, 100)
DUAL_SIZES = (10, 100, 1000)
#: Points of the Rosenbrock problem, by the names used as parameters (``rosenbrock(n).points``).
POINTS = {"start": 0, "near-minimum": 1}
#: Our ``richardson`` settings: ``get_method`` settings and the initial step as a multiple of
#: ``max(1, |x_i|)`` (None: the method's default, 0.1). ``matched`` starts at numdifftools'
#: scale (its default largest step is ``2 max(log(e + |x_i|), 1)``, about 2.6 here): on this
#: quartic the order-2 difference's error is exactly ``c h^2``, so a large step costs no
#: truncation error and divides the rounding error by 20 against the default step.
RICHARDSON_SETTINGS: dict[str, tuple[dict[str, Any], float | None]] = {
    "default": ({}, None),
    "matched": ({"levels": 2}, 2.0),
    # the same, all 2 n (levels + 1) points in one call of the (vectorized) user function
    "batched": ({"levels": 2, "vectorized": True}, 2.0),
}
#: Relative errors at or below this floor (4 ulp of the gradient's scale) count as equal: at
#: that level they move by an ulp or two with the order of floating-point operations.
ERROR_FLOOR = 4 * float(np.finfo(float).eps)
#: The peers ``dual`` is compared with.
AUTODIFF_PEERS = ("autograd", "jax")


def rosenbrock_with(xp: Any) -> Callable[[Any], Any]:
    """The extended Rosenbrock function written with the numpy-like module ``xp``.

    The formula of ``common.rosenbrock``, ``sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)``, as
    a user of numpy, ``autograd.numpy`` or ``jax.numpy`` writes it.

    Parameters
    ----------
    xp : module
        ``numpy``, ``autograd.numpy`` or ``jax.numpy``.

    Returns
    -------
    callable
        ``f(x)`` for ``x`` of shape ``(n,)`` (numpy: also ``(m, n)`` to ``(m,)``).

    Examples
    --------
    >>> float(rosenbrock_with(np)(np.array([-1.2, 1.0])))  # doctest: +ELLIPSIS
    24.19999999999999...
    """

    def rosenbrock(x: Any) -> Any:
        a = x[..., :-1]
        b = x[..., 1:]
        return xp.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2, axis=-1)

    return rosenbrock


def rosenbrock_point(n: int, point: str = "start") -> np.ndarray:
    """A point of the battery's ``rosenbrock(n)`` problem: ``"start"`` or ``"near-minimum"``."""
    if point not in POINTS:
        raise ValueError(f"`point` must be one of {list(POINTS)}, got {point!r}.")
    if point == "start":  # the same floats, without building the n-term SymPy expression
        return rosenbrock_start(n)
    return np.array(rosenbrock_problem(n).points[POINTS[point]])


def exact_gradient(n: int, point: str = "start") -> np.ndarray:
    """The exact gradient at :func:`rosenbrock_point` (SymPy + mpmath, ~2 s at n = 1000)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rosenbrock_problem(n).exact_gradient(rosenbrock_point(n, point))


def require(peer: str) -> None:
    """Raise ``NotImplementedError`` (asv: skipped) with the reason if ``peer`` cannot run here."""
    ok, reason = method_class(peer).availability()
    if not ok:
        raise NotImplementedError(f"{peer}: {reason}")


# -- timing ------------------------------------------------------------------------------------


def paired_times(ours: Callable[[], object], peer: Callable[[], object]) -> tuple[float, float]:
    """Median seconds per call of ``ours`` and of ``peer``, over ``REPEAT`` interleaved repeats."""
    n_ours, n_peer = loop_count(TARGET, ours), loop_count(TARGET, peer)
    t_ours, t_peer = timeit.Timer(ours), timeit.Timer(peer)
    ours_times, peer_times = [], []
    for _ in range(REPEAT):
        ours_times.append(t_ours.timeit(n_ours) / n_ours)
        peer_times.append(t_peer.timeit(n_peer) / n_peer)
    return statistics.median(ours_times), statistics.median(peer_times)


# -- richardson versus numdifftools --------------------------------------------------------------
def richardson_gradient(setting: str, x: np.ndarray) -> Callable[[], Any]:
    """Thunk: ``get_method("richardson", ...).gradient(rosenbrock, x, step=...)``, by setting."""
    if setting not in RICHARDSON_SETTINGS:
        raise ValueError(f"`setting` must be one of {list(RICHARDSON_SETTINGS)}, got {setting!r}.")
    settings, fraction = RICHARDSON_SETTINGS[setting]
    method = get_method("richardson", **settings)
    step = None if fraction is None else fraction * np.maximum(1.0, np.abs(x))
    return lambda: method.gradient(rosenbrock, x, step=step)


def numdifftools_gradient(x: np.ndarray) -> Callable[[], Any]:
    """``numdifftools.Gradient(rosenbrock)`` with its defaults, built once, called at ``x``."""
    require("numdifftools")
    import numdifftools

    gradient = numdifftools.Gradient(rosenbrock)
    return lambda: gradient(x)


def error_ratio(ours: float, peer: float) -> float:
    """``max(ours, ERROR_FLOOR) / max(peer, ERROR_FLOOR)``: at most 1 means equal or better.

    Examples
    --------
    >>> error_ratio(1e-16, 3e-16)  # both at rounding level: equal
    1.0
    >>> error_ratio(4e-14, 1e-14)
    4.0
    """
    return max(ours, ERROR_FLOOR) / max(peer, ERROR_FLOOR)


@dataclass(frozen=True)
class AccuracyComparison:
    """Relative errors (max-norm) of ours and of the peer against the exact gradient."""

    ours: float
    peer: float

    @property
    def ratio(self) -> float:
        """:func:`error_ratio` of the two errors."""
        return error_ratio(self.ours, self.peer)

    @property
    def equal_or_better(self) -> bool:
        """True if ours is at least as accurate (or both are within ``ERROR_FLOOR``)."""
        return self.ratio <= 1.0


def compare_accuracy(
    setting: str, n: int, point: str = "start", truth: np.ndarray | None = None
) -> AccuracyComparison:
    """Errors of ``richardson`` (``setting``) and of numdifftools against the exact gradient."""
    x = rosenbrock_point(n, point)
    truth = exact_gradient(n, point) if truth is None else truth
    ours = richardson_gradient(setting, x)().value
    peer = numdifftools_gradient(x)()
    return AccuracyComparison(gradient_error(ours, truth)[1], gradient_error(peer, truth)[1])


class RichardsonVersusNumdifftools:
    """Time of our ``richardson`` / ``numdifftools.Gradient``, Rosenbrock from the start."""

    params = [list(RICHARDSON_SIZES), list(RICHARDSON_SETTINGS)]
    param_names = ["n", "richardson"]
    timeout = 180

    def setup(self, n: int, setting: str) -> None:
        x = rosenbrock_point(n)
        self.peer = numdifftools_gradient(x)
        self.ours = richardson_gradient(setting, x)

    def track_time_ratio(self, n: int, setting: str) -> float:
        t_ours, t_peer = paired_times(self.ours, self.peer)
        return t_ours / t_peer

    track_time_ratio.unit = "ratio"


class RichardsonAccuracy:
    """Relative errors of the two sides of ``RichardsonVersusNumdifftools``, at both points."""

    params = [list(RICHARDSON_SIZES), list(POINTS), list(RICHARDSON_SETTINGS)]
    param_names = ["n", "point", "richardson"]
    timeout = 120

    def setup_cache(self) -> dict[tuple[int, str], np.ndarray]:
        return {(n, p): exact_gradient(n, p) for n in RICHARDSON_SIZES for p in POINTS}

    def setup(self, truths: dict, n: int, point: str, setting: str) -> None:
        require("numdifftools")
        self.result = compare_accuracy(setting, n, point, truths[n, point])

    def track_richardson_error(self, truths: dict, n: int, point: str, setting: str) -> float:
        return self.result.ours

    track_richardson_error.unit = "relative error"

    def track_numdifftools_error(self, truths: dict, n: int, point: str, setting: str) -> float:
        return self.result.peer

    track_numdifftools_error.unit = "relative error"

    def track_error_ratio(self, truths: dict, n: int, point: str, setting: str) -> float:
        """<= 1: richardson is at least as accurate as numdifftools (see ``error_ratio``)."""
        return self.result.ratio

    track_error_ratio.unit = "ratio"


# -- dual versus autograd and jax ----------------------------------------------------------------
def dual_gradient(x: np.ndarray) -> Callable[[], Any]:
    """Thunk: ``get_method("dual").gradient(rosenbrock, x)``, the numpy code on dual numbers."""
    method = get_method("dual")
    return lambda: method.gradient(rosenbrock, x)


def autodiff_gradient(peer: str, x: np.ndarray) -> Callable[[], np.ndarray]:
    """The peer's gradient of its own Rosenbrock, built (and for JAX compiled) once, at ``x``.

    ``"autograd"``: ``autograd.grad`` of the ``autograd.numpy`` function. ``"jax"``:
    ``jax.jit(jax.grad(...))`` of the ``jax.numpy`` function with ``jax_enable_x64`` set for the
    process (as JAX documents), warmed up once so tracing and compilation are not timed; the
    result is copied to numpy. Raises ``NotImplementedError`` if the peer is not installed.
    """
    if peer not in AUTODIFF_PEERS:
        raise ValueError(f"`peer` must be one of {list(AUTODIFF_PEERS)}, got {peer!r}.")
    require(peer)
    if peer == "autograd":
        import autograd
        import autograd.numpy as anp

        grad = autograd.grad(rosenbrock_with(anp))
        return lambda: grad(x)
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    grad = jax.jit(jax.grad(rosenbrock_with(jnp)))

    def call() -> np.ndarray:
        return np.asarray(grad(x))

    if call().dtype != np.float64:  # the warm-up call: traces and compiles
        raise RuntimeError("jax computed in single precision although jax_enable_x64 is set.")
    return call


def _value(result: Any) -> np.ndarray:
    return np.asarray(getattr(result, "value", result), dtype=float)


class DualVersusAutodiff:
    """Time of our ``dual`` / autograd's and JAX's (x64, jit), Rosenbrock from the start."""

    params = [list(DUAL_SIZES), list(AUTODIFF_PEERS)]
    param_names = ["n", "peer"]
    timeout = 180

    def setup_cache(self) -> dict[int, np.ndarray]:
        return {n: exact_gradient(n) for n in DUAL_SIZES}

    def setup(self, truths: dict, n: int, peer: str) -> None:
        x = rosenbrock_point(n)
        self.peer = autodiff_gradient(peer, x)
        self.ours = dual_gradient(x)
        self.errors = (
            gradient_error(_value(self.ours()), truths[n])[1],
            gradient_error(_value(self.peer()), truths[n])[1],
        )

    def track_time_ratio(self, truths: dict, n: int, peer: str) -> float:
        t_ours, t_peer = paired_times(self.ours, self.peer)
        return t_ours / t_peer

    track_time_ratio.unit = "ratio"

    def track_dual_error(self, truths: dict, n: int, peer: str) -> float:
        return self.errors[0]

    track_dual_error.unit = "relative error"

    def track_peer_error(self, truths: dict, n: int, peer: str) -> float:
        return self.errors[1]

    track_peer_error.unit = "relative error"
