"""manifest.json and `iam-audit verify`: every file of a run folder hashed, changes named."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from pypdf import PdfReader

from audit.engine import evaluate
from audit.manifest import MANIFEST_FILE, run_fingerprint
from audit.pipeline import RunOptions, run_audit
from audit.report import ReportOptions
from audit.settings import Settings, Thresholds
from audit.workflow.email_report import EmailRequest, SmtpSettings, summary_body
from tests.cli_helpers import run_cli
from tests.fixtures.review_snapshots import before


def _run(tmp_path: Path, formats: tuple[str, ...] = ("json", "csv")) -> Path:
    settings = Settings(thresholds=Thresholds(access_key_max_age_days=30))
    outcome = run_audit(
        before(),
        None,
        settings,
        (),
        reports_dir=tmp_path / "reports",
        out_dir=None,
        formats=formats,
        options=RunOptions(presentation=ReportOptions(prepared_by="A. Auditor")),
    )
    return outcome.out_dir


def test_the_manifest_lists_every_file_but_itself_and_summary(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    doc = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    on_disk = {p.name for p in run_dir.iterdir()} - {MANIFEST_FILE, "summary.json"}
    assert set(doc["files"]) == on_disk
    assert doc["accounts"] == [before().meta.account_id] and doc["scope"] == "account"
    assert doc["options"]["settings"]["thresholds"]["access_key_max_age_days"] == 30
    assert doc["options"]["prepared_by"] == "A. Auditor"
    assert doc["collection"]["started_at"] <= doc["collection"]["ended_at"]
    assert doc["fingerprint"] == run_fingerprint(doc["snapshot_sha256"], doc["options"])


def test_no_secret_lands_in_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAM_AUDIT_SMTP_PASSWORD", "hunter2-secret")
    with socket.socket() as s:  # a port nothing listens on: the e-mail fails, files stay
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = SmtpSettings("127.0.0.1", port, user="mailer")
    outcome = run_audit(
        before(),
        None,
        Settings(),
        (),
        reports_dir=None,
        out_dir=tmp_path / "out",
        formats=("pdf",),
        options=RunOptions(email=EmailRequest(("ciso@example.com",), "a@example.com", smtp)),
    )
    assert outcome.email_error is not None
    text = (outcome.out_dir / MANIFEST_FILE).read_text(encoding="utf-8")
    assert json.loads(text)["options"]["smtp"]["user"] == "mailer"
    assert "hunter2-secret" not in text


def test_verify_names_the_changed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = _run(tmp_path)
    code, out, _ = run_cli(["verify", str(run_dir)], capsys)
    assert code == 0 and "match manifest.json" in out

    # The access review adds files under review/ later: listed, not a change.
    (run_dir / "review").mkdir()
    (run_dir / "review" / "decisions.json").write_text("{}", encoding="utf-8")
    code, out, _ = run_cli(["verify", str(run_dir)], capsys)
    assert code == 0 and "added: review/decisions.json" in out

    findings = run_dir / "findings.csv"
    findings.write_bytes(findings.read_bytes().replace(b"fail", b"pass"))
    (run_dir / "extra.txt").write_text("x", encoding="utf-8")
    code, _, err = run_cli(["verify", str(run_dir)], capsys)
    assert code == 1
    assert "changed: findings.csv" in err and "unlisted: extra.txt" in err

    (run_dir / "controls.csv").unlink()
    code, _, err = run_cli(["verify", str(run_dir)], capsys)
    assert code == 1 and "missing: controls.csv" in err


def test_verify_refuses_what_is_not_a_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["verify", str(tmp_path)], capsys)
    assert code == 2 and "not an iam-audit run folder" in err
    (tmp_path / MANIFEST_FILE).write_text("[]", encoding="utf-8")
    code, _, err = run_cli(["verify", str(tmp_path)], capsys)
    assert code == 2 and "not an iam-audit manifest" in err


def test_the_pdf_cover_names_the_fingerprint_and_the_email_the_manifest_hash(
    tmp_path: Path,
) -> None:
    run_dir = _run(tmp_path, formats=("pdf",))
    doc = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert "report.pdf" in doc["files"]
    cover = PdfReader(run_dir / "report.pdf").pages[0].extract_text()
    assert doc["fingerprint"] in "".join(cover.split())

    snap = before()
    body = summary_body(snap, evaluate(snap), manifest_sha256="ab" * 32)
    assert "Evidence manifest (manifest.json) SHA-256: " + "ab" * 32 in body
