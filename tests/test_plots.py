"""Figures and the summaries behind them."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
import sympy
from conftest import TinyCentral, TinyComplex, TinyGrid, TinyRaise
from matplotlib.figure import Figure

from diffbench import analysis, plots
from diffbench.figures import FIGURES, figure_spec
from diffbench.figures.style import NO_ORDER_COLOR
from diffbench.problems import Problem
from diffbench.runner import StepRange, sweep

EPS = float(np.finfo(float).eps)
T = sympy.Symbol("t", real=True)


class Central(TinyCentral):
    name: ClassVar[str] = "plot-central"


class Complex(TinyComplex):
    name: ClassVar[str] = "plot-complex"
    needs: ClassVar[frozenset] = frozenset()  # as written here: no complex probe, x + h checked
    steps_along_x: ClassVar[bool] = True


class Broken(TinyRaise):
    name: ClassVar[str] = "plot-broken"
    family: ClassVar[str] = "extrapolation"
    kind: ClassVar[str] = "adaptive"
    error: ClassVar[type[Exception]] = RuntimeError
    message: ClassVar[str] = "always fails"


class Grid(TinyGrid):
    name: ClassVar[str] = "plot-grid"
    order = None
    edge_order: ClassVar[int] = 2


def problems():
    return [
        Problem(
            "plot-sin",
            sympy.sin(T),
            (T,),
            ((0.7,), (2.0,)),
            ((0.0, 3.0),),
            frozenset({"smooth"}),
            "sin",
        ),
        Problem(
            "plot-poly/2",
            T**2,
            (T,),
            ((0.5,),),
            ((-1.0, 1.0),),
            frozenset({"polynomial", "smooth"}),
            "t^2",
        ),
    ]


@pytest.fixture(scope="module")
def df():
    return sweep(
        [Central, Complex, Broken, Grid, "sympy"],
        problems(),
        steps=StepRange(1e-1, 1e-16, 2),
        grid_sizes=[8, 16, 32, 64, 128],
        timing={"target": 1e-4, "repeat": 2},
    )


# --------------------------------------------------------------------------------------------
# summaries
# --------------------------------------------------------------------------------------------
def test_best_attainable_marks_failures_and_grid_rows(df):
    # grid-form rows are told apart by the ``form`` column, not by a label suffix
    best = analysis.best_attainable(df).set_index(["label", "form", "problem"])
    assert bool(best.loc[("plot-broken", "point", "plot-sin"), "failed"])
    assert math.isnan(best.loc[("plot-broken", "point", "plot-sin"), "best_rel_error"])
    assert best.loc[("plot-central", "point", "plot-sin"), "best_rel_error"] < 1e-9
    assert ("plot-grid", "grid", "plot-sin") in best.index
    assert best.loc[("sympy", "point", "plot-sin"), "best_rel_error"] <= 4 * EPS
    # rows in label display order, a label's point form before its grid form
    rows = list(dict.fromkeys(best.index.droplevel("problem")))
    assert rows.index(("plot-grid", "point")) + 1 == rows.index(("plot-grid", "grid"))
    assert rows[0][0] == "plot-central" and rows[-1][0] == "sympy"


def test_styles_follow_orders_and_methods(df):
    # (issue "Verdicts a user can act on": colour now encodes the accuracy order, marker and line
    # style the method; it replaces "same family -> same colormap")
    styles = plots.method_styles(df)
    assert set(styles) == set(df["label"])
    # both are of order 2: one colour, told apart by marker and line style
    assert styles["plot-central"].color == styles["plot-complex"].color
    assert (styles["plot-central"].marker, styles["plot-central"].linestyle) != (
        styles["plot-complex"].marker,
        styles["plot-complex"].linestyle,
    )


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def legend_texts(fig: Figure) -> set[str]:
    return {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}


def test_error_vs_step_figure(df):
    fig = plots.plot_error_vs_step(df, "plot-sin")
    assert isinstance(fig, Figure)
    # rows: the step-swept families (each under 4 labels, so sharing one row), then the exact
    # and adaptive methods; columns: the two points
    assert len(fig.axes) == 2 * 2
    texts = legend_texts(fig)
    # plot-grid's point form is plot-central's formula: identical curves, drawn once, both named
    # (issue "Verdicts a user can act on"; they were two legend entries)
    assert {"plot-central\n= plot-grid", "plot-complex", "sympy", "plot-broken"} <= texts
    assert "NaN / error (top edge)" in texts
    assert "machine epsilon" in texts and "best step (median of 3 steps)" in texts
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert "relative error" in fig.axes[0].get_ylabel()
    assert "step h" in fig.axes[-1].get_xlabel()
    # the complex step goes down to 1e-300: the x axis reaches it
    assert fig.axes[0].get_xlim()[0] <= 1e-300


def test_exact_zero_is_marked_not_padded(df):
    fig = plots.plot_error_vs_step(df, "plot-poly/2")
    assert "exact zero (bottom edge)" in legend_texts(fig)
    for ax in fig.axes:
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            assert not np.any(y == 1e-16)


def test_error_vs_grid_figure_reports_fitted_orders(df):
    fig = plots.plot_error_vs_grid(df, "plot-sin")
    texts = legend_texts(fig)
    interior = [t for t in texts if t.startswith("plot-grid, interior")]
    assert len(interior) == 1
    order = float(interior[0].split("order ")[1].rstrip(")"))
    assert order == pytest.approx(2.0, abs=0.15)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "grid points per axis" in ax.get_xlabel()


def test_overview_and_cost_figures(df):
    fig = plots.plot_overview(df)
    cells = {t.get_text() for t in fig.axes[0].texts}
    assert "fail" in cells
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "plot-grid [grid]" in labels and "sympy" in labels
    fig = plots.plot_cost_accuracy(df)
    assert len([ax for ax in fig.axes if ax.get_xlabel()]) == 2
    assert "Pareto front" in legend_texts(fig)


def test_unknown_problem_is_an_error(df):
    with pytest.raises(ValueError, match="no point measurements"):
        plots.plot_error_vs_step(df, "nope")


def test_save_figures_writes_pngs_with_safe_names(df, tmp_path):
    written = plots.save_figures(df, tmp_path)
    names = sorted(p.name for paths in written.values() for p in paths)
    assert "step_plot-poly_2.png" in names and "grid_plot-sin.png" in names
    assert "overview.png" in names and "cost_accuracy.png" in names
    for paths in written.values():
        for p in paths:
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the registry names every file: one list per figure kind, each path where it says
    assert list(written) == [spec.name for spec in plots.FIGURES]
    step = figure_spec("step")
    assert written["step"] == [tmp_path / step.filename(p) for p in ("plot-sin", "plot-poly/2")]
    assert written["grid"] == [
        tmp_path / figure_spec("grid").filename(p) for p in ("plot-sin", "plot-poly/2")
    ]


def test_figure_registry():
    assert {s.name for s in FIGURES} == {
        "step",
        "grid",
        "overview",
        "cost",
        "step-rules",
        "kind-step",
        "kind-grid",
    }
    assert figure_spec("grid").filename("tan-pi/2") == "grid_tan-pi_2.png"
    assert figure_spec("cost").filename() == "cost_accuracy.png"
    with pytest.raises(ValueError, match="`problem` is required"):
        figure_spec("step").filename()
    with pytest.raises(ValueError, match="`name` 'nope' is not a figure"):
        figure_spec("nope")


def test_styles_read_the_table_not_the_registry(df):
    # colours come from the ``order`` column (no order: dark grey), never from the registry;
    # an unknown family is not an error (the family-colormap assertion is replaced: issue
    # "Verdicts a user can act on")
    other = df.assign(family=df["family"].where(df["label"] != "plot-central", "made-up"))
    other = other.assign(order=other["order"].where(other["label"] != "plot-central", None))
    styles = plots.method_styles(other)
    assert styles["plot-central"].color == NO_ORDER_COLOR
