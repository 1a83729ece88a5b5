"""Speed-up of ``workers=`` on an expensive ``f``: ``central`` at n = 8, serial against a pool.

Usage (from the repository root)::

    .venv/bin/python benchmarks/parallel_speedup.py            # workers=4, 50 ms per call
    .venv/bin/python benchmarks/parallel_speedup.py --workers 8 --sleep 0.1 --n 16

``f`` sleeps ``--sleep`` seconds per call, then returns a smooth value (a stand-in for a
simulation that waits on I/O or another program), so it parallelises beyond the number of cores.
Each configuration is timed ``--repeat`` (5) times and the best time is kept; the ``workers=k`` time
includes starting and shutting down its pool of k processes, which the call does every time. It
prints both times, their ratio, ``nfev`` and whether the values are bit-identical. Nothing here
is an assertion: time is measured, never tested (it depends on the machine and its load).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from methods import get_method

SLEEP = 0.05


def slow_function(x: np.ndarray) -> float:
    """A smooth function that takes ``SLEEP`` seconds per call (module level: it pickles)."""
    time.sleep(SLEEP)
    return float(np.sum(np.sin(x) * np.arange(1, x.size + 1)) + np.prod(np.cos(x / 3)))


def best_time(method: object, x: np.ndarray, repeat: int) -> tuple[float, object]:
    """Smallest wall time of ``repeat`` gradient calls, and the last estimate."""
    best, est = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        est = method.gradient(slow_function, x)  # type: ignore[attr-defined]
        best = min(best, time.perf_counter() - start)
    return best, est


def main(argv: list[str] | None = None) -> None:
    """Time ``central`` with ``workers=1`` and ``workers=k`` and print the comparison."""
    global SLEEP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="number of variables (default 8)")
    parser.add_argument("--workers", type=int, default=4, help="pool size (default 4)")
    parser.add_argument("--sleep", type=float, default=0.05, help="seconds per call of f")
    parser.add_argument("--repeat", type=int, default=5, help="timings per configuration")
    args = parser.parse_args(argv)
    SLEEP = args.sleep
    x = np.linspace(-1.0, 1.5, args.n)
    serial_time, serial = best_time(get_method("central"), x, args.repeat)
    pool_time, pooled = best_time(get_method("central", workers=args.workers), x, args.repeat)
    identical = serial.value.tobytes() == pooled.value.tobytes()  # type: ignore[union-attr]
    print(f"central, n = {args.n}, f sleeps {args.sleep * 1e3:g} ms per call, nfev = {serial.nfev}")  # type: ignore[union-attr]
    print(f"workers=1: {serial_time:.3f} s")
    print(f"workers={args.workers}: {pool_time:.3f} s (nfev = {pooled.nfev})")  # type: ignore[union-attr]
    print(f"speed-up: {serial_time / pool_time:.2f}x")
    print(f"values bit-identical: {identical}")


if __name__ == "__main__":
    main()
