"""The "Recommendation" at the top of each kind's report section (Jacobians, Hessians, k-th
derivatives): computed from the kind's default-step rows by
:func:`diffbench.analysis_kinds.kind_recommendations`, written by
:mod:`diffbench.report_kinds`.

Synthetic tables check the rules (exact methods go to the formula line, a method failing at its
default step is not called robust and its failures are said, the cheapest needs 8+ digits, ties
are broken deterministically, per-k advice only when the orders differ); one small Hessian sweep
checks the report end to end.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from diffbench.analysis_kinds import (
    ADVICE,
    GOOD_ERROR,
    kind_recommendations,
    kind_rows,
    kind_summary,
)
from diffbench.report import write_report
from diffbench.report_kinds import kind_section
from diffbench.runner import sweep
from diffbench.schema import SCHEMA_VERSION
from diffbench.store import measurement_key, rows_to_frame

#: (black_box, reference, kind, needs) of the method sorts the tables use.
SORTS = {
    "step": (True, "none", "step", ""),
    "adaptive": (True, "extrapolated", "adaptive", ""),
    "exact": (False, "exact", "exact", "dual"),
    "complex": (False, "rounding", "step", "complex"),
}


def _rows(label, sort, errors, nfev, *, kind="hessian", deriv=None, prefix="p"):
    """Rows of one method: problem ``{prefix}{i}`` has error ``errors[i]`` (None: no finite
    estimate) at its default step, at point 0; a step method also has the same error at two
    swept steps (its curve)."""
    black_box, reference, mkind, needs = SORTS[sort]
    out = []
    steps = [None, 1e-3, 1e-4] if mkind == "step" else [None]
    for i, err in enumerate(errors):
        for step in steps:
            out.append(_row(label, f"{prefix}{i}", step, err, nfev, kind, deriv, sort))
    return out


def _row(label, problem, step, err, nfev, kind, deriv, sort):
    black_box, reference, mkind, needs = SORTS[sort]
    return {
        "run_id": "run-x",
        "key": measurement_key("accuracy", problem, 0, label, step, None, "point"),
        "measure": "accuracy",
        "schema_version": SCHEMA_VERSION,
        "problem": problem,
        "tags": "smooth",
        "dim": 2,
        "point": 0,
        "point_values": "[0.5, 0.5]",
        "method": label,
        "label": label,
        "settings": "{}",
        "family": "finite-difference" if black_box else "forward-mode AD",
        "kind": mkind,
        "form": "point",
        "derivative_kind": kind,
        "deriv": deriv,
        "needs": needs,
        "black_box": black_box,
        "noise_linear": False,
        "reference": reference,
        "wraps": "",
        "peer": False,
        "order": 2 if mkind == "step" else None,
        "step_rel": step,
        "step": step,
        "region": "point",
        "rel_error": err,
        "abs_error": err,
        "nfev": nfev,
        "status": "ok" if err is not None else "non-finite",
        "message": "" if err is not None else "1 of 4 entries NaN",
        "versions": "diffbench test",
    }


def _table(*groups):
    return rows_to_frame([r for g in groups for r in g])


def _first(rec, advice, deriv=None):
    """The rank-0 label of ``advice`` (None if absent) among the pooled or order-k rows."""
    sel = rec["deriv"].isna() if deriv is None else rec["deriv"] == deriv
    got = rec[sel.to_numpy() & (rec["advice"] == advice).to_numpy() & (rec["rank"] == 0)]
    return None if got.empty else got["label"].iloc[0]


def _section(df, kind="hessian"):
    return "\n\n".join(kind_section(df, kind, {}, Path(".")))


def test_a_method_failing_at_its_default_step_is_not_called_robust_and_its_failures_are_said():
    df = _table(
        _rows("sharp", "step", [1e-13, 1e-13, None], 20),  # most accurate, fails on 1 of 3
        _rows("steady", "step", [1e-10, 1e-10, 1e-10], 30),
        _rows("lost", "step", [1e-14, None, None], 5),  # fails on most: never recommended
    )
    rec = kind_recommendations(df)
    assert _first(rec, "black-box") == "sharp"
    assert _first(rec, "robust") == "steady"
    assert "lost" not in set(rec["label"])
    assert _first(rec, "cheapest") == "sharp"  # fewest nfev among those with 8+ digits
    sharp = rec[rec["label"] == "sharp"].iloc[0]
    assert (sharp["default_failures"], sharp["default_problems"]) == (1, 3)
    text = _section(df)
    assert text.index("**Recommendation**") < text.index("| method |")  # at the top
    assert "`sharp` (error 1.0e-13, nfev 20, fails at its default step on 1 of 3 problems)" in text
    assert "**Black box, robust at the default step**" in text
    assert "`steady` (error 1.0e-10, nfev 30, fails at its default step on 0 of 3 problems)" in text
    assert "the most accurate one above fails on 1 of 3" in text


def test_no_robust_line_when_the_most_accurate_black_box_fails_least():
    df = _table(
        _rows("sharp", "step", [1e-13, 1e-13], 20),
        _rows("steady", "step", [1e-10, 1e-10], 30),
    )
    rec = kind_recommendations(df)
    assert _first(rec, "black-box") == "sharp"
    assert _first(rec, "robust") is None
    assert "robust at the default step" not in _section(df)


def test_exact_and_rounding_methods_go_to_the_formula_line_only():
    df = _table(
        _rows("hd", "exact", [0.0, 0.0], 2),
        _rows("cs", "complex", [1e-17, 3e-17], 9),
        _rows("rough", "complex", [1e-9, 1e-9], 9),  # not within 2x of the best: left out
        _rows("fd", "step", [1e-9, 1e-9], 72),
        _rows("rich", "adaptive", [1e-12, 1e-12], 25),
    )
    rec = kind_recommendations(df)
    formula = rec[rec["advice"] == "formula"]
    assert list(formula["label"]) == ["hd", "cs"]  # most accurate first
    assert list(formula["reference"]) == ["exact", "rounding"]
    others = rec[rec["advice"] != "formula"]
    assert set(others["label"]) == {"rich"}  # the most accurate black box is also the cheapest
    assert _first(rec, "black-box") == "rich"
    assert _first(rec, "cheapest") == "rich"  # 25 evaluations, fewer than fd's 72
    text = _section(df)
    line = next(ln for ln in text.splitlines() if "If you have the formula" in ln)
    assert "`hd` (error 0, nfev 2)" in line and "`cs` (error 2.0e-17, nfev 9)" in line
    assert "`rough`" not in line and "`fd`" not in line


def test_the_cheapest_needs_eight_digits_and_says_when_none_has_them():
    df = _table(
        _rows("cheap-rough", "step", [1e-7, 1e-7], 4),
        _rows("dear-good", "step", [1e-12, 1e-12], 40),
        _rows("mid-good", "step", [GOOD_ERROR, GOOD_ERROR], 10),
    )
    assert _first(kind_recommendations(df), "cheapest") == "mid-good"
    rough = _table(_rows("cheap-rough", "step", [1e-7, 1e-7], 4))
    rec = kind_recommendations(rough)
    assert _first(rec, "cheapest") is None and _first(rec, "black-box") == "cheap-rough"
    assert "**No black-box method has 8+ correct digits at its default step**" in _section(rough)


def test_ties_are_broken_by_label_whatever_the_row_order():
    a = _rows("beta", "step", [1e-11, 1e-11], 12)
    b = _rows("alpha", "step", [1e-11, 1e-11], 12)
    c = _rows("z-exact", "exact", [0.0, 0.0], 1)
    d = _rows("a-exact", "exact", [0.0, 0.0], 1)
    first = kind_recommendations(_table(a, b, c, d))
    second = kind_recommendations(_table(d, b, c, a))
    pd.testing.assert_frame_equal(first, second)
    assert _first(first, "black-box") == "alpha" and _first(first, "cheapest") == "alpha"
    assert list(first.loc[first["advice"] == "formula", "label"]) == ["a-exact", "z-exact"]
    assert list(dict.fromkeys(first["advice"])) == [a for a in ADVICE if a in set(first["advice"])]


def _derivative_table(same: bool):
    k2 = [
        _rows("fd4", "step", [1e-9, 1e-9], 6, kind="derivative", deriv=2, prefix="d2-"),
        _rows("rich", "adaptive", [1e-10, 1e-10], 12, kind="derivative", deriv=2, prefix="d2-"),
    ]
    k3_fd = 2e-9 if same else 1e-11  # k = 3: the same order as k = 2, or fd4 ahead
    k3 = [
        _rows("fd4", "step", [k3_fd, k3_fd], 6, kind="derivative", deriv=3, prefix="d3-"),
        _rows("rich", "adaptive", [2e-10, 2e-10], 12, kind="derivative", deriv=3, prefix="d3-"),
    ]
    return _table(*k2, *k3)


def test_derivatives_get_advice_per_order_only_when_the_orders_differ():
    differ = kind_recommendations(_derivative_table(same=False))
    assert _first(differ, "black-box", deriv=2) == "rich"
    assert _first(differ, "black-box", deriv=3) == "fd4"
    assert set(differ["deriv"].dropna()) == {2, 3}
    text = _section(_derivative_table(same=False), "derivative")
    assert "- **k = 2**: black box, most accurate: `rich`" in text
    assert "- **k = 3**: black box, most accurate: `fd4`" in text
    same = kind_recommendations(_derivative_table(same=True))
    assert same["deriv"].isna().all() and _first(same, "black-box") == "rich"
    assert "**k = " not in _section(_derivative_table(same=True), "derivative")


def test_no_rows_no_recommendation():
    assert kind_recommendations(_table(_rows("x", "step", [1.0], 4))).empty  # fails everywhere
    assert "**Recommendation**" not in _section(_table(_rows("x", "step", [1.0], 4)))


def test_hessian_sweep_report_starts_its_section_with_a_recommendation(tmp_path):
    methods = ["central(order=2)", "forward(order=1)", "hyper-dual", "richardson(levels=2)"]
    df = sweep(
        methods,
        ["rosenbrock-hessian-2"],
        kinds="hessian",
        steps=[1e-3, 1e-5],
        output=tmp_path,
        cost=False,
    )
    rows = kind_rows(df, "hessian")
    rec = kind_recommendations(rows)
    summary = kind_summary(rows).set_index("label")
    assert list(rec.loc[rec["advice"] == "formula", "label"]) == ["hyper-dual"]
    black_box = summary.drop(index="hyper-dual")["median_default_error"]
    assert _first(rec, "black-box") == black_box.idxmin()
    cheapest = _first(rec, "cheapest")
    assert cheapest is None or summary.loc[cheapest, "median_default_error"] <= GOOD_ERROR
    text = write_report(tmp_path).read_text()
    section = text[text.index("## Hessians") :]
    assert section.index("**Recommendation**") < section.index("| method |")
    assert "- **If you have the formula or can run f on dual or complex numbers**" in section
    assert "`hyper-dual` (error" in section
    assert "- **If f is a black box** (real evaluations only)" in section
    assert not math.isnan(summary.loc["hyper-dual", "median_default_error"])
