"""Figures of a sweep, drawn from the tidy results table with matplotlib's object API.

Every function takes the DataFrame of :func:`diffbench.sweep` / :func:`diffbench.read_results`
and returns a :class:`matplotlib.figure.Figure` (no pyplot state, so nothing leaks and any
backend works; ``fig.savefig`` writes PNG through Agg). Colours follow the method's family
everywhere (:data:`FAMILY_COLORMAPS`), with shades and markers for the variants of a family,
assigned from the whole table so a method looks the same in every figure.

Conventions: errors are relative max-norm errors (see :mod:`diffbench.metrics`). A zero error
cannot sit on a log axis: it is drawn as a marker on the bottom edge ("exact zero"), never padded
with ``+1e-16``. A NaN estimate or a raised error is a marker on the top edge ("NaN / error").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

__all__ = [
    "FAMILY_COLORMAPS",
    "EPS",
    "Style",
    "method_styles",
    "smooth_problems",
    "best_attainable",
    "best_on_curve",
    "best_steps",
    "convergence_order",
    "plot_error_vs_step",
    "plot_error_vs_grid",
    "plot_overview",
    "plot_cost_accuracy",
    "save_figures",
    "figure_name",
]

EPS = float(np.finfo(float).eps)

#: Family -> matplotlib colormap; variants of a family get shades of it.
FAMILY_COLORMAPS: dict[str, str] = {
    "finite-difference": "Blues",
    "grid": "Greens",
    "complex-step": "Purples",
    "extrapolation": "Oranges",
    "forward-mode AD": "Reds",
    "reverse-mode AD": "RdPu",
    "symbolic": "Greys",
}
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")
_LINESTYLES = ("-", "--", "-.", ":")
_FAIL_COLOR = "#d62728"
_ZERO_COLOR = "#2ca02c"


@dataclass(frozen=True)
class Style:
    """How one method label is drawn."""

    color: Any
    marker: str
    linestyle: str


def _family_order(family: str) -> int:
    order = list(FAMILY_COLORMAPS)
    return order.index(family) if family in order else len(order)


def _label_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per label (method, family, kind, order), in family order then first appearance."""
    cols = ["label", "method", "family", "kind", "order"]
    labels = df[cols].drop_duplicates("label").reset_index(drop=True)
    labels["_first"] = range(len(labels))
    labels["_fam"] = labels["family"].map(_family_order)
    return labels.sort_values(["_fam", "_first"]).drop(columns=["_first", "_fam"])


def method_styles(df: pd.DataFrame) -> dict[str, Style]:
    """A :class:`Style` per method label: family colormap, a shade per label, a marker and line
    style per method name within the family.

    Computed from every label in ``df``; pass the same mapping to every figure of a report.
    """
    styles: dict[str, Style] = {}
    for family, group in _label_table(df).groupby("family", sort=False):
        cmap = colormaps[FAMILY_COLORMAPS.get(family, "Greys")]
        n = len(group)
        shades = np.linspace(0.95, 0.5, n) if n > 1 else [0.8]
        names = list(dict.fromkeys(group["method"]))
        for shade, (_, row) in zip(shades, group.iterrows(), strict=True):
            k = names.index(row["method"])
            styles[row["label"]] = Style(
                color=cmap(float(shade)),
                marker=_MARKERS[k % len(_MARKERS)],
                linestyle=_LINESTYLES[k % len(_LINESTYLES)],
            )
    return styles


def figure_name(problem: str) -> str:
    """A file-name-safe form of a problem name (``tan-pi/2`` -> ``tan-pi_2``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", problem)


# --------------------------------------------------------------------------------------------
# summaries shared with the report
# --------------------------------------------------------------------------------------------
def smooth_problems(df: pd.DataFrame) -> list[str]:
    """Problems tagged "smooth" and not "noisy" (a noisy function is not smooth), in table order."""
    tags = df.drop_duplicates("problem").set_index("problem")["tags"].fillna("")
    return [p for p, t in tags.items() if "smooth" in t.split(";") and "noisy" not in t.split(";")]


def _accuracy(df: pd.DataFrame, region: str = "point") -> pd.DataFrame:
    return df[(df["measure"] == "accuracy") & (df["region"] == region)]


def best_on_curve(errors: Any) -> tuple[int, float, int, int]:
    """The best step of one error-vs-step curve, robust to a single lucky step.

    ``errors`` are ordered by step (NaN for a failed measurement). The score of step ``i`` is the
    median of the errors at ``i - 1, i, i + 1`` (failures count as infinite; an end step scores
    the larger of its two errors): an exact cancellation at one step does not make a best step, a
    plateau does (its first step is the best step), and every score is an error that was
    measured. With fewer than three steps the score is the error itself.

    Returns
    -------
    (int, float, int, int)
        Index of the best step (-1 if every measurement failed), its score (the best error), and
        the first and last index of the contiguous window around it whose errors are within 10x
        of the best score.

    Examples
    --------
    >>> best_on_curve([1e-3, 1e-6, 0.0, 1e-6, 1e-2])  # the lone zero is luck: score 1e-6
    (1, 1e-06, 1, 3)
    >>> best_on_curve([0.0, 1e-6, 1e-6, 1e-6, 1e-3])  # so is a zero at the end
    (0, 1e-06, 0, 3)
    """
    e = np.asarray(errors, dtype=float)
    e = np.where(np.isnan(e), np.inf, e)
    n = e.size
    if n == 0 or not np.isfinite(e).any():
        return -1, math.nan, -1, -1
    if n < 3:
        score = e
    else:
        padded = np.concatenate([[np.inf], e, [np.inf]])
        windows = np.stack([padded[:-2], padded[1:-1], padded[2:]])
        score = np.median(windows, axis=0)
    i = int(np.argmin(score))  # the first step that reaches the best score
    best = float(score[i])
    if not np.isfinite(best):
        finite = np.flatnonzero(np.isfinite(e))
        i = int(finite[np.argmin(e[finite])])
        best = float(e[i])
    lo = hi = i
    while lo > 0 and e[lo - 1] <= 10 * best:
        lo -= 1
    while hi < n - 1 and e[hi + 1] <= 10 * best:
        hi += 1
    return i, best, lo, hi


def best_steps(df: pd.DataFrame) -> pd.DataFrame:
    """Per (label, problem, point): the best error over steps and the step that gave it.

    The best step is found by :func:`best_on_curve` (robust to one lucky step).

    Returns
    -------
    pandas.DataFrame
        Columns ``label, problem, point, best_rel_error, best_step`` (requested step),
        ``best_step_used``, ``window_decades`` (log10 width of the contiguous range of requested
        steps around the best whose errors are within 10x of it; NaN with a single measurement),
        ``n_ok``, ``n_total``. A point without any finite estimate has ``best_rel_error`` NaN.
    """
    acc = _accuracy(df)
    acc = acc[acc["status"] != "skipped"]
    out = []
    for (label, problem, point), g in acc.groupby(["label", "problem", "point"], sort=False):
        g = g.sort_values("step", ascending=False)
        ok = (g["status"] == "ok").to_numpy()
        errs = np.where(ok, g["rel_error"].to_numpy(dtype=float), np.nan)
        i, best, lo, hi = best_on_curve(errs)
        steps = g["step"].to_numpy(dtype=float)
        rec = {
            "label": label,
            "problem": problem,
            "point": int(point),
            "n_ok": int(ok.sum()),
            "n_total": len(g),
            "best_rel_error": best,
            "best_step": steps[i] if i >= 0 else math.nan,
            "best_step_used": float(g["step_used"].iloc[i]) if i >= 0 else math.nan,
            "window_decades": math.nan,
        }
        if i >= 0 and np.isfinite(steps).sum() > 1:
            rec["window_decades"] = float(np.log10(steps[lo] / steps[hi]))
        out.append(rec)
    return pd.DataFrame(out)


def best_attainable(df: pd.DataFrame, *, grid: bool = True) -> pd.DataFrame:
    """Best attainable relative error per method label and problem.

    For the point form: the smallest error over steps at each point, then the worst of the
    problem's points (every point tuned to its own best step). For grid methods (``grid=True``)
    an extra label ``"<label> [grid]"`` holds the smallest interior error over grid sizes.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, family, kind, problem, best_rel_error, failed`` (no finite estimate at
        some point), ``skipped`` (never run: unavailable or not applicable) and ``reason``.
    """
    labels = _label_table(df).set_index("label")
    rows = []
    bs = best_steps(df)
    acc = _accuracy(df)
    for (label, problem), g in acc.groupby(["label", "problem"], sort=False):
        mine = bs[(bs["label"] == label) & (bs["problem"] == problem)]
        skipped = bool((g["status"] == "skipped").all())
        failed = (not skipped) and bool(mine["best_rel_error"].isna().any() or mine.empty)
        value = math.nan if skipped or failed else float(mine["best_rel_error"].max())
        reason = str(g["message"].iloc[0]) if skipped else ""
        rows.append((label, problem, value, failed, skipped, reason))
    if grid:
        acc = _accuracy(df, "interior")
        for (label, problem), g in acc.groupby(["label", "problem"], sort=False):
            ok = g[g["status"] == "ok"]
            skipped = bool((g["status"] == "skipped").all()) and g["grid_size"].isna().all()
            value = float(ok["rel_error"].min()) if len(ok) else math.nan
            reason = str(g["message"].iloc[0]) if skipped else ""
            rows.append(
                (f"{label} [grid]", problem, value, not skipped and not len(ok), skipped, reason)
            )
    out = pd.DataFrame(
        rows, columns=["label", "problem", "best_rel_error", "failed", "skipped", "reason"]
    )
    base = out["label"].str.replace(r" \[grid\]$", "", regex=True)
    out["family"] = base.map(labels["family"])
    out["kind"] = base.map(labels["kind"])
    return out


def convergence_order(sizes: Any, errors: Any, *, floor: float = 1e3 * EPS) -> float:
    """Observed convergence order from errors on grids of increasing size.

    Fits ``log(error) = c - p log(N)`` with ``np.polyfit`` over the asymptotic range: errors
    below 0.1 (coarser grids are pre-asymptotic) and above the rounding floor. If the error
    reaches its minimum before the finest grid, rounding has taken over: only the grids before
    the minimum whose error is still 10x above it are used. At most the last four such grids
    enter the fit. Returns ``p``, or NaN with fewer than three usable grids.

    Examples
    --------
    >>> n = np.array([8, 16, 32, 64])
    >>> round(convergence_order(n, 3.0 / n**2), 6)
    2.0
    """
    n = np.asarray(sizes, dtype=float)
    e = np.asarray(errors, dtype=float)
    keep = np.isfinite(e) & (e > 0) & np.isfinite(n) & (n > 0)
    n, e = n[keep], e[keep]
    order = np.argsort(n)
    n, e = n[order], e[order]
    if n.size < 3:
        return math.nan
    imin = int(np.argmin(e))
    idx = np.arange(n.size)
    if imin < n.size - 1:
        use = (idx < imin) & (e >= 10 * e[imin])
    else:
        use = e > floor
    use &= e <= 0.1
    n, e = n[use][-4:], e[use][-4:]
    if n.size < 3:
        return math.nan
    slope = np.polyfit(np.log(n), np.log(e), 1)[0]
    return float(-slope)


# --------------------------------------------------------------------------------------------
# figure 1: error vs step
# --------------------------------------------------------------------------------------------
def _panel_groups(labels: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Rows of panels: step-swept families with 4+ labels get a row each, the other step-swept
    labels share one, and methods measured once per point (exact, adaptive) share the last."""
    swept = labels[labels["kind"].isin(["step", "grid"])]
    single = labels[~labels["kind"].isin(["step", "grid"])]
    big, small = [], []
    for family, g in swept.groupby("family", sort=False):
        (big if len(g) >= 4 else small).append((family, list(g["label"])))
    groups = [(f"{fam}", labs) for fam, labs in big]
    if small:
        groups.append((", ".join(f for f, _ in small), [lab for _, labs in small for lab in labs]))
    if not single.empty:
        groups.append(("exact and adaptive", list(single["label"])))
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

    def apply(self, ax: Any) -> None:
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
        top = math.floor(math.log10(self.hi))
        span = top - math.ceil(math.log10(max(self.lo, self.knee)))
        step = 2 if span <= 18 else 4
        top -= top % step
        ticks = [10.0**e for e in range(top, math.ceil(math.log10(self.lo)) - 1, -step)]
        if self.compressed:
            below = k - math.log10(self.lo)
            every = 150 if below > 150 else 20 if below > 40 else 5
            ticks = [t for t in ticks if t >= self.knee]
            ticks += [
                10.0**-e
                for e in range(
                    every * math.ceil(-k / every + 1), int(-math.log10(self.lo)) + 1, every
                )
            ]
            ax.axvline(self.knee, color="0.6", lw=0.8, ls=(0, (1, 2)))
        if self.slots:
            ax.axvspan(self.hi * 10**0.2, self.right, color="0.95", zorder=0)
            ticks.append((self.hi * 10**0.2 * self.right) ** 0.5)
        labels = [f"1e{round(math.log10(t))}" for t in ticks]
        if self.slots:
            labels[-1] = "no step"
        ax.set_xticks(ticks, labels, fontsize=7)
        ax.minorticks_off()


def _guides(ax: Any, curves: list[tuple[np.ndarray, np.ndarray, int | None]]) -> bool:
    """Dashed theory slopes next to the curves: ``h^p`` where truncation dominates (steps above
    the best one), ``h^-1`` where rounding does (well below it). Returns whether any was drawn."""
    drawn_orders: set[int] = set()
    rounding_done = False

    def guide(x0: float, y0: float, slope: float, text: str, left: bool) -> None:
        xs = np.array([x0 / 10**0.6, x0 * 10**0.6])
        ys = 4 * y0 * (xs / x0) ** slope
        ax.plot(xs, ys, color="0.3", lw=1.0, ls="--", zorder=2)
        i = 0 if left else 1
        ax.text(
            xs[i],
            ys[i],
            text,
            fontsize=7,
            color="0.25",
            ha="right" if left else "left",
            va="center",
        )

    for h, e, order in sorted(curves, key=lambda c: c[2] or 0):
        ok = np.isfinite(h) & np.isfinite(e) & (e > 0)
        if ok.sum() < 4:
            continue
        hh, ee = h[ok], e[ok]
        ib = int(np.argmin(ee))
        if order is not None and order not in drawn_orders:
            side = np.flatnonzero((hh > hh[ib] * 3) & (ee < 1e-2))
            if side.size >= 2:
                j = side[len(side) // 2]
                guide(hh[j], ee[j], float(order), f" $h^{{{order}}}$", left=False)
                drawn_orders.add(order)
        if not rounding_done:
            side = np.flatnonzero((hh < hh[ib] / 10) & (ee > 30 * ee[ib]))
            # draw it only where the data do grow like 1/h (not e.g. a flat plateau)
            slope = np.polyfit(np.log(hh[side]), np.log(ee[side]), 1)[0] if side.size >= 3 else 0
            if -1.6 < slope < -0.5:
                j = side[len(side) // 2]
                guide(hh[j], ee[j], -1.0, "$h^{-1}$ ", left=True)
                rounding_done = True
    return bool(drawn_orders) or rounding_done


def _edge_marks(
    ax: Any, x: np.ndarray, mask: np.ndarray, y: float, marker: str, color: Any, **kw: Any
) -> None:
    """Markers on the bottom (y=0) or top (y=1) edge of the axes, at data x."""
    if mask.any():
        tr = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(
            x[mask],
            np.full(int(mask.sum()), y),
            transform=tr,
            ls="",
            marker=marker,
            color=color,
            clip_on=False,
            zorder=6,
            **kw,
        )


def plot_error_vs_step(
    df: pd.DataFrame, problem: str, *, styles: Mapping[str, Style] | None = None
) -> Figure:
    """Relative error against step for every method on one problem.

    One column of panels per evaluation point. One row per family of step methods (families with
    fewer than four labels share a row), then a row for methods measured once per point: adaptive
    ones as a marker at the step they chose, exact ones in the "no step" zone at the right. Step
    methods are drawn against the step actually used (``step_used``; the requested step where the
    method reported none), the best step starred. Dashed grey guides show the theory slopes
    ``h^p`` (truncation) and ``h^-1`` (rounding); the dotted black line is machine epsilon.

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
    acc = _accuracy(df)
    acc = acc[(acc["problem"] == problem) & (acc["status"] != "skipped")]
    if acc.empty:
        raise ValueError(f"`problem` {problem!r} has no point measurements in the table.")
    labels = _label_table(acc)
    groups = _panel_groups(labels)
    points = sorted(int(p) for p in acc["point"].dropna().unique())
    point_text = acc.drop_duplicates("point").set_index("point")["point_values"]
    xs_all = acc["step_used"].where(acc["step_used"].notna(), acc["step"]).to_numpy(dtype=float)
    xs_all = xs_all[np.isfinite(xs_all) & (xs_all > 0)]
    errs = acc["rel_error"].to_numpy(dtype=float)
    pos = errs[np.isfinite(errs) & (errs > 0)]
    ylo = 10.0 ** math.floor(math.log10(pos.min()) - 0.3) if pos.size else 1e-17
    ylo = max(min(ylo, 1e-17), 1e-22)
    yhi = 10.0 ** math.ceil(math.log10(pos.max()) + 0.3) if pos.size else 1.0
    yhi = min(max(yhi, 1.0), 1e4)
    exact = [
        lab for lab in labels["label"] if labels.set_index("label").loc[lab, "kind"] == "exact"
    ]
    xaxis = _StepAxis(
        lo=10.0 ** math.floor(math.log10(xs_all.min()) - 0.2) if xs_all.size else 1e-17,
        hi=max(10.0 ** math.ceil(math.log10(xs_all.max()) + 0.2), 1.0) if xs_all.size else 1.0,
        slots=len(exact),
    )
    slot = {lab: xaxis.slot(k) for k, lab in enumerate(exact)}

    nrows, ncols = len(groups), len(points)
    fig = Figure(figsize=(4.8 * ncols + 3.6, 2.9 * nrows + 0.9), layout="constrained")
    axes = np.array(fig.subplots(nrows, ncols, sharey=True, squeeze=False))
    tags = acc["tags"].iloc[0].replace(";", ", ")
    fig.suptitle(f"{problem}: relative error against step   (tags: {tags})", fontsize=11)
    for r, (group_name, group_labels) in enumerate(groups):
        handles: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for c, point in enumerate(points):
            ax = axes[r, c]
            ax.set_yscale("log")
            ax.set_ylim(ylo, yhi)
            xaxis.apply(ax)
            ax.grid(True, which="major", color="0.9", lw=0.6)
            ax.axhline(EPS, color="k", lw=0.8, ls=":", zorder=1)
            extra["machine epsilon"] = Line2D([], [], color="k", lw=0.8, ls=":")
            curves = []
            for label in group_labels:
                g = acc[(acc["label"] == label) & (acc["point"] == point)]
                g = g.sort_values("step", ascending=False)
                if g.empty:
                    continue
                st = styles.get(label, Style("0.5", "o", "-"))
                kind = g["kind"].iloc[0]
                x = g["step_used"].where(g["step_used"].notna(), g["step"]).to_numpy(dtype=float)
                e = g["rel_error"].to_numpy(dtype=float)
                ok = (g["status"] == "ok").to_numpy()
                fail, zero = ~ok, ok & (e == 0)
                off = ok & (e > yhi)
                shown = ok & (e > 0) & (e <= yhi)
                if kind in ("step", "grid"):
                    # a step that did not shrink with the requested one (a library's fallback
                    # step) is drawn as a lone marker, not joined to its neighbours
                    back = np.zeros(x.size, dtype=bool)
                    with np.errstate(invalid="ignore"):
                        back[1:] = x[1:] > np.fmin.accumulate(x)[:-1]
                    lone = shown & back
                    ax.plot(x[lone], e[lone], ls="", color=st.color, marker=st.marker, ms=4)
                    every = max(1, len(x) // 8)
                    ax.plot(
                        x,
                        np.where(shown & ~back, e, np.nan),
                        color=st.color,
                        ls=st.linestyle,
                        lw=1.1,
                        marker=st.marker,
                        ms=3,
                        markevery=every,
                        zorder=3,
                    )
                    handles[label] = Line2D(
                        [], [], color=st.color, ls=st.linestyle, lw=1.1, marker=st.marker, ms=4
                    )
                    i = best_on_curve(np.where(ok, e, np.nan))[0]
                    if i >= 0 and shown[i]:
                        ax.plot(
                            [x[i]],
                            [e[i]],
                            ls="",
                            marker="*",
                            ms=10,
                            color=st.color,
                            mec="k",
                            mew=0.6,
                            zorder=5,
                        )
                        extra["best step (median of 3 steps)"] = Line2D(
                            [], [], ls="", marker="*", ms=10, color="w", mec="k"
                        )
                    orders = g["order"].dropna()
                    curves.append(
                        (x[shown], e[shown], int(orders.iloc[0]) if len(orders) else None)
                    )
                else:
                    if label in slot or not np.isfinite(x[0]):
                        x = np.array([slot.get(label, xaxis.right / 10**0.25)])
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
                    handles[label] = Line2D(
                        [], [], ls="", marker=st.marker, ms=7, color=st.color, mec="k", mew=0.6
                    )
                _edge_marks(ax, x, zero, 0.0, "v", st.color, ms=6, mec=_ZERO_COLOR, mew=1.2)
                _edge_marks(ax, x, fail, 1.0, "x", st.color, ms=6, mew=1.6)
                _edge_marks(ax, x, off, 1.0, "^", st.color, ms=5)
                if zero.any():
                    extra["exact zero (bottom edge)"] = Line2D(
                        [], [], ls="", marker="v", ms=6, color="w", mec=_ZERO_COLOR, mew=1.2
                    )
                if fail.any():
                    extra["NaN / error (top edge)"] = Line2D(
                        [], [], ls="", marker="x", ms=6, color="0.3", mew=1.6
                    )
                if off.any():
                    extra[f"error > {yhi:.0e} (top edge)"] = Line2D(
                        [], [], ls="", marker="^", ms=5, color="0.3"
                    )
            if _guides(ax, curves):
                extra["theory slopes"] = Line2D([], [], color="0.3", lw=1.0, ls="--")
            if r == 0:
                ax.set_title(f"x = {point_text.get(point, point)}", fontsize=9)
            if r == nrows - 1:
                ax.set_xlabel("step h actually used (largest over coordinates)", fontsize=8)
            else:
                ax.tick_params(labelbottom=False)
            if c == 0:
                ax.set_ylabel(f"{group_name}\nrelative error (max-norm)", fontsize=8)
        axes[r, -1].legend(
            list(handles.values()) + list(extra.values()),
            list(handles) + list(extra),
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=7,
            frameon=False,
            ncols=2 if len(handles) + len(extra) > 16 else 1,
        )
    return fig


# --------------------------------------------------------------------------------------------
# figure 2: error vs grid size
# --------------------------------------------------------------------------------------------
def plot_error_vs_grid(
    df: pd.DataFrame, problem: str, *, styles: Mapping[str, Style] | None = None
) -> Figure:
    """Interior and edge error of grid methods against grid size, with fitted orders.

    Solid lines: interior nodes; dashed: boundary nodes. The legend gives the convergence order
    fitted by :func:`convergence_order` over the asymptotic range.

    Returns
    -------
    matplotlib.figure.Figure
    """
    styles = dict(styles or method_styles(df))
    grid = df[
        (df["measure"] == "accuracy")
        & (df["problem"] == problem)
        & df["region"].isin(["interior", "edge"])
        & df["grid_size"].notna()
    ]
    if grid.empty:
        raise ValueError(f"`problem` {problem!r} has no grid measurements in the table.")
    fig = Figure(figsize=(9.5, 4.8), layout="constrained")
    ax = fig.subplots()
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    dim = int(grid["dim"].iloc[0])
    domain = str(grid["point_values"].iloc[0]).removeprefix("grid ")
    fig.suptitle(
        f"{problem}: grid methods, error against grid size\n(uniform {dim}-D grid on {domain}; "
        "solid: interior nodes, dashed: boundary nodes)",
        fontsize=10,
    )
    sizes = sorted(int(n) for n in grid["grid_size"].unique())
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("grid points per axis N   (spacing h = domain width / (N - 1))")
    ax.set_ylabel("relative error (max-norm over the region)")
    ax.axhline(EPS, color="k", lw=0.8, ls=":")
    handles, names = [], []
    top = blended_transform_factory(ax.transData, ax.transAxes)
    any_fail = False
    for label in _label_table(grid)["label"]:
        st = styles.get(label, Style("0.5", "o", "-"))
        for region, ls, fill in (("interior", "-", st.color), ("edge", "--", "white")):
            g = grid[(grid["label"] == label) & (grid["region"] == region)].sort_values("grid_size")
            if g.empty:
                continue
            n = g["grid_size"].to_numpy(dtype=float)
            e = g["rel_error"].to_numpy(dtype=float)
            ok = (g["status"] == "ok").to_numpy() & (e > 0)
            ax.plot(
                n,
                np.where(ok, e, np.nan),
                color=st.color,
                ls=ls,
                marker=st.marker,
                mfc=fill,
                ms=5,
                lw=1.4,
            )
            bad = ~(g["status"] == "ok").to_numpy()
            if bad.any():
                any_fail = True
                ax.plot(
                    n[bad],
                    np.ones(bad.sum()),
                    transform=top,
                    ls="",
                    marker="x",
                    color=st.color,
                    clip_on=False,
                )
            p = convergence_order(n[ok], e[ok])
            ptxt = f"order {p:.2f}" if np.isfinite(p) else "order n/a"
            handles.append(Line2D([], [], color=st.color, ls=ls, marker=st.marker, mfc=fill, ms=5))
            names.append(f"{label}, {region} ({ptxt})")
    handles.append(Line2D([], [], color="k", lw=0.8, ls=":"))
    names.append("machine epsilon")
    if any_fail:
        handles.append(Line2D([], [], ls="", marker="x", color="0.3"))
        names.append("NaN / error (at top)")
    ax.grid(True, which="major", color="0.92", lw=0.6)
    ax.legend(
        handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False
    )
    return fig


# --------------------------------------------------------------------------------------------
# figure 3: overview heat map
# --------------------------------------------------------------------------------------------
def plot_overview(df: pd.DataFrame) -> Figure:
    """Heat map of the best attainable relative error, method label x problem.

    Cells show the value (``0`` for an exact zero); "fail" where some point never gave a finite
    estimate, "n/a" where the method was not run (unavailable or not applicable). Colour is
    log10 of the error, from 1e-16 (green) to 1 and above (red).

    Returns
    -------
    matplotlib.figure.Figure
    """
    best = best_attainable(df)
    if best.empty:
        raise ValueError("the table has no accuracy measurements.")
    problems = list(dict.fromkeys(df["problem"]))
    base_order = list(_label_table(df)["label"])
    order = []
    for lab in base_order:
        for cand in (lab, f"{lab} [grid]"):
            if cand in set(best["label"]):
                order.append(cand)
    mat = best.pivot_table(
        index="label", columns="problem", values="best_rel_error", aggfunc="first", dropna=False
    )
    mat = mat.reindex(index=order, columns=problems)
    failed = best.pivot_table(
        index="label", columns="problem", values="failed", aggfunc="first"
    ).reindex(index=order, columns=problems)
    skipped = best.pivot_table(
        index="label", columns="problem", values="skipped", aggfunc="first"
    ).reindex(index=order, columns=problems)
    values = mat.to_numpy(dtype=float)
    shown = np.where(values == 0, 1e-17, values)
    norm = LogNorm(vmin=1e-16, vmax=1.0, clip=True)
    cmap = colormaps["RdYlGn_r"].with_extremes(bad="0.85")
    nr, nc = values.shape
    fig = Figure(figsize=(2.6 + 0.62 * nc, 1.8 + 0.24 * nr), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(
        np.ma.masked_invalid(shown), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest"
    )
    for i in range(nr):
        for j in range(nc):
            v = values[i, j]
            if np.isfinite(v):
                text = "0" if v == 0 else f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e+")
            elif bool(failed.iat[i, j]) if pd.notna(failed.iat[i, j]) else False:
                text = "fail"
            elif bool(skipped.iat[i, j]) if pd.notna(skipped.iat[i, j]) else False:
                text = "n/a"
            else:
                text = ""
            ax.text(j, i, text, ha="center", va="center", fontsize=6)
    # a line between families
    fam = best.drop_duplicates("label").set_index("label")["family"].reindex(order).tolist()
    for i in range(1, nr):
        if fam[i] != fam[i - 1]:
            ax.axhline(i - 0.5, color="k", lw=1.2)
    ax.set_xticks(range(nc), problems, rotation=50, ha="right", rotation_mode="anchor", fontsize=7)
    ax.set_yticks(range(nr), order, fontsize=7)
    ax.set_xticks(np.arange(nc + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(nr + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_title(
        "Best attainable relative error (best step per point, worst point; "
        "grid rows: best interior error over grid sizes)",
        fontsize=9,
    )
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("relative error (log scale; 0 drawn as 1e-16)", fontsize=8)
    return fig


# --------------------------------------------------------------------------------------------
# figure 4: cost vs accuracy
# --------------------------------------------------------------------------------------------
def cost_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per method label: median best error, nfev per coordinate and time per gradient.

    Medians are over the smooth problems (:func:`smooth_problems`); all problems if there are
    none. Costs come from the ``cost`` rows (default step at the first point).
    """
    smooth = smooth_problems(df) or list(dict.fromkeys(df["problem"]))
    best = best_attainable(df, grid=False)
    best = best[best["problem"].isin(smooth) & ~best["skipped"]]
    cost = df[(df["measure"] == "cost") & df["problem"].isin(smooth) & (df["status"] != "skipped")]
    labels = _label_table(df).set_index("label")
    out = []
    for label in labels.index:
        b = best[best["label"] == label]
        c = cost[cost["label"] == label]
        if b.empty and c.empty:
            continue
        errs = b["best_rel_error"].to_numpy(dtype=float)
        out.append(
            {
                "label": label,
                "family": labels.loc[label, "family"],
                "kind": labels.loc[label, "kind"],
                "median_best_error": float(np.median(errs))
                if errs.size and np.isfinite(errs).all()
                else math.nan,
                "nfev_per_coordinate": float(
                    np.median(c["nfev"].to_numpy(dtype=float) / c["dim"].to_numpy(dtype=float))
                )
                if len(c) and c["nfev"].notna().all()
                else math.nan,
                "time": float(np.median(c["time"].dropna()))
                if c["time"].notna().any()
                else math.nan,
                "problems": len(b),
            }
        )
    return pd.DataFrame(out)


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of points not dominated in (x, y), both to be minimised."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    mask = np.zeros(x.size, dtype=bool)
    for i in np.flatnonzero(ok):
        dominated = ok & (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        mask[i] = not dominated.any()
    return mask


def plot_cost_accuracy(df: pd.DataFrame, *, styles: Mapping[str, Style] | None = None) -> Figure:
    """Cost against accuracy: evaluations and time per gradient vs best relative error.

    One marker per method label (colour by family, shade and marker by variant, as in every
    figure). The Pareto front (no other method is both at least as accurate and at least as cheap)
    is joined by a black step line, circled and labelled. Methods whose median best error is an
    exact zero sit on the dotted line at the left.

    Returns
    -------
    matplotlib.figure.Figure
    """
    styles = dict(styles or method_styles(df))
    summ = cost_summary(df)
    if summ.empty:
        raise ValueError("the table has no cost or accuracy measurements.")
    fig = Figure(figsize=(15, 6.2), layout="constrained")
    axes = fig.subplots(1, 2)
    err = summ["median_best_error"].to_numpy(dtype=float)
    pos = err[np.isfinite(err) & (err > 0)]
    xmin = 10.0 ** (math.floor(math.log10(pos.min())) - 1) if pos.size else 1e-17
    xplot = np.where(err == 0, xmin, err)
    for ax, col, ylabel in (
        (axes[0], "nfev_per_coordinate", "evaluations of f per gradient coordinate (nfev / n)"),
        (axes[1], "time", "time per gradient [s] (median of repeats)"),
    ):
        y = summ[col].to_numpy(dtype=float)
        ax.set_xscale("log")
        ax.set_yscale(
            "log" if col == "time" else "symlog", **({} if col == "time" else {"linthresh": 1.0})
        )
        for (_, row), xv, yv in zip(summ.iterrows(), xplot, y, strict=True):
            if np.isfinite(xv) and np.isfinite(yv):
                st = styles.get(row["label"], Style("0.5", "o", "-"))
                ax.plot(
                    [xv],
                    [yv],
                    ls="",
                    marker=st.marker,
                    ms=7,
                    color=st.color,
                    mec="0.2",
                    mew=0.5,
                    zorder=3,
                )
        front = pareto_front(xplot, y)
        if front.any():
            order = np.argsort(xplot[front])
            fx, fy = xplot[front][order], y[front][order]
            ax.plot(fx, fy, color="k", lw=1.0, drawstyle="steps-post", zorder=2)
            ax.plot(fx, fy, ls="", marker="o", ms=14, mfc="none", mec="k", mew=1.0, zorder=4)
            # one annotation per position: methods with identical cost and error share it
            spots: dict[tuple[float, float], list[str]] = {}
            for lab, xv, yv in zip(summ["label"][front].to_numpy()[order], fx, fy, strict=True):
                spots.setdefault((xv, yv), []).append(lab)
            for (xv, yv), labs in spots.items():
                ax.annotate(
                    "\n".join(labs),
                    (xv, yv),
                    xytext=(9, 0),
                    textcoords="offset points",
                    fontsize=7,
                    va="center",
                    fontweight="bold",
                )
        finite = y[np.isfinite(y)]
        if col != "time" and finite.size:
            ax.set_ylim(-0.5, max(finite.max() * 2, 2))
        ax.set_xlim(xmin / 3, (pos.max() if pos.size else 1.0) * 10)
        ax.set_xlabel("best attainable relative error (median over smooth problems)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", color="0.9", lw=0.6)
        if (err == 0).any():
            ax.axvline(xmin, color="0.6", lw=0.8, ls=":")
            ax.text(
                xmin,
                0.99,
                " exact zero",
                transform=blended_transform_factory(ax.transData, ax.transAxes),
                fontsize=7,
                va="top",
                color="0.4",
            )
    fig.suptitle(
        "Cost against accuracy (cost at each method's default step, "
        "first point of each smooth problem)",
        fontsize=10,
    )
    handles = [
        Line2D(
            [],
            [],
            ls="",
            marker=styles[lab].marker,
            ms=6,
            color=styles[lab].color,
            mec="0.2",
            mew=0.5,
        )
        for lab in summ["label"]
        if lab in styles
    ]
    names = [lab for lab in summ["label"] if lab in styles]
    handles.append(Line2D([], [], color="k", lw=1.0, marker="o", mfc="none", ms=10))
    names.append("Pareto front")
    axes[1].legend(
        handles,
        names,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=6.5,
        frameon=False,
        ncols=2 if len(names) > 24 else 1,
    )
    return fig


# --------------------------------------------------------------------------------------------
# everything at once
# --------------------------------------------------------------------------------------------
def save_figures(
    df: pd.DataFrame, directory: str | Path, *, dpi: int = 110
) -> dict[str, list[Path]]:
    """Draw every figure of a results table into ``directory`` as PNG.

    Returns
    -------
    dict
        ``{"step": [...], "grid": [...], "overview": [...], "cost": [...]}`` of written paths.
    """
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    styles = method_styles(df)
    written: dict[str, list[Path]] = {"step": [], "grid": [], "overview": [], "cost": []}

    def save(fig: Figure, name: str, kind: str) -> None:
        path = out_dir / name
        fig.savefig(path, dpi=dpi)
        written[kind].append(path)

    acc = df[(df["measure"] == "accuracy") & (df["status"] != "skipped")]
    for problem in dict.fromkeys(acc["problem"]):
        sub = acc[acc["problem"] == problem]
        if (sub["region"] == "point").any():
            save(
                plot_error_vs_step(df, problem, styles=styles),
                f"step_{figure_name(problem)}.png",
                "step",
            )
        if sub["grid_size"].notna().any():
            save(
                plot_error_vs_grid(df, problem, styles=styles),
                f"grid_{figure_name(problem)}.png",
                "grid",
            )
    if not acc.empty:
        save(plot_overview(df), "overview.png", "overview")
    if (df["measure"] == "cost").any():
        save(plot_cost_accuracy(df, styles=styles), "cost_accuracy.png", "cost")
    return written
