"""Edge cases of real accounts that the rules and the evaluator must judge correctly."""

from __future__ import annotations

from dataclasses import replace

from audit.findings import Status
from audit.model import (
    PART_ACCESS_ANALYZER,
    AccessAnalyzer,
    ApiOutcome,
    OutcomeStatus,
    VirtualMfaDevice,
)
from audit.permissions import Verdict, access, admin_access, user_permissions
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import (
    ADMIN,
    AWS_POLICY,
    allow,
    deny,
    doc,
    iso,
    policy,
    report,
    snapshot,
    user,
)
from tests.rules.builders import by_name, run, statuses

# An AWS managed policy used only as a boundary may be absent from the snapshot.
READ_ONLY_BOUNDARY = f"{AWS_POLICY}/ReadOnlyAccess"


def test_missing_boundary_makes_a_grant_unproven_not_a_failure() -> None:
    snap = snapshot(
        users=(
            user("bounded", attached=(ADMIN,), boundary=READ_ONLY_BOUNDARY),
            user("free", attached=(ADMIN,)),
        ),
        policies=(ADMIN,),
        credential_report=report(
            {"user": "<root_account>"},
            {"user": "bounded", "password_enabled": "true"},
            {"user": "free", "password_enabled": "true"},
        ),
    )
    perms = user_permissions(snap, snap.users[0])
    assert perms.missing_boundary == READ_ONLY_BOUNDARY
    got = access(perms, "iam:PassRole")
    assert any(READ_ONLY_BOUNDARY in n for n in got.notes)
    assert admin_access(perms).verdict is Verdict.ALLOWED  # by its own policies
    for rule_id in ("user-effective-admin", "user-privilege-escalation", "admin-without-mfa"):
        found = by_name(run(rule_id, snap))
        assert found["bounded"].status is Status.NOT_ASSESSED, rule_id
        assert READ_ONLY_BOUNDARY in found["bounded"].message
        # An administrator has nothing to escalate to: only the admin rules fail it.
        expected = Status.PASS if rule_id == "user-privilege-escalation" else Status.FAIL
        assert found["free"].status is expected, rule_id


def test_missing_boundary_cannot_add_grants() -> None:
    reader = user("reader", inline={"r": doc(allow("s3:GetObject"))}, boundary=READ_ONLY_BOUNDARY)
    snap = snapshot(users=(reader,))
    perms = user_permissions(snap, reader)
    assert access(perms, "iam:PassRole").verdict is Verdict.NOT_GRANTED
    assert access(perms, "iam:PassRole").notes == ()


def test_a_deny_without_any_full_grant_is_not_reported_as_granted() -> None:
    plain = user("plain", inline={"x": doc(allow("s3:*"), deny("iam:*"))})
    (finding,) = run("user-effective-admin", snapshot(users=(plain,)))
    assert finding.status is Status.PASS
    assert "is granted" not in finding.message
    got = admin_access(user_permissions(snapshot(users=(plain,)), plain))
    assert got.verdict is Verdict.NOT_GRANTED
    assert not any("granted" in n for n in got.notes)


def test_only_external_access_analyzers_count() -> None:
    def analyzer(region: str, kind: str) -> AccessAnalyzer:
        arn = f"arn:aws:access-analyzer:{region}:{ACCOUNT_ID}:analyzer/{kind.lower()}"
        return AccessAnalyzer(region, kind.lower(), arn, kind, "ACTIVE")

    snap = snapshot(
        regions=("us-east-1", "eu-west-1", "eu-central-1"),
        access_analyzers=(
            analyzer("us-east-1", "ACCOUNT_UNUSED_ACCESS"),
            analyzer("eu-west-1", "ORGANIZATION"),
            analyzer("eu-central-1", "ACCOUNT_INTERNAL_ACCESS"),
            analyzer("eu-central-1", "ACCOUNT"),
        ),
    )
    got = by_name(run("access-analyzer-enabled", snap))
    assert got["us-east-1"].status is Status.FAIL
    assert "account_unused_access (ACCOUNT_UNUSED_ACCESS)" in got["us-east-1"].message
    assert got["eu-west-1"].status is Status.PASS
    assert got["eu-central-1"].status is Status.PASS


def _key(slot: int, *, rotated: int, used: int | None) -> dict[str, str]:
    row = {f"access_key_{slot}_active": "true", f"access_key_{slot}_last_rotated": iso(rotated)}
    if used is not None:
        row[f"access_key_{slot}_last_used_date"] = iso(used)
    return row


def test_unreported_password_enabled_never_passes_silently() -> None:
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/gov-phone"
    snap = snapshot(
        credential_report=report(
            {"user": "<root_account>"},
            {"user": "gov", "password_enabled": "not_supported", **_key(1, rotated=10, used=1)},
            {
                "user": "gov-new",
                "password_enabled": "not_supported",
                **_key(2, rotated=3, used=None),
            },
            {"user": "gov-mfa", "password_enabled": "not_supported", "mfa_active": "true"},
        ),
        virtual_mfa_devices=(VirtualMfaDevice(serial, user_name="gov-mfa"),),
    )
    unused = statuses(run("credentials-unused", snap))
    assert unused == {
        "gov": Status.NOT_ASSESSED,
        "gov-new": Status.NOT_ASSESSED,
        "gov-mfa": Status.NOT_ASSESSED,
    }
    assert statuses(run("user-key-at-setup", snap)) == {"gov-new": Status.NOT_ASSESSED}
    assert statuses(run("user-hardware-mfa", snap)) == {"gov-mfa": Status.NOT_ASSESSED}


def test_full_admin_statement_counts_even_when_the_policy_denies_a_few_actions() -> None:
    # CIS "no full *:* admin policies attached" and Security Hub IAM.1 judge the statement.
    guarded = policy(
        "AdminWithGuardrails", doc(allow("*"), deny("organizations:LeaveOrganization"))
    )
    snap = snapshot(users=(user("ops", attached=(guarded,)),), policies=(guarded,))
    (full,) = run("policy-full-admin", snap)
    assert full.status is Status.FAIL
    (attached,) = run("admin-policy-attached", snap)
    assert attached.status is Status.FAIL and "AdminWithGuardrails" in attached.message
    # the user is powerful but not unrestricted: that is the effective-admin rule's view
    (effective,) = run("user-effective-admin", snap)
    assert effective.status is Status.PASS


def test_an_unassigned_leftover_virtual_device_does_not_make_root_mfa_virtual() -> None:
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/root-account-mfa-device"
    snap = snapshot(
        credential_report=report({"user": "<root_account>", "mfa_active": "true"}),
        virtual_mfa_devices=(VirtualMfaDevice(serial),),  # deactivated, never deleted
    )
    (finding,) = run("root-hardware-mfa", snap)
    assert finding.status is Status.PASS


def test_key_last_use_not_supported_is_unknown_not_never_used() -> None:
    unsupported = {
        "access_key_1_active": "true",
        "access_key_1_last_rotated": iso(200),
        "access_key_1_last_used_date": "not_supported",
    }
    snap = snapshot(
        credential_report=report(
            {"user": "<root_account>"},
            {"user": "gov", "password_enabled": "true", "password_last_used": iso(2),
             "mfa_active": "true", **unsupported},
            {"user": "fresh", "password_enabled": "true", "password_last_used": iso(2),
             **_key(1, rotated=200, used=None)},
        )
    )  # fmt: skip
    unused = by_name(run("credentials-unused", snap))
    assert unused["gov"].status is Status.NOT_ASSESSED
    assert unused["fresh"].status is Status.FAIL  # N/A: never used since its creation
    at_setup = by_name(run("user-key-at-setup", snap))
    assert at_setup["gov"].status is Status.NOT_ASSESSED
    assert at_setup["fresh"].status is Status.FAIL


def test_a_user_created_after_the_credential_report_is_not_assessed_not_passed() -> None:
    # AWS serves a cached report up to 4 hours old: a user created since is not in it.
    snap = snapshot(
        users=(user("old"), user("new")),
        credential_report=report(
            {"user": "<root_account>"},
            {"user": "old", "password_enabled": "true", "mfa_active": "true",
             "password_last_used": iso(1)},
        ),
    )  # fmt: skip
    for rule_id in (
        "user-console-mfa",
        "access-key-rotation",
        "credentials-unused",
        "user-hardware-mfa",
        "user-key-at-setup",
        "user-multiple-active-keys",
        "user-console-and-keys",
    ):
        got = by_name(run(rule_id, snap))
        assert got["new"].status is Status.NOT_ASSESSED, rule_id
        assert "not in the credential report" in got["new"].message


def test_a_policy_used_only_as_a_boundary_is_not_a_grant() -> None:
    # Boundaries are written with broad Allows: they cap what a user may be granted.
    cap = replace(
        policy("DevBoundary", doc(allow("*"), allow("s3:*"), deny("iam:*")), attachments=0),
        permissions_boundary_usage_count=3,
    )
    granted = policy("AdminGrant", doc(allow("*")))
    snap = snapshot(policies=(cap, granted))
    for rule_id in ("policy-full-admin", "policy-service-wildcard", "policy-privilege-escalation"):
        got = by_name(run(rule_id, snap))
        assert got["DevBoundary"].status is Status.PASS, rule_id
        assert "permissions boundary" in got["DevBoundary"].message
    assert by_name(run("policy-full-admin", snap))["AdminGrant"].status is Status.FAIL
    # '*' on '*' is already everything: policy-full-admin judges it, there is nothing to escalate.
    esc = by_name(run("policy-privilege-escalation", snap))["AdminGrant"]
    assert esc.status is Status.PASS and "policy-full-admin" in esc.message


def test_an_inactive_root_access_key_still_exists() -> None:
    inactive = {
        "user": "<root_account>",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": iso(800),
        "access_key_2_last_used_date": iso(700),
    }
    (finding,) = run("root-access-key", snapshot(credential_report=report(inactive)))
    assert finding.status is Status.FAIL and "inactive access key(s) in slot 2" in finding.message
    (clean,) = run(
        "root-access-key", snapshot(credential_report=report({"user": "<root_account>"}))
    )
    assert clean.status is Status.PASS


def test_virtual_mfa_message_does_not_claim_it_is_the_only_device() -> None:
    # Users may hold up to 8 MFA devices; the snapshot lists only the virtual ones.
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/ann-phone"
    snap = snapshot(
        credential_report=report(
            {"user": "<root_account>"},
            {"user": "ann", "password_enabled": "true", "mfa_active": "true"},
        ),
        virtual_mfa_devices=(VirtualMfaDevice(serial, user_name="ann"),),
    )
    (finding,) = run("user-hardware-mfa", snap)
    assert finding.status is Status.FAIL
    assert "only" not in finding.message and serial in finding.message


def test_access_analyzer_judges_the_regions_that_answered() -> None:
    # An SCP that denies a region must not hide a missing analyzer in the regions that answered.
    def outcome(region: str, status: OutcomeStatus) -> ApiOutcome:
        return ApiOutcome("access-analyzer:ListAnalyzers", PART_ACCESS_ANALYZER, status, "", region)

    arn = f"arn:aws:access-analyzer:us-east-1:{ACCOUNT_ID}:analyzer/a"
    base = snapshot(
        regions=("us-east-1", "eu-west-1", "ap-south-1"),
        access_analyzers=(AccessAnalyzer("us-east-1", "a", arn, "ACCOUNT", "ACTIVE"),),
    )
    others = tuple(o for o in base.outcomes if o.part != PART_ACCESS_ANALYZER)
    partial = replace(
        base,
        outcomes=(
            *others,
            outcome("us-east-1", OutcomeStatus.OK),
            outcome("eu-west-1", OutcomeStatus.OK),
            outcome("ap-south-1", OutcomeStatus.ACCESS_DENIED),
        ),
    )
    assert statuses(run("access-analyzer-enabled", partial)) == {
        "us-east-1": Status.PASS,
        "eu-west-1": Status.FAIL,
        "ap-south-1": Status.NOT_ASSESSED,
    }
    # every region failed: the rule is not assessed as a whole, as before
    denied = replace(
        base,
        outcomes=(
            *others,
            *(outcome(r, OutcomeStatus.ACCESS_DENIED) for r in base.meta.regions),
        ),
    )
    (whole,) = run("access-analyzer-enabled", denied)
    assert whole.status is Status.NOT_ASSESSED and whole.resource_type == "account"
    # a failed region list (no region on the outcome) still stops the rule
    no_list = replace(
        partial,
        outcomes=(
            *partial.outcomes,
            ApiOutcome("ec2:DescribeRegions", PART_ACCESS_ANALYZER, OutcomeStatus.ACCESS_DENIED),
        ),
    )
    (blocked,) = run("access-analyzer-enabled", no_list)
    assert blocked.status is Status.NOT_ASSESSED and "DescribeRegions" in blocked.message
