"""Default steps measured: every step rule against the battery (README "Step selection").

Run ``python benchmarks/step_rules.py``. For central orders 2, 4, 6, 8 and forward orders 1, 2, 4
and every step rule (``relative``, the unit-scale rule that was the default; ``guarded``, the
default now; the six rules from the literature), evaluates the default-step gradient at every
point of the battery (``diffbench.problems.list_problems()``, truth from
``problem.exact_gradient``) and prints per rule and order: median and worst relative error, the
median extra evaluations per point (``nfev`` minus the stencil's), and on how many points the
error is more than 10x that of the same rule's lowest order (central(2), forward(1)) — or is
non-finite where the lowest order's is finite. Runs in a few seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

# asv imports every module of benchmarks/: the project is imported inside the functions.

#: Rules compared, the unit-scale rule and the default first.
RULES = (
    "relative",
    "guarded",
    "curtis-reid",
    "dumontet-vignes",
    "stepleman-winarsky",
    "gmsw",
    "mathur",
    "kostyrka",
)

#: Errors below this count as equal: an exact 0 of the lowest order (central(2) on a quadratic)
#: cannot be matched by a stencil whose weights round. It is 1/250 of the rounding error of
#: central(2) at its unit-scale step (about eps / 8.7e-6 = 2.5e-11).
FLOOR = 1e-13

#: (scheme, orders), the lowest order first: it is the reference of the "10x worse" count.
STENCILS = (("central", (2, 4, 6, 8)), ("forward", (1, 2, 4)))


def battery_points(first: int | None = None) -> Iterator[tuple[str, Any, np.ndarray, np.ndarray]]:
    """``(problem, f, x, exact gradient)`` at every point (the first ``first`` per problem)."""
    from diffbench.problems import list_problems

    for problem in list_problems():
        for x in list(problem.points)[:first]:
            x = np.asarray(x, dtype=float)
            truth = np.asarray(problem.exact_gradient(x), dtype=float)
            yield problem.name, problem.function, x, truth


def default_error(scheme: str, order: int, rule: str, f: Any, x: np.ndarray, truth: Any):
    """``(relative error, extra evaluations)`` of the default-step gradient, or None if refused."""
    from diffbench.metrics import gradient_error
    from methods import get_method

    try:
        method = get_method(scheme, order=order, step_rule=rule)
    except ValueError:
        return None  # the rule does not serve this stencil (gmsw: forward order 1 only)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = method.gradient(f, x)
    stencil = x.size * order + (scheme != "central")
    return gradient_error(est, truth)[1], est.nfev - stencil


def worse_than_lowest(err: float, lowest: float, factor: float = 10.0) -> bool:
    """Whether ``err`` is more than ``factor`` times ``lowest`` (non-finite counts as worse)."""
    if not np.isfinite(lowest):
        return False  # nothing to be worse than
    return not np.isfinite(err) or err > factor * max(lowest, FLOOR)


def measure(first: int | None = None) -> list[dict[str, Any]]:
    """One row per (scheme, order, rule, point): name, error and extra evaluations."""
    rows = []
    for name, f, x, truth in battery_points(first):
        for scheme, orders in STENCILS:
            for rule in RULES:
                for order in orders:
                    got = default_error(scheme, order, rule, f, x, truth)
                    if got is not None:
                        rows.append(
                            dict(problem=name, x=tuple(x), scheme=scheme, order=order,
                                 rule=rule, error=got[0], extra=got[1])
                        )  # fmt: skip
    return rows


def _row(scheme: str, rule: str, order: int, mine: list, lowest: dict, smooth: set) -> dict:
    errs = np.array([r["error"] for r in mine])
    worse = sum(
        worse_than_lowest(r["error"], lowest.get((scheme, rule, r["problem"], r["x"]), np.nan))
        for r in mine
    )
    sm = [r["error"] for r in mine if r["problem"] in smooth]
    return {
        "scheme": scheme,
        "rule": rule,
        "order": order,
        "points": len(mine),
        "median": float(np.nanmedian(errs)),
        "worst": float(np.max(np.where(np.isfinite(errs), errs, np.inf))),
        "smooth_median": float(np.median(sm)) if sm else np.nan,
        "extra": float(np.median([r["extra"] for r in mine])),
        "worse_10x": int(worse),
    }


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (scheme, rule, order): median/worst error, median extra nfev, count 10x worse."""
    from diffbench.problems import list_problems

    smooth = {p.name for p in list_problems() if "smooth" in p.tags}
    first = dict(STENCILS)
    lowest = {
        (r["scheme"], r["rule"], r["problem"], r["x"]): r["error"]
        for r in rows
        if r["order"] == first[r["scheme"]][0]
    }
    out = []
    for scheme, orders in STENCILS:
        for rule in RULES:
            for order in orders:
                key = (scheme, rule, order)
                mine = [r for r in rows if (r["scheme"], r["rule"], r["order"]) == key]
                if mine:
                    out.append(_row(scheme, rule, order, mine, lowest, smooth))
    return out


def main() -> None:
    """Print the summary table (Markdown)."""
    print("| scheme | rule | order | median | worst | median (smooth) | extra nfev | >10x worse |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for s in summary(measure()):
        print(
            f"| {s['scheme']} | {s['rule']} | {s['order']} | {s['median']:.1e} | {s['worst']:.1e} "
            f"| {s['smooth_median']:.1e} | {s['extra']:.0f} | {s['worse_10x']}/{s['points']} |"
        )


if __name__ == "__main__":
    main()
