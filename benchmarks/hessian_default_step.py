"""FD Hessians: the error at the default step against the best swept step (README, issue 13).

Run ``python benchmarks/hessian_default_step.py [step_rule] [--extra K]`` (default: the default
rule, ``guarded``; ``relative`` gives the a-priori step). For forward and backward at orders 1-6 and
central at orders 2, 4, 6, 8, at every point of the smooth Hessian problems of
``diffbench/battery_kinds.py`` (:data:`PROBLEMS`), it prints the relative error of
``hessian(f, x)`` at the default step, the smallest error over the relative steps ``1e-1 ...
1e-13`` (4 per decade, ``h_i = t max(1, |x_i|)`` as in the sweep), their ratio and the extra
evaluations the rule spent (``nfev`` minus the stencil's), then how many of the cases are within
10x of the best. Errors below :data:`FLOOR` count as :data:`FLOOR`. Runs in about half a minute.

The best swept error is the smallest of 49 draws of rounding error where rounding dominates, so
one step whose rounding errors happen to cancel can set it far below its neighbours: each row
also gives the ratio to the second-smallest swept error (``ratio2``), which one such step cannot
move. ``--extra K`` adds ``K`` points per problem (:func:`extra_points`, seeded: the same points
on every run) to the battery's, so the count is not tuned to seven points.
"""

from __future__ import annotations

import argparse
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


def extra_points(points: Any, k: int, seed: int = 20261130) -> list[np.ndarray]:
    """``k`` points near the battery's: each a battery point moved by up to 20 % of its scale.

    Every coordinate ``x_i`` moves by a uniform fraction in ``[-0.2, 0.2]`` of ``max(1, |x_i|)``
    (seeded, so every run measures the same points), cycling through the battery's points.
    """
    rng = np.random.default_rng(seed)
    base = [np.asarray(x, dtype=float) for x in points]
    out = []
    for i in range(k):
        x = base[i % len(base)]
        out.append(x + rng.uniform(-0.2, 0.2, x.size) * np.maximum(1.0, np.abs(x)))
    return out


def cases(
    problems: tuple[str, ...] = PROBLEMS, extra: int = 0
) -> Iterator[tuple[str, Any, np.ndarray, Any]]:
    """``(problem name, f, x, exact Hessian)`` at every point of ``problems`` (and ``extra``
    points more per problem, :func:`extra_points`)."""
    from diffbench.battery_kinds import get_kind_problem

    for name in problems:
        p = get_kind_problem(name)
        points = [np.asarray(x, dtype=float) for x in p.points]
        for x in points + extra_points(points, extra):
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
    best, second = (max(float(e), FLOOR) for e in np.sort(errs)[:2])
    error = max(default, FLOOR) if np.isfinite(default) else np.inf
    return dict(error=error, best=best, best_step=STEPS[k], ratio=error / best,
                ratio2=error / second, extra=est.nfev - stencil_nfev(method, f, x))  # fmt: skip


def measure(
    rule: str = "guarded", problems: tuple[str, ...] = PROBLEMS, extra: int = 0
) -> list[dict[str, Any]]:
    """One row per (scheme, order, problem, point)."""
    rows = []
    for name, f, x, truth in cases(problems, extra):
        for scheme, orders in STENCILS:
            for order in orders:
                row = one_case(scheme, order, rule, f, x, truth)
                rows.append(dict(scheme=scheme, order=order, problem=name, x=tuple(x), **row))
    return rows


def main(rule: str = "guarded", extra: int = 0) -> None:
    """Print one line per case and the counts within 10x."""
    rows = measure(rule, extra=extra)
    print(f"step_rule={rule!r}, {extra} extra points per problem")
    print("| config | problem | x | default error | best error | best step | ratio | ratio2 |"
          " extra nfev |\n|---|---|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for r in rows:
        x = ", ".join(f"{v:.4g}" for v in r["x"][:2]) + (", ..." if len(r["x"]) > 2 else "")
        print(f"| {r['scheme']}({r['order']}) | {r['problem']} | ({x}) | {r['error']:.2e} | "
              f"{r['best']:.2e} | {r['best_step']:.1e} | {r['ratio']:.3g} | "
              f"{r['ratio2']:.3g} | {r['extra']} |")  # fmt: skip
    ok = sum(r["ratio"] <= 10.0 for r in rows)
    ok2 = sum(r["ratio2"] <= 10.0 for r in rows)
    print(f"\nwithin 10x of the best swept step: {ok} of {len(rows)}")
    print(f"within 10x of the second-best swept step: {ok2} of {len(rows)}")
    for scheme, orders in STENCILS:
        for order in orders:
            mine = [r for r in rows if (r["scheme"], r["order"]) == (scheme, order)]
            ratios = [r["ratio"] for r in mine]
            print(f"{scheme}({order}): {sum(q <= 10 for q in ratios)}/{len(mine)} within 10x, "
                  f"median ratio {np.median(ratios):.3g}, worst {max(ratios):.3g}, "
                  f"median extra nfev {np.median([r['extra'] for r in mine]):.0f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rule", nargs="?", default="guarded", help="step_rule of the methods")
    parser.add_argument("--extra", type=int, default=0, help="more points per problem")
    args = parser.parse_args()
    if args.extra < 0:
        parser.error(f"--extra must be >= 0, got {args.extra}")
    main(args.rule, args.extra)
