"""Beyond gradients, measured: hyper-dual vs numdifftools Hessians, sparse vs dense Jacobians.

Run ``python benchmarks/kinds_ratios.py``. Prints, for the extended Rosenbrock function at
n = 10 and 100, the relative error (against diffbench.truth) and time of the ``hyper-dual``
Hessian and of ``numdifftools.Hessian``; and for the discretised Bratu residual at n = 1000, the
time, nfev and error of the forward-difference Jacobian with and without its sparsity pattern.
Times are wall-clock medians of a few runs on this machine: read the ratios, not the seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

# asv imports every module of benchmarks/: the project is imported inside the functions.


def _timed(call: Callable[[], object], repeat: int = 3) -> tuple[object, float]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def rosenbrock(x: np.ndarray) -> object:
    """Extended Rosenbrock written with numpy (works on floats and hyper-duals)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def hessian_comparison(n: int, repeat: int = 3) -> dict[str, float]:
    """Hyper-dual Hessian vs ``numdifftools.Hessian`` on Rosenbrock at n: relative errors (vs
    diffbench.truth), median seconds, nfev of the hyper-dual one and the time ratio
    numdifftools / hyper-dual."""
    import numdifftools as nd

    from diffbench.battery_kinds import get_kind_problem
    from diffbench.metrics import matrix_error
    from methods import get_method

    problem = get_kind_problem(f"rosenbrock-hessian-{n}")
    x = np.array(problem.points[0])
    truth = problem.truth(x)
    hd, t_hd = _timed(lambda: get_method("hyper-dual").hessian(rosenbrock, x), repeat)
    ndh, t_nd = _timed(lambda: nd.Hessian(rosenbrock)(x), repeat=1 if n > 10 else repeat)
    return {
        "hyperdual_error": matrix_error(hd, truth)[1],
        "numdifftools_error": matrix_error(ndh, truth)[1],
        "hyperdual_seconds": t_hd,
        "numdifftools_seconds": t_nd,
        "hyperdual_nfev": hd.nfev,
        "time_ratio": t_nd / t_hd,
    }


def hessians(n: int) -> None:
    r = hessian_comparison(n)
    print(
        f"Rosenbrock n={n:>3}: hyper-dual Hessian  rel err {r['hyperdual_error']:.1e}, "
        f"{r['hyperdual_seconds'] * 1e3:8.1f} ms, nfev {r['hyperdual_nfev']}"
    )
    print(
        f"Rosenbrock n={n:>3}: numdifftools.Hessian rel err {r['numdifftools_error']:.1e}, "
        f"{r['numdifftools_seconds'] * 1e3:8.1f} ms   (ratio numdifftools/hyper-dual time "
        f"{r['time_ratio']:.1f})"
    )


def bratu_residual(n: int) -> Callable[[np.ndarray], np.ndarray]:
    h2 = float(n + 1) ** 2

    def f(u: np.ndarray) -> np.ndarray:
        padded = np.concatenate([[0.0], u, [0.0]])
        return (2.0 * u - padded[:-2] - padded[2:]) * h2 - np.exp(u)

    return f


def jacobian_comparison(n: int = 1000, repeat: int = 3) -> dict[str, float]:
    """Forward-difference Jacobian of Bratu at n with and without its sparsity pattern: nfev,
    median seconds, relative errors, the time ratio dense / sparse and whether they agree."""
    from diffbench.battery_kinds import bratu
    from diffbench.metrics import matrix_error
    from methods import get_method

    problem = bratu(n)
    x = np.array(problem.points[1])
    truth = problem.truth(x)
    f = bratu_residual(n)
    pattern = sp.diags_array([1, 1, 1], offsets=[-1, 0, 1], shape=(n, n), dtype=bool)
    m = get_method("forward")
    sparse, t_s = _timed(lambda: m.jacobian(f, x, sparsity=pattern), repeat)
    dense, t_d = _timed(lambda: m.jacobian(f, x), repeat)
    return {
        "sparse_nfev": sparse.nfev,
        "dense_nfev": dense.nfev,
        "sparse_seconds": t_s,
        "dense_seconds": t_d,
        "sparse_error": matrix_error(sparse, truth)[1],
        "dense_error": matrix_error(dense, truth)[1],
        "time_ratio": t_d / t_s,
        "identical": bool(np.array_equal(sparse.value.toarray(), dense.value)),
    }


def jacobians(n: int = 1000) -> None:
    r = jacobian_comparison(n)
    for label in ("sparse", "dense"):
        print(
            f"Bratu n={n}: forward {label:<6} Jacobian nfev {r[label + '_nfev']:>5}, "
            f"{r[label + '_seconds'] * 1e3:8.1f} ms, rel err {r[label + '_error']:.1e}"
        )
    print(
        f"Bratu n={n}: dense/sparse time ratio {r['time_ratio']:.0f}, results identical: "
        f"{r['identical']}"
    )


if __name__ == "__main__":
    hessians(10)
    hessians(100)
    jacobians(1000)
