"""Evaluate ``f`` at independent points in parallel: the ``workers=`` setting of stencil methods.

``workers`` follows SciPy's convention (``scipy.optimize.differential_evolution``,
``scipy.integrate.quad_vec``): an int -- ``1`` evaluates in this process, one point after the
other (the default); ``k > 1`` starts a pool of ``k`` processes for the call and shuts it down
after -- or a map-like callable ``workers(func, iterable)`` returning one value per item in
order, such as ``multiprocessing.Pool.map``, ``concurrent.futures.Executor.map`` or the ``map`` of
a dask ``Client``'s executor (``client.get_executor().map``). The caller owns a pool it passes.

The values are those of the serial path, bit for bit: each point is evaluated by the same ``f``
and the results come back in order. ``nfev`` is counted once, by the parent's
:class:`~methods.counting.CountedFunction`. With processes (an int > 1) ``f`` must be picklable
(a module-level function or an instance of a module-level class, not a lambda or a closure).

:class:`MapWrapper` is the small wrapper written after SciPy's (private) one::

    with MapWrapper(4) as map_:
        values = map_(func, points)
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["Workers", "check_workers", "is_serial", "describe_workers", "MapWrapper"]

#: What ``workers=`` accepts: a positive int or a map-like callable.
Workers = int | Callable[..., Iterable[Any]]

_EXPECTED = "a positive int (1 = serial, k > 1 = a pool of k processes) or a map-like callable"


def check_workers(workers: Any) -> Workers:
    """Return ``workers`` (an int as a Python int) if valid; else raise naming ``workers``.

    Examples
    --------
    >>> check_workers(4), check_workers(np.int64(1))
    (4, 1)
    >>> check_workers(0)
    Traceback (most recent call last):
    ...
    ValueError: `workers` must be a positive int (1 = serial, k > 1 = a pool of k processes) \
or a map-like callable, got 0.
    """
    if isinstance(workers, bool | np.bool_):
        raise TypeError(f"`workers` must be {_EXPECTED}, got the bool {workers!r}.")
    if isinstance(workers, int | np.integer):
        if workers < 1:
            raise ValueError(f"`workers` must be {_EXPECTED}, got {workers}.")
        return int(workers)
    if callable(workers):
        return workers
    raise TypeError(f"`workers` must be {_EXPECTED}, got {type(workers).__name__} {workers!r:.60}.")


def is_serial(workers: Any) -> bool:
    """Whether ``workers`` means evaluating in this process, one point after the other (``1``)."""
    return isinstance(workers, int | np.integer) and not isinstance(workers, bool) and workers == 1


def describe_workers(workers: Any) -> str:
    """Short stable text for ``workers`` in labels: the int, or the callable's qualified name.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> describe_workers(4), describe_workers(map), describe_workers(ThreadPoolExecutor().map)
    ('4', 'map', 'Executor.map')
    """
    if callable(workers) and not isinstance(workers, int | np.integer):
        return str(getattr(workers, "__qualname__", type(workers).__name__))
    return str(workers)


class MapWrapper:
    """``map`` over the points of one call, after ``workers``; a context manager.

    With ``workers`` an int k > 1 each call checks that the function pickles, then forks k
    processes that share out the items and have exited when the call returns (where ``fork`` is
    unavailable, a ``multiprocessing.Pool`` started at the first call and terminated and joined
    on exit): no process outlives the ``with`` block. A map-like callable is used as given and
    never closed.

    Parameters
    ----------
    workers : int or callable
        As checked by :func:`check_workers`.

    Examples
    --------
    >>> with MapWrapper(1) as map_:
    ...     map_(abs, [-1, 2, -3])
    [1, 2, 3]
    """

    def __init__(self, workers: Workers) -> None:
        self.workers = check_workers(workers)
        self._pool: Any = None

    @property
    def serial(self) -> bool:
        """Whether the points are evaluated in this process, one after the other."""
        return is_serial(self.workers)

    def __enter__(self) -> MapWrapper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Terminate and join the pool this wrapper started, if any."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.terminate()
            pool.join()

    def __call__(self, func: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """``[func(item) for item in items]``, evaluated as ``workers`` says, in order.

        Raises
        ------
        TypeError
            ``workers`` is an int > 1 and ``func`` does not pickle.
        ValueError
            The map returned another number of values than ``items`` has.
        RuntimeError
            A map-like ``workers`` raised (it must be callable as ``workers(func, iterable)``),
            or a worker process died or returned a value that does not pickle.
        """
        items = list(items)
        if self.serial:
            return [func(item) for item in items]
        if isinstance(self.workers, int):
            _check_picklable(func, self.workers)
            if _CAN_FORK:
                out = _fork_map(func, items, self.workers)
            else:  # pragma: no cover -- platforms without fork (Windows)
                if self._pool is None:
                    self._pool = multiprocessing.Pool(self.workers)
                out = self._pool.map(func, items)
        else:
            try:
                out = list(self.workers(func, items))
            except Exception as exc:
                raise RuntimeError(
                    f"`workers` ({describe_workers(self.workers)}) raised {type(exc).__name__} "
                    f"when called as workers(func, points): {exc}"
                ) from exc
        if len(out) != len(items):
            raise ValueError(
                f"`workers` ({describe_workers(self.workers)}) returned {len(out)} values for "
                f"{len(items)} points; it must map like map(func, iterable), one value per item."
            )
        return out


_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def _check_picklable(func: Callable, workers: int) -> None:
    """Raise naming ``workers`` unless ``func`` pickles (what a pool of processes needs)."""
    try:
        pickle.dumps(func)
    except Exception as exc:
        raise TypeError(
            f"`workers`={workers} evaluates f in {workers} other processes, so f must be "
            "picklable (a module-level function or an instance of a module-level class, not a "
            f"lambda or a local function): {exc}"
        ) from exc


def _fork_map(func: Callable[[Any], Any], items: list[Any], processes: int) -> list[Any]:
    """``map`` on ``processes`` forked processes that exit before it returns.

    The processes inherit ``func`` and ``items`` (nothing is sent to them) and take the next item
    from a shared counter as soon as each is started, so the first works while the others are
    being forked; values come back through a queue, tagged with their index. Leaner than a
    ``multiprocessing.Pool``, which forks every process before the first task and adds three
    threads (on 2 busy cores it is 30-40 ms faster on 16 points; see
    benchmarks/parallel_speedup.py).
    """
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)  # the next item to take
    results = ctx.Queue()
    count = min(processes, len(items))
    procs = [
        ctx.Process(target=_work, args=(func, items, counter, results), daemon=True)
        for _ in range(count)
    ]
    out: list[Any] = [None] * len(items)
    done = False
    try:
        for p in procs:
            p.start()
        for _ in range(len(items)):
            k, ok, value = _next_result(results, procs, processes)
            if not ok:
                raise RuntimeError(f"`workers`={processes}: a worker process failed: {value}")
            out[k] = value
        done = True
    finally:
        for p in procs:
            if p.pid is None:  # never started
                continue
            if not done:  # the call failed: stop the workers still busy
                p.terminate()
            p.join()
        results.close()
        results.join_thread()
    return out


def _next_result(results: Any, procs: list, processes: int) -> tuple[int, bool, Any]:
    """The next ``(index, ok, value)`` from the workers; raise if they died without sending it."""
    while True:
        try:
            return results.get(timeout=0.5)
        except queue.Empty:
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead or all(p.exitcode == 0 for p in procs):
                raise RuntimeError(
                    f"`workers`={processes}: a worker process ended (exit codes "
                    f"{[p.exitcode for p in procs]}) before returning every value."
                ) from None


def _work(func: Callable[[Any], Any], items: list[Any], counter: Any, results: Any) -> None:
    """A forked worker: take items by index until none is left; send ``(index, ok, value)``."""
    while True:
        with counter.get_lock():
            k = counter.value
            counter.value = k + 1
        if k >= len(items):
            return
        try:
            value = func(items[k])
            pickle.dumps(value)  # a value that does not pickle must not kill the feeder
            results.put((k, True, value))
        except Exception as exc:
            results.put((k, False, f"{type(exc).__name__}: {exc}"))
