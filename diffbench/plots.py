"""Figures of a sweep: the public plotting functions.

Every function takes the DataFrame of :func:`diffbench.sweep` / :func:`diffbench.read_results`
and returns a :class:`matplotlib.figure.Figure` (``fig.savefig`` writes PNG through Agg).
Colour encodes a method's accuracy order (the colour-blind-safe Okabe-Ito palette), marker and
line style its method (scheme), assigned from the whole table so a method looks the same in every
figure.

Conventions: errors are relative max-norm errors (see :mod:`diffbench.metrics`). A zero error
cannot sit on a log axis: it is drawn as a marker on the bottom edge ("exact zero"), never padded
with ``+1e-16``. A NaN estimate or a raised error is a marker on the top edge ("NaN / error").

The numbers behind the figures (best steps, best errors, convergence orders, Pareto fronts) are
computed in :mod:`diffbench.analysis`; the drawing lives in :mod:`diffbench.figures`.
"""

from __future__ import annotations

from .figures import (
    FIGURES,
    FigureSpec,
    Style,
    figure_name,
    method_styles,
    plot_cost_accuracy,
    plot_error_vs_grid,
    plot_error_vs_step,
    plot_overview,
    save_figures,
)

__all__ = [
    "Style",
    "method_styles",
    "plot_error_vs_step",
    "plot_error_vs_grid",
    "plot_overview",
    "plot_cost_accuracy",
    "FigureSpec",
    "FIGURES",
    "save_figures",
    "figure_name",
]
