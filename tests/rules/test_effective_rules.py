"""Rules on effective access: admin by any path, admin without MFA (escalation: see
test_escalation_graph.py)."""

from __future__ import annotations

from audit.findings import Severity, Status
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import ADMIN, allow, doc, group, policy, report, snapshot, user
from tests.rules.builders import by_name, run, statuses

READ = policy("Read", doc(allow(["s3:Get*", "ec2:Describe*"])))
MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
GHOST = f"arn:aws:iam::{ACCOUNT_ID}:policy/NotCollected"


def base(*users, **extra):  # type: ignore[no-untyped-def]
    return snapshot(
        users=users,
        groups=(group("g-admins", attached=(ADMIN,)), group("readers", attached=(READ,))),
        policies=(ADMIN, READ, *extra.pop("policies", ())),
        **extra,
    )


def test_user_effective_admin_names_the_path() -> None:
    bound = policy("ReadBoundary", doc(allow("s3:*")), attachments=0)
    snap = base(
        user("alice", groups=("g-admins",)),
        user("cond", inline={"vpn": doc(allow("*", Condition=MFA_ONLY))}),
        user("reader", groups=("readers",)),
        user("bounded", groups=("g-admins",), boundary=bound.arn),
        user("ghost", groups=("readers",), boundary=GHOST),
        policies=(bound,),
    )
    got = by_name(run("user-effective-admin", snap))
    assert got["alice"].status is Status.FAIL
    assert got["alice"].message == (
        "alice can do * on * via group g-admins -> policy AdministratorAccess."
    )
    assert got["cond"].status is Status.FAIL and got["cond"].severity is Severity.MEDIUM
    assert "under a condition via inline policy vpn" in got["cond"].message
    assert got["reader"].status is Status.PASS
    assert got["bounded"].status is Status.PASS
    assert "outside permissions boundary ReadBoundary" in got["bounded"].message
    assert got["ghost"].status is Status.NOT_ASSESSED and GHOST in got["ghost"].message


def test_admin_without_mfa() -> None:
    snap = base(
        user("alice", groups=("g-admins",)),
        user("bob", groups=("g-admins",)),
        user("robot", groups=("g-admins",)),
        user("reader", groups=("readers",)),
        user("unlisted", groups=("g-admins",)),
        credential_report=report(
            {"user": "<root_account>"},
            {"user": "alice", "password_enabled": "true", "mfa_active": "true"},
            {"user": "bob", "password_enabled": "true", "mfa_active": "false"},
            {"user": "robot"},
            {"user": "reader", "password_enabled": "true"},
        ),
    )
    got = run("admin-without-mfa", snap)
    assert statuses(got) == {
        "alice": Status.PASS,
        "bob": Status.FAIL,
        "robot": Status.PASS,
        "unlisted": Status.NOT_ASSESSED,
    }
    assert by_name(got)["bob"].message == (
        "bob can do * on * via group g-admins -> policy AdministratorAccess and signs in with "
        "a password and no MFA."
    )
    assert by_name(got)["bob"].severity is Severity.CRITICAL
