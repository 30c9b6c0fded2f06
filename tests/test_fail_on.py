"""The CI gate: --fail-on SEVERITY and how its exit code combines with an incomplete collection."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from audit.errors import EXIT_FAIL_ON, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, InputError
from audit.findings import AuditResult, Finding, Severity, Status
from audit.model import ApiOutcome, OutcomeStatus, Snapshot
from audit.snapshot_io import write_snapshot
from audit.workflow.gate import exit_code, gate_failures, gate_message, parse_fail_on
from tests.cli_helpers import run_cli
from tests.fixtures.review_snapshots import after

AS_OF = datetime(2026, 9, 30, tzinfo=UTC)


def finding(severity: Severity, status: Status = Status.FAIL, name: str = "u") -> Finding:
    return Finding(
        rule_id="user-console-mfa",
        title="t",
        status=status,
        severity=severity,
        resource_type="user",
        resource_name=name,
        resource_arn="",
        message="m",
        controls=(),
        remediation="r",
    )


def incomplete() -> Snapshot:
    """The fixture account with one API call denied: collection incomplete (exit 3)."""
    snap = after()
    denied = ApiOutcome("iam:ListAccountAliases", "account_aliases", OutcomeStatus.ACCESS_DENIED)
    return replace(snap, outcomes=(*snap.outcomes, denied))


@pytest.mark.parametrize(
    ("threshold", "hits"),
    [
        (Severity.CRITICAL, 0),
        (Severity.HIGH, 1),  # at the threshold counts
        (Severity.MEDIUM, 2),
        (Severity.INFO, 3),
    ],
)
def test_failures_at_or_above_the_threshold(threshold: Severity, hits: int) -> None:
    result = AuditResult(
        AS_OF,
        (
            finding(Severity.HIGH),
            finding(Severity.MEDIUM),
            finding(Severity.LOW),
            finding(Severity.CRITICAL, Status.SUPPRESSED),  # accepted risk: not failing
            finding(Severity.CRITICAL, Status.PASS),
            finding(Severity.CRITICAL, Status.NOT_ASSESSED),
            finding(Severity.CRITICAL, Status.ERROR),
        ),
    )
    assert len(gate_failures(result, threshold)) == hits


def test_exit_code_precedence() -> None:
    failing = AuditResult(AS_OF, (finding(Severity.HIGH),))
    clean = AuditResult(AS_OF, (finding(Severity.HIGH, Status.PASS),))
    complete, partial = after(), incomplete()
    assert partial.failed_outcomes
    assert exit_code(failing, complete, None) == EXIT_OK  # no gate asked for
    assert exit_code(failing, complete, Severity.HIGH) == EXIT_FAIL_ON
    assert exit_code(failing, complete, Severity.CRITICAL) == EXIT_OK
    assert exit_code(clean, partial, Severity.LOW) == EXIT_INCOMPLETE
    assert exit_code(failing, partial, None) == EXIT_INCOMPLETE
    # Both apply: the gate's certain "fail" wins over "could not collect everything".
    assert exit_code(failing, partial, Severity.HIGH) == EXIT_FAIL_ON


def test_gate_message_and_parsing() -> None:
    result = AuditResult(AS_OF, (finding(Severity.HIGH), finding(Severity.CRITICAL)))
    assert gate_message(result, Severity.HIGH) == (
        "--fail-on high: 2 failing finding(s) at or above high (worst: critical)"
    )
    assert gate_message(AuditResult(AS_OF, ()), Severity.INFO) == ""
    assert parse_fail_on("High") is Severity.HIGH
    assert parse_fail_on(None) is None
    with pytest.raises(InputError, match="--fail-on: unknown severity 'severe'"):
        parse_fail_on("severe")


# --- through the CLI ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI reads ./audit.toml and earlier runs under ./reports: none of the repo's.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json.gz"
    write_snapshot(after(), path)
    return path


def test_cli_fail_on_exits_1_with_one_line(
    snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, _out, err = run_cli(
        [
            "report",
            str(snapshot_file),
            "--out",
            str(out_dir),
            "--format",
            "json",
            "--fail-on",
            "medium",
        ],
        capsys,
    )
    assert code == EXIT_FAIL_ON
    (line,) = [ln for ln in err.splitlines() if "--fail-on" in ln]
    assert line.startswith("iam-audit: --fail-on medium: ")
    # the reports were written before the gate decided
    findings = json.loads((out_dir / "findings.json").read_text(encoding="utf-8"))
    assert any(
        f["status"] == "fail" and f["severity"] in ("medium", "high", "critical") for f in findings
    )


def test_cli_fail_on_passes_when_everything_at_that_level_is_accepted(
    snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # First learn what fails at critical, then accept exactly those risks.
    out_dir = tmp_path / "first"
    run_cli(["report", str(snapshot_file), "--out", str(out_dir), "--format", "json", "-q"], capsys)
    findings = json.loads((out_dir / "findings.json").read_text(encoding="utf-8"))
    critical = [f for f in findings if f["status"] == "fail" and f["severity"] == "critical"]
    assert critical, "the fixture account should have a critical finding"
    entries = "".join(
        f'[[suppressions]]\nrule = "{f["rule_id"]}"\nresource = "{f["resource_name"]}"\n'
        f'reason = "accepted for the test"\nowner = "secops@example.com"\n'
        f"expires = {date(2099, 1, 1).isoformat()}\n\n"
        for f in critical
    )
    accepted = tmp_path / "accepted.toml"
    accepted.write_text(entries, encoding="utf-8")
    code, _out, err = run_cli(
        [
            "report",
            str(snapshot_file),
            "--out",
            str(tmp_path / "second"),
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--suppressions",
            str(accepted),
            "-q",
        ],
        capsys,
    )
    assert code == EXIT_OK, err
    second = json.loads((tmp_path / "second" / "findings.json").read_text(encoding="utf-8"))
    suppressed = [f for f in second if f["status"] == "suppressed"]
    assert len(suppressed) == len(critical)
    assert {f["suppression_owner"] for f in suppressed} == {"secops@example.com"}


def test_cli_fail_on_wins_over_incomplete_collection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "partial.json.gz"
    write_snapshot(incomplete(), path)
    base = ["report", str(path), "--format", "json", "-q"]
    code, _, _ = run_cli([*base, "--out", str(tmp_path / "a")], capsys)
    assert code == EXIT_INCOMPLETE
    code, _, _ = run_cli([*base, "--out", str(tmp_path / "b"), "--fail-on", "info"], capsys)
    assert code == EXIT_FAIL_ON


def test_cli_rejects_an_unknown_severity(
    snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_cli(["report", str(snapshot_file), "--fail-on", "severe"], capsys)
    assert code == EXIT_USAGE
    assert "severe" in err
