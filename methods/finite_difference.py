"""Finite differences with exact Fornberg weights: one class, three schemes.

:class:`FiniteDifference` is parameterised by its ``scheme`` (forward, backward or central; the
table :data:`SCHEMES` gives each one's accuracy orders and default order). The registry binds it
under the names ``forward``, ``backward`` and ``central``, each fixing its scheme, so
``get_method("central", order=4)`` builds it and its label is ``central(order=4)``.

Steps: an explicit ``step`` passed to ``gradient`` is the step h itself, as for every method. With
``step=None`` the step of coordinate i is built from the unit-scale optimum ``h*`` of the error
model (``theoretical_step``, docs/theory.md#optimal-steps) by the step rule:
``h_i = h* max(1, |x_i|)`` (``step_rule="relative"``, scipy's convention) or ``h_i = h*``
(``"absolute"``); the default ``"guarded"`` checks higher orders' relative step against the
lowest order and the rules of :mod:`methods.step_rules` choose it from values of f. The step
actually used is the representable ``(x_i + h_i) - x_i``
(docs/theory.md#step-semantics).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from .base import Method, RawResult, gradient_estimate
from .batching import evaluate_replaced
from .capabilities import Family
from .counting import CountedFunction
from .estimate import Estimate
from .fd_kinds import fd_derivative, fd_hessian, fd_jacobian
from .fornberg import float_stencil, optimal_step
from .ordered_sum import weighted_sum
from .parallel import Workers
from .registry import register
from .step_rules import DATA_RULES, GUARDED, check_rule_supports, choose_steps, noise_level
from .validation import (
    check_bool,
    check_choice,
    check_workers_setting,
    plain_steps,
    representable_step,
)

__all__ = ["FiniteDifference", "Scheme", "SCHEMES", "STEP_RULES"]

#: How the default step of coordinate i is chosen: from the unit-scale optimum (relative,
#: absolute) or by looking at f (the data-driven rules of :mod:`methods.step_rules`).
STEP_RULES = ("relative", "absolute", GUARDED, *DATA_RULES)


@dataclass(frozen=True)
class Scheme:
    """What a stencil shape allows: its accuracy orders and the default one."""

    orders: tuple[int, ...]
    default_order: int


#: The schemes, each registered as a method of the same name.
SCHEMES: Mapping[str, Scheme] = MappingProxyType(
    {
        # offsets 0..p, one shared f(x): nfev = n * order + 1
        "forward": Scheme(orders=(1, 2, 3, 4, 5, 6), default_order=1),
        # offsets 0..-p, the mirror image of forward: nfev = n * order + 1
        "backward": Scheme(orders=(1, 2, 3, 4, 5, 6), default_order=1),
        # offsets -p/2..p/2, centre weight 0 so f(x) is not evaluated: nfev = n * order
        "central": Scheme(orders=(2, 4, 6, 8), default_order=2),
    }
)


class FiniteDifference(Method):
    """Finite difference of scheme ``scheme`` and accuracy order ``order`` (Fornberg weights).

    Used through its registered names, which fix the scheme: ``forward`` and ``backward``
    (orders 1-6, default 1; offsets 0..p or 0..-p, one shared f(x): ``nfev = n * order + 1``) and
    ``central`` (orders 2, 4, 6, 8, default 2; offsets -p/2..p/2, whose centre weight is 0, so
    f(x) is not evaluated: ``nfev = n * order``). These counts are those of an explicit step and
    of the default step at the lowest order; the default step of a higher order adds the probe
    evaluations of the ``"guarded"`` rule.

    Parameters
    ----------
    scheme : {"forward", "backward", "central"}
        The stencil shape; fixed by the registered name.
    order : int, optional
        Accuracy order, one of the scheme's orders in :data:`SCHEMES`; default the scheme's
        default order.
    step_rule : str, default "guarded"
        How the default step is chosen: ``"relative"`` (``h_i = h* max(1, |x_i|)``),
        ``"absolute"`` (``h_i = h*``), ``"guarded"`` (the default: ``"relative"`` at the
        scheme's lowest order; at higher orders the relative step, shrunk by 4 until the
        estimate agrees with the lowest order's, docs/theory.md#the-guarded-default) or a
        data-driven rule from the literature (``"curtis-reid"``, ``"dumontet-vignes"``,
        ``"stepleman-winarsky"``, ``"gmsw"``, ``"mathur"``, ``"kostyrka"``;
        :mod:`methods.step_rules`). ``"guarded"`` and
        the rules spend extra evaluations of ``f`` (counted in ``nfev``; in this process, in
        ``(m, n)`` batches when ``vectorized``, never sent to ``workers``) and choose gradient
        steps; ``hessian`` under ``"guarded"`` searches its relative step from f
        (:mod:`methods.hessian_steps`); ``jacobian`` and ``derivative(deriv>1)`` take
        ``"guarded"`` as ``"relative"``; all three refuse the rules from the literature.
    noise : float or "ecnoise", optional
        The noise level of f for the step rules: the standard deviation of the noise in a value
        of f (absolute, units of f), added to the rounding ``eps |f|``; ``"ecnoise"`` estimates
        it at x with ECnoise (:func:`methods.ecnoise.estimate_noise`, its evaluations counted in
        ``nfev``; 0 if it detects none). Default: rounding only. Which rules use it and how:
        docs/theory.md#noise-in-the-step-rules. Refused with ``step_rule`` ``"relative"`` or
        ``"absolute"``, which do not look at f.
    vectorized : bool, default False
        Evaluate the stencil points in ``f`` calls on ``(m, n)`` arrays: one call where they fit
        in the memory budget of :mod:`methods.batching`, else as few as it allows.
    workers : int or map-like callable, default 1
        Evaluate the stencil points (one call of ``f`` each) in this process (1), in a pool of
        that many processes started and shut down by the call, or through a map such as
        ``multiprocessing.Pool.map`` or ``concurrent.futures.Executor.map``
        (:mod:`methods.parallel`). Values and ``nfev`` are those of ``workers=1``, bit for bit.

    The stencil is applied in a fixed order of elementwise operations
    (:func:`methods.ordered_sum.weighted_sum`), never a BLAS product, so the same inputs give
    the same bits on every CPU.

    Examples
    --------
    >>> import numpy as np
    >>> from methods import as_vector_function, get_method
    >>> est = get_method("forward").derivative(np.exp, 0.0)
    >>> abs(est.value - 1.0) < 1e-7, est.nfev
    (True, 2)
    >>> f = as_vector_function(lambda q, chi, delta: q * chi * delta)
    >>> est = get_method("central", order=4, step_rule="relative").gradient(f, [0.3, -1.7, 2.9])
    >>> np.allclose(est.value, [-1.7 * 2.9, 0.3 * 2.9, 0.3 * -1.7], rtol=1e-12), est.nfev
    (True, 12)
    >>> est = get_method("central", order=4).gradient(f, [0.3, -1.7, 2.9])  # guarded: + 6 each
    >>> np.allclose(est.value, [-1.7 * 2.9, 0.3 * 2.9, 0.3 * -1.7], rtol=1e-12), est.nfev
    (True, 30)
    """

    family: ClassVar[Family] = Family.FINITE_DIFFERENCE
    kind: ClassVar[str] = "step"
    noise_linear: ClassVar[bool] = True
    label_params: ClassVar[tuple[str, ...]] = ("order",)
    derivative_kinds: ClassVar[frozenset[str]] = frozenset(
        {"gradient", "jacobian", "hessian", "derivative"}
    )
    #: k-th derivatives from the exact Fornberg stencil of order k (methods/fd_kinds.py).
    max_deriv: ClassVar[int] = 4

    scheme: str
    order: int
    step_rule: str
    noise: float | str | None
    vectorized: bool
    workers: Workers

    def __init__(
        self,
        scheme: str,
        order: int | None = None,
        step_rule: str = GUARDED,
        noise: float | str | None = None,
        vectorized: bool = False,
        workers: Workers = 1,
    ) -> None:
        self.scheme = scheme
        known = SCHEMES.get(scheme) if isinstance(scheme, str) else None
        self.order = known.default_order if order is None and known else order
        self.step_rule = step_rule
        self.noise = noise
        self.vectorized = vectorized
        self.workers = workers

    @property
    def truncation_order(self) -> int:  # type: ignore[override]
        """The accuracy order ``order``: the truncation error falls like ``h**order``."""
        return self.order

    @classmethod
    def variants(cls) -> list[dict[str, Any]]:
        """One settings dict per order of the scheme (of every scheme if none is fixed)."""
        if "scheme" in cls.fixed_settings:
            return [{"order": p} for p in SCHEMES[cls.fixed_settings["scheme"]].orders]
        return [{"scheme": s, "order": p} for s, info in SCHEMES.items() for p in info.orders]

    def theoretical_step(self) -> float:
        """Unit-scale ``h* = (S eps / (p |C|))^(1/(p+1))`` of this stencil.

        See docs/theory.md#optimal-steps.
        """
        self._check_settings()
        return optimal_step(self.scheme, 1, self.order)

    def _check_settings(self) -> None:
        check_choice("scheme", self.scheme, tuple(SCHEMES))
        order = self.order
        if isinstance(order, bool) or not isinstance(order, int | np.integer):
            raise TypeError(f"`order` must be an integer, got {type(order).__name__}.")
        check_choice("order", order, SCHEMES[self.scheme].orders)
        check_choice("step_rule", self.step_rule, STEP_RULES)
        check_rule_supports(self.step_rule, self.scheme, order)
        _check_noise(self.noise, self.step_rule)
        check_bool("vectorized", self.vectorized)
        check_workers_setting(self.workers, vectorized=self.vectorized)

    def _steps(self, x: np.ndarray, step: np.ndarray | None) -> np.ndarray:
        """Per-coordinate representable steps; raise if one vanishes."""
        if step is None:
            self._check_unit_rule()
            base = np.full(x.size, self.theoretical_step())
            h = base * np.maximum(1.0, np.abs(x)) if self.step_rule != "absolute" else base
            return representable_step(
                x,
                h,
                default="default",
                hint=" or use step_rule='relative'" if self.step_rule == "absolute" else "",
            )
        return representable_step(x, step)

    def _check_unit_rule(self, what: str = "Jacobian steps") -> None:
        """Raise if the step rule needs f's values along one coordinate (gradients only)."""
        if self.step_rule in DATA_RULES:
            raise ValueError(
                f"`step_rule`={self.step_rule!r} chooses gradient steps only, not {what}; "
                "pass `step` or use step_rule='relative'."
            )

    def _gradient_steps(
        self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None
    ) -> np.ndarray:
        """:meth:`_steps`, or the steps a data-driven rule chooses by evaluating ``f``."""
        if step is not None or self.step_rule not in (GUARDED, *DATA_RULES):
            return self._steps(x, step)
        h0 = self.theoretical_step() * np.maximum(1.0, np.abs(x))
        level = noise_level(self.noise, f, x, vectorized=self.vectorized)
        h = choose_steps(
            self.step_rule,
            f,
            x,
            self.scheme,
            self.order,
            h0,
            vectorized=self.vectorized,
            abs_noise=level,
        )
        return representable_step(x, h, default=f"{self.step_rule} rule's")

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        return self._stencil_gradient(f, x, self._gradient_steps(f, x, step))

    def _gradients_at_steps(
        self, f: Any, x: Any, steps: list, keep_errors: bool
    ) -> Iterator[Estimate | Exception]:
        """Every step's gradient with ``f``, ``x`` and the settings checked once.

        A step that is a positive finite float or float array of shape ``(n,)`` and stays
        representable at ``x`` goes straight to the stencil (the checks :meth:`gradient` makes
        pass for it, so it computes the same numbers); any other (None, or one that
        :meth:`gradient` would refuse) takes the :meth:`gradient` call, and its error.
        """
        try:
            fun, arr, _ = self._prepare(f, x, None)
        except Exception:  # every step's gradient() call raises it
            yield from super()._gradients_at_steps(f, x, steps, keep_errors)
            return
        used, plain = plain_steps(steps, arr)
        label = self.label
        layout = _Layout.of(self.scheme, self.order, arr.size)
        for s, h in enumerate(steps):
            if not plain[s]:
                yield from super()._gradients_at_steps(f, x, [h], keep_errors)
                continue
            counted = CountedFunction(fun, label)
            raw = self._stencil_gradient(counted, arr, used[s], layout)
            yield gradient_estimate(raw, counted, arr.shape)

    def _stencil_gradient(
        self, f: CountedFunction, x: np.ndarray, h: np.ndarray, layout: _Layout | None = None
    ) -> RawResult:
        """The stencil's gradient of ``f`` at ``x`` with the representable steps ``h``."""
        layout = layout or _Layout.of(self.scheme, self.order, x.size)
        new = layout.new_values(x, h)
        y = evaluate_replaced(
            f, x, layout.coords, new, vectorized=self.vectorized, workers=self.workers
        )
        return RawResult(value=layout.gradient(y, h), step=h)

    # Jacobians, Hessians and k-th derivatives: methods/fd_kinds.py
    _jacobian = fd_jacobian

    def _hessian(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        if step is None:
            self._check_unit_rule("Hessian steps")
        return fd_hessian(self, f, x, step)

    def _derivative(self, f: CountedFunction, x: np.ndarray, step: Any, deriv: int) -> RawResult:
        if step is None:
            self._check_unit_rule(f"steps of derivatives of order {deriv}")
        return fd_derivative(self, f, x, step, deriv)


@dataclass(frozen=True)
class _Layout:
    """Where the evaluations of a first-derivative stencil go, for n coordinates.

    Evaluation 0 is ``x`` itself for one-sided stencils (shared by every coordinate: ``c`` is
    1); then, for each coordinate i, its moved points, in which coordinate i is
    ``x[i] + offsets[j] * h[i]`` (``coords`` says which coordinate each evaluation moves, -1
    for ``x``).
    """

    weights: tuple[float, ...]
    offsets: np.ndarray
    centre: np.ndarray
    moved: np.ndarray
    c: int
    coords: np.ndarray

    @classmethod
    def of(cls, scheme: str, order: int, n: int) -> _Layout:
        offsets_t, weights_t = float_stencil(scheme, 1, order)
        offsets = np.array(offsets_t)
        centre = offsets == 0  # one-sided stencils: f(x) is shared by every coordinate
        moved = np.flatnonzero(~centre)
        c = int(centre.any())
        coords = np.concatenate([np.full(c, -1), np.repeat(np.arange(n), moved.size)])
        return cls(weights_t, offsets, centre, moved, c, coords)

    def new_values(self, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The value of the moved coordinate of each evaluation (``x[0]`` for ``x`` itself)."""
        shifted = x[:, None] + self.offsets[None, self.moved] * h[:, None]
        return np.concatenate([x[: self.c], shifted.ravel()])

    def gradient(self, y: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The weighted sums of the values ``y`` of the evaluations, divided by ``h``."""
        n = h.size
        values = np.empty((n, self.offsets.size))
        if self.c:
            values[:, self.centre] = y[0]
        values[:, self.moved] = y[self.c :].reshape(n, self.moved.size)
        with np.errstate(all="ignore"):
            return weighted_sum(values, self.weights) / h


def _check_noise(noise: Any, rule: str) -> None:
    """Raise a clear error naming ``noise`` unless it is None, "ecnoise" or a level >= 0."""
    if noise is None:
        return
    if rule in ("relative", "absolute"):
        raise ValueError(
            f"`noise` is used by the step rules that look at f; step_rule={rule!r} does not: "
            "leave `noise` unset or choose another step_rule."
        )
    if isinstance(noise, str):
        if noise != "ecnoise":
            raise ValueError(f"`noise` must be a level >= 0 or 'ecnoise', got {noise!r}.")
        return
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.integer | np.floating):
        raise TypeError(f"`noise` must be a real number or 'ecnoise', got {type(noise).__name__}.")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"`noise` must be finite and >= 0, got {noise}.")


for _scheme in SCHEMES:
    register(FiniteDifference, name=_scheme, fixed={"scheme": _scheme})
del _scheme
