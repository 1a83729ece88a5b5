"""The command line: help, errors as one line with exit code 2, plug-in subcommands, and an
interrupted run (a real process killed with SIGKILL) finished with --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from diffbench import cli
from diffbench.store import read_results
from diffbench.store_parquet import part_paths

ROOT = Path(__file__).resolve().parents[1]


def run_main(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [[], ["run"], ["report"], ["list"]])
def test_help(capsys, command):
    code, out, _ = run_main(capsys, *command, "--help")
    assert code == 0
    assert "usage: diffbench" in out


def test_run_help_documents_the_options(capsys):
    _, out, _ = run_main(capsys, "run", "--help")
    for option in (
        "--methods",
        "--problems",
        "--steps",
        "--grid-sizes",
        "--output",
        "--resume",
        "--jobs",
    ):
        assert option in out
    # the steps are relative to the scale of x (argparse rewraps the help: compare words)
    assert "relative steps, each scaled by max(1, |x_i|)" in " ".join(out.split())


def test_list_shows_methods_with_availability_and_problems_with_tags(capsys):
    code, out, _ = run_main(capsys, "list")
    assert code == 0
    assert "sympy" in out and "available" in out
    assert "runge" in out and "singularity" in out
    code, out, _ = run_main(capsys, "list", "problems")
    assert code == 0 and "Methods" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--methods", "no-such-method"], "unknown method 'no-such-method'; choose from: "),
        (["run", "--problems", "no-such-problem", "--methods", "sympy"], "no-such-problem"),
        (["run", "--steps", "1e-8:1e-2"], "larger start to a smaller stop"),
        (["run", "--steps", "1e-2:abc"], "START:STOP[:PER_DECADE]"),
        (["run", "--steps", "0", "1e-3"], "positive"),
        (["run", "--grid-sizes", "1"], "integers >= 2"),
        (["run", "--jobs", "0"], "`--jobs` must be a positive integer"),
        (["run", "--jobs", "two"], "invalid int value"),
        (["report", "--input", "/nonexistent/diffbench-dir"], "no results file"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(capsys, tmp_path, argv, message):
    if argv[0] == "run":
        argv = [*argv, "--output", str(tmp_path / "out")]
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    if argv[0] == "run":  # rejected before the sweep started: nothing written
        assert not (tmp_path / "out" / "results.csv").exists()
        assert not (tmp_path / "out" / "results").exists()


def test_unwritable_output_is_rejected(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_main(capsys, "run", "--methods", "sympy", "--output", str(blocker))
    assert code == 2 and "cannot be written" in err


def test_subcommands_plug_in_with_one_line(capsys, monkeypatch):
    module = types.ModuleType("diffbench_fake_subcommand")

    def add_parser(subparsers):
        p = subparsers.add_parser("fake", help="a test subcommand")
        p.add_argument("--value", type=int, default=1)

    def handle(args):
        print(f"fake ran with {args.value}")
        if args.value < 0:
            raise ValueError("`value` must be >= 0")
        return 0

    module.add_parser, module.handle = add_parser, handle
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", (module.__name__, "diffbench_missing_module"))
    code, out, err = run_main(capsys, "fake", "--value", "3")
    assert code == 0 and "fake ran with 3" in out
    assert "diffbench_missing_module is unavailable" in err  # a missing plug-in is only a note
    code, _, err = run_main(capsys, "fake", "--value", "-1")
    assert code == 2 and err.strip().endswith("`value` must be >= 0")


def test_run_then_report(capsys, tmp_path):
    out = tmp_path / "out"
    code, stdout, _ = run_main(
        capsys,
        "run",
        "--methods",
        "sympy",
        "--problems",
        "runge",
        "--output",
        str(out),
        "--jobs",
        "1",
        "--quiet",
    )
    assert code == 0 and "wrote 3 rows" in stdout  # 2 points + 1 cost row
    code, stdout, _ = run_main(capsys, "report", "--input", str(out))
    assert code == 0 and (out / "REPORT.md").is_file()
    assert (out / "figures" / "step_runge.png").is_file()


USER_PROBLEMS = """
import sympy
from diffbench.problems import Problem, ProblemRegistry

x = sympy.Symbol("x", real=True)
registry = ProblemRegistry()
registry.register(
    Problem("user-cube", x**3, (x,), ((0.5,),), domain=((0.0, 1.0),),
            tags=frozenset({"smooth"}), description="x cubed")
)
"""


def test_run_sweeps_a_users_problems_given_as_module_attr_and_resumes_them(
    capsys, tmp_path, monkeypatch
):
    (tmp_path / "user_problems_cli.py").write_text(USER_PROBLEMS)
    monkeypatch.chdir(tmp_path)  # found in the working directory, like python -m
    monkeypatch.delitem(sys.modules, "user_problems_cli", raising=False)
    out = tmp_path / "out"
    argv = ["run", "--methods", "sympy", "--problems", "user_problems_cli:registry"]
    code, stdout, _ = run_main(capsys, *argv, "--output", str(out), "--jobs", "1", "--quiet")
    assert code == 0 and "wrote 2 rows" in stdout  # 1 point + 1 cost row
    df = read_results(out)
    assert set(df["problem"]) == {"user-cube"}
    ok = df[df["measure"] == "accuracy"]
    assert ok["status"].tolist() == ["ok"] and ok["rel_error"].iloc[0] <= 1e-15
    # --resume re-imports the problems from the spec recorded in run.json
    code, stdout, _ = run_main(capsys, "run", "--output", str(out), "--resume", "--quiet")
    assert code == 0 and "wrote 2 rows" in stdout


def test_run_rejects_a_module_attr_that_does_not_import(capsys, tmp_path):
    code, _, err = run_main(
        capsys, "run", "--problems", "no_such_module_xyz:p", "--output", str(tmp_path / "o")
    )
    assert code == 2 and "`problems`" in err and "no_such_module_xyz" in err
    assert len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------
# kill -9 in the middle of a sweep, then --resume
# --------------------------------------------------------------------------------------------
SWEEP_ARGS = [
    "--methods",
    "central",
    "forward",
    "backward",
    "--problems",
    "runge",
    "exp-sin",
    "--steps",
    "1e-1:1e-16:40",
    "--grid-sizes",
    "8",
    "--jobs",
    "1",
    "--quiet",
]


def diffbench(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "diffbench.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def data_lines(path: Path) -> int:
    """Rows in the complete parts of the dataset ``path`` (from their footers); -1 if none."""
    import pyarrow.parquet as pq

    parts = part_paths(path)
    return sum(pq.ParquetFile(p).metadata.num_rows for p in parts) if parts else -1


@pytest.mark.slow
def test_sigkill_mid_sweep_then_resume_loses_and_repeats_nothing(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    proc = diffbench("run", *SWEEP_ARGS, "--output", str(killed))
    results = killed / "results"
    # the writer gathers rows into parts of 10,000 rows or 30 s, whichever comes first
    deadline = time.monotonic() + 300
    while data_lines(results) < 1500 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = read_results(killed)
    assert 0 < len(partial) and partial["key"].is_unique

    # resume with no other options: the stored configuration is finished
    resumed = diffbench("run", "--output", str(killed), "--resume", "--quiet")
    full = diffbench("run", *SWEEP_ARGS, "--output", str(clean))
    for p in (resumed, full):
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    a, b = read_results(killed), read_results(clean)
    assert a["key"].is_unique and b["key"].is_unique
    assert set(a["key"]) == set(b["key"])
    assert len(a) > len(partial)
    # what was written before the kill is kept as it was
    assert a.iloc[: len(partial)]["key"].tolist() == partial["key"].tolist()
    # identical accuracy numbers with and without the interruption
    cols = ["key", "step_used", "rel_error", "abs_error", "nfev", "status"]
    acc_a = a[a["measure"] == "accuracy"][cols].sort_values("key").reset_index(drop=True)
    acc_b = b[b["measure"] == "accuracy"][cols].sort_values("key").reset_index(drop=True)
    assert acc_a.equals(acc_b)
    assert '"status": "complete"' in (killed / "run.json").read_text()
