"""The command line end to end: the demo, rebuilding from a snapshot, bad input, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from audit.cli import main
from audit.findings import FINDING_COLUMNS
from tests.cli_helpers import run_cli

FIVE = ("report.html", "report.pdf", "findings.csv", "findings.json", "snapshot.json.gz")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(out), "--quiet"])
    # The demo endpoint (moto) offers no Access Analyzer: recorded as not supported, which is
    # shown in the report but is not a failed collection.
    assert exc.value.code == 0
    return out


def test_demo_writes_the_five_files(demo_dir: Path) -> None:
    for name in FIVE:
        assert (demo_dir / name).stat().st_size > 0, name


def test_demo_findings_json_shape(demo_dir: Path) -> None:
    findings = json.loads((demo_dir / "findings.json").read_text())
    assert isinstance(findings, list) and findings
    for f in findings:
        assert set(FINDING_COLUMNS) <= set(f)
        assert f["status"] in {"fail", "pass", "not_assessed", "error", "suppressed"}
        assert f["severity"] in {"critical", "high", "medium", "low", "info"}
        assert isinstance(f["controls"], list)
    failing = {f["rule_id"] for f in findings if f["status"] == "fail"}
    # Every first rule fails somewhere in the demo account.
    assert {
        "user-console-mfa",
        "access-key-rotation",
        "credentials-unused",
        "user-inline-policy",
        "user-attached-policy",
        "root-access-key",
        "password-min-length",
    } <= failing
    # ...and says pass where all is well.
    passing = {(f["rule_id"], f["resource_name"]) for f in findings if f["status"] == "pass"}
    assert ("user-console-mfa", "alice.admin") in passing


def test_demo_csv_has_the_same_rows_as_json(demo_dir: Path) -> None:
    findings = json.loads((demo_dir / "findings.json").read_text())
    frame = pd.read_csv(demo_dir / "findings.csv", dtype=str, keep_default_na=False)
    assert list(frame.columns)[: len(FINDING_COLUMNS)] == list(FINDING_COLUMNS)
    assert len(frame) == len(findings)
    key = ["rule_id", "resource_name", "status", "message"]
    from_csv = sorted(map(tuple, frame[key].to_numpy().tolist()))
    from_json = sorted(tuple(f[k] for k in key) for f in findings)
    assert from_csv == from_json


def test_demo_pdf_names_the_failing_rules(demo_dir: Path) -> None:
    from audit.rules.registry import REGISTRY

    text = " ".join(page.extract_text() or "" for page in PdfReader(demo_dir / "report.pdf").pages)
    text = re.sub(r"\s+", " ", text)
    findings = json.loads((demo_dir / "findings.json").read_text())
    for rule_id in {f["rule_id"] for f in findings if f["status"] == "fail"}:
        assert REGISTRY[rule_id].meta.title in text, rule_id


def test_demo_html_loads_nothing_from_the_network(demo_dir: Path) -> None:
    html = (demo_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)


def test_report_rebuilds_from_the_snapshot(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        ["report", str(demo_dir / "snapshot.json.gz"), "--out", str(tmp_path), "--format", "json"],
        capsys,
    )
    assert code == 0
    assert (tmp_path / "findings.json").exists()
    assert not (tmp_path / "report.pdf").exists()
    assert json.loads((tmp_path / "findings.json").read_text()) == json.loads(
        (demo_dir / "findings.json").read_text()
    )
    assert "snapshot sha256" in out


def test_default_output_is_a_new_folder_per_run(
    demo_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    snap = str(demo_dir / "snapshot.json.gz")
    for _ in range(2):
        code, _, _ = run_cli(["report", snap, "--format", "json", "-q"], capsys)
        assert code == 0
    runs = sorted((tmp_path / "reports").glob("*/*"))
    assert len(runs) == 2
    assert runs[0].parent.name == "123456789012"
    assert re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", runs[0].name)


def test_corrupt_snapshot_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json.gz"
    bad.write_text("garbage")
    code, out, err = run_cli(["report", str(bad), "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("iam-audit: error:")
    assert "Traceback" not in err


def test_failed_report_keeps_earlier_output(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    earlier = tmp_path / "findings.json"
    earlier.write_text("[]")
    code, _, err = run_cli(
        ["report", str(tmp_path / "missing.json.gz"), "--out", str(tmp_path)], capsys
    )
    assert code == 2
    assert earlier.read_text() == "[]"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["report", "x.json.gz", "--format", "docx"], "unknown format docx"),
        (["report", "x.json.gz", "--as-of", "last tuesday"], "not an ISO 8601"),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
