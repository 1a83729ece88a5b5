"""Step rules: the error and the extra evaluations of each rule's default step, on hazards.

For every step rule the sweep measures (:data:`RULES`, read from the registry of
:mod:`methods.step_rules` / ``methods.finite_difference.STEP_RULES``, so a new rule joins
automatically), a few finite-difference configurations and four hazard problems
(``sin50``: large high derivatives, ``pole``: a pole near x, ``sqrt-near-0``: a branch point
near x, ``log-large``: x = 1e10), at each problem's first point:

- ``StepRuleAccuracy.track_relative_error``: the relative error of the default-step gradient
  with that ``step_rule`` (through the sweep's kernel, :func:`diffbench.measure.measure_gradient`);
- ``StepRuleAccuracy.track_nfev``: its evaluations of f;
- ``StepRuleAccuracy.track_extra_nfev``: its evaluations of f beyond the stencil (its ``nfev``
  minus that of the unit-scale rule ``relative``, which spends none; ``unit = "extra
  evaluations"``).

A rule that does not serve a stencil (``gmsw``: forward and backward order 1 only) or gives no
finite estimate is skipped the asv way (``NotImplementedError`` in ``setup``). ``diffbench
from-asv`` turns these values into the sweep's ``step-rule`` rows (``step_rule``, ``rel_error``,
``nfev``, ``nfev_extra``). The project is imported inside the functions (only the rule names at
import).
"""

from __future__ import annotations

import warnings
from typing import Any

from methods.finite_difference import STEP_RULES

#: Hazard problems of the battery (:mod:`diffbench.problems`), first point.
PROBLEMS = ("sin50", "pole", "sqrt-near-0", "log-large")
#: Configurations: the default orders of both schemes and two higher central orders.
LABELS = ("forward(order=1)", "central(order=2)", "central(order=4)", "central(order=8)")
#: The rules, as :func:`diffbench.plan.measured_step_rules` gives them (the unit-scale baseline
#: first, ``absolute`` left out), read from the registry of ``methods`` alone: asv discovers this
#: module with the installed project, whatever its version of ``diffbench.plan``.
RULES = ("relative", *(r for r in STEP_RULES if r not in ("relative", "absolute")))


def _truths() -> dict[str, Any]:
    from diffbench.problems import get_problem

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {p: get_problem(p).exact_gradient(get_problem(p).points[0]) for p in PROBLEMS}


def rule_measurement(
    rule: str, label: str, problem: str, truths: dict[str, Any], require_ok: bool = True
) -> Any:
    """The :class:`~diffbench.measure.Measurement` of ``label`` with ``step_rule=rule`` at the
    first point of ``problem``; ``NotImplementedError`` if the rule does not serve the stencil or
    (``require_ok``) the estimate is not finite."""
    import numpy as np

    from diffbench.configs import resolve_methods
    from diffbench.measure import measure_gradient
    from diffbench.problems import get_problem
    from methods import get_method

    from .common import skip_unless_ok

    (config,) = resolve_methods([label])
    try:
        method = get_method(config.cls, **{**dict(config.settings), "step_rule": rule})
    except ValueError as exc:
        raise NotImplementedError(f"{label} with step_rule={rule!r}: {exc}") from None
    prob = get_problem(problem)
    x = np.asarray(prob.points[0], dtype=float)
    m = measure_gradient(method, prob.function, x, truths[problem])
    return skip_unless_ok(m, f"{label} step_rule={rule!r}", f"on {problem}") if require_ok else m


class StepRuleAccuracy:
    """Relative error and extra evaluations of a rule's default step."""

    params = (list(RULES), list(LABELS), list(PROBLEMS))
    param_names = ("rule", "configuration", "problem")
    timeout = 120

    def setup_cache(self) -> dict[str, Any]:
        return _truths()

    def setup(self, truths: dict, rule: str, label: str, problem: str) -> None:
        self.m = rule_measurement(rule, label, problem, truths)
        # the stencil's count: nfev is counted even where the unit-scale step gives NaN
        base = rule_measurement(RULES[0], label, problem, truths, require_ok=False)
        self.extra = int(self.m.nfev) - int(base.nfev)

    def track_relative_error(self, truths: dict, rule: str, label: str, problem: str) -> float:
        return float(self.m.rel_error)

    track_relative_error.unit = "relative error"  # type: ignore[attr-defined]

    def track_nfev(self, truths: dict, rule: str, label: str, problem: str) -> int:
        return int(self.m.nfev)

    track_nfev.unit = "evaluations"  # type: ignore[attr-defined]

    def track_extra_nfev(self, truths: dict, rule: str, label: str, problem: str) -> int:
        return self.extra

    track_extra_nfev.unit = "extra evaluations"  # type: ignore[attr-defined]
