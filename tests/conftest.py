"""Test configuration: hypothesis runs the same examples in CI (CI=true), new ones locally."""

from __future__ import annotations

import os

from hypothesis import settings

# CI must not fail on an example nobody has seen before; local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
