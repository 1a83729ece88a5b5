"""Package promises: lazy exports stay what they are; `methods` never imports `diffbench`."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import diffbench


def test_exports_are_not_shadowed_by_submodules():
    # importing a submodule binds its name on the package: an export of the same name would
    # silently become the module (diffbench.sweep was once shadowed that way)
    for info in pkgutil.iter_modules(diffbench.__path__):
        importlib.import_module(f"diffbench.{info.name}")
    for name in diffbench.__all__:
        value = getattr(diffbench, name)
        assert not isinstance(value, types.ModuleType), f"diffbench.{name} is a module"


def test_methods_never_imports_diffbench():
    code = "import methods, sys; print(any(m.startswith('diffbench') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
