"""run.json's provenance: the commit, whether the checkout was dirty, the libraries, BLAS, CPU."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
import sympy

import diffbench.provenance as provenance_module
from diffbench.problems import Problem
from diffbench.provenance import CORE_PACKAGES, git_state, package_versions, provenance
from diffbench.runner import sweep

REPO = Path(__file__).resolve().parents[1]
KEYS = {"git_commit", "git_dirty", "packages", "blas", "cpu", "machine"}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_run_json_records_the_provenance(tmp_path: Path) -> None:
    t = sympy.Symbol("t", real=True)
    prob = Problem("tiny-sq", t**2, (t,), ((0.5,),), ((-1.0, 1.0),), frozenset(), "t**2")
    sweep(["sympy"], [prob], cost=False, output=tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    prov = info["provenance"]
    assert set(prov) == KEYS
    now = json.loads(json.dumps(provenance()))  # JSON-able; the same as asked now (the
    # checkout's dirty state may change meanwhile: files written by the tests)
    assert {k: v for k, v in prov.items() if k != "git_dirty"} == {
        k: v for k, v in now.items() if k != "git_dirty"
    }
    for name in CORE_PACKAGES:
        assert prov["packages"][name] == version(name)
    assert prov["machine"] == platform.machine() and prov["cpu"] and prov["blas"]
    if shutil.which("git") and (REPO / ".git").exists():
        assert prov["git_commit"] == _git(REPO, "rev-parse", "HEAD")
        assert isinstance(prov["git_dirty"], bool)


def test_installed_peers_are_listed_and_missing_ones_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import methods

    peers = {
        methods.method_class(n).wraps
        for n in methods.method_names()
        if methods.method_class(n).is_peer()
    }
    assert peers  # the registry has peers: numdifftools, findiff, ...
    listed = package_versions()
    installed = set(listed) - set(CORE_PACKAGES)
    assert installed <= peers
    gone = sorted(peers)[0]
    real_version = provenance_module.version

    def version_without(name: str) -> str:
        if name == gone:
            raise provenance_module.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(provenance_module, "version", version_without)
    assert gone not in package_versions()


@needs_git
def test_git_commit_and_dirty_state_of_a_checkout(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = _git(tmp_path, "rev-parse", "HEAD")
    assert git_state(tmp_path) == (head, False)
    (tmp_path / "a.txt").write_text("two\n")
    assert git_state(tmp_path) == (head, True)


@needs_git
def test_no_commit_outside_a_checkout_or_without_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a folder inside someone else's repository is not a checkout of diffbench
    _git(tmp_path, "init", "-q")
    (tmp_path / "site-packages").mkdir()
    assert git_state(tmp_path / "site-packages") == (None, None)
    assert git_state(tmp_path) == (None, None)  # a repository without commits
    monkeypatch.setattr(provenance_module.shutil, "which", lambda name: None)
    assert git_state(REPO) == (None, None)
    prov = provenance()
    assert prov["git_commit"] is None and prov["git_dirty"] is None


def test_a_git_that_hangs_is_given_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()

    def hang(*args: object, **kwargs: object) -> None:
        assert kwargs["timeout"] == provenance_module.GIT_TIMEOUT
        raise subprocess.TimeoutExpired(cmd="git", timeout=kwargs["timeout"])

    monkeypatch.setattr(provenance_module.subprocess, "run", hang)
    monkeypatch.setattr(provenance_module.shutil, "which", lambda name: "/usr/bin/git")
    assert git_state(tmp_path) == (None, None)
