"""Comments and docstrings point to files inside this repository, and those files exist."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = [p for d in ("audit", "tests", "bench") for p in sorted((REPO / d).rglob("*.py"))]
OUTSIDE = re.compile("shared" + "/reference" + "|/wo" + "rk/")  # split: this file is scanned too
DOC_PATH = re.compile(r"\bdocs/[\w./-]+\.(?:md|json)")


def test_no_source_points_outside_the_repository() -> None:
    offenders = [
        f"{p.relative_to(REPO)}:{n}"
        for p in SOURCES
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_every_docs_path_named_in_the_sources_exists() -> None:
    named = {m for p in SOURCES for m in DOC_PATH.findall(p.read_text(encoding="utf-8"))}
    assert {"docs/controls.md", "docs/credential-report.md", "docs/moto.md"} <= named
    assert sorted(n for n in named if not (REPO / n).is_file()) == []
