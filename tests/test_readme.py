"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert BLOCKS, "README.md must show the seed example"
    assert any('get_method("central", order=4)' in b for b in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(BLOCKS[index], f"README.md[python block {index}]", "exec"), namespace)


def test_readme_names_every_registered_method():
    import methods

    text = README.read_text()
    missing = [name for name in methods.method_names() if f"`{name}`" not in text]
    assert not missing, f"README.md does not document: {missing}"


def test_readme_names_every_battery_problem():
    from diffbench.problems import list_problems

    text = README.read_text()
    missing = [p.name for p in list_problems() if f"`{p.name}`" not in text]
    assert not missing, f"README.md does not document: {missing}"
