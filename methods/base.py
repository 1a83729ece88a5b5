"""The base classes every differentiation method derives from.

The public ``gradient`` of :class:`Method` validates input, wraps ``f`` so evaluations are counted
(:class:`~methods.counting.CountedFunction`), calls the subclass's ``_gradient`` and packs the one
result type :class:`~methods.estimate.Estimate`. Subclasses implement ``_gradient`` only.
"""

from __future__ import annotations

import importlib.util
import inspect
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from .capabilities import CORE_LIBRARIES, Family, Need, ReferenceGrade
from .counting import CountedFunction
from .derivative_kinds import (
    DERIVATIVE_KINDS,
    check_deriv,
    run_derivative,
    run_hessian,
    run_jacobian,
)
from .estimate import Estimate
from .functions import has_expression
from .parallel import describe_workers
from .validation import check_function, check_point, check_step, representable_step

__all__ = ["Method", "GridMethod", "RawResult", "FAMILIES", "KINDS", "NEEDS", "DERIVATIVE_KINDS"]

#: Families of methods, in display order (the values of :class:`~methods.capabilities.Family`).
FAMILIES = tuple(f.value for f in Family)
#: ``step``: takes a step size; ``grid``: works on sampled grids; ``exact``: no step;
#: ``adaptive``: chooses its own steps.
KINDS = ("step", "grid", "exact", "adaptive")
#: What a method may need from ``f`` beyond being a real callable.
NEEDS = tuple(n.value for n in Need)
#: Needs that a plain black box (real values at real points) cannot meet.
_NOT_BLACK_BOX = frozenset({Need.COMPLEX, Need.DUAL, Need.EXPRESSION})


class _OrderAlias:
    """``order`` where it is not a setting: the truncation order (a non-data descriptor, so an
    instance that stores an ``order`` setting shadows it)."""

    def __get__(self, obj: Any, owner: type | None = None) -> int | None:
        value = (owner if obj is None else obj).truncation_order
        return None if isinstance(value, property) else value


@dataclass(frozen=True)
class RawResult:
    """What a subclass's ``_gradient`` returns; the base turns it into an :class:`Estimate`."""

    value: np.ndarray
    step: np.ndarray | None = None
    error_estimate: np.ndarray | None = None


class Method:
    """A way of computing the gradient of f: R^n -> R at a point.

    Class attributes describe the method: ``name`` (registry key), ``family`` (a
    :class:`~methods.capabilities.Family`), ``kind`` (one of :data:`KINDS`),
    ``truncation_order`` (the error falls like ``h**p``; None without a step), ``needs`` (what
    ``f`` must accept, from :data:`NEEDS`), ``requires`` (optional packages it imports) and
    ``label_params`` (settings shown in its label).

    Capabilities, read by everything that measures or recommends methods (never inferred from
    the family): ``black_box`` (needs only real values of ``f`` at real points; derived from
    ``needs`` unless declared), ``noise_linear`` (the estimate is a fixed linear combination of
    values of ``f``, so noise of size eps_f enters its error as ``a * eps_f / h``),
    ``reference`` (a :class:`~methods.capabilities.ReferenceGrade`: how far its result can serve
    as a reference for other methods) and ``wraps`` (the library it wraps, None if written here;
    :attr:`is_peer` tells whether that library is an optional peer).

    Subclasses store their settings in ``__init__`` and nothing else, check them in
    ``_check_settings`` and compute in ``_gradient``. Calling a method never changes it.
    """

    name: ClassVar[str] = ""
    family: ClassVar[Family | str] = ""
    kind: ClassVar[str] = ""
    #: Truncation order ``p`` (the error falls like ``h**p``), None where there is none. Read
    #: only: a class whose order follows from its settings overrides it with a property.
    truncation_order: ClassVar[int | None] = None
    #: Same as ``truncation_order`` unless ``order`` is a setting (finite differences,
    #: scipy-derivative), where the instance's setting wins. Kept for readers of ``m.order``
    #: (the results' ``order`` column); new code reads ``truncation_order``.
    order = _OrderAlias()
    needs: ClassVar[frozenset[str]] = frozenset()
    #: Needs nothing from ``f`` but real values at real points (derived from ``needs`` unless
    #: a class declares it).
    black_box: ClassVar[bool] = True
    #: The estimate is a fixed linear combination of values of ``f`` (noise enters linearly).
    noise_linear: ClassVar[bool] = False
    #: How far the result can serve as a reference for other methods.
    reference: ClassVar[ReferenceGrade] = ReferenceGrade.NONE
    #: The library the method wraps (``"scipy"``, ``"numdifftools"``, ...), None if written here.
    wraps: ClassVar[str | None] = None
    requires: ClassVar[tuple[str, ...]] = ()
    #: The optional extra of the diffbench distribution that installs ``requires``.
    extra: ClassVar[str] = "peers"
    label_params: ClassVar[tuple[str, ...]] = ()
    #: Settings fixed by the registered name (set by :func:`methods.registry.register` on the
    #: class it binds to a name, e.g. ``{"scheme": "central"}``); never settings of the instance.
    fixed_settings: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    #: Smallest step worth sweeping: 1e-16 for differences, far smaller for the complex step.
    smallest_useful_step: ClassVar[float] = 1e-16
    #: Whether ``step`` moves ``x`` along the real axis (False for the complex step's ``i h``):
    #: such a step must survive ``x + h`` in float64, which the base checks once for everyone.
    steps_along_x: ClassVar[bool] = True
    #: What the method computes, a subset of :data:`DERIVATIVE_KINDS` (``gradient``,
    #: ``jacobian``, ``hessian``, ``derivative``); see :mod:`methods.derivative_kinds`.
    derivative_kinds: ClassVar[frozenset[str]] = frozenset({"gradient", "derivative"})
    #: Highest order ``k`` that ``derivative(f, x, deriv=k)`` computes.
    max_deriv: ClassVar[int] = 1

    #: Settings that change how ``f`` is evaluated, never the values (``workers``): left out of
    #: :meth:`get_params` (so ``repr`` and stored settings) at their default.
    runtime_settings: ClassVar[tuple[str, ...]] = ("workers",)

    #: Names and defaults of the settings (the parameters of ``__init__``), found once per class.
    _setting_names: ClassVar[tuple[str, ...]] = ()
    _setting_defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.family:
            cls.family = Family(cls.family)
        cls.needs = frozenset(Need(n) for n in cls.needs)
        if "black_box" not in cls.__dict__:
            cls.black_box = not (cls.needs & _NOT_BLACK_BOX)
        params = [
            (name, p)
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        cls._setting_names = tuple(name for name, _ in params)
        cls._setting_defaults = {name: p.default for name, p in params}

    # -- description -----------------------------------------------------------------------
    @classmethod
    def availability(cls) -> tuple[bool, str]:
        """Return ``(True, "")`` if the method can run here, else ``(False, reason)``."""
        missing = [mod for mod in cls.requires if importlib.util.find_spec(mod) is None]
        if missing:
            return False, (
                f"needs the optional package(s) {', '.join(missing)}; "
                f"install them with `pip install 'diffbench[{cls.extra}]'`"
            )
        return True, ""

    @classmethod
    def is_peer(cls) -> bool:
        """Whether the method wraps a library outside the core stack (numpy, scipy, sympy)."""
        return cls.wraps is not None and cls.wraps not in CORE_LIBRARIES

    @classmethod
    def variants(cls) -> list[dict[str, Any]]:
        """Settings a default sweep measures (one dict per configuration)."""
        return [{}]

    def theoretical_step(self) -> float | None:
        """Step minimising the error model at unit scale, or None if none applies.

        See docs/theory.md#optimal-steps.
        """
        return None

    def get_params(self) -> dict[str, Any]:
        """The method's settings, as given to ``__init__`` (``runtime_settings`` only if set)."""
        return {
            name: getattr(self, name)
            for name in self._setting_names
            if name not in self.runtime_settings
            or not _is_default(getattr(self, name), self._setting_defaults[name])
        }

    @property
    def label(self) -> str:
        """Name plus the settings that tell variants apart, e.g. ``central(order=4)``.

        The settings in ``label_params`` are always shown; any other setting is shown when it
        differs from its default (``central(order=2, step_rule=absolute)``).
        """
        return self._label_of(())

    def _label_of(self, left_out: tuple[str, ...]) -> str:
        shown = [
            f"{k}={_shown(k, getattr(self, k))}"
            for k in self._setting_names
            if k not in left_out
            and (
                k in self.label_params
                or not _is_default(getattr(self, k), self._setting_defaults[k])
            )
        ]
        return f"{self.name}({', '.join(shown)})" if shown else self.name

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"get_method({self.name!r}{', ' if args else ''}{args})"

    # -- the public calls -----------------------------------------------------------------
    def gradient(
        self, f: Callable, x: Sequence[float] | np.ndarray, *, step: Any = None
    ) -> Estimate:
        """Estimate the gradient of ``f`` at ``x``.

        Parameters
        ----------
        f : callable
            ``f(x) -> float`` for ``x`` of shape ``(n,)``. Methods that need more (complex or dual
            arguments, a SymPy expression, vectorized calls) say so in ``needs``.
        x : array_like, shape (n,)
            The point: real and finite.
        step : float or array_like of shape (n,), optional
            Step size (grid spacing for grid methods, initial step for adaptive ones). None applies
            the method's documented default rule. Methods of kind ``exact`` take no step.

        Returns
        -------
        Estimate
            Value, step used, number of evaluations, error estimate and method label.
        """
        fun, x, steps = self._prepare(f, x, step)
        label = self.label
        counted = CountedFunction(fun, label)
        return gradient_estimate(self._gradient(counted, x, steps), counted, x.shape)

    def gradients_at_steps(
        self,
        f: Callable,
        x: Sequence[float] | np.ndarray,
        steps: Iterable[Any],
        *,
        errors: str = "raise",
    ) -> Iterator[Estimate | Exception]:
        """The gradient of ``f`` at ``x`` at each of several steps, one step at a time.

        The estimates are those of ``[self.gradient(f, x, step=h) for h in steps]``, bit for bit
        (values, steps used, ``nfev``, warnings), but ``f``, ``x`` and the settings are checked
        once: the way to draw an error-versus-step curve. Finite differences evaluate every step
        without re-validating the call; other methods call :meth:`gradient` per step.

        Parameters
        ----------
        f : callable
            As for :meth:`gradient`.
        x : array_like, shape (n,)
            The point: real and finite.
        steps : iterable
            The ``step`` of each estimate: None, a float or an array of shape ``(n,)``.
        errors : {"raise", "return"}, default "raise"
            What a step whose :meth:`gradient` call would raise gives: the exception is raised
            (the iteration stops), or ``"return"``: it takes that step's place and the iteration
            goes on.

        Returns
        -------
        iterator of Estimate (or Exception with ``errors="return"``)
            Lazy: step k is evaluated when the iterator reaches it, so the warnings of step k
            are emitted before it is yielded.

        Examples
        --------
        >>> import numpy as np, methods
        >>> out = methods.get_method("central").gradients_at_steps(np.exp, [0.0], [1e-3, 1e-5])
        >>> [round(float(e.value[0]), 6) for e in out]
        [1.0, 1.0]
        """
        if errors not in ("raise", "return"):
            raise ValueError(f"`errors` must be one of ['raise', 'return'], got {errors!r}.")
        if isinstance(steps, str | bytes) or not isinstance(steps, Iterable):
            raise TypeError(
                f"`steps` must be an iterable of steps (None, numbers or arrays), "
                f"got {type(steps).__name__}."
            )
        return self._gradients_at_steps(f, x, list(steps), errors == "return")

    def _gradients_at_steps(
        self, f: Callable, x: Any, steps: list, keep_errors: bool
    ) -> Iterator[Estimate | Exception]:
        """One :meth:`gradient` per step (methods with a faster path override this)."""
        for h in steps:
            try:
                est = self.gradient(f, x, step=h)
            except Exception as exc:
                if not keep_errors:
                    raise
                yield exc
            else:
                yield est

    def _prepare(self, f: Callable, x: Any, step: Any) -> tuple[Callable, np.ndarray, Any]:
        """Check settings, ``f``, ``x`` and ``step``; return ``(f, x as array, steps or None)``."""
        self._check_settings()
        fun = self._check_f(f)
        x = check_point(x)
        if step is not None and self.kind == "exact":
            raise ValueError(
                f"`step` is not used by method {self.name!r} (kind 'exact'); pass step=None."
            )
        steps = check_step(step, x.size)
        if steps is not None and self.steps_along_x:
            # a step lost in x + h (or overflowing) would give a confident 0 or garbage
            representable_step(x, steps)
        return fun, x, steps

    def jacobian(
        self,
        f: Callable,
        x: Sequence[float] | np.ndarray,
        *,
        step: Any = None,
        sparsity: Any = None,
    ) -> Estimate:
        """Estimate the Jacobian of ``f``: R^n -> R^m at ``x`` (if ``"jacobian"`` is a kind).

        Parameters
        ----------
        f : callable
            ``f(x)`` for ``x`` of shape ``(n,)`` returns a vector of shape ``(m,)`` (a numpy
            array, a list of numbers, or, for dual-number methods, an array or list of duals).
        x : array_like, shape (n,)
            The point: real and finite.
        step : float or array_like of shape (n,), optional
            As for :meth:`gradient` (one step per variable, i.e. per column).
        sparsity : array_like of bool or scipy.sparse matrix, shape (m, n), optional
            Where the Jacobian may be non-zero. Structurally independent columns are grouped
            (Curtis-Powell-Reid) and perturbed at once: a tridiagonal Jacobian costs 3 groups.
            The pattern is the caller's promise (as for SciPy's ``approx_derivative``) and is
            not checked: a true non-zero outside it is dropped, and where columns are grouped
            (finite differences, complex step, dual numbers) it is also added, silently, to
            the entry of its row whose column shares its group.

        Returns
        -------
        Estimate
            ``value`` of shape ``(m, n)``: a float array, or a ``scipy.sparse`` CSR matrix with
            the pattern's structure when ``sparsity`` is given; ``step`` per variable.

        Raises
        ------
        NotImplementedError
            If the method cannot compute Jacobians.
        """
        return run_jacobian(self, f, x, step, sparsity)

    def hessian(
        self, f: Callable, x: Sequence[float] | np.ndarray, *, step: Any = None
    ) -> Estimate:
        """Estimate the Hessian of ``f``: R^n -> R at ``x`` (if ``"hessian"`` is a kind).

        Parameters
        ----------
        f : callable
            As for :meth:`gradient`.
        x : array_like, shape (n,)
            The point: real and finite.
        step : float or array_like of shape (n,), optional
            Step per variable; None applies the method's default for a second derivative.

        Returns
        -------
        Estimate
            ``value`` of shape ``(n, n)``.

        Raises
        ------
        NotImplementedError
            If the method cannot compute Hessians.
        """
        return run_hessian(self, f, x, step)

    def derivative(
        self, f: Callable, x: float, *, step: float | None = None, deriv: int = 1
    ) -> Estimate:
        """Estimate ``f'(x)`` (or ``f^(k)(x)``) for scalar ``f`` and ``x``; fields are floats.

        Parameters
        ----------
        f : callable
            ``f(t) -> float``, called with a float (or a dual or complex number, or a 1-D array of
            points for vectorized methods). A function carrying a SymPy expression (``needs``
            contains ``"expression"``) is passed through unchanged.
        x : float
            The point.
        step : float, optional
            As for :meth:`gradient`.
        deriv : int, default 1
            Derivative order k >= 1, up to the method's ``max_deriv``.

        Returns
        -------
        Estimate
            With ``value``, ``step`` and ``error_estimate`` as floats (or None).
        """
        deriv = check_deriv(deriv)
        real = isinstance(x, numbers.Real) or (
            isinstance(x, np.ndarray | np.generic) and x.dtype.kind in "iuf"
        )
        if not real or np.ndim(x) != 0 or isinstance(x, bool | np.bool_):
            raise TypeError(
                f"{self.label}: `x` must be a real scalar for derivative(), got "
                f"{type(x).__name__} {x!r:.60}."
            )
        try:
            x = float(x)
        except OverflowError:  # an int beyond float64
            raise TypeError(
                f"{self.label}: `x` must be a real scalar a float64 can hold for derivative(), "
                f"got an int of {len(str(abs(int(x))))} digits."
            ) from None
        fun = self._check_f(f)
        g = fun if has_expression(fun) else _ScalarAsVector(fun)
        if deriv != 1:
            return run_derivative(self, g, x, step, deriv)
        est = self.gradient(g, [x], step=step)

        def first(a: Any) -> float | None:
            return None if a is None else float(np.asarray(a).reshape(-1)[0])

        return Estimate(
            value=first(est.value),
            step=first(est.step),
            nfev=est.nfev,
            error_estimate=first(est.error_estimate),
            method=est.method,
        )

    def prepare(
        self, f: Callable, n: int, *, warm_up: bool = True
    ) -> Callable[[np.ndarray], np.ndarray]:
        """Do once what can be done once for ``f``; return ``x -> gradient value``.

        Methods that compile or trace (JAX, PyTensor, autograd) override this so that compile time
        can be measured apart from evaluation time. The default has nothing to prepare and returns
        a function calling :meth:`gradient`.

        Parameters
        ----------
        f : callable
            The function, as for :meth:`gradient`.
        n : int
            Number of variables.
        warm_up : bool, default True
            Whether an override should evaluate once so that lazy compilation is paid here.

        Returns
        -------
        callable
            ``x`` of shape ``(n,)`` to the gradient as a float array of shape ``(n,)``.
        """
        self._check_settings()
        fun = self._check_f(f)

        def gradient_value(x: Any) -> np.ndarray:
            return self.gradient(fun, x).value

        return gradient_value

    # -- hooks for subclasses ----------------------------------------------------------------
    def _jacobian(self, f: Any, x: np.ndarray, step: Any, pattern: Any) -> RawResult:
        """Jacobian hook: ``value`` of shape ``(m, n)`` (or CSR with ``pattern``)."""
        raise NotImplementedError(f"method {self.name!r} has no Jacobian.")

    def _hessian(self, f: CountedFunction, x: np.ndarray, step: Any) -> RawResult:
        """Hessian hook: ``value`` of shape ``(n, n)``."""
        raise NotImplementedError(f"method {self.name!r} has no Hessian.")

    def _derivative(self, f: CountedFunction, x: np.ndarray, step: Any, deriv: int) -> RawResult:
        """k-th derivative hook (k >= 2) for ``x`` of shape ``(1,)``."""
        raise NotImplementedError(f"method {self.name!r} has no derivative of order {deriv}.")

    def _check_settings(self) -> None:
        """Raise ``ValueError``/``TypeError`` naming a bad setting. Default: nothing to check."""

    def _check_f(self, f: Any) -> Callable:
        f = check_function(f)
        if "expression" in self.needs and not has_expression(f):
            raise TypeError(
                f"method {self.name!r} needs a function built from a SymPy expression "
                "(methods.SymbolicFunction or a battery problem's function), not a plain callable."
            )
        return f

    def _gradient(self, f: CountedFunction, x: np.ndarray, step: np.ndarray | None) -> RawResult:
        raise NotImplementedError


def gradient_estimate(raw: RawResult, counted: CountedFunction, shape: tuple) -> Estimate:
    """The :class:`Estimate` of a gradient hook's result, with ``counted``'s ``nfev``."""
    value = np.array(raw.value, dtype=float).reshape(shape)
    # A coordinate that met a non-finite value of f is NaN, never +-inf or a silent number.
    value[~np.isfinite(value)] = np.nan
    return Estimate(
        value=value,
        step=raw.step,
        nfev=counted.nfev,
        error_estimate=raw.error_estimate,
        method=counted.method,
    )


def _is_default(value: Any, default: Any) -> bool:
    """``value == default``, for settings that may be callables or arrays too."""
    if callable(value) and not callable(default):
        return False
    return bool(value == default)


def _shown(name: str, value: Any) -> str:
    """A setting's value as labels show it (``workers`` by its count or its map's name)."""
    return describe_workers(value) if name == "workers" else str(value)


class _ScalarAsVector:
    """Adapt scalar ``f(t)`` to the vector convention: ``x`` of shape ``(1,)`` or ``(m, 1)``."""

    def __init__(self, f: Callable) -> None:
        self.f = f

    def __call__(self, x: Any) -> Any:
        # one point: pass the scalar itself (a float, complex or dual); a batch: its column
        return self.f(x[0] if len(x.shape) == 1 else x[..., 0])


class GridMethod(Method):
    """A method that differentiates values sampled on a grid (kind ``"grid"``).

    Besides ``gradient`` at a point (which samples ``f`` on a small grid around it), grid methods
    expose the grid form :meth:`grid_gradient`, which is how they are used in practice.
    """

    kind: ClassVar[str] = "grid"
    family: ClassVar[Family | str] = Family.GRID
    noise_linear: ClassVar[bool] = True
    #: fewest samples per axis the method accepts
    min_points: ClassVar[int] = 2
    #: settings that change only the point form (``gradient``), not ``grid_gradient``
    point_form_params: ClassVar[tuple[str, ...]] = ()

    @property
    def grid_label(self) -> str:
        """The label of the grid form: like :attr:`label`, without ``point_form_params``."""
        return self._label_of(self.point_form_params)

    def grid_gradient(self, values: Any, *spacing: Any) -> tuple[np.ndarray, ...]:
        """Differentiate sampled values along every axis at every grid point.

        Parameters
        ----------
        values : array_like, shape (N1, ..., Nd)
            ``f`` sampled on a tensor grid.
        *spacing : scalar or array_like, optional
            As in ``numpy.gradient``: nothing (unit spacing), one scalar for all axes, one scalar
            per axis, or one coordinate array per axis (strictly increasing, non-uniform allowed).

        Returns
        -------
        tuple of numpy.ndarray
            One array of the shape of ``values`` per axis.
        """
        vals, spacing_arrays = self._grid_input(values, spacing, self._min_points())
        return tuple(self._grid_gradient(vals, spacing_arrays))

    def _grid_input(self, values: Any, spacing: tuple, need: int) -> tuple[np.ndarray, list]:
        """Checked settings, ``values`` as floats with ``need`` points per axis, and the
        spacing as one float or coordinate array per axis; errors name the parameter."""
        self._check_settings()
        vals = np.asarray(values)
        if vals.dtype.kind not in "biuf":
            raise TypeError(f"`values` must be real numbers, got dtype {vals.dtype}.")
        vals = vals.astype(float)
        if vals.ndim == 0:
            raise ValueError("`values` must have at least one axis.")
        if min(vals.shape) < need:
            raise ValueError(
                f"`values` needs at least {need} points along every axis for {self.label}, "
                f"got shape {vals.shape}."
            )
        return vals, _check_spacing(spacing, vals.shape)

    def _min_points(self) -> int:
        return self.min_points

    def _grid_gradient(self, values: np.ndarray, spacing: list) -> list[np.ndarray]:
        raise NotImplementedError


def _check_spacing(spacing: tuple, shape: tuple[int, ...]) -> list:
    """Normalise numpy.gradient-style ``spacing`` to one entry (float or 1-D array) per axis."""
    d = len(shape)
    if len(spacing) == 0:
        spacing = (1.0,) * d
    elif len(spacing) == 1 and np.ndim(spacing[0]) == 0:
        spacing = tuple(spacing) * d
    if len(spacing) != d:
        raise ValueError(
            f"`spacing` must give nothing, one scalar, or one entry per axis ({d}), "
            f"got {len(spacing)}."
        )
    out: list = []
    for axis, (s, size) in enumerate(zip(spacing, shape, strict=True)):
        arr = np.asarray(s, dtype=float)
        if arr.ndim == 0:
            if not np.isfinite(arr) or arr <= 0:
                raise ValueError(f"`spacing` for axis {axis} must be positive and finite, got {s}.")
            out.append(float(arr))
        else:
            if arr.shape != (size,):
                raise ValueError(
                    f"`spacing` coordinates for axis {axis} must have shape ({size},), "
                    f"got {arr.shape}."
                )
            if not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
                raise ValueError(
                    f"`spacing` coordinates for axis {axis} must be finite and strictly increasing."
                )
            out.append(arr)
    return out
