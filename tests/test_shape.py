"""The shape of the tree that the measuring-core refactor reached, kept from sliding back.

* no module in ``diffbench/`` or ``methods/`` longer than 800 lines;
* no function in ``diffbench/`` longer than 100 lines (docstring excluded; the battery's data
  table is exempt);
* no dispatch on family names or on label suffixes in ``diffbench/`` (capabilities and table
  columns say what a method is);
* ``methods/`` never imports ``diffbench``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIFFBENCH = sorted((ROOT / "diffbench").rglob("*.py"))
METHODS = sorted((ROOT / "methods").rglob("*.py"))
#: data tables, not logic
EXEMPT_FUNCTIONS = {("battery.py", "battery")}
FAMILY_NAMES = (
    "finite-difference",
    "grid",
    "complex-step",
    "extrapolation",
    "forward-mode AD",
    "reverse-mode AD",
    "symbolic",
)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def function_lengths(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[0]
            docstring = isinstance(first, ast.Expr) and isinstance(
                getattr(first, "value", None), ast.Constant
            )
            start = first.end_lineno + 1 if docstring and len(body) > 1 else first.lineno
            yield node.name, node.lineno, node.end_lineno - start + 1


@pytest.mark.parametrize("path", DIFFBENCH + METHODS, ids=rel)
def test_modules_are_at_most_800_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 800


def test_functions_in_diffbench_are_at_most_100_lines():
    long = [
        f"{rel(p)}:{line} {name} ({n} lines)"
        for p in DIFFBENCH
        for name, line, n in function_lengths(p)
        if n > 100 and (p.name, name) not in EXEMPT_FUNCTIONS
    ]
    assert not long, long


def test_the_shape_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(101))
    path = tmp_path / "long.py"
    path.write_text(f'def f():\n    """doc."""\n{body}\n')
    assert [n for _, _, n in function_lengths(path)] == [101]


def test_no_dispatch_on_family_names_or_label_suffixes_in_diffbench():
    names = "|".join(re.escape(f) for f in FAMILY_NAMES)
    family_test = re.compile(rf"family\s*(==|!=|in)\s*[\(\[{{]?\s*[\"']({names})[\"']")
    suffix_test = re.compile(r"(endswith|removesuffix|split)\(\s*[\"'] \[grid\]")
    found = [
        f"{rel(p)}:{i}: {line.strip()}"
        for p in DIFFBENCH
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if family_test.search(line) or suffix_test.search(line)
    ]
    assert not found, found


def test_methods_never_imports_diffbench():
    imports = re.compile(r"^\s*(from|import)\s+diffbench\b", re.M)
    found = [rel(p) for p in METHODS if imports.search(p.read_text(encoding="utf-8"))]
    assert not found, found
