"""Figure 1: relative error against step, one figure per problem."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from ..analysis import EPS, best_on_curve, identical_curves, label_table, step_column
from ..schema import Status
from .style import DEFAULT_STYLE, ZERO_COLOR, Style, edge_marks, method_styles

__all__ = ["plot_error_vs_step", "step_figure"]

#: Kinds of method drawn as a curve over the swept steps (the others: one marker per point).
_SWEPT = ("step", "grid")


def _swept_labels(acc: pd.DataFrame, labels: pd.DataFrame, col: str) -> frozenset[str]:
    """The labels drawn as a curve over the steps: those of a step-swept kind (step, grid) with a
    value in the step column ``col`` (a grid method of a Jacobian is measured at its own
    spacing only: it is drawn like an adaptive method)."""
    stepped = set(acc.loc[acc[col].notna(), "label"])
    keep = labels["kind"].isin(_SWEPT) & labels["label"].isin(stepped)
    return frozenset(labels.loc[keep, "label"])


def _single_name(kinds: list[str]) -> str:
    """The name of the row of methods measured once per point: their kinds, e.g. ``"exact and
    adaptive"``.

    Examples
    --------
    >>> _single_name(["exact"]), _single_name(["grid", "exact", "adaptive"])
    ('exact', 'grid, exact and adaptive')
    """
    return " and ".join([", ".join(kinds[:-1]), kinds[-1]]) if len(kinds) > 1 else kinds[0]


def _panel_groups(
    labels: pd.DataFrame, swept_labels: frozenset[str]
) -> list[tuple[str, list[str]]]:
    """Rows of panels: step-swept families with 4+ labels get a row each, the other step-swept
    labels share one, and methods measured once per point (exact, adaptive) share the last."""
    is_swept = labels["label"].isin(swept_labels)
    swept, single = labels[is_swept], labels[~is_swept]
    big, small = [], []
    for family, g in swept.groupby("family", sort=False):
        (big if len(g) >= 4 else small).append((family, list(g["label"])))
    groups = [(f"{fam}", labs) for fam, labs in big]
    if small:
        groups.append((", ".join(f for f, _ in small), [lab for _, labs in small for lab in labs]))
    if not single.empty:
        order = {"exact": 0, "adaptive": 1}  # the gradient figure's "exact and adaptive"
        kinds = sorted(dict.fromkeys(map(str, single["kind"])), key=lambda k: order.get(k, -1))
        groups.append((_single_name(kinds), list(single["label"])))
    return groups


@dataclass(frozen=True)
class _StepAxis:
    """The x axis of the error-vs-step panels: log steps (the part below ``knee`` compressed when
    the data go far below it), then a zone on the right for methods that take no step."""

    lo: float
    hi: float
    slots: int
    knee: float = 1e-16

    @property
    def compressed(self) -> bool:
        return self.lo < self.knee / 10

    @property
    def factor(self) -> float:
        below = math.log10(self.knee) - math.log10(self.lo)
        above = math.log10(self.hi) - math.log10(self.knee)
        return max(1.0, below / (0.35 * above))

    def slot(self, k: int) -> float:
        """x of the k-th method without a step, in the zone right of the steps."""
        return self.hi * 10 ** (0.5 + 0.35 * k)

    @property
    def right(self) -> float:
        return self.slot(self.slots - 1) * 10**0.5 if self.slots else self.hi

    def _set_scale(self, ax: Any) -> None:
        k = math.log10(self.knee)
        factor = self.factor

        def fwd(x: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                t = np.log10(np.maximum(x, 1e-320))
            return np.where(t >= k, t, k + (t - k) / factor)

        def inv(t: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.where(t >= k, 10.0**t, 10.0 ** (k + (t - k) * factor))

        if self.compressed:
            ax.set_xscale("function", functions=(fwd, inv))
        else:
            ax.set_xscale("log")
        ax.set_xlim(self.lo, self.right)

    @property
    def width(self) -> float:
        """The width of the axis in decades as drawn (the compressed part counted compressed)."""
        below = math.log10(max(self.knee, self.lo)) - math.log10(self.lo)
        return math.log10(self.right) - math.log10(self.lo) - below + below / self.factor

    def _ticks(self) -> list[float]:
        """Decades at least a tenth of the axis apart (a label is about that wide), the knee
        among them."""
        k = math.log10(self.knee)
        top = math.floor(math.log10(self.hi))
        step = next((s for s in (2, 4, 8) if s >= 0.1 * self.width), 8)
        top -= top % step
        ticks = [10.0**e for e in range(top, math.ceil(math.log10(self.lo)) - 1, -step)]
        if self.compressed:
            below = k - math.log10(self.lo)
            every = 150 if below > 150 else 20 if below > 40 else 5
            ticks = [t for t in ticks if t >= self.knee]
            first = every * math.ceil(-k / every + 1)
            ticks += [10.0**-e for e in range(first, int(-math.log10(self.lo)) + 1, every)]
        return ticks

    def apply(self, ax: Any) -> None:
        """Scale, limits, ticks and the no-step zone of one panel."""
        self._set_scale(ax)
        ticks = self._ticks()
        if self.compressed:
            ax.axvline(self.knee, color="0.6", lw=0.8, ls=(0, (1, 2)))
            # a break mark on the bottom spine: the scale changes at the knee
            tr = blended_transform_factory(ax.transData, ax.transAxes)
            ax.plot([self.knee], [0], transform=tr, ls="", marker=[(-1, -1.6), (1, 1.6)],
                    ms=9, mew=1.0, color="k", clip_on=False, zorder=8)  # fmt: skip
        if self.slots:
            ax.axvspan(self.hi * 10**0.2, self.right, color="0.95", zorder=0)
            ticks = [t for t in ticks if t < self.hi / 10**0.5]  # keep "no step" readable
            ticks.append((self.hi * 10**0.2 * self.right) ** 0.5)
        labels = [f"1e{round(math.log10(t))}" for t in ticks]
        if self.slots:
            labels[-1] = "no step"
        ax.set_xticks(ticks, labels, fontsize=7)
        ax.minorticks_off()


#: Theory guides are drawn above the curves (which are at zorder 3 to 5).
_GUIDE_Z = 7


def _guide(
    ax: Any, x0: float, y0: float, slope: float, text: str, left: bool, span: float = 0.6
) -> None:
    """A dashed segment of ``slope`` through (x0, 4 * y0), ``span`` decades either side."""
    xs = np.array([x0 / 10**span, x0 * 10**span])
    ys = 4 * y0 * (xs / x0) ** slope
    ax.plot(xs, ys, color="k", lw=1.3, ls=(0, (4, 2)), zorder=_GUIDE_Z)
    i = 0 if left else 1
    ha = "right" if left else "left"
    ax.text(
        xs[i],
        ys[i],
        text,
        fontsize=8,
        color="k",
        ha=ha,
        va="center",
        zorder=_GUIDE_Z + 1,
        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
    )


def _guides(
    ax: Any, curves: list[tuple[np.ndarray, np.ndarray, int | None]], rounding: float = -1.0
) -> bool:
    """Dashed theory slopes next to the curves: ``h^p`` where truncation dominates (steps above
    the best one), ``h^rounding`` where rounding does (well below it; -1 for a gradient, -k for
    a k-th derivative). Returns whether any was drawn."""
    drawn_orders: set[int] = set()
    rounding_done = False
    orders = sorted({c[2] for c in curves if c[2] is not None})
    # the lowest, the highest and a middle order: enough to read the slopes, few enough to read
    wanted = {orders[0], orders[len(orders) // 2], orders[-1]} if orders else set()
    for h, e, order in sorted(curves, key=lambda c: c[2] or 0):
        ok = np.isfinite(h) & np.isfinite(e) & (e > 0)
        if ok.sum() < 4:
            continue
        hh, ee = h[ok], e[ok]
        ib = int(np.argmin(ee))
        if order in wanted and order not in drawn_orders:
            side = np.flatnonzero((hh > hh[ib] * 3) & (ee < 1e-2))
            if side.size >= 2:
                j = side[len(side) // 2]
                _guide(ax, hh[j], ee[j], float(order), f" $h^{{{order}}}$", left=False)
                drawn_orders.add(order)
        if not rounding_done:
            side = np.flatnonzero((hh < hh[ib] / 10) & (ee > 30 * ee[ib]))
            # draw it only where the data do grow like h^rounding (not e.g. a flat plateau)
            slope = np.polyfit(np.log(hh[side]), np.log(ee[side]), 1)[0] if side.size >= 3 else 0
            if 1.6 * rounding < slope < 0.5 * rounding:
                # steep slopes (h^-3, h^-4) get a shorter segment whose upper end stays inside
                span = min(0.6, 1.2 / abs(rounding))
                fits = side[ee[side] < ax.get_ylim()[1] / (4 * 10 ** (-span * rounding))]
                j = side[len(side) // 2]
                j = fits[len(fits) // 2] if j not in fits and fits.size else j
                text = f"$h^{{{rounding:g}}}$ "
                _guide(ax, hh[j], ee[j], rounding, text, left=True, span=span)
                rounding_done = True
    return bool(drawn_orders) or rounding_done


@dataclass
class _Canvas:
    """What every panel of one figure shares: limits, the x axis, styles, the labels drawn as
    curves, the slope of the rounding guide, and the legend entries of the current row of
    panels (``fails``: failures drawn so far per step of the current panel)."""

    ylo: float
    yhi: float
    xaxis: _StepAxis
    slot: dict[str, float]
    styles: Mapping[str, Style]
    relative: bool = False
    swept: frozenset[str] = frozenset()
    rounding: float = -1.0
    scales: dict[Any, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    handles: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    fails: dict[float, int] = field(default_factory=dict)


def _point_scale(point_values: Any) -> float:
    """max(1, max_i |x_i|) of a point written as a list (``"[0.3, 2.0]"``); NaN if unreadable."""
    try:
        x = np.abs(np.asarray(json.loads(str(point_values)), dtype=float))
    except (ValueError, TypeError):
        return math.nan
    return float(max(1.0, x.max())) if x.size else math.nan


def _point_scales(acc: pd.DataFrame) -> dict[Any, float]:
    """max(1, max_i |x_i|) per point text (each read once); a point written abbreviated
    (``"[a, b, ..., z] (10 values)"``) cannot be read: its scale is then step / step_rel of the
    swept rows at that point."""
    scales = {v: _point_scale(v) for v in dict.fromkeys(acc["point_values"])}
    with np.errstate(all="ignore"):
        ratio = acc["step"].to_numpy(dtype=float) / acc["step_rel"].to_numpy(dtype=float)
    ok = (np.isfinite(ratio) & (ratio > 0)) & acc["point_values"].map(scales).isna().to_numpy()
    if ok.any():
        by_point = pd.Series(ratio[ok]).groupby(acc["point_values"].to_numpy()[ok]).median()
        scales.update(by_point.to_dict())
    return scales


def _steps(
    g: pd.DataFrame, relative: bool, scales: Mapping[Any, float] | None = None
) -> np.ndarray:
    """The x of each row: the step actually used (the requested one where none was reported);
    with relative steps, ``step_rel``, and for a method that chose its own step, that step over
    max(1, |x|) (``scales``: point text -> max(1, |x|), default :func:`_point_scales` of ``g``)."""
    used = g["step_used"].where(g["step_used"].notna(), g["step"]).to_numpy(dtype=float)
    if not relative:
        return used
    scales = scales if scales is not None else _point_scales(g)
    scale = g["point_values"].map(scales).to_numpy(dtype=float, na_value=np.nan)
    return np.where(g["step_rel"].notna(), g["step_rel"].to_numpy(dtype=float), used / scale)


def _canvas(
    acc: pd.DataFrame, labels: pd.DataFrame, styles: Mapping[str, Style], relative: bool
) -> _Canvas:
    scales = _point_scales(acc) if relative else {}
    xs_all = _steps(acc, relative, scales)
    stepped = set(acc["label"].to_numpy()[np.isfinite(xs_all) & (xs_all > 0)])
    xs_all = xs_all[np.isfinite(xs_all) & (xs_all > 0)]
    errs = acc["rel_error"].to_numpy(dtype=float)
    pos = errs[np.isfinite(errs) & (errs > 0)]
    ylo = 10.0 ** math.floor(math.log10(pos.min()) - 0.3) if pos.size else 1e-17
    ylo = max(min(ylo, 1e-17), 1e-22)
    yhi = 10.0 ** math.ceil(math.log10(pos.max()) + 0.3) if pos.size else 1.0
    yhi = min(max(yhi, 1.0), 1e4)
    # a slot in the "no step" zone for exact methods and the others that report no step
    no_step = (labels["kind"] == "exact") | ~labels["label"].isin(stepped)
    exact = list(labels.loc[no_step, "label"])
    xaxis = _StepAxis(
        lo=10.0 ** math.floor(math.log10(xs_all.min()) - 0.2) if xs_all.size else 1e-17,
        hi=max(10.0 ** math.ceil(math.log10(xs_all.max()) + 0.2), 1.0) if xs_all.size else 1.0,
        slots=len(exact),
    )
    slot = {lab: xaxis.slot(k) for k, lab in enumerate(exact)}
    return _Canvas(ylo, yhi, xaxis, slot, styles, relative, scales=scales)


def _draw_swept(
    ax: Any, cv: _Canvas, label: str, g: pd.DataFrame, x: np.ndarray, k: int = 0
) -> tuple:
    """A step-swept label (the ``k``-th of its panel, to offset its markers from the others'):
    its curve, the best step starred. Returns the curve for the guides."""
    st = cv.styles.get(label, DEFAULT_STYLE)
    e = g["rel_error"].to_numpy(dtype=float)
    ok = (g["status"] == Status.OK).to_numpy()
    shown = ok & (e > 0) & (e <= cv.yhi)
    # a step that did not shrink with the requested one (a library's fallback step) is drawn
    # as a lone marker, not joined to its neighbours
    back = np.zeros(x.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        back[1:] = x[1:] > np.fmin.accumulate(x)[:-1]
    lone = shown & back
    ax.plot(x[lone], e[lone], ls="", color=st.color, marker=st.marker, ms=4)
    every = max(1, len(x) // 6)
    ax.plot(
        x,
        np.where(shown & ~back, e, np.nan),
        color=st.color,
        ls=st.linestyle,
        lw=1.1,
        marker=st.marker,
        ms=4,
        mfc="white",
        markevery=(k % every, every),
        zorder=3,
    )
    cv.handles[cv.names.get(label, label)] = Line2D(
        [], [], color=st.color, ls=st.linestyle, lw=1.1, marker=st.marker, ms=4, mfc="white"
    )
    i = best_on_curve(np.where(ok, e, np.nan))[0]
    if i >= 0 and shown[i]:
        ax.plot(
            [x[i]], [e[i]], ls="", marker="*", ms=10, color=st.color, mec="k", mew=0.6, zorder=5
        )
        cv.extra["best step (median of 3 steps)"] = Line2D(
            [], [], ls="", marker="*", ms=10, color="w", mec="k"
        )
    orders = g["order"].dropna()
    return x[shown], e[shown], int(orders.iloc[0]) if len(orders) else None


def _draw_single(ax: Any, cv: _Canvas, label: str, g: pd.DataFrame, x: np.ndarray) -> np.ndarray:
    """A label measured once per point: a marker at its step, or in the no-step zone."""
    st = cv.styles.get(label, DEFAULT_STYLE)
    e = g["rel_error"].to_numpy(dtype=float)
    shown = (g["status"] == Status.OK).to_numpy() & (e > 0) & (e <= cv.yhi)
    if label in cv.slot or not np.isfinite(x[0]):
        x = np.array([cv.slot.get(label, cv.xaxis.right / 10**0.25)])
    ax.plot(
        x[shown],
        e[shown],
        ls="",
        marker=st.marker,
        ms=7,
        color=st.color,
        mec="k",
        mew=0.6,
        zorder=5,
    )
    cv.handles[cv.names.get(label, label)] = Line2D(
        [], [], ls="", marker=st.marker, ms=7, color=st.color, mec="k", mew=0.6
    )
    return x


#: How far below the previous one a failure at the same step hangs [points].
_DROP = 3.5


def _draw_edges(ax: Any, cv: _Canvas, label: str, g: pd.DataFrame, x: np.ndarray) -> None:
    """Exact zeros on the bottom edge, failures and off-scale errors on the top edge."""
    color = cv.styles.get(label, DEFAULT_STYLE).color
    e = g["rel_error"].to_numpy(dtype=float)
    ok = (g["status"] == Status.OK).to_numpy()
    fail, zero, off = ~ok, ok & (e == 0), ok & (e > cv.yhi)
    edge_marks(ax, x, zero, 0.0, "v", color, ms=6, mec=ZERO_COLOR, mew=1.2)
    # a failure in the method's colour; several methods failing at one step hang below each
    # other from the top edge (the first at the edge), so that each colour shows
    depth = np.zeros(x.size, dtype=int)
    for i in np.flatnonzero(fail):
        depth[i] = cv.fails.get(float(x[i]), 0)
        cv.fails[float(x[i])] = depth[i] + 1
    for d in np.unique(depth[fail]):
        edge_marks(ax, x, fail & (depth == d), 1.0, "x", color, ms=5, mew=1.5, drop=_DROP * d)
    edge_marks(ax, x, off, 1.0, "^", color, ms=5)
    if zero.any():
        cv.extra["exact zero (bottom edge)"] = Line2D(
            [], [], ls="", marker="v", ms=6, color="w", mec=ZERO_COLOR, mew=1.2
        )
    if fail.any():
        cv.extra["NaN / error (top edge)"] = Line2D(
            [], [], ls="", marker="x", ms=5, color="0.3", mew=1.5
        )
    if off.any():
        cv.extra[f"error > {cv.yhi:.0e} (top edge)"] = Line2D(
            [], [], ls="", marker="^", ms=5, color="0.3"
        )


def _draw_panel(ax: Any, cv: _Canvas, rows: Mapping[str, pd.DataFrame], labels: list[str]) -> None:
    """One panel: the curves and markers of ``labels`` at one point (``rows``: label -> its
    rows at that point, in table order)."""
    ax.set_yscale("log")
    ax.set_ylim(cv.ylo, cv.yhi)
    cv.xaxis.apply(ax)
    ax.grid(True, which="major", color="0.9", lw=0.6)
    ax.axhline(EPS, color="k", lw=0.8, ls=":", zorder=1)
    cv.extra["machine epsilon"] = Line2D([], [], color="k", lw=0.8, ls=":")
    curves = []
    col = "step_rel" if cv.relative else "step"
    for k, label in enumerate(labels):
        g = rows.get(label)
        if g is None or g.empty:
            continue
        g = g.sort_values(col, ascending=False)
        x = _steps(g, cv.relative, cv.scales)
        if label in cv.swept:
            curves.append(_draw_swept(ax, cv, label, g, x, k))
        else:
            x = _draw_single(ax, cv, label, g, x)
        _draw_edges(ax, cv, label, g, x)
    if _guides(ax, curves, cv.rounding):
        text = f"theory slope: $h^p$ truncation,\n$h^{{{cv.rounding:g}}}$ rounding"
        cv.extra[text] = Line2D([], [], color="k", lw=1.3, ls=(0, (4, 2)))


def _row_legend(ax: Any, cv: _Canvas) -> None:
    ax.legend(
        list(cv.handles.values()) + list(cv.extra.values()),
        list(cv.handles) + list(cv.extra),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize=7,
        frameon=False,
        ncols=2 if len(cv.handles) + len(cv.extra) > 16 else 1,
    )


def _merged_names(
    acc: pd.DataFrame, labels: pd.DataFrame, col: str, swept: frozenset[str]
) -> dict[str, str]:
    """Swept labels whose errors are identical at every step and point of the figure: the first
    (display order) -> its legend name, ``"a\n= b"``; the others are left out of the figure."""
    curves = {}
    by_label = _split(acc, "label")
    for label in labels.loc[labels["label"].isin(swept), "label"]:
        g = by_label.get(label, acc.iloc[:0]).sort_values(["point", col])
        ok = (g["status"] == Status.OK).to_numpy()
        y = np.where(ok, g["rel_error"].to_numpy(dtype=float), np.nan)
        curves[label] = (np.column_stack([g["point"].to_numpy(dtype=float), g[col]]), y)
    return {grp[0]: "\n= ".join(grp) for grp in identical_curves(curves) if len(grp) > 1}


def _split(df: pd.DataFrame, by: str | list[str]) -> dict[Any, pd.DataFrame]:
    """The rows of ``df`` per value of ``by`` (rows with a missing value left out), each in
    table order: what ``df[df[by] == value]`` gives, computed in one pass."""
    return dict(iter(df.groupby(by, sort=False, dropna=True)))


#: The columns the error-vs-step figure reads (the others are dropped before it splits the rows).
_COLUMNS = (
    "label", "kind", "point", "point_values", "step", "step_rel", "step_used", "rel_error",
    "status", "order",
)  # fmt: skip


def _label_panels(ax: Any, last_row: bool, first_col: bool, text: tuple[str, str, str]) -> None:
    """Title (if given), x label of the last row, y label of the first column."""
    title, xlabel, ylabel = text
    if title:
        ax.set_title(title, fontsize=9)
    if last_row:
        ax.set_xlabel(xlabel, fontsize=8)
    else:
        ax.tick_params(labelbottom=False)
    if first_col:
        ax.set_ylabel(f"{ylabel}\nrelative error (max-norm)", fontsize=8)


def _point_title(values: Any) -> str:
    """A panel title for a point: its coordinates to 6 digits (a point 1.001 next to a pole at 1
    must not read 1), a long list cut short.

    Examples
    --------
    >>> _point_title("[10000.0, 0.8139410298049853]")
    'x = [10000, 0.813941]'
    >>> _point_title("[1.001]")
    'x = [1.001]'
    >>> _point_title("[0.1, 0.2, 0.3, ..., 0.2, 0.1] (10 values)")
    'x = [0.1, 0.2, 0.3, ..., 0.2, 0.1] (10 values)'
    """
    text = re.sub(r"-?\d+\.\d+(?:e[-+]?\d+)?", lambda m: f"{float(m.group()):.6g}", str(values))
    return "x = " + (text if len(text) <= 64 else text[:60] + " ...")


_XLABEL_REL = "relative step h / max(1, |x|)"
_XLABEL_ABS = "step h actually used (largest over coordinates)"


def plot_error_vs_step(
    df: pd.DataFrame, problem: str, *, styles: Mapping[str, Style] | None = None
) -> Figure:
    """Relative error against step for every method on one problem.

    One column of panels per evaluation point. One row per family of step methods (families with
    fewer than four labels share a row), then a row for methods measured once per point: adaptive
    ones as a marker at the step they chose, exact ones in the "no step" zone at the right. When
    the table has relative steps (``step_rel``), the x axis is the relative step
    ``h / max(1, |x|)`` (an adaptive method's own step divided by max(1, |x|)); otherwise the
    step actually used (``step_used``; the requested step where the method reported none). The
    best step is starred. Dashed black guides, drawn above the curves and labelled, show the
    theory slopes ``h^p`` (truncation) and ``h^-1`` (rounding); the dotted line is machine
    epsilon. Colour is the accuracy order, marker and line style the method. Curves with
    identical errors at every step and point are drawn once, named together
    (``"a\n= b"``), and the title says so.

    Parameters
    ----------
    df : pandas.DataFrame
        Results table.
    problem : str
        Problem name.
    styles : mapping, optional
        Label -> :class:`Style`; default :func:`method_styles` of ``df``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    styles = dict(styles or method_styles(df))
    acc = df[(df["measure"] == "accuracy") & (df["region"] == "point")]
    acc = acc[(acc["problem"] == problem) & (acc["status"] != Status.SKIPPED)]
    if acc.empty:
        raise ValueError(f"`problem` {problem!r} has no point measurements in the table.")
    tags = acc["tags"].iloc[0].replace(";", ", ")
    title = f"{problem}: relative error against step   (tags: {tags})"
    return step_figure(acc, styles, relative=step_column(df) == "step_rel", title=title)


def step_figure(
    acc: pd.DataFrame,
    styles: Mapping[str, Style],
    *,
    relative: bool,
    title: str,
    rounding: float = -1.0,
) -> Figure:
    """The error-against-step figure of :func:`plot_error_vs_step` drawn from given rows.

    Parameters
    ----------
    acc : pandas.DataFrame
        Accuracy rows of one problem (no skipped ones), every point.
    styles : mapping
        Label -> :class:`Style`.
    relative : bool
        Whether the x axis is the relative step (``step_rel``) or the step used.
    title : str
        The figure's title (a line on identical curves is added when some are merged).
    rounding : float, optional
        Slope of the rounding guide: -1 for a gradient or Jacobian, -k for a k-th derivative.

    Returns
    -------
    matplotlib.figure.Figure
    """
    col = "step_rel" if relative else "step"
    labels = label_table(acc)
    swept = _swept_labels(acc, labels, col)
    names = _merged_names(acc, labels, col, swept)
    hidden = {n for name in names.values() for n in name.split("\n= ")[1:]}
    labels = labels[~labels["label"].isin(hidden)]
    groups = _panel_groups(labels, swept)
    points = sorted(int(p) for p in acc["point"].dropna().unique())
    point_text = acc.drop_duplicates("point").set_index("point")["point_values"]
    nrows, ncols = len(groups), len(points)
    fig = Figure(figsize=(4.8 * ncols + 3.9, 2.9 * nrows + 1.0), layout="constrained")
    axes = np.array(fig.subplots(nrows, ncols, sharey=True, squeeze=False))
    note = (
        ("\ncurves with identical errors are drawn once, named together (a = b; equal to 6 digits)")
        if names
        else ""
    )
    fig.suptitle(f"{title}{note}", fontsize=11)
    shared = _canvas(acc, labels, styles, relative)
    shared.names.update(names)
    shared.swept, shared.rounding = swept, rounding
    rows = _split(acc[[c for c in _COLUMNS if c in acc.columns]], ["point", "label"])
    at_point: dict[int, dict[str, pd.DataFrame]] = {p: {} for p in points}
    for (point, label), g in rows.items():
        at_point[int(point)][label] = g
    for r, (group_name, group_labels) in enumerate(groups):
        cv = replace(shared, handles={}, extra={})  # a legend per row
        for c, point in enumerate(points):
            ax = axes[r, c]
            _draw_panel(ax, cv, at_point[point], group_labels)
            title = _point_title(point_text.get(point, point)) if r == 0 else ""
            xlabel = _XLABEL_REL if relative else _XLABEL_ABS
            _label_panels(ax, r == nrows - 1, c == 0, (title, xlabel, group_name))
        _row_legend(axes[r, -1], cv)
    return fig
