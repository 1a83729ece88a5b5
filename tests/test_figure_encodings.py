"""What the figures encode, on hand-built schema-3 tables (issue "Verdicts a user can act on":
cost on one basis, bands for values a log axis cannot show, colour-blind-safe encodings, theory
guides above the curves, fitted orders from the asymptotic part, coinciding curves drawn once,
the relative step axis). Each test fails on the figures before the fix."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from test_verdicts import STEPS, frame, row

from diffbench import plots
from diffbench.figures.cost import NO_CALLS_TEXT, ZERO_ERROR_TEXT
from diffbench.figures.overview import FAIL_STYLE, NA_STYLE, OVERVIEW_CMAP
from diffbench.figures.style import ORDER_COLORS
from diffbench.store import measurement_key, rows_to_frame


def legend_texts(fig):
    return {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}


def cost_table():
    rows = []
    for label, order, default, nfev in (("two", 2, 3e-10, 2), ("four", 4, 1e-12, 4)):
        h = STEPS[:25]
        rows += [row(label, "p", 0, s, 1e-12 * (s / 1e-4) ** 2 + 1e-16 / s, order=order) for s in h]
        rows.append(row(label, "p", 0, None, default, measure="cost", nfev=nfev, time=1e-4))
    for label, err, nfev, family in (("cs", 0.0, 1, "complex-step"), ("ad", 1e-16, 0, "AD")):
        rows.append(row(label, "p", 0, None, err, kind="exact", family=family, order=None))
        rows.append(
            row(
                label,
                "p",
                0,
                None,
                err,
                measure="cost",
                nfev=nfev,
                time=2e-5,
                kind="exact",
                family=family,
                order=None,
            )
        )
    return frame(rows)


def marker_positions(ax):
    """(x, y) of every single-marker line (the methods' markers)."""
    out = []
    for line in ax.get_lines():
        x, y = line.get_xdata(), line.get_ydata()
        if len(x) == 1 and line.get_linestyle() == "None" and line.get_markersize() == 7:
            out.append((float(x[0]), float(y[0])))
    return out


def test_cost_figure_puts_zeros_in_labelled_bands_off_the_front():
    fig = plots.plot_cost_accuracy(cost_table())
    nfev_ax, time_ax = fig.axes[:2]
    assert nfev_ax.get_yscale() == "log" and nfev_ax.get_xscale() == "log"  # not symlog
    texts = {t.get_text() for t in nfev_ax.texts}
    assert ZERO_ERROR_TEXT in texts and NO_CALLS_TEXT in texts
    assert "default step" in nfev_ax.get_xlabel()
    pts = marker_positions(nfev_ax)
    assert len(pts) == 4
    # the exact zero of `cs` is left of the smallest measured error, the 0 evaluations of `ad`
    # below the smallest count: both outside the data range
    xs = sorted(p[0] for p in pts)
    ys = sorted(p[1] for p in pts)
    assert xs[0] < 1e-16 / 2.4 and ys[0] < 1.0 / 2.4
    # the Pareto front (the steps-post line) only joins points of the data range
    front = [ln for ln in nfev_ax.get_lines() if ln.get_drawstyle() == "steps-post"]
    assert front and np.all(np.asarray(front[0].get_xdata()) >= 1e-16)
    assert np.all(np.asarray(front[0].get_ydata()) >= 1.0)
    # both axes from the default step: `four` sits at its default error 1e-12, not its best
    assert any(p[0] == pytest.approx(1e-12) for p in pts)


def test_styles_encode_order_by_colour_and_method_by_marker():
    rows = [
        row(lab, "p", 0, 1e-3, 1e-8, method=m, order=o)
        for lab, m, o in (
            ("f2", "forward", 2),
            ("c2", "central", 2),
            ("c4", "central", 4),
            ("g2a", "grid", 2),
            ("g2b", "grid", 2),
        )
    ]
    styles = plots.method_styles(frame(rows))
    assert styles["f2"].color == styles["c2"].color == ORDER_COLORS[1]  # same order, same colour
    assert styles["c4"].color == ORDER_COLORS[3] != styles["c2"].color
    assert (styles["f2"].marker, styles["f2"].linestyle) != (
        styles["c2"].marker,
        styles["c2"].linestyle,
    )
    assert styles["g2a"].marker != styles["g2b"].marker  # same method and order: told apart


def test_step_figure_uses_the_relative_step_and_draws_guides_above_curves():
    rows = []
    for label, order, method in (("c2", 2, "central"), ("g2", 2, "numpy-gradient"), ("c4", 4, "c")):
        for s in STEPS[:50]:
            err = (s / 1e-3) ** order * 1e-6 + 1e-16 / s
            rows.append(row(label, "p", 0, s, err, x=100.0, order=order, method=method))
    df = frame(rows)
    fig = plots.plot_error_vs_step(df, "p")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "relative step h / max(1, |x|)"
    # the x data are the relative steps, not the absolute ones (100x larger)
    curve = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 50][0]
    assert np.max(curve.get_xdata()) == pytest.approx(0.1)
    # c2 and g2 have identical errors: drawn once, both named, and the title says so
    texts = legend_texts(fig)
    assert "c2\n= g2" in texts and "g2" not in texts
    assert "identical errors are drawn once" in fig.get_suptitle()
    # theory guides: dashed black, above every curve, labelled
    curve_z = max(ln.get_zorder() for ln in ax.get_lines() if len(ln.get_xdata()) == 50)
    guides = [
        ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2 and ln.get_linestyle() == "--"
    ]
    assert guides and all(g.get_zorder() > curve_z for g in guides)
    assert any("h^{2}" in t.get_text() for t in ax.texts)


def test_grid_orders_come_from_the_asymptotic_part_and_say_which():
    rows = []
    sizes = [4, 8, 16, 32, 64, 128]
    pre = {4: 0.09, 8: 0.05}  # pre-asymptotic: a slope of ~1 there
    for label in ("numpy-gradient", "findiff(acc=2)"):
        for n in sizes:
            err = pre.get(n, 1e-2 * (16 / n) ** 2)
            r = row(label, "p", 0, None, err, family="grid", kind="grid", form="grid")
            r.update(
                grid_size=n,
                region="interior",
                point=None,
                point_values="grid [-1.0, 1.0]",
                key=measurement_key("accuracy", "p", None, label, None, n, "interior"),
            )
            rows.append(r)
    fig = plots.plot_error_vs_grid(rows_to_frame(rows), "p")
    texts = legend_texts(fig)
    [name] = [t for t in texts if "interior" in t]
    assert name.startswith("numpy-gradient\n= findiff(acc=2), interior")
    assert "N 32-128: order 2.00" in name
    assert "last 3 grids before the rounding floor" in fig.get_suptitle()


def test_overview_uses_a_sequential_map_and_tells_fail_from_na():
    rows = [row("ok", "p", 0, s, 1e-8 + s**2) for s in STEPS[:8]]
    rows += [row("broken", "p", 0, s, None) for s in STEPS[:8]]
    rows.append(row("absent", "p", 0, None, None, status="skipped", message="not installed"))
    fig = plots.plot_overview(frame(rows))
    ax = fig.axes[0]
    assert ax.images[0].cmap.name.startswith(OVERVIEW_CMAP)
    patches = [p for p in ax.patches if isinstance(p, Rectangle)]
    faces = {to_hex(p.get_facecolor()) for p in patches}
    assert to_hex(FAIL_STYLE["facecolor"]) in faces and to_hex(NA_STYLE["facecolor"]) in faces
    hatches = {p.get_hatch() for p in patches}
    assert FAIL_STYLE["hatch"] in hatches and NA_STYLE["hatch"] in hatches
    cells = {t.get_text() for t in ax.texts}
    assert {"fail", "n/a"} <= cells


def test_kind_step_figure_has_a_row_per_group_markers_and_the_rounding_slope_of_its_kind():
    from diffbench.figures.kinds import plot_kind_error_vs_step

    hess = {"derivative_kind": "hessian"}
    rows = []
    for label, order in (("c2", 2), ("c4", 4)):
        for s in STEPS[:50]:
            err = (s / 1e-3) ** order * 1e-6 + 1e-16 / s**2
            rows.append(row(label, "h", 0, s, err, order=order, method="central", **hess))
    ad = {"kind": "exact", "family": "forward-mode AD", "order": None}
    rows.append(row("ad", "h", 0, None, 1e-16, **ad, **hess))
    own = {"kind": "grid", "family": "grid", "step_used": 1e-3}
    rows.append(row("grid", "h", 0, None, 1e-8, **own, **hess))
    fig = plot_kind_error_vs_step(frame(rows), "h")
    assert "h: Hessian" in fig.get_suptitle()
    steps_ax, once_ax = fig.axes  # a row of step-swept curves, a row of methods measured once
    assert steps_ax.get_title() == "x = [0.5]"
    assert "finite-difference" in steps_ax.get_ylabel() and "exact" in once_ax.get_ylabel()
    assert all(ax.get_legend() is not None for ax in fig.axes)  # a legend per row, outside
    assert any("h^{-2}" in t.get_text() for t in steps_ax.texts)  # Hessian: rounding ~ h^-2
    assert any("h^{2}" in t.get_text() for t in steps_ax.texts)
    # methods measured once are markers (the grid method at its own step), not lines across
    assert "grid" in legend_texts(fig) and "ad" in legend_texts(fig)
    lines = [ln for ln in once_ax.get_lines() if ln.get_linestyle() not in ("None", "")]
    assert len(lines) == 1  # machine epsilon only
    assert any(list(ln.get_xdata()) == [pytest.approx(1e-3)] for ln in once_ax.get_lines())
