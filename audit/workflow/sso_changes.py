"""Identity Center changes between two snapshots, for the review's diff: people added and
removed, account assignments granted and revoked, permission sets created, deleted and edited.

Pure; called by audit/workflow/identity_changes.py only when both snapshots hold the Identity
Center parts completely (a denied API never reads as "everyone removed"). Each change is a
plain (kind, resource type, resource name, detail) tuple that module turns into its
IdentityChange, so neither module imports the other's way round.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from audit.model import Snapshot
from audit.model_sso import PRINCIPAL_USER, AccountAssignment, IdentityCenter, PermissionSet

# kind, resource type, resource name, detail (the fields of identity_changes.IdentityChange)
Change = tuple[str, str, str, str]

_EDITABLE = (
    ("session_duration", "session duration"),
    ("relay_state", "relay state"),
    ("description", "description"),
    ("managed_policy_arns", "AWS managed policies"),
    ("customer_policies", "customer managed policy references"),
    ("boundary", "permissions boundary"),
)


def _canonical(doc: Mapping[str, Any] | None) -> str:
    return json.dumps(doc, sort_keys=True, default=str)


def _principal(center: IdentityCenter, a: AccountAssignment) -> str:
    if a.principal_type == PRINCIPAL_USER:
        user = center.user_by_id().get(a.principal_id)
        return f"user {user.label if user else a.principal_id}"
    group = center.group_by_id().get(a.principal_id)
    return f"group {group.display_name if group else a.principal_id}"


def _assignments(center: IdentityCenter) -> dict[tuple[str, str, str], str]:
    """(account, set ARN, principal id) -> "principal -> set in account"."""
    names = {p.arn: p.name for p in center.permission_sets}
    return {
        (a.account_id, a.permission_set_arn, a.principal_id): (
            f"{_principal(center, a)} -> {names.get(a.permission_set_arn, a.permission_set_arn)}"
            f" in {a.account_id}"
        )
        for a in center.assignments
    }


def _edits(was: PermissionSet, now: PermissionSet) -> list[str]:
    what = [label for attr, label in _EDITABLE if getattr(was, attr) != getattr(now, attr)]
    if _canonical(was.inline_policy) != _canonical(now.inline_policy):
        what.append("inline policy")
    return what


def sso_changes(old: Snapshot, new: Snapshot) -> list[Change]:
    was, now = old.identity_center, new.identity_center
    if was is None and now is None:
        return []
    if was is None or now is None:
        arn = now.instance.arn if now is not None else was.instance.arn  # type: ignore[union-attr]
        kind, what = ("sso-instance-added", "found") if now else ("sso-instance-removed", "gone")
        return [(kind, "account", arn, f"Identity Center instance {what}")]
    out: list[Change] = []
    users_was, users_now = was.user_by_id(), now.user_by_id()
    out += [
        ("person-added", "sso_user", u.label, f"Identity Center user {u.label} added")
        for uid, u in users_now.items()
        if uid not in users_was
    ]
    out += [
        ("person-removed", "sso_user", u.label, f"Identity Center user {u.label} removed")
        for uid, u in users_was.items()
        if uid not in users_now
    ]
    grants_was, grants_now = _assignments(was), _assignments(now)
    out += [
        ("assignment-granted", "assignment", text, f"granted: {text}")
        for key, text in grants_now.items()
        if key not in grants_was
    ]
    out += [
        ("assignment-revoked", "assignment", text, f"revoked: {text}")
        for key, text in grants_was.items()
        if key not in grants_now
    ]
    sets_was, sets_now = was.permission_set_by_arn(), now.permission_set_by_arn()
    for arn, ps in sets_now.items():
        before = sets_was.get(arn)
        if before is None:
            out.append(
                (
                    "permission-set-created",
                    "permission_set",
                    ps.name,
                    f"permission set {ps.name} created",
                )
            )
        elif edits := _edits(before, ps):
            out.append(
                (
                    "permission-set-edited",
                    "permission_set",
                    ps.name,
                    f"permission set {ps.name}: {', '.join(edits)} changed",
                )
            )
    out += [
        ("permission-set-deleted", "permission_set", ps.name, f"permission set {ps.name} deleted")
        for arn, ps in sets_was.items()
        if arn not in sets_now
    ]
    return out
