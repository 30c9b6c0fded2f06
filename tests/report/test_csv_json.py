"""CSV and JSON read back: BOM, row counts, columns, formula neutralising, ISO dates."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from audit.csv_safe import cell, neutralise
from audit.findings import FINDING_COLUMNS
from audit.findings_file import FINDING_JSON_COLUMNS
from audit.report.csv_files import CREDENTIALS_COLUMNS
from tests.report.factories import FORMULA_USER, SCRIPT

CSV_FILES = ("findings.csv", "credentials.csv", "controls.csv")


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def findings(full_report: Path) -> list[dict[str, object]]:
    data = json.loads((full_report / "findings.json").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_starts_with_a_bom_and_a_header(full_report: Path, name: str) -> None:
    raw = (full_report / name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert not raw[3:].startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\r\n", 1)[0].decode()
    assert header == ",".join(read_csv(full_report / name).columns)


def test_findings_csv_has_the_json_rows_and_columns(
    full_report: Path, findings: list[dict[str, object]]
) -> None:
    frame = read_csv(full_report / "findings.csv")
    assert list(frame.columns) == list(FINDING_JSON_COLUMNS)
    assert list(frame.columns[: len(FINDING_COLUMNS)]) == list(FINDING_COLUMNS)
    assert len(frame) == len(findings)
    assert list(frame["rule_id"]) == [f["rule_id"] for f in findings]
    assert list(frame["status"]) == [f["status"] for f in findings]
    # Lists are joined with "; ".
    first_with_controls = next(i for i, f in enumerate(findings) if len(f["controls"]) > 1)  # type: ignore[arg-type]
    assert frame["controls"][first_with_controls] == "; ".join(
        findings[first_with_controls]["controls"]  # type: ignore[arg-type]
    )


def test_findings_json_is_the_contract_plus_details(findings: list[dict[str, object]]) -> None:
    assert findings
    for record in findings:
        assert list(record) == list(FINDING_JSON_COLUMNS)
        assert record["status"] in {"fail", "pass", "not_assessed", "error", "suppressed"}
        assert record["severity"] in {"critical", "high", "medium", "low", "info"}
        assert isinstance(record["controls"], list)
        assert isinstance(record["details"], dict)


def test_formula_user_is_neutralised_everywhere(full_report: Path) -> None:
    frame = read_csv(full_report / "findings.csv")
    names = set(frame["resource_name"])
    assert "'" + FORMULA_USER in names
    assert FORMULA_USER not in names
    assert "'@carol" in names
    creds = read_csv(full_report / "credentials.csv")
    assert "'" + FORMULA_USER in set(creds["user"])
    for df in (frame, creds, read_csv(full_report / "controls.csv")):
        for column in df.columns:
            bad = df[column][df[column].str.match(r"^[=+\-@\t\r]")]
            assert bad.empty, (column, list(bad))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_dangerous_first_character_gets_a_quote(start: str) -> None:
    assert neutralise(start + "SUM(A1)") == "'" + start + "SUM(A1)"
    assert cell(start + "x") == "'" + start + "x"
    assert cell([start + "a", "b"]) == "'" + start + "a; b"


# Spreadsheets skip leading blanks before a formula, and some read full-width signs as ASCII.
@pytest.mark.parametrize(
    "text",
    [
        " =1+2",
        "  +SUM(A1)",
        "\u3000=1",
        "\uff1d1+2",
        "\uff0bA1",
        "\uff0dA1",
        "\uff20A1",
        " \uff1d1",
    ],
)
def test_disguised_formula_starts_get_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert cell(text) == "'" + text
    assert cell([text, "b"]) == "'" + text + "; b"


def test_harmless_cells_are_unchanged() -> None:
    assert neutralise("alice=admin") == "alice=admin"
    assert neutralise(" alice") == " alice"
    assert neutralise("   ") == "   "
    assert neutralise("") == ""
    assert cell(None) == ""
    assert cell(True) == "true"
    assert cell(3) == "3"


def test_credentials_csv_one_row_per_user_with_iso_dates(full_report: Path) -> None:
    creds = read_csv(full_report / "credentials.csv")
    assert list(creds.columns) == list(CREDENTIALS_COLUMNS)
    # root + alice, bob, =1+2, @carol + 30 generated users
    assert len(creds) == 35
    assert creds["user"].iloc[0] == "<root_account>"
    root = creds.iloc[0]
    assert root["password_enabled"] == "not_supported"
    bob = creds[creds["user"] == "bob"].iloc[0]
    assert bob["groups"] == "admins"
    assert bob["mfa_active"] == "false"
    assert bob["access_key_1_active"] == "true"
    assert datetime.fromisoformat(bob["access_key_1_last_rotated"]).utcoffset() is not None
    assert bob["inline_policies"] == f"inline-{SCRIPT}"
    assert int(bob["risk_score"]) > 0
    formula = creds[creds["user"] == "'" + FORMULA_USER].iloc[0]
    assert formula["password_enabled"] == "false"
    assert formula["password_last_used"] == "N/A"  # AWS's sentinel kept: no password at all
    assert formula["attached_policies"] == "AdministratorAccess"
    carol = creds[creds["user"] == "'@carol"].iloc[0]
    assert carol["permissions_boundary"].endswith(":policy/boundary")


def test_risk_scores_agree_with_summary(full_report: Path) -> None:
    summary = json.loads((full_report / "summary.json").read_text())
    creds = read_csv(full_report / "credentials.csv").set_index("user")
    for entry in summary["top_user_risks"]:
        key = "'" + entry["user"] if entry["user"].startswith(("=", "@")) else entry["user"]
        assert int(creds.loc[key, "risk_score"]) == entry["risk_score"]


def test_controls_csv_matches_summary(full_report: Path) -> None:
    controls = read_csv(full_report / "controls.csv")
    summary = json.loads((full_report / "summary.json").read_text())
    for fw in summary["frameworks"]:
        rows = controls[controls["framework"] == fw["framework"]]
        assert (rows["status"] == "pass").sum() == fw["passed"]
        assert (rows["status"] == "fail").sum() == fw["failed"]
        assert (rows["status"] == "not_assessed").sum() == fw["not_assessed"]
    analyzer = controls[controls["rule_ids"].str.contains("access-analyzer-enabled")]
    assert set(analyzer["status"]) == {"not_assessed"}
    assert all("access_denied" in reason for reason in analyzer["not_assessed_reason"])


def test_summary_json_for_dashboards(full_report: Path, findings: list[dict[str, object]]) -> None:
    summary = json.loads((full_report / "summary.json").read_text())
    assert summary["snapshot_sha256"] == "ab" * 32
    assert summary["account_id"] == "123456789012"
    assert summary["collection_complete"] is False
    assert 0 <= summary["posture_score"] <= 100
    failing = sum(1 for f in findings if f["status"] == "fail")
    assert sum(summary["failing_by_severity"].values()) == failing
    assert sum(summary["findings_by_status"].values()) == len(findings)
    assert {"bob", FORMULA_USER} <= set(summary["effective_admins"])
    assert [f["framework"] for f in summary["frameworks"]][0] == "CIS v6.0"
