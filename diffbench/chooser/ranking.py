"""Rank keys and the ranking: counted quantities first, time only where it differs clearly.

The order of the candidates never depends on how loaded the machine is:

1. :func:`candidate_key` orders by counted quantities only: meets the target, then evaluations
   of ``f`` per gradient, then robustness (decades of safe step); those that miss the target by
   expected error; remaining ties by a fixed order (:func:`fixed_order`: the declared
   :class:`~methods.capabilities.ReferenceGrade`, highest first, then registry order, then
   label).
2. Time reorders the candidates that meet the target only where it differs by a clear factor:
   :func:`timing_rounds` calls each of them once per round, interleaved, for :data:`ROUNDS`
   rounds, and :func:`time_order` moves a candidate ahead of those that rank above it on
   counted quantities only if it is at least :data:`FACTOR` times faster than each of them in
   all rounds but one (:func:`clearly_faster`). Times within a factor 2 never decide.

Both order by declared capabilities and measured numbers only (never by family names).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from functools import cache

import numpy as np

from methods import get_method, method_class, method_names
from methods.capabilities import ReferenceGrade

from .context import Context
from .results import Candidate
from .running import run

__all__ = [
    "FACTOR",
    "ROUNDS",
    "candidate_key",
    "clearly_faster",
    "consensus_key",
    "fixed_order",
    "rank",
    "time_order",
    "timing_rounds",
]

#: Time decides only between candidates whose times differ by at least this factor.
FACTOR = 2.0
#: Interleaved timing rounds of the candidates that meet the target.
ROUNDS = 9


@cache
def _registry_index(name: str) -> int:
    names = method_names()
    return names.index(name) if name in names else len(names)


def fixed_order(c: Candidate) -> tuple[int, int, str]:
    """The last tie-break: higher declared ReferenceGrade, then registry order, then label.

    Examples
    --------
    >>> from diffbench.chooser.findings import CandidateStatus
    >>> row = Candidate("dual", "dual", "forward-ad", "exact", {}, CandidateStatus.OK)
    >>> fixed_order(row)[0] == -int(ReferenceGrade.EXACT)
    True
    """
    try:
        grade = int(method_class(c.name).reference)
    except (ValueError, KeyError, TypeError):  # not a registered name (a hand-made row)
        grade = int(ReferenceGrade.NONE)
    return (-grade, _registry_index(c.name), c.label)


def candidate_key(c: Candidate) -> tuple:
    """Counted quantities only: meets the target, then nfev, then robustness, then fixed order.

    Those that miss the target follow by expected error, then nfev; those whose error is
    unknown come last, by nfev. No measured time enters this key.
    """
    nfev = math.inf if c.nfev is None else c.nfev
    if c.meets_target:
        return (0, nfev, -c.robustness, *fixed_order(c))
    if math.isfinite(c.error):
        return (1, c.error, nfev, *fixed_order(c))
    return (2, nfev, 0.0, *fixed_order(c))


def clearly_faster(a: Sequence[float], b: Sequence[float], factor: float = FACTOR) -> bool:
    """``a`` took at most ``1/factor`` of ``b``'s time in every interleaved round but one.

    ``a`` and ``b`` are the times of two candidates in the same rounds (round ``i`` timed both,
    one after the other, so a load on the machine weighs on both). Fewer than three rounds
    decide nothing.

    Examples
    --------
    >>> clearly_faster([1, 1, 1, 9], [10, 10, 10, 10]), clearly_faster([1, 1, 1], [1.5, 1.5, 9])
    (True, False)
    """
    if len(a) != len(b) or len(a) < 3:
        return False
    wins = sum(factor * ta <= tb for ta, tb in zip(a, b, strict=True))
    return wins >= len(a) - 1


def timing_rounds(rows: Sequence[Candidate], ctx: Context) -> dict[str, tuple[float, ...]] | None:
    """Times of the candidates in :data:`ROUNDS` interleaved rounds, by label.

    Each round calls every candidate once (at its recommended step), in a fixed order. None if
    fewer than two candidates are to be compared, or if the rounds' evaluations of ``f``
    (counted) do not fit what the time limit allows.
    """
    if len(rows) < 2:
        return None
    need = ROUNDS * sum(c.nfev or 0 for c in rows)
    if need > ctx.remaining:
        return None
    ctx.stage(f"timing {len(rows)} methods in {ROUNDS} rounds")
    built = [(c.label, get_method(c.name, **c.settings), c.step) for c in rows]
    times: dict[str, list[float]] = {label: [] for label, _, _ in built}
    for _ in range(ROUNDS):
        for label, method, step in built:
            r = run(method, ctx.f, ctx.x, step)
            times[label].append(r.seconds if r.ok else math.inf)
    return {label: tuple(t) for label, t in times.items()}


def time_order(rows: Sequence[Candidate], times: dict[str, tuple[float, ...]]) -> list[Candidate]:
    """``rows`` (in counted order) reordered where time differs clearly.

    Each place goes to the last remaining candidate (in counted order) that is
    :func:`clearly_faster` than every remaining candidate ahead of it; the first remaining one
    if none is.
    """
    rest = list(rows)
    out = []
    while rest:
        pick = 0
        for i in range(1, len(rest)):
            mine = times[rest[i].label]
            if all(clearly_faster(mine, times[c.label]) for c in rest[:i]):
                pick = i
        out.append(rest.pop(pick))
    return out


def rank(rows: Sequence[Candidate], ctx: Context) -> tuple[tuple[Candidate, ...], bool]:
    """The usable candidates, best first, and whether their timing was skipped for time.

    Counted order (:func:`candidate_key`); then the candidates that meet the target are timed
    in interleaved rounds (their ``seconds`` become the median, ``timings`` the rounds) and
    reordered by :func:`time_order`.
    """
    ordered = sorted(rows, key=candidate_key)
    meets = [c for c in ordered if c.meets_target]
    times = timing_rounds(meets, ctx)
    if times is None:
        return tuple(ordered), len(meets) >= 2
    timed_rows = [
        replace(c, seconds=float(np.median(times[c.label])), timings=times[c.label]) for c in meets
    ]
    return (*time_order(timed_rows, times), *ordered[len(meets) :]), False


def consensus_key(names: Sequence[str], grade: ReferenceGrade) -> tuple[int, int, int]:
    """Larger is better: distinct methods in a group, then results, then the seed's grade.

    ``names`` are the registry names of the group's methods (variants of one method count
    once), ``grade`` the :class:`~methods.capabilities.ReferenceGrade` of the method the group
    formed around.

    Examples
    --------
    >>> consensus_key(["richardson", "richardson", "ridders"], ReferenceGrade.EXTRAPOLATED)
    (2, 3, 1)
    """
    return (len(set(names)), len(names), int(grade))
