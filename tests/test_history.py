"""The history layout: one folder per run, never reused, read back in order."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from audit.errors import InputError
from audit.findings import Finding, Severity, Status, finding_record
from audit.findings_file import finding_from_record
from audit.model import ApiOutcome, OutcomeStatus, Snapshot
from audit.settings import Settings
from audit.workflow.history import (
    Run,
    earlier_runs,
    list_runs,
    load_run,
    new_run_dir,
    parse_run,
    run_findings,
    trend,
)
from tests.fixtures import runs
from tests.fixtures.snapshots import snapshot as shared_snapshot

ACCT = "123456789012"
T0 = datetime(2026, 3, 31, 23, 59, 58, tzinfo=UTC)


def snapshot(when: datetime) -> Snapshot:
    ok = ApiOutcome("iam:GetCredentialReport", "credential_report", OutcomeStatus.OK)
    return shared_snapshot(at=when, account_id=ACCT, outcomes=(ok,))


def finding(
    name: str, severity: Severity, status: Status = Status.FAIL, **details: object
) -> Finding:
    return Finding(
        rule_id="access-key-rotation",
        title="Active access keys are rotated within 90 days",
        status=status,
        severity=severity,
        resource_type="user",
        resource_name=name,
        resource_arn=f"arn:aws:iam::{ACCT}:user/{name}",
        message=f"{name}: old key",
        controls=("CIS v5.0 1.13",),
        remediation="rotate",
        details=details,
    )


def write_run(base: Path, when: datetime, findings: list[Finding]) -> Path:
    """A run folder as `run` writes it: snapshot, findings.json (with details), summary.json."""
    return runs.write_run(base, snapshot(when), findings)


def posture_of(run_dir: Path) -> float:
    """The posture score the run reported in its summary.json."""
    value = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["posture_score"]
    assert isinstance(value, float)
    return value


def no_warning(line: str) -> None:
    raise AssertionError(f"unexpected warning: {line}")


def test_new_run_dir_layout_and_never_reuses_a_folder(tmp_path: Path) -> None:
    first = new_run_dir(tmp_path, ACCT, T0)
    assert first == tmp_path / ACCT / "20260331T235958Z"
    assert first.is_dir()
    (first / "report.html").write_text("earlier run", encoding="utf-8")
    second = new_run_dir(tmp_path, ACCT, T0)
    third = new_run_dir(tmp_path, ACCT, T0)
    assert [second.name, third.name] == ["20260331T235958Z-2", "20260331T235958Z-3"]
    assert (first / "report.html").read_text(encoding="utf-8") == "earlier run"


def test_a_non_utc_time_is_named_in_utc(tmp_path: Path) -> None:
    local = T0.astimezone(timezone(timedelta(hours=2)))  # 2026-04-01 01:59:58+02:00
    assert new_run_dir(tmp_path, ACCT, local).name == "20260331T235958Z"


def test_concurrent_runs_in_the_same_second_get_distinct_folders(tmp_path: Path) -> None:
    made: list[Path] = []
    lock = threading.Lock()

    def one() -> None:
        path = new_run_dir(tmp_path, ACCT, T0)
        with lock:
            made.append(path)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 8


def test_account_id_cannot_escape_the_reports_folder(tmp_path: Path) -> None:
    for bad in ("../etc", "a/b", "..", ""):
        with pytest.raises(InputError, match="cannot name a reports folder"):
            new_run_dir(tmp_path, bad, T0)


def test_list_runs_sorts_by_time_then_sequence_and_ignores_other_folders(tmp_path: Path) -> None:
    acct_dir = tmp_path / ACCT
    for name in (
        "20260401T000000Z-10",
        "20260401T000000Z",
        "20251231T120000Z",
        "20260401T000000Z-2",
    ):
        (acct_dir / name).mkdir(parents=True)
    (acct_dir / "notes").mkdir()
    (acct_dir / "20260401T999999Z").mkdir()  # not a valid time
    (acct_dir / "20260501T000000Z").write_text("a file, not a run", encoding="utf-8")
    names = [r.path.name for r in list_runs(tmp_path, ACCT)]
    assert names == [
        "20251231T120000Z",
        "20260401T000000Z",
        "20260401T000000Z-2",
        "20260401T000000Z-10",
    ]
    assert list_runs(tmp_path, "999999999999") == ()
    assert parse_run(acct_dir / "20260401T000000Z-2") == Run(
        acct_dir / "20260401T000000Z-2", datetime(2026, 4, 1, tzinfo=UTC), 2
    )


def test_earlier_runs_are_those_before_the_current_one_with_a_snapshot(tmp_path: Path) -> None:
    r1 = write_run(tmp_path, T0, [])
    r2 = write_run(tmp_path, T0 + timedelta(days=90), [])
    new_run_dir(tmp_path, ACCT, T0 + timedelta(days=100))  # interrupted: no snapshot
    r3 = write_run(tmp_path, T0 + timedelta(days=180), [])
    warnings: list[str] = []
    assert [r.path for r in earlier_runs(tmp_path, ACCT, r3, warn=warnings.append)] == [r1, r2]
    assert [r.path for r in earlier_runs(tmp_path, ACCT, r2, warn=no_warning)] == [r1]
    assert earlier_runs(tmp_path, ACCT, current=r1, warn=no_warning) == ()
    assert [r.path for r in earlier_runs(tmp_path, ACCT, warn=warnings.append)] == [r1, r2, r3]
    assert len(warnings) == 2 and "20260709T235958Z: an incomplete run" in warnings[0]


def test_load_run_reads_back_snapshot_and_findings(tmp_path: Path) -> None:
    suppressed = Finding(
        **{
            **finding("bob", Severity.HIGH).__dict__,
            "status": Status.SUPPRESSED,
            "suppression": {"owner": "o", "reason": "r", "expires": "2027-01-01", "ticket": ""},
        }
    )
    original = [finding("alice", Severity.MEDIUM, key=2), suppressed]
    run_dir = write_run(tmp_path, T0, original)
    snap, findings = load_run(run_dir, Settings())
    assert snap.meta.account_id == ACCT and snap.meta.collected_at == T0
    assert list(findings) == original


def test_a_run_without_findings_json_is_evaluated_from_its_snapshot(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, T0, [])
    (run_dir / "findings.json").unlink()
    findings = run_findings(run_dir, Settings())
    assert findings  # the engine ran every rule on the stored snapshot
    assert {f.rule_id for f in findings} >= {"user-console-mfa", "access-key-rotation"}


def test_load_run_errors_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a run folder"):
        load_run(tmp_path / "missing", Settings())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no snapshot.json.gz"):
        load_run(empty, Settings())
    run_dir = write_run(tmp_path, T0, [])
    (run_dir / "findings.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read findings"):
        load_run(run_dir, Settings())
    (run_dir / "findings.json").write_text('[{"rule_id": "x"}]', encoding="utf-8")
    with pytest.raises(InputError, match="finding record is malformed"):
        load_run(run_dir, Settings())


def test_finding_from_record_accepts_the_issue_2_contract_without_details() -> None:
    f = finding("alice", Severity.LOW)
    assert finding_from_record(finding_record(f)) == Finding(**{**f.__dict__, "details": {}})


def test_trend_has_one_point_per_run_oldest_first(tmp_path: Path) -> None:
    first = write_run(
        tmp_path,
        T0,
        [finding("a", Severity.HIGH), finding("b", Severity.HIGH), finding("c", Severity.LOW)],
    )
    second = write_run(
        tmp_path,
        T0 + timedelta(days=91),
        [finding("a", Severity.HIGH), finding("c", Severity.LOW, status=Status.PASS)],
    )
    broken = write_run(tmp_path, T0 + timedelta(days=120), [])
    (broken / "findings.json").write_text("[", encoding="utf-8")
    (broken / "summary.json").write_text("{", encoding="utf-8")
    warnings: list[str] = []
    points = trend(list_runs(tmp_path, ACCT), Settings(), warn=warnings.append)
    assert [p.label for p in points] == ["20260331T235958Z", "20260630T235958Z"]
    assert [p.posture for p in points] == [posture_of(first), posture_of(second)]
    assert posture_of(first) < posture_of(second)
    (warning,) = warnings
    assert warning.startswith(f"skipped {broken}: cannot be read (cannot read findings ")
    assert [p.failing[Severity.HIGH] for p in points] == [2, 1]
    assert [p.failing[Severity.LOW] for p in points] == [1, 0]
    assert [p.failing_total for p in points] == [3, 1]
