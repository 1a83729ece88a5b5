"""Step rules measured by the sweep: the rows, the "Step selection" section and its figure, the
chooser's step-rule advice and the asv benchmarks of the rules."""

from __future__ import annotations

import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from diffbench import report
from diffbench.analysis_steps import step_rule_points, step_rule_summary
from diffbench.chooser import choose
from diffbench.figures.registry import FIGURES, figure_spec, save_figures
from diffbench.figures.step_rules import plot_step_rules
from diffbench.plan import BASELINE_RULE, measured_step_rules, step_rules_for
from diffbench.report_steps import rule_verdicts
from diffbench.runner import sweep
from diffbench.schema import COLUMNS, MEASURES, SCHEMA_VERSION
from diffbench.store import (
    RESULTS_DIR,
    RESULTS_FILE,
    ResultsFileError,
    export_csv,
    measurement_key,
    read_results,
    rows_to_frame,
)

STEPS = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
SMOOTH, POLE = ("smooth-a", "smooth"), ("pole-b", "singularity")


def _row(problem, tags, step, err, **extra):
    row = {
        "run_id": "run-x",
        "key": measurement_key("accuracy", problem, 0, "good", step, None, "point"),
        "measure": "accuracy",
        "problem": problem,
        "tags": tags,
        "dim": 1,
        "point": 0,
        "point_values": "[0.5]",
        "method": "good",
        "label": "good",
        "settings": "{}",
        "family": "finite-difference",
        "kind": "step",
        "order": 2,
        "step_rel": step,
        "step": step,
        "step_used": step,
        "region": "point",
        "rel_error": err,
        "abs_error": err,
        "status": "ok",
        "message": "",
        "versions": "diffbench test",
        "schema_version": SCHEMA_VERSION,
        "form": "point",
        "peer": False,
        "wraps": "",
    }
    row.update(extra)
    return row


def _rule_row(problem, tags, rule, err, nfev, extra, status="ok"):
    key = measurement_key("step-rule", problem, 0, "good", None, None, "point", step_rule=rule)
    value = err if status == "ok" else None
    return _row(problem, tags, None, value, key=key, measure="step-rule", step_rule=rule,
                nfev=nfev, nfev_extra=extra, status=status, step_used=1e-3)  # fmt: skip


@pytest.fixture
def known():
    """A swept curve (best 1e-9 on the smooth problem, 1e-7 at the pole) and three rules."""
    rows = []
    for step, err in zip(STEPS, [1e-4, 1e-8, 1e-10, 1e-9, 1e-6], strict=True):
        rows.append(_row(*SMOOTH, step, err))
        rows.append(_row(*POLE, step, err * 100))
    rows += [
        _rule_row(*SMOOTH, "relative", 1e-6, 2, 0),
        _rule_row(*POLE, "relative", 1e-3, 2, 0),
        _rule_row(*SMOOTH, "guarded", 5e-9, 10, 8),  # within 10x of 1e-9
        _rule_row(*POLE, "guarded", 2e-7, 12, 10),  # within 10x of 1e-7
        _rule_row(*SMOOTH, "gmsw", None, 7, 5, status="non-finite"),
        _rule_row(*POLE, "gmsw", 5e-7, 7, 5),
    ]
    return rows_to_frame(rows)


def test_the_schema_has_the_step_rule_columns_and_version_5():
    assert SCHEMA_VERSION == 5 and "step-rule" in MEASURES
    assert {"step_rule", "nfev_extra"} <= set(COLUMNS)


def test_a_version_4_table_is_refused_naming_both_versions(tmp_path: Path):
    v4 = [c for c in COLUMNS if c not in ("step_rule", "nfev_extra")]
    fields = ["4" if c == "schema_version" else "" for c in v4]
    (tmp_path / RESULTS_FILE).write_text(",".join(v4) + "\n" + ",".join(fields) + "\n")
    with pytest.raises(ResultsFileError, match=r"schema 4, and this .* reads schema 5"):
        read_results(tmp_path)


def test_summary_numbers_from_known_rows(known):
    pts = step_rule_points(known).set_index(["step_rule", "problem"])
    assert pts.loc[("guarded", "smooth-a"), "best"] == 1e-9
    assert bool(pts.loc[("guarded", "smooth-a"), "within"])
    assert not bool(pts.loc[("relative", "pole-b"), "within"])
    assert math.isinf(pts.loc[("gmsw", "smooth-a"), "error"])
    s = step_rule_summary(known).set_index("step_rule")
    assert list(s.index) == ["relative", "guarded", "gmsw"]
    g = s.loc["guarded"]
    assert (g["points"], g["within"], g["compared"], g["failures"]) == (2, 2, 2, 0)
    assert g["median_error"] == pytest.approx((5e-9 + 2e-7) / 2) and g["worst_error"] == 2e-7
    assert g["median_nfev"] == 11 and g["median_extra"] == 9
    assert s.loc["relative", "within"] == 0 and s.loc["gmsw", "within"] == 1
    assert s.loc["gmsw", "failures"] == 1 and math.isinf(s.loc["gmsw", "worst_error"])


def test_the_section_renders_from_known_rows(known, tmp_path: Path):
    text = report.render_report(known)
    section = text.split("## Step selection", 1)[1].split("\n## ", 1)[0]
    assert "| `good` | `guarded` | 2 | 1.0e-7 | 2.0e-7 | 11 | 9 | 2/2 | 0 |" in section
    assert "| `good` | `gmsw` | 2 | inf | inf | 7 | 5 | 1/2 | 1 |" in section
    assert "`good`: `guarded` came within 10x of the best swept step at 2/2" in section
    # the existing sections do not count the rule rows as swept steps
    assert "## Which method should I use?" in text
    out = report.write_report(known, tmp_path / "REPORT.md")
    written = out.read_text()
    assert "![Step rules: error against evaluations" in written
    assert (tmp_path / "figures" / "step_rules.png").is_file()


def test_no_section_without_rule_rows(known):
    plain = known[known["measure"] != "step-rule"]
    assert "## Step selection" not in report.render_report(plain)
    assert not figure_spec("step-rules").applies(plain, None)


def test_the_figure_is_registered_and_drawn(known, tmp_path: Path):
    assert "step-rules" in [s.name for s in FIGURES]
    spec = figure_spec("step-rules")
    assert not spec.per_problem and spec.section == "step-rules" and spec.applies(known, None)
    fig = plot_step_rules(known)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    # relative, guarded at both points' medians; gmsw's median is infinite: not drawn, said so
    assert len(ax.collections) == 2
    assert any("not drawn" in t.get_text() for t in ax.texts)
    written = save_figures(known, tmp_path)
    assert [p.name for p in written["step-rules"]] == ["step_rules.png"]
    with pytest.raises(ValueError, match="no step-rule"):
        plot_step_rules(known[known["measure"] != "step-rule"])


def test_verdict_orders_by_points_within_then_extra():
    import pandas as pd

    s = pd.DataFrame({"method": ["m"] * 3, "step_rule": ["a", "b", "c"], "within": [2, 4, 4],
                      "compared": [4, 4, 4], "median_extra": [0.0, 30.0, 10.0]})  # fmt: skip
    (line,) = rule_verdicts(s)
    assert line.startswith("`m`: `c` came within 10x") and "`b`: 4/4, 30; `a`: 2/4, 0." in line


def test_rules_are_read_from_the_registry():
    from methods.finite_difference import STEP_RULES

    rules = measured_step_rules()
    assert rules[0] == BASELINE_RULE and set(rules) == set(STEP_RULES) - {"absolute"}
    from diffbench.configs import resolve_methods

    by_label = {c.label: c for c in resolve_methods(["forward", "central", "complex-step"])}
    assert "gmsw" in step_rules_for(by_label["forward(order=1)"])
    assert "gmsw" not in step_rules_for(by_label["central(order=4)"])
    assert step_rules_for(by_label["complex-step"]) == ()


def test_the_sweep_writes_one_row_per_rule_and_resume_completes_them(tmp_path: Path):
    out = tmp_path / "run"
    args = (["forward(order=1)", "central(order=4)"], ["sin50", "pole"])
    df = sweep(*args, steps=[1e-3, 1e-6], output=out, cost=False)
    rules = df[df["measure"] == "step-rule"]
    n_rules = len(step_rules_for_label("forward(order=1)")) + len(
        step_rules_for_label("central(order=4)")
    )
    assert len(rules) == 2 * n_rules  # the first point of each problem
    assert rules["step_rel"].isna().all() and (rules["step_used"] > 0).all()
    assert not rules["key"].duplicated().any()
    base = rules[rules["step_rule"] == BASELINE_RULE]
    assert (base["nfev_extra"] == 0).all()
    assert (rules["nfev_extra"] >= 0).all()
    assert set(rules["step_rule"]) == set(measured_step_rules())
    # cut the table's last rule rows: resume measures them again, no key twice (the rows go
    # through a results.csv of the earlier store, which --resume takes over, as in test_sweep)
    lines = export_csv(out, tmp_path / "export.csv").read_text().splitlines(keepends=True)
    shutil.rmtree(out / RESULTS_DIR)
    (out / RESULTS_FILE).write_text("".join(lines[:-3]))
    again = sweep(output=out, resume=True)
    assert sorted(again["key"]) == sorted(df["key"])


def step_rules_for_label(label: str) -> tuple[str, ...]:
    from diffbench.configs import resolve_methods

    (config,) = resolve_methods([label])
    return step_rules_for(config)


def _wavy(v):
    return math.sin(50.0 * float(v[0])) * math.exp(float(v[1]))


def _smooth(v):
    return math.exp(float(v[0])) * math.cos(float(v[1]))


def test_choose_recommends_a_rule_where_the_default_step_is_bad():
    # sin(50 x): derivatives grow like 50^k, so the unit-scale default step of central(2) is
    # too large and the step tuned here suits this point only; a rule that looks at f is robust
    x = [0.37, 0.1]
    ref = [50 * math.cos(50 * x[0]) * math.exp(x[1]), math.sin(50 * x[0]) * math.exp(x[1])]
    c = choose(_wavy, x, methods=["central"], reference=ref, target=1e-10, noise=0.0,
               progress=False)  # fmt: skip
    assert c.recommended.name == "central" and c.recommended.step is not None
    a = c.step_rule
    assert a is not None and a.step_rule in measured_step_rules()
    assert a.step_rule not in (BASELINE_RULE, "guarded")
    assert a.error <= 10 * a.best_error and a.extra_nfev > 0 and a.nfev > a.extra_nfev
    assert f'step_rule="{a.step_rule}"' in a.code and a.code.startswith('get_method("central"')
    assert any(a.code in note for note in c.notes)
    assert c.to_dict()["step_rule"]["step_rule"] == a.step_rule
    # the code runs and is as accurate as measured
    from methods import get_method

    settings = dict(a.settings)
    est = get_method("central", **settings).gradient(_wavy, np.array(x))
    assert np.max(np.abs(est.value - ref)) / np.max(np.abs(ref)) == pytest.approx(a.error)


def test_choose_recommends_no_rule_on_a_smooth_unit_scale_function():
    x = [0.5, 0.3]
    ref = [math.exp(x[0]) * math.cos(x[1]), -math.exp(x[0]) * math.sin(x[1])]
    c = choose(_smooth, x, methods=["central"], reference=ref, target=1e-10, noise=0.0,
               progress=False)  # fmt: skip
    assert c.recommended.name == "central" and c.recommended.step is None
    assert c.step_rule is None and c.to_dict()["step_rule"] is None


def test_asv_step_rule_benchmarks_import_and_return_finite_values():
    from benchmarks import bench_step_rules as b

    assert b.RULES == measured_step_rules()
    assert set(b.PROBLEMS) == {"sin50", "pole", "sqrt-near-0", "log-large"}
    bench = b.StepRuleAccuracy()
    truths = bench.setup_cache()
    values = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rule in ("dumontet-vignes", "gmsw"):
            for problem in b.PROBLEMS:
                bench.setup(truths, rule, "forward(order=1)", problem)
                err = bench.track_relative_error(truths, rule, "forward(order=1)", problem)
                extra = bench.track_extra_nfev(truths, rule, "forward(order=1)", problem)
                assert math.isfinite(err) and err < 1e-6 and extra > 0
                values[rule, problem] = err
        # central(4) with the unit-scale rule at the pole: finite, and 100 % wrong
        bench.setup(truths, "relative", "central(order=4)", "pole")
        assert bench.track_relative_error(truths, "relative", "central(order=4)", "pole") > 0.5
        assert bench.track_extra_nfev(truths, "relative", "central(order=4)", "pole") == 0
        with pytest.raises(NotImplementedError, match="gmsw"):
            bench.setup(truths, "gmsw", "central(order=4)", "pole")
    assert len(values) == 8
