"""The sweep on a dask.distributed cluster: a real LocalCluster (separate worker processes, TCP
on 127.0.0.1) gives the same accuracy rows as a local run, loses no row when a worker is killed,
and an unreachable scheduler writes nothing. No timing assertions; every wait is bounded."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import numpy as np
import pandas as pd
import pytest

from diffbench.cli import main
from diffbench.cluster import TasksNotRun, connect, describe_scheduler
from diffbench.runner import sweep
from diffbench.store import read_results

distributed = pytest.importorskip("distributed")

METHODS = ["central", "forward", "complex-step", "richardson", "sympy"]
PROBLEMS = ["runge", "rosenbrock-2", "exp-sin"]
STEPS = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10]
#: Bound on waiting for workers to (re)start: generous, since CI shares 2 cores; it bounds a hang,
#: it does not measure anything (a nanny restart took minutes here at a load average of 18).
WAIT_WORKERS = 300

ACCURACY = ["status", "rel_error", "abs_error", "nfev", "step", "step_rel", "message"]


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes and a scheduler on 127.0.0.1, always shut down."""
    from distributed import Client, LocalCluster

    lc = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        protocol="tcp",
        # the scheduler's HTTP routes (health, metrics) default to port 8787 even without a
        # dashboard: a free port instead, so two test runs on one machine never meet there
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    client = None
    try:
        client = Client(lc, timeout=120)
        client.wait_for_workers(2, timeout=WAIT_WORKERS)
        yield lc, client
    finally:
        if client is not None:
            client.close()
        lc.close()


def _by_key(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("key").sort_index()[ACCURACY]


def _same_accuracy(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = _by_key(a), _by_key(b)
    assert list(a.index) == list(b.index)
    pd.testing.assert_frame_equal(a, b)


def test_cluster_rows_equal_a_local_jobs_1_run(cluster, tmp_path):
    lc, client = cluster
    local = sweep(METHODS, PROBLEMS, steps=STEPS, jobs=1, cost=False)
    remote = sweep(
        METHODS, PROBLEMS, steps=STEPS, scheduler=lc.scheduler_address, cost=False, output=tmp_path
    )
    assert remote["key"].is_unique and len(remote) == len(local)
    _same_accuracy(local, remote)
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "complete"
    assert info["scheduler"] == lc.scheduler_address
    # a connected client is used as it is (and left open)
    again = sweep(METHODS[:2], PROBLEMS[:1], steps=STEPS, scheduler=client, cost=False)
    _same_accuracy(sweep(METHODS[:2], PROBLEMS[:1], steps=STEPS, cost=False), again)
    assert client.status == "running"


def test_cluster_resume_runs_only_what_is_missing(cluster, tmp_path):
    lc, _ = cluster

    def stop_after_five(phase: str, done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(METHODS, PROBLEMS, steps=STEPS, cost=False, output=tmp_path, progress=stop_after_five)
    first = read_results(tmp_path)
    assert 0 < len(first) and json.loads((tmp_path / "run.json").read_text())["status"] == (
        "interrupted"
    )
    df = sweep(
        METHODS, PROBLEMS, steps=STEPS, scheduler=lc.scheduler_address, cost=False,
        output=tmp_path, resume=True,
    )  # fmt: skip
    assert df["key"].is_unique
    kept = df[df["key"].isin(first["key"])]
    assert set(kept["run_id"]) == set(first["run_id"])
    _same_accuracy(sweep(METHODS, PROBLEMS, steps=STEPS, cost=False), df)


def test_cost_pass_runs_serially_in_the_writer(cluster, tmp_path, monkeypatch):
    import diffbench.execute as execute

    lc, _ = cluster
    here: list[int] = []
    timed = execute._RUNNERS["cost"]

    def cost_here(ctx, task):  # patched in this process only: the workers never see it
        here.append(os.getpid())
        return timed(ctx, task)

    monkeypatch.setitem(execute._RUNNERS, "cost", cost_here)
    df = sweep(
        ["central"], ["runge"], steps=STEPS, scheduler=lc.scheduler_address, output=tmp_path,
        timing={"target": 1e-4, "repeat": 1, "budget": 0.01},
    )  # fmt: skip
    cost = df[df["measure"] == "cost"]
    assert len(cost) >= 1 and cost["time"].notna().all()
    assert here == [os.getpid()] * len(cost)


def _worker_pids(client) -> dict[str, int]:
    return client.run(os.getpid)


def test_a_killed_worker_loses_no_row(cluster, tmp_path):
    lc, client = cluster
    methods = ["central", "forward", "backward", "complex-step", "richardson", "ridders"]
    problems = ["runge", "rosenbrock-2", "exp-sin", "sin50", "rosenbrock-3", "pole"]
    steps = list(np.logspace(-1, -12, 23))
    expected = sweep(methods, problems, steps=steps, cost=False)
    killed: list[int] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "accuracy" and done == 1 and not killed:
            pid = sorted(_worker_pids(client).values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    args = {"steps": steps, "scheduler": lc.scheduler_address, "cost": False, "output": tmp_path}
    try:
        df = sweep(methods, problems, progress=progress, **args)
        reported = False
    except TasksNotRun:  # dask gave up on a task of the killed worker: named, not half-written
        reported = True
    assert killed
    written = read_results(tmp_path)
    assert written["key"].is_unique and set(written["key"]) <= set(expected["key"])
    if reported:  # the issue allows "re-run elsewhere or reported as not run": --resume finishes
        client.wait_for_workers(1, timeout=WAIT_WORKERS)
        df = sweep(methods, problems, resume=True, **args)
    written = read_results(tmp_path)
    assert written["key"].is_unique and set(written["key"]) == set(expected["key"])
    _same_accuracy(expected, df)
    # the nanny restarts the worker; the next test gets two workers again (bounded wait)
    client.wait_for_workers(2, timeout=WAIT_WORKERS)
    assert killed[0] not in _worker_pids(client).values()


def test_a_task_the_cluster_gives_up_on_is_reported_not_half_written(cluster, tmp_path):
    """Tasks that fail on the cluster are named at the end; the others' rows are all written."""
    from diffbench.cluster import map_as_completed

    _, client = cluster
    got = []
    with pytest.raises(TasksNotRun, match=r"1 of 4 task\(s\) failed.*--resume"):
        for value in map_as_completed(client, _fails_on_two, [0, 1, 2, 3]):
            got.append(value)
    assert sorted(got) == [0, 10, 30]


def _fails_on_two(i: int) -> int:
    if i == 2:
        raise ArithmeticError("task two")
    return 10 * i


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    address = f"tcp://127.0.0.1:{_unused_port()}"
    start = time.monotonic()
    code = main(["run", "--methods", "central", "--problems", "runge", "--no-cost",
                 "--quiet", "--scheduler", address, "--output", str(out)])  # fmt: skip
    assert time.monotonic() - start < 120  # bounded (connect gives up after 20 s)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "`scheduler`" in err and address in err and "Nothing was written" in err
    assert not out.exists()


def test_jobs_and_scheduler_together_are_refused(tmp_path, capsys):
    code = main(["run", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1", "--output",
                 str(tmp_path / "x")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "`--jobs`" in err and "`--scheduler`" in err
    assert not (tmp_path / "x").exists()
    with pytest.raises(ValueError, match="`jobs`.*`scheduler`.*not both"):
        sweep(["central"], ["runge"], jobs=2, scheduler="tcp://127.0.0.1:1", cost=False)


def test_bad_scheduler_values_name_the_parameter():
    with pytest.raises(ValueError, match="`scheduler` must be an address"):
        connect(8786)
    with pytest.raises(ValueError, match="`scheduler` must be an address"):
        connect("  ")
    assert describe_scheduler(None) is None


def test_missing_distributed_names_the_option_and_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"`scheduler` \(--scheduler\).*diffbench\[cluster\]"):
        connect("tcp://127.0.0.1:1")
