"""Peak memory of every vectorized method on Rosenbrock in n dimensions, each in a fresh process.

Usage (from the repository root)::

    .venv/bin/python benchmarks/peak_memory.py              # n = 10000, the default budget
    .venv/bin/python benchmarks/peak_memory.py 5000 --max-batch-bytes 268435456

Each configuration runs in its own subprocess (``python benchmarks/peak_memory.py --child LABEL
N``), which computes one gradient at ``x = (-1.2, 1, -1.2, 1, ...)`` and exits; the parent reads
the peak resident set size the child reports of itself at its end
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, kilobytes on Linux; one child per process, so it
is that configuration's peak) and prints it with the number of evaluations and the largest
relative error against the exact gradient. The baseline line is a child that only imports and
builds ``x``. Nothing
here is an assertion: memory is measured, never tested (it depends on the machine).

The vectorized configurations are those whose ``f`` receives ``(m, n)`` arrays: the finite
differences, ``richardson`` and ``complex-step`` with ``vectorized=True``, ``numpy-gradient``
with ``vectorized=True``, and ``scipy-derivative`` (always vectorized).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

#: (label, registered name, settings) of every vectorized configuration measured.
CONFIGS = (
    ("forward(vectorized)", "forward", {"vectorized": True}),
    ("central(vectorized)", "central", {"vectorized": True}),
    ("central(order=8, vectorized)", "central", {"order": 8, "vectorized": True}),
    ("richardson(vectorized)", "richardson", {"vectorized": True}),
    ("complex-step(vectorized)", "complex-step", {"vectorized": True}),
    ("numpy-gradient(vectorized)", "numpy-gradient", {"vectorized": True}),
    ("scipy-derivative(order=8)", "scipy-derivative", {"order": 8}),
)


def rosenbrock(x):  # noqa: ANN001, ANN201 - any array type: real, complex, (n,) or (m, n)
    """Extended Rosenbrock along the last axis, numpy-vectorized."""
    a, b = x[..., :-1], x[..., 1:]
    return (100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2).sum(axis=-1)


def rosenbrock_gradient(x):  # noqa: ANN001, ANN201
    """Exact gradient of :func:`rosenbrock` at a point of shape (n,)."""
    import numpy as np

    g = np.zeros_like(x)
    a, b = x[:-1], x[1:]
    g[:-1] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[1:] += 200.0 * (b - a * a)
    return g


def child(label: str, n: int, budget: int | None) -> None:
    """Run one configuration and print nfev and the largest relative error."""
    import numpy as np

    from methods import get_method
    from methods.batching import set_max_batch_bytes

    x = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    if label == "baseline":
        print(f"nfev=0 err=0 peak_kb={_peak_kb()}")
        return
    if budget is not None:
        set_max_batch_bytes(budget)
    name, settings = next((nm, s) for lab, nm, s in CONFIGS if lab == label)
    est = get_method(name, **settings).gradient(rosenbrock, x)
    truth = rosenbrock_gradient(x)
    err = float(np.max(np.abs(est.value - truth)) / np.max(np.abs(truth)))
    print(f"nfev={est.nfev} err={err:.2e} peak_kb={_peak_kb()}")


def _peak_kb() -> int:
    """This process's peak resident set size in kB (``ru_maxrss``: kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(label: str, n: int, budget: int | None) -> tuple[float, float, str]:
    """Peak RSS (MB) and wall time (s) of a fresh child running ``label``, and its output."""
    cmd = [sys.executable, __file__, "--child", label, str(n)]
    if budget is not None:
        cmd += ["--max-batch-bytes", str(budget)]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
    seconds = time.perf_counter() - start
    text, _, peak_kb = out.stdout.strip().rpartition(" peak_kb=")
    return int(peak_kb) / 1024.0, seconds, text


def main(argv: list[str] | None = None) -> None:
    """Measure every configuration (or run one, with ``--child``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000, help="dimension (10000)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--max-batch-bytes", type=int, default=None, help="memory budget")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.n, args.max_batch_bytes)
        return
    print(f"# peak RSS per configuration, Rosenbrock n={args.n}, one fresh process each")
    for label in ("baseline", *(c[0] for c in CONFIGS)):
        mb, seconds, out = measure(label, args.n, args.max_batch_bytes)
        print(f"{label:32s} n={args.n:6d} peak={mb:8.1f} MB  {seconds:6.1f} s  {out}")


if __name__ == "__main__":
    main()
