"""The coverage section says what was not collected, what it costs and how to fix it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audit.collect.last_accessed import not_requested
from audit.model import PART_ACCESS_ANALYZER, PART_LAST_ACCESSED, OutcomeStatus, Snapshot
from audit.report import write_reports
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


def _coverage_html(snapshot: Snapshot, out: Path) -> str:
    write_reports(snapshot, "0" * 64, audit_result(snapshot), out, ("html",))
    html = (out / "report.html").read_text(encoding="utf-8")
    return html.split('id="sec-coverage"', 1)[1].split("<table", 1)[0]


def test_a_complete_collection_says_what_was_not_requested(tmp_path: Path) -> None:
    snapshot = build_snapshot()
    ok = tuple(replace(o, status=OutcomeStatus.OK, message="") for o in snapshot.outcomes)
    asked = tuple(o for o in ok if o.part != PART_LAST_ACCESSED) + not_requested()
    snapshot = replace(snapshot, outcomes=asked)
    view = build_view(snapshot, "0" * 64, audit_result(snapshot))
    assert view.coverage_complete  # not requested is a choice, not a failure (exit 0)
    text = _coverage_html(snapshot, tmp_path)
    assert "Every" not in text and "every" not in text
    assert "Not requested" in text and PART_LAST_ACCESSED in text
    assert "run with --last-accessed" in text
    everything = replace(snapshot, outcomes=ok)
    assert "Not requested" not in _coverage_html(everything, tmp_path / "all")


def test_an_api_the_endpoint_lacks_is_named_too(tmp_path: Path) -> None:
    snapshot = build_snapshot()
    outcomes = tuple(
        replace(o, status=OutcomeStatus.NOT_SUPPORTED, message="404 from the endpoint")
        if o.part == PART_ACCESS_ANALYZER
        else replace(o, status=OutcomeStatus.OK, message="")
        for o in snapshot.outcomes
    )
    text = _coverage_html(replace(snapshot, outcomes=outcomes), tmp_path)
    assert "Not offered by the endpoint" in text and PART_ACCESS_ANALYZER in text
    assert "every" not in text.lower()
