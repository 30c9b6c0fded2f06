"""The population of an access review: one item per thing a person holds (issue 12).

An IAM user's group memberships, directly attached and inline policies, access keys and console
password; a role another account may assume. Each item has a stable id (the same access in the
next run has the same id, so a decision can be verified there) and what it grants in words.

Identity Center assignments (a person's permission set on an account, directly or through a
group) join them when the snapshot holds an Identity Center instance: identity_center_items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from audit.findings import Finding, Severity
from audit.model import CredentialRow, Role, Snapshot, User
from audit.permissions import (
    Effect,
    EffectivePermissions,
    admin_access,
    escalations,
    user_permissions,
)
from audit.permissions.access_view import DIRECT, build_access_view

KIND_GROUP = "group membership"
KIND_ATTACHED = "attached policy"
KIND_INLINE = "inline policy"
KIND_KEY = "access key"
KIND_CONSOLE = "console access"
KIND_TRUST = "cross-account role"
KIND_IDENTITY_CENTER = "permission set"

GRANTS_ADMIN = "admin"
GRANTS_ESCALATION = "escalation"
GRANTS_READ_ONLY = "read-only"
GRANTS_CUSTOM = "custom"
GRANTS_UNKNOWN = "unknown"

# Verbs of actions that read (an action is judged by its name: IAM has no read/write flag).
_READ_PREFIXES = (
    "get",
    "list",
    "describe",
    "view",
    "lookup",
    "search",
    "batchget",
    "select",
    "query",
    "scan",
    "read",
    "retrieve",
)
# AWS managed policies that are read-only by AWS's own description, though some of their
# thousands of actions have verbs the list above does not know (dynamodb:PartiQLSelect...).
AWS_READ_ONLY_POLICIES = frozenset({"ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit"})


@dataclass(frozen=True)
class AccessItem:
    """One line of the review: who holds what, and what it grants."""

    item_id: str  # stable across runs: account, principal ARN, kind and item
    account: str
    principal: str  # user or role name
    principal_arn: str
    kind: str  # one of KIND_*
    item: str  # "group admins", "policy ReadOnlyAccess", "key 1 created 2026-01-02"
    grants: str  # one of GRANTS_*
    last_used: datetime | None
    findings: tuple[str, ...]  # failing rule ids on the principal or the item
    risk: str  # the worst failing severity among them, "none" without
    tags: Mapping[str, str]  # the principal's tags (owner assignment)
    groups: tuple[str, ...] = ()  # the principal's groups (owner assignment)


def item_id(account: str, principal_arn: str, kind: str, item: str) -> str:
    raw = "\x1f".join((account, principal_arn, kind, item)).encode("utf-8")
    return "AR-" + hashlib.sha256(raw).hexdigest()[:16]


def read_only_sources(snapshot: Snapshot) -> frozenset[str]:
    """Policy-source path endings of the AWS managed read-only policies in the snapshot.

    A customer policy may carry the same name: the name is then left out (judged by verbs).
    """
    aws = {p.name for p in snapshot.policies if p.is_aws_managed}
    customer = {p.name for p in snapshot.policies if not p.is_aws_managed}
    names = (aws & AWS_READ_ONLY_POLICIES) - customer
    return frozenset(f"policy {n}" for n in names)


def _is_read_only(perms: EffectivePermissions, read_only: frozenset[str]) -> bool:
    allows = [
        st
        for src in perms.sources
        if not src.path.endswith(tuple(read_only))
        for st in src.statements
        if st.effect is Effect.ALLOW
    ]
    if any(st.not_action for st in allows):
        return False
    return all(
        ":" in a and a.split(":", 1)[1].lower().startswith(_READ_PREFIXES)
        for st in allows
        for a in st.actions
    )


def grants_in_words(perms: EffectivePermissions, read_only: frozenset[str] = frozenset()) -> str:
    """admin, escalation, read-only or custom; unknown when a policy in reach is unreadable."""
    if admin_access(perms).granted:
        return GRANTS_ADMIN
    if escalations(perms):
        return GRANTS_ESCALATION
    if not perms.complete:
        return GRANTS_UNKNOWN
    return GRANTS_READ_ONLY if _is_read_only(perms, read_only) else GRANTS_CUSTOM


def _only(user: User, **held: Any) -> User:
    """The user holding just one thing: what that thing alone grants."""
    empty: dict[str, Any] = {"groups": (), "inline_policies": (), "attached_policies": ()}
    return replace(user, **{**empty, **held}, permissions_boundary_arn=None)


def _role_as_holder(role: Role) -> User:
    # The evaluator reads a holder's own policies and boundary; a role's are the same shape.
    return User(
        name=role.name,
        arn=role.arn,
        user_id=role.role_id,
        path=role.path,
        create_date=role.create_date,
        inline_policies=role.inline_policies,
        attached_policies=role.attached_policies,
        permissions_boundary_arn=role.permissions_boundary_arn,
    )


def _last_activity(row: CredentialRow | None) -> datetime | None:
    if row is None:
        return None
    times = [row.password_last_used, *(k.last_used for k in row.access_keys)]
    return max((t for t in times if t is not None), default=None)


def _findings_by_resource(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    by: dict[str, list[Finding]] = {}
    for f in findings:
        if f.is_failing:
            for key in {f.resource_arn, f.resource_name} - {""}:
                by.setdefault(key, []).append(f)
    return by


def _risk(found: Sequence[Finding]) -> str:
    worst = max((f.severity for f in found), default=None)
    return worst.label if isinstance(worst, Severity) else "none"


def _user_items(snapshot: Snapshot, user: User) -> Iterator[tuple[str, str, User | None, Any]]:
    """(kind, item, holder of just that access or None for the whole user, last used)."""
    row = snapshot.credential_row(user.name)
    activity = _last_activity(row)
    for g in user.groups:
        yield KIND_GROUP, f"group {g}", _only(user, groups=(g,)), activity
    for ap in user.attached_policies:
        yield KIND_ATTACHED, f"policy {ap.name}", _only(user, attached_policies=(ap,)), activity
    for ip in user.inline_policies:
        yield KIND_INLINE, f"inline policy {ip.name}", _only(user, inline_policies=(ip,)), activity
    if row is None:
        return
    for key in row.access_keys:
        if key.exists:
            created = f"{key.last_rotated:%Y-%m-%d}" if key.last_rotated else "unknown date"
            state = "" if key.active else ", inactive"
            yield KIND_KEY, f"key {key.slot} created {created}{state}", None, key.last_used
    if row.password_enabled:
        yield KIND_CONSOLE, "console password", None, row.password_last_used


def trusted_accounts(role: Role, own_account: str) -> tuple[str, ...]:
    """Other AWS accounts named as principals in the role's trust policy."""
    found: list[str] = []
    statements = role.assume_role_policy.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        values: Any = principal.get("AWS", []) if isinstance(principal, Mapping) else []
        for value in [values] if isinstance(values, str) else values:
            if not isinstance(value, str):
                continue
            account = value.split(":")[4] if value.startswith("arn:") else value
            if account.isdigit() and len(account) == 12 and account != own_account:
                found.append(account)
    return tuple(dict.fromkeys(found))


def identity_center_items(
    snapshot: Snapshot, by_resource: Mapping[str, Sequence[Finding]], read_only: frozenset[str]
) -> Iterator[AccessItem]:
    """Identity Center: a person's permission set on an account, directly or through a group.

    One item per path (a person holding the same set directly and through a group has two:
    each is revoked on its own). The item's account is the account the set reaches.
    """
    view = build_access_view(snapshot)
    if view is None:
        return
    store = view.center.instance.identity_store_id
    for row in view.rows:
        verdict = row.verdict
        if verdict.is_admin:
            grants = GRANTS_ADMIN
        elif verdict.can_escalate:
            grants = GRANTS_ESCALATION
        elif not verdict.perms.complete or verdict.not_collected:
            grants = GRANTS_UNKNOWN
        else:
            grants = GRANTS_READ_ONLY if _is_read_only(verdict.perms, read_only) else GRANTS_CUSTOM
        person = row.user
        via = "" if row.via == DIRECT else f" via group {row.via}"
        item = f"{row.permission_set.name} on account {row.account_id}{via}"
        principal_arn = f"identitystore:{store}:user/{person.user_id}"
        found = list(by_resource.get(person.user_name, []))
        yield AccessItem(
            item_id=item_id(row.account_id, principal_arn, KIND_IDENTITY_CENTER, item),
            account=row.account_id,
            principal=person.user_name,
            principal_arn=principal_arn,
            kind=KIND_IDENTITY_CENTER,
            item=item,
            grants=grants,
            last_used=None,  # Identity Center reports no last use per assignment
            findings=tuple(sorted({f.rule_id for f in found})),
            risk=_risk(found),
            tags={},
            groups=(row.via,) if row.via != DIRECT else (),
        )


def _item(
    account: str,
    holder: User | Role,
    kind: str,
    item: str,
    grants: str,
    last_used: datetime | None,
    found: Sequence[Finding],
) -> AccessItem:
    return AccessItem(
        item_id=item_id(account, holder.arn, kind, item),
        account=account,
        principal=holder.name,
        principal_arn=holder.arn,
        kind=kind,
        item=item,
        grants=grants,
        last_used=last_used,
        findings=tuple(sorted({f.rule_id for f in found})),
        risk=_risk(found),
        tags=holder.tags,
        groups=holder.groups if isinstance(holder, User) else (),
    )


def access_items(snapshot: Snapshot, findings: Sequence[Finding]) -> tuple[AccessItem, ...]:
    """Every access item of the account, users then roles, in snapshot order."""
    account = snapshot.meta.account_id
    by_resource = _findings_by_resource(findings)
    items: list[AccessItem] = []
    cache: dict[str, str] = {}
    read_only = read_only_sources(snapshot)

    def words(holder: User) -> str:
        return grants_in_words(user_permissions(snapshot, holder), read_only)

    for user in snapshot.users:
        on_user = by_resource.get(user.arn, []) or by_resource.get(user.name, [])
        whole = ""
        for kind, item, holder, last_used in _user_items(snapshot, user):
            if holder is None:
                whole = whole or words(user)
                grants = whole
            else:
                key = f"{kind}\x1f{item}" if kind != KIND_INLINE else ""
                grants = cache.get(key) or words(holder)
                if key:  # a group or a managed policy grants the same to every holder
                    cache[key] = grants
            name = item.split(" ", 1)[1] if kind in (KIND_GROUP, KIND_ATTACHED) else ""
            found = on_user + (by_resource.get(name, []) if name else [])
            items.append(_item(account, user, kind, item, grants, last_used, found))
    for role in snapshot.roles:
        trusted = [f"assumable from account {o}" for o in trusted_accounts(role, account)]
        if role.trust_unreadable:  # an empty document is not "trusts no other account"
            trusted = ["trust policy unreadable: who may assume it is unknown"]
        if not trusted:
            continue
        grants = words(_role_as_holder(role))
        found = by_resource.get(role.arn, []) or by_resource.get(role.name, [])
        items += [
            _item(account, role, KIND_TRUST, item, grants, role.last_used, found)
            for item in trusted
        ]
    items += identity_center_items(snapshot, by_resource, read_only)
    return tuple(items)
