"""Identity changes between two snapshots of one account, for the review's diff.

Users, groups and roles added or removed; access keys created, rotated, deactivated; MFA
enabled or removed; group membership; policies attached, detached or edited; roles that became
unused (from the role-unused findings of both sides). A part that was
not collected completely on either side is not compared (a note says so), so a denied API never
shows up as "everything deleted".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.findings import Finding, Status
from audit.model import (
    PART_AUTHORIZATION,
    PART_CREDENTIAL_REPORT,
    PART_PASSWORD_POLICY,
    CredentialRow,
    InlinePolicy,
    ReportAccessKey,
    Snapshot,
)
from audit.model_sso import PART_IDENTITY_CENTER, PART_IDENTITY_STORE
from audit.workflow.sso_changes import sso_changes


@dataclass(frozen=True)
class IdentityChange:
    kind: str  # "user-added", "key-rotated", "mfa-enabled", "policy-attached", ...
    resource_type: str  # user, group, role, policy, account
    resource_name: str
    detail: str


def _named(items: Iterable[Any]) -> dict[str, Any]:
    return {item.name: item for item in items}


def _added_removed(
    kind: str, rtype: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[IdentityChange]:
    out = [
        IdentityChange(f"{kind}-added", rtype, n, f"{rtype} {n} created")
        for n in new
        if n not in old
    ]
    out += [
        IdentityChange(f"{kind}-removed", rtype, n, f"{rtype} {n} deleted")
        for n in old
        if n not in new
    ]
    return out


def _key_id(k: ReportAccessKey) -> str:
    # The report has no key id; a key's creation time (last_rotated) tells keys apart.
    return k.last_rotated.isoformat() if k.last_rotated else f"slot {k.slot}"


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else "unknown date"


def _key_changes(name: str, old: CredentialRow | None, new: CredentialRow) -> list[IdentityChange]:
    rtype = "account" if new.is_root else "user"
    who = "root user" if new.is_root else name
    before = {_key_id(k): k for k in (old.access_keys if old else ()) if k.exists}
    after = {_key_id(k): k for k in new.access_keys if k.exists}
    created = [after[i] for i in after if i not in before]
    deleted = [before[i] for i in before if i not in after]
    out: list[IdentityChange] = []
    # A key deleted and another created between two reviews is a rotation.
    while created and deleted:
        c, d = created.pop(0), deleted.pop(0)
        out.append(
            IdentityChange(
                "key-rotated",
                rtype,
                name,
                f"{who}: key created {_day(d.last_rotated)} replaced by one created "
                f"{_day(c.last_rotated)}",
            )
        )
    out += [
        IdentityChange(
            "key-created", rtype, name, f"{who}: access key created {_day(k.last_rotated)}"
        )
        for k in created
    ]
    out += [
        IdentityChange(
            "key-deleted", rtype, name, f"{who}: access key created {_day(k.last_rotated)} deleted"
        )
        for k in deleted
    ]
    for i in before.keys() & after.keys():
        was, now = before[i], after[i]
        if was.active and not now.active:
            out.append(
                IdentityChange(
                    "key-deactivated",
                    rtype,
                    name,
                    f"{who}: key created {_day(now.last_rotated)} deactivated",
                )
            )
        elif now.active and not was.active:
            out.append(
                IdentityChange(
                    "key-activated",
                    rtype,
                    name,
                    f"{who}: key created {_day(now.last_rotated)} activated",
                )
            )
    if old is not None and old.mfa_active != new.mfa_active:
        kind = "mfa-enabled" if new.mfa_active else "mfa-removed"
        out.append(
            IdentityChange(
                kind, rtype, name, f"{who}: MFA {'enabled' if new.mfa_active else 'removed'}"
            )
        )
    return out


def _credential_changes(old: Snapshot, new: Snapshot) -> list[IdentityChange]:
    before = {r.user: r for r in old.credential_report}
    out: list[IdentityChange] = []
    for row in new.credential_report:
        out += _key_changes(row.user, before.get(row.user), row)
    return out


def _policy_changes(rtype: str, name: str, old: Any, new: Any) -> list[IdentityChange]:
    """Attached and inline policy changes of one user, group or role present on both sides."""
    out: list[IdentityChange] = []
    was = {p.arn: p.name for p in old.attached_policies}
    now = {p.arn: p.name for p in new.attached_policies}
    out += [
        IdentityChange("policy-attached", rtype, name, f"{now[a]} attached to {rtype} {name}")
        for a in now
        if a not in was
    ]
    out += [
        IdentityChange("policy-detached", rtype, name, f"{was[a]} detached from {rtype} {name}")
        for a in was
        if a not in now
    ]
    inline_was: dict[str, InlinePolicy] = _named(old.inline_policies)
    inline_now: dict[str, InlinePolicy] = _named(new.inline_policies)
    for pname, pol in inline_now.items():
        if pname not in inline_was:
            out.append(
                IdentityChange(
                    "inline-policy-added",
                    rtype,
                    name,
                    f"inline policy {pname} added to {rtype} {name}",
                )
            )
        elif _canonical(pol.document) != _canonical(inline_was[pname].document):
            out.append(
                IdentityChange(
                    "inline-policy-edited",
                    rtype,
                    name,
                    f"inline policy {pname} of {rtype} {name} edited",
                )
            )
    out += [
        IdentityChange(
            "inline-policy-removed", rtype, name, f"inline policy {p} removed from {rtype} {name}"
        )
        for p in inline_was
        if p not in inline_now
    ]
    return out


def _canonical(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, default=str)


def _authorization_changes(old: Snapshot, new: Snapshot) -> list[IdentityChange]:
    out: list[IdentityChange] = []
    for kind, olds, news in (
        ("user", _named(old.users), _named(new.users)),
        ("group", _named(old.groups), _named(new.groups)),
        ("role", _named(old.roles), _named(new.roles)),
    ):
        out += _added_removed(kind, kind, olds, news)
        for name in olds.keys() & news.keys():
            out += _policy_changes(kind, name, olds[name], news[name])
    users_was, users_now = _named(old.users), _named(new.users)
    for name in users_was.keys() & users_now.keys():
        was, now = users_was[name], users_now[name]
        if was.user_id != now.user_id:
            out.append(
                IdentityChange(
                    "user-recreated", "user", name, f"user {name} deleted and created again"
                )
            )
        out += [
            IdentityChange("group-joined", "user", name, f"{name} added to group {g}")
            for g in now.groups
            if g not in was.groups
        ]
        out += [
            IdentityChange("group-left", "user", name, f"{name} removed from group {g}")
            for g in was.groups
            if g not in now.groups
        ]
    # Managed policies: customer ones created or deleted; any one edited (new default version).
    pol_was, pol_now = old.policy_by_arn(), new.policy_by_arn()
    for arn, p in pol_now.items():
        if arn not in pol_was:
            if not p.is_aws_managed:
                out.append(
                    IdentityChange(
                        "policy-created", "policy", p.name, f"managed policy {p.name} created"
                    )
                )
            continue
        q = pol_was[arn]
        if q.default_version_id != p.default_version_id:
            out.append(
                IdentityChange(
                    "policy-edited",
                    "policy",
                    p.name,
                    f"managed policy {p.name}: default version "
                    f"{q.default_version_id} -> {p.default_version_id}",
                )
            )
        elif _canonical(q.document) != _canonical(p.document):
            out.append(
                IdentityChange(
                    "policy-edited", "policy", p.name, f"managed policy {p.name}: document changed"
                )
            )
    out += [
        IdentityChange("policy-deleted", "policy", q.name, f"managed policy {q.name} deleted")
        for arn, q in pol_was.items()
        if arn not in pol_now and not q.is_aws_managed
    ]
    return out


def identity_changes(
    old: Snapshot, new: Snapshot
) -> tuple[tuple[IdentityChange, ...], tuple[str, ...]]:
    """The changes, and notes on what could not be compared (a part missing on a side)."""
    changes: list[IdentityChange] = []
    notes: list[str] = []
    parts: Sequence[tuple[str, Callable[[Snapshot, Snapshot], list[IdentityChange]]]] = (
        (PART_AUTHORIZATION, _authorization_changes),
        (PART_CREDENTIAL_REPORT, _credential_changes),
    )
    for part, compare in parts:
        if old.has_part(part) and new.has_part(part):
            changes += compare(old, new)
        else:
            notes.append(f"{part} not compared: not collected completely in both snapshots")
    if all(s.has_part(p) for s in (old, new) for p in (PART_IDENTITY_CENTER, PART_IDENTITY_STORE)):
        changes += [IdentityChange(*c) for c in sso_changes(old, new)]
    else:
        notes.append("Identity Center not compared: not collected completely in both snapshots")
    if (
        old.has_part(PART_PASSWORD_POLICY)
        and new.has_part(PART_PASSWORD_POLICY)
        and old.password_policy != new.password_policy
    ):
        acct = new.meta.account_id
        what = (
            "removed"
            if new.password_policy is None
            else "set"
            if old.password_policy is None
            else "changed"
        )
        changes.append(
            IdentityChange("password-policy-changed", "account", acct, f"password policy {what}")
        )
    return ordered(changes), tuple(notes)


def ordered(changes: Iterable[IdentityChange]) -> tuple[IdentityChange, ...]:
    """The order a diff lists changes in: by resource, then kind."""
    return tuple(
        sorted(changes, key=lambda c: (c.resource_type, c.resource_name, c.kind, c.detail))
    )


ROLE_UNUSED_RULE = "role-unused"


def roles_became_unused(
    old: Iterable[Finding], new: Iterable[Finding]
) -> tuple[IdentityChange, ...]:
    """Roles judged in use at the earlier review and unused now (role-unused, both sides).

    Both sides are judged with the same audit.toml threshold; a role new since then, or one
    the earlier side could not judge, is not "became unused" (the findings diff shows it).
    """
    before = {
        f.resource_name: f.status
        for f in old
        if f.rule_id == ROLE_UNUSED_RULE and f.resource_type == "role"
    }
    return tuple(
        IdentityChange("role-became-unused", "role", f.resource_name, f.message)
        for f in new
        if f.rule_id == ROLE_UNUSED_RULE
        and f.resource_type == "role"
        and f.status in (Status.FAIL, Status.SUPPRESSED)
        and before.get(f.resource_name) is Status.PASS
    )
