"""``choose(..., workers=...)`` and ``diffbench choose --workers``: the methods with a
``workers`` setting get it for the step sweep and the final evaluation, and the recommendation
(its code, step and values) is that of ``workers=1``. No timing assertions, and no dependence on
timing: the chooser's timer is replaced by one that gives every call the same time (as in
tests/test_chooser_time.py), so a busy machine cannot reorder the ranking between the runs."""

from __future__ import annotations

import numpy as np
import pytest

from diffbench.chooser import choose, running
from diffbench.chooser.cli import run as choose_cli  # noqa: F401  (the CLI module imports)
from diffbench.cli import main

METHODS = ["central", "forward", "complex-step", "richardson", "ridders", "numpy-gradient", "dual"]
X = [0.3, -1.2]


def smooth(x):
    """A module-level (picklable) f that takes one point, not arrays of points."""
    x = np.asarray(x)
    if x.ndim != 1:
        raise TypeError("one point at a time")
    return np.exp(x[0]) * np.sin(x[1]) + x[0] ** 3


def _listed(step):
    return None if step is None else np.asarray(step).tolist()


def _summary(choice):
    return [
        (c.label, c.code, c.settings, _listed(c.step), c.nfev, c.measured_error, c.error)
        for c in choice.ranking
    ]


@pytest.fixture(autouse=True)
def same_time_for_every_call(monkeypatch):
    """The ranking's time rule sees an idle machine: every timed call takes 0.1 ms."""

    def timed(fn, *args, **kwargs):
        return fn(*args, **kwargs), 1e-4

    monkeypatch.setattr(running, "timed", timed)


def _choose(workers):
    return choose(
        smooth, X, methods=METHODS, noise=0, time_limit=None, progress=False, workers=workers
    )


def test_workers_2_recommends_what_workers_1_does():
    one, two = _choose(1), _choose(2)
    assert two.recommended is not None
    assert two.code == one.code and "workers" not in two.code
    assert two.recommended.label == one.recommended.label
    assert _summary(two) == _summary(one)
    assert [r.label for r in two.rejected] == [r.label for r in one.rejected]


def test_workers_reach_the_methods_that_take_it():
    seen: list[int] = []

    def recording_map(func, items):
        items = list(items)
        seen.append(len(items))
        return [func(i) for i in items]

    mapped = _choose(recording_map)
    assert seen  # the methods with a workers setting evaluated f through it
    assert _summary(mapped) == _summary(_choose(1))


def test_workers_is_checked_and_named():
    with pytest.raises(ValueError, match="`workers`"):
        choose(smooth, X, workers=0, progress=False)


def test_cli_workers(capsys):
    code = main(["choose", "--problem", "exp-sin", "--methods", "central,dual", "--noise", "0",
                 "--workers", "2"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "workers" not in out.split("get_method", 1)[-1].split("\n", 1)[0]
    code = main(["choose", "--problem", "exp-sin", "--workers", "0"])
    assert code == 2 and "--workers" in capsys.readouterr().err
