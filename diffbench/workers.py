"""Worker processes for the sweep: capped to the work and the machine, gone with their parent.

* :func:`worker_count` caps the requested number of workers at the number of tasks and at the
  CPUs this process may use, and says so when it caps (``--jobs 1000`` on four tasks starts four
  workers, not hundreds).
* :func:`map_ordered` runs a function over tasks in a pool of loky worker processes (the engine
  joblib uses) and yields results in task order as they arrive. Every worker asks the kernel to
  terminate it when its parent dies (``PR_SET_PDEATHSIG`` on Linux) and also checks on start
  that its parent is still the one that started it, so a ``kill -9`` of the sweep leaves no
  worker behind. Arguments go to the workers by pickling, never through memory-mapped files, so
  nothing is left in ``/dev/shm`` either.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["available_cpus", "worker_count", "map_ordered", "die_with_parent"]

_PR_SET_PDEATHSIG = 1


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(jobs: int, tasks: int) -> int:
    """Workers to start for ``tasks`` tasks when ``jobs`` were asked for.

    Capped at the number of tasks and at :func:`available_cpus`; a cap is announced with a
    ``UserWarning`` that says why.

    Examples
    --------
    >>> worker_count(1, 10)
    1
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     worker_count(1000, 4) <= 4
    True
    """
    cap = max(1, min(tasks, available_cpus()))
    if jobs > cap:
        warnings.warn(
            f"`jobs`={jobs} capped at {cap}: {tasks} task(s) to run and {available_cpus()} "
            "CPU(s) available.",
            UserWarning,
            stacklevel=2,
        )
        return cap
    return jobs


#: The start of loky's warning when it replaces a worker that left after its leak check.
_LOKY_RESTART = "A worker stopped while some jobs were given to the executor"


def die_with_parent(parent: int) -> None:
    """Worker initializer: exit when the process that started the pool is gone.

    Used by the sweep's loky pool and the report's figure-drawing pool.

    Parameters
    ----------
    parent : int
        Process id of the pool's creator; the worker exits at once if its parent is already
        another process, and (on Linux) is sent SIGKILL when the parent dies.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # no prctl: the ppid check below still helps
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def map_ordered(fn: Callable[[Any], Any], items: Sequence[Any], workers: int) -> Iterator[Any]:
    """``fn(item)`` for every item in ``workers`` processes, yielded in the order of ``items``.

    The pool is shut down when the iteration ends, is closed early, or fails.
    """
    from joblib.externals.loky import get_reusable_executor

    # loky restarts a worker whose memory grew by more than 300 MB (its leak check; JAX and
    # SymPy caches can grow that much over a sweep) after that worker has returned its result, and
    # warns "A worker stopped while some jobs were given to the executor". Nothing is lost or
    # run twice, so the warning only alarmed users of `make report`; it is silenced here alone.
    warnings.filterwarnings("ignore", message=_LOKY_RESTART, category=UserWarning)
    executor = get_reusable_executor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),), reuse=False
    )
    try:
        futures = [executor.submit(fn, item) for item in items]
        for future in futures:
            yield future.result()
    finally:
        executor.shutdown(wait=True, kill_workers=True)
