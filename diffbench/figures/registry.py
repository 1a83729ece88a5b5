"""The figures of a report: what each one is, when it applies, its file and its caption.

:data:`FIGURES` drives both the drawing (:func:`save_figures`) and the embedding in REPORT.md
(:func:`diffbench.report.render_report` asks :meth:`FigureSpec.filename` where a figure of a
problem went, in the order of :data:`FIGURES`, instead of reading file names back).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from ..analysis_kinds import gradient_rows, kinds_present
from ..analysis_steps import step_rule_rows
from ..schema import Status
from .cost import plot_cost_accuracy
from .grid import plot_error_vs_grid
from .kind_grid import plot_kind_error_vs_grid
from .kinds import plot_kind_error_vs_step
from .overview import plot_overview
from .step import plot_error_vs_step
from .step_rules import plot_step_rules
from .style import Style, figure_name, method_styles

__all__ = ["FigureSpec", "FIGURES", "figure_spec", "save_figures", "start_figures", "Drawing"]

#: A drawing function: (table, problem or None, styles) -> Figure.
Draw = Callable[[pd.DataFrame, "str | None", Mapping[str, Style]], Figure]
#: A test of whether a figure applies: (table, problem or None) -> bool.
Applies = Callable[[pd.DataFrame, "str | None"], bool]


@dataclass(frozen=True)
class FigureSpec:
    """One kind of figure.

    Attributes
    ----------
    name : str
        Key of the figure kind (``step``, ``grid``, ``overview``, ``cost``).
    draw : callable
        ``draw(df, problem, styles)`` -> :class:`matplotlib.figure.Figure`.
    per_problem : bool
        One figure per problem (``problem`` is a name) or one for the table (``None``).
    caption : str
        The alternative text of the figure in the report.
    pattern : str
        File name; ``{problem}`` is replaced by :func:`figure_name` of the problem.
    section : str
        Where the report embeds it: ``overview`` (after the table of best errors), ``cost``
        (the cost section), ``problem`` (under the problem's heading) or ``kinds`` (the section
        of the problem's derivative kind) or ``step-rules`` (the "Step selection" section).
    applies : callable
        ``applies(df, problem)``: whether the table has something to draw.
    rows : {"gradient", "kinds"}
        Which rows it is drawn from: the gradient rows (:func:`diffbench.analysis_kinds.
        gradient_rows`) or the whole table (figures of Jacobians, Hessians, derivatives).
    """

    name: str
    draw: Draw
    per_problem: bool
    caption: str
    pattern: str
    section: str
    applies: Applies
    rows: str = "gradient"

    def table(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``df`` this figure is drawn from."""
        return gradient_rows(df) if self.rows == "gradient" else df

    def filename(self, problem: str | None = None) -> str:
        """The file name of the figure (of ``problem`` for a per-problem figure).

        Examples
        --------
        >>> figure_spec("step").filename("tan-pi/2"), figure_spec("overview").filename()
        ('step_tan-pi_2.png', 'overview.png')
        """
        if self.per_problem and problem is None:
            raise ValueError(f"`problem` is required for the per-problem figure {self.name!r}.")
        return self.pattern.format(problem=figure_name(problem) if problem else "")


def _ran(df: pd.DataFrame, problem: str | None = None) -> pd.DataFrame:
    """The accuracy rows that ran (of ``problem``, if given)."""
    acc = df[(df["measure"] == "accuracy") & (df["status"] != Status.SKIPPED)]
    return acc if problem is None else acc[acc["problem"] == problem]


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "step",
        lambda df, problem, styles: plot_error_vs_step(df, problem, styles=styles),
        True,
        "Error against step",
        "step_{problem}.png",
        "problem",
        lambda df, problem: bool((_ran(df, problem)["region"] == "point").any()),
    ),
    FigureSpec(
        "grid",
        lambda df, problem, styles: plot_error_vs_grid(df, problem, styles=styles),
        True,
        "Grid methods: error against grid size",
        "grid_{problem}.png",
        "problem",
        lambda df, problem: bool(_ran(df, problem)["grid_size"].notna().any()),
    ),
    FigureSpec(
        "overview",
        lambda df, problem, styles: plot_overview(df),
        False,
        "Best attainable relative error, method x problem",
        "overview.png",
        "overview",
        lambda df, problem: not _ran(df).empty,
    ),
    FigureSpec(
        "cost",
        lambda df, problem, styles: plot_cost_accuracy(df, styles=styles),
        False,
        "Cost against accuracy",
        "cost_accuracy.png",
        "cost",
        lambda df, problem: bool((df["measure"] == "cost").any()),
    ),
    FigureSpec(
        "step-rules",
        lambda df, problem, styles: plot_step_rules(df),
        False,
        "Step rules: error against evaluations of f at the step each rule chose",
        "step_rules.png",
        "step-rules",
        lambda df, problem: _has_rule_rows(df),
    ),
    FigureSpec(
        "kind-step",
        lambda df, problem, styles: plot_kind_error_vs_step(df, problem, styles=styles),
        True,
        "Error against step, with theory slopes",
        "kind_step_{problem}.png",
        "kinds",
        lambda df, problem: _has_kind_rows(df, problem),
        rows="kinds",
    ),
    FigureSpec(
        "kind-grid",
        lambda df, problem, styles: plot_kind_error_vs_grid(df, problem, styles=styles),
        True,
        "Grid methods: error against grid size, with theory slopes",
        "kind_grid_{problem}.png",
        "kinds",
        lambda df, problem: _has_kind_rows(df, problem, grid=True),
        rows="kinds",
    ),
)


def _has_rule_rows(df: pd.DataFrame) -> bool:
    return not step_rule_rows(df).empty


def _has_kind_rows(df: pd.DataFrame, problem: str | None, grid: bool = False) -> bool:
    """Whether ``problem`` has rows of a kind other than gradient (point-form rows, or with
    ``grid`` grid-form rows)."""
    ran = _ran(df, problem)
    is_grid = ran["grid_size"].notna()
    ran = ran[is_grid] if grid else ran[~is_grid]
    kinds = ran["derivative_kind"] if "derivative_kind" in ran else pd.Series(dtype=object)
    return bool(kinds.isin(kinds_present(df)).any())


def figure_spec(name: str) -> FigureSpec:
    """The :class:`FigureSpec` called ``name``."""
    for spec in FIGURES:
        if spec.name == name:
            return spec
    raise ValueError(f"`name` {name!r} is not a figure; known: {[s.name for s in FIGURES]}.")


def save_figures(
    df: pd.DataFrame, directory: str | Path, *, dpi: int = 110, jobs: int | None = None
) -> dict[str, list[Path]]:
    """Draw every figure of :data:`FIGURES` that applies to a results table, as PNG.

    Per-problem figures come first, problem by problem in table order, then the global ones.
    The figures are drawn in ``jobs`` processes forked from this one (they read the table from
    it, nothing is pickled); each file is the one a serial drawing writes, byte for byte.

    Parameters
    ----------
    df : pandas.DataFrame
        Results table.
    directory : path-like
        Where the PNG files go (created if needed); names from :meth:`FigureSpec.filename`.
    dpi : int, default 110
        Resolution.
    jobs : int, optional
        Processes drawing figures; default the CPUs available (1, or a platform without
        ``fork``: drawn here, one after the other).

    Returns
    -------
    dict
        Figure name -> written paths (``{"step": [...], "grid": [...], "overview": [...],
        "cost": [...], "step-rules": [...], "kind-step": [...], "kind-grid": [...]}``).
    """
    drawing = start_figures(df, directory, dpi=dpi, jobs=jobs)
    drawing.wait()
    return drawing.written


class Drawing:
    """Figures being drawn (:func:`start_figures`): ``written`` (figure name -> paths) is known
    at once; :meth:`wait` returns when every file is written (re-raising a drawing's error)."""

    def __init__(self, written: dict[str, list[Path]], pool: Any, result: Any) -> None:
        self.written = written
        self._pool = pool
        self._result = result

    def wait(self) -> dict[str, list[Path]]:
        """Wait for the figures; return ``written``."""
        if self._pool is not None:
            try:
                self._result.get()
                self._pool.close()
            finally:
                self._pool.terminate()
                self._pool.join()
                self._pool = None
                _SHARED.clear()
        return self.written


def start_figures(
    df: pd.DataFrame, directory: str | Path, *, dpi: int = 110, jobs: int | None = None
) -> Drawing:
    """Start drawing the figures of :func:`save_figures`: in forked processes, the caller
    goes on (e.g. writes the report) while they draw; serially (``jobs=1``, no ``fork``),
    drawn before this returns. Call :meth:`Drawing.wait` before using the files."""
    from ..workers import available_cpus, die_with_parent

    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"`jobs` must be a positive integer, got {jobs!r}.")
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {spec.name: [] for spec in FIGURES}
    tables = {rows: FIGURES_BY_ROWS[rows].table(df) for rows in FIGURES_BY_ROWS}
    order = [
        (spec, problem)
        for problem in dict.fromkeys(_ran(df)["problem"])
        for spec in FIGURES
        if spec.per_problem
    ]
    order += [(spec, None) for spec in FIGURES if not spec.per_problem]
    todo = []
    for spec, problem in order:
        if spec.applies(tables[spec.rows], problem):
            path = out_dir / spec.filename(problem)
            todo.append((spec.name, problem, str(path), dpi))
            written[spec.name].append(path)
    # the slowest figures first, so that no process is left drawing a long one at the end
    todo.sort(key=lambda job: -DRAW_SECONDS.get(job[0], 1.0))
    workers = min(jobs or available_cpus(), len(todo))
    _SHARED.update(tables=tables, styles=method_styles(df))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        try:
            for job in todo:
                _draw(job)
        finally:
            _SHARED.clear()
        return Drawing(written, None, None)
    pool = multiprocessing.get_context("fork").Pool(workers, die_with_parent, (os.getpid(),))
    return Drawing(written, pool, pool.map_async(_draw, todo, chunksize=1))


#: About how long one figure of each kind takes to draw and save (CPU seconds, the showcase run
#: on the 2-core machine of README "Measured"): only the order the figures are handed to the
#: drawing processes, longest first, depends on it.
DRAW_SECONDS: dict[str, float] = {
    "overview": 6.0,
    "step-rules": 3.5,
    "step": 2.5,
    "kind-step": 2.5,
    "cost": 1.7,
    "grid": 0.6,
    "kind-grid": 0.6,
}

#: One figure spec per kind of rows, to select each table once.
FIGURES_BY_ROWS: dict[str, FigureSpec] = {spec.rows: spec for spec in FIGURES}

#: What forked drawing processes read (set only while :func:`save_figures` draws).
_SHARED: dict[str, Any] = {}


def _draw(job: tuple[str, str | None, str, int]) -> None:
    name, problem, path, dpi = job
    spec = figure_spec(name)
    fig = spec.draw(_SHARED["tables"][spec.rows], problem, _SHARED["styles"])
    fig.savefig(path, dpi=dpi)
