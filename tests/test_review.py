"""Changes since the last review and the trend, as the report and the console show them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from audit.engine import evaluate
from audit.findings import AuditResult, Severity
from audit.model import Snapshot
from audit.report.charts import trend_charts
from audit.report.view_review import trend_series
from audit.settings import Settings
from audit.snapshot_io import write_snapshot
from audit.workflow.history import new_run_dir
from audit.workflow.review import Review, change_lines
from audit.workflow.review import build_review as build
from tests.cli_helpers import exit_code
from tests.fixtures.review_snapshots import ACCT, T1, T2, after, before
from tests.fixtures.runs import write_run
from tests.fixtures.snapshots import user


def at(snapshot: Snapshot, days: int) -> Snapshot:
    """The same account state, collected ``days`` after T1."""
    return replace(snapshot, meta=replace(snapshot.meta, collected_at=T1 + timedelta(days=days)))


def store(base: Path, snapshot: Snapshot) -> Path:
    """A run folder as `run` leaves it (snapshot, findings.json, summary.json)."""
    return write_run(base, snapshot)


def build_review(
    base: Path, snapshot: Snapshot, result: AuditResult, current: Path | None = None
) -> Review | None:
    """build_review with the default settings, failing on any warning (none expected here)."""

    def no_warning(line: str) -> None:
        raise AssertionError(f"unexpected warning: {line}")

    return build(base, snapshot, result, current, Settings(), warn=no_warning)


def test_no_earlier_run_means_no_review(tmp_path: Path) -> None:
    snap = after()
    assert build_review(tmp_path, snap, evaluate(snap)) is None


def test_review_compares_with_the_latest_earlier_run_and_trends_over_all(tmp_path: Path) -> None:
    first = store(tmp_path, at(before(), -90))
    second = store(tmp_path, before())  # T1
    store(tmp_path, at(after(), 200))  # collected after the current snapshot: not earlier
    current = new_run_dir(tmp_path, ACCT, T2)
    snap = after()
    review = build_review(tmp_path, snap, evaluate(snap), current)
    assert review is not None
    assert review.previous.path == second
    assert review.diff.old_when == T1 and review.diff.new_when == T2
    assert [p.label for p in review.trend] == [first.name, second.name, current.name]
    assert review.current.when == T2
    assert review.current.posture is not None
    # persisting findings count from the first run of the unbroken streak
    assert min(c.first_seen for c in review.diff.persisting if c.first_seen) == T1 - timedelta(
        days=90
    )


def test_a_rebuilt_report_of_the_same_snapshot_is_not_compared_with_itself(
    tmp_path: Path,
) -> None:
    store(tmp_path, after())
    rebuilt = new_run_dir(tmp_path, ACCT, T2)  # the -2 folder of the same second
    snap = after()
    assert build_review(tmp_path, snap, evaluate(snap), rebuilt) is None


def test_a_damaged_previous_run_is_passed_over_with_a_warning(tmp_path: Path) -> None:
    good = store(tmp_path, at(before(), -90))
    damaged = store(tmp_path, before())
    (damaged / "snapshot.json.gz").write_bytes(b"not gzip")
    snap = after()
    warnings: list[str] = []
    review = build(tmp_path, snap, evaluate(snap), None, Settings(), warn=warnings.append)
    assert review is not None
    assert review.previous.path == good
    assert warnings == [
        f"skipped {damaged}: cannot be read (snapshot is not valid gzip/JSON: "
        "Expecting value: line 1 column 1 (char 0))"
    ]


def test_change_lines_summarise_and_stop_at_the_limit(tmp_path: Path) -> None:
    store(tmp_path, at(before(), -90))
    store(tmp_path, before())
    snap = after()
    review = build_review(tmp_path, snap, evaluate(snap))
    assert review is not None
    lines = change_lines(review, limit=3)
    d = review.diff
    assert lines[0] == (
        f"Since 2026-06-30 (20260630T090000Z): {len(d.new)} new, {len(d.resolved)} resolved, "
        f"{len(d.persisting)} persisting finding(s); 21 identity change(s)."
    )
    assert lines[1].startswith("Posture score ") and lines[1].endswith("over 3 reviews.")
    assert len(lines) == 2 + 3 + 1
    assert lines[-1].startswith("... and ") and lines[-1].endswith("more (see diff.csv)")


def test_trend_charts_are_inline_svg_and_reproducible(tmp_path: Path) -> None:
    store(tmp_path, at(before(), -90))
    store(tmp_path, before())
    snap = after()
    review = build_review(tmp_path, snap, evaluate(snap))
    assert review is not None
    series = trend_series(review.trend)
    (posture, severity), again = trend_charts(series), trend_charts(series)
    assert posture.startswith("<svg") and severity.startswith("<svg")
    assert (posture, severity) == again  # byte-identical reruns
    for day in ("2026-04-01", "2026-06-30", "2026-09-30"):
        assert day in posture and day in severity
    assert 'id="chart-trend-posture-' in posture
    for sev in Severity:
        assert sev.label in severity  # the legend


def test_the_report_shows_changes_trend_and_accepted_risks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    accepted = tmp_path / "accepted.toml"
    accepted.write_text(
        "[[suppressions]]\n"
        'rule = "user-console-mfa"\n'
        'resource = "er*"\n'
        'reason = "<script>alert(1)</script> token on order"\n'
        'owner = "secops@example.com"\n'
        'ticket = "SEC-42"\n'
        "expires = 2027-01-15\n",
        encoding="utf-8",
    )
    for snapshot in (before(), after()):
        path = tmp_path / "s.json.gz"
        write_snapshot(snapshot, path)
        code = exit_code(
            ["report", str(path), "--format", "html,pdf", "--suppressions", str(accepted), "-q"]
        )
        assert code == 0
    first, second = sorted((tmp_path / "reports" / ACCT).iterdir())
    assert "sec-changes" not in (first / "report.html").read_text(encoding="utf-8")
    html = (second / "report.html").read_text(encoding="utf-8")
    assert 'id="sec-changes"' in html and 'href="#sec-changes"' in html
    assert "Changes since the last review" in html
    assert "alice added to group Developers" in html
    assert "AdministratorAccess detached from user carol" in html
    assert 'id="chart-trend-posture-' in html and 'id="chart-trend-severity-' in html
    assert 'id="sec-accepted"' in html
    assert "secops@example.com" in html and "SEC-42" in html and "2027-01-15" in html
    assert "<script>alert(1)</script>" not in html  # escaped like every other value
    assert "&lt;script&gt;alert(1)&lt;/script&gt; token on order" in html
    text = " ".join(p.extract_text() or "" for p in PdfReader(second / "report.pdf").pages)
    assert "Changes since the last review" in text
    assert "Accepted risks" in text
    assert "secops@example.com" in text
    # diff files sit next to the reports of the second run
    assert (second / "diff.json").is_file() and (second / "diff.csv").is_file()


def test_first_seen_chains_through_each_runs_own_diff_json(tmp_path: Path) -> None:
    from audit.workflow.diff import known_first_seen, load_side
    from audit.workflow.review import write_diff_files

    q0 = at(before(), -90)
    first = store(tmp_path, q0)
    second = store(tmp_path, before())
    snap1 = before()
    review1 = build_review(tmp_path, snap1, evaluate(snap1), second)
    assert review1 is not None
    write_diff_files(review1, second)
    known = known_first_seen(second)
    assert known is not None and min(known.values()) == q0.meta.collected_at
    # The oldest run is gone; the second run's own diff.json still knows the dates.
    for child in first.iterdir():
        child.unlink()
    first.rmdir()
    side = load_side(second, Settings(), warn=print)
    assert side.history == () and side.first_seen_known == known
    snap2 = after()
    review2 = build_review(tmp_path, snap2, evaluate(snap2))
    assert review2 is not None
    assert min(c.first_seen for c in review2.diff.persisting if c.first_seen) == (
        q0.meta.collected_at
    )


def test_an_adhoc_diff_json_is_not_trusted_for_first_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit.workflow.diff import known_first_seen

    monkeypatch.chdir(tmp_path)
    old = store(tmp_path, before())
    new = store(tmp_path, after())
    assert exit_code(["diff", str(old), str(new), "-q"]) == 0
    assert json.loads((new / "diff.json").read_text(encoding="utf-8"))["kind"] == "adhoc"
    assert known_first_seen(new) is None


def test_trend_reads_summary_json_without_touching_the_findings(tmp_path: Path) -> None:
    from audit.workflow.history import list_runs, trend

    run_dir = store(tmp_path, before())
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    (run_dir / "findings.json").write_text("[", encoding="utf-8")  # never read
    (run_dir / "snapshot.json.gz").write_bytes(b"")  # never read
    (point,) = trend(list_runs(tmp_path, ACCT), Settings(), warn=print)
    assert point.posture == summary["posture_score"]
    assert {sev.label: n for sev, n in point.failing.items()} == summary["failing_by_severity"]
    assert point.failing_total == sum(summary["failing_by_severity"].values()) > 0


def test_the_screen_report_caps_long_change_lists(tmp_path: Path) -> None:
    from audit.report import ReportOptions, write_reports

    store(tmp_path, before())
    many = tuple(user(f"u{i:04}", user_id=f"AIDA{i}") for i in range(600))
    snap = replace(after(), users=(*after().users, *many))
    result = evaluate(snap)
    review = build_review(tmp_path, snap, result)
    assert review is not None and len(review.diff.identity) > 600
    out = tmp_path / "out"
    (html,) = write_reports(snap, "0" * 64, result, out, ("html",), ReportOptions(), review=review)
    text = html.read_text(encoding="utf-8")
    assert f"and {len(review.diff.identity) - 500} more, see diff.csv" in text
    assert (
        "u0499" in text and "u0599" not in text.split('id="sec-changes"')[1].split("</section>")[0]
    )
