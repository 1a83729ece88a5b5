"""The sweep's accuracy tasks on a dask.distributed cluster; the rows come back to one writer.

``diffbench run --scheduler tcp://host:8786`` (or ``sweep(..., scheduler=...)``) sends every
accuracy task (:class:`diffbench.plan.Task`) to the workers of a dask cluster with
``Client.map`` and takes the rows back with ``as_completed``, in the order the tasks finish, in
the one process that writes the results folder under its lock
(:class:`~diffbench.folder_lock.FolderLock`): the workers never touch the folder, so
``--resume`` and the lock work as for a local run. The cost pass is not sent: it runs serially
in the writer's process after the accuracy tasks, so timings never run under cluster load.

* :func:`connect` turns an address or a ``distributed.Client`` into a client, within a bounded
  time and with a one-line error naming ``scheduler`` (an unreachable address, or ``distributed``
  not installed: ``pip install "diffbench[cluster]"``).
* :func:`map_as_completed` runs a function over tasks on the cluster and yields each result as
  it arrives. A worker that dies mid-run loses nothing: dask runs its tasks again on another
  worker; a task dask gives up on (it killed several workers) is reported once every other
  task is in, by :class:`TasksNotRun`, and its rows are not written (``--resume`` runs it
  again). A task's rows are written together or not at all. Results are gathered one at a time
  on the calling thread: ``as_completed(..., with_results=True)`` can wait forever with every
  task finished (dask/distributed#7331), which hung a CI run here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = [
    "CONNECT_TIMEOUT",
    "INSTALL_HINT",
    "TasksNotRun",
    "connect",
    "describe_scheduler",
    "map_as_completed",
]

#: Seconds :func:`connect` waits for a scheduler before giving up.
CONNECT_TIMEOUT = 20.0
#: How to install what ``scheduler`` needs.
INSTALL_HINT = 'pip install "diffbench[cluster]"'


class TasksNotRun(RuntimeError):
    """Some tasks failed on the cluster; the rows of the others are written."""


def _client_class() -> Any:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ImportError(
            f"`scheduler` (--scheduler) needs dask.distributed, which is not installed ({exc}); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    return Client


def describe_scheduler(scheduler: Any) -> str | None:
    """The scheduler as ``run.json`` records it: its address (None: a local run).

    Examples
    --------
    >>> describe_scheduler("tcp://10.0.0.5:8786"), describe_scheduler(None)
    ('tcp://10.0.0.5:8786', None)
    """
    if scheduler is None or isinstance(scheduler, str):
        return scheduler
    return str(getattr(scheduler, "scheduler_info", lambda: {})().get("address", "")) or repr(
        scheduler
    )


def connect(scheduler: Any, timeout: float = CONNECT_TIMEOUT) -> tuple[Any, bool]:
    """A ``distributed.Client`` for ``scheduler``, and whether it was made here (to close).

    Parameters
    ----------
    scheduler : str or distributed.Client
        The scheduler's address (``"tcp://host:8786"``) or a connected client (used as it is,
        never closed here).
    timeout : float
        Seconds to wait for the scheduler.

    Raises
    ------
    ImportError
        ``distributed`` is not installed (naming ``scheduler`` and the extra to install).
    ValueError
        ``scheduler`` is neither an address nor a client, or cannot be reached in ``timeout``.
    """
    if not isinstance(scheduler, str):
        if callable(getattr(scheduler, "map", None)) and hasattr(scheduler, "scheduler_info"):
            return scheduler, False
        raise ValueError(
            "`scheduler` must be an address such as 'tcp://host:8786' or a distributed.Client, "
            f"got {type(scheduler).__name__}."
        )
    if not scheduler.strip():
        raise ValueError("`scheduler` must be an address such as 'tcp://host:8786', got ''.")
    client_class = _client_class()
    try:
        client = client_class(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ValueError(
            f"`scheduler`: cannot reach a dask scheduler at {scheduler!r} within {timeout:g} s "
            f"({why}); start one with `dask scheduler` and give its address. Nothing was written."
        ) from None
    return client, True


def map_as_completed(client: Any, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    """``fn(item)`` for every item, run on the cluster, yielded in the order they finish.

    Items whose task failed (raised, or was lost with the workers it ran on more often than
    the scheduler allows) are not yielded; once every other result is in, :class:`TasksNotRun`
    names how many failed and the first error. Closing the iterator early cancels the tasks
    still queued.
    """
    from distributed import as_completed

    futures = client.map(fn, list(items), pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    failed: list[tuple[int, str]] = []
    try:
        # Results are gathered here, one future at a time on this thread, never with
        # ``as_completed(..., with_results=True)``: its concurrent gathers on the event loop can
        # wait forever with every task in memory (dask/distributed#7331; seen here as a hung
        # test). A lost result (its worker died) is computed again by ``result()``.
        for future in as_completed(futures, raise_errors=False):
            if future.status == "finished":
                try:
                    result = future.result()
                except Exception as exc:  # lost for good: the scheduler gave up on it
                    failed.append((index[future.key], f"{type(exc).__name__}: {exc}"))
                    continue
                future.release()
                yield result
                continue
            why = future.status  # "cancelled", or "lost" with the workers it ran on
            if why == "error":
                exc = future.exception()
                why = f"{type(exc).__name__}: {exc}"
            failed.append((index[future.key], why))
    finally:
        client.cancel([f for f in futures if not f.done()])
    if failed:
        first = min(failed)
        raise TasksNotRun(
            f"{len(failed)} of {len(futures)} task(s) failed on the cluster (task {first[0]}: "
            f"{' '.join(first[1].split())[:300]}); their rows were not written, every other "
            "task's were. Continue with --resume to run them again."
        )
