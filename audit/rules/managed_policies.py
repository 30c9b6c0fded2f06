"""Rules about managed policies: full admin, service wildcards, unused ones, special AWS ones."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from audit.findings import Resource, Result, Severity
from audit.model import PART_AUTHORIZATION, AttachedPolicy, ManagedPolicy, Snapshot
from audit.permissions import Effect, Verdict, parse_document
from audit.rules._resources import account
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, rule

ADMINISTRATOR_ACCESS = "AdministratorAccess"
CLOUDSHELL_FULL_ACCESS = "AWSCloudShellFullAccess"
SUPPORT_ACCESS = "AWSSupportAccess"
# "s3:*", "iam:*": every action of one service (Security Hub IAM.21)
_SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$", re.IGNORECASE)


def policy_resource(policy: ManagedPolicy) -> Resource:
    return Resource("policy", policy.name, policy.arn)


def is_aws_policy(arn: str, name: str) -> bool:
    """arn:<partition>:iam::aws:policy/<name> (AWS managed policies may sit under a path)."""
    parts = arn.split(":")
    return len(parts) == 6 and parts[4] == "aws" and parts[5].rsplit("/", 1)[-1] == name


def document_admin(name: str, document: Mapping[str, Any]) -> Verdict:
    """Does a statement of the document allow ``*`` on ``*``?

    CIS ("no full '*:*' administrative privileges") and Security Hub IAM.1 judge statements: an
    Allow of Action ``*`` on Resource ``*`` is full admin even when the same policy denies a few
    actions. (Whether a *user* ends up unrestricted is user-effective-admin's question.)
    """
    full = [
        st
        for st in parse_document(document)
        if st.effect is Effect.ALLOW and st.all_actions and st.all_resources
    ]
    if any(not st.conditional for st in full):
        return Verdict.ALLOWED
    return Verdict.CONDITIONAL if full else Verdict.NOT_GRANTED


def attachments(snap: Snapshot) -> Iterator[tuple[Resource, AttachedPolicy]]:
    """Every (principal, attached managed policy) pair: users, groups and roles."""
    for user in snap.users:
        for ap in user.attached_policies:
            yield Resource("user", user.name, user.arn), ap
    for group in snap.groups:
        for ap in group.attached_policies:
            yield Resource("group", group.name, group.arn), ap
    for role in snap.roles:
        for ap in role.attached_policies:
            yield Resource("role", role.name, role.arn), ap


def customer_policies(snap: Snapshot) -> list[ManagedPolicy]:
    return [p for p in snap.policies if not p.is_aws_managed]


def boundary_only(policy: ManagedPolicy) -> bool:
    """Used as a permissions boundary and attached to no one: it caps rights, grants none.

    Broad Allows (``*``, ``service:*``) are how a boundary is written; Security Hub's IAM.1 and
    IAM.21 exclude boundary policies too.
    """
    return policy.attachment_count == 0 and policy.permissions_boundary_usage_count > 0


def unreadable_policy(policy: ManagedPolicy) -> Result:
    """Not assessed: the policy's default version document is not JSON (see the collector)."""
    return Result.not_assessed(
        policy_resource(policy), f"Policy {policy.name}: document unreadable: {policy.unreadable}"
    )


def boundary_pass(policy: ManagedPolicy) -> Result:
    return Result.passed(
        policy_resource(policy),
        f"Policy {policy.name} is used only as a permissions boundary: it grants nothing.",
    )


@rule(
    id="policy-full-admin",
    title="No customer managed policy allows * on *",
    severity=Severity.HIGH,
    controls=hub(1),
    rationale=(
        "A home-made policy that allows every action on every resource is an administrator "
        "grant under a harmless-looking name; least privilege starts with not writing one."
    ),
    remediation=(
        "Replace the '*' statement with the actions and resources actually needed, as a new "
        "default version: aws iam create-policy-version --policy-arn POLICY_ARN "
        "--policy-document file://least-privilege.json --set-as-default"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="policy",
)
def policy_full_admin(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for policy in customer_policies(snap):
        verdict = document_admin(policy.name, policy.document)
        res = policy_resource(policy)
        if boundary_only(policy):
            yield boundary_pass(policy)
        elif policy.unreadable:
            yield unreadable_policy(policy)
        elif verdict in (Verdict.ALLOWED, Verdict.CONDITIONAL):
            cond = " under a condition" if verdict is Verdict.CONDITIONAL else ""
            attached = policy.attachment_count > 0
            where = f"attached {policy.attachment_count} time(s)" if attached else "not attached"
            yield Result.failed(
                res,
                f"Policy {policy.name} allows * on *{cond} ({where}).",
                severity=Severity.HIGH if attached else Severity.MEDIUM,
            )
        else:
            yield Result.passed(res, f"Policy {policy.name} does not allow * on *.")


@rule(
    id="admin-policy-attached",
    title="No user, group or role has a full-admin policy attached",
    severity=Severity.HIGH,
    controls=cis("1.16", "1.16", "1.15", "2.15"),
    rationale=(
        "Attaching '*' on '*' (AWS AdministratorAccess included) hands out every permission at "
        "once; CIS asks that no such policy is attached, so admin rights are scoped and reviewed."
    ),
    remediation=(
        "Grant the principal a scoped policy for its work, then detach the admin policy: "
        "aws iam detach-group-policy --group-name GROUP --policy-arn POLICY_ARN "
        "(detach-user-policy --user-name / detach-role-policy --role-name likewise)"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="principal",
)
def admin_policy_attached(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    by_arn = snap.policy_by_arn()
    admin: dict[Resource, list[str]] = {}
    unknown: dict[Resource, list[str]] = {}
    for principal, ap in attachments(snap):
        admin.setdefault(principal, [])
        policy = by_arn.get(ap.arn)
        aws_admin = is_aws_policy(ap.arn, ADMINISTRATOR_ACCESS)  # admin by name, read or not
        if policy is not None and policy.unreadable and not aws_admin:
            unknown.setdefault(principal, []).append(
                f"policy {policy.name} document unreadable ({policy.unreadable})"
            )
        elif policy is not None and not policy.unreadable:
            verdict = document_admin(policy.name, policy.document)
            if verdict is Verdict.ALLOWED:
                admin[principal].append(ap.name)
            elif verdict is Verdict.CONDITIONAL:
                admin[principal].append(f"{ap.name} (under a condition)")
        elif aws_admin:
            admin[principal].append(ap.name)
        else:
            unknown.setdefault(principal, []).append(f"policy document not collected: {ap.arn}")
    for principal, names in admin.items():
        label = f"{principal.type.capitalize()} {principal.name}"
        if names:
            yield Result.failed(
                principal, f"{label} has full-admin policy attached: {', '.join(names)}."
            )
        elif principal in unknown:
            yield Result.not_assessed(principal, f"{label}: {'; '.join(unknown[principal])}")
        else:
            yield Result.passed(principal, f"{label} has no full-admin policy attached.")


@rule(
    id="policy-unattached",
    title="Customer managed policies are in use",
    severity=Severity.INFO,
    controls=(),
    rationale=(
        "A policy attached to nothing grants nothing today but is ready-made access for whoever "
        "attaches it next, and clutters every review."
    ),
    remediation=(
        "Delete the policy if nobody needs it (delete its non-default versions first): "
        "aws iam delete-policy --policy-arn POLICY_ARN"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="policy",
)
def policy_unattached(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for policy in customer_policies(snap):
        res = policy_resource(policy)
        uses = policy.attachment_count + policy.permissions_boundary_usage_count
        if uses:
            yield Result.passed(res, f"Policy {policy.name} is used {uses} time(s).")
        else:
            yield Result.failed(
                res, f"Policy {policy.name} is attached to nothing and bounds no one."
            )


@rule(
    id="policy-service-wildcard",
    title="Customer managed policies do not allow every action of a service",
    severity=Severity.LOW,
    controls=hub(21),
    rationale=(
        "'service:*' grants actions that do not exist yet and destructive ones nobody meant to "
        "grant; listing the needed actions keeps the policy reviewable."
    ),
    remediation=(
        "Replace each 'service:*' with the actions needed (IAM Access Analyzer can generate a "
        "policy from CloudTrail activity), as a new default version: aws iam "
        "create-policy-version --policy-arn POLICY_ARN --policy-document file://doc.json "
        "--set-as-default"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="policy",
)
def policy_service_wildcard(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for policy in customer_policies(snap):
        wild = [
            action
            for st in parse_document(policy.document)
            if st.effect is Effect.ALLOW and not st.not_action
            for action in st.actions
            if _SERVICE_WILDCARD.match(action)
        ]
        res = policy_resource(policy)
        if boundary_only(policy):
            yield boundary_pass(policy)
        elif policy.unreadable:
            yield unreadable_policy(policy)
        elif wild:
            actions = ", ".join(dict.fromkeys(wild))
            yield Result.failed(res, f"Policy {policy.name} allows {actions}.", actions=wild)
        else:
            yield Result.passed(res, f"Policy {policy.name} allows no service:* action.")


@rule(
    id="cloudshell-full-access",
    title="AWSCloudShellFullAccess is attached to no one",
    severity=Severity.MEDIUM,
    controls=cis("1.22", "1.22", "1.21", "2.21") + hub(27),
    rationale=(
        "CloudShell full access gives a shell with the caller's credentials and file upload and "
        "download, an easy channel to move data out of the account."
    ),
    remediation=(
        "Detach the policy and grant a restricted CloudShell policy if a shell is needed: "
        "aws iam detach-user-policy --user-name USER --policy-arn "
        "arn:aws:iam::aws:policy/AWSCloudShellFullAccess (detach-group-policy / "
        "detach-role-policy likewise)"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="principal",
)
def cloudshell_full_access(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    holders = [p for p, ap in attachments(snap) if is_aws_policy(ap.arn, CLOUDSHELL_FULL_ACCESS)]
    for principal in holders:
        yield Result.failed(
            principal,
            f"{principal.type.capitalize()} {principal.name} has {CLOUDSHELL_FULL_ACCESS}.",
        )
    if not holders:
        yield Result.passed(account(snap), f"{CLOUDSHELL_FULL_ACCESS} is attached to no one.")


@rule(
    id="support-role",
    title="A role exists for managing incidents with AWS Support",
    severity=Severity.LOW,
    controls=cis("1.17", "1.17", "1.16", "2.16") + hub(18),
    rationale=(
        "When an incident needs AWS Support, someone must be able to open cases without being "
        "given root or administrator access."
    ),
    remediation=(
        "Create a role for your support staff and attach AWSSupportAccess: aws iam "
        "create-role --role-name aws-support --assume-role-policy-document file://trust.json; "
        "aws iam attach-role-policy --role-name aws-support --policy-arn "
        "arn:aws:iam::aws:policy/AWSSupportAccess"
    ),
    requires=(PART_AUTHORIZATION,),
)
def support_role(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    roles = [
        p.name
        for p, ap in attachments(snap)
        if p.type == "role" and is_aws_policy(ap.arn, SUPPORT_ACCESS)
    ]
    if roles:
        yield Result.passed(account(snap), f"{SUPPORT_ACCESS} is attached to {', '.join(roles)}.")
    else:
        yield Result.failed(account(snap), f"No role has {SUPPORT_ACCESS} attached.")
