"""REPORT.md: what the sweep measured, in tables and sentences generated from the results.

Every number and every recommendation in the report is computed from the results table by
:mod:`diffbench.analysis`; nothing is written by hand. The sections are in
:mod:`diffbench.report_sections`, the recommendations in :mod:`diffbench.report_advice`, and the
figures are drawn and found through the registry of :mod:`diffbench.figures`. Definitions (also
printed in the report):

* best error at a point: the smallest 3-step running median of the error over the swept steps
  (:func:`diffbench.analysis.best_on_curve`, so a single lucky step does not count); the table
  of best errors per problem takes the worst of the problem's points;
* default-step error: the error of the ``cost`` measurement, made with ``step=None`` at the
  problem's first point; the methods table puts the best error at that same point next to it;
* failures are counted at the default step (what production gets) and at the best swept step;
* "smooth" problems: tagged ``smooth`` and not ``noisy``; medians over methods' results use them.

The "Step selection" section (:mod:`diffbench.report_steps`) compares the default step each
step rule chose with the swept steps. Everything above reads the gradient rows; Jacobians,
Hessians and k-th derivatives in the table get a section each (:mod:`diffbench.report_kinds`),
after the gradient sections.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from . import report_sections as sec
from .analysis import (
    WRONG,
    hazard_findings,
    headline_problems,
    method_summary,
    smooth_problems,
    step_column,
)
from .analysis_base import shared_aggregates
from .analysis_kinds import gradient_rows
from .figures.registry import start_figures
from .report_advice import recommendations
from .report_kinds import kinds_sections
from .report_steps import step_rules_section
from .store import RESULTS_DIR, RESULTS_FILE, RUN_INFO_FILE, read_results, read_run_info

__all__ = [
    "WRONG",
    "write_report",
    "render_report",
    "recommendations",
    "method_summary",
    "hazard_findings",
]


def _advice_section(df: pd.DataFrame) -> list[str]:
    basis = headline_problems(df)
    left_out = [p for p in smooth_problems(df) if p not in basis]
    why = (
        f" The medians below run over the first point of each smooth problem not tagged "
        f"polynomial ({', '.join(basis)}); the polynomials ({', '.join(left_out)}) are left "
        "out because an order-p stencil is exact on a polynomial of degree <= p, so its best "
        "error there is rounding at the sweep's largest step, true of no other function. "
        "Failure counts run over all problems."
        if left_out
        else ""
    )
    return [
        "## Which method should I use?",
        "Derived from this run's measurements (the text is generated, not written by hand)." + why,
        "\n".join(f"- {s}" for s in recommendations(df, method_summary(df, basis or None))),
    ]


def render_report(
    df: pd.DataFrame,
    run_info: dict[str, Any] | None = None,
    figures: dict[str, list[Path]] | None = None,
    base: Path | None = None,
) -> str:
    """The Markdown text of the report.

    Parameters
    ----------
    df : pandas.DataFrame
        Results table.
    run_info : dict, optional
        The run's ``run.json`` (run id, times, platform).
    figures : dict, optional
        Figure name -> paths, as :func:`diffbench.figures.save_figures` returns; embedded where
        the figure registry places them.
    base : pathlib.Path, optional
        Directory the figure links are relative to (the report's); default the current one.

    Returns
    -------
    str
    """
    with shared_aggregates():  # best steps and best errors computed once, not four times
        return _render(df, run_info or {}, figures or {}, base or Path("."))


def _render(
    df: pd.DataFrame, run_info: dict[str, Any], figures: dict[str, list[Path]], base: Path
) -> str:
    grad = gradient_rows(df)
    relative = step_column(df) == "step_rel"
    blocks = [*sec.intro(df)]
    if not grad.empty:
        summary = method_summary(grad)
        blocks += [
            *_advice_section(grad),
            *sec.methods_section(summary, smooth_problems(grad), relative),
            *sec.best_section(grad, figures, base),
            *sec.peer_section(summary),
            *sec.calibration_section(grad),
            *sec.hazard_section(grad),
            *sec.cost_section(figures, base),
            *step_rules_section(grad, figures, base),
            *sec.problem_figures_section(grad, figures, base),
        ]
    blocks += [
        *kinds_sections(df, figures, base),
        *sec.definitions_section(relative),
        *sec.environment_section(df, run_info),
    ]
    return "\n\n".join(blocks) + "\n"


def _load(source: str | os.PathLike) -> tuple[pd.DataFrame, dict[str, Any], Path]:
    """The table, the run info and the run directory of a run directory or a results file."""
    path = Path(source)
    df = read_results(path)
    directory = path.parent if path.suffix in (".csv", ".parquet") else path
    if directory.name == RESULTS_DIR and not (directory / RESULTS_DIR).exists():
        directory = directory.parent  # the dataset folder itself was given
    try:
        run_info = read_run_info(directory)
    except ValueError:
        run_info = {}
    return df, run_info, directory


REPORT_HEADING = sec.REPORT_HEADING


def check_report_target(path: str | os.PathLike) -> None:
    """Refuse to write a report over anything but a report diffbench wrote.

    Raises
    ------
    ValueError
        ``path`` is named like a results file or run description, is a directory, or exists
        and does not start with :data:`REPORT_HEADING`.
    """
    out = Path(path)
    kept = (RESULTS_FILE, RUN_INFO_FILE, RESULTS_DIR)
    if out.name in kept or out.suffix.lower() in (".csv", ".json", ".parquet"):
        raise ValueError(
            f"`output` {str(out)!r} is where results are kept, not a report; choose a .md file "
            "(default: REPORT.md in the run's folder). Nothing was written."
        )
    if out.is_dir():
        raise ValueError(f"`output` {str(out)!r} is a directory; give the report's file name.")
    if out.exists():
        try:
            with out.open(encoding="utf-8") as fh:
                first = fh.readline().rstrip("\n")
        except (OSError, UnicodeDecodeError):
            first = ""
        if first != REPORT_HEADING:
            raise ValueError(
                f"`output` {str(out)!r} exists and is not a report written by diffbench; it was "
                "left untouched. Choose another file or move it away."
            )


def write_report(
    source: str | os.PathLike | pd.DataFrame = "reports",
    output: str | os.PathLike | None = None,
    *,
    figures: bool = True,
) -> Path:
    """Draw the figures and write the Markdown report.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        A run directory (holding the results dataset ``results/``, or an earlier version's
        ``results.csv``, and ``run.json``) or a results table.
    output : path-like, optional
        The report file; default ``<source>/REPORT.md`` (required when ``source`` is a table).
        Figures go to ``figures/`` next to it.
    figures : bool, default True
        Draw the PNG figures (and embed them).

    Returns
    -------
    pathlib.Path
        The report written.

    Raises
    ------
    diffbench.store.ResultsFileError
        The results file is missing or corrupt (it is not modified).
    ValueError
        ``output`` is a results file, a run description, or an existing file that is not a
        report written by diffbench (see :func:`check_report_target`); nothing is written.
    """
    run_info: dict[str, Any] = {}
    if isinstance(source, pd.DataFrame):
        if output is None:
            raise ValueError("`output` is required when `source` is a DataFrame.")
        df = source
    else:
        df, run_info, directory = _load(source)
        output = output or (directory / "REPORT.md")
    if df.empty:
        raise ValueError(f"the results in {source!s} contain no measurements.")
    out = Path(output)
    check_report_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not figures:
        out.write_text(render_report(df, run_info, {}, base=out.parent), encoding="utf-8")
        return out
    # the figures are drawn in other processes while the text is computed here
    drawing = start_figures(df, out.parent / "figures")
    try:
        text = render_report(df, run_info, drawing.written, base=out.parent)
    finally:
        drawing.wait()
    out.write_text(text, encoding="utf-8")
    return out
