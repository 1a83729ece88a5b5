"""Figure 4: cost against accuracy at the default step, with the Pareto front.

Both axes come from the same measurements: the default-step (``cost``) rows, medians over the
first point of each smooth problem (:func:`diffbench.analysis.cost_summary`). Values a log axis
cannot show are drawn in labelled bands outside the data range, never at a made-up position: an
exact-zero error in a band left of the errors, a method that never calls f (0 evaluations) in a
band below the counts. Methods in a band are not on the Pareto front, which is drawn over the
data range only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..analysis import cost_summary, pareto_front
from .style import DEFAULT_STYLE, Style, method_styles

__all__ = ["plot_cost_accuracy", "place_labels", "Band", "ZERO_ERROR_TEXT", "NO_CALLS_TEXT"]

#: The two panels: summary column and y label.
_PANELS = (
    ("nfev_per_coordinate", "evaluations of f per gradient coordinate (nfev / n)"),
    ("time", "time per gradient [s] (median of repeats)"),
)
#: Labels of the bands.
ZERO_ERROR_TEXT = "error exactly 0"
NO_CALLS_TEXT = "never calls f (nfev 0)"


@dataclass(frozen=True)
class Band:
    """A log axis with a band below its data range for the value 0.

    ``lo`` is the decade below the smallest positive value; the band spans
    ``[lo / 12, lo / 2.5]`` and holds the zeros, spread over it so they do not overlap.
    """

    lo: float
    hi: float

    @classmethod
    def of(cls, values: np.ndarray) -> Band:
        """The band of an axis showing ``values`` (its data range from the positive ones)."""
        pos = values[np.isfinite(values) & (values > 0)]
        if not pos.size:
            return cls(1e-16, 1.0)
        return cls(
            10.0 ** math.floor(math.log10(pos.min())), 10.0 ** math.ceil(math.log10(pos.max()))
        )

    @property
    def span(self) -> tuple[float, float]:
        return self.lo / 12, self.lo / 2.5

    def positions(self, values: np.ndarray) -> np.ndarray:
        """Where each value is drawn: itself if positive, in the band if 0, NaN otherwise."""
        out = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        zeros = np.flatnonzero(values == 0)
        a, b = np.log10(self.span)
        for k, i in enumerate(zeros):
            out[i] = 10.0 ** (a + (b - a) * (k + 1) / (zeros.size + 1))
        return out

    def limits(self) -> tuple[float, float]:
        return self.lo / 15, self.hi * 2


def _draw_front(ax: Any, labels: pd.Series, x: np.ndarray, y: np.ndarray) -> list[Any]:
    """Join the Pareto front (over the data range, not the bands) by a step line, circle and
    label its methods; returns the labels (placed by :func:`place_labels` once the layout is
    known)."""
    front = pareto_front(x, y)
    if not front.any():
        return []
    order = np.argsort(x[front])
    fx, fy = x[front][order], y[front][order]
    ax.plot(fx, fy, color="k", lw=1.0, drawstyle="steps-post", zorder=2)
    ax.plot(fx, fy, ls="", marker="o", ms=14, mfc="none", mec="k", mew=1.0, zorder=4)
    # one annotation per position: methods with identical cost and error share it
    spots: dict[tuple[float, float], list[str]] = {}
    for lab, xv, yv in zip(labels[front].to_numpy()[order], fx, fy, strict=True):
        spots.setdefault((xv, yv), []).append(lab)
    notes = []
    for (xv, yv), labs in spots.items():
        note = ax.annotate(
            "\n".join(labs),
            (xv, yv),
            xytext=(_GAP, 0),
            textcoords="offset points",
            fontsize=7,
            va="center",
            fontweight="bold",
            zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "0.3", "shrinkA": 0, "shrinkB": 7},
        )
        note.set_in_layout(False)  # placed inside the axes: the layout must not move for it
        notes.append(note)
    return notes


#: Distance of a Pareto label from its point [points].
_GAP = 9.0


def _free_y(box: list[float], placed: list[list[float]], up: bool, pad: float) -> list[float]:
    """``box`` ([x0, y0, x1, y1]) moved up (or down) until it overlaps none of ``placed``."""
    moved = True
    while moved:
        moved = False
        for other in placed:
            if box[0] < other[2] + pad and other[0] < box[2] + pad:
                if box[1] < other[3] + pad and other[1] < box[3] + pad:
                    dy = (other[3] + pad - box[1]) if up else (other[1] - pad - box[3])
                    box = [box[0], box[1] + dy, box[2], box[3] + dy]
                    moved = True
    return box


def _stack(
    boxes: list[list[float]], fixed: list[list[float]], lo: float, hi: float, pad: float
) -> list[list[float]]:
    """Boxes, from the lowest up, each moved up or down (whichever is the shorter move that
    stays within ``lo`` and ``hi``) until it overlaps no box placed before and none of
    ``fixed``.

    Examples
    --------
    >>> _stack([[0, 0, 10, 4], [0, 1, 10, 5]], [], 0, 100, 1)
    [[0, 0, 10, 4], [0, 5, 10, 9]]
    """
    placed = list(fixed)
    out: dict[int, list[float]] = {}
    for i in sorted(range(len(boxes)), key=lambda i: (boxes[i][1], i)):
        moves = [_free_y(boxes[i], placed, up, pad) for up in (True, False)]
        inside = [b for b in moves if lo <= b[1] and b[3] <= hi] or moves[:1]
        out[i] = min(inside, key=lambda b: abs(b[1] - boxes[i][1]))
        placed.append(out[i])
    return [out[i] for i in range(len(boxes))]


def place_labels(fig: Figure, ax: Any, notes: list[Any]) -> None:
    """Place annotations of points inside ``ax`` without overlapping: each right of its point
    (left and below it where it would leave the axes), then moved up or down (sorted by height)
    until no two overlap and none covers a labelled point; a leader line joins a label to its
    point. Deterministic; call once the figure's layout is final (the annotations are out of the
    layout)."""
    if not notes:
        return
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    gap, pad, ring = (v * fig.dpi / 72 for v in (_GAP, 2.0, 7.0))
    boxes, anchors, rings = [], [], []
    for note in notes:
        px, py = ax.transData.transform(note.xy)
        ext = note.get_window_extent(renderer)
        w, h = ext.width, ext.height
        right = px + gap + w <= frame.x1 - pad
        x0 = px + gap if right else px - gap - w
        # a label left of its point goes below it, so that its leader line is not read as the
        # front's step line
        yc = py if right else py - ring - h / 2
        yc = min(max(yc, frame.y0 + h / 2 + pad), frame.y1 - h / 2 - pad)
        boxes.append([x0, yc - h / 2, x0 + w, yc + h / 2])
        anchors.append((px, py, right))
        rings.append([px - ring, py - ring, px + ring, py + ring])
    boxes = _stack(boxes, rings, frame.y0, frame.y1, pad)
    for note, box, (px, py, right) in zip(notes, boxes, anchors, strict=True):
        note.set_horizontalalignment("left" if right else "right")
        tx = box[0] if right else box[2]
        note.xyann = ((tx - px) * 72 / fig.dpi, ((box[1] + box[3]) / 2 - py) * 72 / fig.dpi)


def _draw_bands(ax: Any, xb: Band, yb: Band | None, x0: bool, y0: bool) -> None:
    """Shade and label the bands that hold something."""
    if x0:
        ax.axvspan(*xb.span, color="0.92", zorder=0)
        ax.text(
            math.sqrt(xb.span[0] * xb.span[1]),
            0.5,
            ZERO_ERROR_TEXT,
            transform=ax.get_xaxis_transform(),
            rotation=90,
            ha="center",
            va="center",
            fontsize=7,
            color="0.3",
        )
    if yb is not None and y0:
        ax.axhspan(*yb.span, color="0.92", zorder=0)
        ax.text(
            0.99,
            math.sqrt(yb.span[0] * yb.span[1]),
            NO_CALLS_TEXT,
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=7,
            color="0.3",
        )


def _draw_panel(
    ax: Any, summ: pd.DataFrame, col: str, xb: Band, styles: Mapping[str, Style]
) -> list[Any]:
    """One panel: every label's marker at (default-step error, cost), bands, Pareto front;
    returns the front's labels."""
    err = summ["median_default_error"].to_numpy(dtype=float)
    cost = summ[col].to_numpy(dtype=float)
    yb = Band.of(cost) if col != "time" else None
    x = xb.positions(err)
    y = yb.positions(cost) if yb else np.where(cost > 0, cost, np.nan)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for label, xv, yv in zip(summ["label"], x, y, strict=True):
        if np.isfinite(xv) and np.isfinite(yv):
            st = styles.get(label, DEFAULT_STYLE)
            ax.plot([xv], [yv], ls="", marker=st.marker, ms=7, color=st.color, mec="0.2", mew=0.5)
    in_data = (err > 0) & (cost > 0)
    _draw_bands(ax, xb, yb, bool((err == 0).any()), bool((cost == 0).any()))
    ax.set_xlim(*xb.limits())
    if yb is not None:
        ax.set_ylim(*yb.limits())
    notes = _draw_front(
        ax, summ["label"], np.where(in_data, x, np.nan), np.where(in_data, y, np.nan)
    )
    ax.set_xlabel(
        "relative error at the default step\n(median over the first point of each smooth problem)"
    )
    ax.grid(True, which="major", color="0.9", lw=0.6)
    return notes


def _legend(ax: Any, labels: list[str], styles: Mapping[str, Style]) -> None:
    names = [lab for lab in labels if lab in styles]
    handles = [
        Line2D([], [], ls="", marker=styles[lab].marker, ms=6, color=styles[lab].color, mec="0.2")
        for lab in names
    ]
    handles.append(Line2D([], [], color="k", lw=1.0, marker="o", mfc="none", ms=10))
    names.append("Pareto front")
    ax.legend(
        handles,
        names,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=6.5,
        frameon=False,
        ncols=2 if len(names) > 24 else 1,
    )


def plot_cost_accuracy(df: pd.DataFrame, *, styles: Mapping[str, Style] | None = None) -> Figure:
    """Cost against accuracy at the default step: evaluations and time per gradient against the
        relative error, all three from the same default-step measurements.

        One marker per method label (colour: accuracy order; marker: method, as in every figure).
        An error of exactly 0 is drawn in the grey band left of the errors, 0 evaluations of f in
        the grey band below the counts: both labelled, outside the log range, and not on the Pareto
        front. The Pareto front (no other method is both at least as accurate and at least as cheap)
        is joined by a black step line, circled and labelled (labels inside the axes, stacked so
    that none overlap, a leader line to a moved one; :func:`place_labels`).

        Returns
        -------
        matplotlib.figure.Figure
    """
    styles = dict(styles or method_styles(df))
    summ = cost_summary(df)
    if summ.empty:
        raise ValueError("the table has no default-step (cost) measurements.")
    fig = Figure(figsize=(15, 6.2), layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure the labels with
    axes = fig.subplots(1, 2)
    xb = Band.of(summ["median_default_error"].to_numpy(dtype=float))
    notes = []
    for ax, (col, ylabel) in zip(axes, _PANELS, strict=True):
        notes.append(_draw_panel(ax, summ, col, xb, styles))
        ax.set_ylabel(ylabel)
    fig.suptitle(
        "Cost against accuracy, both at each method's default step "
        "(medians over the first point of each smooth problem)",
        fontsize=10,
    )
    _legend(axes[1], list(summ["label"]), styles)
    for ax, ax_notes in zip(axes, notes, strict=True):
        place_labels(fig, ax, ax_notes)
    return fig
