"""Projected wall time of a sweep 100x the default battery on 1, 2 and 32 dask workers.

Usage (from the repository root)::

    .venv/bin/python benchmarks/project_cluster.py                      # sample 120 tasks
    .venv/bin/python benchmarks/project_cluster.py --sample 300 --scale 100 --workers 1 2 32
    .venv/bin/python benchmarks/project_cluster.py --input reports/showcase --overhead

It plans the default run (every method and variant, the battery, the default steps and grid
sizes), times a random sample of its accuracy tasks and of its cost tasks one after the other in
this process (:func:`diffbench.execute.run_task`, as a dask worker runs them), and the writer's
work per task (formatting and appending the rows). A battery ``--scale`` times the default has
``--scale`` times as many tasks of the same mix, so on ``W`` workers the accuracy part takes
about::

    max(tasks * mean_task / W,  tasks * (writer + scheduler) per task,  slowest task)

(the workers share the tasks; the one writer and the scheduler handle every task in turn), and
the cost pass, serial in the writer's process whatever ``W`` is, adds ``cost tasks * mean cost
task``. ``--overhead`` measures the scheduler's time per task on a 2-worker LocalCluster of
no-op tasks; without it 1 ms per task is assumed (dask's documented order of magnitude).
``--input DIR`` prints what a finished run recorded (run.json ``seconds`` and ``jobs``) next to
the estimate for the same battery, as a check. Nothing here is an assertion: times depend on
the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from diffbench.configs import resolve_methods
from diffbench.execute import Context, run_task, versions
from diffbench.plan import exact_gradients, plan_accuracy, plan_cost
from diffbench.problems import resolve_problems
from diffbench.steps import check_grid_sizes, check_steps
from diffbench.store import ResultsWriter

#: Scheduler time per task assumed without --overhead (dask: "about 1 ms per task").
ASSUMED_SCHEDULER_SECONDS = 1e-3
#: The timing options of a default run (diffbench.runner._measure).
TIMING = {"target": 0.005, "repeat": 5, "budget": 0.25}


def timed(tasks: list, ctx: Context, writer: ResultsWriter) -> tuple[list[float], list[float]]:
    """Seconds of each task, and of writing its rows."""
    run, write = [], []
    for task in tasks:
        start = time.perf_counter()
        rows = run_task(ctx, task)
        run.append(time.perf_counter() - start)
        start = time.perf_counter()
        writer.append([{**r, "key": f"{r['key']}#{len(run)}"} for r in rows])
        write.append(time.perf_counter() - start)
    return run, write


def scheduler_overhead(tasks: int = 400) -> float:
    """Seconds per no-op task through a 2-worker LocalCluster and ``map_as_completed``."""
    from distributed import Client, LocalCluster

    from diffbench.cluster import map_as_completed

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    try:
        with Client(cluster) as client:
            list(map_as_completed(client, abs, [-1] * 20))  # warm up
            start = time.perf_counter()
            list(map_as_completed(client, abs, list(range(-tasks, 0))))
            return (time.perf_counter() - start) / tasks
    finally:
        cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=120, help="accuracy tasks timed")
    parser.add_argument("--cost-sample", type=int, default=20, help="cost tasks timed")
    parser.add_argument("--scale", type=int, default=100, help="battery size x the default")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 32])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overhead", action="store_true", help="measure the scheduler's")
    parser.add_argument("--input", type=Path, help="a finished run's folder, as a check")
    args = parser.parse_args()

    configs, problems = resolve_methods(None), resolve_problems(None)
    truths = exact_gradients(problems)
    plan = plan_accuracy(configs, problems, check_steps(None), check_grid_sizes(None), truths)
    costs = plan_cost(configs, problems, truths, TIMING)
    rng = random.Random(args.seed)
    sample = rng.sample(plan, min(args.sample, len(plan)))
    cost_sample = rng.sample(costs, min(args.cost_sample, len(costs)))
    ctx = Context("projection", versions())
    with tempfile.TemporaryDirectory() as tmp, ResultsWriter(Path(tmp)) as writer:
        run, write = timed(sample, ctx, writer)
        cost_run, _ = timed(cost_sample, ctx, writer)
    sched = scheduler_overhead() if args.overhead else ASSUMED_SCHEDULER_SECONDS

    mean, sem = statistics.fmean(run), statistics.stdev(run) / len(run) ** 0.5
    mean_write, mean_cost = statistics.fmean(write), statistics.fmean(cost_run)
    n_acc, n_cost = len(plan) * args.scale, len(costs) * args.scale
    print(
        f"default run: {len(plan)} accuracy tasks, {len(costs)} cost tasks "
        f"({len(configs)} configurations x {len(problems)} problems)"
    )
    print(
        f"measured on {len(run)} sampled accuracy tasks: mean {mean * 1e3:.1f} ms "
        f"(+-{sem * 1e3:.1f} ms), slowest {max(run):.2f} s; writer {mean_write * 1e3:.2f} ms/task; "
        f"scheduler {sched * 1e3:.2f} ms/task ({'measured' if args.overhead else 'assumed'}); "
        f"{len(cost_run)} cost tasks: mean {mean_cost:.2f} s"
    )
    serial_acc, serial_cost = len(plan) * mean, len(costs) * mean_cost
    print(f"default battery, serial: accuracy {serial_acc:.0f} s, cost {serial_cost:.0f} s")
    serial_per_task = mean_write + sched
    cost_seconds = n_cost * mean_cost
    print(f"battery {args.scale}x the default ({n_acc} accuracy tasks, {n_cost} cost tasks):")
    print("  workers | accuracy on the cluster | + cost pass (serial) | total")
    for w in args.workers:
        acc = max(n_acc * mean / w, n_acc * serial_per_task, max(run))
        total = acc + cost_seconds
        print(f"  {w:>7} | {_hours(acc):>23} | {_hours(cost_seconds):>20} | {_hours(total)}")
    if args.input:
        info = json.loads((args.input / "run.json").read_text())
        jobs = info.get("jobs") if isinstance(info.get("jobs"), int) else 1
        est = len(plan) * mean / jobs + len(costs) * mean_cost
        print(
            f"check: {args.input} recorded {info.get('seconds')} s with jobs={info.get('jobs')}; "
            f"estimate for it {est:.0f} s"
        )


def _hours(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


if __name__ == "__main__":
    main()
