"""Figure 4: cost against accuracy, with the Pareto front."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from ..analysis import cost_summary, pareto_front
from .style import DEFAULT_STYLE, Style, method_styles

__all__ = ["plot_cost_accuracy"]

#: The two panels: summary column and y label.
_PANELS = (
    ("nfev_per_coordinate", "evaluations of f per gradient coordinate (nfev / n)"),
    ("time", "time per gradient [s] (median of repeats)"),
)


def _draw_front(ax: Any, labels: pd.Series, x: np.ndarray, y: np.ndarray) -> None:
    """Join the Pareto front by a step line, circle and label its methods."""
    front = pareto_front(x, y)
    if not front.any():
        return
    order = np.argsort(x[front])
    fx, fy = x[front][order], y[front][order]
    ax.plot(fx, fy, color="k", lw=1.0, drawstyle="steps-post", zorder=2)
    ax.plot(fx, fy, ls="", marker="o", ms=14, mfc="none", mec="k", mew=1.0, zorder=4)
    # one annotation per position: methods with identical cost and error share it
    spots: dict[tuple[float, float], list[str]] = {}
    for lab, xv, yv in zip(labels[front].to_numpy()[order], fx, fy, strict=True):
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


def _draw_panel(
    ax: Any, summ: pd.DataFrame, col: str, x: np.ndarray, styles: Mapping[str, Style]
) -> None:
    """One panel: every label's marker at (error, cost) and the Pareto front."""
    y = summ[col].to_numpy(dtype=float)
    ax.set_xscale("log")
    if col == "time":
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=1.0)
    for label, xv, yv in zip(summ["label"], x, y, strict=True):
        if np.isfinite(xv) and np.isfinite(yv):
            st = styles.get(label, DEFAULT_STYLE)
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
    _draw_front(ax, summ["label"], x, y)
    finite = y[np.isfinite(y)]
    if col != "time" and finite.size:
        ax.set_ylim(-0.5, max(finite.max() * 2, 2))


def _x_axis(ax: Any, err: np.ndarray, xmin: float, pos: np.ndarray) -> None:
    ax.set_xlim(xmin / 3, (pos.max() if pos.size else 1.0) * 10)
    ax.set_xlabel("best attainable relative error (median over smooth problems)")
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


def _legend(ax: Any, labels: list[str], styles: Mapping[str, Style]) -> None:
    names = [lab for lab in labels if lab in styles]
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
    x = np.where(err == 0, xmin, err)
    for ax, (col, ylabel) in zip(axes, _PANELS, strict=True):
        _draw_panel(ax, summ, col, x, styles)
        _x_axis(ax, err, xmin, pos)
        ax.set_ylabel(ylabel)
    fig.suptitle(
        "Cost against accuracy (cost at each method's default step, "
        "first point of each smooth problem)",
        fontsize=10,
    )
    _legend(axes[1], list(summ["label"]), styles)
    return fig
