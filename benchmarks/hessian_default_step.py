"""FD Hessians: the error at the default step against the best swept step (README, issue 13).

Run ``python benchmarks/hessian_default_step.py [step_rule]`` (default: the default rule,
``guarded``; ``relative`` gives the a-priori step). For forward and backward at orders 1-6 and
central at orders 2, 4, 6, 8, at every point of the smooth Hessian problems of
``diffbench/battery_kinds.py`` (:data:`PROBLEMS`), it prints the relative error of
``hessian(f, x)`` at the default step, the smallest error over the relative steps ``1e-1 ...
1e-13`` (4 per decade, ``h_i = t max(1, |x_i|)`` as in the sweep), their ratio and the extra
evaluations the rule spent (``nfev`` minus the stencil's), then how many of the cases are within
10x of the best. Errors below :data:`FLOOR` count as :data:`FLOOR`. Runs in about half a minute.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

# asv imports every module of benchmarks/: the project is imported inside the functions.

#: The smooth Hessian problems of diffbench/battery_kinds.py the goal is measured on.
PROBLEMS = ("rosenbrock-hessian-2", "rosenbrock-hessian-10", "loglik-scales", "near-singular")

#: (scheme, orders) measured.
STENCILS = (("forward", (1, 2, 3, 4, 5, 6)), ("backward", (1, 2, 3, 4, 5, 6)),
            ("central", (2, 4, 6, 8)))  # fmt: skip

#: The swept relative steps: 1e-1 to 1e-13, 4 per decade (49 steps).
STEPS = tuple(10.0 ** (-1.0 - k / 4.0) for k in range(49))

#: Errors below this count as equal (an exact 0 cannot be told from 1e-16 by a ratio).
FLOOR = 1e-15


def cases(problems: tuple[str, ...] = PROBLEMS) -> Iterator[tuple[str, Any, np.ndarray, Any]]:
    """``(problem name, f, x, exact Hessian)`` at every point of ``problems``."""
    from diffbench.battery_kinds import get_kind_problem

    for name in problems:
        p = get_kind_problem(name)
        for x in p.points:
            x = np.asarray(x, dtype=float)
            yield name, p.function(), x, np.asarray(p.truth(x), dtype=float)


def stencil_nfev(method: Any, f: Any, x: np.ndarray) -> int:
    """Evaluations of the Hessian stencil alone (at an explicit step)."""
    return method.hessian(f, x, step=1e-3 * np.maximum(1.0, np.abs(x))).nfev


def one_case(
    scheme: str, order: int, rule: str, f: Any, x: np.ndarray, truth: Any, vectorized: bool = True
) -> dict:
    """Error at the default step, best swept error and step, and extra evaluations of one case.

    ``vectorized`` only makes it faster: the values and ``nfev`` are those of one call per point.
    """
    from diffbench.metrics import matrix_error
    from diffbench.steps import step_at
    from methods import get_method

    method = get_method(scheme, order=order, step_rule=rule, vectorized=vectorized)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = method.hessian(f, x)
        default = matrix_error(est, truth)[1]
        swept = [matrix_error(method.hessian(f, x, step=step_at(t, x)), truth)[1] for t in STEPS]
    errs = np.where(np.isfinite(swept), swept, np.inf)
    k = int(np.argmin(errs))
    best = max(float(errs[k]), FLOOR)
    error = max(default, FLOOR) if np.isfinite(default) else np.inf
    return dict(error=error, best=best, best_step=STEPS[k], ratio=error / best,
                extra=est.nfev - stencil_nfev(method, f, x))  # fmt: skip


def measure(rule: str = "guarded", problems: tuple[str, ...] = PROBLEMS) -> list[dict[str, Any]]:
    """One row per (scheme, order, problem, point)."""
    rows = []
    for name, f, x, truth in cases(problems):
        for scheme, orders in STENCILS:
            for order in orders:
                row = one_case(scheme, order, rule, f, x, truth)
                rows.append(dict(scheme=scheme, order=order, problem=name, x=tuple(x), **row))
    return rows


def main(rule: str = "guarded") -> None:
    """Print one line per case and the count within 10x."""
    rows = measure(rule)
    print(f"step_rule={rule!r}")
    print("| config | problem | x | default error | best error | best step | ratio | extra nfev |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        x = ", ".join(f"{v:.4g}" for v in r["x"][:2]) + (", ..." if len(r["x"]) > 2 else "")
        print(f"| {r['scheme']}({r['order']}) | {r['problem']} | ({x}) | {r['error']:.2e} | "
              f"{r['best']:.2e} | {r['best_step']:.1e} | {r['ratio']:.3g} | "
              f"{r['extra']} |")  # fmt: skip
    ok = sum(r["ratio"] <= 10.0 for r in rows)
    print(f"\nwithin 10x of the best swept step: {ok} of {len(rows)}")
    for scheme, orders in STENCILS:
        for order in orders:
            mine = [r for r in rows if (r["scheme"], r["order"]) == (scheme, order)]
            ratios = [r["ratio"] for r in mine]
            print(f"{scheme}({order}): {sum(q <= 10 for q in ratios)}/{len(mine)} within 10x, "
                  f"median ratio {np.median(ratios):.3g}, worst {max(ratios):.3g}, "
                  f"median extra nfev {np.median([r['extra'] for r in mine]):.0f}")  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:2])
