"""Figures and the summaries behind them."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
import sympy
from matplotlib.figure import Figure

from diffbench import plots
from diffbench.problems import Problem
from diffbench.runner import StepRange, sweep
from methods import GridMethod, Method, RawResult

EPS = float(np.finfo(float).eps)
T = sympy.Symbol("t", real=True)


class Central(Method):
    name: ClassVar[str] = "plot-central"
    family: ClassVar[str] = "finite-difference"
    kind: ClassVar[str] = "step"
    order = 2

    def _gradient(self, f, x, step):
        h = np.full(x.size, 1e-5) if step is None else step
        g = np.array(
            [(f(x + h[i] * e) - f(x - h[i] * e)) / (2 * h[i]) for i, e in enumerate(np.eye(x.size))]
        )
        return RawResult(value=g, step=h)


class Complex(Method):
    name: ClassVar[str] = "plot-complex"
    family: ClassVar[str] = "complex-step"
    kind: ClassVar[str] = "step"
    order = 2
    smallest_useful_step: ClassVar[float] = 1e-300

    def _gradient(self, f, x, step):
        h = np.full(x.size, 1e-20) if step is None else step
        g = np.array([np.imag(f(x + 1j * h[i] * e)) / h[i] for i, e in enumerate(np.eye(x.size))])
        return RawResult(value=g, step=h)


class Broken(Method):
    name: ClassVar[str] = "plot-broken"
    family: ClassVar[str] = "extrapolation"
    kind: ClassVar[str] = "adaptive"

    def _gradient(self, f, x, step):
        raise RuntimeError("always fails")


class Grid(GridMethod):
    name: ClassVar[str] = "plot-grid"

    def _grid_gradient(self, values, spacing):
        out = np.gradient(values, *spacing, edge_order=2)
        return list(out) if isinstance(out, tuple | list) else [out]

    def _gradient(self, f, x, step):
        h = np.full(x.size, 1e-5) if step is None else step
        g = np.array(
            [(f(x + h[i] * e) - f(x - h[i] * e)) / (2 * h[i]) for i, e in enumerate(np.eye(x.size))]
        )
        return RawResult(value=g, step=h)


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
def test_best_on_curve_ignores_a_single_lucky_step():
    # the exact zero at index 3 is luck; the 3-step medians reach 1e-9 first at index 2
    assert plots.best_on_curve([1e-2, 1e-5, 1e-9, 0.0, 1e-9, 1e-6]) == (2, 1e-9, 2, 4)
    i, best, lo, hi = plots.best_on_curve([math.nan, math.nan])
    assert (i, lo, hi) == (-1, -1, -1) and math.isnan(best)
    assert plots.best_on_curve([30.0, 1.0]) == (1, 1.0, 1, 1)  # 30 is not within 10x


def test_convergence_order_uses_the_asymptotic_range():
    n = np.array([8, 16, 32, 64, 128, 256])
    assert plots.convergence_order(n, 5.0 / n**4) == pytest.approx(4.0)
    # a rounding plateau after the minimum does not flatten the fit
    errs = np.array([1e-3, 6.25e-5, 3.9e-6, 1e-12, 3e-12, 8e-12])
    assert plots.convergence_order(n, errs) == pytest.approx(4.0, abs=0.05)
    assert math.isnan(plots.convergence_order([8, 16], [1e-3, 1e-4]))


def test_pareto_front():
    mask = plots.pareto_front([1.0, 2.0, 0.5, 3.0], [5.0, 1.0, 6.0, 1.0])
    assert mask.tolist() == [True, True, True, False]


def test_best_attainable_marks_failures_and_grid_rows(df):
    best = plots.best_attainable(df).set_index(["label", "problem"])
    assert bool(best.loc[("plot-broken", "plot-sin"), "failed"])
    assert math.isnan(best.loc[("plot-broken", "plot-sin"), "best_rel_error"])
    assert best.loc[("plot-central", "plot-sin"), "best_rel_error"] < 1e-9
    assert ("plot-grid [grid]", "plot-sin") in best.index
    assert best.loc[("sympy", "plot-sin"), "best_rel_error"] <= 4 * EPS


def test_styles_follow_families(df):
    styles = plots.method_styles(df)
    assert set(styles) == set(df["label"])
    # same family -> same colormap: a blue for the finite difference, purple for complex step
    r, g, b, _ = styles["plot-central"].color
    assert b > r and b > g
    r, g, b, _ = styles["plot-complex"].color
    assert b > g and r > g


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
    assert {"plot-central", "plot-complex", "plot-grid", "sympy", "plot-broken"} <= texts
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
