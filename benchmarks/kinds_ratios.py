"""Beyond gradients, measured in one run: Hessians against their peers, batched against per-point
finite-difference Hessians, sparse against dense Jacobians (ours and scipy's).

Run ``python benchmarks/kinds_ratios.py``. It prints, on the extended Rosenbrock function at
n = 10 and 100 (``scipy.optimize.rosen``'s formula, written without ``np.asarray`` so that it
takes hyper-dual numbers; checked equal to ``scipy.optimize.rosen`` at the point):

- the ``hyper-dual`` Hessian against ``numdifftools.Hessian``, ``autograd.hessian``,
  ``jax.hessian`` and ``jax.jit(jax.hessian)`` (float64): relative error against diffbench.truth,
  median time, and the time ratios;
- the ``central`` finite-difference Hessian with ``vectorized=True`` (stencil points in batches)
  against one call of ``f`` per point: time ratio, nfev, and whether the values are bit-identical;

and, on the discretised Bratu residual at n = 1000, the forward-difference Jacobian with and
without its sparsity pattern, ours and scipy's (``scipy.optimize._numdiff.approx_derivative``),
side by side. A peer that is not installed is reported as such (ratios NaN).

Times are wall-clock medians of 3 to 7 runs (numdifftools at n = 100: one) on this machine: read
the ratios, not the seconds.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

# asv imports every module of benchmarks/: the project is imported inside the functions.

NAN = float("nan")


def _timed(call: Callable[[], object], repeat: int = 3) -> tuple[object, float]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def rosenbrock(x: Any, xp: Any = np) -> Any:
    """Extended Rosenbrock (``scipy.optimize.rosen``'s formula) with the numpy namespace ``xp``.

    Works on floats, hyper-dual numbers, autograd and JAX arrays, and on a batch of points
    ``x`` of shape ``(m, n)`` (one value per row): the same function for every method.
    """
    return xp.sum(100.0 * (x[..., 1:] - x[..., :-1] ** 2.0) ** 2.0 + (1 - x[..., :-1]) ** 2.0,
                  axis=-1)  # fmt: skip


@contextlib.contextmanager
def _jax_x64(jax: Any) -> Iterator[None]:
    if hasattr(jax, "enable_x64"):
        with jax.enable_x64(True):
            yield
    else:  # older JAX: the process-wide switch
        jax.config.update("jax_enable_x64", True)
        yield


def _peer_hessians(x: np.ndarray, repeat: int) -> dict[str, tuple[Any, float]]:
    """Hessians of Rosenbrock at ``x`` by autograd and JAX (eager and jit): (value, seconds)."""
    out: dict[str, tuple[Any, float]] = {}
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        pass
    else:
        ah = autograd.hessian(lambda v: rosenbrock(v, anp))
        ah(x)
        out["autograd"] = _timed(lambda: np.asarray(ah(x)), repeat)
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return out
    with _jax_x64(jax):
        xj = jnp.asarray(x, dtype=jnp.float64)
        eager = jax.hessian(lambda v: rosenbrock(v, jnp))
        np.asarray(eager(xj))
        out["jax"] = _timed(lambda: np.asarray(eager(xj)), repeat)
        jitted = jax.jit(jax.hessian(lambda v: rosenbrock(v, jnp)))
        np.asarray(jitted(xj))  # compiled here, not timed
        out["jax_jit"] = _timed(lambda: np.asarray(jitted(xj)), max(repeat, 10))
    return out


def hessian_comparison(n: int, repeat: int = 3) -> dict[str, Any]:
    """The hyper-dual Hessian of Rosenbrock at n against numdifftools, autograd and JAX.

    Returns relative errors (against diffbench.truth) and median seconds per method
    (``<name>_error``, ``<name>_seconds`` for hyperdual, numdifftools, autograd, jax, jax_jit;
    NaN for a peer that is not installed), the hyper-dual nfev, ``time_ratio`` = numdifftools /
    hyper-dual time, and ``over_<peer>`` = hyper-dual / peer time (below 1: ours is faster).
    """
    import numdifftools as nd
    from scipy.optimize import rosen

    from diffbench.battery_kinds import get_kind_problem
    from diffbench.metrics import matrix_error
    from methods import get_method

    problem = get_kind_problem(f"rosenbrock-hessian-{n}")
    x = np.array(problem.points[0])
    if rosenbrock(x) != rosen(x):
        raise AssertionError("the benchmark's Rosenbrock differs from scipy.optimize.rosen")
    truth = problem.truth(x)
    hd, t_hd = _timed(lambda: get_method("hyper-dual").hessian(rosenbrock, x), repeat)
    timed = {"hyperdual": (hd, t_hd)}
    timed["numdifftools"] = _timed(lambda: nd.Hessian(rosenbrock)(x), 1 if n > 10 else repeat)
    timed.update(_peer_hessians(x, repeat))
    out: dict[str, Any] = {"hyperdual_nfev": hd.nfev}
    for name in ("hyperdual", "numdifftools", "autograd", "jax", "jax_jit"):
        value, seconds = timed.get(name, (None, NAN))
        out[f"{name}_error"] = NAN if value is None else matrix_error(value, truth)[1]
        out[f"{name}_seconds"] = seconds
        if name != "hyperdual":
            out[f"over_{name}"] = t_hd / seconds
    out["time_ratio"] = out["numdifftools_seconds"] / t_hd
    return out


_HESSIAN_LABELS = {
    "hyperdual": "hyper-dual (ours)",
    "numdifftools": "numdifftools.Hessian",
    "autograd": "autograd.hessian",
    "jax": "jax.hessian",
    "jax_jit": "jax.jit(jax.hessian)",
}


def hessians(n: int, repeat: int = 7) -> dict[str, Any]:
    r = hessian_comparison(n, repeat)
    print(f"Rosenbrock n={n}, Hessian (rel err against the exact Hessian, median time):")
    for name, label in _HESSIAN_LABELS.items():
        seconds = r[f"{name}_seconds"]
        if math.isnan(seconds):
            print(f"  {label:<22} not installed")
            continue
        ratio = "" if name == "hyperdual" else f"  ours/this {r[f'over_{name}']:9.3g}"
        print(f"  {label:<22} rel err {r[f'{name}_error']:.1e}  {seconds * 1e3:10.3f} ms{ratio}")
    print(f"  hyper-dual nfev {r['hyperdual_nfev']}; numdifftools/ours {r['time_ratio']:.0f}x")
    return r


def fd_hessian_comparison(n: int, repeat: int = 3) -> dict[str, Any]:
    """``central`` FD Hessian of Rosenbrock at n: ``vectorized=True`` against one call per point.

    Returns median seconds of each, their nfev, ``time_ratio`` = per-point / vectorized time,
    ``identical`` (values equal bit for bit) and the relative error against diffbench.truth.
    """
    from diffbench.battery_kinds import get_kind_problem
    from diffbench.metrics import matrix_error
    from methods import get_method

    problem = get_kind_problem(f"rosenbrock-hessian-{n}")
    x = np.array(problem.points[0])
    # the a-priori step (one Hessian's points): the paths' speed, not the step search's
    rule = "relative"
    loop, t_loop = _timed(
        lambda: get_method("central", step_rule=rule).hessian(rosenbrock, x), repeat
    )
    vec, t_vec = _timed(
        lambda: get_method("central", step_rule=rule, vectorized=True).hessian(rosenbrock, x),
        repeat,
    )
    return {
        "loop_seconds": t_loop,
        "vectorized_seconds": t_vec,
        "loop_nfev": loop.nfev,
        "vectorized_nfev": vec.nfev,
        "time_ratio": t_loop / t_vec,
        "identical": bool(np.array_equal(loop.value, vec.value)),
        "error": matrix_error(vec, problem.truth(x))[1],
    }


def fd_hessians(n: int, repeat: int = 5) -> dict[str, Any]:
    r = fd_hessian_comparison(n, repeat)
    print(
        f"Rosenbrock n={n}, central FD Hessian: one call per point {r['loop_seconds'] * 1e3:.1f} "
        f"ms, vectorized {r['vectorized_seconds'] * 1e3:.1f} ms (per-point/vectorized "
        f"{r['time_ratio']:.1f}x); nfev {r['loop_nfev']} and {r['vectorized_nfev']}, values "
        f"identical: {r['identical']}, rel err {r['error']:.1e}"
    )
    return r


def bratu_residual(n: int) -> Callable[[np.ndarray], np.ndarray]:
    h2 = float(n + 1) ** 2

    def f(u: np.ndarray) -> np.ndarray:
        padded = np.concatenate([[0.0], u, [0.0]])
        return (2.0 * u - padded[:-2] - padded[2:]) * h2 - np.exp(u)

    return f


class _Counted:
    def __init__(self, f: Callable) -> None:
        self.f, self.nfev = f, 0

    def __call__(self, x: np.ndarray) -> Any:
        self.nfev += 1
        return self.f(x)


def jacobian_comparison(n: int = 1000, repeat: int = 3) -> dict[str, Any]:
    """Forward-difference Jacobian of Bratu at n with and without its sparsity pattern, ours and
    scipy's: nfev, median seconds, relative errors, ``time_ratio`` = dense / sparse time (ours),
    ``scipy_time_ratio`` (scipy's), and whether sparse and dense agree bit for bit."""
    from scipy.optimize._numdiff import approx_derivative

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
    count_s, count_d = _Counted(f), _Counted(f)
    sp_sparse, ts_s = _timed(
        lambda: approx_derivative(count_s, x, method="2-point", sparsity=pattern), repeat
    )
    sp_dense, ts_d = _timed(lambda: approx_derivative(count_d, x, method="2-point"), repeat)
    return {
        "sparse_nfev": sparse.nfev,
        "dense_nfev": dense.nfev,
        "sparse_seconds": t_s,
        "dense_seconds": t_d,
        "sparse_error": matrix_error(sparse, truth)[1],
        "dense_error": matrix_error(dense, truth)[1],
        "time_ratio": t_d / t_s,
        "identical": bool(np.array_equal(sparse.value.toarray(), dense.value)),
        "scipy_sparse_nfev": count_s.nfev // repeat,
        "scipy_dense_nfev": count_d.nfev // repeat,
        "scipy_sparse_seconds": ts_s,
        "scipy_dense_seconds": ts_d,
        "scipy_sparse_error": matrix_error(sp.csr_matrix(sp_sparse).toarray(), truth)[1],
        "scipy_dense_error": matrix_error(np.asarray(sp_dense), truth)[1],
        "scipy_time_ratio": ts_d / ts_s,
        "scipy_identical": bool(np.array_equal(sp.csr_matrix(sp_sparse).toarray(), sp_dense)),
    }


def jacobians(n: int = 1000) -> dict[str, Any]:
    r = jacobian_comparison(n)
    print(f"Bratu n={n}, forward-difference Jacobian, sparse (coloured) and dense:")
    for who, prefix in (("ours", ""), ("scipy", "scipy_")):
        for label in ("sparse", "dense"):
            key = f"{prefix}{label}"
            print(
                f"  {who:<5} {label:<6} nfev {r[key + '_nfev']:>5}, "
                f"{r[key + '_seconds'] * 1e3:8.1f} ms, rel err {r[key + '_error']:.1e}"
            )
        print(
            f"  {who:<5} dense/sparse time {r[prefix + 'time_ratio']:.0f}x, results identical: "
            f"{r[prefix + 'identical']}"
        )
    return r


def main() -> None:
    """Every comparison, then the ratios (ours / baseline time; below 1: ours is faster)."""
    h = {n: hessians(n) for n in (10, 100)}
    fd = {n: fd_hessians(n) for n in (10, 100)}
    j = jacobians(1000)
    print("\nRatios (time of ours / time of the other; below 1: ours is faster):")
    for n in (10, 100):
        r = h[n]
        print(
            f"  n={n:<3} hyper-dual / numdifftools.Hessian {1 / r['time_ratio']:.4f} "
            f"({r['time_ratio']:.0f}x faster), / autograd.hessian {r['over_autograd']:.3f}, "
            f"/ jax.hessian {r['over_jax']:.3f}, / jax.jit(jax.hessian) {r['over_jax_jit']:.1f}"
        )
    for n in (10, 100):
        print(
            f"  n={n:<3} central FD Hessian vectorized / one call per point "
            f"{1 / fd[n]['time_ratio']:.3f} ({fd[n]['time_ratio']:.1f}x faster)"
        )
    print(
        f"  n=1000 forward Jacobian sparse / dense: ours {1 / j['time_ratio']:.4f}, scipy "
        f"{1 / j['scipy_time_ratio']:.4f}; nfev ours {j['sparse_nfev']}/{j['dense_nfev']}, scipy "
        f"{j['scipy_sparse_nfev']}/{j['scipy_dense_nfev']}"
    )


if __name__ == "__main__":
    main()
