"""``choose(..., kind=...)`` / ``diffbench choose --kind`` honour ``--noise``, ``--time-limit``
and ``--workers`` as the gradient chooser does (issue 13).

No timing assertions: the time limit is tested with the chooser's clock replaced by a fake one
(``running.clock``, as tests/test_chooser_time.py does), counting calls of ``f``.
"""

from __future__ import annotations

import numpy as np
import pytest

from diffbench.chooser import choose, running
from diffbench.chooser.cli import main
from diffbench.chooser.kinds import choose_kind
from diffbench.chooser.kinds_options import ScalarArgument, kind_amplification
from diffbench.problems import point_noise
from methods import get_method

X = [0.7, 1.3]
FD = ["central", "forward", "backward"]


def exp_sin(x):
    return np.exp(x[0]) * np.sin(x[1])


def noisy_exp_sin(x):
    return exp_sin(x) + 1e-6 * point_noise(np.asarray(x, dtype=float))


def cube(x):
    return float(np.exp(x[0]) * np.cos(x[0]) ** 2)


def summary(choice) -> list:
    """The ranking without times: label, step, error, evaluations."""
    return [(c.label, c.step, c.error, c.nfev) for c in choice.ranking]


# -- noise ---------------------------------------------------------------------------------------
def test_given_noise_limits_the_reachable_error_of_difference_methods() -> None:
    kw = dict(kind="hessian", methods=[*FD, "hyper-dual"], target=1e-4, progress=False)
    clean = choose(exp_sin, X, noise=0, **kw)
    noisy = choose(exp_sin, X, noise=1e-6, **kw)
    assert clean.noise < 1e-15 and not clean.noisy
    assert noisy.noise == 1e-6 and noisy.noisy
    errors = {c.label: c.error for c in clean.ranking}
    for c in noisy.ranking:
        if c.label == "hyper-dual":  # not noise-linear: its error is measured only
            assert c.error == errors[c.label]
            continue
        # a Hessian's noise floor ~ 1e-6 / h^2 / |H|: far above what the clean f reaches
        assert c.error > 10 * errors[c.label] and c.error > 1e-5, c.label
        assert c.step is None or c.step >= 1e-2  # the noise pushes the step up
    assert not any(c.meets_target for c in noisy.ranking if c.label != "hyper-dual")
    assert "noise of f: 1.0e-06 (given (--noise)" in noisy.report()
    assert "noise of f: " in clean.report() and "--noise 0" in clean.report()
    assert noisy.to_dict()["noise"] == 1e-6


def test_the_noise_floor_of_a_kth_derivative_scales_as_h_to_minus_k() -> None:
    method = get_method("central")
    for deriv in (1, 2, 3):

        def call(g, h, deriv=deriv):
            return method.derivative(ScalarArgument(g), 0.4, step=h, deriv=deriv)

        ratio = kind_amplification(call, None, 1e-2) / kind_amplification(call, None, 1e-3)
        assert 0.3 * 10.0**-deriv < ratio < 3 * 10.0**-deriv, deriv


def test_auto_noise_is_estimated_by_ecnoise() -> None:
    choice = choose(noisy_exp_sin, X, kind="hessian", methods=FD, progress=False)
    assert choice.noisy and 1e-7 < choice.noise < 1e-5
    assert "estimated by ECnoise" in choice.report()
    clean = choose(exp_sin, X, kind="hessian", methods=FD, progress=False)
    assert not clean.noisy


def test_noise_for_a_derivative_and_a_jacobian() -> None:
    d = choose_kind(cube, [0.4], kind="derivative", deriv=2, noise=1e-8, methods=FD)
    assert d.noisy and d.recommended is not None and d.recommended.error > 1e-6

    def vec(x):
        return np.array([np.exp(x[0]) * x[1], np.sin(x[0]) + x[1] ** 2])

    j = choose_kind(vec, X, kind="jacobian", methods=FD)  # auto: every component, none noisy
    assert not j.noisy and j.recommended.error < 1e-7


def test_bad_noise_is_named() -> None:
    with pytest.raises(ValueError, match="`noise`"):
        choose(exp_sin, X, kind="hessian", noise=-1.0, progress=False)
    with pytest.raises(ValueError, match="`noise`"):
        choose_kind(exp_sin, X, kind="hessian", noise="loud")


# -- time limit ----------------------------------------------------------------------------------
def test_the_time_limit_stops_measuring_and_says_what_was_not_measured(monkeypatch) -> None:
    calls = [0]

    def slow(x):  # two (fake) seconds per call
        calls[0] += 1
        return exp_sin(x)

    monkeypatch.setattr(running, "clock", lambda: 2.0 * calls[0])
    kw = dict(kind="hessian", methods=[*FD, "hyper-dual"], noise=0, progress=False)
    choice = choose(slow, X, time_limit=200, **kw)
    assert calls[0] * 2.0 <= 200  # counted: the whole run stays within the time limit
    assert choice.not_measured
    assert choice.recommended is not None
    assert choice.recommended.label not in choice.not_measured
    assert all(c.why == "" and c.nfev is not None for c in choice.ranking)
    assert {c.label for c in choice.rejected} >= set(choice.not_measured)
    text = choice.report()
    assert "--time-limit" in text and choice.not_measured[0] in text
    # with time to spare, everything is measured
    calls[0] = 0
    full = choose(slow, X, time_limit=None, **kw)
    assert not full.not_measured and calls[0] > 30


def test_no_time_for_a_reference_is_one_line(monkeypatch) -> None:
    calls = [0]

    def slow(x):
        calls[0] += 1
        return exp_sin(x)

    monkeypatch.setattr(running, "clock", lambda: 2.0 * calls[0])
    with pytest.raises(ValueError, match="--time-limit"):
        choose(slow, X, kind="hessian", noise=0, time_limit=3, progress=False)
    with pytest.raises(ValueError, match="`time_limit`"):
        choose_kind(slow, X, kind="hessian", time_limit=0)


# -- workers -------------------------------------------------------------------------------------
def test_workers_reach_the_methods_and_change_no_value() -> None:
    seen: list[int] = []

    def recording_map(func, items):
        items = list(items)
        seen.append(len(items))
        return [func(i) for i in items]

    for kind, f, x, deriv in (("hessian", exp_sin, X, 1), ("derivative", cube, [0.4], 3)):
        seen.clear()
        kw = dict(kind=kind, deriv=deriv, methods=FD, noise=0, progress=False)
        one = choose(f, x, **kw)
        mapped = choose(f, x, workers=recording_map, **kw)
        assert seen, kind  # the finite differences evaluated f through it
        assert summary(mapped) == summary(one)
        assert "workers" not in mapped.code and "workers" not in mapped.recommended.label


def test_two_processes_give_the_values_of_one() -> None:
    kw = dict(kind="hessian", methods=["central"], noise=0, time_limit=None, progress=False)
    assert summary(choose(exp_sin, X, workers=2, **kw)) == summary(choose(exp_sin, X, **kw))


def test_workers_are_checked_and_refused_for_a_jacobian() -> None:
    with pytest.raises(ValueError, match="`workers`"):
        choose(exp_sin, X, kind="hessian", workers=0, progress=False)

    def vec(x):
        return np.array([x[0] * x[1], x[1]])

    with pytest.raises(ValueError, match=r"`--workers`.*jacobian"):
        choose(vec, X, kind="jacobian", workers=2, progress=False)


# -- the command line ----------------------------------------------------------------------------
def test_cli_kind_with_noise_time_limit_and_workers(capsys) -> None:
    args = ["choose", "--expr", "exp(x)*sin(y)", "--vars", "x,y", "--at", "0.7,1.3"]
    args += ["--kind", "hessian", "--methods", "central,hyper-dual"]
    assert main([*args, "--noise", "1e-6", "--time-limit", "none", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "noise of f: 1.0e-06 (given (--noise)" in out
    assert main([*args, "--noise", "-1"]) == 2
    assert "--noise" in capsys.readouterr().err
