"""The kinds chooser (``choose --kind hessian|jacobian|derivative``) measures the cheapest
candidates first, as the gradient chooser's step sweeps do, so a time limit leaves out the
expensive ones, each listed with the evaluations it needed.

No timing: the chooser's clock (``running.clock``) is replaced by one that advances two seconds
per call of ``f`` (as tests/test_choose_kinds_options.py does), so the evaluations a time limit
buys are a fixed number.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from diffbench.chooser import kinds, running
from diffbench.chooser.kinds import choose_kind
from diffbench.chooser.kinds_options import StandIn, expected_evaluations
from diffbench.chooser.step_sweep import cheapest_first
from methods import get_method

X = [0.7, 1.3]
HESSIAN = ["central", "forward", "hyper-dual", "richardson", "complex-step"]


def exp_sin(x):
    return np.exp(x[0]) * np.sin(x[1])


@pytest.fixture
def slow(monkeypatch):
    """``exp_sin`` whose every call costs two (fake) seconds; ``slow.calls`` counts them."""
    calls = [0]

    def f(x):
        calls[0] += 1
        return exp_sin(x)

    f.calls = calls
    monkeypatch.setattr(running, "clock", lambda: 2.0 * calls[0])
    return f


def measured_order(monkeypatch) -> list[str]:
    """Labels of the candidates in the order the chooser measures them."""
    seen: list[str] = []
    measure = kinds._measure

    def spy(cls, settings, pos, ctx):
        seen.append(cls(**settings).label)
        return measure(cls, settings, pos, ctx)

    monkeypatch.setattr(kinds, "_measure", spy)
    return seen


def test_the_shared_helper_orders_by_evaluations() -> None:
    assert cheapest_first(["a", "b", "c"], {"a": 9, "b": 2, "c": 5}.get) == ["b", "c", "a"]
    assert cheapest_first(["x", "y"], {"x": float("inf"), "y": 3}.get) == ["y", "x"]


def test_expected_evaluations_count_on_a_stand_in() -> None:
    central = get_method("central")
    x = np.array(X)

    def call(g, h):
        return central.hessian(g, x, step=h)

    fixed = central.hessian(exp_sin, x, step=1e-3).nfev
    first = central.hessian(StandIn(None), x).nfev
    assert expected_evaluations(call, None, 1e-3, 0) == first
    assert expected_evaluations(call, None, 1e-3, 15) == first + 15 * fixed

    def fails(g, h):
        raise TypeError("not for this f")

    assert expected_evaluations(fails, None, 1e-3, 15) == float("inf")


def test_candidates_are_measured_cheapest_first(monkeypatch) -> None:
    seen = measured_order(monkeypatch)
    # the order matters (and is counted) under a time limit: one too large to leave any out
    choice = choose_kind(exp_sin, X, kind="hessian", methods=HESSIAN, noise=0, time_limit=1e6)
    assert len(seen) == len(choice.ranking) + len(choice.rejected) > 5
    planned = kinds._cheapest_first(
        kinds._configurations("hessian", 1, False), set(HESSIAN), _ctx(), np.float64(0.0), True
    )
    assert seen == [cls(**s).label for cls, s, _, _ in planned]
    needs = [need for *_, need in planned]
    assert needs == sorted(needs) and needs[0] < needs[-1]
    assert seen[0] == "hyper-dual"  # 2 evaluations, the cheapest
    assert seen.index("central(order=2)") < seen.index("central(order=8)")


def _ctx() -> dict:
    return {"kind": "hessian", "x": np.array(X), "deriv": 1}


def test_a_time_limit_leaves_out_the_expensive_and_says_why(slow, monkeypatch) -> None:
    seen = measured_order(monkeypatch)
    kw = dict(kind="hessian", methods=HESSIAN, noise=0, progress=False)
    choice = choose_kind(slow, X, time_limit=300, **kw)
    assert slow.calls[0] * 2.0 <= 300  # counted: the run stays within the time limit
    assert choice.recommended is not None and choice.recommended.label == "hyper-dual"
    skipped = [c for c in choice.rejected if c.for_time]
    assert skipped and [c.label for c in skipped] == list(choice.not_measured)
    assert {c.label for c in choice.ranking} == set(seen)  # measured means ranked here
    # every candidate measured was expected to cost no more than every one left out
    needs = {}
    for c in skipped:
        m = re.search(r"needs about (\d+) evaluations of f, the time limit \(--time-limit\) "
                      r"leaves (\d+)", c.why)  # fmt: skip
        assert m, c.why
        needs[c.label] = int(m.group(1))
        assert int(m.group(1)) > int(m.group(2))
    assert "central(order=8)" in needs  # the most expensive is the one left out
    assert "--time-limit" in choice.report() and skipped[0].why in choice.report()
    assert choice.to_dict()["not_measured"] == list(choice.not_measured)
    # without a limit everything is measured, and what was measured under it is unchanged
    slow.calls[0] = 0
    full = choose_kind(slow, X, time_limit=None, **kw)
    assert not full.not_measured and not any(c.for_time for c in full.rejected)
    by_label = {c.label: c for c in full.ranking}
    for c in choice.ranking:
        same = by_label[c.label]
        assert (c.step, c.error, c.nfev, c.meets_target) == (
            same.step,
            same.error,
            same.nfev,
            same.meets_target,
        )
    assert full.recommended.label == choice.recommended.label


def test_a_cheap_candidate_after_an_expensive_one_is_still_measured(slow) -> None:
    # richardson (adaptive, ~25-41 evaluations) fits after the step methods that do not
    kw = dict(kind="hessian", methods=["central", "richardson"], noise=0, progress=False)
    choice = choose_kind(slow, X, time_limit=200, **kw)
    ranked = {c.label for c in choice.ranking}
    assert {"richardson(levels=2)", "richardson(levels=4)"} <= ranked
    assert "central(order=8)" in choice.not_measured
    assert slow.calls[0] * 2.0 <= 200


def test_the_order_holds_for_a_derivative_and_a_jacobian(monkeypatch) -> None:
    seen = measured_order(monkeypatch)
    choose_kind(lambda x: float(np.exp(x[0])), [0.4], kind="derivative", deriv=2,
                methods=["central", "richardson"], noise=0)  # fmt: skip
    assert seen.index("central(order=2)") < seen.index("central(order=8)")
    seen.clear()

    def vec(x):
        return np.array([np.exp(x[0]) * x[1], np.sin(x[0]) + x[1] ** 2])

    choose_kind(vec, X, kind="jacobian", methods=["central", "ridders"], noise=0)
    assert seen.index("central(order=2)") < seen.index("central(order=8)")
    assert seen[-1] in ("ridders", "central(order=8)")


def test_without_a_time_limit_nothing_is_counted_and_the_order_is_the_registry_s(
    monkeypatch,
) -> None:
    # no limit: the order changes no result, so no candidate is run on the stand-in
    counted = []
    monkeypatch.setattr(kinds, "expected_evaluations", lambda *a: counted.append(a) or 0.0)
    seen = measured_order(monkeypatch)
    choose_kind(exp_sin, X, kind="hessian", methods=HESSIAN, noise=0)
    assert counted == []
    configs = kinds._configurations("hessian", 1, False)
    assert seen == [cls(**s).label for cls, s, _ in configs if cls.name in set(HESSIAN)]
