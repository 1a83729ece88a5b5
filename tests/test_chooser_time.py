"""The chooser and time: the verdict never depends on machine load; slow or misbehaving f.

No test here depends on real timing: the chooser's timer (``running.timed``) and clock
(``running.clock``) are replaced by fake ones, and the one test with a real ``sleep`` checks a
number of calls, not a duration.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time

import numpy as np
import pytest

from diffbench.chooser import choose, running
from diffbench.chooser.cli import main
from diffbench.chooser.ranking import ROUNDS, clearly_faster, time_order
from diffbench.chooser.step_sweep import COARSE, sweep_plan
from diffbench.measure import measure_gradient
from diffbench.problems import get_problem


def exp_sin(x):
    return np.exp(x[0]) * np.sin(x[1])


def rosen(x):
    from scipy.optimize import rosen as r

    return r(x)


def real_only(x):
    x = np.asarray(x, dtype=float)
    return float(np.cos(x[0]) + x[0] * x[1] ** 3)


def fake_timer(monkeypatch, seconds_of) -> None:
    """Replace the chooser's timer: the call runs, its time is ``seconds_of(fn, args)``."""

    def timed(fn, *args, **kwargs):
        return fn(*args, **kwargs), seconds_of(fn, args)

    monkeypatch.setattr(running, "timed", timed)


def verdict(choice) -> tuple:
    rec = choice.recommended
    step = None if rec.step is None else np.asarray(rec.step, dtype=float).tolist()
    return rec.label, step, [c.label for c in choice.ranking]


# -- the same answer on an idle or a loaded machine ----------------------------------------------
@pytest.mark.parametrize(
    ("f", "x"), [(exp_sin, [0.7, 1.3]), (rosen, [1.2, 0.7]), (real_only, [0.4, -1.1])]
)
def test_the_verdict_does_not_depend_on_the_timer(monkeypatch, f, x) -> None:
    fake_timer(monkeypatch, lambda fn, args: 1e-4)  # every call costs the same: an idle machine
    idle = verdict(choose(f, x, progress=False))
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        # a loaded machine: each measured time off by a random factor in [0.3, 3]
        fake_timer(monkeypatch, lambda fn, args, rng=rng: 1e-4 * rng.uniform(0.3, 3.0))
        assert verdict(choose(f, x, progress=False)) == idle, seed


def test_time_decides_only_at_a_clear_factor(monkeypatch) -> None:
    f, x = exp_sin, [0.7, 1.3]
    kwargs = dict(methods=["dual", "central"], target=1e-6, progress=False)

    def method_time(dual_factor):
        def seconds_of(fn, args):
            if fn is measure_gradient:
                return 1e-4 * (dual_factor if args[0].name == "dual" else 1.0)
            return 1e-6  # one call of f

        return seconds_of

    fake_timer(monkeypatch, method_time(1.0))
    same = choose(f, x, **kwargs)
    assert same.recommended.label == "dual" and same.recommended.nfev == 1
    fake_timer(monkeypatch, method_time(1.9))  # slower, but not by a factor 2: nfev decides
    assert choose(f, x, **kwargs).recommended.label == "dual"
    fake_timer(monkeypatch, method_time(10.0))  # 10x slower: the one with more nfev wins
    slow = choose(f, x, **kwargs)
    rec = slow.recommended
    assert rec.name == "central" and rec.nfev > 1
    (dual,) = [c for c in slow.ranking if c.name == "dual"]
    assert len(rec.timings) == len(dual.timings) == ROUNDS
    assert dual.seconds == pytest.approx(10 * rec.seconds)
    assert any("at least 2x faster" in r and "dual" in r for r in slow.reasons)
    assert any(r.startswith("Ranking rule:") and "2x" in r for r in slow.reasons)
    data = slow.to_dict()
    assert data["recommended"]["timing_rounds"] == list(rec.timings)


def test_clearly_faster_and_time_order() -> None:
    assert clearly_faster([1.0] * 9, [2.0] * 9)
    assert not clearly_faster([1.0] * 9, [1.9] * 9)
    assert clearly_faster([1.0] * 8 + [50.0], [2.0] * 9)  # one spike is forgiven
    assert not clearly_faster([1.0] * 7 + [50.0] * 2, [2.0] * 9)  # two are not
    assert not clearly_faster([1.0], [9.0])  # too few rounds decide nothing

    class Row:
        def __init__(self, label):
            self.label = label

    a, b, c = Row("a"), Row("b"), Row("c")  # counted order a, b, c
    times = {"a": (4.0,) * 9, "b": (2.0,) * 9, "c": (1.5,) * 9}
    # b is 2x faster than a; c is 2x faster than a but not than b: b first, then c before a
    assert [r.label for r in time_order([a, b, c], times)] == ["b", "c", "a"]
    times["c"] = (3.0,) * 9  # c is not 2x faster than a: counted order between them
    assert [r.label for r in time_order([a, b, c], times)] == ["b", "a", "c"]


def test_the_sweep_plan_is_counted() -> None:
    assert sweep_plan(29, 4, float("inf")) == 1
    assert sweep_plan(29, 4, (29 + 3) * 4) == 1
    assert sweep_plan(29, 4, (29 + 3) * 4 - 1) == COARSE
    assert sweep_plan(29, 4, (10 + 3) * 4 - 1) is None


# -- slow functions: the time limit plans the work -------------------------------------------------
def test_a_slow_function_is_planned_from_the_cost_of_a_call(monkeypatch, capsys) -> None:
    calls = [0]

    def slow(x):  # two (fake) seconds per call
        calls[0] += 1
        return exp_sin(x)

    monkeypatch.setattr(running, "clock", lambda: 2.0 * calls[0])
    choice = choose(slow, [0.7, 1.3], time_limit=60)
    assert choice.probes.call_seconds == 2.0
    assert calls[0] * 2.0 <= 60  # the whole run stays within the time limit
    skipped = [c for c in choice.rejected if c.status == "skipped for time"]
    assert skipped and all(c.reason for c in skipped)
    assert any("skipped for time" in n.lower() and "--time-limit" in n for n in choice.notes)
    assert choice.noise_source.startswith("not estimated (time limit)")
    err = capsys.readouterr().err
    assert "diffbench choose: " in err and "evaluations left" in err  # the progress line
    # with time to spare, the same function is measured in full
    calls[0] = 0
    full = choose(slow, [0.7, 1.3], time_limit=None, progress=False)
    assert not [c for c in full.rejected if c.status == "skipped for time"]
    assert calls[0] > 1000


def test_a_really_slow_function_makes_a_bounded_number_of_calls() -> None:
    calls = [0]

    def sleepy(x):
        calls[0] += 1
        time.sleep(0.05)
        return exp_sin(x)

    choice = choose(sleepy, [0.7, 1.3], time_limit=2.0, progress=False)
    # each call takes at least 0.05 s, so the limit allows at most 40 evaluations after the
    # first (timed) calls; counted, whatever the load on the machine
    assert calls[0] <= 4 + 2.0 / 0.05
    assert calls[0] <= choice.evaluations  # evaluations count the points of batched calls


def test_time_limit_is_checked() -> None:
    with pytest.raises(ValueError, match="`time_limit` must be positive"):
        choose(exp_sin, [0.7, 1.3], time_limit=0)


# -- misbehaving functions -----------------------------------------------------------------------
@pytest.fixture
def bad_module(tmp_path, monkeypatch):
    (tmp_path / "badmod_choose.py").write_text(
        textwrap.dedent(
            """
            import sys
            import numpy as np
            def quits(x):
                sys.exit(0)
            def interrupts(x):
                raise KeyboardInterrupt
            def quits_later(x):
                if np.ndim(x) == 2 or x[0] != 0.5:
                    sys.exit(3)
                return float(x[0] * x[1])
            def chatty(x):
                print("hello from f")
                return float(np.exp(x[0]) * x[1])
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    yield
    sys.modules.pop("badmod_choose", None)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("quits", "f raised SystemExit (0)"),
        ("interrupts", "f raised KeyboardInterrupt"),
        ("quits_later", "f raised SystemExit (3)"),
    ],
)
def test_a_function_that_exits_is_a_failing_function(bad_module, capsys, name, message) -> None:
    rc = main(["choose", "--function", f"badmod_choose:{name}", "--vector-input", "--at", "0.5,2"])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.err.startswith("diffbench choose: error: ") and message in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_what_f_prints_does_not_corrupt_the_json(bad_module, capsys) -> None:
    argv = ["choose", "--function", "badmod_choose:chatty", "--vector-input", "--at", "0.5,2"]
    rc = main([*argv, "--methods", "central", "--json", "--noise", "0"])
    captured = capsys.readouterr()
    assert rc == 0
    data = json.loads(captured.out)  # stdout is the JSON and nothing else
    assert data["recommended"]["name"] == "central" and "time_limit" in data
    assert "hello from f" in captured.err


def test_cli_time_limit(capsys) -> None:
    p = get_problem("seed-square")
    rc = main(["choose", "--problem", p.name, "--methods", "dual", "--time-limit", "none"])
    assert rc == 0 and "Recommendation: dual" in capsys.readouterr().out
    rc = main(["choose", "--problem", p.name, "--time-limit", "-1"])
    assert rc == 2 and "--time-limit must be positive" in capsys.readouterr().err
