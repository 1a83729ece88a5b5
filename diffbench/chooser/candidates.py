"""The candidates: every registered method and variant, built, checked against ``f``, run once.

A method is left out from what it declares (``needs``) and what the probes found; a method
without a step to tune (``kind`` exact or adaptive) is measured by one run here; the step
methods go on to :mod:`diffbench.chooser.step_sweep`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from methods import Method, available, get_method, method_class
from methods.capabilities import Need

from . import text
from .context import Context
from .findings import CandidateStatus, Caveat, DualOutcome, DualProbe
from .probes import dual_probe
from .results import Candidate
from .running import Run, method_settings, relative_error, run

__all__ = [
    "NOT_PROBED",
    "build_and_run",
    "candidate_methods",
    "failed",
    "measure_fixed",
    "measured",
    "not_applicable",
    "over_budget",
    "rejected",
]

NOT_PROBED = DualProbe(DualOutcome.NOT_PROBED)


def candidate_methods(only: Sequence[Any] | None) -> list[tuple[type[Method], dict]]:
    """(class, settings) for every registered method and variant, or only those named."""
    names = [i.name for i in available()]
    if only is not None:
        if isinstance(only, str) or not isinstance(only, Sequence):
            raise TypeError("`methods` must be a sequence of method names or classes.")
        wanted = [method_class(m).name for m in only]  # unknown names raise, listing choices
        names = [n for n in names if n in wanted]
    return [(method_class(n), v) for n in names for v in method_class(n).variants()]


def _accepts_vectorized(cls: type[Method]) -> bool:
    return "vectorized" in inspect.signature(cls.__init__).parameters


def not_applicable(method: Method, ctx: Context) -> str:
    """Why ``method`` cannot work on this ``f`` ("" if it can), from what it needs."""
    needs = method.needs
    if Need.EXPRESSION in needs and not ctx.has_expr:
        return text.not_applicable(Need.EXPRESSION, ctx.complex_probe)
    if Need.EXPRESSION in needs and not ctx.matches:
        return text.FORMULA_NOT_F
    if Need.VECTORIZED in needs and not ctx.vectorized:
        return text.not_applicable(Need.VECTORIZED, ctx.complex_probe)
    if Need.COMPLEX in needs and not ctx.complex_ok:
        return text.not_applicable(Need.COMPLEX, ctx.complex_probe)
    return ""


def _identity(method: Method | type[Method]) -> dict[str, Any]:
    """The fields of a row that say which method it is (a class if it was not built)."""
    if isinstance(method, Method):
        settings, label, cls = method_settings(method), method.label, type(method)
    else:
        cls, settings, label = method, {}, method.name
    return {
        "label": label,
        "name": cls.name,
        "family": cls.family,
        "kind": cls.kind,
        "settings": settings,
        "needs": frozenset(cls.needs),
    }


def rejected(
    method: Method | type[Method], nfev: int | None, status: CandidateStatus, reason: str
) -> Candidate:
    """The row of a method that is not usable here (``method``: a class if it was not built)."""
    return Candidate(**_identity(method), status=status, reason=text.short(reason), nfev=nfev)


def failed(method: Method, nfev: int | None, r: Run) -> Candidate:
    """The row of a method whose run gave no estimate: it failed, or the time ran out."""
    if r.out_of_time:
        return rejected(method, nfev, CandidateStatus.SKIPPED_FOR_TIME, text.out_of_time())
    return rejected(method, nfev, CandidateStatus.FAILED, text.run_failure(r))


def over_budget(method: Method, nfev: int, budget: int) -> Candidate:
    """The row of a method that needs more evaluations than ``budget``."""
    return rejected(method, nfev, CandidateStatus.OVER_BUDGET, text.over_budget(nfev, budget))


def measured(method: Method, step: Any, flags: Sequence[Caveat], **fields: Any) -> Candidate:
    """The row of a usable method, called with ``step`` (None: its default or no step)."""
    identity = _identity(method)
    return Candidate(
        **identity,
        status=CandidateStatus.OK,
        step=step,
        flags=tuple(flags),
        code=text.call_code(method.name, identity["settings"], step),
        **fields,
    )


def _build(cls: type[Method], variant: dict, ctx: Context) -> Method | Candidate:
    """The method of one variant (arrays of points if ``f`` takes them), or why not."""
    settings = dict(variant)
    if ctx.vectorized and _accepts_vectorized(cls) and "vectorized" not in settings:
        settings["vectorized"] = True
    try:
        method = get_method(cls, **settings)
    except (TypeError, ValueError) as exc:
        return rejected(cls, None, CandidateStatus.FAILED, text.not_built(exc))
    available_, why = cls.availability()
    if not available_:
        return rejected(method, None, CandidateStatus.UNAVAILABLE, why)
    why = not_applicable(method, ctx)
    if why:
        return rejected(method, None, CandidateStatus.NOT_APPLICABLE, why)
    return method


def build_and_run(
    ctx: Context, candidates: list[tuple[type[Method], dict]]
) -> tuple[list[Candidate], list[tuple[Method, Run]], list[Method], DualProbe]:
    """Build every candidate; run those without a step once.

    Returns the rows of the rejected ones, the runs of the exact and adaptive methods, the step
    methods still to sweep, and what running on dual numbers showed.
    """
    rows: list[Candidate] = []
    fixed: list[tuple[Method, Run]] = []
    step_methods: list[Method] = []
    dual = NOT_PROBED
    for cls, variant in candidates:
        method = _build(cls, variant, ctx)
        if isinstance(method, Candidate):
            rows.append(method)
            continue
        if method.kind not in ("exact", "adaptive"):
            step_methods.append(method)
            continue
        ctx.stage(f"measuring {method.label}")
        r = run(method, ctx.f, ctx.x, None)
        if Need.DUAL in method.needs and not r.out_of_time:
            dual = dual_probe(r)
        if not r.ok:
            rows.append(failed(method, None, r))
        elif r.estimate.nfev == 0 and ctx.has_expr and not ctx.matches:
            rows.append(rejected(method, 0, CandidateStatus.NOT_APPLICABLE, text.FORMULA_NOT_F))
        elif ctx.budget is not None and r.estimate.nfev > ctx.budget:
            rows.append(over_budget(method, r.estimate.nfev, ctx.budget))
        else:
            fixed.append((method, r))
    return rows, fixed, step_methods, dual


def measure_fixed(method: Method, r: Run, ctx: Context) -> Candidate:
    """A method without a step to tune (exact or adaptive): its one run.

    Its time is that run's until the timing rounds (:mod:`diffbench.chooser.ranking`) measure
    it again among the candidates it is compared with.
    """
    est = r.estimate
    ref = ctx.ref
    error = measured_error = math.nan
    if ref.value is not None:
        measured_error = relative_error(np.asarray(est.value), ref.value, ctx.ref_scale)
    # measured against a reference known to +-u, the error is known to be below measured + u;
    # against one method alone it is not known at all
    if ref.trusted:
        error = measured_error + ref.uncertainty
    flags = []
    if est.nfev == 0:
        flags.append(Caveat.USES_FORMULA)
    if Need.DUAL in method.needs:
        flags.append(Caveat.DUAL_SAFE_CODE)
    if Need.COMPLEX in method.needs:
        flags.append(Caveat.COMPLEX_SAFE_CODE)
    if method.kind == "adaptive" and ctx.noisy:
        flags.append(Caveat.STEPS_INTO_NOISE)
    if not ref.trusted:
        flags.append(Caveat.UNVERIFIED)
    return measured(
        method,
        None,
        flags,
        actual_step=None if est.step is None else np.asarray(est.step),
        error=error,
        measured_error=measured_error,
        best_error=error,
        robustness=math.inf,
        nfev=est.nfev,
        seconds=r.seconds,
        meets_target=bool(ref.trusted and error <= ctx.target),
    )
