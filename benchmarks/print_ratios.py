"""Print every in-run ratio and accuracy of the asv suite in one process, without asv.

Usage (from the repository root)::

    .venv/bin/python benchmarks/print_ratios.py            # bench_ratios and bench_peer_ratios
    .venv/bin/python benchmarks/print_ratios.py bench_ratios

It runs each ``track_*`` benchmark of the named modules exactly as asv does (``setup_cache``, then
``setup`` and the track method per parameter combination) and prints the value with its unit. A
combination whose ``setup`` raises ``NotImplementedError`` is printed as skipped with the reason.
These are the numbers the README quotes: ratios are measured inside one run, so they are far
less noisy than absolute times on a shared machine.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_MODULES = ("bench_ratios", "bench_peer_ratios")


def run_module(name: str) -> None:
    """Run and print every ``track_*`` benchmark of ``benchmarks.<name>``."""
    module = importlib.import_module(f"benchmarks.{name}")
    for cls_name, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ != module.__name__:
            continue
        tracks = [m for m in dir(cls) if m.startswith("track_")]
        if not tracks:
            continue
        params = getattr(cls, "params", [])
        names = getattr(cls, "param_names", [])
        if params and not isinstance(params[0], list):
            params = [params]
        bench = cls()
        cache = (bench.setup_cache(),) if hasattr(bench, "setup_cache") else ()
        for combo in itertools.product(*params) if params else [()]:
            where = ", ".join(f"{n}={v}" for n, v in zip(names, combo, strict=False))
            try:
                if hasattr(bench, "setup"):
                    bench.setup(*cache, *combo)
            except NotImplementedError as exc:
                print(f"{cls_name}({where}): skipped: {exc}")
                continue
            for track in tracks:
                method = getattr(bench, track)
                value = method(*cache, *combo)
                unit = getattr(method, "unit", getattr(cls, "unit", ""))
                print(f"{cls_name}.{track}({where}) = {value:.4g} {unit}")


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmark modules (default: the two ratio modules)."""
    for name in argv if argv else DEFAULT_MODULES:
        print(f"# benchmarks/{name}.py")
        run_module(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
