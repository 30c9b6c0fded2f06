"""Fixtures for the report tests: a report written once per session, and a factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.findings import AuditResult
from audit.model import Snapshot
from audit.report import ReportOptions, write_reports
from tests.report.factories import ReportFactory, audit_result, build_snapshot


@pytest.fixture
def make_report(tmp_path: Path) -> ReportFactory:
    def make(
        formats: tuple[str, ...] = ("html", "pdf", "csv", "json"),
        options: ReportOptions | None = None,
        extra_console_users: int = 0,
    ) -> tuple[Path, Snapshot, AuditResult, list[Path]]:
        snap = build_snapshot(extra_console_users)
        result = audit_result(snap)
        out = tmp_path / "out"
        written = write_reports(snap, "ab" * 32, result, out, formats, options or ReportOptions())
        return out, snap, result, written

    return make


@pytest.fixture(scope="session")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All formats of one report, with 30 extra users so the PDF cut (limit 25) shows."""
    snap = build_snapshot(extra_console_users=30)
    out = tmp_path_factory.mktemp("report")
    write_reports(
        snap, "ab" * 32, audit_result(snap), out, options=ReportOptions(prepared_by="Jane Auditor")
    )
    return out
