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

from audit.diff import (
    DIFF_CSV_COLUMNS,
    Side,
    diff_csv,
    diff_json,
    diff_paths,
    diff_sides,
    finding_key,
    identity_changes,
    load_side,
    summary_text,
)
from audit.errors import InputError
from audit.findings import Finding, Severity, Status, finding_record
from audit.history import new_run_dir
from audit.model import (
    ALL_PARTS,
    PART_CREDENTIAL_REPORT,
    ApiOutcome,
    AttachedPolicy,
    CredentialRow,
    Group,
    InlinePolicy,
    ManagedPolicy,
    OutcomeStatus,
    PasswordPolicy,
    ReportAccessKey,
    Role,
    Snapshot,
    SnapshotMeta,
    User,
)
from audit.snapshot_io import to_jsonable, write_snapshot

ACCT = "123456789012"
T1 = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
ADMIN = AttachedPolicy("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess")
DOC_V1 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
}
DOC_V2 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCT}:{kind}/{name}"


def user(name: str, groups: tuple[str, ...] = (), **kw: Any) -> User:
    return User(
        name, arn("user", name), f"AIDA{name.upper()}", "/", T1 - timedelta(days=400), groups, **kw
    )


def key(slot: int, created: datetime, active: bool = True) -> ReportAccessKey:
    return ReportAccessKey(slot=slot, active=active, last_rotated=created, last_used=None)


def row(name: str, mfa: bool = False, keys: tuple[ReportAccessKey, ...] = ()) -> CredentialRow:
    return CredentialRow(
        user=name,
        arn=arn("user", name) if name != "<root_account>" else f"arn:aws:iam::{ACCT}:root",
        user_creation_time=T1 - timedelta(days=400),
        password_enabled=True if name != "<root_account>" else None,
        password_last_used=None,
        password_last_changed=None,
        password_next_rotation=None,
        mfa_active=mfa,
        access_keys=keys,
    )


def snap(when: datetime, *, missing: tuple[str, ...] = (), **parts: Any) -> Snapshot:
    outcomes = tuple(
        ApiOutcome(f"api:{p}", p, OutcomeStatus.ACCESS_DENIED if p in missing else OutcomeStatus.OK)
        for p in ALL_PARTS
    )
    meta = SnapshotMeta(account_id=ACCT, partition="aws", collected_at=when, tool_version="t")
    return Snapshot(meta=meta, outcomes=outcomes, **parts)


OLD_KEY = T1 - timedelta(days=300)
NEW_KEY = T2 - timedelta(days=10)


def before() -> Snapshot:
    return snap(
        T1,
        users=(
            user("alice", ("Admins",)),
            user("bob", ("Developers",), inline_policies=(InlinePolicy("s3", DOC_V1),)),
            user("carol", attached_policies=(ADMIN,)),
            user("dave"),
        ),
        groups=(
            Group("Admins", arn("group", "Admins"), "G1", "/", None, attached_policies=(ADMIN,)),
        ),
        roles=(Role("old-role", arn("role", "old-role"), "R1", "/", None),),
        policies=(
            ManagedPolicy("Deploy", arn("policy", "Deploy"), "P1", "/", "v1", DOC_V1),
            ManagedPolicy("Legacy", arn("policy", "Legacy"), "P2", "/", "v1", DOC_V1),
            ManagedPolicy("Tuned", arn("policy", "Tuned"), "P3", "/", "v3", DOC_V1),
        ),
        credential_report=(
            row("<root_account>", mfa=True),
            row("alice", mfa=True, keys=(key(1, OLD_KEY),)),
            row("bob", keys=(key(1, OLD_KEY), key(2, OLD_KEY + timedelta(days=1)))),
            row("carol", mfa=True),
            row("dave"),
        ),
        password_policy=PasswordPolicy(minimum_password_length=8),
    )


def after() -> Snapshot:
    return snap(
        T2,
        users=(
            # alice: moved from Admins to Developers
            user("alice", ("Developers",)),
            # bob: inline policy edited, a second inline policy added
            user(
                "bob",
                ("Developers",),
                inline_policies=(InlinePolicy("s3", DOC_V2), InlinePolicy("logs", DOC_V1)),
            ),
            # carol: AdministratorAccess detached; dave deleted; erin created
            user("carol"),
            user("erin"),
        ),
        groups=(
            Group("Admins", arn("group", "Admins"), "G1", "/", None, attached_policies=(ADMIN,)),
        ),
        roles=(Role("new-role", arn("role", "new-role"), "R2", "/", None),),
        policies=(
            ManagedPolicy(
                "Deploy", arn("policy", "Deploy"), "P1", "/", "v2", DOC_V2
            ),  # new version
            ManagedPolicy(
                "Tuned", arn("policy", "Tuned"), "P3", "/", "v3", DOC_V2
            ),  # same id, edited
            ManagedPolicy("Fresh", arn("policy", "Fresh"), "P4", "/", "v1", DOC_V1),
        ),
        credential_report=(
            row("<root_account>", mfa=False, keys=(key(1, NEW_KEY),)),
            row("alice", mfa=True, keys=(key(1, NEW_KEY),)),  # rotated
            row(
                "bob",
                mfa=True,
                keys=(key(1, OLD_KEY, active=False), key(2, OLD_KEY + timedelta(days=1))),
            ),
            row("carol", mfa=False),
            row("erin", keys=(key(1, NEW_KEY),)),
        ),
        password_policy=PasswordPolicy(minimum_password_length=14),
    )


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
    old = replace(before(), outcomes=snap(T1, missing=(PART_CREDENTIAL_REPORT,)).outcomes)
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
    run_dir = new_run_dir(base, ACCT, snapshot.meta.collected_at)
    write_snapshot(snapshot, run_dir / "snapshot.json.gz")
    records = [{**finding_record(f), "details": to_jsonable(f.details)} for f in findings]
    (run_dir / "findings.json").write_text(json.dumps(records), encoding="utf-8")
    return run_dir


def test_run_folders_bring_their_history(tmp_path: Path) -> None:
    t0 = T1 - timedelta(days=90)
    f = finding("user-console-mfa", "bob")
    _write_run(tmp_path, replace(before(), meta=replace(before().meta, collected_at=t0)), [f])
    old = _write_run(tmp_path, before(), [f])
    new = _write_run(tmp_path, after(), [f])
    d = diff_paths(old, new)
    assert d.persisting[0].first_seen == t0
    assert len(d.identity) == 21


def test_snapshot_files_are_evaluated(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json.gz", tmp_path / "new.json.gz"
    write_snapshot(before(), old)
    write_snapshot(after(), new)
    side = load_side(new)
    assert side.history == ()
    assert any(f.rule_id == "user-console-mfa" and f.status is Status.FAIL for f in side.findings)
    d = diff_paths(old, new)
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
        load_side(tmp_path / "nope.json.gz")
    with pytest.raises(InputError, match="no snapshot.json.gz"):
        load_side(tmp_path)
