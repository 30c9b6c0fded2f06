"""Rules on effective access: admin by any path, admin without MFA, privilege escalation."""

from __future__ import annotations

from dataclasses import replace

from audit.findings import Severity, Status
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import ADMIN, allow, doc, group, policy, report, role, snapshot, user
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


def test_user_privilege_escalation() -> None:
    passer = policy("PassAnyRole", doc(allow("iam:PassRole")))
    snap = base(
        user("dev", groups=("readers",), inline={"ec2": doc(allow("ec2:RunInstances"))}),
        user("ops", groups=("ops",)),
        user("reader", groups=("readers",)),
        user("maybe", inline={"k": doc(allow("iam:CreateAccessKey", Condition=MFA_ONLY))}),
        user("ghost", boundary=GHOST),
        policies=(passer,),
    )
    snap = replace(snap, groups=(*snap.groups, group("ops", attached=(passer,))))
    got = by_name(run("user-privilege-escalation", snap))
    assert got["dev"].status is Status.PASS  # RunInstances without PassRole is not enough
    assert got["reader"].status is Status.PASS
    assert got["ops"].status is Status.PASS  # PassRole alone is not enough either
    assert got["maybe"].status is Status.FAIL and got["maybe"].severity is Severity.MEDIUM
    assert "iam:CreateAccessKey (conditional) via inline policy k" in got["maybe"].message
    assert got["ghost"].status is Status.NOT_ASSESSED

    both = base(
        user("dev", groups=("ops",), inline={"ec2": doc(allow("ec2:RunInstances"))}),
        policies=(passer,),
    )
    both = replace(both, groups=(*both.groups, group("ops", attached=(passer,))))
    (finding,) = run("user-privilege-escalation", both)
    assert finding.status is Status.FAIL and finding.severity is Severity.HIGH
    assert finding.message == (
        "dev can escalate privileges by 1 method(s): iam:PassRole + ec2:RunInstances "
        "via group ops -> policy PassAnyRole, via inline policy ec2"
    )


def test_admin_escalation_message_is_bounded() -> None:
    (finding,) = run("user-privilege-escalation", base(user("alice", groups=("g-admins",))))
    assert finding.status is Status.FAIL
    assert "by 23 method(s)" in finding.message and "and 20 more" in finding.message


def test_policy_privilege_escalation() -> None:
    putter = policy("SelfService", doc(allow(["iam:PutUserPolicy", "s3:GetObject"])))
    cfn = doc(allow(["iam:PassRole", "cloudformation:*"]))
    builder = role("builder", role_id="AROAB", inline={"cfn": cfn})
    snap = base(
        user("u", inline={"safe": doc(allow("s3:GetObject"))}),
        roles=(builder,),
        policies=(putter,),
    )
    got = by_name(run("policy-privilege-escalation", snap))
    assert "AdministratorAccess" not in got  # AWS managed: judged through the users holding it
    assert got["SelfService"].status is Status.FAIL
    assert got["SelfService"].message == (
        "SelfService allows privilege escalation: iam:PutUserPolicy."
    )
    assert got["Read"].status is Status.PASS
    assert got["user u: safe"].status is Status.PASS
    inline = got["role builder: cfn"]
    assert inline.status is Status.FAIL and inline.resource_type == "inline_policy"
    assert "iam:PassRole + cloudformation:CreateStack" in inline.message
