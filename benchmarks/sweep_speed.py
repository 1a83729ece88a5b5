"""Speed of the sweep and of ``make report``: this checkout against a baseline commit, side by side.

Run from the repository root::

    python benchmarks/sweep_speed.py                 # the accuracy sweep on a subset, --jobs 1
    python benchmarks/sweep_speed.py --make-report   # also `diffbench run` + `diffbench report`
    python benchmarks/sweep_speed.py --no-sweep --report-of reports/showcase   # the report only

The baseline (default: 9073d8e, the code before issue 12) is extracted with ``git archive``
into a temporary directory and imported in subprocesses with ``PYTHONPATH`` pointing at it;
this checkout runs the same way with ``PYTHONPATH`` pointing here. The runs alternate (baseline,
new, baseline, new, ...) so both meet the same load on a shared machine, and the best of
``--repeat`` runs of each is kept. For each it prints rows, seconds (wall, and CPU seconds of the
process, less sensitive to other jobs), rows/s and the ratio; then it checks that the accuracy
columns (status, rel_error, abs_error, nfev, step, step_rel) of both tables are identical row by
row (by measurement key) and lists every difference. The temporary directory is removed at the
end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "9073d8e"
#: A subset of the battery with every kind of row: smooth, 2-D, 10-D, singular, noisy.
PROBLEMS = ["exp-sin", "sin50", "pole", "sqrt-near-0", "rosenbrock-10", "runge~noise1e-8"]
COMPARED = ["status", "rel_error", "abs_error", "nfev", "step", "step_rel"]

#: Runs in the subprocess: the sweep into a folder, timed; the compared columns pickled.
CHILD = """
import json, sys, time, pickle
args = json.loads(sys.argv[1])
import diffbench.runner as runner
from diffbench.runner import sweep
if hasattr(runner, "plan_step_rules"):  # rows the baseline has not got: left out of both
    runner.plan_step_rules = lambda *a, **k: []
start, cpu = time.perf_counter(), time.process_time()
df = sweep(args["methods"], args["problems"], steps=args["steps"], output=args["output"],
           jobs=1, cost=False, kinds=args["kinds"])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
df[["key", *args["compared"]]].to_pickle(args["table"])
print(json.dumps({"rows": len(df), "seconds": seconds, "cpu": cpu}))
"""


def extract(commit: str, into: Path) -> Path:
    """The tree of ``commit`` of this repository, extracted into ``into`` (git archive)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _env(code: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code), "MPLBACKEND": "Agg"}


def run_sweep(code: Path, work: Path, name: str, options: dict) -> dict:
    """One accuracy sweep with the code in ``code``; its rows, seconds and compared table."""
    out = work / f"{name}-run"
    shutil.rmtree(out, ignore_errors=True)
    table = work / f"{name}.pkl"
    compared = COMPARED + (["asymmetry"] if options.get("kinds") else [])
    args = {**options, "output": str(out), "table": str(table), "compared": compared}
    return run_child(code, work, table, CHILD, json.dumps(args))


def run_child(code: Path, work: Path, table: Path, script: str, *args: str) -> dict:
    """Run ``script`` with the code in ``code``: the JSON of its last output line, with the
    table it pickled into ``table`` as ``"table"``."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=work,
        env=_env(code),
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["table"] = pd.read_pickle(table)
    return result


def _cli(code: Path, work: Path, *args: str) -> float:
    """Wall seconds of ``python -m diffbench.cli ARGS`` with the code in ``code``."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "diffbench.cli", *args],
        cwd=work,
        env=_env(code),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def make_report(code: Path, work: Path, name: str) -> dict[str, float]:
    """What ``make report`` runs once installed: ``diffbench run`` then ``diffbench report``."""
    out = work / f"{name}-report"
    shutil.rmtree(out, ignore_errors=True)
    run = _cli(code, work, "run", "--output", str(out), "--quiet")
    report = _cli(code, work, "report", "--input", str(out))
    return {"run": run, "report": report, "total": run + report}


def differences(old: pd.DataFrame, new: pd.DataFrame, columns: list[str] = COMPARED) -> list[str]:
    """Every difference of the compared ``columns`` between two tables, by measurement key."""
    out = []
    only_old = sorted(set(old["key"]) - set(new["key"]))
    only_new = sorted(set(new["key"]) - set(old["key"]))
    if only_old:
        out.append(f"{len(only_old)} rows only in the baseline, e.g. {only_old[:3]}")
    if only_new:
        out.append(f"{len(only_new)} rows only in the new table, e.g. {only_new[:3]}")
    both = old.merge(new, on="key", suffixes=("_old", "_new"))
    for col in columns:
        a, b = both[f"{col}_old"], both[f"{col}_new"]
        same = (a == b) | (a.isna() & b.isna())
        if not same.all():
            bad = both.loc[~same, ["key", f"{col}_old", f"{col}_new"]]
            out.append(f"{col}: {len(bad)} rows differ, e.g.\n{bad.head(5).to_string()}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="commit to compare with")
    parser.add_argument("--problems", nargs="+", default=PROBLEMS)
    parser.add_argument("--methods", nargs="+", default=None, help="default: all")
    parser.add_argument("--steps", default=None, help="relative steps (default: the sweep's)")
    parser.add_argument(
        "--kinds", default=None, help="kinds to sweep (the sweep's `kinds`; asymmetry compared too)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, best kept")
    parser.add_argument("--make-report", action="store_true", help="also time make report")
    parser.add_argument("--no-sweep", action="store_true", help="no accuracy sweep")
    parser.add_argument(
        "--report-of", metavar="DIR", help="time `diffbench report` of both on a copy of DIR"
    )
    args = parser.parse_args(argv)
    options = {"methods": args.methods, "problems": args.problems, "steps": args.steps,
               "kinds": args.kinds}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="sweep_speed-") as tmp:
        work = Path(tmp)
        codes = {"baseline": extract(args.baseline, work / "baseline"), "new": ROOT}
        diff = compare_sweeps(codes, work, options, args) if not args.no_sweep else []
        if args.report_of:
            diff += compare_reports(codes, work, Path(args.report_of))
        if args.make_report:
            compare_make_report(codes, work)
    return 1 if diff else 0


def compare_sweeps(codes: dict[str, Path], work: Path, options: dict, args: Any) -> list[str]:
    """Time the accuracy sweep of both codes (alternating, best of ``args.repeat``), print
    rows/s and the ratio, and return the differences of the compared columns."""
    best: dict[str, dict] = {}
    for _ in range(args.repeat):
        for name, code in codes.items():
            result = run_sweep(code, work, name, options)
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    print(f"accuracy sweep, --jobs 1, problems {' '.join(args.problems)}, methods "
          f"{'all' if args.methods is None else ' '.join(args.methods)}, best of "
          f"{args.repeat} (baseline {args.baseline} against this checkout):")  # fmt: skip
    for name, r in best.items():
        print(f"  {name:9s} {r['rows']:7d} rows  {r['seconds']:8.1f} s  "
              f"({r['cpu']:6.1f} s CPU)  {r['rows'] / r['seconds']:8.1f} rows/s")  # fmt: skip
    ratio = best["baseline"]["seconds"] / best["new"]["seconds"]
    cpu_ratio = best["baseline"]["cpu"] / best["new"]["cpu"]
    print(f"  speed-up (rows/s new / baseline): {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU")
    compared = COMPARED + (["asymmetry"] if args.kinds else [])
    diff = differences(best["baseline"]["table"], best["new"]["table"], compared)
    print("  accuracy columns (" + ", ".join(compared) + "): "
          + ("identical in every row" if not diff else "DIFFER:"))  # fmt: skip
    for d in diff:
        print("   ", d)
    return diff


def compare_reports(codes: dict[str, Path], work: Path, source: Path) -> list[str]:
    """Time ``diffbench report`` of both codes on copies of the run in ``source`` (results and
    run.json); return a difference if the two REPORT.md texts differ."""
    seconds, texts = {}, {}
    for name, code in codes.items():
        copy = work / f"{name}-report-of"
        shutil.rmtree(copy, ignore_errors=True)
        copy.mkdir()
        for item in source.iterdir():
            if item.is_file() and item.name != "REPORT.md":
                shutil.copy2(item, copy / item.name)
        seconds[name] = _cli(code, work, "report", "--input", str(copy))
        texts[name] = (copy / "REPORT.md").read_text(encoding="utf-8")
        print(f"diffbench report of {source} ({name}): {seconds[name]:.1f} s")
    print(f"  report speed-up: {seconds['baseline'] / seconds['new']:.2f}x; REPORT.md "
          + ("identical" if texts["baseline"] == texts["new"] else "DIFFERS"))  # fmt: skip
    return [] if texts["baseline"] == texts["new"] else ["REPORT.md differs"]


def compare_make_report(codes: dict[str, Path], work: Path) -> None:
    """Time ``diffbench run`` + ``diffbench report`` (what ``make report`` runs) of both codes."""
    times = {}
    for name, code in codes.items():
        times[name] = make_report(code, work, name)
        t = times[name]
        print(f"make report ({name}): run {t['run']:.1f} s + report "
              f"{t['report']:.1f} s = {t['total']:.1f} s")  # fmt: skip
    old, new = times["baseline"], times["new"]
    speed = {k: old[k] / new[k] for k in old}
    print(f"  make report speed-up: {speed['total']:.2f}x (run {speed['run']:.2f}x, "
          f"report {speed['report']:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
