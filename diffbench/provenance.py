"""Where a run's numbers come from: the code's commit, the libraries, the BLAS and the CPU.

:func:`provenance` gives the ``"provenance"`` object of ``run.json``::

    {"git_commit": str | None, "git_dirty": bool | None,
     "packages": {name: version}, "blas": str, "cpu": str, "machine": str}

``git_commit`` and ``git_dirty`` describe the checkout holding the ``diffbench`` package (``git
rev-parse HEAD`` and ``git status --porcelain``, with a short timeout); both are None when the
package is not in a git checkout (an installed wheel) or git is missing. ``packages`` lists the
numeric stack and every optional peer library that is installed (read from package metadata,
nothing is imported); ``blas`` the BLAS numpy uses (threadpoolctl's runtime view if it is
installed, else numpy's build configuration).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = ["CORE_PACKAGES", "GIT_TIMEOUT", "provenance", "git_state", "package_versions"]

#: Packages whose versions every run records (optional peers are added when installed).
CORE_PACKAGES = ("numpy", "scipy", "sympy", "mpmath", "pandas", "matplotlib", "joblib")
#: Seconds a git command may take before the commit is recorded as unknown.
GIT_TIMEOUT = 5.0


def _repo_root() -> Path:
    """The directory holding the ``diffbench`` package (a checkout's root, or site-packages)."""
    return Path(__file__).resolve().parents[1]


def _git(root: Path, *args: str) -> str | None:
    """Output of ``git -C root args``, or None if git is missing, fails or times out."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(root: str | Path | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git checkout at ``root`` (default: the one holding diffbench).

    Both are None when ``root`` is not the top of a git checkout (a ``.git`` directory or
    worktree file must be there: an enclosing repository, say of a virtualenv, does not count)
    or git is missing or fails.
    """
    root = _repo_root() if root is None else Path(root)
    if not (root / ".git").exists():
        return None, None
    head = _git(root, "rev-parse", "HEAD")
    if head is None or not head.strip():
        return None, None
    status = _git(root, "status", "--porcelain")
    return head.strip(), None if status is None else bool(status.strip())


def _peer_libraries() -> list[str]:
    """The libraries the registry's peer methods wrap."""
    import methods

    names = (methods.method_class(n) for n in methods.method_names())
    return sorted({cls.wraps for cls in names if cls.is_peer() and cls.wraps})


def package_versions() -> dict[str, str]:
    """Versions of :data:`CORE_PACKAGES` and of every installed peer library, by name."""
    out = {}
    for name in (*CORE_PACKAGES, *_peer_libraries()):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def _blas() -> str:
    """The BLAS numpy calls: threadpoolctl's runtime view if installed, else numpy's build."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            return "; ".join(
                f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, "
                f"{i.get('num_threads')} threads)"
                for i in blas
            )
    try:
        import numpy as np

        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:
        return "unknown"
    text = f"{info.get('name', 'unknown')} {info.get('version', '')}".strip()
    config = " ".join(str(info.get("openblas configuration", "")).split())
    return f"{text} ({config})" if config else text


def _cpu() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def provenance() -> dict[str, Any]:
    """The ``"provenance"`` object of ``run.json``.

    Returns
    -------
    dict
        ``git_commit`` (str or None), ``git_dirty`` (bool or None), ``packages`` (name ->
        version), ``blas``, ``cpu`` and ``machine`` (``platform.machine()``), all JSON-able.

    Examples
    --------
    >>> p = provenance()
    >>> sorted(p)
    ['blas', 'cpu', 'git_commit', 'git_dirty', 'machine', 'packages']
    >>> "numpy" in p["packages"]
    True
    """
    commit, dirty = git_state()
    return {
        "git_commit": commit,
        "git_dirty": dirty,
        "packages": package_versions(),
        "blas": _blas(),
        "cpu": _cpu(),
        "machine": platform.machine(),
    }
