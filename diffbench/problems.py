"""The problem registry: problems by name, the default battery, and what a sweep runs on.

Each problem is defined once, as a SymPy expression in its variables (:class:`Problem`, in
:mod:`diffbench.problem`). Everything else comes from that expression: the vectorized numpy
callable that methods differentiate (``Problem.function``), and the exact gradient, evaluated by
mpmath at 50 significant digits from the float64 point taken exactly and rounded once to float64
(:mod:`diffbench.truth`). Ground truth never comes from another differentiation method.

A :class:`ProblemRegistry` holds problems by name. :data:`DEFAULT_REGISTRY` holds the battery
(:mod:`diffbench.battery`); :func:`get_problem`, :func:`list_problems`, :func:`register_problem`
and :func:`unregister_problem` act on it. Problems named ``"rosenbrock-<n>"`` or
``"<name>~noise<level>"`` are built on request; a registry keeps only the last few of them
(``cache_size``), so asking for many sizes does not accumulate compiled problems.
:func:`resolve_problems` turns what a user passes to a sweep (names, problems, registries,
``"module:attr"``) into a list of problems.

Points are stored as the float64 values actually used. A decimal such as ``1.5707`` is only a
label: the truth is the derivative at the double nearest to it, which near a pole differs from
the derivative at the decimal by far more than eps (docs/theory.md#traps-when-checking-accuracy).

Examples
--------
>>> p = get_problem("runge")
>>> p.exact_gradient(p.points[0])
array([-1.42011834])
>>> sorted(p.tags)
['runge']
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import sympy

from methods.validation import check_positive_int

from .battery import ROSENBROCK_MAX, battery, rosenbrock, rosenbrock_expression
from .problem import TAGS, Problem
from .synthetic_noise import NOISE_SUFFIX, NoisyFunction, make_noisy, noise_label, point_noise
from .user_import import import_attribute

__all__ = [
    "TAGS",
    "Problem",
    "ProblemFamily",
    "ProblemRegistry",
    "DEFAULT_REGISTRY",
    "NoisyFunction",
    "point_noise",
    "get_problem",
    "list_problems",
    "register_problem",
    "unregister_problem",
    "resolve_problems",
    "make_noisy",
    "rosenbrock",
    "rosenbrock_expression",
]


@dataclass(frozen=True)
class ProblemFamily:
    """Problems a registry builds on request from their name, e.g. ``rosenbrock-<n>``.

    Attributes
    ----------
    pattern : str
        Regular expression that the whole name matches.
    build : callable
        ``build(match) -> Problem`` from the :class:`re.Match` of the name; it raises
        ``ValueError`` for a name of the family it cannot build (``rosenbrock-2000``).
    choice : str
        How error messages list the family, e.g. ``"rosenbrock-<n> (2 <= n <= 1000)"``.
    """

    pattern: str
    build: Callable[[re.Match], Problem]
    choice: str

    def match(self, name: str) -> re.Match | None:
        """The match of ``name`` if it belongs to the family, else None."""
        return re.fullmatch(self.pattern, name)


class ProblemRegistry:
    """Problems by name, in a stable order, with their noisy variants made on request.

    Parameters
    ----------
    problems : iterable of Problem, optional
        The registry's fixed problems, listed first; :meth:`unregister` refuses them.
    noisy : sequence of (str, float), optional
        Noisy variants :meth:`list` adds with ``include_noisy=True``: the name of one of
        ``problems`` and a noise level (see :func:`make_noisy`).
    families : sequence of ProblemFamily, optional
        Problems built on request from their name (not listed).
    cache_size : int, default 16
        How many problems built on request (families and ``"<name>~noise<level>"``) are kept,
        least recently used first out; asking again for a kept one returns the same object.
    check_truth : bool, default True
        Check that the exact gradient of each of ``problems`` exists at each of its points, as
        :meth:`register` does. The default registry skips it for the battery (the test suite
        checks the battery against independent mpmath differentiation).

    Examples
    --------
    >>> import sympy
    >>> t = sympy.Symbol("t", real=True)
    >>> cube = Problem("cube", t**3, (t,), [(0.5,)], [(0.0, 1.0)], {"smooth"}, "t^3")
    >>> mine = ProblemRegistry([cube], noisy=[("cube", 1e-6)])
    >>> mine.names(), "cube" in mine, "runge" in mine
    (['cube'], True, False)
    >>> [p.name for p in mine.list(include_noisy=True)]
    ['cube', 'cube~noise1e-6']
    """

    def __init__(
        self,
        problems: Iterable[Problem] = (),
        *,
        noisy: Sequence[tuple[str, float]] = (),
        families: Sequence[ProblemFamily] = (),
        cache_size: int = 16,
        check_truth: bool = True,
    ) -> None:
        self._problems: dict[str, Problem] = {}
        self._made: OrderedDict[str, Problem] = OrderedDict()
        self._families = tuple(families)
        if not all(isinstance(f, ProblemFamily) for f in self._families):
            raise TypeError("`families` must contain only ProblemFamily objects.")
        self._cache_size = check_positive_int("cache_size", cache_size, minimum=0)
        self._fixed: frozenset[str] = frozenset()
        for problem in problems:  # fixed problems may have a family's name (rosenbrock-2)
            self._check_problem(problem)
            if problem.name in self._problems:
                raise ValueError(f"`problems` has two problems named {problem.name!r}.")
            if NOISE_SUFFIX in problem.name:
                raise ValueError(f"`problems`: {problem.name!r} must not contain {NOISE_SUFFIX!r}.")
            self._add(problem, check_truth)
        self._fixed = frozenset(self._problems)
        self._noisy = tuple(self._check_noisy(noisy))

    def _check_noisy(self, noisy: Sequence[tuple[str, float]]) -> Iterator[tuple[str, float]]:
        for entry in noisy:
            if not (isinstance(entry, tuple) and len(entry) == 2):
                raise TypeError(f"`noisy` entries must be (name, level) pairs, got {entry!r}.")
            base, level = entry
            if base not in self._fixed:
                raise ValueError(f"`noisy` names {base!r}, which is not one of `problems`.")
            if isinstance(level, bool) or not isinstance(level, Real) or not level > 0:
                raise ValueError(f"`noisy` levels must be positive numbers, got {level!r}.")
            yield base, float(level)

    # -- adding and removing -------------------------------------------------------------------
    def check_name(self, name: Any) -> None:
        """Raise ``ValueError`` naming ``name`` unless it is free for a new problem here."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
        if name in self._problems or any(f.match(name) for f in self._families):
            raise ValueError(f"`name` {name!r} is already taken; choose another name.")
        if NOISE_SUFFIX in name:
            raise ValueError(f"`name` must not contain {NOISE_SUFFIX!r} (reserved for make_noisy).")

    def register(self, problem: Problem, *, check_truth: bool = True) -> Problem:
        """Add a noise-free problem under its name; :meth:`list` then includes it.

        Parameters
        ----------
        problem : Problem
            A problem whose name is free here (see :meth:`check_name`) and whose ``noise`` is 0
            (noisy variants are made on request as ``"<name>~noise<level>"``).
        check_truth : bool, default True
            Check that the exact gradient exists and is finite at each of its points.

        Returns
        -------
        Problem
            ``problem`` itself.
        """
        self._check_problem(problem)
        self.check_name(problem.name)
        return self._add(problem, check_truth)

    @staticmethod
    def _check_problem(problem: Any) -> None:
        if not isinstance(problem, Problem):
            raise TypeError(f"`problem` must be a Problem, got {type(problem).__name__}.")
        if problem.noise > 0:
            raise ValueError(
                f"`problem` {problem.name!r} is noisy; register the noise-free problem (its noisy "
                "variants are made on request, see make_noisy())."
            )

    def _add(self, problem: Problem, check_truth: bool) -> Problem:
        if check_truth:
            _check_truth(problem)
        self._problems[problem.name] = problem
        return problem

    def unregister(self, name: str) -> None:
        """Remove a problem added with :meth:`register` (the registry's fixed problems stay)."""
        if name in self._fixed or name not in self._problems:
            raise ValueError(f"`name` {name!r} is not a user-registered problem.")
        del self._problems[name]
        for made in [m for m in self._made if m.startswith(f"{name}{NOISE_SUFFIX}")]:
            del self._made[made]

    # -- looking up ------------------------------------------------------------------------------
    def get(self, name: str) -> Problem:
        """Return the problem called ``name`` (built on request for families and noisy names).

        Raises
        ------
        ValueError
            For an unknown name; the message lists the choices.
        """
        if not isinstance(name, str):
            raise TypeError(f"`name` must be a string, got {type(name).__name__}.")
        if name in self._problems:
            return self._problems[name]
        if name in self._made:
            self._made.move_to_end(name)
            return self._made[name]
        made = self._build(name)
        if made.name in self._made:  # another spelling of a kept one: "1e-08" and "1e-8"
            self._made.move_to_end(made.name)
            return self._made[made.name]
        if self._cache_size:
            self._made[made.name] = made
            while len(self._made) > self._cache_size:
                self._made.popitem(last=False)
        return made

    def _build(self, name: str) -> Problem:
        for family in self._families:
            match = family.match(name)
            if match:
                return family.build(match)
        if NOISE_SUFFIX in name:
            base, _, level = name.rpartition(NOISE_SUFFIX)
            try:
                value = float(level)
            except ValueError:
                value = None
            if base and value is not None:
                return make_noisy(self.get(base), value)
        choices = [*self._problems, *(f.choice for f in self._families), "<name>~noise<level>"]
        raise ValueError(f"unknown problem {name!r}; choose from {choices}.")

    @property
    def cache_size(self) -> int:
        """How many problems built on request the registry keeps (least recently used first out)."""
        return self._cache_size

    def names(self) -> list[str]:
        """The names of the listed problems, in order."""
        return list(self._problems)

    def __contains__(self, item: object) -> bool:
        """Whether ``item`` (a name or a Problem) is one of the listed problems."""
        if isinstance(item, Problem):
            return self._problems.get(item.name) == item
        return isinstance(item, str) and item in self._problems

    def __iter__(self) -> Iterator[Problem]:
        return iter(list(self._problems.values()))

    def __len__(self) -> int:
        return len(self._problems)

    def __repr__(self) -> str:
        return f"ProblemRegistry({len(self)} problems, {len(self._made)} kept on request)"

    def list(self, tag: str | None = None, *, include_noisy: bool = False) -> list[Problem]:
        """The listed problems (fixed ones first, then registered ones), in a stable order.

        Parameters
        ----------
        tag : str, optional
            Keep only problems with this tag (one of :data:`TAGS`). ``tag="noisy"`` returns the
            noisy variants.
        include_noisy : bool, default False
            Also return the registry's noisy variants (see ``noisy``).

        Returns
        -------
        list of Problem
        """
        if tag is not None and tag not in TAGS:
            raise ValueError(f"`tag` must be one of {sorted(TAGS)} or None, got {tag!r}.")
        problems = list(self._problems.values())
        if include_noisy or tag == "noisy":
            problems += [
                self.get(f"{base}{NOISE_SUFFIX}{noise_label(level)}") for base, level in self._noisy
            ]
        if tag is not None:
            problems = [p for p in problems if tag in p.tags]
        return problems


def _check_truth(problem: Problem) -> None:
    # the ground truth must exist at every point, or every measurement there is meaningless
    for point in problem.points:
        try:
            problem.exact_gradient(point)
        except (ArithmeticError, ValueError, TypeError, NotImplementedError) as exc:
            cause = exc.__cause__ or exc  # the error mpmath raised, e.g. ZeroDivisionError
            detail = f": {cause}".splitlines()[0] if str(cause) else ""
            raise ValueError(
                f"`points`: the exact gradient of {problem.name!r} is undefined at {point} "
                f"({type(cause).__name__}{detail})."
            ) from None


# --------------------------------------------------------------------------------------------
# the default registry
# --------------------------------------------------------------------------------------------
def _rosenbrock_family() -> ProblemFamily:
    return ProblemFamily(
        r"rosenbrock-(\d+)",
        lambda match: rosenbrock(int(match.group(1))),
        f"rosenbrock-<n> (2 <= n <= {ROSENBROCK_MAX})",
    )


#: The battery (:func:`diffbench.battery.battery`) with its noisy variants (runge and exp-sin with
#: noise 1e-8, sin-exp-log with 1e-6) and ``rosenbrock-<n>`` on request; the module functions
#: below act on it.
DEFAULT_REGISTRY = ProblemRegistry(
    battery(),
    noisy=[("runge", 1e-8), ("exp-sin", 1e-8), ("sin-exp-log", 1e-6)],
    families=[_rosenbrock_family()],
    check_truth=False,
)


def get_problem(name: str) -> Problem:
    """Return the problem called ``name``.

    Besides the battery and user-registered problems, ``"rosenbrock-<n>"`` (2 <= n <= 1000)
    and ``"<name>~noise<level>"`` (see :func:`make_noisy`) are built on request.

    Parameters
    ----------
    name : str
        The problem's name.

    Returns
    -------
    Problem

    Raises
    ------
    ValueError
        For an unknown name; the message lists the choices.

    Examples
    --------
    >>> get_problem("rosenbrock-10").dim
    10
    >>> get_problem("runge~noise1e-8").noise
    1e-08
    """
    return DEFAULT_REGISTRY.get(name)


def list_problems(tag: str | None = None, *, include_noisy: bool = False) -> list[Problem]:
    """The default battery (then user-registered problems), in a stable order.

    Parameters
    ----------
    tag : str, optional
        Keep only problems with this tag (one of :data:`TAGS`). ``tag="noisy"`` returns the
        noisy variants.
    include_noisy : bool, default False
        Also return the noisy variants (runge and exp-sin with noise 1e-8, sin-exp-log with 1e-6).

    Returns
    -------
    list of Problem
    """
    return DEFAULT_REGISTRY.list(tag, include_noisy=include_noisy)


def register_problem(
    name: str,
    expr: sympy.Expr,
    symbols: Sequence[sympy.Symbol] | sympy.Symbol,
    points: Iterable[Sequence[float]],
    *,
    domain: Sequence[tuple[float, float]],
    tags: Iterable[str],
    description: str,
) -> Problem:
    """Add a problem defined by a SymPy expression; :func:`list_problems` then includes it.

    Parameters
    ----------
    name : str
        New, unique name (not of the form ``rosenbrock-<n>`` and without ``~noise``).
    expr : sympy.Expr
        The function. Write it as it should be computed: the numpy callable evaluates exactly
        this expression, so ``(exp(x) - 1)/x`` cancels where ``expm1(x)/x`` would not.
    symbols : sequence of sympy.Symbol
        Its variables in coordinate order (declare them ``real=True``, so that ``Abs`` and
        ``sign`` differentiate as real functions).
    points : sequence of sequences of float
        Evaluation points; stored as float64.
    domain : sequence of (low, high)
        Box per variable for grid methods; must contain the points.
    tags : iterable of str
        Tags from :data:`TAGS`.
    description : str

    Returns
    -------
    Problem

    Examples
    --------
    >>> import sympy
    >>> t = sympy.Symbol("t", real=True)
    >>> p = register_problem("doc-exp", sympy.exp(2 * t), (t,), [(0.5,)],
    ...                      domain=[(0.0, 1.0)], tags={"smooth"}, description="exp(2t)")
    >>> p.exact_gradient([0.5])
    array([5.43656366])
    >>> unregister_problem("doc-exp")
    """
    DEFAULT_REGISTRY.check_name(name)
    problem = Problem(
        name=name,
        expr=expr,
        symbols=symbols,
        points=points,
        domain=domain,
        tags=tags,
        description=description,
    )
    return DEFAULT_REGISTRY.register(problem)


def unregister_problem(name: str) -> None:
    """Remove a problem added with :func:`register_problem` (built-in problems stay)."""
    DEFAULT_REGISTRY.unregister(name)


# --------------------------------------------------------------------------------------------
# what a sweep runs on
# --------------------------------------------------------------------------------------------
_FORMS = "a name, a Problem, a ProblemRegistry or a 'module:attr' string"


def resolve_problems(
    problems: Any = None, *, registry: ProblemRegistry | None = None
) -> list[Problem]:
    """The problems a sweep runs on, from what a user passes.

    Parameters
    ----------
    problems : None, str, Problem, ProblemRegistry or iterable of these
        None is the registry's problems with their noisy variants (for the default registry:
        the battery and runge, exp-sin and sin-exp-log with noise). A string is a problem name
        (see :func:`get_problem`) or ``"module:attr"``, an attribute of an importable module
        that is a Problem, an iterable of Problems or a ProblemRegistry. A ProblemRegistry
        stands for all its problems with their noisy variants.
    registry : ProblemRegistry, optional
        Where names are looked up; the default registry if not given.

    Returns
    -------
    list of Problem
        In the order given, each name once.

    Raises
    ------
    ValueError
        For an unknown name, a module that cannot be imported or lacks the attribute, or two
        different problems with the same name.
    TypeError
        For an entry or a module attribute of the wrong type.

    Examples
    --------
    >>> [p.name for p in resolve_problems(["runge", "rosenbrock-3", "runge"])]
    ['runge', 'rosenbrock-3']
    >>> len(resolve_problems()) == len(list_problems(include_noisy=True))
    True
    """
    if registry is None:
        registry = DEFAULT_REGISTRY
    elif not isinstance(registry, ProblemRegistry):
        raise TypeError(f"`registry` must be a ProblemRegistry, got {type(registry).__name__}.")
    if problems is None:
        return registry.list(include_noisy=True)
    if isinstance(problems, str | Problem | ProblemRegistry):
        problems = [problems]
    elif not isinstance(problems, Iterable):
        raise TypeError(
            f"`problems` must be {_FORMS}, or an iterable of these; got {type(problems).__name__}."
        )
    out: dict[str, Problem] = {}
    for item in problems:
        for problem in _expand(item, registry):
            kept = out.setdefault(problem.name, problem)
            if kept is not problem and kept != problem:
                raise ValueError(
                    f"`problems` has two different problems named {problem.name!r}; "
                    "names must identify a problem."
                )
    return list(out.values())


def _expand(item: Any, registry: ProblemRegistry) -> list[Problem]:
    if isinstance(item, Problem):
        return [item]
    if isinstance(item, ProblemRegistry):
        return item.list(include_noisy=True)
    if not isinstance(item, str):
        raise TypeError(f"`problems` entries must be {_FORMS}; got {item!r}.")
    if ":" in item and item not in registry:
        return _import_problems(item)
    try:
        return [registry.get(item)]
    except ValueError as exc:
        raise ValueError(f"`problems`: {exc}") from None


def _import_problems(spec: str) -> list[Problem]:
    obj, _, _ = import_attribute(spec, "problems")
    if isinstance(obj, Problem):
        return [obj]
    if isinstance(obj, ProblemRegistry):
        return obj.list(include_noisy=True)
    wrong = f"`problems`: {spec!r} must be a Problem, an iterable of Problems or a ProblemRegistry"
    if isinstance(obj, str | bytes) or not isinstance(obj, Iterable):
        raise TypeError(f"{wrong}; got {type(obj).__name__}.")
    items = list(obj)
    bad = [x for x in items if not isinstance(x, Problem)]
    if bad:
        raise TypeError(f"{wrong}; it holds a {type(bad[0]).__name__}: {bad[0]!r}.")
    return items
