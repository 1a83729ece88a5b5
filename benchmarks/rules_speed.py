"""Speed of the step-rule rows of a default run: this checkout against a baseline, side by side.

Run from the repository root::

    python benchmarks/rules_speed.py   # baseline 89ee832: before the faster rules (issue 12)

Plans the step-rule tasks of a default ``diffbench run`` (every finite-difference configuration
that takes a ``step_rule`` on every gradient problem, :func:`diffbench.plan.plan_step_rules`) and
runs them serially (:func:`diffbench.execute.run_task`) with the baseline's code and with this
checkout's, each in a subprocess with ``PYTHONPATH`` pointing at it (the baseline extracted with
``git archive``, as ``benchmarks/sweep_speed.py`` does). Prints rows, wall and CPU seconds and
the ratio, then checks that status, rel_error, abs_error, nfev, step, step_rel and nfev_extra of
both are identical in every row (by measurement key).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sweep_speed import ROOT, differences, extract, run_child  # noqa: E402

BASELINE = "89ee832"
COMPARED = ["status", "rel_error", "abs_error", "nfev", "step", "step_rel", "nfev_extra"]

CHILD = """
import json, sys, time, warnings
import numpy as np, pandas as pd
np.seterr(all="ignore"); warnings.simplefilter("ignore")
from diffbench.execute import Context, run_task
from diffbench.plan import exact_gradients, plan_step_rules
from diffbench.problems import resolve_problems
from diffbench.runner import resolve_methods
probs = resolve_problems(None)
tasks = plan_step_rules(resolve_methods(None), probs, exact_gradients(probs))
start, cpu = time.perf_counter(), time.process_time()
rows = [r for t in tasks for r in run_task(Context("rules-speed", ""), t)]
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
cols = json.loads(sys.argv[2])
pd.DataFrame([{c: r.get(c) for c in ["key", *cols]} for r in rows]).to_pickle(sys.argv[1])
print(json.dumps({"rows": len(rows), "seconds": seconds, "cpu": cpu}))
"""


def run_rules(code: Path, work: Path, name: str) -> dict:
    """The step-rule tasks with the code in ``code``: rows, seconds, CPU and the table."""
    table = work / f"{name}.pkl"
    return run_child(code, work, table, CHILD, str(table), json.dumps(COMPARED))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="commit to compare with")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rules_speed-") as tmp:
        work = Path(tmp)
        codes = {"baseline": extract(args.baseline, work / "baseline"), "new": ROOT}
        res = {name: run_rules(code, work, name) for name, code in codes.items()}
    print(f"step-rule rows of a default run, serially (baseline {args.baseline} against this "
          "checkout):")  # fmt: skip
    for name, r in res.items():
        print(f"  {name:9s} {r['rows']:6d} rows  {r['seconds']:7.1f} s  ({r['cpu']:6.1f} s CPU)")
    old, new = res["baseline"], res["new"]
    print(f"  speed-up: {old['seconds'] / new['seconds']:.2f}x wall, "
          f"{old['cpu'] / new['cpu']:.2f}x CPU")  # fmt: skip
    diff = differences(old["table"], new["table"], COMPARED)
    print("  " + ", ".join(COMPARED) + ": " + ("identical in every row" if not diff else "DIFFER:"))
    for d in diff:
        print("   ", d)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
