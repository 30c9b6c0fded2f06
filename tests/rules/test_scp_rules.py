"""SCPs in effective access: an SCP denying iam:* on an OU turns an admin into a non-admin."""

from __future__ import annotations

from audit.findings import Severity, Status
from audit.model_org import ScpChain
from audit.permissions import Verdict, access, admin_access, document_permissions
from audit.permissions.scp import capped, chain_for
from tests.fixtures.snapshots import (
    allow,
    cred_row,
    deny,
    doc,
    group,
    policy,
    root_row,
    snapshot,
    user,
)
from tests.rules.builders import ADMIN, by_name, run
from tests.rules.org_builders import (
    MANAGEMENT,
    PROD_OU,
    SANDBOX_ACCOUNT,
    WEB_ACCOUNT,
    in_org,
    org_snapshot,
    scp,
)

DENY_IAM = org_snapshot(scps=[scp("DenyIAM", doc(deny("iam:*")), PROD_OU)])
KEYS = policy("MintKeys", doc(allow("iam:CreateAccessKey")))
ACCOUNT = snapshot(
    users=(user("ada", groups=("admins",)), user("kim", attached=(KEYS,))),
    groups=(group("admins", attached=(ADMIN,)),),
    policies=(ADMIN, KEYS),
    credential_report=(root_row(), cred_row("ada", mfa=False), cred_row("kim", mfa=False)),
)


def test_an_scp_denying_iam_turns_an_admin_into_a_non_admin_and_names_the_scp() -> None:
    # Web sits under Prod, where DenyIAM is attached.
    (ada,) = [
        f
        for f in run("user-effective-admin", in_org(ACCOUNT, DENY_IAM, WEB_ACCOUNT))
        if f.resource_name == "ada"
    ]
    assert ada.status is Status.PASS
    assert ada.message == "ada cannot do * on * (denied by SCP DenyIAM at OU Prod)."
    # Not an admin there, so the MFA rule has nobody to judge.
    findings = run("admin-without-mfa", in_org(ACCOUNT, DENY_IAM, WEB_ACCOUNT))
    assert [f.resource_type for f in findings] == ["account"] and findings[0].status is Status.PASS


def test_the_same_admin_elsewhere_in_the_organization_stays_an_admin() -> None:
    for account_id in (SANDBOX_ACCOUNT, MANAGEMENT):  # another OU; SCPs never cap management
        findings = by_name(run("user-effective-admin", in_org(ACCOUNT, DENY_IAM, account_id)))
        assert findings["ada"].status is Status.FAIL
        mfa = by_name(run("admin-without-mfa", in_org(ACCOUNT, DENY_IAM, account_id)))
        assert mfa["ada"].status is Status.FAIL


def test_an_scp_removes_escalation_methods() -> None:
    capped_run = by_name(run("user-privilege-escalation", in_org(ACCOUNT, DENY_IAM, WEB_ACCOUNT)))
    assert capped_run["kim"].status is Status.PASS
    free = by_name(run("user-privilege-escalation", in_org(ACCOUNT, DENY_IAM, SANDBOX_ACCOUNT)))
    assert free["kim"].status is Status.FAIL


def test_a_conditional_scp_makes_admin_conditional_with_the_reason() -> None:
    guarded = org_snapshot(
        scps=[
            scp(
                "DenyIAMExceptBreakGlass",
                doc(
                    deny(
                        "iam:*",
                        Condition={
                            "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}
                        },
                    )
                ),
                PROD_OU,
            )
        ]
    )
    ada = by_name(run("user-effective-admin", in_org(ACCOUNT, guarded, WEB_ACCOUNT)))["ada"]
    assert ada.status is Status.FAIL and ada.severity is Severity.MEDIUM
    assert ada.message.endswith(
        "(denied under a condition by SCP DenyIAMExceptBreakGlass at OU Prod)."
    )


def test_capped_and_chain_for() -> None:
    perms = document_permissions("p", doc(allow("*")))
    chain = chain_for(in_org(ACCOUNT, DENY_IAM, WEB_ACCOUNT), "arn:aws:iam::1:user/ada")
    assert isinstance(chain, ScpChain)
    blocked = capped(access(perms, "iam:PutUserPolicy"), chain)
    assert blocked.verdict is Verdict.NOT_GRANTED and blocked.notes == (
        "denied by SCP DenyIAM at OU Prod",
    )
    assert capped(access(perms, "s3:GetObject"), chain).verdict is Verdict.ALLOWED
    assert capped(admin_access(perms), None).verdict is Verdict.ALLOWED  # single-account run
    slr = "arn:aws:iam::1:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
    assert chain_for(in_org(ACCOUNT, DENY_IAM, WEB_ACCOUNT), slr) is None
    assert chain_for(ACCOUNT, "arn:aws:iam::1:user/ada") is None
