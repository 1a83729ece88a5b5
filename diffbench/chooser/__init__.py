"""The chooser: which differentiation method should *your* code use? Measured on your ``f``.

``choose(f, x)`` probes ``f`` at ``x``, fixes a reference gradient, measures every applicable
registered method (sweeping the step of the step methods) and ranks them on counted quantities:
those that meet the error target first, then by evaluations of ``f``, then by robustness, then a
fixed order; time only where it differs by a factor 2 in interleaved timing rounds. A time limit
plans how much work is done (never what is recommended among what was measured).
``diffbench choose ...`` is its command line. Public names: :func:`choose`, :class:`Choice`,
:class:`Candidate`, :class:`Probes`, :class:`Reference`, :data:`NOISY_RELATIVE`; they are loaded
on first use, so that importing the command line (:mod:`diffbench.chooser.cli`) stays cheap.

Layout (each module imports only modules listed above it; ``text`` names the types of
``results`` and ``running`` in annotations only):

``findings``
    What the chooser finds, as data: probe outcomes (``ComplexProbe`` with a
    ``ComplexOutcome``, ``DualProbe``, ``VectorizedProbe``), ``Caveat``, ``CandidateStatus``,
    ``NoiseOrigin``, ``ReferenceBasis``. Nothing branches on words.
``text``
    Every word: probe outcomes, caveats, reasons for leaving a method out, the reasons of the
    recommendation, notes, the ranking table, the report and the code snippet.
``results``
    The records :func:`choose` returns: ``Choice``, ``Candidate``, ``Probes``, ``Reference``
    (their string attributes are made by ``text`` from their data).
``running``
    One timed gradient call through :func:`diffbench.measure.measure_gradient` that never
    raises (``Run``); the chooser's timer and clock (``timed``, ``clock``); ``Meter``, which
    counts ``f``'s evaluations against the time limit's allowance (``OutOfTime``), turns its
    ``SystemExit``/``KeyboardInterrupt`` into ``FunctionExit`` and prints progress; ``f`` on a
    subset of coordinates, synthetic noise, a method's settings, the error against the
    reference (:func:`diffbench.metrics.gradient_error`), the step argument for a relative step.
``context``
    ``Context``: ``f``, ``x``, target, budget, the meter and what the probes found; built once,
    immutable.
``probes``
    ``f(x)``, the cost of a call, arrays of points, complex arguments and analyticity.
``candidates``
    The registered methods and variants, left out by what they declare (``needs``) and what
    the probes found; the methods without a step (``kind`` exact, adaptive) run once.
``ranking``
    Rank keys (counted quantities and a fixed order), the interleaved timing rounds and the 2x
    rule; and the key of the groups of agreeing methods for the consensus.
``reference``
    The reference gradient: given, exact from the formula (:func:`reference.exact_gradient`),
    or the consensus of the methods graded above ``ReferenceGrade.NONE``.
``noise_model``
    How noisy ``f`` is (ECnoise), a method's noise amplification, the RMS error model and the
    noise-aware step of a ``noise_linear`` method.
``step_sweep``
    The short step sweep of a step or grid method (its plan by counted evaluations) and the safe
    window it shows.
``api``
    :func:`choose`, which runs the above in order.
``cli``
    ``diffbench choose`` (``python -m diffbench.chooser.cli``).
"""

from importlib import import_module
from typing import Any

# public name -> module of this package that defines it
_EXPORTS = {
    "Candidate": "results",
    "Choice": "results",
    "Probes": "results",
    "Reference": "results",
    "choose": "api",
    "NOISY_RELATIVE": "noise_model",
}

__all__ = ["Candidate", "Choice", "NOISY_RELATIVE", "Probes", "Reference", "choose"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
