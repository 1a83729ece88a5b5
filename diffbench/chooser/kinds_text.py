"""Every word of the chooser beyond gradients (:mod:`diffbench.chooser.kinds`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .text import short

if TYPE_CHECKING:
    from methods import Method

    from .kinds import KindChoice
    from .noise_model import NoiseLevel

__all__ = [
    "NON_FINITE",
    "SKIPPED_FOR_TIME",
    "as_dict",
    "code",
    "failure",
    "no_time_for_reference",
    "noise_note",
    "over_budget",
    "report",
    "needs_more",
    "time_note",
    "what",
]

NON_FINITE = "non-finite estimate at every step"
SKIPPED_FOR_TIME = "not measured: the time limit (--time-limit) was spent"


def no_time_for_reference(kind: str, limit: float) -> str:
    """The one line when the time limit runs out before a reference is computed."""
    return (
        f"the time limit (`--time-limit` {limit:g} s) ran out before a reference {kind} of f "
        "was computed; raise --time-limit."
    )


def noise_note(level: NoiseLevel) -> str:
    """What noise level of f the errors assume, and where it comes from."""
    source = {
        "GIVEN": "given (--noise)",
        "DECLARED_FREE": "declared noise-free (--noise 0): rounding only",
        "ECNOISE": "estimated by ECnoise (--noise auto)",
        "ECNOISE_FAILED": "ECnoise found no noise (--noise auto): rounding only",
        "SKIPPED_FOR_TIME": "not estimated (time limit): rounding only",
    }[level.origin.name]
    kind = "noisy: errors include the noise floor" if level.noisy else "not noisy"
    return f"noise of f: {level.eps_f:.1e} ({source}; {kind})"


def needs_more(need: float, left: float) -> str:
    """Why a candidate was not measured: its expected evaluations exceed what is left."""
    return (
        f"not measured: needs about {need:.0f} evaluations of f, the time limit (--time-limit) "
        f"leaves {max(0, int(left))}"
    )


def time_note(limit: float, seconds: float, skipped: list[str]) -> str:
    """Which candidates the time limit left unmeasured."""
    return (
        f"time limit {limit:g} s (--time-limit) at {seconds * 1e3:.3g} ms per call of f: not "
        f"measured, so not ranked: {', '.join(skipped)}"
    )


def failure(exc: BaseException, limit: int = 240) -> str:
    """Why a method failed on ``f``: the first sentence of its exception, cut (if longer than
    ``limit``) at a word boundary with "…", never mid-word.

    Examples
    --------
    >>> failure(ValueError("step lost in x + h. Try a larger step.\\nmore"))
    'failed: ValueError: step lost in x + h.'
    >>> failure(TypeError("would silently drop the derivative part"), limit=40)
    'failed: TypeError: would silently drop…'
    """
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    end = first.find(". ")
    first = first if end < 0 else first[: end + 1]
    return short(f"failed: {type(exc).__name__}: {first}", limit)


def over_budget(nfev: int, budget: int) -> str:
    """Why a method that needs more evaluations than the budget is left out."""
    return f"needs {nfev} evaluations of f, budget {budget}"


def what(kind: str, deriv: int) -> str:
    """``"Hessian"``, ``"Jacobian"``, ``"3rd derivative"``."""
    if kind == "derivative":
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(deriv, "th")
        return f"{deriv}{suffix} derivative"
    return kind.capitalize() if kind != "gradient" else "gradient"


def code(method: Method, kind: str, deriv: int, step: float | None) -> str:
    """The call that computes the estimate with ``method`` (relative ``step`` if any)."""
    settings = ", ".join(f"{k}={v!r}" for k, v in method.get_params().items())
    ctor = f"get_method({method.name!r}{', ' if settings else ''}{settings})"
    args = "f, x" if kind != "derivative" else "f, x"
    if step is not None:
        args += (
            f", step={step:.3g} * max(1, abs(x))"
            if kind == "derivative"
            else (f", step={step:.3g} * np.maximum(1, np.abs(x))")
        )
    if kind == "derivative" and deriv != 1:
        args += f", deriv={deriv}"
    return f"{ctor}.{kind}({args})"


def _num(v: float | str | None, fmt: str = ".1e") -> str:
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return format(v, fmt)


def _reference_line(choice: KindChoice) -> str:
    """Where the reference comes from and how its own method is scored."""
    line = f"reference: {choice.reference}"
    if choice.second_reference:
        line += (
            f" (next graded method {choice.second_reference} differs by "
            f"{choice.uncertainty:.1e}: added to every error; {choice.reference} itself is "
            f"scored against {choice.second_reference})"
        )
    elif any(c.label == choice.reference for c in choice.ranking):
        line += " (no second graded method computes it: its own error is not measured, n/a)"
    return line


def _table(choice: KindChoice, top: int | None) -> list[str]:
    """The ranked rows (``top`` of them, and how many more with ``--all``)."""
    rows = choice.ranking if top is None else choice.ranking[:top]
    width = max([32, *(len(c.label) for c in rows)])
    lines = [f"{'method':<{width}} {'step':>9} {'error':>9} {'nfev':>6} {'time':>9}  target"]
    for c in rows:
        step = "default" if c.step is None else f"{c.step:.1e}"
        error = "n/a (ref)" if math.isnan(c.error) and c.label == choice.reference else c.error
        lines.append(
            f"{c.label:<{width}} {step:>9} {_num(error):>9} {c.nfev:>6} "
            f"{c.seconds * 1e3:>7.2f}ms  {'yes' if c.meets_target else 'no'}"
        )
    if top is not None and len(choice.ranking) > top:
        lines.append(f"  ... {len(choice.ranking) - top} more (use --all or --json)")
    if any(not math.isnan(c.compile_seconds) for c in choice.ranking):
        lines.append(
            "time: per call; a method computing from the formula is timed on its second call, "
            "after compiling (compile_seconds in --json)"
        )
    return lines


def report(choice: KindChoice, top: int | None = 15) -> str:
    """The ranked table, reference, recommendation and rejected methods as text."""
    name = what(choice.kind, choice.deriv)
    lines = [f"kind: {name} (target relative error {choice.target:.0e})"]
    lines += [_reference_line(choice), ""]
    lines += _table(choice, top)
    best = choice.recommended
    lines.append("")
    if best is None:
        lines.append(f"recommended: none (no method computed the {name} of f)")
    else:
        step = "its default step" if best.step is None else f"relative step {best.step:.1e}"
        lines.append(
            f"recommended for the {name}: {best.label} at {step}: error {_num(best.error)}, "
            f"{best.nfev} evaluations of f, {best.seconds * 1e3:.2f} ms"
        )
        lines.append(f"  {best.code}")
    if choice.rejected:
        lines.append("")
        lines.append("not usable here:")
        lines += [f"  {c.label}: {c.why}" for c in choice.rejected]
    if choice.notes:
        lines.append("")
        lines += [f"note: {n}" for n in choice.notes]
    return "\n".join(lines)


def as_dict(choice: KindChoice) -> dict[str, Any]:
    """Plain data of a :class:`~diffbench.chooser.kinds.KindChoice`."""

    def row(c: Any) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in c.__dict__.items()}  # fmt: skip

    best = choice.recommended
    return {
        "kind": choice.kind,
        "deriv": choice.deriv,
        "target": choice.target,
        "reference": choice.reference,
        "uncertainty": None if math.isnan(choice.uncertainty) else choice.uncertainty,
        "second_reference": choice.second_reference,
        "recommended": None if best is None else row(best),
        "ranking": [row(c) for c in choice.ranking],
        "rejected": [row(c) for c in choice.rejected],
        "code": choice.code,
        "seconds": choice.seconds,
        "noise": choice.noise,
        "noisy": choice.noisy,
        "not_measured": list(choice.not_measured),
        "time_limit": None if math.isinf(choice.time_limit) else choice.time_limit,
        "notes": list(choice.notes),
    }
