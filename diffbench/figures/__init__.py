"""Figures of a sweep, drawn from the tidy results table with matplotlib's object API.

Every plotting function takes the DataFrame of :func:`diffbench.sweep` /
:func:`diffbench.read_results` and returns a :class:`matplotlib.figure.Figure` (no pyplot state,
so nothing leaks and any backend works). What the figures show is computed in
:mod:`diffbench.analysis`; how methods look is in :mod:`.style`; which figures a report has, and
their files and captions, is in :mod:`.registry`.
"""

from .cost import plot_cost_accuracy
from .grid import plot_error_vs_grid
from .overview import plot_overview
from .registry import FIGURES, FigureSpec, figure_spec, save_figures
from .step import plot_error_vs_step
from .style import Style, figure_name, method_styles

__all__ = [
    "Style",
    "method_styles",
    "figure_name",
    "plot_error_vs_step",
    "plot_error_vs_grid",
    "plot_overview",
    "plot_cost_accuracy",
    "FigureSpec",
    "FIGURES",
    "figure_spec",
    "save_figures",
]
