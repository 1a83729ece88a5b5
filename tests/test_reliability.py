"""Nothing lost, nothing silent: results are never overwritten, one writer per folder, workers die
with their parent, worker counts are capped, and surprises in a results file are named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from diffbench import cli
from diffbench.execute import execute
from diffbench.folder_lock import FolderBusyError, FolderLock
from diffbench.runner import sweep
from diffbench.store import export_csv, read_results
from diffbench.workers import worker_count

REPO = Path(__file__).resolve().parents[1]
SMALL = {"methods": ["sympy"], "problems": ["runge"], "cost": False}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    sweep(**SMALL, output=out)
    return out


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below ``directory`` (the results dataset is a folder of parts)."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def run_main(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the report never overwrites results ---------------------------------------------------------
@pytest.mark.parametrize("target", ["results.csv", "results", "run.json", "notes.txt"])
def test_report_refuses_to_overwrite_results_or_foreign_files(capsys, run_dir, target):
    (run_dir / "notes.txt").write_text("my notes\n")
    before = snapshot(run_dir)
    code, _, err = run_main(
        capsys, "report", "--input", str(run_dir), "--output", str(run_dir / target)
    )
    assert code == 2 and "`output`" in err and target in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(run_dir) == before


def test_report_may_replace_its_own_report(capsys, run_dir, tmp_path):
    out = tmp_path / "R.md"
    assert run_main(capsys, "report", "--input", str(run_dir), "--output", str(out))[0] == 0
    assert run_main(capsys, "report", "--input", str(run_dir), "--output", str(out))[0] == 0
    assert out.read_text().startswith("# diffbench report")


# -- an empty selection is an error and touches nothing ------------------------------------------
def test_empty_problem_selection_is_an_error_and_touches_nothing(capsys, run_dir):
    before = snapshot(run_dir)
    code, _, err = run_main(capsys, "run", "--problems", "", "--output", str(run_dir))
    assert code == 2 and "`problems` selects no problem" in err
    assert snapshot(run_dir) == before


def test_empty_method_list_is_an_error_and_touches_nothing(run_dir):
    before = snapshot(run_dir)
    with pytest.raises(ValueError, match="`methods` selects no method"):
        sweep(methods=[], output=run_dir)
    assert snapshot(run_dir) == before


# -- one writer per folder ------------------------------------------------------------------------
def test_a_second_writer_is_refused_naming_the_folder(capsys, tmp_path):
    with FolderLock(tmp_path):
        with pytest.raises(FolderBusyError, match="being written by another diffbench run"):
            sweep(**SMALL, output=tmp_path)
        code, _, err = run_main(capsys, "run", "--methods", "sympy", "--output", str(tmp_path))
        assert code == 2 and str(tmp_path) in err and f"process {os.getpid()}" in err
    assert not (tmp_path / "results.csv").exists() and not (tmp_path / "results").exists()


def test_a_killed_writer_leaves_no_stale_lock(tmp_path):
    holder = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from diffbench.folder_lock import FolderLock
        with FolderLock({str(tmp_path)!r}):
            print("locked", flush=True)
            time.sleep(120)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(FolderBusyError):
            FolderLock(tmp_path).__enter__()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        with FolderLock(tmp_path):  # released by the OS with the process
            pass
    finally:
        proc.kill()
        proc.wait()


# -- resume only what was started -----------------------------------------------------------------
@pytest.mark.parametrize(
    "change, word",
    [
        ({"methods": ["central"]}, "methods"),
        ({"problems": ["pole"]}, "problems"),
        ({"steps": [1e-3]}, "steps"),
        ({"cost": True}, "cost"),
    ],
)
def test_a_mismatched_resume_is_refused_saying_what_differs(run_dir, change, word):
    before = snapshot(run_dir)
    args = {**SMALL, **change}
    with pytest.raises(ValueError, match=f"`resume`.*other {word}"):
        sweep(**args, output=run_dir, resume=True)
    assert snapshot(run_dir) == before


def test_a_resume_with_the_same_options_or_none_goes_on(run_dir):
    assert len(sweep(**SMALL, output=run_dir, resume=True)) == len(read_results(run_dir))
    assert len(sweep(output=run_dir, resume=True)) == len(read_results(run_dir))


# -- duplicated keys are named --------------------------------------------------------------------
def test_duplicated_keys_are_named_when_read(run_dir, tmp_path):
    # a results.csv (an earlier version's store, or an export) holding two rows twice
    lines = export_csv(run_dir, tmp_path / "export.csv").read_text().splitlines(keepends=True)
    (tmp_path / "results.csv").write_text("".join(lines + lines[1:3]))
    with pytest.warns(RuntimeWarning, match="2 duplicated measurement keys.*accuracy\\|runge"):
        read_results(tmp_path)


# -- workers: capped, and gone with their parent --------------------------------------------------
def test_worker_count_is_capped_at_tasks_and_cpus_and_says_so():
    with pytest.warns(UserWarning, match="`jobs`=1000 capped at"):
        assert worker_count(1000, 4) <= 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert worker_count(1, 4) == 1


def test_execute_caps_workers_at_the_number_of_tasks(monkeypatch):
    seen = {}

    def fake_map(fn, items, workers):
        seen["workers"] = workers
        return iter([[] for _ in items])

    monkeypatch.setattr("diffbench.execute.map_ordered", fake_map)
    monkeypatch.setattr("diffbench.workers.available_cpus", lambda: 64)
    with pytest.warns(UserWarning, match="capped at 3"):
        execute([object()] * 3, None, 1000, lambda rows: None)
    assert seen["workers"] == 3


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
def test_workers_exit_when_the_parent_is_killed():
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from diffbench.workers import map_ordered
        print("started", flush=True)
        for _ in map_ordered(time.sleep, [120, 120, 120], 2):
            pass
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 120
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = _children(proc.pid)
        assert len(workers) >= 2, "the pool never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a timing claim
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "worker processes outlived their parent"
    finally:
        proc.kill()
        proc.wait()
        for w in _children(proc.pid):
            os.kill(w, signal.SIGKILL)


def test_run_json_of_a_refused_run_is_unchanged(run_dir):
    info = json.loads((run_dir / "run.json").read_text())
    with pytest.raises(ValueError):
        sweep(methods=["central"], problems=["runge"], output=run_dir, resume=True)
    assert json.loads((run_dir / "run.json").read_text()) == info


def test_lokys_worker_restart_warning_is_silenced_and_nothing_else():
    """loky replaces a worker that left after its memory-leak check (its result was returned)
    and warns; map_ordered silences that one message, not other UserWarnings."""
    from diffbench.workers import map_ordered

    assert list(map_ordered(abs, [-1, -2, 3], 2)) == [1, 2, 3]
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn(
            "A worker stopped while some jobs were given to the executor. This can be caused by "
            "a too short worker timeout or by a memory leak.",
            UserWarning,
            stacklevel=1,
        )
        warnings.warn("another warning", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["another warning"]
