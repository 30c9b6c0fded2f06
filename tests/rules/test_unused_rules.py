"""Unused-access rules (issue 14): role-unused, user-mfa-all, permissions-unused,
access-analyzer-unused-findings. T0 = 2026-09-30; the default threshold is 90 days."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from audit.findings import Severity, Status
from audit.model import (
    PART_LAST_ACCESSED,
    PART_UNUSED_FINDINGS,
    ApiOutcome,
    OutcomeStatus,
    Role,
    Snapshot,
)
from audit.model_unused import (
    ACCESS_NOT_ASSESSED,
    AnalyzerFinding,
    PrincipalAccess,
    ServiceAccess,
    UnusedAccess,
)
from audit.settings import Settings, Thresholds
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.rules.builders import (
    ADMIN,
    ago,
    allow,
    by_name,
    doc,
    iso,
    report,
    role,
    run,
    snapshot,
    statuses,
    user,
    without,
)

ROOT = {"user": "<root_account>"}
SERVICE_ROLE_PATH = "/aws-service-role/support.amazonaws.com/"


def aged_role(
    name: str,
    *,
    created_days_ago: int | None = 400,
    last_used_days_ago: int | None = None,
    path: str = "/",
    **kw: Any,
) -> Role:
    """A role created and last used (in eu-west-1) that many days before T0."""
    used = last_used_days_ago is not None
    made = role(
        name,
        created=None if created_days_ago is None else ago(created_days_ago),
        last_used=ago(last_used_days_ago) if last_used_days_ago is not None else None,
        **kw,
    )
    return replace(made, path=path, last_used_region="eu-west-1" if used else None)


# --- role-unused ---------------------------------------------------------------------------


def test_role_unused_pass_fail_and_not_assessed() -> None:
    snap = snapshot(
        roles=(
            aged_role("busy", last_used_days_ago=3),
            aged_role("stale", last_used_days_ago=200),
            aged_role("never", created_days_ago=300),
            aged_role("new", created_days_ago=10),
            aged_role("undated", created_days_ago=None),
        )
    )
    got = run("role-unused", snap)
    assert statuses(got) == {
        "busy": Status.PASS,
        "stale": Status.FAIL,
        "never": Status.FAIL,
        "new": Status.PASS,
        "undated": Status.NOT_ASSESSED,
    }
    found = by_name(got)
    assert found["stale"].severity is Severity.LOW
    assert "unused for 200 days (last used 2026-03-14 in eu-west-1; limit 90)" in (
        found["stale"].message
    )
    assert "no use recorded since it was created" in found["never"].message


def test_role_unused_threshold_from_settings() -> None:
    snap = snapshot(roles=(aged_role("r", last_used_days_ago=40),))
    tight = Settings(thresholds=Thresholds(unused_access_days=30))
    assert statuses(run("role-unused", snap)) == {"r": Status.PASS}
    assert statuses(run("role-unused", snap, tight)) == {"r": Status.FAIL}


def test_role_unused_is_medium_for_admin_or_escalating_roles() -> None:
    escalate = {"keys": doc(allow("iam:CreateAccessKey"))}
    snap = snapshot(
        roles=(
            aged_role("admin", last_used_days_ago=200, attached=(ADMIN,)),
            aged_role("escalates", last_used_days_ago=200, inline=escalate),
            aged_role("reader", last_used_days_ago=200, inline={"r": doc(allow("s3:GetObject"))}),
        ),
        policies=(ADMIN,),
    )
    found = by_name(run("role-unused", snap))
    assert found["admin"].severity is Severity.MEDIUM
    assert "admin (* on *)" in found["admin"].message
    assert found["escalates"].severity is Severity.MEDIUM
    assert "iam:CreateAccessKey" in found["escalates"].message
    assert found["reader"].severity is Severity.LOW


def test_service_linked_roles_are_reported_apart_never_failed() -> None:
    snap = snapshot(
        roles=(
            aged_role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/"),
        )
    )
    (f,) = run("role-unused", snap)
    assert f.status is Status.PASS and f.severity is Severity.INFO
    assert f.details["service_linked"] is True and f.details["stale"] is True
    assert "Service-linked role AWSServiceRoleForSupport is unused for 400 days" in f.message


def test_role_unused_not_assessed_without_authorization_details() -> None:
    snap = without(
        snapshot(roles=(aged_role("stale", last_used_days_ago=200),)), "authorization_details"
    )
    (f,) = run("role-unused", snap)
    assert f.status is Status.NOT_ASSESSED and f.resource_type == "account"


# --- user-mfa-all ----------------------------------------------------------------------------


def test_user_mfa_all_judges_every_user_console_or_not() -> None:
    snap = snapshot(
        credential_report=report(
            ROOT,
            {"user": "ann", "password_enabled": "true", "mfa_active": "true"},
            {"user": "ci", "access_key_1_active": "true", "access_key_1_last_rotated": iso(5)},
            {"user": "bob", "password_enabled": "true"},
        ),
        users=(user("ann"), user("ci"), user("bob"), user("late")),
    )
    got = run("user-mfa-all", snap)
    assert statuses(got) == {
        "ann": Status.PASS,
        "ci": Status.FAIL,
        "bob": Status.FAIL,
        "late": Status.NOT_ASSESSED,  # created after the credential report
    }
    assert by_name(got)["ci"].message == "ci has no MFA device (no console password)."
    assert by_name(got)["ci"].controls == ("AWS Security Hub IAM.19",)


def test_user_mfa_all_not_assessed_without_credential_report() -> None:
    snap = without(snapshot(credential_report=report(ROOT, {"user": "ci"})), "credential_report")
    (f,) = run("user-mfa-all", snap)
    assert f.status is Status.NOT_ASSESSED


# --- permissions-unused ----------------------------------------------------------------------


def _svc(namespace: str, used_days_ago: int | None) -> ServiceAccess:
    return ServiceAccess(
        namespace, namespace.upper(), None if used_days_ago is None else ago(used_days_ago)
    )


def _accessed(*principals: PrincipalAccess, **parts: object) -> Snapshot:
    return snapshot(unused_access=UnusedAccess(last_accessed=principals), **parts)


def _principal(kind: str, name: str, *services: ServiceAccess) -> PrincipalAccess:
    return PrincipalAccess(
        kind, name, f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{name}", services=services
    )


def test_permissions_unused_lists_services_admin_and_write_first() -> None:
    deployer = user(
        "deployer",
        inline={
            "p": doc(
                allow(["s3:GetObject", "s3:PutObject"]),
                allow("ec2:Describe*"),
                allow("iam:*"),
                allow("sqs:ListQueues"),
            )
        },
    )
    snap = _accessed(
        _principal(
            "user",
            "deployer",
            _svc("ec2", None),
            _svc("iam", 200),
            _svc("s3", 100),
            _svc("sqs", 5),
        ),
        _principal("user", "tidy", _svc("s3", 1)),
        users=(deployer, user("tidy")),
    )
    got = run("permissions-unused", snap)
    assert statuses(got) == {"deployer": Status.FAIL, "tidy": Status.PASS}
    f = by_name(got)["deployer"]
    assert f.message == (
        "deployer: 3 of 4 granted services unused for 90 days: iam (admin), s3 (write), ec2 (read)."
    )
    assert f.severity is Severity.MEDIUM
    assert [u["level"] for u in f.details["unused"]] == ["admin", "write", "read"]
    assert f.details["unused"][2]["last_used"] is None


def test_permissions_unused_read_only_leftovers_stay_low() -> None:
    reader = user("reader", inline={"p": doc(allow("s3:Get*"))})
    snap = _accessed(_principal("user", "reader", _svc("s3", 300)), users=(reader,))
    (f,) = run("permissions-unused", snap)
    assert f.status is Status.FAIL and f.severity is Severity.LOW


def test_permissions_unused_roles_new_principals_and_service_linked() -> None:
    snap = _accessed(
        _principal("role", "app", _svc("dynamodb", None)),
        _principal("role", "fresh", _svc("dynamodb", None)),
        _principal("role", "AWSServiceRoleForSupport", _svc("support", None)),
        roles=(
            aged_role("app", inline={"d": doc(allow("dynamodb:*"))}),
            aged_role("fresh", created_days_ago=20),
            aged_role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/"),
        ),
    )
    got = run("permissions-unused", snap)
    assert statuses(got) == {"app": Status.FAIL, "fresh": Status.PASS}
    assert "dynamodb (admin)" in by_name(got)["app"].message


def test_permissions_unused_not_assessed_per_principal_and_without_the_flag() -> None:
    skipped = PrincipalAccess(
        "user",
        "late",
        f"arn:aws:iam::{ACCOUNT_ID}:user/late",
        status=ACCESS_NOT_ASSESSED,
        reason="the --last-accessed-budget of 600 s was spent before this principal",
    )
    got = run("permissions-unused", _accessed(skipped, users=(user("late"),)))
    assert statuses(got) == {"late": Status.NOT_ASSESSED}
    assert "budget" in got[0].message

    # Not requested: not assessed with the reason, and not a failed collection (no exit 3).
    outcomes = tuple(
        replace(o, status=OutcomeStatus.NOT_REQUESTED, message="run with --last-accessed")
        if o.part == PART_LAST_ACCESSED
        else o
        for o in snapshot().outcomes
    )
    snap = replace(snapshot(users=(user("x"),)), outcomes=outcomes)
    (f,) = run("permissions-unused", snap)
    assert (f.status, f.message) == (Status.NOT_ASSESSED, "run with --last-accessed")
    assert snap.failed_outcomes == ()

    denied = without(snapshot(users=(user("x"),)), PART_LAST_ACCESSED)
    (f,) = run("permissions-unused", denied)
    assert f.status is Status.NOT_ASSESSED and "access_denied" in f.message
    assert denied.failed_outcomes


# --- access-analyzer-unused-findings ---------------------------------------------------------

ANALYZER = f"arn:aws:access-analyzer:us-east-1:{ACCOUNT_ID}:analyzer/unused"


def _finding(arn: str, kind: str, n: int, status: str = "ACTIVE") -> AnalyzerFinding:
    rtype = "AWS::IAM::Role" if ":role/" in arn else "AWS::IAM::User"
    return AnalyzerFinding(ANALYZER, "us-east-1", f"f-{n}", arn, rtype, kind, status)


def test_analyzer_findings_reported_per_principal() -> None:
    app, bob = aged_role("app"), user("bob")
    other = "arn:aws:iam::999999999999:role/elsewhere"
    snap = snapshot(
        roles=(app,),
        users=(bob, user("ann")),
        unused_access=UnusedAccess(
            analyzers=(ANALYZER,),
            findings=(
                _finding(app.arn, "UnusedIAMRole", 1),
                _finding(bob.arn, "UnusedIAMUserAccessKey", 2),
                _finding(bob.arn, "UnusedPermission", 3),
                _finding(bob.arn, "UnusedIAMUserPassword", 4, status="ARCHIVED"),
                _finding(other, "UnusedIAMRole", 5),
                _finding(f"arn:aws:iam::{ACCOUNT_ID}:role/gone", "UnusedIAMRole", 6),
            ),
        ),
    )
    got = run("access-analyzer-unused-findings", snap)
    assert statuses(got) == {
        "app": Status.FAIL,
        "bob": Status.FAIL,
        "ann": Status.PASS,
        "gone": Status.FAIL,  # deleted since the analyzer ran: still reported, as AWS did
    }
    assert by_name(got)["bob"].message == (
        "bob: 2 active unused-access finding(s): UnusedIAMUserAccessKey, UnusedPermission."
    )


def test_analyzer_findings_not_assessed_without_an_unused_access_analyzer() -> None:
    (f,) = run("access-analyzer-unused-findings", snapshot(users=(user("bob"),)))
    assert f.status is Status.NOT_ASSESSED and "No active unused-access analyzer" in f.message


def test_analyzer_findings_not_assessed_when_listing_failed() -> None:
    snap = without(snapshot(users=(user("bob"),)), PART_UNUSED_FINDINGS)
    (f,) = run("access-analyzer-unused-findings", snap)
    assert f.status is Status.NOT_ASSESSED

    # One analyzer region failed, another answered: judged, with the gap reported.
    outcomes = (
        *snapshot().outcomes,
        ApiOutcome(
            api="access-analyzer:ListFindingsV2",
            part=PART_UNUSED_FINDINGS,
            status=OutcomeStatus.ACCESS_DENIED,
            message="AccessDeniedException: no",
            region="eu-west-1",
        ),
        ApiOutcome(
            api="access-analyzer:ListFindingsV2",
            part=PART_UNUSED_FINDINGS,
            status=OutcomeStatus.OK,
            region="us-east-1",
        ),
    )
    snap = replace(
        snapshot(users=(user("bob"),), unused_access=UnusedAccess(analyzers=(ANALYZER,))),
        outcomes=tuple(
            o for o in outcomes if not (o.part == PART_UNUSED_FINDINGS and not o.region)
        ),
    )
    got = run("access-analyzer-unused-findings", snap)
    assert statuses(got) == {ACCOUNT_ID: Status.NOT_ASSESSED, "bob": Status.PASS}
