"""The coverage section says what was not collected, what it costs and how to fix it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audit.report.view import build_view
from tests.report.factories import audit_result, build_snapshot


def test_denied_api_names_the_permission_and_the_rules_it_blinds() -> None:
    snapshot = build_snapshot()
    view = build_view(snapshot, "0" * 64, audit_result(snapshot))
    (row,) = [c for c in view.coverage if c.api == "access-analyzer:ListAnalyzers"]
    assert row.status == "access_denied"
    assert "Grant access-analyzer:ListAnalyzers" in row.remedy
    assert row.affected_rules == ("access-analyzer-enabled", "access-analyzer-unused-findings")
    ok_rows = [c for c in view.coverage if c.status == "ok"]
    assert ok_rows and all(not c.remedy and not c.affected_rules for c in ok_rows)


def test_html_shows_the_fix(full_report: Path) -> None:
    html = (full_report / "report.html").read_text()
    assert "Grant access-analyzer:ListAnalyzers to the auditing principal" in html
    assert "Not assessed meanwhile: access-analyzer-enabled" in html


def test_throttled_then_ok_is_said() -> None:
    snapshot = build_snapshot()
    outcomes = tuple(
        replace(o, retries=2) if o.part == "authorization_details" else o for o in snapshot.outcomes
    )
    snapshot = replace(snapshot, outcomes=outcomes)
    view = build_view(snapshot, "0" * 64, audit_result(snapshot))
    (row,) = [c for c in view.coverage if c.part == "authorization_details"]
    assert (row.status, row.message) == ("ok", "throttled, then ok after 2 retries")
    assert not row.remedy
