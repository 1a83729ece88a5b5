"""Speed of ``diffbench report``: this checkout against a baseline commit, and every output file
compared byte for byte.

Run from the repository root::

    python benchmarks/report_speed.py reports/showcase            # against BASELINE
    python benchmarks/report_speed.py DIR --baseline HEAD~3 --repeat 2

The baseline tree is extracted with ``git archive`` into a temporary directory; both codes run
``python -m diffbench.cli report --input COPY`` in a subprocess on a fresh copy of the run in
``DIR`` (its results and ``run.json``, not its report or figures), alternating (baseline, new,
baseline, new, ...) so both meet the same load on a shared machine; the best of ``--repeat`` is
kept. For each it prints the wall seconds and the CPU seconds of the report process and of the
figure processes it forked (user + system, from ``resource.getrusage(RUSAGE_CHILDREN)`` of this
script), then the ratios, then whether every file the report wrote (REPORT.md, each PNG) is
identical byte for byte, listing the files that differ or exist on one side only. Exit status 1
when any file differs. The temporary directory is removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:  # imported as benchmarks.report_speed, or run as a script from benchmarks/
    from .sweep_speed import extract
except ImportError:
    from sweep_speed import extract

ROOT = Path(__file__).resolve().parent.parent
#: The code before the report was made faster (issue 12, "make report <= 60 s on 2 cores").
BASELINE = "89ee832"


def fresh_copy(source: Path, into: Path) -> Path:
    """A copy of the run in ``source`` without its report: ``results/`` (or ``results.csv``)
    and ``run.json``."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    for item in source.iterdir():
        if item.name in ("REPORT.md", "figures"):
            continue
        if item.is_dir():
            shutil.copytree(item, into / item.name)
        else:
            shutil.copy2(item, into / item.name)
    return into


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_report(code: Path, run: Path) -> dict[str, float]:
    """Wall and CPU seconds (report process and its figure processes) of ``diffbench report``
    on ``run`` with the code in ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code), "MPLBACKEND": "Agg"}
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "diffbench.cli", "report", "--input", str(run)],
        cwd=run.parent,
        env=env,
        check=True,
        capture_output=True,
    )
    return {"wall": time.perf_counter() - start, "cpu": _children_cpu() - cpu}


def outputs(run: Path) -> dict[str, bytes]:
    """Every file the report wrote in ``run`` (REPORT.md, figures/*), path -> bytes."""
    files = [run / "REPORT.md", *sorted((run / "figures").rglob("*"))]
    return {str(f.relative_to(run)): f.read_bytes() for f in files if f.is_file()}


def differences(old: dict[str, bytes], new: dict[str, bytes]) -> list[str]:
    """The files that differ, or that only one side wrote."""
    out = [f"only in the baseline: {name}" for name in sorted(old.keys() - new.keys())]
    out += [f"only in the new code: {name}" for name in sorted(new.keys() - old.keys())]
    out += [
        f"differs: {name}" for name in sorted(old.keys() & new.keys()) if old[name] != new[name]
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a run folder (results/ and run.json), e.g. reports/showcase")
    parser.add_argument("--baseline", default=BASELINE, help="commit to compare with")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, best kept")
    args = parser.parse_args(argv)
    source = Path(args.run).resolve()
    with tempfile.TemporaryDirectory(prefix="report_speed-") as tmp:
        work = Path(tmp)
        codes = {"baseline": extract(args.baseline, work / "baseline"), "new": ROOT}
        best: dict[str, dict[str, float]] = {}
        files: dict[str, dict[str, bytes]] = {}
        for _ in range(args.repeat):
            for name, code in codes.items():
                run = fresh_copy(source, work / f"{name}-run" / "run")
                t = timed_report(code, run)
                print(f"  {name:8s} {t['wall']:6.1f} s wall  {t['cpu']:6.1f} s CPU", flush=True)
                if name not in best or t["wall"] < best[name]["wall"]:
                    best[name] = t
                files[name] = outputs(run)
        old, new = best["baseline"], best["new"]
        print(f"diffbench report of {source} (best of {args.repeat}; baseline {args.baseline}):")
        for name, t in best.items():
            print(f"  {name:8s} {t['wall']:6.1f} s wall  {t['cpu']:6.1f} s CPU")
        print(
            f"  speed-up: {old['wall'] / new['wall']:.2f}x wall, {old['cpu'] / new['cpu']:.2f}x CPU"
        )
        diff = differences(files["baseline"], files["new"])
        print(f"  {len(files['new'])} files written; "
              + ("all identical byte for byte" if not diff else "DIFFER:"))  # fmt: skip
        for d in diff:
            print("   ", d)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
