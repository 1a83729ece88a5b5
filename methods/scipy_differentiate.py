"""``scipy.differentiate`` (SciPy >= 1.15) through its public API: ``derivative`` for gradients,
``jacobian`` and ``hessian`` for the other kinds (first derivatives only: SciPy has no k-th)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .batching import evaluate_rows, replaced_rows
from .capabilities import Family, ReferenceGrade
from .counting import CountedFunction
from .registry import register
from .sparsity import restrict_to_pattern
from .validation import check_positive_int, check_positive_real, representable_step

__all__ = ["ScipyDerivative"]

#: First SciPy release with ``scipy.differentiate``.
MIN_SCIPY = (1, 15)


def _scipy_version() -> tuple[int, int] | None:
    try:
        text = importlib.metadata.version("scipy")
    except importlib.metadata.PackageNotFoundError:
        return None
    parts = text.split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (IndexError, ValueError):
        return None


@register
class ScipyDerivative(Method):
    """Gradient by ``scipy.differentiate.derivative``, all coordinates in one vectorized call.

    SciPy's algorithm (order-``order`` central differences on a nested stencil, the step divided
    by ``step_factor`` each iteration until the change between iterations is below
    ``sqrt(eps) |df|`` or grows) runs element-wise over an array of abscissae. The gradient is
    computed as the derivative of ``n`` one-dimensional functions at once: ``x`` is passed as the
    array of abscissae and the coordinate index as ``args``, so each element ``t`` with index
    ``i`` stands for the point ``x`` with ``x_i`` replaced by ``t``. SciPy compresses converged
    elements out of later calls, so ``f`` is evaluated only where work remains.

    ``f`` must be vectorized (``(m, n)`` to ``(m,)``): every array of abscissae SciPy passes is
    turned into the stacked full points and evaluated in one ``f.batch`` call, or in as few as
    the memory budget of :mod:`methods.batching` allows, which counts each point. This count
    equals the sum over coordinates of SciPy's own ``nfev``, including SciPy's initial
    evaluation at ``x`` (made once per coordinate, so ``n`` evaluations of ``f(x)``).

    The value is SciPy's ``df`` and the error estimate SciPy's ``error`` (the change between the
    last two iterations), whatever the status: when a coordinate did not converge (status -1:
    the error estimate grew, -2: ``maxiter`` reached) its value is returned as SciPy returns it,
    and only the error estimate tells; status -3 (a non-finite value) gives NaN. The reported
    step is the largest step of the last iteration, ``initial_step / step_factor^(nit - 1)``.

    Parameters
    ----------
    order : int, default 8
        Order of the central difference formula: a positive even integer (SciPy would round an
        odd order up, making two labels compute the same thing, so odd orders are rejected).
    initial_step : float, default 0.5
        SciPy's absolute initial step; the ``step`` argument of :meth:`gradient` replaces it per
        coordinate.
    step_factor : float, default 2.0
        Factor by which the step is reduced each iteration: positive, not 1.
    maxiter : int, default 10
        Maximum number of iterations.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import get_method
    >>> est = get_method("scipy-derivative").derivative(np.exp, 1.0)
    >>> bool(abs(est.value - np.e) < 1e-12), est.nfev
    (True, 11)

    ``jacobian`` calls ``scipy.differentiate.jacobian`` (``f`` is evaluated one point at a time,
    SciPy's stacked abscissae split into points) and ``hessian`` calls
    ``scipy.differentiate.hessian`` (in batches, like the gradient), both with the settings
    above; the value is SciPy's ``df``/``ddf`` and the error estimate SciPy's ``error``, per
    entry, whatever the status (a Hessian's ``step`` must be one value: SciPy takes one initial
    step there). A Jacobian's step is per variable the largest over its rows of
    ``initial_step / step_factor^(nit - 1)``; SciPy reports no iterations for a Hessian, so its
    step is None (the steps it ended with are not known).

    >>> F = lambda v: np.array([v[0] ** 2 * v[1], np.sin(v[1])])
    >>> est = get_method("scipy-derivative").jacobian(F, [1.0, 2.0])
    >>> bool(np.allclose(est.value, [[4.0, 1.0], [0.0, np.cos(2.0)]], atol=1e-10))
    True
    """

    name: ClassVar[str] = "scipy-derivative"
    family: ClassVar[Family] = Family.EXTRAPOLATION
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXTRAPOLATED
    wraps: ClassVar[str | None] = "scipy"
    kind: ClassVar[str] = "adaptive"
    order: int
    needs: ClassVar[frozenset[str]] = frozenset({"vectorized"})
    requires: ClassVar[tuple[str, ...]] = ("scipy",)
    label_params: ClassVar[tuple[str, ...]] = ("order",)
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )

    def __init__(
        self,
        order: int = 8,
        initial_step: float = 0.5,
        step_factor: float = 2.0,
        maxiter: int = 10,
    ) -> None:
        self.order = order
        self.initial_step = initial_step
        self.step_factor = step_factor
        self.maxiter = maxiter

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        ok, reason = super().availability()
        if not ok:
            return ok, reason
        version = _scipy_version()
        if version is None or version < MIN_SCIPY:
            found = "an unknown version" if version is None else f"{version[0]}.{version[1]}"
            return False, (
                f"needs scipy >= {MIN_SCIPY[0]}.{MIN_SCIPY[1]} for scipy.differentiate, "
                f"found {found}"
            )
        return True, ""

    @property
    def truncation_order(self) -> int:  # type: ignore[override]
        """The order of SciPy's central differences (the setting ``order``)."""
        return self.order

    @classmethod
    def variants(cls) -> list[dict[str, Any]]:
        return [{"order": 2}, {"order": 4}, {"order": 8}]

    def _check_settings(self) -> None:
        check_positive_int("order", self.order)
        if self.order % 2:
            raise ValueError(
                f"`order` must be a positive even integer (SciPy rounds odd orders up), "
                f"got {self.order}."
            )
        check_positive_real("initial_step", self.initial_step)
        if check_positive_real("step_factor", self.step_factor) == 1.0:
            raise ValueError("`step_factor` must not be 1 (the steps would not change).")
        check_positive_int("maxiter", self.maxiter)

    def _scipy(self, what: str) -> Any:
        """``scipy.differentiate.<what>``, or a ``RuntimeError`` saying it is not available."""
        try:  # a SciPy without scipy.differentiate (< 1.15): say so, as availability() does
            import scipy.differentiate
        except ImportError:
            raise RuntimeError(
                f"method {self.name!r} is not available: {self.availability()[1]}."
            ) from None
        return getattr(scipy.differentiate, what)

    def _initial_steps(self, x: np.ndarray, step: np.ndarray | None) -> np.ndarray:
        """``step``, or ``initial_step`` per coordinate if it does not vanish at ``x``.

        ``initial_step`` is absolute: where ``x + initial_step == x`` (``|x|`` above about
        ``1e16`` for the default 0.5) every difference is 0 and SciPy would return 0, or
        rounding noise, as converged. A given ``step`` is checked by :meth:`Method._prepare`.
        """
        if step is not None:
            return step
        h0 = np.full(x.size, float(self.initial_step))
        representable_step(x, h0, default="initial_step", hint=" or a larger `initial_step`")
        return h0

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """SciPy's call, its floating-point warnings silenced and a stencil it cannot build (a
        very high ``order``: a singular system) named."""
        try:
            with np.errstate(all="ignore"):
                yield
        except np.linalg.LinAlgError as exc:
            raise ValueError(
                f"{self.label}: scipy.differentiate cannot build the stencil of `order`="
                f"{self.order} ({exc}); use a smaller `order`."
            ) from None

    def _options(self, x: np.ndarray, step: np.ndarray | None) -> dict[str, Any]:
        h0 = self._initial_steps(x, step)
        return dict(order=int(self.order), initial_step=h0, step_factor=float(self.step_factor),
                    maxiter=int(self.maxiter))  # fmt: skip

    def _jacobian(self, f: Any, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
        n = x.size

        def columns(xi: np.ndarray) -> np.ndarray:
            # xi: shape (n, ...), one point per trailing index; f gets one point at a time
            points = np.moveaxis(np.asarray(xi, dtype=float).reshape(n, -1), 0, 1)
            values = np.stack([np.asarray(f(p.copy()), dtype=float) for p in points], axis=-1)
            return values.reshape(values.shape[0], *np.shape(xi)[1:])

        options = self._options(x, step)
        with self._guarded():
            res = self._scipy("jacobian")(columns, x, **options)
        value = np.asarray(res.df, dtype=float).reshape(-1, n)
        nit = np.asarray(res.nit).reshape(value.shape)
        used = options["initial_step"] / self.step_factor ** np.maximum(nit.min(axis=0) - 1, 0)
        if pattern is not None:
            value = restrict_to_pattern(value, pattern)
        error = np.asarray(res.error, dtype=float).reshape(-1, n)
        return RawResult(value=value, step=used, error_estimate=error)

    def _hessian(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        n = x.size

        def batch(xi: np.ndarray) -> np.ndarray:
            points = np.moveaxis(np.asarray(xi, dtype=float).reshape(n, -1), 0, 1)
            values = evaluate_rows(f, points.shape[0], n, lambda a, b: points[a:b].copy())
            return np.asarray(values, dtype=float).reshape(np.shape(xi)[1:])

        options = self._options(x, step)
        h0 = options["initial_step"]
        if np.any(h0 != h0[0]):  # SciPy's nested calls broadcast it against stacked abscissae
            raise ValueError(
                f"{self.label}: `step` of a Hessian must be one value for every variable "
                f"(scipy.differentiate.hessian takes one initial step), got {h0.tolist()}."
            )
        options["initial_step"] = float(h0[0])
        with self._guarded():
            res = self._scipy("hessian")(batch, x, **options)
        return RawResult(
            value=np.asarray(res.ddf, dtype=float).reshape(n, n),
            error_estimate=np.asarray(res.error, dtype=float).reshape(n, n),
        )

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        derivative = self._scipy("derivative")
        n = x.size
        h0 = self._initial_steps(x, step)

        def elementwise(t: np.ndarray, index: np.ndarray) -> np.ndarray:
            # t: abscissae of any shape; index (broadcastable): which coordinate each one moves.
            t = np.asarray(t, dtype=float)
            idx = np.broadcast_to(np.asarray(index), t.shape).astype(np.intp).ravel()
            # the points, x with x[idx] = t, built and evaluated within the memory budget
            rows = partial(replaced_rows, x, idx, t.ravel())
            values = evaluate_rows(f, idx.size, n, rows)
            return np.asarray(values, dtype=float).reshape(t.shape)

        with self._guarded():
            res = derivative(
                elementwise,
                x,
                args=(np.arange(n),),
                order=int(self.order),
                initial_step=h0,
                step_factor=float(self.step_factor),
                maxiter=int(self.maxiter),
            )
        nit = np.asarray(res.nit)
        used = h0 / float(self.step_factor) ** np.maximum(nit - 1, 0)
        return RawResult(
            value=np.asarray(res.df, dtype=float),
            step=used,
            error_estimate=np.asarray(res.error, dtype=float),
        )
