"""Rules on what users can actually do: effective admin and privilege escalation.

They use :mod:`audit.permissions`, which follows every path (own policies, groups' policies) and
the permissions boundary, and reports conditional grants as conditional.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from audit.findings import Resource, Result, Severity
from audit.model import PART_AUTHORIZATION, PART_CREDENTIAL_REPORT, InlinePolicy, Snapshot
from audit.permissions import (
    EffectivePermissions,
    Escalation,
    Verdict,
    admin_access,
    document_permissions,
    escalations,
    user_permissions,
)
from audit.permissions.scp import capped, chain_for
from audit.rules._resources import unreadable, user_resource
from audit.rules.managed_policies import boundary_only, boundary_pass, customer_policies
from audit.rules.registry import Context, rule

_SHOWN = 3  # escalation methods spelled out per message; details carry them all


def _unresolved(perms: EffectivePermissions) -> str:
    return f"{perms.principal}: not collected: {', '.join(perms.unresolved)}"


def _boundary_unknown(perms: EffectivePermissions, grant: str) -> str:
    # A boundary can only take grants away: without its document a grant is not proven.
    return (
        f"{perms.principal} {grant}, unless its permissions boundary {perms.missing_boundary} "
        "forbids it: that policy was not collected."
    )


def _methods(found: Sequence[Escalation]) -> str:
    shown = "; ".join(e.describe() for e in found[:_SHOWN])
    more = len(found) - _SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


@rule(
    id="user-effective-admin",
    title="No IAM user can do * on * by any path",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "Whatever the path (a group, a directly attached or inline policy), a user who can do "
        "everything is a full compromise when their password or key leaks."
    ),
    remediation=(
        "Remove the path named in the finding (e.g. aws iam remove-user-from-group --group-name "
        "GROUP --user-name USER, or aws iam detach-user-policy --user-name USER --policy-arn "
        "POLICY_ARN) and have administrators assume an admin role with MFA instead."
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_effective_admin(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for user in snap.users:
        perms = user_permissions(snap, user)
        admin = capped(admin_access(perms), chain_for(snap, user.arn))  # SCPs cap it
        res = user_resource(user)
        paths = ", ".join(admin.paths)
        if admin.granted and perms.missing_boundary:
            yield Result.not_assessed(res, _boundary_unknown(perms, f"can do * on * {paths}"))
        elif admin.verdict is Verdict.ALLOWED:
            yield Result.failed(res, f"{user.name} can do * on * {paths}.", paths=list(admin.paths))
        elif admin.verdict is Verdict.CONDITIONAL:
            why = f" ({'; '.join(admin.notes)})" if admin.notes else ""
            yield Result.failed(
                res,
                f"{user.name} can do * on * under a condition {paths}{why}.",
                severity=Severity.MEDIUM,
                paths=list(admin.paths),
            )
        elif not perms.complete:
            yield Result.not_assessed(res, _unresolved(perms))
        else:
            note = f" ({'; '.join(admin.notes)})" if admin.notes else ""
            yield Result.passed(res, f"{user.name} cannot do * on *{note}.")


@rule(
    id="admin-without-mfa",
    title="Every effective administrator with a console password has MFA",
    severity=Severity.CRITICAL,
    controls=(),
    rationale=(
        "An administrator's password without MFA is the shortest path to owning the account: "
        "one phished or reused password is enough."
    ),
    remediation=(
        "Enrol an MFA device for the user now (IAM console > Users > USER > Security "
        "credentials > Assign MFA device), or remove the admin path or the password: "
        "aws iam delete-login-profile --user-name USER"
    ),
    requires=(PART_AUTHORIZATION, PART_CREDENTIAL_REPORT),
    resource_type="user",
)
def admin_without_mfa(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for user in snap.users:
        perms = user_permissions(snap, user)
        admin = capped(admin_access(perms), chain_for(snap, user.arn))  # SCPs cap it
        if not admin.granted:
            continue  # not an admin (user-effective-admin reports unresolved policies)
        res = user_resource(user)
        row = snap.credential_row(user.name)
        if row is None or row.password_enabled is None:
            yield Result.not_assessed(res, f"{user.name}: no credential report data.")
        elif why := unreadable(row, ("password_enabled", "mfa_active")):
            yield Result.not_assessed(res, why)
        elif row.password_enabled and not row.mfa_active and perms.missing_boundary:
            yield Result.not_assessed(
                res,
                _boundary_unknown(perms, f"can do * on * {', '.join(admin.paths)}")
                + " It signs in with a password and no MFA.",
            )
        elif row.password_enabled and not row.mfa_active:
            yield Result.failed(
                res,
                f"{user.name} can do * on * {', '.join(admin.paths)} and signs in with a "
                "password and no MFA.",
            )
        else:
            how = "has MFA" if row.password_enabled else "has no console password"
            yield Result.passed(res, f"{user.name} is an effective admin and {how}.")


@rule(
    id="user-privilege-escalation",
    title="No IAM user can raise their own permissions",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "A user who can, say, attach policies to themselves or pass a role to a new EC2 "
        "instance has every permission they can grant themselves, whatever they look like."
    ),
    remediation=(
        "Remove the actions named in the finding from the path it names, or scope their "
        "Resource to what the user must manage (IAM console > Policies > POLICY > Edit; or "
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document file://doc.json "
        "--set-as-default), then re-check with: iam-audit explain USER SNAPSHOT"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_privilege_escalation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for user in snap.users:
        perms = user_permissions(snap, user)
        found = escalations(perms, chain_for(snap, user.arn))
        res = user_resource(user)
        if found and perms.missing_boundary:
            yield Result.not_assessed(
                res,
                _boundary_unknown(perms, "holds " + _methods(found)),
                methods=[e.method.name for e in found],
            )
        elif found:
            only_conditional = all(e.verdict is Verdict.CONDITIONAL for e in found)
            yield Result.failed(
                res,
                f"{user.name} can escalate privileges by {len(found)} method(s): "
                + _methods(found),
                severity=Severity.MEDIUM if only_conditional else None,
                methods=[e.method.name for e in found],
            )
        elif not perms.complete:
            yield Result.not_assessed(res, _unresolved(perms))
        else:
            yield Result.passed(res, f"{user.name} holds no known privilege-escalation method.")


def _inline_documents(snap: Snapshot) -> Iterator[tuple[Resource, InlinePolicy]]:
    owners = (
        [("user", u.name, u.arn, u.inline_policies) for u in snap.users]
        + [("group", g.name, g.arn, g.inline_policies) for g in snap.groups]
        + [("role", r.name, r.arn, r.inline_policies) for r in snap.roles]
    )
    for kind, name, arn, policies in owners:
        for policy in policies:
            yield Resource("inline_policy", f"{kind} {name}: {policy.name}", arn), policy


@rule(
    id="policy-privilege-escalation",
    title="No customer managed or inline policy allows privilege escalation by itself",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "A policy that alone allows an escalation method makes every principal it is given to a "
        "potential administrator. AWS managed policies are judged through the users holding them."
    ),
    remediation=(
        "Remove the escalation actions named in the finding or scope their Resource: "
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document "
        "file://doc.json --set-as-default (inline: aws iam put-user-policy / put-group-policy / "
        "put-role-policy with the corrected document)"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="policy",
)
def policy_privilege_escalation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    documents = [
        (Resource("policy", p.name, p.arn), p.name, p.document) for p in customer_policies(snap)
    ] + [(res, p.name, p.document) for res, p in _inline_documents(snap)]
    bounds = {p.arn: p for p in customer_policies(snap) if boundary_only(p)}
    unread = {res: p.unreadable for res, p in _inline_documents(snap) if p.unreadable}
    for res, name, document in documents:
        if res.type == "policy" and res.arn in bounds:
            yield boundary_pass(bounds[res.arn])  # a boundary grants nothing by itself
            continue
        if res in unread:
            yield Result.not_assessed(res, f"{res.name}: document unreadable: {unread[res]}")
            continue
        found = escalations(document_permissions(f"policy {name}", document))
        if found:
            methods = ", ".join(
                e.method.name + (" (conditional)" if e.verdict is Verdict.CONDITIONAL else "")
                for e in found
            )
            yield Result.failed(
                res,
                f"{res.name} allows privilege escalation: {methods}.",
                methods=[e.method.name for e in found],
            )
        else:
            yield Result.passed(res, f"{res.name} allows no known escalation method.")
