"""The results table read per label and problem: labels, smooth problems, best steps and best
errors, and the measurements at each method's default step.

Part of :mod:`diffbench.analysis` (which re-exports every public name here): pure functions of
the tidy table of :func:`diffbench.sweep` / :func:`diffbench.read_results`.

Steps: when the table has the column ``step_rel`` (schema 3: the sweep passed
``h_i = step_rel * max(1, |x_i|)``), steps are compared in it, the *relative step*; tables
without it (schema 2) use the absolute ``step``. :func:`step_column` says which.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from methods.capabilities import Family

from .analysis_curves import best_on_curve
from .schema import Status

__all__ = [
    "WRONG",
    "family_rank",
    "label_table",
    "smooth_problems",
    "display_label",
    "step_column",
    "first_points",
    "best_steps",
    "best_attainable",
    "shared_aggregates",
    "default_results",
    "flag",
]

#: A best error above this is a failure ("wrong answer"); between 0.3 and 3 it is "~100% error".
WRONG = 1e-3
_BEST_STEP_COLUMNS = [
    "label",
    "problem",
    "point",
    "n_ok",
    "n_total",
    "best_rel_error",
    "best_step",
    "best_step_used",
    "window_decades",
    "at_largest_step",
]
#: Columns describing a label's method, as far as the table has them.
_LABEL_COLUMNS = (
    "label",
    "method",
    "family",
    "kind",
    "order",
    "black_box",
    "needs",
    "peer",
    "wraps",
    "noise_linear",
    "reference",
)


# --------------------------------------------------------------------------------------------
# labels and problems
# --------------------------------------------------------------------------------------------
def family_rank(family: str) -> int:
    """Display position of a family (:attr:`methods.capabilities.Family.display_order`); a name
    that is not a :class:`~methods.capabilities.Family` comes after all of them.

    Examples
    --------
    >>> family_rank("finite-difference"), family_rank("symbolic"), family_rank("other")
    (0, 6, 7)
    """
    try:
        return Family(family).display_order
    except ValueError:
        return len(Family)


def label_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per method label with what the table says about its method, in display order.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, method, family, kind, order`` and those of ``black_box, needs, peer,
        wraps, noise_linear, reference`` the table has; rows in family display order, then in
        order of first appearance.
    """
    cols = [c for c in _LABEL_COLUMNS if c in df.columns]
    labels = df[cols].drop_duplicates("label").reset_index(drop=True)
    labels["_first"] = range(len(labels))
    labels["_fam"] = labels["family"].map(family_rank)
    return labels.sort_values(["_fam", "_first"]).drop(columns=["_first", "_fam"])


def smooth_problems(df: pd.DataFrame) -> list[str]:
    """Problems tagged "smooth" and not "noisy" (a noisy function is not smooth), in table order."""
    tags = df.drop_duplicates("problem").set_index("problem")["tags"].fillna("")
    return [p for p, t in tags.items() if "smooth" in t.split(";") and "noisy" not in t.split(";")]


def _smooth_or_all(df: pd.DataFrame) -> list[str]:
    return smooth_problems(df) or list(dict.fromkeys(df["problem"]))


def _accuracy(df: pd.DataFrame, region: str = "point") -> pd.DataFrame:
    return df[(df["measure"] == "accuracy") & (df["region"] == region)]


def _only(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of ``df`` it has (each once): what a groupby loop reads, so that it does
    not split every column of the wide table."""
    return df[[c for c in dict.fromkeys(columns) if c in df.columns]]


def _median(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.median(arr)) if arr.size else math.nan


def display_label(label: str, form: str) -> str:
    """How a row of :func:`best_attainable` is named in tables and figures.

    Examples
    --------
    >>> display_label("numpy-gradient", "grid"), display_label("central", "point")
    ('numpy-gradient [grid]', 'central')
    """
    return f"{label} [grid]" if form == "grid" else label


def step_column(df: pd.DataFrame) -> str:
    """The column steps are compared in: ``step_rel`` (relative step, schema 3) when the table
    has it with a value, else ``step`` (absolute, schema 2)."""
    if "step_rel" in df.columns and df["step_rel"].notna().any():
        return "step_rel"
    return "step"


def first_points(df: pd.DataFrame) -> dict[str, int]:
    """Problem -> its first point (the smallest point index of its point rows): where the
    default-step (``cost``) measurements are made."""
    pts = df.loc[df["region"] == "point", ["problem", "point"]].dropna()
    return {p: int(v) for p, v in pts.groupby("problem")["point"].min().items()}


# --------------------------------------------------------------------------------------------
# best steps and best errors
# --------------------------------------------------------------------------------------------
#: Aggregates computed inside :func:`shared_aggregates`, by (name, options, id of the table).
_SHARED: ContextVar[dict | None] = ContextVar("shared_aggregates", default=None)


@contextlib.contextmanager
def shared_aggregates() -> Iterator[None]:
    """Inside the block, :func:`best_steps` and :func:`best_attainable` of one table object
    are computed once and each caller gets its own copy (the report asks for them four times).

    The tables must not be modified inside the block (the report only reads them).

    Examples
    --------
    >>> with shared_aggregates():
    ...     pass
    """
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared(name: str, df: pd.DataFrame, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    memo = _SHARED.get()
    if memo is None:
        return compute()
    key = (name, id(df))
    if key not in memo:
        memo[key] = (df, compute())  # the table is kept so that its id is not reused
    return memo[key][1].copy()


def best_steps(df: pd.DataFrame) -> pd.DataFrame:
    """Per (label, problem, point): the best error over steps and the step that gave it.

    The best step is found by :func:`best_on_curve` (robust to one lucky step).

    Returns
    -------
    pandas.DataFrame
        Columns ``label, problem, point, best_rel_error, best_step`` (requested step, in the
        column of :func:`step_column`: relative when the table has ``step_rel``),
        ``best_step_used``, ``window_decades`` (log10 width of the contiguous range of requested
        steps around the best whose errors are at most ``max(10 x best, 4 eps)``: the safe-step
        window, see :func:`best_on_curve`; NaN with a single measurement), ``n_ok``,
        ``n_total``, ``at_largest_step`` (the best step is the largest swept step at that
        point: the error may fall further above the range, or the method is exact there and
        only rounding decides, as an order-p stencil on a polynomial of degree <= p). A point
        without any finite estimate has ``best_rel_error`` NaN.
    """
    return _shared("best_steps", df, lambda: _best_steps(df))


def _best_steps(df: pd.DataFrame) -> pd.DataFrame:
    acc = _accuracy(df)
    acc = acc[acc["status"] != Status.SKIPPED]
    col = step_column(df)
    out = []
    acc = _only(acc, ["label", "problem", "point", "status", "rel_error", col, "step_used"])
    for (label, problem, point), g in acc.groupby(["label", "problem", "point"], sort=False):
        g = g.sort_values(col, ascending=False)
        ok = (g["status"] == Status.OK).to_numpy()
        errs = np.where(ok, g["rel_error"].to_numpy(dtype=float), np.nan)
        i, best, lo, hi = best_on_curve(errs)
        steps = g[col].to_numpy(dtype=float)
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
            "at_largest_step": bool(
                i >= 0 and np.isfinite(steps).sum() > 1 and steps[i] >= np.nanmax(steps)
            ),
        }
        if i >= 0 and np.isfinite(steps).sum() > 1:
            rec["window_decades"] = float(np.log10(steps[lo] / steps[hi]))
        out.append(rec)
    return pd.DataFrame(out, columns=_BEST_STEP_COLUMNS)


def _best_point_form(df: pd.DataFrame, first_only: bool) -> list[tuple]:
    bs = best_steps(df)
    if first_only:
        first = first_points(df)
        bs = bs[bs["point"] == bs["problem"].map(first)]
    rows = []
    empty = bs.iloc[:0]
    mine_of = {key: g for key, g in bs.groupby(["label", "problem"], sort=False)}
    acc = _only(_accuracy(df), ["label", "problem", "status", "message"])
    for (label, problem), g in acc.groupby(["label", "problem"], sort=False):
        mine = mine_of.get((label, problem), empty)
        skipped = bool((g["status"] == Status.SKIPPED).all())
        failed = (not skipped) and bool(mine["best_rel_error"].isna().any() or mine.empty)
        value = math.nan if skipped or failed else float(mine["best_rel_error"].max())
        reason = str(g["message"].iloc[0]) if skipped else ""
        rows.append((label, "point", problem, value, failed, skipped, reason))
    return rows


def _best_grid_form(df: pd.DataFrame) -> list[tuple]:
    rows = []
    acc = _only(
        _accuracy(df, "interior"),
        ["label", "problem", "status", "grid_size", "rel_error", "message"],
    )
    for (label, problem), g in acc.groupby(["label", "problem"], sort=False):
        ok = g[g["status"] == Status.OK]
        skipped = bool((g["status"] == Status.SKIPPED).all()) and g["grid_size"].isna().all()
        value = float(ok["rel_error"].min()) if len(ok) else math.nan
        reason = str(g["message"].iloc[0]) if skipped else ""
        rows.append((label, "grid", problem, value, not skipped and not len(ok), skipped, reason))
    return rows


def best_attainable(
    df: pd.DataFrame, *, grid: bool = True, first_point: bool = False
) -> pd.DataFrame:
    """Best attainable relative error per method label, form and problem.

    For the point form: the best error over steps at each point (:func:`best_on_curve`), then
    the worst of the problem's points (every point tuned to its own best step); with
    ``first_point=True`` the best error at the problem's first point only (the point of the
    default-step measurements, :func:`default_results`). For grid methods (``grid=True``) rows
    of form ``"grid"`` hold the smallest interior error over grid sizes.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, form`` (``"point"`` or ``"grid"``), ``problem, best_rel_error,
        failed`` (no finite estimate at some point), ``skipped`` (never run: unavailable or not
        applicable), ``reason``, ``family`` and ``kind``. Rows in label display order
        (:func:`label_table`), the point form of a label before its grid form.
    """
    name = f"best_attainable grid={grid} first_point={first_point}"
    return _shared(name, df, lambda: _best_attainable(df, grid, first_point))


def _best_attainable(df: pd.DataFrame, grid: bool, first_point: bool) -> pd.DataFrame:
    rows = _best_point_form(df, first_point) + (_best_grid_form(df) if grid else [])
    cols = ["label", "form", "problem", "best_rel_error", "failed", "skipped", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    labels = label_table(df).set_index("label")
    out["family"] = out["label"].map(labels["family"])
    out["kind"] = out["label"].map(labels["kind"])
    rank = {lab: k for k, lab in enumerate(labels.index)}
    out["_rank"] = out["label"].map(rank)
    out["_form"] = (out["form"] == "grid").astype(int)
    out = out.sort_values(["_rank", "_form"], kind="stable")
    return out.drop(columns=["_rank", "_form"]).reset_index(drop=True)


_DEFAULT_COLUMNS = ["label", "problem", "status", "rel_error", "nfev", "dim", "time", "failed"]


def default_results(df: pd.DataFrame) -> pd.DataFrame:
    """Per (label, problem): the measurement at the method's default step (``step=None``), at
    the problem's first point, as production would run it.

    These are the ``cost`` rows. A (label, problem) without one (a run without the cost pass)
    falls back to its accuracy row at the first point made without a step (a method measured
    only at its own step: exact, adaptive).

    Returns
    -------
    pandas.DataFrame
        Columns ``label, problem, status, rel_error, nfev, dim, time, prepare_time`` (if the
        table has it) and ``failed``: no finite estimate, or an error above :data:`WRONG`.
    """
    ran = df[(df["status"] != Status.SKIPPED) & (df["region"] == "point")]
    cost = ran[ran["measure"] == "cost"]
    first = first_points(df)
    acc = _accuracy(ran)
    acc = acc[acc["step"].isna() & (acc["point"] == acc["problem"].map(first))]
    both = pd.concat([cost, acc]).drop_duplicates(["label", "problem"])
    cols = [c for c in _DEFAULT_COLUMNS[:-1] + ["prepare_time"] if c in both.columns]
    out = both[cols].reset_index(drop=True)
    err = out["rel_error"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        out["failed"] = (out["status"] != Status.OK).to_numpy() | ~(err <= WRONG)
    return out


def flag(value: Any) -> bool:
    """A boolean cell of the table; missing is False."""
    return bool(value) if value is not None and value is not pd.NA else False
