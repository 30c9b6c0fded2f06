"""Rules about the account's organization (issue 9): IAM users in members, centralised root
access, and roles that trust accounts outside the organization.

They read :attr:`audit.model.Snapshot.organization`, set when an organization run merges the
organization snapshot into the account's (:func:`audit.org_context.attach_organization`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from audit.findings import Resource, Result, Severity
from audit.model import PART_AUTHORIZATION, PART_CREDENTIAL_REPORT, Role, Snapshot
from audit.model_org import (
    PART_ORGANIZATION,
    PART_ORGANIZATIONS_FEATURES,
    ROOT_CREDENTIALS_MANAGEMENT,
    ROOT_SESSIONS,
    AccountOrgContext,
)
from audit.rules._resources import (
    account,
    iam_user_rows,
    key_columns,
    unreported_users,
    user_resource,
)
from audit.rules.controls import cis
from audit.rules.registry import Context, rule
from audit.rules.roles import restricting_keys, unreadable_trust

_CREDENTIALS = ("password_enabled", *key_columns("active"))


@rule(
    id="org-member-iam-users",
    title="Member accounts have no IAM users with a password or an active access key",
    severity=Severity.MEDIUM,
    controls=cis("1.21", "1.21", "1.20", "2.20"),
    rationale=(
        "In an organization people should come through central identity (IAM Identity Center "
        "or a federated provider) and reach member accounts by assuming roles: IAM users with "
        "long-lived passwords and keys, scattered across accounts, are missed when people leave."
    ),
    remediation=(
        "Give the person access through IAM Identity Center (a permission set on the account), "
        "then remove the user's credentials: aws iam delete-login-profile --user-name USER; "
        "aws iam delete-access-key --user-name USER --access-key-id KEY_ID"
    ),
    requires=(PART_CREDENTIAL_REPORT, PART_ORGANIZATION),
    resource_type="user",
)
def org_member_iam_users(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    org = snap.organization
    if org is None:  # pragma: no cover - the engine stops at the missing part first
        return
    if org.is_management:
        # CIS 1.20 asks that the member accounts hold no IAM users; the account that centralises
        # identity (here the management account, home of IAM Identity Center and of any
        # break-glass user) is where they may live. The user rules still judge each of them.
        yield Result.passed(
            account(snap),
            "Management account: CIS 1.20 judges the member accounts; its own IAM users are "
            "judged by the user rules (MFA, unused credentials, keys).",
        )
        return
    where = f"member account {snap.meta.account_id}" + (
        f" ({org.ou_path_text})" if org.ou_path else ""
    )
    for row in iam_user_rows(snap, _CREDENTIALS):
        held = []
        if row.password_enabled:
            held.append("a console password")
        if row.active_keys:
            count = len(row.active_keys)
            held.append(f"{count} active access key{'s' if count > 1 else ''}")
        res = user_resource(row)
        if held:
            yield Result.failed(
                res,
                f"IAM user {row.user} in {where} has {' and '.join(held)}: people should come "
                "through IAM Identity Center or federation.",
            )
        else:
            yield Result.passed(res, f"IAM user {row.user} has no password and no active key.")
    yield from unreported_users(snap, _CREDENTIALS)


@rule(
    id="org-root-access-centralised",
    title="Centralised root access is enabled for the organization",
    severity=Severity.MEDIUM,
    controls=(),
    rationale=(
        "With centralised root access (IAM root credentials management) member accounts have no "
        "root password, access keys or MFA of their own to lose or recover by e-mail; the "
        "management account performs the few root-only tasks in short sessions instead."
    ),
    remediation=(
        "From the management account: aws organizations enable-aws-service-access "
        "--service-principal iam.amazonaws.com; aws iam enable-organizations-root-credentials-"
        "management; aws iam enable-organizations-root-sessions"
    ),
    requires=(PART_ORGANIZATION,),
)
def org_root_access_centralised(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    org = snap.organization
    if org is None:  # pragma: no cover - the engine stops at the missing part first
        return
    res = account(snap)
    if not org.is_management:
        yield Result.passed(
            res,
            "Organization-wide setting: judged on the management account "
            f"{org.management_account_id}.",
        )
        return
    gaps = snap.part_gaps(PART_ORGANIZATIONS_FEATURES)
    if gaps or org.root_features is None:
        why = "; ".join(f"{g.api} {g.status.value}: {g.message}" for g in gaps) or "not collected"
        yield Result.not_assessed(res, f"iam:ListOrganizationsFeatures could not be read: {why}")
        return
    sessions = "enabled" if ROOT_SESSIONS in org.root_features else "not enabled"
    if ROOT_CREDENTIALS_MANAGEMENT in org.root_features:
        yield Result.passed(
            res,
            f"Root credentials management is enabled for {org.organization_id} "
            f"(privileged root sessions: {sessions}).",
        )
    else:
        yield Result.failed(
            res,
            f"Centralised root access is not enabled for {org.organization_id}: every member "
            f"account keeps its own root credentials (privileged root sessions: {sessions}).",
        )


# --- roles trusting other accounts -----------------------------------------------------------

_ACCOUNT_IN_PRINCIPAL = re.compile(r"^(?:(\d{12})|arn:[\w-]+:(?:iam|sts)::(\d{12}):.+)$")
# Conditions that tie an outside caller to a specific deal: the ExternalId a vendor is given
# (the confused-deputy guard), or the source or principal the request must come from.
_GUARD_KEYS = {
    k.lower(): k
    for k in (
        "sts:ExternalId",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:PrincipalArn",
    )
}


def _aws_principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return []
    value = principal.get("AWS", [])
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


@dataclass(frozen=True)
class TrustedAccount:
    account_id: str
    guards: tuple[str, ...]  # the condition keys required, e.g. ("sts:ExternalId",)


def trusted_accounts(role: Role) -> list[TrustedAccount]:
    """Every account id an Allow statement of the trust policy names, with its guards."""
    raw = role.assume_role_policy.get("Statement", [])
    found: list[TrustedAccount] = []
    for st in raw if isinstance(raw, list) else [raw]:
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        guards = tuple(
            sorted(
                _GUARD_KEYS[k] for k in restricting_keys(st.get("Condition")) if k in _GUARD_KEYS
            )
        )
        for value in _aws_principals(st):
            match = _ACCOUNT_IN_PRINCIPAL.match(value)
            if match:
                found.append(TrustedAccount(match.group(1) or match.group(2), guards))
    return found


def _describe(accounts: list[TrustedAccount]) -> str:
    parts = []
    for acct in accounts:
        how = (
            f"requires {', '.join(acct.guards)}"
            if acct.guards
            else "no ExternalId or source condition"
        )
        parts.append(f"{acct.account_id} ({how})")
    return ", ".join(parts)


def _outside(snap: Snapshot, org: AccountOrgContext | None, acct: str) -> bool | None:
    """True: outside; False: inside; None: unknown (the organization's list is incomplete)."""
    if acct == snap.meta.account_id:
        return False
    if org is None:
        return True
    if org.in_organization(acct):
        return False
    return True if org.accounts_complete else None


@rule(
    id="role-trust-external-account",
    title="No role trusts an account outside the organization without a guard",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "A role that another company's account may assume is a door into this account kept by "
        "someone else. Without an ExternalId (or a source condition) a vendor serving many "
        "customers can be tricked into using it for another customer: the confused deputy."
    ),
    remediation=(
        "Remove the account from the trust policy, or require the ExternalId agreed with the "
        "vendor: aws iam update-assume-role-policy --role-name ROLE --policy-document "
        "file://trust.json (a StringEquals condition on sts:ExternalId)"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="role",
)
def role_trust_external_account(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    org = snap.organization
    scope = f"the organization {org.organization_id}" if org else "this account"
    # In a single-account run only this account is known to be ours: any other is "outside".
    outside_of = (
        "outside the organization"
        if org
        else "in another account (a single-account run cannot tell which are in your organization)"
    )
    for role in snap.roles:
        res = Resource("role", role.name, role.arn)
        trusted = trusted_accounts(role)
        outside = [t for t in trusted if _outside(snap, org, t.account_id)]
        unknown = [t for t in trusted if _outside(snap, org, t.account_id) is None]
        if role.trust_unreadable:
            yield unreadable_trust(role)
        elif outside:
            unguarded = [t for t in outside if not t.guards]
            ids = sorted({t.account_id for t in outside})
            yield Result.failed(
                res,
                f"Role {role.name} trusts account(s) {outside_of}: {_describe(outside)}.",
                severity=Severity.HIGH if unguarded else Severity.LOW,
                accounts=ids,
                guarded=not unguarded,
            )
        elif unknown:
            yield Result.not_assessed(
                res,
                f"Role {role.name} trusts {_describe(unknown)}, not in the organization's "
                "account list, which was not read completely.",
            )
        else:
            yield Result.passed(res, f"Role {role.name} trusts no account outside {scope}.")
