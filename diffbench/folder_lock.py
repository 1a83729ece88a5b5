"""One writer per results folder: an OS-level lock that dies with its process.

A sweep holds an exclusive ``flock`` on ``DIR/.diffbench.lock`` for as long as it writes into
``DIR``. The operating system releases the lock when the process ends, however it ends (``kill
-9`` included), so a stale lock never blocks a later run; the lock file itself may stay and means
nothing by itself. A second writer is refused at once with :class:`FolderBusyError`, which names the
folder and the process holding it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

__all__ = ["LOCK_FILE", "FolderBusyError", "FolderLock"]

LOCK_FILE = ".diffbench.lock"


class FolderBusyError(ValueError):
    """Another process is writing into the results folder."""


class FolderLock:
    """Exclusive lock on a results folder, held from ``__enter__`` to ``__exit__``.

    Parameters
    ----------
    directory : path-like
        The results folder (it must exist).

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with FolderLock(d):
    ...     try:
    ...         FolderLock(d).__enter__()
    ...     except FolderBusyError as exc:
    ...         print("refused")
    refused
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self._fd = -1

    def __enter__(self) -> FolderLock:
        path = self.directory / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise FolderBusyError(
                f"`output` folder {str(self.directory)!r} is being written by another diffbench "
                f"run (process {holder}); wait for it to finish or choose another folder."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
