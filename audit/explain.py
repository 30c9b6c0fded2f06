"""`iam-audit explain USER SNAPSHOT`: a user's effective permissions and where each comes from."""

from __future__ import annotations

from audit.errors import InputError
from audit.model import PART_AUTHORIZATION, Snapshot, User
from audit.permissions import (
    Effect,
    Statement,
    Verdict,
    admin_access,
    escalations,
    user_permissions,
)


def find_user(snapshot: Snapshot, name: str) -> User:
    for user in snapshot.users:
        if user.name == name:
            return user
    if not snapshot.has_part(PART_AUTHORIZATION):
        raise InputError(f"the snapshot has no users: {PART_AUTHORIZATION} was not collected")
    # IAM user names are case-insensitive in AWS: suggest the spelling that exists.
    near = [u.name for u in snapshot.users if u.name.lower() == name.lower()]
    hint = f" (did you mean {near[0]}?)" if near else ""
    raise InputError(f"no IAM user {name!r} in the snapshot{hint}")


def _statement_line(st: Statement) -> str:
    verb = "Allow" if st.effect is Effect.ALLOW else "Deny"
    cond = "  [conditional]" if st.conditional else ""
    return f"{verb} {st.describe_actions()} on {st.describe_resources()}{cond}"


def explain_user(snapshot: Snapshot, name: str) -> str:
    user = find_user(snapshot, name)
    perms = user_permissions(snapshot, user)
    lines = [f"User {user.name} ({user.arn})"]
    lines.append(f"Groups: {', '.join(user.groups) or 'none'}")
    boundary = perms.boundary.path if perms.boundary else "none"
    if user.permissions_boundary_arn and perms.boundary is None:
        boundary = f"{user.permissions_boundary_arn} (document not collected)"
    lines.append(f"Permissions boundary: {boundary}")

    admin = admin_access(perms)
    if admin.verdict is Verdict.ALLOWED:
        lines.append(f"Effective admin: YES, * on * {', '.join(admin.paths)}")
    elif admin.verdict is Verdict.CONDITIONAL:
        lines.append(f"Effective admin: CONDITIONAL, * on * {', '.join(admin.paths)}")
    else:
        lines.append("Effective admin: no")
    lines += [f"  note: {n}" for n in admin.notes]

    lines.append("")
    lines.append("Where permissions come from:")
    if not perms.sources:
        lines.append("  (no policies)")
    for src in perms.sources:
        lines.append(f"  {src.path}")
        lines += [f"    {_statement_line(st)}" for st in src.statements]
    if perms.boundary is not None:
        lines.append(f"  {perms.boundary.path} (caps everything above)")
        lines += [f"    {_statement_line(st)}" for st in perms.boundary.statements]
    if perms.unresolved:
        lines.append("Not collected (answers may be incomplete): " + ", ".join(perms.unresolved))

    found = escalations(perms)
    lines.append("")
    lines.append(f"Privilege-escalation methods: {len(found) or 'none'}")
    lines += [f"  {e.describe()}" for e in found]
    return "\n".join(lines) + "\n"
