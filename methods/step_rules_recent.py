"""Two recent step rules on a grid of steps: Mathur (2012) and Kostyrka (2025, R package pnd).

Both estimate the truncation error of the stencil of order p at steps ``h_k = H 2^k`` (H a power
of 2 near the unit-scale relative step ``h0``) from a (p+1)-th difference on the nodes
``±{1, 2, 4, ..., 2^(p/2)}`` (central) or ``{0, 1, 2, 4, ..., 2^p}`` (forward; backward mirrors
it), so the nodes of neighbouring steps coincide and each new step costs 2 evaluations (central)
or 1 (one-sided). The estimate ``T(h) = |C| |D_(p+1)(h)| h^p`` (C of the error model,
docs/theory.md#error-model) follows a straight line of slope p in log-log coordinates where
truncation dominates; where the rounding (or noise) of the (p+1)-th difference dominates, it rises
again with slope -1. docs/theory.md#mathur-2012 and docs/theory.md#kostyrka-2025 say what each
rule does with this V and what it costs.

* :func:`mathur` (Mathur 2012's AutoDX, in the form of pnd's ``step.M``): halve h from
  ``H 2^12`` while the slopes of ``log T`` agree with p within 10 %; after a run of at least 5
  such slopes, the first slope that does not agree ends the search; the last step of the run,
  divided by ``t*^(1/(p+1))`` with ``t* = (1 + 2) / (1 - 2^-p)``, is the step. Without such a
  run down to ``H 2^-20``, the whole grid ``H 2^-20 .. H 2^20`` is searched as pnd does: the
  first run (from small steps) of 5 slopes within 10 %, else within 30 %.
* :func:`kostyrka` (pnd's ``step.K``): ``T`` on the whole grid ``H 2^-20 .. H 2^20``; the points
  whose local slope agrees with p within 10 % form the truncation branch, the points below it the
  rounding branch; a V with slopes -1 and p is fitted to ``log2 T`` on both branches (pseudo-Huber
  loss), and its vertex times ``(1/p)^(1/(p+1))`` is the step. When no rounding branch shows
  (the differences below the truncation branch are exactly 0, or not finite), the step is the
  minimum of the model error ``K h^p + S noise / h`` with K from the truncation branch.

Both read the noise of f from the data (it raises the left branch of the V); the ``noise`` level
enters Kostyrka's model minimum (no rounding branch) and both rules' fallback when no truncation
branch is found (a pole or the end of f's domain within reach, a polynomial of degree <= p,
``f^(p+1)(x) = 0``): the starting step ``h0``, which :func:`~methods.step_rules.choose_steps`
widens for the noise by ``(1 + noise / rounding)^(1/(p+1))``, as the error model predicts at
unit scale.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .fornberg import error_model, fornberg_weights

if TYPE_CHECKING:
    from .step_rules import Noise, _Line

__all__ = ["kostyrka", "mathur"]

#: Relative tolerance of a slope of log T against p (pnd: ``seq.tol = 0.1``).
SLOPE_TOL = 0.1
#: Mathur: the shortest run of good slopes that counts as the truncation branch (pnd: 5).
MIN_RUN = 5
#: Grid of ``H 2^k``: Mathur starts at ``k = START`` and halves down to ``k = BOTTOM`` (then,
#: if no branch was found, looks at the whole grid); Kostyrka evaluates every k in
#: ``[BOTTOM, TOP]``. The top is far above the unit-scale step (a noisy f needs large steps),
#: but the farthest probe stays within ``max(1, |x_i|)`` of ``x_i``.
START, TOP, BOTTOM = 12, 20, -20
#: Mathur's looser slope tolerance on the whole grid (pnd: ``min(3 seq.tol, 0.5)``).
OKAY_TOL = 0.3


@lru_cache(maxsize=64)
def _probe(scheme: str, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (powers of 2) and weights of the (p+1)-th difference used to estimate T."""
    if scheme == "central":
        half = [2**j for j in range(order // 2 + 1)]
        nodes = [-s for s in reversed(half)] + half
    else:
        nodes = [0] + [2**j for j in range(order + 1)]
        if scheme == "backward":
            nodes = [-s for s in nodes]
    weights = fornberg_weights([Fraction(s) for s in nodes], order + 1)
    return np.array(nodes, dtype=float), np.array([float(w) for w in weights])


class _Grid:
    """``log2 T(H 2^k)`` on demand; each value of f is evaluated once (counted in ``nfev``)."""

    def __init__(self, line: _Line, h0: float, scheme: str, order: int) -> None:
        self.line, self.scheme, self.order = line, scheme, order
        self.H = 2.0 ** round(math.log2(h0))
        self.nodes, self.weights = _probe(scheme, order)
        self.c = abs(float(error_model(scheme, 1, order).truncation))
        self.values: dict[float, float] = {}
        # the farthest probe stays within max(1, |x_i|) of x (f may not exist farther away)
        scale = max(1.0, abs(float(line.x[line.i])))
        reach = scale / (self.H * float(np.max(np.abs(self.nodes))))
        self.top = int(min(TOP, math.floor(math.log2(reach))))

    def f(self, shifts: np.ndarray) -> np.ndarray:
        missing = [s for s in dict.fromkeys(shifts.tolist()) if s not in self.values]
        if missing:
            self.values.update(zip(missing, self.line.at(np.array(missing)).tolist(), strict=True))
        return np.array([self.values[s] for s in shifts.tolist()])

    def log_t(self, ks: np.ndarray) -> np.ndarray:
        """``log2 T`` at ``H 2^k`` for every k (NaN where it is not finite and positive)."""
        hs = self.H * 2.0 ** np.asarray(ks, dtype=float)
        v = self.f((hs[:, None] * self.nodes[None, :]).ravel()).reshape(hs.size, -1)
        with np.errstate(all="ignore"):
            t = self.c * np.abs(v @ self.weights) / hs
            out = np.log2(t)
        out[~np.isfinite(out)] = math.nan
        return out


def _fallback(h0: float) -> float:
    """No truncation branch: the unit-scale step ``h0`` (already widened for the noise)."""
    return h0


def _model_minimum(grid: _Grid, log_h: np.ndarray, log_t: np.ndarray, noise: Noise) -> float:
    """Minimiser of the model error: the truncation branch ``K h^p`` plus ``S noise / h``."""
    from .step_rules import model_step  # step_rules imports this module

    k = float(np.median(2.0 ** (log_t - grid.order * log_h)))  # T = K h^p = |C f^(p+1)| h^p
    level = noise.of(float(grid.f(np.zeros(1))[0]))
    return model_step(grid.scheme, grid.order, level, k / grid.c)


def _good(slope: float, p: int, tol: float = SLOPE_TOL) -> bool:
    return bool(np.isfinite(slope) and abs(slope - p) <= tol * p)


def _first_run(slopes: np.ndarray, p: int, tol: float) -> int | None:
    """Index of the first (smallest-step) slope of the first run of ``MIN_RUN`` good slopes."""
    start = None
    for i, slope in enumerate(slopes):
        if not _good(float(slope), p, tol):
            start = None
            continue
        start = i if start is None else start
        if i - start + 1 >= MIN_RUN:
            return start
    return None


def mathur(line: _Line, h0: float, scheme: str, order: int, noise: Noise) -> float:
    """Mathur's AutoDX step (pnd ``step.M``), generalised to every scheme and order."""
    grid = _Grid(line, h0, scheme, order)
    p = order
    shrink = (1.0 + 2.0) / (1.0 - 2.0**-p)  # t* = (1 + t^-m) / (1 - t^p), t = 1/2, m = 1
    shrink **= 1.0 / (p + 1)
    run, last = 0, math.nan
    start = min(START, grid.top)
    previous = float(grid.log_t(np.array([start]))[0])
    for k in range(start - 1, BOTTOM - 1, -1):
        current = float(grid.log_t(np.array([k]))[0])
        slope = previous - current  # log2 T(2h) - log2 T(h) over log2(2h) - log2(h) = 1
        previous = current
        if _good(slope, p):
            run, last = run + 1, grid.H * 2.0 ** (k + 1)  # the larger step of the pair
            continue
        if run >= MIN_RUN:
            return last / shrink
        run = 0
    if run >= MIN_RUN:
        return last / shrink
    # no run on the way down: pnd's grid form on the whole grid, good slopes, then okay ones
    ks = np.arange(BOTTOM, grid.top + 1)
    slopes = np.diff(grid.log_t(ks))  # slopes[i] between H 2^ks[i] and H 2^ks[i+1]
    for tol in (SLOPE_TOL, OKAY_TOL):
        i = _first_run(slopes, p, tol)
        if i is not None:
            return grid.H * 2.0 ** float(ks[i + 1]) / shrink
    return _fallback(h0)


def _local_slopes(log_h: np.ndarray, log_t: np.ndarray) -> np.ndarray:
    """Mean of the backward and forward slopes at each finite point (pnd's local slope)."""
    slopes = np.full(log_t.size, math.nan)
    ok = np.flatnonzero(np.isfinite(log_t))
    if ok.size < 3:
        return slopes
    back = np.diff(log_t[ok]) / np.diff(log_h[ok])
    mid = 0.5 * (back[:-1] + back[1:])
    slopes[ok] = np.concatenate([[back[0]], mid, [back[-1]]])
    return slopes


def _longest_run(index: np.ndarray) -> np.ndarray:
    if index.size == 0:
        return index
    runs = np.split(index, np.flatnonzero(np.diff(index) != 1) + 1)
    return max(runs, key=len)


def _fit_vertex(log_h: np.ndarray, log_t: np.ndarray, p: int) -> float:
    """log2 h of the vertex of the V (slopes -1, p) that fits ``log_t`` best (pseudo-Huber).

    Every candidate vertex (a grid of 1/16 in log2 h) is scored at once, one row each: the
    row-wise medians and means give the values the one-vertex-at-a-time form gives, and the
    first vertex whose loss is lower than the best so far by more than 1e-12 wins as there.
    """
    thetas = np.arange(log_h.min(), log_h.max() + 1e-9, 1.0 / 16.0)
    dist = log_h[None, :] - thetas[:, None]
    shape = np.where(log_h[None, :] < thetas[:, None], -dist, p * dist)
    resid = log_t[None, :] - shape
    resid = resid - np.median(resid, axis=1, keepdims=True)  # the best height, robustly
    r = np.maximum(np.median(np.abs(resid), axis=1, keepdims=True), 1e-6)
    losses = np.mean(r * r * (np.sqrt(1.0 + (resid / r) ** 2) - 1.0), axis=1)
    best, vertex = math.inf, float(log_h[0])
    for theta, loss in zip(thetas.tolist(), losses.tolist(), strict=True):
        if loss < best - 1e-12:
            best, vertex = loss, theta
    return vertex


def kostyrka(line: _Line, h0: float, scheme: str, order: int, noise: Noise) -> float:
    """Kostyrka's kink-based step (pnd ``step.K``), generalised to every scheme and order."""
    grid = _Grid(line, h0, scheme, order)
    p = order
    ks = np.arange(BOTTOM, grid.top + 1)
    log_h = math.log2(grid.H) + ks.astype(float)
    log_t = grid.log_t(ks)
    slopes = _local_slopes(log_h, log_t)
    valid = np.flatnonzero(np.abs(slopes - p) < SLOPE_TOL * p)
    valid = np.unique(np.clip(np.concatenate([valid - 1, valid, valid + 1]), 0, ks.size - 1))
    valid = valid[np.isfinite(log_t[valid])]
    if valid.size > 2:  # the added ends may have the wrong sign inside the run
        inner = valid[1:-1]
        valid = np.setdiff1d(valid, inner[slopes[inner] < 0])
    valid = _longest_run(valid)
    if valid.size < MIN_RUN:
        return _fallback(h0)
    below = np.arange(valid[0])
    below = below[np.isfinite(log_t[below])]
    if below.size < 2:  # no rounding branch on the grid (the estimates below are exactly 0)
        return _model_minimum(grid, log_h[valid], log_t[valid], noise)
    subset = np.concatenate([below, valid])
    vertex = _fit_vertex(log_h[subset], log_t[subset], p)
    return float(2.0**vertex * (1.0 / p) ** (1.0 / (p + 1)))
