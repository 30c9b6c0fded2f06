"""SCP evaluation: every level must allow, no level may deny; the blocker is named."""

from __future__ import annotations

import pytest

from audit.model_org import ScpChain
from audit.org_context import account_context
from audit.permissions.scp import ScpDecision, applies_to_principal, scp_verdict
from tests.rules.builders import allow, deny, doc
from tests.rules.org_builders import (
    MANAGEMENT,
    PROD_ACCOUNT,
    PROD_OU,
    ROOT_ID,
    SANDBOX_ACCOUNT,
    SANDBOX_OU,
    WEB_ACCOUNT,
    org_snapshot,
    scp,
)

DENY_IAM = scp("DenyIAM", doc(deny("iam:*")), PROD_OU)


def chain(account_id: str = WEB_ACCOUNT, **org_args: object) -> ScpChain:
    return account_context(org_snapshot(**org_args), account_id).scps  # type: ignore[arg-type]


def test_full_access_everywhere_allows_everything() -> None:
    verdict = scp_verdict(chain(), "iam:CreateUser")
    assert verdict.decision is ScpDecision.ALLOWED and verdict.allowed is True
    assert scp_verdict(chain(), "*").allowed is True


def test_a_deny_on_a_parent_ou_blocks_the_accounts_below_and_is_named() -> None:
    web = chain(WEB_ACCOUNT, scps=[DENY_IAM])  # Web sits under Prod
    verdict = scp_verdict(web, "iam:CreateAccessKey")
    assert verdict.decision is ScpDecision.DENIED and verdict.allowed is False
    assert verdict.reason == "denied by SCP DenyIAM at OU Prod"
    assert scp_verdict(web, "*").reason == "denied by SCP DenyIAM at OU Prod"
    assert scp_verdict(web, "s3:GetObject").allowed is True
    # A sibling OU is untouched.
    assert scp_verdict(chain(SANDBOX_ACCOUNT, scps=[DENY_IAM]), "iam:CreateAccessKey").allowed


def test_wildcards_match_case_insensitively() -> None:
    deny_create = scp("NoCreate", doc(deny("IAM:Create*")), ROOT_ID)
    verdict = scp_verdict(chain(scps=[deny_create]), "iam:createuser")
    assert verdict.reason == "denied by SCP NoCreate at root"
    assert scp_verdict(chain(scps=[deny_create]), "iam:DeleteUser").allowed is True


def test_a_level_without_an_allow_blocks_and_is_named() -> None:
    # Sandbox swapped FullAWSAccess for an allow-list of S3 and EC2.
    allow_list = scp("SandboxAllowList", doc(allow(["s3:*", "ec2:*"])), SANDBOX_OU)
    sandbox = chain(SANDBOX_ACCOUNT, scps=[allow_list], full_access_except=[SANDBOX_OU])
    verdict = scp_verdict(sandbox, "iam:PassRole")
    assert verdict.decision is ScpDecision.NOT_ALLOWED
    assert verdict.reason == "not allowed by any SCP at OU Sandbox (none allows iam:PassRole)"
    assert scp_verdict(sandbox, "ec2:RunInstances").allowed is True
    assert scp_verdict(sandbox, "*").decision is ScpDecision.NOT_ALLOWED


def test_not_action_deny_blocks_everything_it_does_not_list() -> None:
    only_s3 = scp("OnlyS3", doc({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}), PROD_OU)
    prod = chain(PROD_ACCOUNT, scps=[only_s3])
    assert scp_verdict(prod, "iam:CreateUser").reason == "denied by SCP OnlyS3 at OU Prod"
    assert scp_verdict(prod, "s3:PutObject").allowed is True
    assert scp_verdict(prod, "*").allowed is False


def test_not_action_allow_grants_everything_it_does_not_list() -> None:
    most = scp(
        "AllButIam", doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), PROD_OU
    )
    prod = chain(PROD_ACCOUNT, scps=[most], full_access_except=[PROD_OU])
    assert scp_verdict(prod, "s3:GetObject").allowed is True
    assert scp_verdict(prod, "iam:AttachUserPolicy").decision is ScpDecision.NOT_ALLOWED


def test_a_deny_on_one_resource_is_a_note_for_some_resource_and_blocks_that_resource() -> None:
    role = "arn:aws:iam::*:role/OrgAdmin"
    protect = scp("ProtectOrgAdmin", doc(deny("iam:*", role)), ROOT_ID)
    prod = chain(PROD_ACCOUNT, scps=[protect])
    some = scp_verdict(prod, "iam:AttachRolePolicy")
    assert some.allowed is True
    assert some.notes == (f"denied on {role} by SCP ProtectOrgAdmin at root",)
    target = f"arn:aws:iam::{PROD_ACCOUNT}:role/OrgAdmin"
    assert scp_verdict(prod, "iam:AttachRolePolicy", target).allowed is False
    other = f"arn:aws:iam::{PROD_ACCOUNT}:role/App"
    assert scp_verdict(prod, "iam:AttachRolePolicy", other).allowed is True
    # NotResource: the Deny applies to everything except the listed resource.
    all_but = scp(
        "OnlyOrgAdmin",
        doc({"Effect": "Deny", "Action": "iam:*", "NotResource": role}),
        ROOT_ID,
    )
    prod = chain(PROD_ACCOUNT, scps=[all_but])
    assert scp_verdict(prod, "iam:PutRolePolicy", other).allowed is False
    assert scp_verdict(prod, "iam:PutRolePolicy", target).allowed is True


def test_conditions_make_the_answer_conditional() -> None:
    region = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
    region_lock = scp(
        "RegionLock",
        doc(
            {
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*"],
                "Resource": "*",
                "Condition": region,
            }
        ),
        ROOT_ID,
    )
    prod = chain(PROD_ACCOUNT, scps=[region_lock])
    verdict = scp_verdict(prod, "ec2:RunInstances")
    assert verdict.decision is ScpDecision.CONDITIONAL and verdict.allowed is None
    assert verdict.reason == "denied under a condition by SCP RegionLock at root"
    assert scp_verdict(prod, "iam:CreateUser").allowed is True  # NotAction spares IAM
    cond_allow = scp(
        "TaggedOnly", doc(allow("*", Condition={"Bool": {"aws:ViaAWSService": "true"}})), PROD_OU
    )
    prod = chain(PROD_ACCOUNT, scps=[cond_allow], full_access_except=[PROD_OU])
    verdict = scp_verdict(prod, "s3:GetObject")
    assert verdict.decision is ScpDecision.CONDITIONAL
    assert verdict.reason == "allowed only under a condition by SCP TaggedOnly at OU Prod"


def test_an_scp_not_collected_makes_it_unknown_but_a_deny_found_still_stands() -> None:
    lost = scp("Lost", None, PROD_OU)
    prod = chain(PROD_ACCOUNT, scps=[lost])
    verdict = scp_verdict(prod, "s3:GetObject")
    assert verdict.decision is ScpDecision.UNKNOWN and verdict.allowed is None
    assert verdict.reason == "SCP Lost at OU Prod was not collected"
    both = chain(PROD_ACCOUNT, scps=[lost, DENY_IAM])
    assert scp_verdict(both, "iam:CreateUser").allowed is False


def test_targets_not_collected_make_every_answer_but_a_deny_unknown() -> None:
    loose = scp("Somewhere", doc(deny("ec2:*")), targets_known=False)
    prod = chain(PROD_ACCOUNT, scps=[loose, DENY_IAM])
    verdict = scp_verdict(prod, "s3:GetObject")
    assert verdict.decision is ScpDecision.UNKNOWN
    assert "the targets of SCP Somewhere were not collected" in verdict.reason
    assert scp_verdict(prod, "iam:CreateUser").allowed is False


def test_never_applies_to_the_management_account_or_without_scps() -> None:
    verdict = scp_verdict(chain(MANAGEMENT, scps=[scp("DenyAll", doc(deny("*")), ROOT_ID)]), "*")
    assert verdict.decision is ScpDecision.NOT_APPLICABLE and verdict.allowed is True
    assert verdict.reason == "SCPs never apply to the management account"
    off = chain(PROD_ACCOUNT, scps=[DENY_IAM], scps_enabled=False)
    assert scp_verdict(off, "iam:CreateUser").reason == "SCPs are not enabled on the root"
    billing = chain(PROD_ACCOUNT, feature_set="CONSOLIDATED_BILLING")
    assert scp_verdict(billing, "iam:CreateUser").decision is ScpDecision.NOT_APPLICABLE
    assert scp_verdict(None, "iam:CreateUser").decision is ScpDecision.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("arn", "applies"),
    [
        (
            "arn:aws:iam::1:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
            False,
        ),
        ("arn:aws:iam::1:role/app", True),
        ("arn:aws:iam::1:user/alice", True),
    ],
)
def test_service_linked_roles_are_exempt(arn: str, applies: bool) -> None:
    assert applies_to_principal(arn) is applies


def test_guardrails_outside_iam_leave_an_administrator_with_a_note() -> None:
    stay = scp("StayInTheOrganization", doc(deny("organizations:LeaveOrganization")), ROOT_ID)
    verdict = scp_verdict(chain(scps=[stay]), "*")
    assert verdict.allowed is True
    assert verdict.notes == (
        "SCP StayInTheOrganization at root denies organizations:LeaveOrganization",
    )
    assert scp_verdict(chain(scps=[stay]), "organizations:LeaveOrganization").allowed is False
