"""docs/theory.md: every citation of it resolves, and its numbers are the code's numbers."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from methods import method_class, method_names
from methods.fornberg import stencil

ROOT = Path(__file__).resolve().parents[1]
# Built from parts so that this file does not match its own checks.
DOC_NAME = "theory" + ".md"
THEORY = ROOT / "docs" / DOC_NAME
FORBIDDEN = ("../" + "shared", "/work/" + "shared")
#: A path-like token ending in the document's name, with an optional anchor.
CITATION = re.compile(r"([\w./-]*)" + re.escape(DOC_NAME) + r"(?:#([\w-]+))?")


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors() -> set[str]:
    return {
        _slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", THEORY.read_text(), re.M)
    }


def _repository_files() -> list[Path]:
    """The files git tracks, plus untracked ones not ignored (a new file is checked too)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        skip = {".git", ".venv", ".asv", "__pycache__", "node_modules"}
        return [
            p
            for p in ROOT.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
        ]
    names = [n for n in out.decode().split("\0") if n]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def _text_files() -> dict[str, str]:
    texts = {}
    for path in _repository_files():
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (figures)
            continue
        texts[path.relative_to(ROOT).as_posix()] = data.decode("utf-8", errors="replace")
    return texts


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    files = _text_files()
    assert "docs/theory.md" in files and "methods/fornberg.py" in files
    return files


def test_theory_document_has_the_sections_the_code_cites() -> None:
    anchors = _anchors()
    for needed in (
        "error-model",
        "optimal-steps",
        "fornberg-weights",
        "step-semantics",
        "complex-step",
        "exact-methods-differentiate-the-program",
        "extrapolation",
        "noisy-functions",
        "library-defaults",
        "error-metric",
        "traps-when-checking-accuracy",
        "references",
    ):
        assert needed in anchors, f"docs/theory.md has no heading with anchor #{needed}"


def test_every_citation_is_docs_theory_with_an_existing_anchor(texts: dict[str, str]) -> None:
    anchors = _anchors()
    bad = []
    for name, text in texts.items():
        for m in CITATION.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            if m.group(1) != "docs/":
                bad.append(f"{name}:{line}: cites {m.group(0)!r}, not docs/{DOC_NAME}")
            elif m.group(2) is not None and m.group(2) not in anchors:
                bad.append(f"{name}:{line}: no heading for anchor #{m.group(2)}")
    assert not bad, "\n".join(bad)


def test_code_cites_the_theory_document(texts: dict[str, str]) -> None:
    # the check above must have something to check
    cited = [n for n, t in texts.items() if CITATION.search(t) and n.startswith("methods/")]
    assert len(cited) >= 5


def test_no_file_points_outside_the_repository(texts: dict[str, str]) -> None:
    bad = [
        f"{name}: mentions {word!r}"
        for name, text in texts.items()
        for word in FORBIDDEN
        if word in text
    ]
    assert not bad, "\n".join(bad)


def test_readme_points_at_the_theory_document() -> None:
    assert "docs/theory.md" in (ROOT / "README.md").read_text()


def _table_rows(header: str) -> list[list[str]]:
    """Cells of the Markdown table whose header row starts with ``header``."""
    lines = THEORY.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_default_step_table_matches_theoretical_step() -> None:
    table = {}
    for cells in _table_rows("| variants (labels)"):
        for label in re.findall(r"`([^`]+)`", cells[0]):
            table[label] = float(cells[5])
    expected = {}
    for name in method_names():
        cls = method_class(name)
        for settings in cls.variants():
            method = cls(**settings)
            step = method.theoretical_step()
            if step is not None:
                expected[method.label] = step
    assert set(table) == set(expected), "the table must list every variant with a default step"
    for label, step in expected.items():
        assert table[label] == pytest.approx(step, rel=6e-3), label


def test_fornberg_examples_match_the_code() -> None:
    rows = _table_rows("| m | scheme | p |")
    assert len(rows) >= 10
    for m, scheme, p, weights in rows:
        printed = tuple(Fraction(w) for w in weights.strip("`").split(","))
        assert stencil(scheme, int(m), int(p)).weights == printed, (m, scheme, p)


def test_slug_follows_github() -> None:
    assert _slug("Exact methods differentiate the program") == (
        "exact-methods-differentiate-the-program"
    )
    assert _slug("Traps when checking accuracy") == "traps-when-checking-accuracy"
    assert _slug("Step semantics (relative, absolute)") == "step-semantics-relative-absolute"
