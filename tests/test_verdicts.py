"""Every verdict on a stated basis (issue "Verdicts a user can act on"): one test per finding of
the audit, each on a hand-built table (with the schema-3 ``step_rel`` column where steps
matter), each failing on the code before the fix."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from diffbench import analysis, report
from diffbench.report_sections import definitions_section, environment_section
from diffbench.store import measurement_key, rows_to_frame

EPS = float(np.finfo(float).eps)
#: Relative steps of the sweep: 1e-1 down to 1e-300, 4 per decade above 1e-16, then coarser.
STEPS = np.concatenate([10.0 ** -np.arange(1, 16.25, 0.25), 10.0 ** -np.arange(17, 301, 1.0)])


def row(label, problem, point, step, err, *, measure="accuracy", x=0.5, **extra):
    out = {
        "run_id": "r",
        "key": measurement_key(measure, problem, point, label, step, None, "point"),
        "measure": measure,
        "problem": problem,
        "tags": extra.pop("tags", "smooth"),
        "dim": 1,
        "point": point,
        "point_values": f"[{x}]",
        "method": extra.pop("method", label),
        "label": label,
        "family": extra.pop("family", "finite-difference"),
        "kind": extra.pop("kind", "step"),
        "form": "point",
        "order": extra.pop("order", 2),
        "black_box": extra.pop("black_box", True),
        "step": None if step is None else step * max(1.0, abs(x)),
        "step_used": None if step is None else step * max(1.0, abs(x)),
        "region": "point",
        "rel_error": err,
        "abs_error": err,
        "status": "ok" if err is not None else "non-finite",
        "versions": "test",
    }
    out.update(extra)
    return out


def frame(rows):
    """A schema-3 table: ``step_rel`` is the step the row was swept at (NaN without one)."""
    df = rows_to_frame(rows)
    x = np.array([max(1.0, abs(float(v.strip("[]")))) for v in df["point_values"]])
    return df.assign(step_rel=df["step"].to_numpy(dtype=float) / x)


def v_curve(label, problem, point, best, **kw):
    """A V-shaped error curve over STEPS[:25] with minimum ``best`` at 1e-5."""
    h = STEPS[:25]
    err = best * (h / 1e-5) ** 2 + best * (1e-5 / h)
    return [row(label, problem, point, s, float(e), **kw) for s, e in zip(h, err, strict=True)]


# --------------------------------------------------------------------------------------------
# "robust" is judged at the default step
# --------------------------------------------------------------------------------------------
def robust_table():
    rows = []
    for p in ("a", "b", "c"):
        rows += v_curve("eight", p, 0, 1e-14, order=8)
        rows += v_curve("two", p, 0, 1e-10)
        rows.append(row("two", p, 0, None, 3e-10, measure="cost", nfev=2, time=1e-4))
    # `eight` is the most accurate default on a and b, but its default step fails on c
    rows.append(row("eight", "a", 0, None, 2e-15, measure="cost", nfev=8, time=2e-4, order=8))
    rows.append(row("eight", "b", 0, None, 2e-15, measure="cost", nfev=8, time=2e-4, order=8))
    rows.append(row("eight", "c", 0, None, 0.4, measure="cost", nfev=8, time=2e-4, order=8))
    return frame(rows)


def test_failures_are_counted_at_the_default_step_and_at_the_best_step():
    s = analysis.method_summary(robust_table()).set_index("label")
    assert s.loc["eight", "failures"] == 0  # at the best swept step: fine everywhere
    assert s.loc["eight", "default_failures"] == 1  # at its default step: c fails
    assert s.loc["eight", "default_problems"] == 3
    assert s.loc["two", "default_failures"] == 0


def test_robust_advice_uses_the_default_step_count():
    text = "\n".join(report.recommendations(robust_table()))
    robust = re.search(r"\*\*Black box, robust at the default step\*\*: (.*)", text)
    assert robust, text
    assert robust.group(1).startswith("`two` fails at its default step on 0 of 3 problems")
    assert "`eight`, fails at its default step on 1 of 3" in robust.group(1)


# --------------------------------------------------------------------------------------------
# one basis per table
# --------------------------------------------------------------------------------------------
def test_best_and_default_errors_share_the_first_point():
    rows = v_curve("fd", "p", 0, 1e-10) + v_curve("fd", "p", 1, 1e-6)
    rows.append(row("fd", "p", 0, None, 5e-10, measure="cost", nfev=2, time=1e-4))
    s = analysis.method_summary(frame(rows)).set_index("label")
    # before: the worst point's 1e-6 next to the first point's default 5e-10
    assert s.loc["fd", "median_best_error"] == pytest.approx(2e-10, rel=0.5)
    assert s.loc["fd", "median_best_error"] <= s.loc["fd", "median_default_error"]
    # the table of best errors per problem keeps the worst point, and says so
    best = analysis.best_attainable(frame(rows)).set_index("label")
    assert best.loc["fd", "best_rel_error"] > 1e-7
    text = report.render_report(frame(rows))
    assert "worst of the problem's points" in text and "**at its first point**" in text


def test_best_step_is_the_relative_step_when_the_table_has_it():
    rows = v_curve("fd", "p", 0, 1e-10, x=100.0)
    bs = analysis.best_steps(frame(rows))
    # the absolute step of the best row is 100x the relative one; the table says the relative
    assert bs["best_step"].iloc[0] == pytest.approx(1e-5, rel=0.3)
    assert analysis.step_column(frame(rows)) == "step_rel"
    assert analysis.step_column(rows_to_frame(rows)) == "step"  # schema 2: absolute steps


# --------------------------------------------------------------------------------------------
# the safe-step window has a floor
# --------------------------------------------------------------------------------------------
def test_safe_window_of_an_exact_zero_best_spans_the_rounding_plateau():
    h = STEPS
    err = np.where(h > 1e-8, (h / 1e-8) ** 2 * 1e-16, 0.0)
    plateau = (h <= 1e-8) & (np.arange(h.size) % 3 == 1)
    err = np.where(plateau, 2.3e-16, err)  # <= 2.3e-16 from 1e-8 to 1e-300, with exact zeros
    rows = [
        row("complex-step", "p", 0, s, float(e), family="complex-step")
        for s, e in zip(h, err, strict=True)
    ]
    bs = analysis.best_steps(frame(rows))
    assert bs["best_rel_error"].iloc[0] == 0.0
    assert bs["window_decades"].iloc[0] >= 100
    i, best, lo, hi = analysis.best_on_curve(err)
    assert best == 0.0 and h[hi] == 1e-300 and h[lo] <= 1e-8 * 10**0.5


# --------------------------------------------------------------------------------------------
# calibration drops no row
# --------------------------------------------------------------------------------------------
def test_calibration_ratio_needs_no_dropping():
    rows = []
    for point, est in enumerate([1e-15, 4e-16, 1e-14]):
        r = row("extra", "p", point, None, 0.0, kind="adaptive", family="extrapolation")
        r["error_estimate"] = est
        rows.append(r)
    cal = analysis.estimate_calibration(frame(rows)).set_index("label")
    # every true error is 0: the ratio is estimate / (eps x 1), not NaN
    assert cal.loc["extra", "median_ratio"] == pytest.approx(1e-15 / EPS)
    text = "\n".join(report.render_report(frame(rows)).split("\n"))
    assert "no row is dropped" in text


# --------------------------------------------------------------------------------------------
# cost against accuracy on one basis
# --------------------------------------------------------------------------------------------
def test_cost_summary_is_at_the_default_step():
    rows = v_curve("fd", "p", 0, 1e-12)  # tuned best 1e-12 ...
    rows.append(row("fd", "p", 0, None, 5e-9, measure="cost", nfev=2, time=1e-4))  # default 5e-9
    rows.append(row("ad", "p", 0, None, 0.0, kind="exact", family="reverse-mode AD"))
    rows.append(row("ad", "p", 0, None, 0.0, measure="cost", nfev=0, time=1e-5, kind="exact"))
    c = analysis.cost_summary(frame(rows)).set_index("label")
    assert c.loc["fd", "median_default_error"] == 5e-9
    assert c.loc["ad", "median_default_error"] == 0.0 and c.loc["ad", "nfev"] == 0


# --------------------------------------------------------------------------------------------
# the report states every basis and defines every term
# --------------------------------------------------------------------------------------------
def test_every_verdict_states_its_basis():
    for sentence in report.recommendations(robust_table()):
        assert re.search(
            r"at (the|its|their) default step|(at|around) the best swept step", sentence
        )
        if "median" in sentence:
            assert "median over the first point of each smooth problem" in sentence


def test_definitions_define_every_table_term():
    text = "\n".join(definitions_section(relative=True))
    for term in (
        "Best error",
        "Default-step error",
        "Methods and peers tables",
        "Best relative error per problem",
        "Failures",
        "Safe window",
        "max(10 x best error, 4 eps)",
        "Theory step",
        "relative step",
        "nfev",
        "prepare (once)",
        "coverage",
        "ratio",
        "10x under",
        "Smooth problems",
        "Rounding level",
        "convergence orders",
    ):
        assert term in text, term


def test_environment_shows_provenance_or_says_not_recorded():
    df = frame(v_curve("fd", "p", 0, 1e-10))
    prov = {
        "git_commit": "abc123",
        "git_dirty": True,
        "packages": {"numpy": "2.4.6", "scipy": "1.17.1"},
        "blas": "openblas 0.3.27",
        "cpu": "Test CPU",
        "machine": "x86_64",
    }
    text = "\n".join(environment_section(df, {"provenance": prov}))
    assert "git commit: abc123 (uncommitted changes)" in text
    assert "packages: numpy 2.4.6, scipy 1.17.1" in text
    assert "BLAS: openblas 0.3.27" in text and "CPU: Test CPU" in text
    assert "provenance: not recorded" in "\n".join(environment_section(df, {}))
    partial = {**prov, "git_commit": None, "git_dirty": None}
    assert "git commit: not recorded" in "\n".join(environment_section(df, {"provenance": partial}))


def test_hazard_text_follows_the_step_column():
    rows = v_curve("fd", "p", 0, 1e-10, tags="singularity")
    rel = report.render_report(frame(rows))
    assert "Swept steps are relative" in rel and "relative step h / max(1, |x|)" in rel
    absolute = report.render_report(pd.DataFrame(rows_to_frame(rows)))
    assert "Swept steps are absolute" in absolute
