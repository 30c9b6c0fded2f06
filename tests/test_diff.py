"""`iam-audit diff`: findings new/resolved/persisting with first-seen dates, identity changes."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.engine import evaluate
from audit.errors import InputError
from audit.findings import Finding, Severity, Status
from audit.model import PART_CREDENTIAL_REPORT, Snapshot
from audit.settings import Settings
from audit.snapshot_io import write_snapshot
from audit.workflow.diff import (
    DIFF_CSV_COLUMNS,
    Side,
    diff_csv,
    diff_json,
    diff_paths,
    diff_sides,
    finding_key,
    load_side,
    summary_text,
)
from audit.workflow.identity_changes import identity_changes
from tests.cli_helpers import run_cli
from tests.fixtures.review_snapshots import ACCT, T1, T2, after, arn, before
from tests.fixtures.runs import write_run
from tests.fixtures.snapshots import outcomes


def test_identity_changes_cover_every_kind() -> None:
    changes, notes = identity_changes(before(), after())
    assert notes == ()
    got = {(c.kind, c.resource_name) for c in changes}
    assert got == {
        ("user-added", "erin"),
        ("user-removed", "dave"),
        ("role-added", "new-role"),
        ("role-removed", "old-role"),
        ("group-joined", "alice"),
        ("group-left", "alice"),
        ("policy-detached", "carol"),
        ("inline-policy-edited", "bob"),
        ("inline-policy-added", "bob"),
        ("policy-edited", "Deploy"),
        ("policy-edited", "Tuned"),
        ("policy-created", "Fresh"),
        ("policy-deleted", "Legacy"),
        ("key-rotated", "alice"),
        ("key-deactivated", "bob"),
        ("key-created", "erin"),
        ("key-created", "<root_account>"),
        ("mfa-enabled", "bob"),
        ("mfa-removed", "carol"),
        ("mfa-removed", "<root_account>"),
        ("password-policy-changed", ACCT),
    }
    by_kind = {(c.kind, c.resource_name): c.detail for c in changes}
    assert by_kind[("group-joined", "alice")] == "alice added to group Developers"
    assert by_kind[("group-left", "alice")] == "alice removed from group Admins"
    assert by_kind[("policy-detached", "carol")] == "AdministratorAccess detached from user carol"
    assert by_kind[("policy-edited", "Deploy")] == "managed policy Deploy: default version v1 -> v2"
    assert by_kind[("policy-edited", "Tuned")] == "managed policy Tuned: document changed"
    assert "replaced by one created 2026-09-20" in by_kind[("key-rotated", "alice")]
    assert by_kind[("mfa-removed", "<root_account>")] == "root user: MFA removed"
    assert (
        next(c for c in changes if c.resource_name == "<root_account>").resource_type == "account"
    )


def test_no_changes_between_equal_snapshots() -> None:
    assert identity_changes(
        before(), replace(before(), meta=replace(before().meta, collected_at=T2))
    ) == ((), ())


def test_a_part_missing_on_either_side_is_not_compared_but_noted() -> None:
    old = replace(before(), outcomes=outcomes(missing=(PART_CREDENTIAL_REPORT,)))
    changes, notes = identity_changes(old, after())
    assert not any(c.kind.startswith(("key-", "mfa-")) for c in changes)
    assert any(c.kind == "user-added" for c in changes)  # authorization details still compared
    assert notes == ("credential_report not compared: not collected completely in both snapshots",)


def finding(
    rule_id: str,
    name: str,
    severity: Severity = Severity.HIGH,
    status: Status = Status.FAIL,
    **details: Any,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        title=rule_id,
        status=status,
        severity=severity,
        resource_type="user",
        resource_name=name,
        resource_arn=arn("user", name),
        message=f"{name} fails {rule_id} ({details})",
        controls=(),
        remediation="fix",
        details=details,
    )


def test_finding_identity_uses_rule_resource_and_key_slot() -> None:
    assert finding_key(finding("access-key-rotation", "a", key=1, age_days=100)) == (
        "access-key-rotation",
        arn("user", "a"),
        "1",
    )
    no_arn = replace(finding("user-console-mfa", "a"), resource_arn="")
    assert finding_key(no_arn) == ("user-console-mfa", "a", "")


def test_findings_new_resolved_persisting_with_first_seen_across_history() -> None:
    t0 = T1 - timedelta(days=90)
    tm = T1 - timedelta(days=45)
    old_findings = (
        finding("user-console-mfa", "bob"),  # persists since t0 (in every earlier run)
        finding("access-key-rotation", "carol", Severity.MEDIUM, key=1, age_days=100),  # since tm
        finding("access-key-rotation", "carol", Severity.MEDIUM, key=2, age_days=95),  # resolved
        finding("credentials-unused", "dave", Severity.MEDIUM),  # resolved
        finding("user-inline-policy", "erin", Severity.LOW, status=Status.SUPPRESSED),  # persists
        finding(
            "user-attached-policy", "zed", Severity.LOW, status=Status.PASS
        ),  # passing: ignored
    )
    new_findings = (
        finding("user-console-mfa", "bob"),
        # same key, more days: the same finding although the message changed
        finding("access-key-rotation", "carol", Severity.MEDIUM, key=1, age_days=190),
        finding("user-inline-policy", "erin", Severity.LOW),  # suppression expired: fail again
        finding("root-access-key", ACCT, Severity.CRITICAL),  # new
        finding("user-attached-policy", "zed", Severity.LOW),  # new (was passing)
    )
    bob = finding_key(finding("user-console-mfa", "bob"))
    carol1 = finding_key(old_findings[1])
    history = (
        (t0, frozenset({bob})),
        (tm, frozenset({bob, carol1})),
    )
    old = Side("old", before(), old_findings, history)
    new = Side("new", after(), new_findings)
    d = diff_sides(old, new)
    assert [(c.finding.rule_id, c.finding.resource_name) for c in d.new] == [
        ("root-access-key", ACCT),
        ("user-attached-policy", "zed"),
    ]
    assert all(c.first_seen == T2 for c in d.new)
    assert [(c.finding.rule_id, c.finding.resource_name) for c in d.resolved] == [
        ("access-key-rotation", "carol"),
        ("credentials-unused", "dave"),
    ]
    assert d.resolved[0].finding.details["key"] == 2
    persisting = {c.finding.rule_id: c for c in d.persisting}
    assert persisting["user-console-mfa"].first_seen == t0
    assert persisting["access-key-rotation"].first_seen == tm
    assert persisting["access-key-rotation"].finding.details["age_days"] == 190  # the newer one
    assert persisting["user-inline-policy"].first_seen == T1  # no earlier run had it
    assert persisting["user-inline-policy"].previous_status is Status.SUPPRESSED
    assert [c.finding.severity for c in d.persisting] == sorted(
        (c.finding.severity for c in d.persisting), reverse=True
    )


def test_first_seen_restarts_after_a_gap() -> None:
    t0, tm = T1 - timedelta(days=180), T1 - timedelta(days=90)
    f = finding("user-console-mfa", "bob")
    history = ((t0, frozenset({finding_key(f)})), (tm, frozenset()))
    d = diff_sides(Side("o", before(), (f,), history), Side("n", after(), (f,)))
    assert d.persisting[0].first_seen == T1


def test_different_accounts_cannot_be_compared() -> None:
    other = replace(after(), meta=replace(after().meta, account_id="210987654321"))
    with pytest.raises(InputError, match="different accounts"):
        diff_sides(Side("a", before(), ()), Side("b", other, ()))


def test_outputs_json_csv_and_text() -> None:
    evil = replace(finding("user-console-mfa", "=1+2"), resource_arn="")
    d = diff_sides(
        Side("old.json.gz", before(), ()),
        Side(
            "new.json.gz", after(), (evil, finding("root-access-key", "@root", Severity.CRITICAL))
        ),
    )
    doc = json.loads(diff_json(d))
    assert doc["counts"] == {
        "new": 2,
        "resolved": 0,
        "persisting": 0,
        "identity_changes": len(d.identity),
    }
    assert doc["new_findings"][0]["rule_id"] == "root-access-key"
    assert doc["new_findings"][0]["first_seen"] == T2.isoformat()
    assert doc["identity_changes"][0].keys() == {"kind", "resource_type", "resource_name", "detail"}

    data = diff_csv(d)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == DIFF_CSV_COLUMNS
    assert len(rows) == 1 + 2 + len(d.identity)
    names = [r[DIFF_CSV_COLUMNS.index("resource_name")] for r in rows[1:3]]
    assert names == ["'@root", "'=1+2"]  # neutralised: shown as text, never evaluated
    assert {r[0] for r in rows[3:]} == {c.kind for c in d.identity}

    text = summary_text(d, limit=3)
    assert "2 new, 0 resolved, 0 persisting" in text
    assert "[critical] root-access-key  @root" in text
    assert f"... and {len(d.identity) - 3} more (see diff.csv)" in text


def test_persisting_text_says_since_when() -> None:
    f = finding("user-console-mfa", "bob")
    d = diff_sides(Side("o", before(), (f,)), Side("n", after(), (f,)))
    assert "(open since 2026-06-30)" in summary_text(d)


def _write_run(base: Path, snapshot: Snapshot, findings: list[Finding]) -> Path:
    return write_run(base, snapshot, findings)


def no_warning(line: str) -> None:
    raise AssertionError(f"unexpected warning: {line}")


def test_run_folders_bring_their_history(tmp_path: Path) -> None:
    t0 = T1 - timedelta(days=90)
    f = finding("user-console-mfa", "bob")
    _write_run(tmp_path, replace(before(), meta=replace(before().meta, collected_at=t0)), [f])
    old = _write_run(tmp_path, before(), [f])
    new = _write_run(tmp_path, after(), [f])
    d = diff_paths(old, new, Settings(), warn=no_warning)
    assert d.persisting[0].first_seen == t0
    assert len(d.identity) == 21


def test_snapshot_files_are_evaluated(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json.gz", tmp_path / "new.json.gz"
    write_snapshot(before(), old)
    write_snapshot(after(), new)
    side = load_side(new, Settings(), warn=no_warning)
    assert side.history == ()
    assert any(f.rule_id == "user-console-mfa" and f.status is Status.FAIL for f in side.findings)
    d = diff_paths(old, new, Settings(), warn=no_warning)
    assert d.old_when == T1 and d.new_when == T2
    # erin has a console password and no MFA in the new snapshot: a new finding
    assert ("user-console-mfa", "erin") in {
        (c.finding.rule_id, c.finding.resource_name) for c in d.new
    }
    # bob enabled MFA: resolved
    assert ("user-console-mfa", "bob") in {
        (c.finding.rule_id, c.finding.resource_name) for c in d.resolved
    }


def test_unreadable_inputs_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="snapshot file not found"):
        load_side(tmp_path / "nope.json.gz", Settings(), warn=no_warning)
    with pytest.raises(InputError, match="no snapshot.json.gz"):
        load_side(tmp_path, Settings(), warn=no_warning)


# --- the demo account, a quarter apart, with planned changes ---------------------------------


def _plant_changes() -> None:
    """The quarter's changes, made through the IAM API of the in-process demo account."""
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="grace.new", Path="/")
    iam.create_access_key(UserName="grace.new")
    iam.delete_login_profile(UserName="dave.contractor")
    for p in iam.list_attached_user_policies(UserName="dave.contractor")["AttachedPolicies"]:
        iam.detach_user_policy(UserName="dave.contractor", PolicyArn=p["PolicyArn"])
    iam.delete_user(UserName="dave.contractor")
    # carol rotates her 400-day-old key
    (old_key,) = iam.list_access_keys(UserName="carol.ops")["AccessKeyMetadata"]
    iam.create_access_key(UserName="carol.ops")
    iam.delete_access_key(UserName="carol.ops", AccessKeyId=old_key["AccessKeyId"])
    # the forgotten integration's active key is switched off
    for k in iam.list_access_keys(UserName="legacy-backup")["AccessKeyMetadata"]:
        if k["Status"] == "Active":
            iam.update_access_key(
                UserName="legacy-backup", AccessKeyId=k["AccessKeyId"], Status="Inactive"
            )
    # bob enrols MFA and joins ReadOnly
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob.dev")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="bob.dev",
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    iam.add_user_to_group(GroupName="ReadOnly", UserName="bob.dev")
    # ci-deploy loses its directly attached policy; DeveloperAccess gets a new version
    for p in iam.list_attached_user_policies(UserName="ci-deploy")["AttachedPolicies"]:
        iam.detach_user_policy(UserName="ci-deploy", PolicyArn=p["PolicyArn"])
    dev = next(
        p
        for p in iam.list_policies(Scope="Local")["Policies"]
        if p["PolicyName"] == "DeveloperAccess"
    )
    iam.create_policy_version(
        PolicyArn=dev["Arn"],
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}],
            }
        ),
        SetAsDefault=True,
    )


def test_demo_account_diff_a_quarter_apart() -> None:
    from audit.collect import CollectOptions, collect_snapshot
    from audit.collect.demo import DEMO_REGION, demo_environment, plant_demo_account

    now = datetime.now(UTC).replace(microsecond=0)
    options = CollectOptions(region=DEMO_REGION, analyzer_regions=(DEMO_REGION,), quiet=True)
    with demo_environment():
        plant_demo_account(now)
        first = collect_snapshot(options)
        _plant_changes()
        second = collect_snapshot(options)
    # The first review was a quarter ago.
    first = replace(first, meta=replace(first.meta, collected_at=now - timedelta(days=91)))
    d = diff_sides(
        Side("q1", first, evaluate(first).findings), Side("q2", second, evaluate(second).findings)
    )
    changes = {(c.kind, c.resource_name) for c in d.identity}
    expected = {
        ("user-added", "grace.new"),
        ("key-created", "grace.new"),
        ("user-removed", "dave.contractor"),
        ("key-rotated", "carol.ops"),
        ("key-deactivated", "legacy-backup"),
        ("mfa-enabled", "bob.dev"),
        ("group-joined", "bob.dev"),
        ("policy-detached", "ci-deploy"),
        ("policy-edited", "DeveloperAccess"),
        # created 180 days ago, never used: within 90 days at the last review, not now
        ("role-became-unused", "backup-vendor"),
        ("role-became-unused", "ci-deployer"),  # created 120 days ago, never used
    }
    assert expected <= changes, expected - changes
    assert len(changes) == len(expected), changes - expected
    resolved = {(c.finding.rule_id, c.finding.resource_name) for c in d.resolved}
    assert ("user-console-mfa", "bob.dev") in resolved  # MFA enrolled
    assert ("access-key-rotation", "carol.ops") in resolved  # key rotated
    assert ("user-attached-policy", "ci-deploy") in resolved
    new = {(c.finding.rule_id, c.finding.resource_name) for c in d.new}
    assert ("user-not-in-group", "grace.new") in new
    persisting = {c.finding.rule_id: c for c in d.persisting}
    assert persisting["root-access-key"].first_seen == now - timedelta(days=91)


# --- the command --------------------------------------------------------------------------


def test_cli_diff_of_two_snapshot_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    old, new = tmp_path / "old.json.gz", tmp_path / "new.json.gz"
    write_snapshot(before(), old)
    write_snapshot(after(), new)
    code, out, err = run_cli(["diff", str(old), str(new), "--limit", "2"], capsys)
    assert code == 0, err
    assert out.startswith("Account 123456789012: changes from 2026-06-30 09:00 to 2026-09-30 09:00")
    assert "Identity changes:" in out and "more (see diff.csv)" in out
    doc = json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))
    assert doc["counts"]["identity_changes"] == 21
    assert (tmp_path / "diff.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_diff_of_run_folders_writes_into_the_newer_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for snapshot in (before(), after()):
        path = tmp_path / "s.json.gz"
        write_snapshot(snapshot, path)
        code, _, err = run_cli(["report", str(path), "--format", "json", "-q"], capsys)
        assert code == 0, err
    old, new = sorted((tmp_path / "reports" / ACCT).iterdir())
    # the second report already compared itself with the first
    assert (new / "diff.json").is_file()
    (new / "diff.json").unlink()
    code, out, _ = run_cli(["diff", str(old), str(new), "-q"], capsys)
    assert code == 0 and out == ""
    doc = json.loads((new / "diff.json").read_text(encoding="utf-8"))
    assert doc["old"]["source"] == str(old)


def test_cli_diff_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.json.gz"
    write_snapshot(replace(after(), meta=replace(after().meta, account_id="210987654321")), other)
    mine = tmp_path / "mine.json.gz"
    write_snapshot(before(), mine)
    for args, message in (
        ([str(mine), str(other)], "cannot compare different accounts"),
        ([str(mine), str(tmp_path / "missing.json.gz")], "snapshot file not found"),
    ):
        code, _, err = run_cli(["diff", *args, "--out", str(tmp_path)], capsys)
        assert code == 2
        assert len(err.strip().splitlines()) == 1 and message in err
