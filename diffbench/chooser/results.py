"""What :func:`~diffbench.chooser.choose` returns: :class:`Choice` and the records it holds.

The records keep data (outcome enums, :class:`~diffbench.chooser.findings.Caveat` flags); the
string attributes people and ``--json`` read (``Probes.complex``, ``Candidate.caveats``,
``Reference.source``) are made from that data by :mod:`diffbench.chooser.text`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from methods.capabilities import Need

from ..noise import NoiseEstimate
from . import text
from .findings import (
    CandidateStatus,
    Caveat,
    ComplexProbe,
    DualProbe,
    ReferenceBasis,
    VectorizedProbe,
)

__all__ = ["Candidate", "Choice", "Probes", "Reference", "StepRuleAdvice"]


@dataclass(frozen=True)
class Probes:
    """What :func:`choose` found out about ``f`` at ``x`` before measuring methods.

    Attributes
    ----------
    value : float
        ``f(x)``.
    call_seconds : float
        Median time of one call ``f(x)``.
    vectorized_probe : VectorizedProbe
        How ``f`` took an ``(m, n)`` array of points.
    complex_probe : ComplexProbe
        What the complex-step probe found.
    dual_probe : DualProbe
        Whether ``f`` ran on dual numbers.
    expression : str or None
        The formula ``f`` carries, if any.
    expression_matches : bool or None
        ``f``'s values equal its formula's (False for a noisy function with a formula).
    """

    value: float
    call_seconds: float
    vectorized_probe: VectorizedProbe
    complex_probe: ComplexProbe
    dual_probe: DualProbe
    expression: str | None
    expression_matches: bool | None

    @property
    def vectorized(self) -> bool:
        """``f`` maps an ``(m, n)`` array of points to ``(m,)`` values equal to single calls."""
        return self.vectorized_probe.ok

    @property
    def vectorized_detail(self) -> str:
        """The array probe in words (``"yes: ..."`` or ``"no: ..."``)."""
        return text.vectorized_words(self.vectorized_probe)

    @property
    def complex(self) -> str:
        """The complex probe in words: ``"analytic at x ..."``, ``"not analytic ..."``, ...

        Also ``"not confirmed: ..."``, ``"rejected: ..."`` or ``"not probed ..."``.
        """
        return text.complex_words(self.complex_probe)

    @property
    def complex_ok(self) -> bool:
        """The complex step can be trusted at ``x``."""
        return self.complex_probe.ok

    @property
    def dual(self) -> str:
        """``"accepted"``, ``"rejected: ..."`` or ``"not probed ..."``."""
        return text.dual_words(self.dual_probe)


@dataclass(frozen=True)
class Reference:
    """The gradient that errors are measured against.

    Attributes
    ----------
    value : numpy.ndarray or None
        The reference gradient (None if nothing could serve).
    uncertainty : float
        Relative uncertainty: 0 for an exact or given reference, the largest relative distance
        between the agreeing methods for a consensus, NaN if unknown.
    basis : ReferenceBasis
        What it rests on (given, exact, consensus, a single method, nothing).
    methods : tuple of str
        Methods whose agreement formed it (consensus), or the one method (single).
    trusted : bool
        Exact, given, or at least two independent methods agree.
    """

    value: np.ndarray | None
    uncertainty: float
    basis: ReferenceBasis
    methods: tuple[str, ...] = ()
    trusted: bool = True

    @property
    def source(self) -> str:
        """Where it comes from, in words."""
        return text.reference_source(self)

    @property
    def scale(self) -> float:
        """``max |value|`` (0 without a value): the scale of relative errors."""
        return float(np.max(np.abs(self.value))) if self.value is not None else 0.0


@dataclass(frozen=True)
class Candidate:
    """One method configuration as measured by :func:`choose` (one row of the ranking).

    Attributes
    ----------
    label : str
        E.g. ``"central(order=4)"``.
    name, family, kind : str
        Registry name, family and kind of the method.
    settings : dict
        Settings passed to :func:`methods.get_method` (defaults left out).
    status : CandidateStatus
        ``"ok"`` (measured and usable), ``"failed"``, ``"not applicable"``, ``"over budget"`` or
        ``"unavailable"``.
    reason : str
        Why a method is not ``"ok"``, in words.
    step : float, numpy.ndarray or None
        The recommended ``step`` argument (None: the method's default, or no step at all).
    actual_step : numpy.ndarray or None
        The step actually used per coordinate at ``step``.
    error : float
        Expected relative error of the gradient: measured against the reference at ``step``, or
        the root-mean-square error model on a noisy ``f``; NaN if it cannot be told.
    measured_error : float
        Error measured at ``step`` against the reference (NaN without a reference).
    best_error : float
        Smallest measured error over the step sweep (the error itself for a method without step).
    best_step : float, numpy.ndarray or None
        The ``step`` argument that gave ``best_error``.
    window : tuple of float or None
        Smallest and largest step argument (relative to ``max(1, |x_i|)``) whose error stays
        within ``max(target, 2 best_error)`` around the best.
    robustness : float
        Width of ``window`` in decades; ``inf`` for methods without a step to tune.
    nfev : int or None
        Evaluations of ``f`` per gradient.
    seconds : float or None
        Time per gradient: the median of the timing rounds for a candidate that meets the
        target (of the calls made otherwise). Shown, never ranked on unless the rounds differ
        by a factor 2 (:mod:`diffbench.chooser.ranking`).
    timings : tuple of float
        Its times in the interleaved timing rounds (empty if it was not timed in rounds).
    meets_target : bool
    flags : tuple of Caveat
        The caveats as data (:attr:`caveats` gives their words).
    code : str
        The call that uses it, e.g. ``get_method("central", order=4).gradient(f, x, step=3.2e-04)``.
    sweep : tuple of tuple
        ``(relative step, relative error)`` pairs of the step sweep.
    needs : frozenset of Need
        What the method needs from ``f`` (its class's declaration).
    """

    label: str
    name: str
    family: str
    kind: str
    settings: dict
    status: CandidateStatus
    reason: str = ""
    step: float | np.ndarray | None = None
    actual_step: np.ndarray | None = None
    error: float = math.nan
    measured_error: float = math.nan
    best_error: float = math.nan
    best_step: float | np.ndarray | None = None
    window: tuple[float, float] | None = None
    robustness: float = math.nan
    nfev: int | None = None
    seconds: float | None = None
    meets_target: bool = False
    flags: tuple[Caveat, ...] = ()
    code: str = ""
    sweep: tuple[tuple[float, float], ...] = ()
    needs: frozenset[Need] = frozenset()
    timings: tuple[float, ...] = ()

    @property
    def caveats(self) -> tuple[str, ...]:
        """The caveats in words, e.g. ``("needs complex-safe code", "noise-aware step")``."""
        return tuple(text.CAVEAT_WORDS[c] for c in self.flags)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "label": self.label,
            "name": self.name,
            "family": self.family,
            "kind": self.kind,
            "settings": self.settings,
            "status": str(self.status),
            "reason": self.reason,
            "step": _plain(self.step),
            "actual_step": _plain(self.actual_step),
            "error": _plain(self.error),
            "measured_error": _plain(self.measured_error),
            "best_error": _plain(self.best_error),
            "best_step": _plain(self.best_step),
            "window": _plain(self.window),
            "robustness_decades": _plain(self.robustness),
            "nfev": self.nfev,
            "seconds": _plain(self.seconds),
            "timing_rounds": [_plain(t) for t in self.timings],
            "meets_target": self.meets_target,
            "caveats": list(self.caveats),
            "code": self.code,
            "sweep": [[_plain(t), _plain(e)] for t, e in self.sweep],
        }


@dataclass(frozen=True)
class StepRuleAdvice:
    """A step rule recommended instead of a fixed step (:func:`diffbench.chooser.api.
    step_rule_advice`).

    Attributes
    ----------
    label : str
        The configuration, e.g. ``"central(order=4)"``.
    name : str
        Its registered name.
    settings : dict
        Its settings, ``step_rule`` included.
    step_rule : str
        The rule.
    error : float
        Relative error at the step the rule chose, against the reference.
    best_error : float
        The best error over the fixed steps swept for the same configuration.
    robustness : float
        Decades of fixed steps whose error is within 10x of the best.
    nfev, extra_nfev : int
        Evaluations of f per gradient with the rule, and beyond the stencil's.
    code : str
        The call, e.g. ``get_method("central", order=4, step_rule="dumontet-vignes")``.
    why : str
        Why the fixed step is not robust, in words.
    """

    label: str
    name: str
    settings: dict
    step_rule: str
    error: float
    best_error: float
    robustness: float
    nfev: int
    extra_nfev: int
    code: str
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "label": self.label,
            "name": self.name,
            "settings": self.settings,
            "step_rule": self.step_rule,
            "error": _plain(self.error),
            "best_error": _plain(self.best_error),
            "robustness_decades": _plain(self.robustness),
            "nfev": int(self.nfev),
            "extra_nfev": int(self.extra_nfev),
            "code": self.code,
            "why": self.why,
        }


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` returns: the probes, the ranking and the recommendation.

    Attributes
    ----------
    x : numpy.ndarray
        The point.
    target : float
        Relative error target.
    budget : int or None
        Most evaluations of ``f`` per gradient.
    noise : float
        Noise level ``eps_f`` used (absolute).
    noisy : bool
        Whether ``f`` was treated as noisy.
    noise_source : str
        How ``noise`` was obtained.
    noise_estimate : NoiseEstimate or None
        ECnoise's result (``noise="auto"``).
    probes : Probes
    reference : Reference
    ranking : tuple of Candidate
        Usable methods, best first.
    rejected : tuple of Candidate
        Methods that failed, do not apply, exceed the budget or are not installed, with why.
    recommended : Candidate or None
    reasons : tuple of str
        Why the recommendation, in plain words.
    notes : tuple of str
        Other findings worth knowing.
    seconds : float
        Time :func:`choose` took.
    time_limit : float
        Seconds of evaluations of ``f`` it planned for (``inf``: no limit).
    evaluations : int or None
        Evaluations of ``f`` it made, counted (None for a formula, which is not counted).
    step_rule : StepRuleAdvice or None
        A step rule recommended instead of a fixed step (f cheap, the rule within 10x of the
        best fixed step, the fixed step not robust), or None.
    """

    x: np.ndarray
    target: float
    budget: int | None
    noise: float
    noisy: bool
    noise_source: str
    noise_estimate: NoiseEstimate | None
    probes: Probes
    reference: Reference
    ranking: tuple[Candidate, ...]
    rejected: tuple[Candidate, ...]
    recommended: Candidate | None
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    time_limit: float = math.inf
    evaluations: int | None = None
    step_rule: StepRuleAdvice | None = None

    @property
    def code(self) -> str:
        """The call that uses the recommended method (empty if there is none)."""
        return self.recommended.code if self.recommended else ""

    def table(self, top: int | None = None) -> str:
        """The ranking as a fixed-width text table (``top`` rows at most)."""
        rows = self.ranking if top is None else self.ranking[:top]
        return text.table(rows)

    def snippet(self, setup: Sequence[str] = ()) -> str:
        """Runnable code for the recommendation: imports, ``setup`` lines defining ``f``, the call.

        Without ``setup`` a comment says what ``f`` must be.
        """
        return text.snippet(self, setup)

    def report(self, top: int | None = 15, *, setup: Sequence[str] = ()) -> str:
        """The whole finding as text: probes, ranking, rejected methods, recommendation, code.

        Parameters
        ----------
        top : int or None, default 15
            Rows of the ranking shown (None: all).
        setup : sequence of str
            Code lines that define ``f``, shown before the call (see :meth:`snippet`).
        """
        return text.report(self, top, setup)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for ``--json``)."""
        p = self.probes
        ne = self.noise_estimate
        return {
            "x": self.x.tolist(),
            "target": self.target,
            "budget": self.budget,
            "noise": {
                "level": _plain(self.noise),
                "noisy": self.noisy,
                "source": self.noise_source,
                "ecnoise": None
                if ne is None
                else {
                    "noise": _plain(ne.noise),
                    "relative": _plain(ne.relative),
                    "info": ne.info,
                    "level": ne.level,
                    "h": ne.h,
                    "nfev": ne.nfev,
                },
            },
            "probes": {
                "value": _plain(p.value),
                "call_seconds": p.call_seconds,
                "vectorized": p.vectorized,
                "vectorized_detail": p.vectorized_detail,
                "complex": p.complex,
                "complex_ok": p.complex_ok,
                "dual": p.dual,
                "expression": p.expression,
                "expression_matches": p.expression_matches,
            },
            "reference": {
                "value": _plain(self.reference.value),
                "uncertainty": _plain(self.reference.uncertainty),
                "source": self.reference.source,
                "methods": list(self.reference.methods),
                "trusted": self.reference.trusted,
            },
            "ranking": [c.to_dict() for c in self.ranking],
            "rejected": [c.to_dict() for c in self.rejected],
            "recommended": None if self.recommended is None else self.recommended.to_dict(),
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "code": self.code,
            "seconds": self.seconds,
            "time_limit": _plain(self.time_limit),
            "evaluations": self.evaluations,
            "step_rule": None if self.step_rule is None else self.step_rule.to_dict(),
        }


def _plain(v: Any) -> Any:
    """numpy and non-finite values to JSON-ready ones (inf/NaN become strings)."""
    if v is None:
        return None
    if isinstance(v, tuple):
        return [_plain(a) for a in v]
    arr = np.asarray(v)
    if arr.ndim > 0:
        return [_plain(float(a)) for a in arr.ravel()]
    value = float(arr)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
