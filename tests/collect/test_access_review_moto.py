"""The quarterly access review end to end, in moto: export, fill in as a reviewer would, import,
tamper (refused), run again (revocation pending), revoke in AWS, run again (verified)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws
from openpyxl import load_workbook

from audit.collect import CollectOptions, collect_snapshot
from audit.model import Snapshot
from audit.pipeline import RunOutcome, run_audit
from audit.settings import Settings
from audit.workflow.access_review import COLUMNS
from tests.cli_helpers import run_cli

ACCOUNT = "123456789012"
OTHER = "210987654321"
PENDING = "access-review-revocation-pending"
READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


@pytest.fixture
def iam(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_group(GroupName="auditors")
        client.put_group_policy(
            GroupName="auditors", PolicyName="read", PolicyDocument=json.dumps(READ)
        )
        client.create_user(UserName="ann", Tags=[{"Key": "owner", "Value": "lead@example.com"}])
        client.add_user_to_group(GroupName="auditors", UserName="ann")
        client.create_access_key(UserName="ann")
        client.create_user(UserName="=cmd|calc")  # a name a spreadsheet would run
        client.create_login_profile(UserName="=cmd|calc", Password="Secret-Pass-123!")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        client.create_role(RoleName="partner", AssumeRolePolicyDocument=json.dumps(trust))
        yield client


def collect(days: int) -> Snapshot:
    snap = collect_snapshot(CollectOptions(quiet=True, report_wait_seconds=5))
    when = snap.meta.collected_at + timedelta(days=days)
    return replace(snap, meta=replace(snap.meta, collected_at=when))


def audit_run(reports: Path, snap: Snapshot, formats: tuple[str, ...] = ("json",)) -> RunOutcome:
    return run_audit(snap, None, Settings(), (), reports_dir=reports, out_dir=None, formats=formats)


def fill(workbook: Path, sheet: str, decisions: dict[str, tuple[str, str]]) -> None:
    """Write decisions into a sheet as a reviewer would: Decision, Comment, Reviewed on."""
    wb = load_workbook(workbook)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in COLUMNS}
    for r in range(2, ws.max_row + 1):
        item = ws.cell(r, col["Access item"]).value
        principal = ws.cell(r, col["Principal"]).value
        for (who, what), (decision, comment) in (
            (k.split("/", 1), v) for k, v in decisions.items()
        ):
            if principal == who and str(item).startswith(what):
                ws.cell(r, col["Decision"]).value = decision
                ws.cell(r, col["Comment"]).value = comment
                ws.cell(r, col["Reviewed on"]).value = "2026-12-03"
    wb.save(workbook)


def test_the_review_round_trip_in_moto(
    iam: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    owners = tmp_path / "owners.toml"
    owners.write_text('[[owners]]\nreviewer = "iam-team@example.com"\nprincipal = "partner"\n')
    first = audit_run(reports, collect(0))
    run1 = first.out_dir

    code, out, err = run_cli(["review", "export", str(run1), "--owners", str(owners)], capsys)
    assert code == 0, err
    workbook = run1 / "review" / "access-review.xlsx"
    assert "1 unmatched" in out  # "=cmd|calc": no owners entry, no owner tag

    # Read back with pandas: the sheets, the header, every item once on "All".
    sheets = pd.read_excel(workbook, sheet_name=None, dtype=str)
    assert list(sheets) == [
        "Cover",
        "All",
        "iam-team@example.com",
        "lead@example.com",
        "unassigned",
    ]
    assert list(sheets["All"].columns) == list(COLUMNS)
    all_rows = sheets["All"]
    assert set(all_rows["Kind"]) == {
        "group membership",
        "access key",
        "console access",
        "cross-account role",
    }
    assert all_rows.loc[all_rows["Kind"] == "group membership", "Grants"].tolist() == ["read-only"]
    trust = all_rows[all_rows["Kind"] == "cross-account role"].iloc[0]
    assert trust["Access item"] == f"assumable from account {OTHER}"
    assert trust["Reviewer"] == "iam-team@example.com"
    # The formula-looking name is text, neutralised as in the CSVs.
    assert "'=cmd|calc" in set(all_rows["Principal"])
    cover = dict(zip(sheets["Cover"].iloc[:, 0], sheets["Cover"].iloc[:, 1], strict=False))
    assert cover["Snapshot SHA-256"] == first.snapshot_sha256
    # The drop-down: a list validation on Decision, fed by the named Keep/Modify/Revoke cells.
    wb = load_workbook(workbook)
    ws = wb["lead@example.com"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list" and str(validation.sqref).startswith("K2")
    ref = wb.defined_names[validation.formula1.lstrip("=")].attr_text
    sheet, cells = ref.split("!")
    values = [c[0].value for c in wb[sheet.strip("'")][cells.replace("$", "")]]
    assert values == ["Keep", "Modify", "Revoke"]

    # The reviewer decides on their own sheet: keep the group, revoke the key; one undecided.
    fill(
        workbook,
        "lead@example.com",
        {"ann/group": ("Keep", "audits"), "ann/key": ("Revoke", "not used any more")},
    )
    fill(workbook, "iam-team@example.com", {"partner/assumable": ("modify", "add ExternalId")})

    # Tampered copies are refused, one line per problem, and nothing is stored.
    tampered = tmp_path / "tampered.xlsx"
    shutil.copy(workbook, tampered)
    wb = load_workbook(tampered)
    ws = wb["All"]
    ws.cell(2, COLUMNS.index("Grants") + 1).value = "read-only (edited)"
    ws.append(["AR-0000000000000000", ACCOUNT, "mallory", "access key", "key 9"])
    ws.cell(3, COLUMNS.index("Decision") + 1).value = "Maybe"
    wb.save(tampered)
    code, _, err = run_cli(["review", "import", str(tampered), "--run", str(run1)], capsys)
    assert code == 2
    assert "row 2: item" in err and "was altered" in err
    assert "unknown item id 'AR-0000000000000000'" in err
    assert "decision 'Maybe' is not one of Keep, Modify, Revoke" in err
    assert "nothing was stored" in err
    assert not (run1 / "review" / "decisions.json").exists()

    # A row moved to another reviewer's sheet is refused too.
    moved = tmp_path / "moved.xlsx"
    shutil.copy(workbook, moved)
    wb = load_workbook(moved)
    wb["unassigned"].append([c.value for c in wb["lead@example.com"][2]])
    wb.save(moved)
    code, _, err = run_cli(["review", "import", str(moved)], capsys)
    assert code == 2 and "belongs to reviewer lead@example.com, not unassigned" in err

    # The genuine workbook: accepted as a partial review (the console item is undecided).
    code, out, err = run_cli(["review", "import", str(workbook)], capsys)
    assert code == 0, err
    assert "PARTIAL: 1 item(s) undecided" in out
    doc = json.loads((run1 / "review" / "decisions.json").read_text(encoding="utf-8"))
    assert doc["counts"] == {"Keep": 1, "Modify": 1, "Revoke": 1, "undecided": 1}
    assert doc["complete"] is False
    assert doc["reviewers"]["lead@example.com"] == {"items": 2, "decided": 2}
    assert len(doc["workbook_sha256"]) == 64 and doc["imported_at"]

    # The next run: the key still exists -> a high finding naming the reviewer and the day.
    second = audit_run(reports, collect(1), formats=("json", "html"))
    pending = [f for f in second.result.findings if f.rule_id == PENDING]
    assert len(pending) == 1
    assert pending[0].severity.label == "high"
    assert "lead@example.com decided Revoke on 2026-12-03" in pending[0].message
    assert second.access_review is not None
    assert [d.principal for d in second.access_review.carried] == ["ann"]
    html = (second.out_dir / "report.html").read_text(encoding="utf-8")
    assert "Access review" in html and "revocation pending" in html and "add ExternalId" in html

    # Revoke in AWS, run again: the finding is gone, the revocation verified, the Keep stands.
    (key,) = iam.list_access_keys(UserName="ann")["AccessKeyMetadata"]
    iam.delete_access_key(UserName="ann", AccessKeyId=key["AccessKeyId"])
    third = audit_run(reports, collect(2))
    assert not [f for f in third.result.findings if f.rule_id == PENDING]
    assert third.access_review is not None
    assert [d.item.startswith("key 1") for d in third.access_review.revoked] == [True]
    assert [d.principal for d in third.access_review.carried] == ["ann"]


def test_a_csv_review_round_trip(
    iam: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run1 = audit_run(tmp_path / "reports", collect(0)).out_dir
    out = tmp_path / "review.csv"
    code, _, err = run_cli(
        ["review", "export", str(run1), "--format", "csv", "--out", str(out)], capsys
    )
    assert code == 0, err
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame.columns) == list(COLUMNS)
    frame.loc[frame["Kind"] == "access key", "Decision"] = "Revoke"
    frame.to_csv(out, index=False, encoding="utf-8-sig")
    code, _, err = run_cli(["review", "import", str(out)], capsys)
    assert code == 2 and "give --run RUN_DIR" in err
    code, out_text, err = run_cli(["review", "import", str(out), "--run", str(run1)], capsys)
    assert code == 0, err
    assert "1 Revoke" in out_text
