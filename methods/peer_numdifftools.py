"""numdifftools as its users call it: ``numdifftools.Gradient``, adaptive Richardson extrapolation.

numdifftools evaluates a stencil at a sequence of geometrically shrinking (``"central"``) or
growing (``"complex"``) steps, extrapolates the sequence and keeps the entry with the smallest
estimated error. ``full_output=True`` returns that error estimate and the step it came from, which
the adapters carry into :class:`~methods.estimate.Estimate`.

numdifftools calls ``f`` with one point of shape ``(n,)`` at a time (real for ``"central"``,
complex for ``"complex"``), so handing it the counted function counts every evaluation. With the
defaults ``nfev`` is ``1 + 30 n`` for ``"central"`` (15 steps, 2 points per coordinate, plus
``f(x)`` for the error estimate) and ``1 + n`` for ``"complex"``.

Beyond gradients, the same adapters call ``numdifftools.Jacobian`` (a map, one point of shape
``(n,)`` at a time), ``numdifftools.Hessian`` and ``numdifftools.Derivative(f, n=k)`` for
``k <= 4``, each with ``full_output=True`` (its error estimate, per entry) and the same step
generators (a given ``step`` is the largest step of the sequence for ``"central"``, the smallest
for ``"complex"``). ``Estimate.step`` is the step numdifftools kept: per variable, the largest over
a Jacobian's rows and a Hessian's diagonal. ``numdifftools.Hessdiag`` (the diagonal only) is not
adapted: its result is neither a Hessian nor a k-th derivative, and in one variable it is
``Derivative(f, n=2)``, which is.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult
from .capabilities import Family, ReferenceGrade
from .complex_step import evaluate_complex
from .counting import CountedFunction, FunctionEvaluationError, on_copies
from .registry import register
from .sparsity import restrict_to_pattern

__all__ = ["Numdifftools", "NumdifftoolsComplex"]


def _complex_checked(fun: Any, method: str) -> Any:
    """``fun`` for numdifftools' complex steps: on a complex argument, a ``ComplexWarning``
    inside ``fun`` or a real value out of it raises
    :class:`~methods.complex_step.ComplexArgumentError` (as the ``complex-step`` method does),
    where numdifftools would take 0 as the imaginary part and return a wrong derivative."""

    def call(z: Any) -> Any:
        return evaluate_complex(fun, z, method) if np.iscomplexobj(z) else fun(z)

    return call


class _NumdifftoolsGradient(Method):
    """Shared call of ``numdifftools.Gradient``; subclasses fix the difference ``_nd_method``."""

    family: ClassVar[Family] = Family.EXTRAPOLATION
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.EXTRAPOLATED
    wraps: ClassVar[str | None] = "numdifftools"
    kind: ClassVar[str] = "adaptive"
    requires: ClassVar[tuple[str, ...]] = ("numdifftools",)
    #: the ``method`` argument of ``numdifftools.Gradient``
    _nd_method: ClassVar[str] = ""
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    max_deriv: ClassVar[int] = 4

    def _step_generator(self, nd: Any, step: np.ndarray) -> Any:
        raise NotImplementedError

    def _call(self, what: str, fun: Any, x: Any, step: Any, **options: Any) -> Any:
        """``numdifftools.<what>(fun, method=..., full_output=True, **options)(x)``, its steps
        checked first and its failures named."""
        import numdifftools as nd

        options.update(method=self._nd_method, full_output=True)
        if step is not None:
            options["step"] = self._step_generator(nd, step)
        # numdifftools evaluates f(x) on the array it builds every other point from: f gets a
        # copy, so an f that changes its argument cannot move the later points
        if "complex" in self.needs:  # a real f would give a confident wrong value: an error
            fun = _complex_checked(fun, self.label)
        estimator = getattr(nd, what)(on_copies(fun), **options)
        # the complex method's Hessian and higher derivatives (n > 1) move x along the reals too
        if self.steps_along_x or estimator.n > 1:
            self._check_steps(estimator, np.reshape(x, -1), step, estimator.n)
        try:
            return estimator(x)
        except FunctionEvaluationError:
            raise
        except (IndexError, ValueError, ZeroDivisionError) as exc:
            # numdifftools fails deep inside on steps it cannot use (e.g. a complex step of
            # 1e-20 leaves it no extrapolation sequence): name what we asked of it
            asked = "its default steps" if step is None else f"`step` {step.min():.3g}"
            raise ValueError(
                f"{self.label}: numdifftools.{what} failed with {asked} at x: "
                f"{type(exc).__name__}: {exc or 'no message'}"
            ) from exc

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        result = self._call("Gradient", f, x, step)
        n = x.size
        return RawResult(
            value=np.reshape(result.estimate, n),
            step=np.abs(np.reshape(result.final_step, n)).astype(float),
            error_estimate=np.reshape(result.error_estimate, n).astype(float),
        )

    def _jacobian(self, f: Any, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
        result = self._call("Jacobian", f, x, step)
        value = np.reshape(result.estimate, (-1, x.size))
        steps = np.abs(np.reshape(result.final_step, value.shape)).astype(float)
        error = np.reshape(result.error_estimate, value.shape).astype(float)
        if pattern is not None:
            value = restrict_to_pattern(value, pattern)
        return RawResult(value=value, step=steps.max(axis=0), error_estimate=error)

    def _hessian(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        result = self._call("Hessian", f, x, step)
        n = x.size
        steps = np.abs(np.reshape(result.final_step, (n, n))).astype(float)
        return RawResult(
            value=np.reshape(result.estimate, (n, n)),
            step=np.diag(steps).copy(),
            error_estimate=np.reshape(result.error_estimate, (n, n)).astype(float),
        )

    def _derivative(self, f: CountedFunction, x: np.ndarray, step: Any, deriv: int) -> RawResult:
        def scalar(t: Any) -> Any:  # numdifftools.Derivative calls f with scalars
            return f(np.reshape(t, (1,)))

        result = self._call("Derivative", scalar, x[0], step, n=deriv)
        return RawResult(
            value=np.reshape(result.estimate, 1),
            step=np.abs(np.reshape(result.final_step, 1)).astype(float),
            error_estimate=np.reshape(result.error_estimate, 1).astype(float),
        )

    def _check_steps(
        self, gradient: Any, x: np.ndarray, step: np.ndarray | None, n: int = 1
    ) -> None:
        """Raise ``ValueError`` if a step of numdifftools' sequence vanishes in ``x + h``.

        A lost step gives differences of exactly 0 that agree with one another, so numdifftools'
        error estimate picks them: ``f(x) = x`` at ``1e16`` gave 0. The base class checks a given
        step; numdifftools' steps shrink by ``2**14`` from it, and its default ones grow only
        like ``log(|x|)``, so the smallest of its sequence is checked here, per coordinate.
        """
        sequence = gradient.step(x, method=gradient.method, n=n, order=gradient.method_order)
        steps = np.array([np.broadcast_to(np.abs(h), x.shape) for h in sequence], dtype=float)
        if steps.size == 0:  # e.g. a step of 1e-20: numdifftools keeps none of its sequence
            asked = "its default steps" if step is None else f"`step` {np.min(step):.3g}"
            raise ValueError(
                f"{self.label}: numdifftools builds no step sequence from {asked} at x; pass a "
                "larger `step`."
            )
        smallest, largest = steps.min(axis=0), steps.max(axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            lost = np.flatnonzero((x + smallest) - x == 0)
        if lost.size:
            i = int(lost[0])
            asked = "its default steps" if step is None else "the steps from `step`"
            raise ValueError(
                f"{self.label}: a step vanishes at x[{i}]={float(x[i])!r}: {asked} run from "
                f"{largest[i]:.3g} down to {smallest[i]:.3g}, and x + {smallest[i]:.3g} == x in "
                "float64; pass a larger `step` (the largest of the sequence, which numdifftools "
                "divides by up to 2**14)."
            )


@register
class Numdifftools(_NumdifftoolsGradient):
    """``numdifftools.Gradient`` with its default adaptive central-difference scheme.

    Central differences at 15 steps ``s, s/2, s/4, ...`` per coordinate, Richardson-extrapolated;
    the estimate with the smallest estimated error is returned with that error estimate and its
    step. By default ``s = 2 max(log(e + |x_i|), 1)``; a given ``step`` replaces ``s`` (the
    largest step, one per coordinate) and keeps the adaptive scheme. (numdifftools' own
    ``Gradient(f, step=h)`` would instead compute one plain central difference.)

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda a, b: np.sin(a) * np.exp(b))
    >>> est = get_method("numdifftools").gradient(f, [0.3, 0.5])
    >>> bool(abs(est.value[0] - np.cos(0.3) * np.exp(0.5)) < 1e-12), est.nfev
    (True, 61)
    """

    name: ClassVar[str] = "numdifftools"
    _nd_method: ClassVar[str] = "central"

    def _step_generator(self, nd: Any, step: np.ndarray) -> Any:
        # step_nom=1 makes base_step the largest step itself (not scaled by log(e + |x|)).
        return nd.MaxStepGenerator(base_step=step, step_nom=1.0)


@register
class NumdifftoolsComplex(_NumdifftoolsGradient):
    """``numdifftools.Gradient(method="complex")``: the complex step with numdifftools' steps.

    ``f`` must accept complex arguments and be analytic (docs/theory.md#complex-step).
    numdifftools' default is one complex step of ``eps^(1/1.06) max(log(e + |x_i|), 1)``
    (about 1.8e-15 at unit scale), so the truncation error vanishes and no extrapolation is
    needed; a given ``step`` is the smallest step of its sequence (numdifftools'
    ``Gradient(f, step=h, method="complex")``).

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function, get_method
    >>> f = as_vector_function(lambda a, b: np.sin(a) * np.exp(b))
    >>> est = get_method("numdifftools-complex").gradient(f, [0.3, 0.5])
    >>> bool(abs(est.value[0] - np.cos(0.3) * np.exp(0.5)) < 1e-15), est.nfev
    (True, 3)
    """

    name: ClassVar[str] = "numdifftools-complex"
    steps_along_x: ClassVar[bool] = False  # its step is imaginary, like the complex step
    family: ClassVar[Family] = Family.COMPLEX_STEP
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.ROUNDING
    needs: ClassVar[frozenset[str]] = frozenset({"complex"})
    smallest_useful_step: ClassVar[float] = 1e-300
    _nd_method: ClassVar[str] = "complex"

    def _step_generator(self, nd: Any, step: np.ndarray) -> Any:
        return nd.MinStepGenerator(base_step=step, step_nom=1.0)
