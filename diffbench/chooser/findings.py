"""What the chooser finds out, as data: probe outcomes, caveats and statuses (words: text.py).

Every branch the chooser takes on something it found (is ``f`` analytic at ``x``? did it take
dual numbers? was a step chosen by the noise model?) tests one of these values, never a
sentence. :mod:`diffbench.chooser.text` turns them into the words of reports and JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum, StrEnum, auto

__all__ = [
    "CandidateStatus",
    "Caveat",
    "ComplexOutcome",
    "ComplexProbe",
    "DualOutcome",
    "DualProbe",
    "NoiseOrigin",
    "ReferenceBasis",
    "VectorizedOutcome",
    "VectorizedProbe",
]


class CandidateStatus(StrEnum):
    """Whether a method configuration is usable here (compares equal to its string)."""

    OK = "ok"
    FAILED = "failed"
    NOT_APPLICABLE = "not applicable"
    OVER_BUDGET = "over budget"
    UNAVAILABLE = "unavailable"
    SKIPPED_FOR_TIME = "skipped for time"


class Caveat(Enum):
    """Something to know before using a method (its words: ``text.CAVEAT_WORDS``)."""

    USES_FORMULA = auto()  # differentiates the formula, never calls f
    DUAL_SAFE_CODE = auto()  # f must run on dual numbers
    COMPLEX_SAFE_CODE = auto()  # f must run on complex numbers
    STEPS_INTO_NOISE = auto()  # an adaptive method on a noisy f
    UNVERIFIED = auto()  # no trusted reference to measure against
    ABSOLUTE_STEP = auto()  # the step does not scale with |x_i|
    NO_NOISE_MODEL = auto()  # noisy f, but the noise amplification could not be measured
    NARROW_WINDOW = auto()  # fewer than three swept steps are safe
    NOISE_AWARE_STEP = auto()  # the step minimises the RMS error model of a noisy f
    TRUNCATION_BELOW_NOISE = auto()  # the truncation error is an upper bound (hidden by noise)


class VectorizedOutcome(Enum):
    """How ``f`` took an ``(m, n)`` array of points."""

    ACCEPTED = auto()
    RAISED = auto()
    WRONG_SHAPE = auto()
    DIFFERS = auto()
    SKIPPED_FOR_TIME = auto()  # the time limit left too few evaluations of f to probe


@dataclass(frozen=True)
class VectorizedProbe:
    """The outcome of calling ``f`` on a ``(3, n)`` array of points.

    Attributes
    ----------
    outcome : VectorizedOutcome
    n : int
        Dimension of the point.
    exception : str
        Type name of what ``f`` raised (``RAISED``).
    shape : tuple of int
        Shape ``f`` returned (``WRONG_SHAPE``).
    """

    outcome: VectorizedOutcome
    n: int
    exception: str = ""
    shape: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """``f`` maps an ``(m, n)`` array of points to the ``m`` values of the single calls."""
        return self.outcome is VectorizedOutcome.ACCEPTED


class ComplexOutcome(Enum):
    """What the complex-step probe found."""

    ACCEPTED = auto()  # analytic at x: the complex step agrees with real differences
    NOT_ANALYTIC_FORMULA = auto()  # the formula contains a non-analytic function
    NOT_ANALYTIC = auto()  # the complex step disagrees with real differences at x
    NOT_CONFIRMED = auto()  # disagreement on a noisy f: real differences cannot confirm it
    REJECTED = auto()  # f refuses complex arguments (or raises on them)
    NOT_PROBED = auto()  # no candidate needs complex arguments
    SKIPPED_FOR_TIME = auto()  # the time limit left too few evaluations of f to probe


@dataclass(frozen=True)
class ComplexProbe:
    """The outcome of the complex-step probe.

    Attributes
    ----------
    outcome : ComplexOutcome
    detail : str
        What the analyticity check or ``f`` said (``REJECTED``, ``NOT_ANALYTIC``).
    parts : tuple of str
        The non-analytic SymPy functions in the formula (``NOT_ANALYTIC_FORMULA``).
    coordinate : int or None
        The coordinate where the complex step and real differences disagree.
    complex_step, real_difference : float
        Their values along ``coordinate``.
    """

    outcome: ComplexOutcome
    detail: str = ""
    parts: tuple[str, ...] = ()
    coordinate: int | None = None
    complex_step: float = math.nan
    real_difference: float = math.nan

    @property
    def ok(self) -> bool:
        """The complex step can be trusted at ``x``."""
        return self.outcome is ComplexOutcome.ACCEPTED


class DualOutcome(Enum):
    """Whether ``f`` ran on dual numbers."""

    ACCEPTED = auto()
    REJECTED = auto()
    NOT_PROBED = auto()


@dataclass(frozen=True)
class DualProbe:
    """The outcome of running a method that needs dual numbers (``detail``: why it failed)."""

    outcome: DualOutcome
    detail: str = ""


class NoiseOrigin(Enum):
    """Where the noise level ``eps_f`` comes from."""

    GIVEN = auto()  # a positive level passed by the caller
    DECLARED_FREE = auto()  # the caller passed 0: rounding level
    ECNOISE = auto()  # estimated by ECnoise
    ECNOISE_FAILED = auto()  # ECnoise found nothing: rounding level
    SKIPPED_FOR_TIME = auto()  # the time limit left too few evaluations for ECnoise: rounding


class ReferenceBasis(Enum):
    """What the reference gradient rests on."""

    GIVEN = auto()  # passed by the caller
    EXACT = auto()  # the formula's gradient evaluated by mpmath
    CONSENSUS = auto()  # at least two accurate methods agree
    SINGLE = auto()  # one accurate method, no second agreeing (untrusted)
    NONE = auto()  # no accurate method applies
