"""audit.pipeline: one run start to finish, and the history it leaves for the next review."""

from __future__ import annotations

import json
import socket
from collections.abc import Collection
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from audit.engine import evaluate
from audit.errors import InputError
from audit.findings import Severity
from audit.model import Snapshot, User
from audit.pipeline import RunOptions, run_audit
from audit.report import write_reports
from audit.report.pdf import PdfWorker
from audit.settings import Settings
from audit.snapshot_io import write_snapshot
from audit.workflow.email_report import EmailRequest, SmtpSettings
from audit.workflow.history import new_run_dir
from tests.cli_helpers import run_cli
from tests.fixtures.review_snapshots import ACCT, T1, after, arn, before
from tests.fixtures.runs import write_run


def at(snapshot: Snapshot, when_days_after_t1: float) -> Snapshot:
    when = T1 + timedelta(days=when_days_after_t1)
    return replace(snapshot, meta=replace(snapshot.meta, collected_at=when))


def snapshot_file(tmp_path: Path, snapshot: Snapshot, name: str) -> Path:
    path = tmp_path / name
    write_snapshot(snapshot, path)
    return path


def diff_doc(run_dir: Path) -> dict[str, object]:
    doc = json.loads((run_dir / "diff.json").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def rule_ids(doc: dict[str, object]) -> set[str]:
    keys = ("new_findings", "resolved_findings", "persisting_findings")
    return {rec["rule_id"] for k in keys for rec in doc[k]}  # type: ignore[attr-defined]


def test_run_audit_writes_summary_last_and_returns_the_outcome(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    first = run_audit(
        before(), None, Settings(), (), reports_dir=reports, out_dir=None, formats=("csv",)
    )
    assert first.review is None and first.changes == () and first.warnings == ()
    # --format csv alone: a run folder in the history still gets summary.json, last, with
    # the evidence manifest of every file before it.
    assert [p.name for p in first.written] == [
        "snapshot.json.gz",
        "findings.csv",
        "credentials.csv",
        "roles.csv",
        "controls.csv",
        "manifest.json",
        "summary.json",
    ]
    second = run_audit(
        after(),
        None,
        Settings(),
        (),
        reports_dir=reports,
        out_dir=None,
        formats=("json",),
        options=RunOptions(fail_on=Severity.CRITICAL),
    )
    assert second.review is not None and second.review.previous.path == first.out_dir
    assert [p.name for p in second.written] == [
        "snapshot.json.gz",
        "diff.json",
        "diff.csv",
        "findings.json",
        "manifest.json",
        "summary.json",
    ]
    assert second.changes[0].startswith("Since 2026-06-30 (20260630T090000Z): ")
    assert second.gate_message.startswith("--fail-on critical: ")
    assert second.exit_code == 1 and second.email_error is None
    assert second.out_dir.parent == reports / ACCT


def test_an_interrupted_run_never_becomes_the_last_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    complete = write_run(Path("reports"), before())
    # Interrupted after the snapshot and one report: no findings.json, no summary.json.
    cut = at(after(), 30)
    interrupted = new_run_dir(Path("reports"), ACCT, cut.meta.collected_at)
    digest = write_snapshot(cut, interrupted / "snapshot.json.gz")
    write_reports(cut, digest, evaluate(cut), interrupted, ("html",))
    assert not (interrupted / "summary.json").exists()

    now = snapshot_file(tmp_path, after(), "now.json.gz")
    code, _out, err = run_cli(["report", str(now), "-q", "--format", "json"], capsys)
    assert code == 0, err
    (latest,) = sorted((tmp_path / "reports" / ACCT).iterdir())[-1:]
    assert diff_doc(latest)["old"] == {"source": str(complete), "collected_at": T1.isoformat()}
    assert err.splitlines() == [
        f"iam-audit: warning: skipped {interrupted}: an incomplete run "
        "(no summary.json or snapshot.json.gz)"
    ]


def test_a_damaged_earlier_run_is_skipped_with_a_warning_not_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    good = write_run(Path("reports"), at(before(), -90))
    bad_findings = write_run(Path("reports"), before())
    (bad_findings / "findings.json").write_text("[1]", encoding="utf-8")  # not records
    bad_snapshot = write_run(Path("reports"), at(before(), 30))
    (bad_snapshot / "snapshot.json.gz").write_bytes(b"\x1f\x8b truncated")
    now = snapshot_file(tmp_path, after(), "now.json.gz")
    code, _out, err = run_cli(["report", str(now), "-q", "--format", "json"], capsys)
    assert code == 0, err
    latest = sorted((tmp_path / "reports" / ACCT).iterdir())[-1]
    assert diff_doc(latest)["old"]["source"] == str(good)  # type: ignore[index]
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(f"iam-audit: warning: skipped {bad_snapshot}: cannot be read (")
    assert lines[1].startswith(f"iam-audit: warning: skipped {bad_findings}: cannot be read (")
    assert "finding record is malformed" in lines[1]


DISABLE_MFA = 'disabled_rules = ["user-console-mfa"]\n'


def test_diff_of_snapshot_files_uses_audit_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    old = snapshot_file(tmp_path, before(), "old.json.gz")
    new = snapshot_file(tmp_path, after(), "new.json.gz")
    code, _, err = run_cli(["diff", str(old), str(new), "-q", "--out", "plain"], capsys)
    assert code == 0, err
    assert "user-console-mfa" in rule_ids(diff_doc(tmp_path / "plain"))
    # ./audit.toml by default, as `run` reads it
    (tmp_path / "audit.toml").write_text(DISABLE_MFA, encoding="utf-8")
    code, _, err = run_cli(["diff", str(old), str(new), "-q", "--out", "default"], capsys)
    assert code == 0, err
    assert "user-console-mfa" not in rule_ids(diff_doc(tmp_path / "default"))
    # --config names another file
    (tmp_path / "other.toml").write_text('disabled_rules = ["user-no-mfa-console"]\n', "utf-8")
    other = ["--config", "other.toml", "--out", "other"]
    code, _, err = run_cli(["diff", str(old), str(new), "-q", *other], capsys)
    assert code == 2 and "user-no-mfa-console" in err  # checked like `run` checks it


def test_the_history_fallback_judges_old_runs_with_audit_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "audit.toml").write_text(DISABLE_MFA, encoding="utf-8")
    old = snapshot_file(tmp_path, before(), "old.json.gz")
    new = snapshot_file(tmp_path, after(), "new.json.gz")
    # The first review wrote no findings.json: the next one judges its snapshot again.
    assert run_cli(["report", str(old), "-q", "--format", "html"], capsys)[0] == 0
    code, _, err = run_cli(["report", str(new), "-q", "--format", "json"], capsys)
    assert code == 0, err
    latest = sorted((tmp_path / "reports" / ACCT).iterdir())[-1]
    ids = rule_ids(diff_doc(latest))
    assert ids and "user-console-mfa" not in ids  # disabled: it cannot come back as resolved


HOSTILE = "evil\x1b]0;owned\x07\r\x08\x1b[2J\u202ename\x9b"


def test_names_cannot_drive_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    hostile_user = User(HOSTILE, arn("user", "x"), "AIDAHOSTILE", "/", T1)
    snap = replace(after(), account_aliases=(HOSTILE,), users=(*after().users, hostile_user))
    path = snapshot_file(tmp_path, snap, "s.json.gz")
    code, out, err = run_cli(["report", str(path), "--out", "o", "--format", "json"], capsys)
    assert code == 0, err
    code, explained, err = run_cli(["explain", HOSTILE, str(path)], capsys)
    assert code == 0, err
    for text in (out, explained):
        assert "evil]0;owned[2Jname" in text
        assert not any(c in text for c in "\x1b\x07\r\x08\u202e\x9b")


def test_an_email_that_fails_is_data_and_every_file_stays(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    email = EmailRequest(("ciso@example.com",), "a@example.com", SmtpSettings("127.0.0.1", port))
    outcome = run_audit(
        after(),
        None,
        Settings(),
        (),
        reports_dir=None,
        out_dir=tmp_path / "out",
        formats=("pdf",),
        options=RunOptions(fail_on=Severity.INFO, email=email),
    )
    assert outcome.exit_code == 4  # not delivered wins over the gate (1)
    assert outcome.gate_message.startswith("--fail-on info: ")
    assert outcome.email_error is not None and "127.0.0.1" in str(outcome.email_error)
    assert outcome.emailed_to == ()
    assert [p.name for p in outcome.written] == ["snapshot.json.gz", "report.pdf", "manifest.json"]
    assert all(p.stat().st_size > 0 for p in outcome.written)


def test_the_pdf_worker_starts_first_and_is_stopped_when_the_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # run_audit starts the PDF's process before judging (README "Report speed"); a run that
    # fails before the PDF is sent must not leave that process behind.
    started: list[PdfWorker] = []

    def start(formats: Collection[str]) -> PdfWorker | None:
        worker = PdfWorker()
        started.append(worker)
        return worker

    monkeypatch.setattr("audit.pipeline.start_pdf_worker", start)
    with pytest.raises(InputError, match="no output folder"):
        run_audit(
            before(), "ab" * 32, Settings(), (), reports_dir=None, out_dir=None, formats=("pdf",)
        )
    assert len(started) == 1
    assert started[0]._proc.poll() is not None  # stopped, not left running
