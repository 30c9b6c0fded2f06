"""IAM Identity Center: permission sets, assignments, groups and provisioning.

The people of an organization sign in through Identity Center, not as IAM users; these rules
judge what they are handed. Permission sets are judged through the access view
(audit/permissions/access_view.py): each set's policy in each account it applies to. A snapshot
without an instance has nothing to judge (the engine passes the account).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from audit.findings import Resource, Result, Severity
from audit.model import Snapshot
from audit.model_sso import (
    PART_IDENTITY_CENTER,
    PART_IDENTITY_STORE,
    PRINCIPAL_GROUP,
    PRINCIPAL_USER,
    AccountAssignment,
    IdentityCenter,
    PermissionSet,
    ProvisioningState,
)
from audit.permissions import Effect, Verdict, parse_document
from audit.permissions.access_view import (
    SetInAccount,
    account_policies,
    build_access_view,
    set_verdicts,
    target_accounts,
)
from audit.rules.registry import Context, rule

_SERVICE_WILDCARD = re.compile(r"^([a-z0-9-]+:)?\*$", re.IGNORECASE)
_SHOWN = 5  # accounts or methods spelled out per message; details carry them all
CUSTOMER_POLICY_MISSING = "sso-customer-policy-missing"


def set_resource(ps: PermissionSet) -> Resource:
    return Resource("permission_set", ps.name, ps.arn)


def _listed(items: Sequence[str]) -> str:
    more = len(items) - _SHOWN
    return ", ".join(items[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _center(snap: Snapshot) -> IdentityCenter | None:
    return snap.identity_center


def _principal(center: IdentityCenter, a: AccountAssignment) -> str:
    if a.principal_type == PRINCIPAL_USER:
        user = center.user_by_id().get(a.principal_id)
        return f"user {user.label}" if user else f"user {a.principal_id}"
    group = center.group_by_id().get(a.principal_id)
    return f"group {group.display_name}" if group else f"group {a.principal_id}"


def _assignment_resource(center: IdentityCenter, a: AccountAssignment) -> Resource:
    ps = center.permission_set_by_arn().get(a.permission_set_arn)
    name = ps.name if ps else a.permission_set_arn
    return Resource(
        "assignment", f"{_principal(center, a)} -> {name} in {a.account_id}", a.permission_set_arn
    )


def _not_collected(res: Resource, name: str, verdicts: Sequence[SetInAccount]) -> Result:
    """A set whose policies could not all be read in some account: named, not judged."""
    gaps = sorted({u for v in verdicts for u in v.perms.unresolved})
    return Result.not_assessed(res, f"Permission set {name}: not collected: {_listed(gaps)}.")


def _set_verdicts_by_set(snap: Snapshot) -> dict[str, list[SetInAccount]]:
    out: dict[str, list[SetInAccount]] = {}
    for (arn, _account), verdict in set_verdicts(snap).items():
        out.setdefault(arn, []).append(verdict)
    return out


@rule(
    id="sso-admin-permission-set",
    title="No Identity Center permission set grants full administrator access",
    severity=Severity.MEDIUM,
    controls=(),
    rationale=(
        "Everyone assigned an administrator permission set can do anything in every account it "
        "is assigned to; such sets should be few, assigned to few people, and reviewed."
    ),
    remediation=(
        "Replace AdministratorAccess (or '*' on '*') with job-function sets, keep one break-glass "
        "admin set assigned to a small group, and review its assignments: aws sso-admin "
        "list-account-assignments --instance-arn INSTANCE --account-id ACCOUNT "
        "--permission-set-arn SET"
    ),
    requires=(PART_IDENTITY_CENTER, PART_IDENTITY_STORE),
    resource_type="permission_set",
)
def sso_admin_permission_set(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    view = build_access_view(snap)
    if view is None:
        return
    for ps in view.center.permission_sets:
        verdicts = [v for (arn, _), v in view.sets.items() if arn == ps.arn]
        admin_in = [v for v in verdicts if v.is_admin]
        res = set_resource(ps)
        if admin_in:
            rows = [r for r in view.rows if r.permission_set.arn == ps.arn]
            people = sorted({r.user.label for r in rows})
            accounts = sorted(
                {a.account_id for a in view.center.assignments if a.permission_set_arn == ps.arn}
            )
            first = admin_in[0]
            where = "not assigned to any account"
            if accounts:
                where = f"assigned in {len(accounts)} account(s) ({_listed(accounts)})"
            who = f": {_listed(people)}" if people else ""
            note = f" ({first.boundary_note})" if first.boundary_note else ""
            conditional = all(v.admin.verdict is Verdict.CONDITIONAL for v in admin_in)
            yield Result.failed(
                res,
                f"Permission set {ps.name} can do * on * {', '.join(first.admin.paths)}; "
                f"{where} to {len(people)} person(s){who}{note}.",
                severity=Severity.LOW if conditional else None,
                accounts=accounts,
                people=people,
                paths=list(first.admin.paths),
            )
        elif any(not v.perms.complete for v in verdicts):
            yield _not_collected(res, ps.name, verdicts)
        else:
            yield Result.passed(res, f"Permission set {ps.name} cannot do * on *.")


@rule(
    id="sso-direct-user-assignment",
    title="Identity Center users get account access through groups, not directly",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "Access granted to a group is reviewed by reviewing the group; a user assigned "
        "directly is an exception every review has to find again (the IAM rule "
        "user-not-in-group, Identity Center edition)."
    ),
    remediation=(
        "Add the user to a group holding that permission set on that account, then remove the "
        "direct assignment: aws sso-admin delete-account-assignment --instance-arn INSTANCE "
        "--target-id ACCOUNT --target-type AWS_ACCOUNT --permission-set-arn SET "
        "--principal-type USER --principal-id USER_ID"
    ),
    requires=(PART_IDENTITY_CENTER,),
    resource_type="assignment",
)
def sso_direct_user_assignment(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    center = _center(snap)
    if center is None:
        return
    for a in center.assignments:
        res = _assignment_resource(center, a)
        if a.principal_type == PRINCIPAL_USER:
            yield Result.failed(res, f"{res.name}: assigned to the user directly, not via a group.")
        else:
            yield Result.passed(res, f"{res.name}: assigned to a group.")


def inline_wildcards(ps: PermissionSet) -> list[str]:
    """'*' and 'service:*' actions the set's inline policy allows."""
    if ps.inline_policy is None:
        return []
    return list(
        dict.fromkeys(
            action
            for st in parse_document(ps.inline_policy)
            if st.effect is Effect.ALLOW and not st.not_action
            for action in st.actions
            if _SERVICE_WILDCARD.match(action)
        )
    )


@rule(
    id="sso-permission-set-inline-wildcard",
    title="Permission set inline policies do not allow '*' or every action of a service",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "An inline policy is the permission set's own, unversioned grant; 'service:*' or '*' "
        "in it hands out actions nobody listed, including ones AWS adds later."
    ),
    remediation=(
        "List the needed actions instead, then provision the set again: aws sso-admin "
        "put-inline-policy-to-permission-set --instance-arn INSTANCE --permission-set-arn SET "
        "--inline-policy file://doc.json && aws sso-admin provision-permission-set "
        "--instance-arn INSTANCE --permission-set-arn SET --target-type ALL_PROVISIONED_ACCOUNTS"
    ),
    requires=(PART_IDENTITY_CENTER,),
    resource_type="permission_set",
)
def sso_permission_set_inline_wildcard(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    center = _center(snap)
    if center is None:
        return
    for ps in center.permission_sets:
        wild = inline_wildcards(ps)
        res = set_resource(ps)
        if wild:
            yield Result.failed(
                res,
                f"Permission set {ps.name}'s inline policy allows {', '.join(wild)}.",
                actions=wild,
            )
        elif ps.inline_policy is None:
            yield Result.passed(res, f"Permission set {ps.name} has no inline policy.")
        else:
            yield Result.passed(
                res, f"Permission set {ps.name}'s inline policy allows no wildcard action."
            )


@rule(
    id="sso-long-session",
    title="Permission set sessions last at most {sso_session_max_hours} hours",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "A session outlives the sign-in that started it: a stolen or forgotten console or CLI "
        "session keeps working until it expires, whatever happens to the person meanwhile."
    ),
    remediation=(
        "Shorten the session, then provision the set again: aws sso-admin update-permission-set "
        "--instance-arn INSTANCE --permission-set-arn SET --session-duration "
        "PT{sso_session_max_hours}H "
        "(thresholds.sso_session_max_hours in audit.toml sets the maximum judged)"
    ),
    requires=(PART_IDENTITY_CENTER,),
    resource_type="permission_set",
)
def sso_long_session(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    center = _center(snap)
    if center is None:
        return
    limit_hours = ctx.thresholds.sso_session_max_hours
    for ps in center.permission_sets:
        res = set_resource(ps)
        seconds = ps.session_seconds
        if not ps.session_duration:
            seconds = 3600  # AWS's default when none is set
        if seconds is None:
            yield Result.not_assessed(
                res,
                f"Permission set {ps.name}: session duration {ps.session_duration!r} "
                "not understood.",
            )
        elif seconds > limit_hours * 3600:
            yield Result.failed(
                res,
                f"Permission set {ps.name}'s sessions last {seconds / 3600:g} h "
                f"(maximum {limit_hours} h).",
                hours=seconds / 3600,
            )
        else:
            yield Result.passed(
                res, f"Permission set {ps.name}'s sessions last {seconds / 3600:g} h."
            )


@rule(
    id="sso-permission-set-escalation",
    title="No permission set allows privilege escalation",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "Whoever is assigned a set that can, say, attach policies to roles or pass a role to "
        "new compute holds every permission they can grant themselves in that account."
    ),
    remediation=(
        "Remove the actions named in the finding from the set's policies or scope their "
        "Resource, then provision the set again (aws sso-admin provision-permission-set "
        "--instance-arn INSTANCE --permission-set-arn SET --target-type "
        "ALL_PROVISIONED_ACCOUNTS); re-check with iam-audit explain PERSON SNAPSHOT"
    ),
    requires=(PART_IDENTITY_CENTER,),
    resource_type="permission_set",
)
def sso_permission_set_escalation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    by_set = _set_verdicts_by_set(snap)
    center = _center(snap)
    if center is None:
        return
    for ps in center.permission_sets:
        verdicts = by_set.get(ps.arn, [])
        res = set_resource(ps)
        escalating = [v for v in verdicts if v.can_escalate]
        if any(v.admin.verdict is Verdict.ALLOWED for v in verdicts):
            yield Result.passed(
                res,
                f"Permission set {ps.name} grants * on * already (see sso-admin-permission-set); "
                "escalation adds nothing.",
            )
        elif escalating:
            found = escalating[0].escalations
            methods = [e.method.name for e in found]
            conditional = all(e.verdict is Verdict.CONDITIONAL for e in found)
            accounts = [v.account_id for v in escalating]
            yield Result.failed(
                res,
                f"Permission set {ps.name} can escalate privileges in {_listed(accounts)} by "
                f"{len(found)} method(s): {_listed(methods)}.",
                severity=Severity.MEDIUM if conditional else None,
                methods=methods,
                accounts=accounts,
            )
        elif any(not v.perms.complete for v in verdicts):
            yield _not_collected(res, ps.name, verdicts)
        else:
            yield Result.passed(res, f"Permission set {ps.name} holds no known escalation method.")


@rule(
    id="sso-group-empty",
    title="Every Identity Center group has members",
    severity=Severity.INFO,
    controls=(),
    rationale=(
        "An empty group is access waiting to be handed out: adding one person to it grants every "
        "account assignment it carries, without any assignment being reviewed."
    ),
    remediation=(
        "Delete the group if it is not needed (remove its account assignments first), or "
        "record why it is kept empty: aws identitystore delete-group --identity-store-id STORE "
        "--group-id GROUP_ID"
    ),
    requires=(PART_IDENTITY_STORE, PART_IDENTITY_CENTER),
    resource_type="sso_group",
)
def sso_group_empty(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    center = _center(snap)
    if center is None:
        return
    members = center.members_of()
    for group in center.groups:
        res = Resource("sso_group", group.display_name, group.group_id)
        count = len(members.get(group.group_id, ()))
        held = [
            a
            for a in center.assignments
            if a.principal_type == PRINCIPAL_GROUP and a.principal_id == group.group_id
        ]
        if count:
            yield Result.passed(res, f"Group {group.display_name} has {count} member(s).")
        elif held:
            yield Result.failed(
                res,
                f"Group {group.display_name} has no members but {len(held)} account assignment(s).",
                severity=Severity.LOW,
            )
        else:
            yield Result.failed(res, f"Group {group.display_name} has no members.")


@rule(
    id="sso-assignment-to-missing-principal",
    title="Every account assignment names a user or group that exists",
    severity=Severity.MEDIUM,
    controls=(),
    rationale=(
        "An assignment whose user or group was deleted is dead weight at best; at worst a "
        "directory sync recreates the principal and silently restores its access."
    ),
    remediation=(
        "Delete the assignment: aws sso-admin delete-account-assignment --instance-arn INSTANCE "
        "--target-id ACCOUNT --target-type AWS_ACCOUNT --permission-set-arn SET "
        "--principal-type TYPE --principal-id ID"
    ),
    requires=(PART_IDENTITY_CENTER, PART_IDENTITY_STORE),
    resource_type="assignment",
)
def sso_assignment_to_missing_principal(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    center = _center(snap)
    if center is None:
        return
    users = center.user_by_id()
    groups = center.group_by_id()
    for a in center.assignments:
        res = _assignment_resource(center, a)
        exists = a.principal_id in (users if a.principal_type == PRINCIPAL_USER else groups)
        if exists:
            yield Result.passed(res, f"{res.name}: the {a.principal_type.lower()} exists.")
        else:
            yield Result.failed(
                res,
                f"{res.name}: no {a.principal_type.lower()} with id {a.principal_id} in the "
                "identity store.",
            )


@rule(
    id="sso-permission-set-not-provisioned",
    title="Permission sets are provisioned, in their latest version, where they are assigned",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "An edited set takes effect only when provisioned again: until then the accounts run the "
        "old policy, and what the console shows is not what people hold. An assignment where the "
        "set is not provisioned gives access that does not work, or works differently."
    ),
    remediation=(
        "Provision the set again: aws sso-admin provision-permission-set --instance-arn "
        "INSTANCE --permission-set-arn SET --target-type ALL_PROVISIONED_ACCOUNTS (or "
        "--target-type AWS_ACCOUNT --target-id ACCOUNT)"
    ),
    requires=(PART_IDENTITY_CENTER,),
    resource_type="permission_set",
)
def sso_permission_set_not_provisioned(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    center = _center(snap)
    if center is None:
        return
    states = {(p.permission_set_arn, p.account_id): p.state for p in center.provisioning}
    assigned = {(a.permission_set_arn, a.account_id) for a in center.assignments}
    for ps in center.permission_sets:
        accounts = sorted({acct for arn, acct in assigned | set(states) if arn == ps.arn})
        for account in accounts:
            res = Resource("permission_set", f"{ps.name} in {account}", ps.arn)
            state = states.get((ps.arn, account))
            provisioned = account in ps.provisioned_accounts or state is not None
            if (ps.arn, account) in assigned and not provisioned:
                yield Result.failed(
                    res,
                    f"Permission set {ps.name} is assigned in {account} but not provisioned there.",
                )
            elif state is ProvisioningState.OUTDATED:
                yield Result.failed(
                    res,
                    f"Permission set {ps.name} was changed since it was last provisioned to "
                    f"{account}.",
                )
            elif state is ProvisioningState.CURRENT:
                yield Result.passed(res, f"Permission set {ps.name} is current in {account}.")
            else:
                yield Result.not_assessed(
                    res,
                    f"Permission set {ps.name} is provisioned to {account}, but the API did not "
                    "tell whether that is the latest version (the endpoint listed it as both "
                    "current and outdated, or neither).",
                )


@rule(
    id=CUSTOMER_POLICY_MISSING,
    title="Customer managed policies a permission set references exist in its accounts",
    severity=Severity.MEDIUM,
    controls=(),
    rationale=(
        "A permission set names customer managed policies by name; an account without a policy "
        "of that name fails provisioning, and people get less access than reviewed, or none."
    ),
    remediation=(
        "Create the policy with that name and path in the account (aws iam create-policy "
        "--policy-name NAME --path PATH --policy-document file://doc.json), or remove the "
        "reference from the set, then provision it again."
    ),
    requires=(PART_IDENTITY_CENTER,),
    resource_type="permission_set",
)
def sso_customer_policy_missing(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    center = _center(snap)
    if center is None:
        return
    known = account_policies(snap)
    verdicts = set_verdicts(snap)
    for ps in center.permission_sets:
        if not ps.customer_policies:
            continue
        refs = ", ".join(r.display for r in ps.customer_policies)
        for account in target_accounts(center, ps):
            verdict = verdicts.get((ps.arn, account))
            res = Resource("permission_set", f"{ps.name} in {account}", ps.arn)
            if account not in known or verdict is None:
                why = (
                    "its IAM policies are not in this snapshot (a single-account run sees only "
                    f"{snap.meta.account_id})"
                    if account != snap.meta.account_id
                    else "its IAM policies were not collected"
                )
                yield Result.not_assessed(res, f"{ps.name} references {refs} in {account}: {why}.")
            elif verdict.missing_policies:
                missing = ", ".join(r.display for r in verdict.missing_policies)
                yield Result.failed(
                    res,
                    f"Permission set {ps.name} references {missing}, which account {account} "
                    "does not have.",
                    missing=[r.display for r in verdict.missing_policies],
                )
            else:
                yield Result.passed(res, f"Every policy {ps.name} references exists in {account}.")
