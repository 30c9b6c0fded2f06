"""The catalogue as audit.toml configures it: thresholds in titles, severity overrides."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from audit.engine import evaluate
from audit.findings import Severity, Status
from audit.report import write_reports
from audit.rules import all_rules
from audit.rules.catalogue import render_catalogue
from audit.settings import Settings, Thresholds
from tests.cli_helpers import run_cli
from tests.report.factories import AS_OF, build_snapshot

# The default titles, unchanged by templating.
DEFAULT_TITLES = {
    "access-key-rotation": "Active access keys are rotated within 90 days",
    "credentials-unused": "Credentials unused for 45 days or more are disabled",
    "password-min-length": "The password policy requires at least 14 characters",
    "password-reuse": "The password policy prevents reusing the last 24 passwords",
    "password-expiry": "Passwords expire within 90 days",
}
CONFIGURED = Settings(
    thresholds=Thresholds(
        access_key_max_age_days=180,
        credentials_unused_days=60,
        password_min_length=16,
        password_reuse_prevention=5,
        password_max_age_days=365,
    ),
    severity_overrides={"root-access-key": Severity.LOW, "access-key-rotation": Severity.INFO},
)
CONFIGURED_TITLES = {
    "access-key-rotation": "Active access keys are rotated within 180 days",
    "credentials-unused": "Credentials unused for 60 days or more are disabled",
    "password-min-length": "The password policy requires at least 16 characters",
    "password-reuse": "The password policy prevents reusing the last 5 passwords",
    "password-expiry": "Passwords expire within 365 days",
}


def test_default_titles_and_ids_are_unchanged() -> None:
    metas = {r.meta.id: r.meta for r in all_rules()}
    assert {i: metas[i].title for i in DEFAULT_TITLES} == DEFAULT_TITLES
    assert {i: metas[i].configured(Settings()).title for i in DEFAULT_TITLES} == DEFAULT_TITLES


def test_configured_metadata() -> None:
    metas = {r.meta.id: r.meta.configured(CONFIGURED) for r in all_rules()}
    assert {i: metas[i].title for i in CONFIGURED_TITLES} == CONFIGURED_TITLES
    assert metas["root-access-key"].severity is Severity.LOW
    assert metas["root-mfa"] == next(r.meta for r in all_rules() if r.meta.id == "root-mfa")


def test_findings_carry_the_configured_titles() -> None:
    result = evaluate(build_snapshot(), AS_OF, CONFIGURED)
    titles = {f.rule_id: f.title for f in result.findings}
    assert {i: titles[i] for i in CONFIGURED_TITLES} == CONFIGURED_TITLES
    assert all(f.title == titles[f.rule_id] for f in result.findings)


def test_reports_show_configured_titles_and_severities_of_passing_rules(tmp_path: Path) -> None:
    snap = build_snapshot()
    result = evaluate(snap, AS_OF, CONFIGURED)
    root_key = [f for f in result.findings if f.rule_id == "root-access-key"]
    assert [f.status for f in root_key] == [Status.PASS]  # a passing rule, severity overridden
    write_reports(snap, "ab" * 32, result, tmp_path, ("html", "csv", "json"))

    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    severity = {r["rule_id"]: r["severity"] for r in summary["rules"]}
    assert severity["root-access-key"] == "low"  # was the default, critical
    assert severity["root-mfa"] == "critical"

    with (tmp_path / "findings.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["title"] for r in rows if r["rule_id"] == "access-key-rotation"} == {
        CONFIGURED_TITLES["access-key-rotation"]
    }
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert CONFIGURED_TITLES["access-key-rotation"] in html
    assert DEFAULT_TITLES["access-key-rotation"] not in html
    # The table of rules without failures shows each rule's configured severity.
    row = html.split("<code>root-access-key</code>", 1)[1].split("</tr>", 1)[0]
    assert 'class="sev sev-low"' in row


def test_catalogue_as_configured() -> None:
    settings = Settings(
        thresholds=CONFIGURED.thresholds,
        severity_overrides=CONFIGURED.severity_overrides,
        disabled_rules=frozenset({"identity-federation"}),
    )
    records = {r["id"]: r for r in json.loads(render_catalogue("json", settings))}
    assert records["access-key-rotation"]["title"] == CONFIGURED_TITLES["access-key-rotation"]
    assert records["root-access-key"]["severity"] == "low"
    assert "identity-federation" not in records
    default = {r["id"]: r for r in json.loads(render_catalogue("json"))}
    assert default["access-key-rotation"]["title"] == DEFAULT_TITLES["access-key-rotation"]
    assert len(default) == len(records) + 1


def test_rules_command_reads_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "strict.toml"
    config.write_text(
        'disabled_rules = ["identity-federation"]\n'
        "[thresholds]\naccess_key_max_age_days = 180\n"
        '[severity]\nroot-access-key = "low"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)  # no ./audit.toml here: the defaults
    code, out, _ = run_cli(["rules", "--format", "json"], capsys)
    assert code == 0
    default = {r["id"]: r for r in json.loads(out)}
    assert default["access-key-rotation"]["title"] == DEFAULT_TITLES["access-key-rotation"]

    code, out, _ = run_cli(["rules", "--format", "json", "--config", str(config)], capsys)
    assert code == 0
    records = {r["id"]: r for r in json.loads(out)}
    assert records["access-key-rotation"]["title"] == CONFIGURED_TITLES["access-key-rotation"]
    assert records["root-access-key"]["severity"] == "low"
    assert set(default) - set(records) == {"identity-federation"}

    code, out, _ = run_cli(["rules", "--config", str(config)], capsys)
    assert code == 0 and "Active access keys are rotated within 180 days" in out

    config.rename(tmp_path / "audit.toml")  # found in the working folder, as `run` finds it
    code, out, _ = run_cli(["rules", "--format", "csv"], capsys)
    assert code == 0 and "rotated within 180 days" in out
    code, _, err = run_cli(["rules", "--config", str(tmp_path / "missing.toml")], capsys)
    assert code == 2 and "config file not found" in err


# Every threshold at a value no text would state by accident, and the rules that read each one.
ODD = Thresholds(
    access_key_max_age_days=123,
    credentials_unused_days=67,
    root_use_window_days=71,
    password_min_length=19,
    password_reuse_prevention=11,
    password_max_age_days=77,
    server_certificate_expiry_days=33,
    sso_session_max_hours=3,
    unused_access_days=101,
)
THRESHOLD_RULES = {
    "access-key-rotation": "access_key_max_age_days",
    "credentials-unused": "credentials_unused_days",
    "root-recent-use": "root_use_window_days",
    "password-min-length": "password_min_length",
    "password-reuse": "password_reuse_prevention",
    "password-expiry": "password_max_age_days",
    "server-certificate-expired": "server_certificate_expiry_days",
    "sso-long-session": "sso_session_max_hours",
    "role-unused": "unused_access_days",
    "permissions-unused": "unused_access_days",
}


def _states(text: str, number: int) -> bool:
    # The number on its own ("90 days", "PT8H", "--max-password-age 90"), not inside "IAM.17".
    return re.search(rf"(?<![\d.]){number}(?!\d)", text.replace("PT", "PT ")) is not None


def test_every_rule_text_states_the_configured_threshold() -> None:
    default = Thresholds()
    settings = Settings(thresholds=ODD)
    metas = {r.meta.id: r.meta.configured(settings) for r in all_rules()}
    for rule_id, field in THRESHOLD_RULES.items():
        meta, was = metas[rule_id], getattr(default, field)
        for text in (meta.title, meta.rationale, meta.remediation):
            if was:  # 0 (certificates: expired now) is stated by no text
                assert not _states(text, was), (rule_id, text)
    assert "--minimum-password-length 19" in metas["password-min-length"].remediation
    assert "--password-reuse-prevention 11" in metas["password-reuse"].remediation
    assert "--max-password-age 77" in metas["password-expiry"].remediation
    assert "--session-duration PT3H" in metas["sso-long-session"].remediation


def test_findings_and_the_report_state_the_configured_thresholds(tmp_path: Path) -> None:
    snap = build_snapshot()
    result = evaluate(snap, AS_OF, Settings(thresholds=ODD))
    default = Thresholds()
    for f in result.findings:
        field = THRESHOLD_RULES.get(f.rule_id)
        if field is None:
            continue
        for text in (f.title, f.message, f.remediation):
            assert not _states(text, getattr(default, field)), (f.rule_id, text)
    write_reports(snap, "ab" * 32, result, tmp_path, ("html",))
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "--minimum-password-length 19" in html
    assert "--minimum-password-length 14" not in html
