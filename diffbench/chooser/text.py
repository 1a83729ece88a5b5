"""Every word the chooser says: probe outcomes, caveats, reasons, notes, tables and the report.

The measuring modules decide with data (:mod:`diffbench.chooser.findings`); this module is the
only one that turns that data into sentences, and nothing branches on the sentences.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from methods.capabilities import Need

from .findings import (
    CandidateStatus,
    Caveat,
    ComplexOutcome,
    ComplexProbe,
    DualOutcome,
    DualProbe,
    NoiseOrigin,
    ReferenceBasis,
    VectorizedOutcome,
    VectorizedProbe,
)

if TYPE_CHECKING:
    from ..noise import NoiseEstimate
    from .results import Candidate, Choice, Probes, Reference
    from .running import Run

__all__ = [
    "CAVEAT_WORDS",
    "FORMULA_NOT_F",
    "call_code",
    "complex_words",
    "describe_point",
    "dual_words",
    "format_step",
    "noise_source",
    "noise_verdict",
    "RANKING_RULE",
    "function_exit",
    "out_of_time",
    "ranking_reasons",
    "reasons",
    "reference_source",
    "sweep_out_of_time",
    "time_note",
    "report",
    "run_failure",
    "short",
    "snippet",
    "table",
    "vectorized_words",
]

#: The words of each caveat, as ``Candidate.caveats`` and the table show them.
CAVEAT_WORDS = {
    Caveat.USES_FORMULA: "uses the formula, not f",
    Caveat.DUAL_SAFE_CODE: "needs dual-safe code",
    Caveat.COMPLEX_SAFE_CODE: "needs complex-safe code",
    Caveat.STEPS_INTO_NOISE: "steps shrink into the noise",
    Caveat.UNVERIFIED: "unverified",
    Caveat.ABSOLUTE_STEP: "absolute step",
    Caveat.NO_NOISE_MODEL: "no noise model",
    Caveat.NARROW_WINDOW: "narrow step window",
    Caveat.NOISE_AWARE_STEP: "noise-aware step",
    Caveat.TRUNCATION_BELOW_NOISE: "truncation below the noise",
}

FORMULA_NOT_F = (
    "differentiates the formula, but f's values differ from it (noise?): the result would not "
    "be the derivative of f"
)
_NOT_PROBED = "not probed (no candidate method needs it)"
_SKIPPED_PROBE = "not probed: the time limit leaves too few evaluations of f"


# ------------------------------------------------------------------------------------------------
# numbers and code
# ------------------------------------------------------------------------------------------------
def fmt(v: float | None, unit: str = "") -> str:
    """A number in two significant digits (``?`` for None or NaN)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "?"
    if math.isinf(v):
        return "inf"
    if v == 0:
        return "0"
    return f"{v:.2g}{unit}"


def plural(k: int | None, word: str) -> str:
    """``"1 evaluation"``, ``"3 evaluations"``."""
    return f"{k} {word}" + ("" if k == 1 else "s")


def fmt_time(seconds: float | None) -> str:
    """A duration in s, ms, us or ns, three significant digits."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def short(text: str, limit: int = 240) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at a word boundary with "…"
    (mid-word only when a single word is longer than the limit).

    Examples
    --------
    >>> short("would silently drop the derivative part", 30)
    'would silently drop the…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else cut
    return cut.rstrip(" ,;:") + "…"


def format_step(step: Any) -> str:
    """A step argument as code: ``3.2e-05`` or ``[1e-05, 2e-05]``."""
    arr = np.atleast_1d(np.asarray(step, dtype=float))
    if arr.size == 1:
        return f"{arr[0]:.2g}"
    return "[" + ", ".join(f"{v:.2g}" for v in arr) + "]"


def call_code(name: str, settings: dict[str, Any], step: Any) -> str:
    """``get_method("central", order=4).gradient(f, x, step=3.2e-04)``."""
    args = "".join(f", {k}={v!r}" for k, v in settings.items())
    build = f'get_method("{name}"{args})'
    if step is None:
        return f"{build}.gradient(f, x)"
    return f"{build}.gradient(f, x, step={format_step(step)})"


def describe_point(x: np.ndarray) -> str:
    """``x`` in messages (at most six coordinates shown)."""
    return np.array2string(x, precision=6, threshold=6, separator=", ")


# ------------------------------------------------------------------------------------------------
# probes, runs, reference, noise
# ------------------------------------------------------------------------------------------------
def vectorized_words(p: VectorizedProbe) -> str:
    """The array probe: ``"yes: ..."`` or ``"no: ..."``."""
    if p.outcome is VectorizedOutcome.RAISED:
        return f"no: f raised {p.exception} on an (m, n) array of points"
    if p.outcome is VectorizedOutcome.WRONG_SHAPE:
        return f"no: f maps a (3, {p.n}) array of points to shape {p.shape}, not (3,)"
    if p.outcome is VectorizedOutcome.DIFFERS:
        return "no: f on an array of points differs from f on each point"
    if p.outcome is VectorizedOutcome.SKIPPED_FOR_TIME:
        return f"no: {_SKIPPED_PROBE}"
    return "yes: f maps an (m, n) array of points to (m,) values"


def complex_words(p: ComplexProbe) -> str:
    """The complex-step probe in words."""
    o = p.outcome
    if o is ComplexOutcome.ACCEPTED:
        return "analytic at x (complex step agrees with real differences)"
    if o is ComplexOutcome.NOT_ANALYTIC_FORMULA:
        return (
            f"not analytic: the formula contains {', '.join(p.parts)}, which the complex step "
            "cannot differentiate (it may pass at one point and fail at another)"
        )
    if o is ComplexOutcome.NOT_ANALYTIC and p.coordinate is not None:
        return (
            f"not analytic at x: along x[{p.coordinate}] the complex step gives "
            f"{p.complex_step:.6g}, real differences {p.real_difference:.6g}"
        )
    if o is ComplexOutcome.NOT_ANALYTIC:
        return "not analytic at x: " + p.detail
    if o is ComplexOutcome.NOT_CONFIRMED:
        return "not confirmed: f is noisy, so real differences cannot confirm the complex step at x"
    if o is ComplexOutcome.REJECTED:
        return "rejected: " + (p.detail or "f refused complex input")
    if o is ComplexOutcome.SKIPPED_FOR_TIME:
        return _SKIPPED_PROBE
    return _NOT_PROBED


def dual_words(p: DualProbe) -> str:
    """``"accepted"``, ``"rejected: ..."`` or ``"not probed ..."``."""
    if p.outcome is DualOutcome.ACCEPTED:
        return "accepted"
    if p.outcome is DualOutcome.REJECTED:
        return f"rejected: {p.detail}"
    return _NOT_PROBED


def run_failure(r: Run) -> str:
    """Why a run gave no usable estimate ("" if it did)."""
    if r.exception is not None:
        return f"{type(r.exception).__name__}: {r.exception}"
    if r.nan:
        return "the estimate is NaN (f not finite at a point the method needs)"
    return ""


def reference_source(ref: Reference) -> str:
    """Where the reference comes from, in words."""
    if ref.basis is ReferenceBasis.GIVEN:
        return "given by the caller"
    if ref.basis is ReferenceBasis.EXACT:
        return "exact gradient of the formula (SymPy + mpmath)"
    if ref.basis is ReferenceBasis.CONSENSUS:
        return f"agreement of {', '.join(ref.methods)}"
    if ref.basis is ReferenceBasis.SINGLE:
        return f"{ref.methods[0]} alone (no second method agreed within 1e-6)"
    return "none: no exact, complex-step or extrapolation method applies"


def noise_source(origin: NoiseOrigin, est: NoiseEstimate | None) -> str:
    """How the noise level was obtained."""
    if origin is NoiseOrigin.GIVEN:
        return "given"
    if origin is NoiseOrigin.DECLARED_FREE:
        return "declared noise-free"
    if origin is NoiseOrigin.ECNOISE_FAILED:
        return f"ECnoise failed ({_ecnoise_info(est)}); assumed rounding level"
    if origin is NoiseOrigin.SKIPPED_FOR_TIME:
        return "not estimated (time limit); assumed rounding level"
    return f"ECnoise: difference order {est.level}, {est.nfev} evaluations"


def noise_verdict(eps_f: float, noisy: bool) -> str:
    """The noise level and whether it counts as noise, in one consistent phrase.

    Examples
    --------
    >>> noise_verdict(2e-16, False)
    '2e-16 absolute: not noisy (at most 1e-12 of |f(x)|: rounding level)'
    """
    from .noise_model import NOISY_RELATIVE

    if noisy:
        return f"{eps_f:.2g} absolute: noisy (above {NOISY_RELATIVE:g} of |f(x)|)"
    return f"{eps_f:.2g} absolute: not noisy (at most {NOISY_RELATIVE:g} of |f(x)|: rounding level)"


def _ecnoise_info(est: NoiseEstimate | None) -> str:
    return est.info if est is not None else "f raised"


def noise_notes(
    origin: NoiseOrigin, est: NoiseEstimate | None, error: BaseException | None
) -> list[str]:
    """Notes on the noise estimate: ECnoise raised, or measured nothing."""
    out = []
    if error is not None:
        out.append(f"ECnoise failed: {type(error).__name__}: {short(str(error), 160)}")
    if origin is NoiseOrigin.SKIPPED_FOR_TIME:
        out.append(
            "The noise of f was not estimated: the time limit leaves too few evaluations for "
            "ECnoise; f is treated as noise-free. Pass noise=LEVEL (--noise) if you know it."
        )
    if origin is NoiseOrigin.ECNOISE_FAILED:
        out.append(
            f"ECnoise could not measure the noise at x ({_ecnoise_info(est)}); f is treated as "
            "noise-free. Pass noise=LEVEL if you know it."
        )
    return out


def more_wild_note(axes: Sequence[tuple[int, float, float, float]]) -> str:
    """Moré & Wild's optimum per axis: ``(i, |f''|, step, RMS error)``."""
    parts = [f"x[{i}]: |f''| ~ {c:.2g}, h = {h:.2g}, RMS error {e:.2g}" for i, c, h, e in axes]
    return "Moré-Wild forward-difference optimum (absolute): " + "; ".join(parts) + "."


MPMATH_NOTE = "mpmath cannot evaluate the formula's gradient; using a consensus."


def subset_note(subset: Sequence[int], n: int) -> str:
    """The step sweeps ran on a subset of the coordinates."""
    return (
        f"Step sweeps ran on {len(subset)} of the {n} coordinates ({list(subset)}); each "
        "recommended step was then measured on all of them."
    )


# ------------------------------------------------------------------------------------------------
# why a method is left out
# ------------------------------------------------------------------------------------------------
def not_applicable(need: Need, complex_probe: ComplexProbe) -> str:
    """Why a method that needs ``need`` cannot work on this ``f``."""
    if need is Need.EXPRESSION:
        return "needs the function's formula (a SymPy expression); f is a plain callable"
    if need is Need.VECTORIZED:
        return "needs f to take an (m, n) array of points; f does not"
    return f"needs complex arguments: {complex_words(complex_probe)}"


def over_budget(nfev: int, budget: int) -> str:
    """A method needs more evaluations than the budget allows."""
    return f"needs {nfev} evaluations per gradient; the budget is {budget}"


def not_built(exc: BaseException) -> str:
    """A variant's settings were refused."""
    return f"could not be built: {exc}"


def fails_everywhere(first: str) -> str:
    """A step method failed at every swept step (``first``: the first failure)."""
    return "fails at every step tried: " + (first or "no finite estimate")


# ------------------------------------------------------------------------------------------------
# why the recommendation
# ------------------------------------------------------------------------------------------------
def reasons(
    rec: Candidate | None,
    ranking: Sequence[Candidate],
    rejected: Sequence[Candidate],
    probes: Probes,
    ref: Reference,
    target: float,
    budget: int | None,
    eps_f: float,
) -> list[str]:
    """The recommendation's reasons, in plain words."""
    over = [r for r in rejected if r.status is CandidateStatus.OVER_BUDGET]
    if rec is None:
        return [_no_recommendation(over, budget)]
    out = _target_reasons(rec, ranking, target)
    why = _why_it_works(rec)
    if why:
        out.append(f"Why it works here: {why}.")
    if rec.kind in ("step", "grid") and rec.window is not None:
        out.append(_window_reason(rec, target, eps_f))
    why = _COMPLEX_RULED_OUT.get(probes.complex_probe.outcome)
    if why:
        out.append(f"The complex step is ruled out: {why}.")
    out += _reference_reasons(rec, ref, target)
    if over:
        more = f" and {len(over) - 6} more" if len(over) > 6 else ""
        names = ", ".join(r.label for r in over[:6])
        out.append(f"Left out for the budget of {budget}: {names}{more}.")
    return out


#: The ranking rule, as the reasons state it.
RANKING_RULE = (
    "Ranking rule: methods that meet the target first, then fewer evaluations of f per gradient, "
    "then more decades of safe step (those that miss it: by expected error); time counts only "
    "where one method is at least 2x faster than another in all but one of 9 interleaved "
    "timing rounds; remaining ties go by declared reference grade, registry order and name."
)


def ranking_reasons(
    rec: Candidate | None, overtaken: Sequence[Candidate], untimed: bool
) -> list[str]:
    """Why time did or did not move the recommendation, and the ranking rule."""
    if rec is None:
        return []
    out = []
    if overtaken:
        names = ", ".join(f"{c.label} ({fmt_time(c.seconds)})" for c in overtaken[:4])
        out.append(
            f"It is at least 2x faster ({fmt_time(rec.seconds)} per gradient) than {names}, "
            "which rank before it on evaluations of f or robustness."
        )
    if untimed:
        out.append(
            "Times were not compared: the timing rounds would exceed the time limit, so the "
            "ranking rests on counted quantities only."
        )
    out.append(RANKING_RULE)
    return out


def out_of_time() -> str:
    """A method's call was stopped: the evaluations the time limit allows were spent."""
    return "the evaluations of f that the time limit allows were spent before it finished"


def sweep_out_of_time(need: int, left: float) -> str:
    """A step method's sweep does not fit the evaluations left."""
    return (
        f"its step sweep needs at least {need} evaluations of f; the time limit leaves "
        f"{max(0, int(left))}"
    )


def time_note(limit: float, call: float, calls: int, skipped: Sequence[str], untimed: bool) -> str:
    """What the time limit cut: methods skipped for time, the timing rounds."""
    what = []
    if skipped:
        more = f" and {len(skipped) - 8} more" if len(skipped) > 8 else ""
        what.append(f"skipped for time: {', '.join(skipped[:8])}{more}")
    if untimed:
        what.append("the timing rounds were skipped")
    return (
        f"One call of f takes {fmt_time(call)}; the time limit of {limit:g} s allowed about "
        f"{calls} evaluations of f in all. {'; '.join(what).capitalize()}. Raise it with "
        "--time-limit SECONDS (time_limit=...)."
    )


def function_exit(exc: BaseException | None, x: np.ndarray) -> str:
    """``f`` raised ``SystemExit`` or ``KeyboardInterrupt`` while being measured."""
    kind = type(exc).__name__ if exc is not None else "SystemExit"
    detail = f" ({exc})" if exc is not None and str(exc) else ""
    return (
        f"f raised {kind}{detail} while being evaluated near x = {describe_point(x)}: a "
        "function that exits cannot be differentiated (f failed)."
    )


def _no_recommendation(over: Sequence[Candidate], budget: int | None) -> str:
    if over:
        cheapest = min(over, key=lambda r: r.nfev or 0)
        return (
            f"No method fits the budget of {plural(budget, 'evaluation')} per gradient; "
            f"the cheapest, {cheapest.label}, needs {cheapest.nfev}."
        )
    return "No method produced a usable gradient at x (see the rejected list)."


def _target_reasons(rec: Candidate, ranking: Sequence[Candidate], target: float) -> list[str]:
    if not rec.meets_target:
        return [
            f"No method meets the target {target:g} here; this is the most accurate one within "
            f"the budget (expected relative error {fmt(rec.error)})."
        ]
    out = [f"It meets the target: expected relative error {fmt(rec.error)} <= {target:g}."]
    cheaper_fail = [c for c in ranking if (c.nfev or 0) < (rec.nfev or 0) and not c.meets_target]
    others = [c for c in ranking if c.meets_target and c is not rec]
    cost = f"{plural(rec.nfev, 'evaluation')} of f per gradient, {fmt_time(rec.seconds)}"
    if others:
        nxt = others[0]
        out.append(
            f"It ranks first of those that do: {cost} (next: {nxt.label}, "
            f"{plural(nxt.nfev, 'evaluation')}, {fmt_time(nxt.seconds)})."
        )
    else:
        out.append(f"It is the only method that does: {cost}.")
    if cheaper_fail:
        c = cheaper_fail[0]
        out.append(f"Cheaper {c.label} misses the target ({fmt(c.error)}).")
    return out


def _why_it_works(c: Candidate) -> str:
    """Why a method without differencing error works, from what it needs and how it is run."""
    if c.kind == "exact" and c.nfev == 0:
        return (
            "it differentiates the formula itself (f is never called), exactly up to rounding: "
            "no step to tune; use it where you have the formula"
        )
    if c.kind == "exact" and Need.DUAL in c.needs:
        return (
            "f runs on dual numbers, which carry exact derivatives through every operation: "
            "no step to tune, no truncation or cancellation error from differencing"
        )
    if c.kind == "exact":
        return "it differentiates f's code exactly (no step to tune, no differencing error)"
    if Need.COMPLEX in c.needs:
        return (
            "f accepts complex arguments and passed the analyticity check at x, so the complex "
            "step has no subtractive cancellation: tiny steps reach about 1 ulp"
        )
    return ""


def _window_reason(rec: Candidate, target: float, eps_f: float) -> str:
    lo, hi = fmt(rec.window[0]), fmt(rec.window[1])
    if Caveat.NOISE_AWARE_STEP in rec.flags:
        return (
            f"f is noisy (eps_f ~ {eps_f:.2g}): the step balances truncation against noise "
            f"instead of rounding; steps {lo} to {hi} (times max(1, |x_i|)) keep the expected "
            f"error within {max(target, 2 * rec.error):.2g}."
        )
    return (
        f"Steps from {lo} to {hi} (times max(1, |x_i|)) keep the error within "
        f"{max(target, 2 * rec.best_error):.2g} at x: {rec.robustness:.1f} decades of safety."
    )


_COMPLEX_RULED_OUT = {
    ComplexOutcome.NOT_ANALYTIC: "f is not analytic at x as written",
    ComplexOutcome.NOT_ANALYTIC_FORMULA: "f's formula is not analytic",
    ComplexOutcome.NOT_CONFIRMED: "its result cannot be confirmed on a noisy f",
    ComplexOutcome.REJECTED: "f does not accept complex arguments",
}


def _reference_reasons(rec: Candidate, ref: Reference, target: float) -> list[str]:
    if not ref.trusted and Caveat.NOISE_AWARE_STEP in rec.flags:
        return [
            "No trusted reference gradient (the accurate methods disagree on this noisy f): the "
            "errors of difference methods are the noise model's expectations, the others are "
            "unknown."
        ]
    if not ref.trusted:
        return [
            "Caution: no trusted reference gradient (no two accurate methods agreed), so the "
            "errors are unverified."
        ]
    if ref.uncertainty > 0.1 * target:
        return [f"Caution: the reference itself is uncertain to {ref.uncertainty:.2g} (relative)."]
    return []


# ------------------------------------------------------------------------------------------------
# tables, report, code
# ------------------------------------------------------------------------------------------------
def _table_row(k: int, c: Candidate) -> tuple[str, ...]:
    if c.step is None:
        step = "-" if c.kind in ("exact", "adaptive") else "default"
    else:
        step = format_step(c.step)
        if len(step) > 18:
            step = "per coord."
    err = fmt(c.error) + (" *" if c.meets_target else "")
    robust = "no step" if math.isinf(c.robustness) else f"{c.robustness:.1f} dec"
    return (
        str(k),
        c.label,
        step,
        err,
        str(c.nfev),
        fmt_time(c.seconds),
        robust,
        "; ".join(c.caveats),
    )


def table(rows: Sequence[Candidate]) -> str:
    """The ranking as a fixed-width text table."""
    head = ("#", "method", "step", "error", "nfev", "time", "robust", "caveats")
    lines = [_table_row(k, c) for k, c in enumerate(rows, 1)]
    widths = [
        max(len(h), *(len(r[i]) for r in lines)) if lines else len(h) for i, h in enumerate(head)
    ]
    widths[-1] = len(head[-1])

    def line(r: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, lines)])


def rejected_lines(rejected: Sequence[Candidate], width: int = 100) -> list[str]:
    """Rejected methods grouped by reason (over-budget ones with their nfev), wrapped."""
    groups: dict[str | None, list[str]] = {}  # None: over budget
    for c in rejected:
        if c.status is CandidateStatus.OVER_BUDGET:
            groups.setdefault(None, []).append(f"{c.label} {c.nfev}")
        else:
            groups.setdefault(f"{c.status}: {short(c.reason, 150)}", []).append(c.label)
    lines = []
    for why, labels in groups.items():
        if why is None:
            text = f"over budget (evaluations per gradient): {', '.join(labels)}"
        else:
            text = f"{', '.join(labels)}: {why}"
        lines += textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="      ")
    return lines


def _probe_lines(choice: Choice) -> list[str]:
    p = choice.probes
    out = ["What f is like at x"]
    out.append(f"  value       f(x) = {p.value:.6g}; one call takes {fmt_time(p.call_seconds)}")
    if p.expression is not None:
        match = "" if p.expression_matches else " (f's values differ from it: noise?)"
        out.append(f"  formula     {short(p.expression, 80)}{match}")
    out.append(f"  arrays      {p.vectorized_detail}")
    out.append(f"  complex     {short(p.complex, 150)}")
    out.append(f"  dual        {short(p.dual, 150)}")
    out.append(f"  noise       {noise_verdict(choice.noise, choice.noisy)} [{choice.noise_source}]")
    ref = choice.reference
    unc = "" if ref.uncertainty == 0 else f", uncertainty {fmt(ref.uncertainty)}"
    out.append(f"  reference   {ref.source}{unc}")
    return out


def _ranking_lines(choice: Choice, top: int | None) -> list[str]:
    shown = choice.ranking if top is None else choice.ranking[:top]
    out = ["Ranking (best first)"]
    out.append(
        "  error: expected relative error of the gradient at x (* meets the target); nfev, time: "
        "per gradient;\n  robust: decades of step that stay within the target (no step: nothing "
        "to tune)"
    )
    out.append(table(shown) if shown else "  (no usable method)")
    if top is not None and len(choice.ranking) > top:
        out.append(f"  ... {len(choice.ranking) - top} more (use --all or --json)")
    if choice.rejected:
        out += ["", "Not usable here", *rejected_lines(choice.rejected)]
    return out


def report(choice: Choice, top: int | None, setup: Sequence[str]) -> str:
    """The whole finding as text: probes, ranking, rejected methods, recommendation, code."""
    budget = "none" if choice.budget is None else f"{choice.budget} evaluations per gradient"
    out = [
        f"Point x = {describe_point(choice.x)} (n = {choice.x.size}); target relative error "
        f"{choice.target:g}; budget {budget}.",
        "",
        *_probe_lines(choice),
        "",
        *_ranking_lines(choice, top),
        "",
    ]
    rec = choice.recommended
    if rec is None:
        out.append("No recommendation.")
    else:
        step = "" if rec.step is None else f" with step {format_step(rec.step)}"
        out.append(f"Recommendation: {rec.label}{step}")
    for r in choice.reasons:
        out += textwrap.wrap(r, 100, initial_indent="  - ", subsequent_indent="    ")
    for note in choice.notes:
        out += textwrap.wrap(note, 100, initial_indent="  note: ", subsequent_indent="    ")
    if rec is not None:
        out += ["", "Code:", *("  " + line for line in snippet(choice, setup).splitlines())]
    return "\n".join(out)


def snippet(choice: Choice, setup: Sequence[str] = ()) -> str:
    """Runnable code for the recommendation: imports, ``setup`` lines defining ``f``, the call."""
    if choice.recommended is None:
        return ""
    names = {"get_method"}
    body = []
    for line in setup:  # merge imports from methods into one line
        if line.startswith("from methods import "):
            names.update(n.strip() for n in line.split(" import ", 1)[1].split(","))
        else:
            body.append(line)
    lines = [f"from methods import {', '.join(sorted(names))}"]
    lines += body or ["# f: your function, f(x) -> float for x of shape (n,)"]
    lines.append(f"x = {[float(v) for v in choice.x]!r}")
    lines.append(f"grad = {choice.code}.value")
    return "\n".join(lines)
