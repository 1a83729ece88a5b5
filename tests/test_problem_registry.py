"""ProblemRegistry, the default registry's bounded memory, and resolve_problems."""

from __future__ import annotations

import gc
import sys
import textwrap
import weakref

import pytest
import sympy

from diffbench.battery import ROSENBROCK_CACHE_SIZE, rosenbrock
from diffbench.problems import (
    DEFAULT_REGISTRY,
    Problem,
    ProblemFamily,
    ProblemRegistry,
    get_problem,
    list_problems,
    resolve_problems,
)

u = sympy.Symbol("u", real=True)


def _problem(name: str, expr: sympy.Expr = u**2, point: float = 0.5) -> Problem:
    return Problem(name, expr, (u,), ((point,),), ((-1.0, 1.0),), frozenset({"smooth"}), name)


# -- ProblemRegistry -----------------------------------------------------------------------------
def test_separate_registries_do_not_see_each_others_problems():
    a = ProblemRegistry([_problem("only-in-a")])
    b = ProblemRegistry()
    b.register(_problem("only-in-b", u**3))
    assert a.names() == ["only-in-a"] and b.names() == ["only-in-b"]
    assert "only-in-b" not in a and "only-in-a" not in b
    for registry, other in ((a, "only-in-b"), (b, "only-in-a"), (DEFAULT_REGISTRY, "only-in-a")):
        with pytest.raises(ValueError, match=f"unknown problem '{other}'"):
            registry.get(other)
    assert "only-in-b" not in [p.name for p in list_problems()]
    assert "runge" not in a and len(a) == 1


def test_registry_lookup_listing_and_noisy_variants():
    cube, square = _problem("cube", u**3), _problem("square")
    reg = ProblemRegistry([cube, square], noisy=[("cube", 1e-6)])
    assert list(reg) == [cube, square] == reg.list()
    assert reg.get("cube") is cube and cube in reg and _problem("cube", u**4) not in reg
    noisy = reg.list(include_noisy=True)[2:]
    assert [p.name for p in noisy] == ["cube~noise1e-6"] == [p.name for p in reg.list("noisy")]
    assert reg.get("cube~noise1e-06") is noisy[0]  # kept: the same object
    assert reg.get("square~noise1e-3").noise == 1e-3  # any listed problem, on request
    assert reg.list(tag="smooth") == [cube, square]
    with pytest.raises(ValueError, match="`tag` must be one of"):
        reg.list(tag="wobbly")
    with pytest.raises(ValueError, match=r"choose from \['cube', 'square', '<name>~noise<level>'"):
        reg.get("cub")


def test_register_and_unregister_in_a_registry():
    reg = ProblemRegistry([_problem("fixed")])
    user = reg.register(_problem("user", u**3))
    assert reg.names() == ["fixed", "user"]
    kept = reg.get("user~noise1e-8")
    with pytest.raises(ValueError, match="`name` 'fixed' is not a user-registered problem"):
        reg.unregister("fixed")
    reg.unregister("user")
    assert "user" not in reg
    with pytest.raises(ValueError, match="unknown problem 'user'"):
        reg.get("user~noise1e-8")  # its noisy variant went with it
    reg.register(_problem("user", u**4))
    assert reg.get("user~noise1e-8").expr == u**4 != kept.expr
    with pytest.raises(ValueError, match="`name` 'user' is already taken"):
        reg.register(user)
    with pytest.raises(ValueError, match="`problem` 'fixed~noise1e-8' is noisy"):
        ProblemRegistry().register(reg.get("fixed~noise1e-8"))
    with pytest.raises(TypeError, match="`problem` must be a Problem"):
        reg.register("user2")


def test_registry_checks_the_ground_truth_at_every_point():
    pole = _problem("pole-at-0", 1 / u, 0.0)
    with pytest.raises(ValueError, match=r"'pole-at-0' is undefined at \(0\.0,\) \(ZeroDivision"):
        ProblemRegistry([pole])
    with pytest.raises(ValueError, match="undefined"):
        ProblemRegistry().register(pole)
    assert ProblemRegistry([pole], check_truth=False).names() == ["pole-at-0"]


def test_registry_constructor_rejects_bad_input():
    with pytest.raises(ValueError, match="`problems` has two problems named 'a'"):
        ProblemRegistry([_problem("a"), _problem("a", u**3)])
    with pytest.raises(ValueError, match="`problems`: 'a~noise1' must not contain '~noise'"):
        ProblemRegistry([_problem("a~noise1")])
    with pytest.raises(ValueError, match="`noisy` names 'b', which is not one of `problems`"):
        ProblemRegistry([_problem("a")], noisy=[("b", 1e-8)])
    with pytest.raises(ValueError, match="`noisy` levels must be positive"):
        ProblemRegistry([_problem("a")], noisy=[("a", 0.0)])
    with pytest.raises(TypeError, match="`noisy` entries must be"):
        ProblemRegistry([_problem("a")], noisy=["a"])
    with pytest.raises(TypeError, match="`families` must contain only ProblemFamily"):
        ProblemRegistry(families=[r"x-\d+"])
    with pytest.raises(ValueError, match="`cache_size` must be an integer >= 0"):
        ProblemRegistry(cache_size=-1)


def test_families_are_built_on_request_and_their_names_are_taken():
    def power(match):
        k = int(match.group(1))
        return _problem(f"power-{k}", u**k)

    reg = ProblemRegistry(families=[ProblemFamily(r"power-(\d+)", power, "power-<k>")])
    assert reg.get("power-5").expr == u**5 and reg.names() == []
    with pytest.raises(ValueError, match="`name` 'power-7' is already taken"):
        reg.register(_problem("power-7"))
    with pytest.raises(ValueError, match=r"choose from \['power-<k>'"):
        reg.get("power")


# -- bounded memory --------------------------------------------------------------------------------
def _alive(refs: list) -> int:
    gc.collect()
    return sum(r() is not None for r in refs)


def test_on_demand_problems_do_not_accumulate():
    refs = [weakref.ref(get_problem(f"rosenbrock-{n}")) for n in range(11, 61)]  # not 2, 10
    assert 1 <= _alive(refs) <= DEFAULT_REGISTRY.cache_size < 50
    refs = [weakref.ref(get_problem(f"runge~noise{k}e-9")) for k in range(1, 51)]
    assert 1 <= _alive(refs) <= DEFAULT_REGISTRY.cache_size
    refs = [weakref.ref(rosenbrock(n)) for n in range(70, 120)]
    assert 1 <= _alive(refs) <= ROSENBROCK_CACHE_SIZE
    # the battery itself stays
    assert get_problem("rosenbrock-10") is list_problems()[14]


def test_a_registry_without_cache_keeps_nothing():
    reg = ProblemRegistry([_problem("a")], cache_size=0)
    refs = [weakref.ref(reg.get(f"a~noise{k}e-9")) for k in range(1, 11)]
    assert _alive(refs) == 0
    assert reg.get("a~noise1e-8") == reg.get("a~noise1e-8")  # equal, though built twice


# -- resolve_problems ------------------------------------------------------------------------------
@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """An importable module `diffbench_user_problems` with problems in several shapes."""
    name = "diffbench_user_problems"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            import sympy
            from diffbench.problems import Problem, ProblemRegistry

            v = sympy.Symbol("v", real=True)

            def make(name, expr):
                return Problem(name, expr, (v,), ((0.5,),), ((0.0, 1.0),), {"smooth"}, name)

            one = make("user-exp", sympy.exp(v))
            many = [one, make("user-sin", sympy.sin(v))]
            registry = ProblemRegistry(many, noisy=[("user-sin", 1e-8)])

            class Holder:
                problems = (make("user-cos", sympy.cos(v)),)

            number = 3
            names = ["runge"]
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_resolve_none_is_the_battery_with_its_noisy_variants():
    assert resolve_problems() == list_problems(include_noisy=True)
    assert resolve_problems(DEFAULT_REGISTRY) == resolve_problems(None)


def test_resolve_names_problems_registries_and_mixtures():
    runge = get_problem("runge")
    assert resolve_problems("runge") == [runge]
    assert resolve_problems(runge) == [runge]
    own = _problem("own")
    reg = ProblemRegistry([own], noisy=[("own", 1e-8)])
    assert [p.name for p in resolve_problems(reg)] == ["own", "own~noise1e-8"]
    mixed = resolve_problems(["rosenbrock-3", own, reg, "runge", runge, "rosenbrock-3"])
    assert [p.name for p in mixed] == ["rosenbrock-3", "own", "own~noise1e-8", "runge"]
    assert mixed[3] is runge
    assert resolve_problems(p for p in [own]) == [own]  # any iterable
    assert resolve_problems(["own"], registry=reg) == [own]


def test_resolve_module_attributes(user_module):
    got = resolve_problems(f"{user_module}:one")
    assert [p.name for p in got] == ["user-exp"]
    assert [p.name for p in resolve_problems(f"{user_module}:many")] == ["user-exp", "user-sin"]
    names = [p.name for p in resolve_problems(f"{user_module}:registry")]
    assert names == ["user-exp", "user-sin", "user-sin~noise1e-8"]
    assert [p.name for p in resolve_problems(f"{user_module}:Holder.problems")] == ["user-cos"]
    mixed = resolve_problems(["runge", f"{user_module}:many", f"{user_module}:one"])
    assert [p.name for p in mixed] == ["runge", "user-exp", "user-sin"]


def test_a_registered_name_with_a_colon_is_a_name():
    odd = _problem("a:b")
    assert resolve_problems("a:b", registry=ProblemRegistry([odd])) == [odd]


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ("rungee", ValueError, r"^`problems`: unknown problem 'rungee'; choose from \[.*'runge'"),
        ("no_such_module_xyz:p", ValueError, r"^`problems`: cannot import module 'no_such_module_"),
        ("{mod}:missing", ValueError, r"^`problems`: module '{mod}' has no attribute 'missing'\.$"),
        (
            "{mod}:number",
            TypeError,
            r"^`problems`: '{mod}:number' must be a Problem, .* got int\.$",
        ),
        ("{mod}:names", TypeError, r"^`problems`: .* it holds a str: 'runge'\.$"),
        (":p", ValueError, r"^`problems`: ':p' must have the form 'module:attr'\.$"),
        ([3], TypeError, r"^`problems` entries must be a name, a Problem, .* got 3\.$"),
        ([["runge"]], TypeError, r"^`problems` entries must be"),
        (3.5, TypeError, r"^`problems` must be a name, .* got float\.$"),
    ],
)
def test_resolve_errors_are_one_line_and_name_problems(user_module, spec, error, match):
    if isinstance(spec, str):
        spec = spec.format(mod=user_module)
    with pytest.raises(error, match=match.format(mod=user_module)) as info:
        resolve_problems(spec)
    assert "\n" not in str(info.value)


def test_resolve_refuses_two_different_problems_with_one_name(tmp_path, monkeypatch):
    (tmp_path / "diffbench_broken_module.py").write_text("raise RuntimeError('boom\\nmore')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"cannot import .* \(RuntimeError: boom\)\.$"):
        resolve_problems("diffbench_broken_module:x")
    sys.modules.pop("diffbench_broken_module", None)
    with pytest.raises(ValueError, match="`problems` has two different problems named 'runge'"):
        resolve_problems(["runge", _problem("runge")])
    with pytest.raises(TypeError, match="`registry` must be a ProblemRegistry"):
        resolve_problems("runge", registry={})


def test_modules_in_the_working_directory_are_found(tmp_path, monkeypatch):
    # like `python -m`: `diffbench run --problems my_module:my_problems` from the project folder
    name = "diffbench_cwd_problems"
    (tmp_path / f"{name}.py").write_text(
        "import sympy\nfrom diffbench.problems import Problem\nv = sympy.Symbol('v', real=True)\n"
        "p = Problem('cwd-cube', v**3, (v,), ((0.5,),), ((0.0, 1.0),), set(), '')\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        assert [p.name for p in resolve_problems(f"{name}:p")] == ["cwd-cube"]
    finally:
        sys.modules.pop(name, None)
