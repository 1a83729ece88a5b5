"""Rank keys: the order of the candidates, and which group of agreeing methods wins.

Both order by declared capabilities and measured numbers only (never by family names).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from methods.capabilities import ReferenceGrade

from .results import Candidate

__all__ = ["candidate_key", "consensus_key"]


def candidate_key(c: Candidate) -> tuple:
    """Meets the target first, then cheaper (nfev, then time), then more robust.

    Those that miss the target follow by expected error; those whose error is unknown come
    last, by cost.
    """
    if c.meets_target:
        return (0, c.nfev, -c.robustness, c.seconds)
    if math.isfinite(c.error):
        return (1, c.error, c.nfev, c.seconds)
    return (2, c.nfev, c.seconds, 0.0)


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
