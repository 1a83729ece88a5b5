"""Jacobians, Hessians and k-th derivatives through the sweep, the table, the report and asv.

A small sweep (three problems of diffbench.battery_kinds, three methods) is checked against
theory: the columns say what was differentiated, nfev is what the stencils take, and errors
fall in the bands the error models give (truncation slope p for accuracy order p, whatever the
derivative; exact methods at rounding level).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import methods
from diffbench.analysis_kinds import (
    gradient_rows,
    kind_rows,
    kind_summary,
    kinds_present,
    theory_slopes,
)
from diffbench.cli import main
from diffbench.measure import measure_kind
from diffbench.plan import check_kinds, default_kinds, kind_problems, split_problems
from diffbench.report import write_report
from diffbench.runner import sweep
from diffbench.schema import COLUMNS, SCHEMA_VERSION
from diffbench.store import ResultsFileError, export_csv, read_results

METHODS = ["central(order=2)", "complex-step", "hyper-dual"]
PROBLEMS = ["robertson", "rosenbrock-hessian-2", "runge-d3"]
KINDS = "jacobian,hessian,derivative"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("kinds")
    df = sweep(METHODS, PROBLEMS, kinds=KINDS, output=out, cost=False)
    return out, df


def _slope(g, lo, hi):
    """Least-squares slope of log error against log step for steps in [lo, hi]."""
    g = g[(g["step_rel"] >= lo) & (g["step_rel"] <= hi) & (g["status"] == "ok")]
    return np.polyfit(np.log10(g["step_rel"]), np.log10(g["rel_error"]), 1)[0]


def test_rows_say_what_was_differentiated(run):
    _, df = run
    assert set(df["derivative_kind"]) == {"jacobian", "hessian", "derivative"}
    expected = {
        "robertson": "jacobian",
        "rosenbrock-hessian-2": "hessian",
        "runge-d3": "derivative",
    }
    assert (df["derivative_kind"] == df["problem"].map(expected)).all()
    assert (df.loc[df["problem"] == "runge-d3", "deriv"] == 3).all()
    assert df.loc[df["problem"] != "runge-d3", "deriv"].isna().all()
    assert (df["schema_version"] == SCHEMA_VERSION).all() and SCHEMA_VERSION == 5
    # hyper-dual computes derivatives up to order 2: no rows for the third derivative
    assert not ((df["problem"] == "runge-d3") & (df["label"] == "hyper-dual")).any()
    # asymmetry is recorded for Hessians only (symmetric by construction: 0)
    ok = df[df["status"] == "ok"]
    hess = ok["derivative_kind"] == "hessian"
    assert (ok.loc[hess, "asymmetry"] == 0).all() and ok.loc[~hess, "asymmetry"].isna().all()
    assert df["key"].is_unique
    assert all(k.endswith("|jacobian") for k in df.loc[df["problem"] == "robertson", "key"])
    assert all(k.endswith("|derivative:3") for k in df.loc[df["problem"] == "runge-d3", "key"])


def test_nfev_is_counted_as_the_stencils_take_it(run):
    _, df = run
    dflt = df[df["step_rel"].isna() & (df["point"] == 0)].set_index(["problem", "label"])
    # central Jacobian: 2n; complex-step Jacobian: n + 1; hyper-dual Jacobian: 1 (n = 3)
    assert dflt.loc[("robertson", "central(order=2)"), "nfev"] == 6
    assert dflt.loc[("robertson", "complex-step"), "nfev"] == 4
    assert dflt.loc[("robertson", "hyper-dual"), "nfev"] == 1
    # hyper-dual Hessian: row 0, then the other rows in one evaluation (n = 2)
    assert dflt.loc[("rosenbrock-hessian-2", "hyper-dual"), "nfev"] == 2


def test_errors_fall_in_the_theory_bands(run):
    _, df = run
    ok = df[df["status"] == "ok"]
    dflt = ok[ok["step_rel"].isna()]
    # exact methods at rounding level
    hd = dflt[dflt["label"] == "hyper-dual"]
    assert (hd["rel_error"] < 1e-15).all() and len(hd) == 4
    # the complex step has no rounding error in a Jacobian, even at tiny steps
    cs = ok[(ok["label"] == "complex-step") & (ok["problem"] == "robertson")]
    assert (cs.loc[cs["step_rel"] < 1e-6, "rel_error"] < 1e-15).all()
    # central(order=2) at its default step: within the error model's optimum (eps^(p/(p+k)))
    c = dflt[dflt["label"] == "central(order=2)"].set_index("problem")["rel_error"]
    assert (c.loc["robertson"] < 1e-9).all()
    assert (c.loc["rosenbrock-hessian-2"] < 1e-6).all()
    assert (c.loc["runge-d3"] < 1e-3).all()
    # truncation slope 2 of an order-2 stencil, whatever the derivative
    for problem in ("rosenbrock-hessian-2", "runge-d3"):
        g = ok[
            (ok["label"] == "central(order=2)") & (ok["problem"] == problem) & (ok["point"] == 0)
        ]
        assert _slope(g, 1e-3, 3e-2) == pytest.approx(2.0, abs=0.3), problem
    # rounding slope -k for the k-th derivative, just below the best step (k = 2 and 3)
    for problem, lo, hi, k in (
        ("rosenbrock-hessian-2", 1e-7, 1e-5, 2),
        ("runge-d3", 1e-6, 3e-5, 3),
    ):
        g = ok[
            (ok["label"] == "central(order=2)") & (ok["problem"] == problem) & (ok["point"] == 0)
        ]
        assert _slope(g, lo, hi) == pytest.approx(
            theory_slopes("hessian", 2)[1] if k == 2 else theory_slopes("derivative", 2, 3)[1],
            abs=0.4,
        )


def test_kind_summary_and_report_sections(run, tmp_path):
    out, df = run
    assert kinds_present(df) == ["jacobian", "hessian", "derivative"]
    assert gradient_rows(df).empty
    summary = kind_summary(kind_rows(df, "hessian")).set_index("label")
    assert summary.loc["hyper-dual", "median_best_error"] < 1e-15
    assert summary.loc["central(order=2)", "max_asymmetry"] == 0
    report = write_report(out)
    text = report.read_text()
    for title in ("## Jacobians", "## Hessians", "## Higher derivatives"):
        assert title in text
    for problem in ("robertson", "rosenbrock-hessian-2", "runge-d3"):
        assert f"figures/kind_step_{problem}.png" in text
        assert (out / "figures" / f"kind_step_{problem}.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Which method should I use?" not in text  # no gradient rows, no gradient advice


def test_resume_continues_by_kind_keys_and_refuses_other_kinds(run, tmp_path):
    out, df = run
    # half the rows, in a results.csv as earlier versions wrote (resume moves them to results/)
    lines = export_csv(out, tmp_path / "all.csv").read_text().splitlines(keepends=True)
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "run.json").write_text((out / "run.json").read_text())
    (cut / "results.csv").write_text("".join(lines[: len(lines) // 2]))
    resumed = sweep(output=cut, resume=True)
    assert sorted(resumed["key"]) == sorted(df["key"])
    again = sweep(output=cut, resume=True)
    assert len(again) == len(df)
    with pytest.raises(ValueError, match="other kinds"):
        sweep(output=cut, resume=True, kinds="all")


def test_a_schema_3_table_is_refused_naming_both_versions(tmp_path):
    v3 = [c for c in COLUMNS if c not in ("derivative_kind", "deriv", "asymmetry")]
    fields = ["3" if c == "schema_version" else "" for c in v3]
    (tmp_path / "results.csv").write_text(",".join(v3) + "\n" + ",".join(fields) + "\n")
    with pytest.raises(ResultsFileError, match=r"schema 3, and this .* reads schema 5"):
        read_results(tmp_path)


def test_named_gradient_problems_measure_gradients_only():
    df = sweep(["central(order=2)"], ["seed-square"], steps=[1e-3], cost=False)
    assert (df["derivative_kind"] == "gradient").all() and df["deriv"].isna().all()
    assert check_kinds(None) == ("gradient",)
    assert check_kinds("all") == ("gradient", "jacobian", "hessian", "derivative")
    with pytest.raises(ValueError, match="`kinds` must name"):
        check_kinds("jacobians")


def test_kind_problem_selection():
    assert split_problems(["runge", "robertson"]) == (["runge"], ["robertson"])
    assert split_problems(["robertson"]) == (None, ["robertson"])
    assert split_problems(None) == (None, [])
    names = [p.name for p in kind_problems(("hessian",))]
    assert "rosenbrock-hessian-2" in names and "robertson" not in names
    with pytest.raises(ValueError, match="'robertson' is a jacobian problem"):
        kind_problems(("hessian",), ["robertson"])
    with pytest.raises(ValueError, match="add jacobian to `kinds`"):
        sweep(["central(order=2)"], ["robertson"], kinds="gradient", cost=False)
    # without `kinds`, a named problem is measured for its own kind (issue 13: default all)
    df = sweep(["central(order=2)"], ["robertson"], steps=[1e-3], cost=False)
    assert set(df["derivative_kind"]) == {"jacobian"} and (df["status"] == "ok").any()
    assert default_kinds(None) == ("gradient", "jacobian", "hessian", "derivative")
    assert default_kinds(["seed-square", "rosenbrock-hessian-2"]) == ("gradient", "hessian")


def test_large_problems_are_skipped_with_a_reason():
    df = sweep(["hyper-dual"], ["bratu-100"], kinds="jacobian", cost=False)
    assert (df["status"] == "skipped").all() and len(df) == 1
    assert "more than 10 variables" in df["message"].iloc[0]


def test_cli_run_takes_kinds(tmp_path, capsys):
    args = [
        "--problems",
        "near-singular",
        "--kinds",
        "hessian",
        "--no-cost",
        "--quiet",
        "--jobs",
        "1",
    ]
    code = main(["run", "--methods", "hyper-dual", *args, "--output", str(tmp_path)])
    assert code == 0
    df = read_results(tmp_path)
    assert set(df["derivative_kind"]) == {"hessian"} and (df["rel_error"] < 1e-12).all()


def test_measure_kind_rules():
    m = measure_kind(methods.get_method("approx-fprime"), "hessian", lambda v: v[0] ** 2, [1.0])
    assert m.status == "error" and "cannot compute a hessian" in m.message
    nan = measure_kind(methods.get_method("central"), "jacobian",
                       lambda v: np.array([np.sqrt(v[0] - 1.0)]), [1.0], [[math.inf]])  # fmt: skip
    assert nan.status == "non-finite" and "NaN" in nan.message and nan.nfev == 2
    with pytest.raises(ValueError, match="`deriv` is required"):
        measure_kind(methods.get_method("central"), "derivative", np.exp, 0.0, 1.0)
    with pytest.raises(ValueError, match="`derivative_kind` must be"):
        measure_kind(methods.get_method("central"), "laplacian", np.exp, 0.0, 1.0)
    assert theory_slopes("jacobian", 4) == (4.0, -1.0)
    assert math.isnan(theory_slopes("hessian", None)[0])


def test_asv_kind_benchmarks_measure_what_the_sweep_measures():
    from benchmarks import bench_kinds
    from benchmarks.kinds_ratios import hessian_comparison, jacobian_comparison

    truths = bench_kinds.KindAccuracy().setup_cache()
    bench = bench_kinds.KindAccuracy()
    bench.setup(truths, "hyper-dual", "robertson")
    assert bench.track_relative_error(truths, "hyper-dual", "robertson") == 0.0
    assert bench.track_nfev(truths, "hyper-dual", "robertson") == 1
    bench.setup(truths, "central(order=2)", "rosenbrock-hessian-10")
    # the default step is searched (methods/hessian_steps.py): here the first round's balance
    # is within 1.5x of its step, so it settles after the Hessians at t and 2t, of 201 points each
    assert bench.track_nfev(truths, "central(order=2)", "rosenbrock-hessian-10") == 2 * 201
    assert bench.track_relative_error(truths, "central(order=2)", "rosenbrock-hessian-10") < 1e-6
    h = hessian_comparison(2, repeat=1)
    assert h["hyperdual_error"] < 1e-15 and h["numdifftools_error"] < 1e-10
    j = jacobian_comparison(10, repeat=1)
    assert (j["sparse_nfev"], j["dense_nfev"], j["identical"]) == (4, 11, True)


def test_a_mixed_table_keeps_the_gradient_report_and_adds_the_kind_sections(tmp_path):
    df = sweep(
        ["central(order=2)", "hyper-dual"],
        ["seed-square", "rosenbrock-hessian-2"],
        kinds="gradient,hessian",
        steps=[1e-2, 1e-4, 1e-6],
        cost=False,
    )
    assert set(df.loc[df["problem"] == "seed-square", "derivative_kind"]) == {"gradient"}
    text = write_report(df, tmp_path / "REPORT.md").read_text()
    assert "## Which method should I use?" in text and "## Hessians" in text
    figures = {p.name for p in (tmp_path / "figures").iterdir()}
    assert "step_seed-square.png" in figures and "kind_step_rosenbrock-hessian-2.png" in figures
    assert "step_rosenbrock-hessian-2.png" not in figures
    assert "kind_step_seed-square.png" not in figures


def test_kind_tasks_run_on_a_dask_cluster_as_in_process(run):
    distributed = pytest.importorskip("distributed")
    _, df = run
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as lc:  # fmt: skip
        with distributed.Client(lc, timeout=60) as client:
            remote = sweep(METHODS, PROBLEMS, kinds=KINDS, cost=False, scheduler=client)
    cols = ["key", "status", "rel_error", "nfev", "asymmetry", "derivative_kind", "deriv"]
    a = df[cols].sort_values("key").reset_index(drop=True)
    b = remote[cols].sort_values("key").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
