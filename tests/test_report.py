"""REPORT.md: summaries and sentences computed from the measurements."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import sympy
from conftest import TinyForward

import methods
from diffbench import analysis, report
from diffbench.problems import Problem
from diffbench.runner import sweep
from diffbench.schema import SCHEMA_VERSION, method_columns
from diffbench.store import ResultsFileError, export_csv, measurement_key, rows_to_frame
from methods import Method, RawResult

STEPS = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
#: What the made-up methods declare, as the schema-v2 columns every row carries (the report reads
#: these columns; it never looks a method up in the registry).
CAPS = {
    "good": {"black_box": True, "needs": "", "noise_linear": True, "reference": "none"},
    "bad": {"black_box": True, "needs": "", "reference": "extrapolated"},
    "exactish": {"black_box": False, "needs": "expression", "reference": "exact"},
}


def acc_row(label, family, kind, problem, tags, point, step, err, status="ok", message=""):
    return {
        "run_id": "run-x",
        "key": measurement_key("accuracy", problem, point, label, step, None, "point"),
        "measure": "accuracy",
        "problem": problem,
        "tags": tags,
        "dim": 1,
        "point": point,
        "point_values": "[0.5]",
        "method": label,
        "label": label,
        "settings": "{}",
        "family": family,
        "kind": kind,
        "theoretical_step": 1e-3 if kind == "step" else None,
        "step": step,
        "step_used": step,
        "region": "point",
        "rel_error": err if status == "ok" else None,
        "abs_error": err if status == "ok" else None,
        "status": status,
        "message": message,
        "versions": "diffbench test",
        "schema_version": SCHEMA_VERSION,
        "form": "point",
        "peer": False,
        "wraps": "",
        **CAPS.get(label, {}),
    }


def cost_row(label, family, kind, problem, tags, err, nfev, time):
    row = acc_row(label, family, kind, problem, tags, 0, None, err)
    row.update(
        measure="cost",
        key=measurement_key("cost", problem, 0, label, None, None, "point"),
        nfev=nfev,
        time=time,
        time_number=10,
        time_repeats=f"[{time!r}]",
    )
    return row


@pytest.fixture
def synthetic():
    """Three made-up methods on a smooth problem and a singular one, numbers chosen by hand."""
    rows = []
    smooth, pole = ("smooth-a", "smooth"), ("pole-b", "singularity")
    for step, err in zip(STEPS, [1e-4, 1e-8, 1e-10, 1e-9, 1e-6], strict=True):
        rows.append(acc_row("good", "finite-difference", "step", *smooth, 0, step, err))
        rows.append(acc_row("good", "finite-difference", "step", *pole, 0, step, err * 100))
    rows.append(acc_row("bad", "extrapolation", "adaptive", *smooth, 0, None, 1e-5))
    nan_msg = "1 of 1 coordinates NaN; RuntimeWarning: bad: f returned nan at x=[0.999]; ..."
    rows.append(
        acc_row("bad", "extrapolation", "adaptive", *pole, 0, None, None, "non-finite", nan_msg)
    )
    rows.append(acc_row("exactish", "symbolic", "exact", *smooth, 0, None, 1e-16))
    rows.append(acc_row("exactish", "symbolic", "exact", *pole, 0, None, 0.9))
    rows.append(cost_row("good", "finite-difference", "step", *smooth, 1e-8, 2, 1e-4))
    rows.append(cost_row("good", "finite-difference", "step", *pole, 0.5, 2, 1e-4))
    rows.append(cost_row("bad", "extrapolation", "adaptive", *smooth, 1e-5, 20, 1e-3))
    rows.append(cost_row("exactish", "symbolic", "exact", *smooth, 1e-16, 0, 1e-2))
    return rows_to_frame(rows)


def test_method_summary_numbers(synthetic):
    s = analysis.method_summary(synthetic).set_index("label")
    # 3-step running medians of [1e-4, 1e-8, 1e-10, 1e-9, 1e-6] reach 1e-9 first at 1e-3
    assert s.loc["good", "median_best_error"] == 1e-9
    assert s.loc["good", "best_step"] == 1e-3
    assert s.loc["good", "theoretical_step"] == 1e-3
    # errors within 10x of 1e-9 (<= 1e-8) around the best: steps 1e-2 to 1e-4, two decades
    assert s.loc["good", "window_decades"] == pytest.approx(2.0)
    assert s.loc["good", "nfev"] == 2 and s.loc["good", "time"] == 1e-4
    assert s.loc["exactish", "median_best_error"] == 1e-16
    assert s.loc["bad", "failures"] == 1 and s.loc["exactish", "failures"] == 1
    assert s.loc["good", "failures"] == 0


def test_hazard_findings_classify_each_failure(synthetic):
    found = analysis.hazard_findings(synthetic)
    assert set(found) == {"singularity"}
    modes = found["singularity"]["modes"]
    assert list(modes["nan"]) == ["bad"]
    assert "x = [0.999]" in modes["nan"]["bad"][0][1]
    assert list(modes["100%"]) == ["exactish"]
    assert list(modes["default"]) == ["good"]
    assert (
        "error 5.0e-1 at the default step, 1.0e-7 at the best step"
        in modes["default"]["good"][0][1]
    )
    assert found["singularity"]["clean"] == []


def test_recommendations_name_the_measured_winners(synthetic):
    text = "\n".join(report.recommendations(synthetic))
    assert re.search(r"Most accurate.*`exactish`", text)
    assert re.search(r"black box.*`good`", text)
    assert re.search(r"Cheapest black-box method.*`good` \(2 evaluations", text)
    assert re.search(r"Fewest failures.*`good` with 0", text)


def test_rendered_report_has_tables_and_hazard_sentences(synthetic, tmp_path):
    path = report.write_report(synthetic, tmp_path / "R.md", figures=False)
    text = path.read_text()
    for heading in ("## Which method should I use?", "## Methods", "## Hazards", "## Environment"):
        assert heading in text
    assert "| `good` | finite-difference | step | 1.0e-9 |" in text
    assert (
        "1 method(s) return NaN: `bad` (pole-b: it evaluates f at x = [0.999], where f is nan)"
        in text
    )
    assert "run id: run-x" in text
    # missing numbers are "-", never "nan" in a table cell
    assert not re.search(r"\|\s*nan\s*\|", text, flags=re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# a real (small) run, with figures
# --------------------------------------------------------------------------------------------
T = sympy.Symbol("t", real=True)


class Forward(TinyForward):
    name: ClassVar[str] = "report-forward"
    default_step: ClassVar[float] = 1e-7


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    probs = [
        Problem(
            "rep-exp", sympy.exp(T), (T,), ((0.3,),), ((-1.0, 1.0),), frozenset({"smooth"}), "exp"
        ),
        Problem(
            "rep-pole",
            1 / (T - 1),
            (T,),
            ((1.01,),),
            ((1.01, 2.0),),
            frozenset({"singularity"}),
            "pole",
        ),
    ]
    sweep(
        [Forward, "sympy"],
        probs,
        steps=[1e-1, 1e-3, 1e-5, 1e-7, 1e-9],
        output=out,
        timing={"target": 1e-4, "repeat": 2},
    )
    return out


def test_write_report_from_a_run_directory(run_dir):
    path = report.write_report(run_dir)
    assert path == run_dir / "REPORT.md"
    text = path.read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert "figures/overview.png" in links and "figures/step_rep-pole.png" in links
    for link in links:
        assert (run_dir / link).is_file()
    info_id = text.split("run id: ")[1].split("\n")[0]
    assert info_id in (run_dir / "run.json").read_text()
    assert "### singularity (`rep-pole`)" in text


def test_corrupt_results_give_a_clear_error_and_stay(tmp_path, run_dir):
    target = tmp_path / "copy"
    target.mkdir()
    text = export_csv(run_dir, tmp_path / "all.csv").read_text()  # a results.csv of earlier
    broken = text.replace(",ok,", ",??,", 1)
    (target / "results.csv").write_text(broken)
    with pytest.raises(ResultsFileError, match="unknown status"):
        report.write_report(target)
    assert (target / "results.csv").read_text() == broken
    assert not (target / "REPORT.md").exists()


def test_dataframe_source_needs_an_output():
    with pytest.raises(ValueError, match="`output` is required"):
        report.write_report(rows_to_frame([]))


def test_empty_path_is_reported(tmp_path):
    with pytest.raises(ResultsFileError, match="no results file"):
        report.write_report(Path(tmp_path))


def test_estimate_calibration_counts_coverage_and_ratio():
    rows = []
    # estimates against true errors, chosen by hand: covered, covered, 100x too small, exact zero
    cases = [(1e-10, 2e-10), (1e-12, 1e-11), (1e-8, 1e-10), (0.0, 1e-15)]
    for point, (err, est) in enumerate(cases):
        row = acc_row("extra", "extrapolation", "adaptive", "smooth-a", "smooth", point, None, err)
        row["error_estimate"] = est
        rows.append(row)
    plain = acc_row("plain", "finite-difference", "step", "smooth-a", "smooth", 0, 1e-3, 1e-9)
    rows.append(plain)  # no estimate: not in the table
    cal = analysis.estimate_calibration(rows_to_frame(rows)).set_index("label")
    assert list(cal.index) == ["extra"]
    r = cal.loc["extra"]
    assert r["rows"] == 4
    assert r["coverage"] == pytest.approx(0.75)  # 3 of 4 estimates are >= the true error
    assert r["coverage_smooth"] == pytest.approx(0.75)
    # ratios 2, 10, 0.01 and, for the zero true error, 1e-15 / eps: no row is dropped (issue
    # "Verdicts a user can act on"; the zero-error row used to be excluded, giving 2.0)
    assert r["median_ratio"] == pytest.approx((2.0 + 1e-15 / np.finfo(float).eps) / 2)
    assert r["underestimate_10x"] == pytest.approx(0.25)


def test_peer_comparison_puts_peers_next_to_the_same_family():
    # whether a method is a peer and what it wraps are columns of the summary (from the table)
    summary = pd.DataFrame(
        {
            "label": ["richardson(levels=2)", "numdifftools", "central(order=2)", "jacobi"],
            "method": ["richardson", "numdifftools", "central", "jacobi"],
            "family": ["extrapolation", "extrapolation", "finite-difference", "extrapolation"],
            "peer": [False, True, False, True],
            "wraps": ["", "numdifftools", "", "jacobi"],
        }
    )
    comp = analysis.peer_comparison(summary)
    # the finite-difference family has no peer: left out; ours first, then the peers
    assert list(comp["label"]) == ["richardson(levels=2)", "numdifftools", "jacobi"]
    assert list(comp["source"]) == ["diffbench", "numdifftools", "jacobi"]
    assert list(comp["peer"]) == [False, True, True]
    # what the runner writes into the ``peer`` column of these methods' rows
    peer = {
        m: method_columns(methods.method_class(m))["peer"] for m in ("pytensor", "scipy-derivative")
    }
    assert peer["pytensor"] and not peer["scipy-derivative"]


def test_report_of_a_run_without_the_cost_pass(tmp_path):
    # a run with --no-cost has no default-step errors: the report still renders (it crashed)
    class Exact(Method):
        name: ClassVar[str] = "exact-sympy-like"
        family: ClassVar[str] = "symbolic"
        kind: ClassVar[str] = "exact"

        def _gradient(self, f, x, step):
            return RawResult(value=np.cos(x))

    x = sympy.Symbol("x")
    prob = Problem(
        "cosine", sympy.sin(x), (x,), ((0.3,),), ((-1.0, 1.0),), frozenset({"smooth"}), ""
    )
    sweep([Exact], [prob], cost=False, output=tmp_path / "run")
    path = report.write_report(tmp_path / "run", figures=False)
    text = path.read_text()
    assert "## Which method should I use?" in text and "exact-sympy-like" in text


# --------------------------------------------------------------------------------------------
# the report reads the table only
# --------------------------------------------------------------------------------------------
def test_report_never_asks_the_registry(synthetic, tmp_path, monkeypatch):
    # what a method is comes from the row's columns: with the registry unusable, the report of
    # an old table reads the same, and flipping the ``black_box`` column changes the advice
    def no_registry(name):
        raise AssertionError(f"the report looked {name!r} up in the registry")

    monkeypatch.setattr(methods, "method_class", no_registry)
    monkeypatch.setattr(methods.registry, "method_class", no_registry)
    text = report.write_report(synthetic, tmp_path / "R.md", figures=False).read_text()
    assert re.search(r"black box.*`good`", text)
    flipped = synthetic.assign(black_box=synthetic["label"] != "good")
    advice = {s.split("**")[1]: s for s in report.recommendations(flipped)}
    assert "`good`" not in advice["If f is a black box"]
    assert (
        "`good`" in advice["If you can run f on complex numbers, dual numbers or have its formula"]
    )


def test_figures_are_embedded_where_the_registry_says(synthetic, tmp_path):
    df = synthetic.replace({"problem": {"pole-b": "pole/b"}})
    fig = tmp_path / "figures"
    figures = {
        "step": [fig / "step_pole_b.png"],
        "grid": [fig / "grid_pole_b.png"],
        "overview": [fig / "overview.png"],
        "cost": [fig / "cost_accuracy.png"],
    }
    text = report.render_report(df, {}, figures, base=tmp_path)
    assert (
        "### pole/b\n\n![Error against step](figures/step_pole_b.png)\n\n"
        "![Grid methods: error against grid size](figures/grid_pole_b.png)\n\n## Definitions"
    ) in text
    assert "### smooth-a" not in text  # no figure of it
    best = text.split("## Best relative error per problem")[1].split("## Peers")[0]
    assert "![Best attainable relative error, method x problem](figures/overview.png)" in best
    cost = text.split("## Cost")[1].split("## Error against step")[0]
    assert "![Cost against accuracy](figures/cost_accuracy.png)" in cost


def test_grid_rows_are_named_from_the_form_column(synthetic):
    # a grid-form row of the table shows as "<label> [grid]"; the label itself has no suffix
    row = synthetic[synthetic["label"] == "good"].iloc[0].to_dict()
    row.update(region="interior", form="grid", grid_size=16, step=None, rel_error=1e-6)
    row["key"] = measurement_key("accuracy", row["problem"], 0, "good", None, 16, "interior")
    df = pd.concat([synthetic, rows_to_frame([row])], ignore_index=True)
    text = report.render_report(df)
    assert "| `good [grid]` | 1e-6 |  |" in text
    assert set(df["label"]) == {"good", "bad", "exactish"}


def test_intro_names_the_kinds_in_the_table():
    from diffbench.report_sections import intro

    rows = {
        "measure": ["accuracy"] * 3,
        "status": ["ok"] * 3,
        "label": ["a", "b", "c"],
        "problem": ["p", "q", "r"],
        "derivative_kind": ["gradient", "hessian", "derivative"],
    }
    text = intro(pd.DataFrame(rows))[1]
    assert "exact SymPy/mpmath gradients, Hessians and k-th derivatives." in text
    only = intro(pd.DataFrame(rows).assign(derivative_kind="gradient"))[1]
    assert "exact SymPy/mpmath gradients." in only
