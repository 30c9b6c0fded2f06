"""The published file formats, pinned by literal lists.

Spreadsheets, dashboards and scripts read these names. The lists are written out here on
purpose (not imported from the code): renaming, dropping, adding or reordering a column or key
must fail this test, so a format change is a deliberate edit here and in the README.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

FINDINGS = [
    "rule_id",
    "title",
    "status",
    "severity",
    "resource_type",
    "resource_name",
    "resource_arn",
    "message",
    "controls",
    "remediation",
    "details",
    "suppression_owner",
    "suppression_reason",
    "suppression_expires",
    "suppression_ticket",
]
CREDENTIALS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
    "groups",
    "attached_policies",
    "inline_policies",
    "permissions_boundary",
    "risk_score",
]
CONTROLS = [
    "framework",
    "control",
    "status",
    "rule_ids",
    "resources_judged",
    "resources_failing",
    "not_assessed_reason",
    "title",
]
SUMMARY = [
    "account_id",
    "account_alias",
    "partition",
    "source",
    "tool_version",
    "collected_at",
    "credential_report_generated_at",
    "as_of",
    "snapshot_sha256",
    "posture_score",
    "failing_by_severity",
    "findings_by_status",
    "collection_complete",
    "frameworks",
    "rules",
    "top_user_risks",
    "effective_admins",
]
SUMMARY_FRAMEWORK = ["framework", "passed", "failed", "assessed", "not_assessed", "percent"]
SUMMARY_RULE = ["rule_id", "severity", "status", "passed", "failed", "not_assessed", "errors"]
SUMMARY_USER_RISK = ["user", "risk_score", "failing", "rules"]


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def test_csv_headers_are_the_published_ones(full_report: Path) -> None:
    assert header(full_report / "findings.csv") == FINDINGS
    assert header(full_report / "credentials.csv") == CREDENTIALS
    assert header(full_report / "controls.csv") == CONTROLS


def test_findings_json_records_have_the_published_keys(full_report: Path) -> None:
    records = json.loads((full_report / "findings.json").read_text(encoding="utf-8"))
    assert records
    assert all(list(r) == FINDINGS for r in records)


def test_summary_json_has_the_published_keys(full_report: Path) -> None:
    summary: dict[str, Any] = json.loads((full_report / "summary.json").read_text("utf-8"))
    assert list(summary) == SUMMARY
    for key, fields in (
        ("frameworks", SUMMARY_FRAMEWORK),
        ("rules", SUMMARY_RULE),
        ("top_user_risks", SUMMARY_USER_RISK),
    ):
        assert summary[key], key  # something to check the keys of
        assert all(list(item) == fields for item in summary[key]), key
