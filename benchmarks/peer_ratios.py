"""Print the peer ratios of ``bench_peer_ratios`` in one run, without asv.

Usage (from the repository root)::

    .venv/bin/python benchmarks/peer_ratios.py

Every number comes from the functions the asv benchmarks call, in this one process: time ratios
``time(ours) / time(peer)`` (median of interleaved timeit repeats; below 1 means ours is faster)
and relative errors (max-norm) against the exact gradient. A peer that is not installed is
reported as skipped with the reason.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_peer_ratios as bench  # noqa: E402
from diffbench.metrics import gradient_error  # noqa: E402


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f}"


def _verdict(t_ours: float, t_peer: float) -> str:
    """``ours 3.2x faster`` or ``peer 2.6x faster``."""
    if t_ours <= t_peer:
        return f"ours {t_peer / t_ours:.1f}x faster"
    return f"peer {t_ours / t_peer:.1f}x faster"


def _setting_text(setting: str) -> str:
    settings, fraction = bench.RICHARDSON_SETTINGS[setting]
    parts = [f"{k}={v}" for k, v in settings.items()]
    parts.append("default step" if fraction is None else f"step={fraction:g}*max(1,|x_i|)")
    return f"{setting} = richardson({', '.join(parts)})"


def richardson_table() -> list[str]:
    """Rows comparing ``richardson`` with ``numdifftools.Gradient``."""
    lines = [
        "richardson / numdifftools.Gradient (its defaults), Rosenbrock, timed at the classic start",
        *(f"  {_setting_text(s)}" for s in bench.RICHARDSON_SETTINGS),
        "  errors: relative max-norm error against the exact gradient at the start / near the",
        "  minimum; equal or better: ours <= numdifftools' at both points (errors at or below",
        f"  {bench.ERROR_FLOOR:.1e} count as equal)",
        f"  {'n':>4}  {'setting':<8} {'ours ms':>9} {'peer ms':>9} {'ratio':>6}  {'':<17}"
        f"  {'err ours':>17}  {'err peer':>17}  equal or better",
    ]
    try:
        bench.require("numdifftools")
    except NotImplementedError as exc:
        return [*lines, f"  skipped: {exc}"]
    for n in bench.RICHARDSON_SIZES:
        truths = {p: bench.exact_gradient(n, p) for p in bench.POINTS}
        x = bench.rosenbrock_point(n)
        for setting in bench.RICHARDSON_SETTINGS:
            t_ours, t_peer = bench.paired_times(
                bench.richardson_gradient(setting, x), bench.numdifftools_gradient(x)
            )
            acc = [bench.compare_accuracy(setting, n, p, truths[p]) for p in bench.POINTS]
            ours = " / ".join(f"{a.ours:.1e}" for a in acc)
            peer = " / ".join(f"{a.peer:.1e}" for a in acc)
            verdict = "yes" if all(a.equal_or_better for a in acc) else "no"
            lines.append(
                f"  {n:>4}  {setting:<8} {_ms(t_ours)} {_ms(t_peer)} {t_ours / t_peer:6.3f}"
                f"  {_verdict(t_ours, t_peer):<17}  {ours:>17}  {peer:>17}  {verdict}"
            )
    return lines


def dual_table() -> list[str]:
    """Rows comparing ``dual`` with autograd and JAX (x64, jit)."""
    lines = [
        "dual / autograd.grad and jax.jit(jax.grad) in float64, Rosenbrock from the classic start",
        "  each side differentiates the same vectorized Rosenbrock written in its own numpy;",
        "  errors: relative max-norm error against the exact gradient",
        f"  {'n':>4}  {'peer':<9} {'dual ms':>9} {'peer ms':>9} {'ratio':>8}  {'':<18}"
        f"  {'err dual':>8}  {'err peer':>8}",
    ]
    for n in bench.DUAL_SIZES:
        truth = bench.exact_gradient(n)
        x = bench.rosenbrock_point(n)
        for peer in bench.AUTODIFF_PEERS:
            try:
                theirs = bench.autodiff_gradient(peer, x)
            except NotImplementedError as exc:
                lines.append(f"  {n:>4}  {peer:<9} skipped: {exc}")
                continue
            ours = bench.dual_gradient(x)
            t_ours, t_peer = bench.paired_times(ours, theirs)
            err_ours = gradient_error(ours().value, truth)[1]
            err_peer = gradient_error(theirs(), truth)[1]
            lines.append(
                f"  {n:>4}  {peer:<9} {_ms(t_ours)} {_ms(t_peer)} {t_ours / t_peer:8.2f}"
                f"  {_verdict(t_ours, t_peer):<18}  {err_ours:8.1e}  {err_peer:8.1e}"
            )
    return lines


def main() -> None:
    """Print both tables, with the versions and settings they were measured with."""
    packages = ("numpy", "numdifftools", "autograd", "jax", "jaxlib")
    print(
        f"diffbench peer ratios, one run: Python {platform.python_version()}, "
        + ", ".join(f"{p} {_version(p)}" for p in packages)
    )
    print(
        f"time ratio = median time(ours) / median time(peer) over {bench.REPEAT} interleaved "
        f"repeats of >= {bench.TARGET} s each; below 1: ours is faster"
    )
    print()
    print("\n".join(richardson_table()))
    print()
    print("\n".join(dual_table()))


if __name__ == "__main__":
    main()
