"""Managed-policy rules: full admin, where it is attached, service wildcards, AWS policies."""

from __future__ import annotations

from dataclasses import replace

from audit.findings import Severity, Status
from audit.model import AttachedPolicy
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import ADMIN, allow, deny, doc, group, policy, role, snapshot, user
from tests.rules.builders import by_name, run, statuses

HOME_ADMIN = policy("EverythingPolicy", doc(allow(["*"], ["*"])))
IDLE_ADMIN = policy("OldAdmin", doc(allow("*")), attachments=0)
COND_ADMIN = policy(
    "VpnAdmin", doc(allow("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
)
READ = policy("Read", doc(allow(["s3:Get*", "ec2:Describe*"])))
WILD = policy("S3All", doc(allow(["s3:*", "s3:GetObject"]), allow("Logs:*")))


def test_policy_full_admin_severity_depends_on_attachment() -> None:
    snap = snapshot(policies=(HOME_ADMIN, IDLE_ADMIN, COND_ADMIN, READ, ADMIN))
    got = by_name(run("policy-full-admin", snap))
    assert set(got) == {"EverythingPolicy", "OldAdmin", "VpnAdmin", "Read"}  # AWS ones skipped
    assert got["EverythingPolicy"].status is Status.FAIL
    assert got["EverythingPolicy"].severity is Severity.HIGH
    assert got["OldAdmin"].severity is Severity.MEDIUM
    assert "not attached" in got["OldAdmin"].message
    assert "under a condition" in got["VpnAdmin"].message
    assert got["Read"].status is Status.PASS


def test_admin_policy_attached() -> None:
    unknown = AttachedPolicy("Mystery", f"arn:aws:iam::{ACCOUNT_ID}:policy/Mystery")
    snap = snapshot(
        users=(user("u", attached=(HOME_ADMIN,)), replace(user("v"), attached_policies=(unknown,))),
        groups=(group("admins", attached=(ADMIN,)), group("readers", attached=(READ,))),
        roles=(role("ops", attached=(f"arn:aws:iam::aws:policy/{ADMIN.name}",)),),
        policies=(HOME_ADMIN, READ),  # AdministratorAccess itself not collected: known by ARN
    )
    got = run("admin-policy-attached", snap)
    assert statuses(got) == {
        "u": Status.FAIL,
        "v": Status.NOT_ASSESSED,
        "admins": Status.FAIL,
        "readers": Status.PASS,
        "ops": Status.FAIL,
    }
    assert by_name(got)["admins"].message == (
        "Group admins has full-admin policy attached: AdministratorAccess."
    )
    assert by_name(got)["ops"].resource_type == "role"


def test_policy_unattached() -> None:
    bound = replace(
        policy("Bound", doc(allow("s3:*")), attachments=0), permissions_boundary_usage_count=2
    )
    got = run("policy-unattached", snapshot(policies=(READ, IDLE_ADMIN, bound, ADMIN)))
    assert statuses(got) == {"Read": Status.PASS, "OldAdmin": Status.FAIL, "Bound": Status.PASS}


def test_policy_service_wildcard() -> None:
    not_action = policy("NotIam", doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    denied = policy("DenyAll", doc(deny("s3:*")))
    got = run("policy-service-wildcard", snapshot(policies=(WILD, READ, not_action, denied)))
    assert statuses(got) == {
        "S3All": Status.FAIL,
        "Read": Status.PASS,
        "NotIam": Status.PASS,
        "DenyAll": Status.PASS,
    }
    assert by_name(got)["S3All"].message == "Policy S3All allows s3:*, Logs:*."


def test_cloudshell_full_access() -> None:
    shell = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
    clean = run("cloudshell-full-access", snapshot(users=(user("a"),)))
    assert [f.status for f in clean] == [Status.PASS]
    snap = snapshot(
        users=(
            replace(
                user("dev"), attached_policies=(AttachedPolicy("AWSCloudShellFullAccess", shell),)
            ),
        ),
        roles=(role("shell-role", attached=(shell,)),),
    )
    got = run("cloudshell-full-access", snap)
    assert statuses(got) == {"dev": Status.FAIL, "shell-role": Status.FAIL}
    assert by_name(got)["dev"].message == "User dev has AWSCloudShellFullAccess."


def test_support_role() -> None:
    support = "arn:aws:iam::aws:policy/AWSSupportAccess"
    ok = run("support-role", snapshot(roles=(role("aws-support", attached=(support,)),)))
    assert [f.status for f in ok] == [Status.PASS] and "aws-support" in ok[0].message
    # attached to a user does not count: CIS asks for a role
    user_only = replace(
        user("helpdesk"), attached_policies=(AttachedPolicy("AWSSupportAccess", support),)
    )
    bad = run("support-role", snapshot(users=(user_only,), roles=(role("other"),)))
    assert [f.status for f in bad] == [Status.FAIL]
