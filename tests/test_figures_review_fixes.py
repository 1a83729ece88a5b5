"""Readability fixes from a new-user review of the showcase figures, checked on the figure
objects of small hand-built tables: one (marker, colour) per method in the cost figure and no
star, Pareto labels that do not overlap, x tick labels of the step figures that do not collide,
failures drawn in their method's colour, theory guides of the kind grid figures that stop near
the data, and step-rule points that coincide drawn once."""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.text import Annotation
from test_step_selection_report import POLE, SMOOTH, _row, _rule_row
from test_verdicts import STEPS, frame, row

from diffbench import plots
from diffbench.analysis_steps import step_rule_summary
from diffbench.figures.kind_grid import plot_kind_error_vs_grid
from diffbench.figures.step_rules import merge_coinciding, plot_step_rules
from diffbench.store import measurement_key, rows_to_frame

#: Labels of a Pareto front with points close together (long names, as in the showcase).
FRONT = (
    ("backward(order=1)", 1e-8, 100, 2.4e-4),
    ("numpy-gradient(edge_order=2, position=edge)", 4e-11, 105, 2.6e-4),
    ("central(order=2)", 3e-11, 110, 2.7e-4),
    ("complex-step", 1e-16, 120, 3.2e-4),
)


def _cost_rows(label, err, nfev, time, **kw):
    return [
        row(label, "p", 0, None, err, **kw),
        row(label, "p", 0, None, err, measure="cost", nfev=nfev, time=time, **kw),
    ]


def cost_table(n_exact=15):
    """The FRONT, and ``n_exact`` methods without an order (one grey colour) off the front."""
    rows = []
    for label, err, nfev, time in FRONT:
        rows += _cost_rows(label, err, nfev, time, order=2)
    for k in range(n_exact):
        rows += _cost_rows(
            f"ad-{k}", 1e-15 * (k + 2), 300 + k, 1e-3 * (k + 1), kind="exact", family="AD",
            order=None,
        )  # fmt: skip
    return frame(rows)


def test_every_method_of_the_cost_figure_has_its_own_marker_and_colour_and_none_a_star():
    df = cost_table()
    fig = plots.plot_cost_accuracy(df)
    for ax in fig.axes[:2]:
        marks = [
            (ln.get_marker(), to_hex(ln.get_color()))
            for ln in ax.get_lines()
            if len(ln.get_xdata()) == 1 and ln.get_markersize() == 7
        ]
        assert len(marks) == len(FRONT) + 15
        assert len(set(marks)) == len(marks)
        assert "*" not in {m for m, _ in marks}
    styles = plots.method_styles(df)
    pairs = [(s.marker, s.color) for s in styles.values()]
    assert len(set(pairs)) == len(pairs) and all(s.marker != "*" for s in styles.values())


def test_pareto_labels_do_not_overlap_and_stay_inside_the_axes():
    fig = plots.plot_cost_accuracy(cost_table(n_exact=2))
    fig.canvas.draw()
    for ax in fig.axes[:2]:
        notes = [t for t in ax.texts if isinstance(t, Annotation)]
        names = {t.get_text() for t in notes}
        assert {"central(order=2)", "numpy-gradient(edge_order=2, position=edge)"} <= names
        boxes = [t.get_window_extent() for t in notes]
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b)
        frame_box = ax.get_window_extent()
        for b in boxes:
            assert frame_box.x0 <= b.x0 and b.x1 <= frame_box.x1
            assert frame_box.y0 <= b.y0 and b.y1 <= frame_box.y1


def _failing_step_table():
    """Two labels swept down to 1e-300 (a compressed axis) failing at the three smallest
    steps, and exact methods, at two points."""
    rows = []
    for point in (0, 1):
        for label, order in (("c2", 2), ("c4", 4)):
            for s in STEPS:
                err = None if s < 1e-298 else (s / 1e-3) ** order * 1e-6 + 1e-16 / s
                rows.append(row(label, "p", point, s, err, order=order, method=label))
        for k in range(6):  # methods without a step: a "no step" zone on the right; long names
            # make a wide legend and narrow panels, as in the showcase
            name = f"numpy-gradient(edge_order={k}, position=edge)"
            rows.append(row(name, "p", point, None, 1e-16, kind="exact", order=None))
    return frame(rows)


def test_step_axis_tick_labels_do_not_collide_where_the_axis_is_compressed():
    fig = plots.plot_error_vs_step(_failing_step_table(), "p")
    FigureCanvasAgg(fig).draw()
    ax = [a for a in fig.axes if a.get_xlabel()][0]  # the last row has the tick labels
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    assert {"1e-300", "1e-16"} <= {t.get_text() for t in labels}
    boxes = [t.get_window_extent() for t in labels]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    # a tenth of the panel between ticks: room for a label like "1e-14" on narrower panels
    to_axes = ax.transData + ax.transAxes.inverted()
    at = sorted(to_axes.transform([(t, 1.0) for t in ax.get_xticks()])[:, 0])
    assert np.min(np.diff(at)) >= 0.095


def test_failures_are_drawn_in_their_methods_colour_below_each_other():
    df = _failing_step_table()
    styles = plots.method_styles(df)
    fig = plots.plot_error_vs_step(df, "p")
    ax = fig.axes[0]
    crosses = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert {to_hex(ln.get_color()) for ln in crosses} == {
        to_hex(styles["c2"].color),
        to_hex(styles["c4"].color),
    }
    # the second method failing at the same steps hangs below the first
    tops = [ln.get_transform().transform((1e-300, 1.0))[1] for ln in crosses]
    assert len(set(np.round(tops, 3))) == 2


def _grid_row(label, n, err, order, region="interior"):
    r = row(label, "p", 0, None, err, family="grid", kind="grid", form="grid", order=order)
    r.update(
        grid_size=n,
        region=region,
        point=None,
        point_values="grid [0.0, 1.0]",
        derivative_kind="derivative",
        deriv=3,
        key=measurement_key("accuracy", "p", None, label, None, n, region),
    )
    return r


def test_kind_grid_theory_guides_stop_near_the_smallest_error():
    sizes = [8, 16, 32, 64, 128, 256]
    rows = []
    for label, p in (("fd(acc=2)", 2), ("fd(acc=8)", 8)):
        for n in sizes:
            rows.append(_grid_row(label, n, max(1e-8, (8 / n) ** p), p))
    fig = plot_kind_error_vs_grid(rows_to_frame(rows), "p")
    ax = fig.axes[0]
    guides = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--" and ln.get_color() == "k"]
    assert len(guides) == 2
    lowest = min(float(np.min(g.get_ydata())) for g in guides)
    assert lowest >= 1e-2 * 1e-8 * (1 - 1e-9)  # not N^-8 down to 256^-8 ~ 1e-19
    assert ax.get_ylim()[0] > 1e-17


def test_step_rule_points_that_coincide_are_drawn_once_and_named_together():
    rows = []
    for step, err in zip([1e-1, 1e-2, 1e-3], [1e-4, 1e-8, 1e-6], strict=True):
        rows += [_row(*SMOOTH, step, err), _row(*POLE, step, err * 100)]
    rows += [
        _rule_row(*SMOOTH, "relative", 1e-6, 2, 0),
        _rule_row(*POLE, "relative", 1e-3, 2, 0),
        _rule_row(*SMOOTH, "guarded", 1e-6, 2, 0),
        _rule_row(*POLE, "guarded", 1e-3, 2, 0),
        _rule_row(*SMOOTH, "gmsw", 5e-9, 7, 5),
        _rule_row(*POLE, "gmsw", 5e-7, 7, 5),
    ]
    df = rows_to_frame(rows)
    fig = plot_step_rules(df)
    (ax,) = fig.axes
    assert len(ax.collections) == 2  # relative = guarded once, gmsw
    texts = {t.get_text() for t in fig.legends[0].get_texts()}
    assert "relative = guarded" in texts and "relative" not in texts and "guarded" not in texts
    merged = merge_coinciding(step_rule_summary(df))
    assert list(merged["step_rule"]) == ["relative = guarded", "gmsw"]
