"""The vectorised Kostyrka vertex fit chooses the steps the one-vertex-at-a-time form chose.

:func:`methods.step_rules_recent._fit_vertex` scores every candidate vertex at once (issue 12:
it was half the time of the step-rule rows). :func:`_fit_vertex_reference` below is the loop it
replaced, kept here as the reference: on every gradient problem of the battery (noisy variants
included) at every point, for every scheme and order the sweep measures, the Kostyrka rule must
give the same steps, gradient and ``nfev``, bit for bit, with either. Kostyrka is the only rule
whose code changed; the other rules' steps are compared by the sweep's own tests.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import methods.step_rules_recent as recent
from diffbench.problems import list_problems
from methods import get_method

#: (scheme, orders) of the finite differences the sweep measures the step rules of.
STENCILS = (("forward", range(1, 7)), ("backward", range(1, 7)), ("central", (2, 4, 6, 8)))


def _fit_vertex_reference(log_h: np.ndarray, log_t: np.ndarray, p: int) -> float:
    """The vertex fit before issue 12: one candidate vertex at a time."""
    best, vertex = math.inf, float(log_h[0])
    for theta in np.arange(log_h.min(), log_h.max() + 1e-9, 1.0 / 16.0):
        shape = np.where(log_h < theta, -(log_h - theta), p * (log_h - theta))
        resid = log_t - shape
        resid = resid - np.median(resid)
        r = max(float(np.median(np.abs(resid))), 1e-6)
        loss = float(np.mean(r * r * (np.sqrt(1.0 + (resid / r) ** 2) - 1.0)))
        if loss < best - 1e-12:
            best, vertex = loss, float(theta)
    return vertex


def _kostyrka_gradients(scheme: str, order: int) -> list[tuple]:
    """``(problem, point, step, gradient, nfev)`` of the Kostyrka default step everywhere."""
    method = get_method(scheme, order=order, step_rule="kostyrka")
    out = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for problem in list_problems(include_noisy=True):
            for i, point in enumerate(problem.points):
                est = method.gradient(problem.function, np.asarray(point, dtype=float))
                step = np.asarray(est.step, dtype=float)
                out.append((problem.name, i, step.tobytes(), est.value.tobytes(), est.nfev))
    return out


def _recording(fit: Any, calls: list[tuple]) -> Any:
    def recorded(log_h: np.ndarray, log_t: np.ndarray, p: int) -> float:
        vertex = fit(log_h, log_t, p)
        calls.append((log_h.tobytes(), log_t.tobytes(), p, vertex))
        return vertex

    return recorded


@pytest.mark.parametrize(
    ("scheme", "order"), [(s, p) for s, orders in STENCILS for p in orders]
)  # fmt: skip
def test_kostyrka_steps_values_and_nfev_are_those_of_the_reference_fit(
    scheme: str, order: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_calls: list[tuple] = []
    old_calls: list[tuple] = []
    monkeypatch.setattr(recent, "_fit_vertex", _recording(recent._fit_vertex, new_calls))
    new = _kostyrka_gradients(scheme, order)
    monkeypatch.setattr(recent, "_fit_vertex", _recording(_fit_vertex_reference, old_calls))
    old = _kostyrka_gradients(scheme, order)
    assert new == old
    # the comparison reaches the fit (not only the fallbacks); every fit has the same inputs and
    # gives the same vertex
    assert new_calls
    assert new_calls == old_calls


def test_fit_vertex_ties_keep_the_first_vertex_as_the_reference_does() -> None:
    # a V sampled symmetrically about a grid point: equal losses on both sides; the first of
    # several vertices within 1e-12 of the best loss wins in both forms
    log_h = np.arange(-20.0, 21.0)
    for p in (1, 2, 4):
        for vertex in (-3.0, 0.0, 0.5, 7.25):
            log_t = np.where(log_h < vertex, vertex - log_h, p * (log_h - vertex)) + 3.0
            assert recent._fit_vertex(log_h, log_t, p) == _fit_vertex_reference(log_h, log_t, p)
        flat = np.zeros_like(log_h)  # every vertex equally bad: the first one (log_h[0])
        assert recent._fit_vertex(log_h, flat, p) == _fit_vertex_reference(log_h, flat, p)
