"""`iam-audit explain NAME SNAPSHOT`: a user's or a role's effective permissions, where each
comes from, the classic escalation methods it holds and its shortest escalation path.

The same :class:`~audit.permissions.analysis.AccessAnalysis` as the rules, at the snapshot's
collection time, so ``explain`` says exactly what the findings say.
"""

from __future__ import annotations

import json
from typing import Any

from audit.errors import InputError
from audit.model import PART_AUTHORIZATION, Role, Snapshot, User
from audit.permissions import (
    Access,
    Effect,
    EffectivePermissions,
    Statement,
    Verdict,
    escalations,
)
from audit.permissions.analysis import AccessAnalysis
from audit.permissions.graph import EscalationPath, Node

EXPLAIN_FORMATS = ("text", "json")


def find_user(snapshot: Snapshot, name: str) -> User:
    found = find_principal(snapshot, name)
    if not isinstance(found, User):
        raise InputError(f"no IAM user {name!r} in the snapshot ({name} is a role)")
    return found


def find_principal(snapshot: Snapshot, name: str) -> User | Role:
    """A user or a role by name; ``user/NAME`` or ``role/NAME`` when both exist."""
    kind, _, bare = name.partition("/") if name.startswith(("user/", "role/")) else ("", "", name)
    users = [u for u in snapshot.users if u.name == bare] if kind in ("", "user") else []
    roles = [r for r in snapshot.roles if r.name == bare] if kind in ("", "role") else []
    if users and roles:
        raise InputError(f"{bare!r} is both a user and a role: say user/{bare} or role/{bare}")
    if users or roles:
        return (users or roles)[0]
    if not snapshot.has_part(PART_AUTHORIZATION):
        raise InputError(f"the snapshot has no users: {PART_AUTHORIZATION} was not collected")
    # IAM names are case-insensitive in AWS: suggest the spelling that exists.
    names = [u.name for u in snapshot.users] + [r.name for r in snapshot.roles]
    near = [n for n in names if n.lower() == bare.lower()]
    hint = f" (did you mean {near[0]}?)" if near else ""
    raise InputError(f"no IAM user or role {bare!r} in the snapshot{hint}")


def _statement_line(st: Statement) -> str:
    verb = "Allow" if st.effect is Effect.ALLOW else "Deny"
    cond = "  [conditional]" if st.conditional else ""
    return f"{verb} {st.describe_actions()} on {st.describe_resources()}{cond}"


def _statement_data(st: Statement) -> dict[str, Any]:
    return {
        "effect": st.effect.value,
        "actions": list(st.actions),
        "not_action": st.not_action,
        "resources": list(st.resources),
        "not_resource": st.not_resource,
        "condition": dict(st.condition) if st.condition else None,
    }


def _admin_line(admin: Access) -> str:
    if admin.verdict is Verdict.ALLOWED:
        return f"Effective admin: YES, * on * {', '.join(admin.paths)}"
    if admin.verdict is Verdict.CONDITIONAL:
        return f"Effective admin: CONDITIONAL, * on * {', '.join(admin.paths)}"
    return "Effective admin: no"


def _boundary(principal: User | Role, perms: EffectivePermissions) -> str:
    if principal.permissions_boundary_arn and perms.boundary is None:
        return f"{principal.permissions_boundary_arn} (document not collected)"
    return perms.boundary.path if perms.boundary else "none"


def _path_lines(path: EscalationPath | None, admin: Access) -> list[str]:
    if admin.verdict is Verdict.ALLOWED:
        return ["Escalation: none needed, it is an administrator already"]
    if path is None:
        return ["Escalation: no known path"]
    kind = "to an administrator" if path.to_admin else "to more permissions"
    head = f"Escalation ({kind}, {len(path.edges)} step(s)"
    head += ", conditional):" if path.conditional else "):"
    lines = [head, f"  {path.describe()}"]
    lines += [
        f"  {n}. {s['from']} -[{s['via']}]-> {s['to']}" for n, s in enumerate(path.steps(), 1)
    ]
    lines += [f"  only if: {r}" for r in path.reasons]
    return lines


def explain(snapshot: Snapshot, name: str, fmt: str = "text") -> str:
    """The explanation of user or role ``name`` as text or JSON."""
    principal = find_principal(snapshot, name)
    analysis = AccessAnalysis(snapshot, snapshot.meta.collected_at)
    if isinstance(principal, User):
        node, perms = Node("user", principal.name), analysis.user(principal)
    else:
        node, perms = Node("role", principal.name), analysis.role(principal)
    admin = analysis.admin(node)
    path = None if admin.verdict is Verdict.ALLOWED else analysis.graph.escalation(node)
    methods = escalations(perms)
    if fmt == "json":
        data = {
            "kind": node.kind,
            "name": principal.name,
            "arn": principal.arn,
            "groups": list(principal.groups) if isinstance(principal, User) else [],
            "permissions_boundary": _boundary(principal, perms),
            "admin": {
                "verdict": admin.verdict.value,
                "paths": list(admin.paths),
                "notes": list(admin.notes),
            },
            "sources": [
                {"path": src.path, "statements": [_statement_data(st) for st in src.statements]}
                for src in (*perms.sources, *([perms.boundary] if perms.boundary else []))
            ],
            "not_collected": list(perms.unresolved),
            "methods": [
                {"method": e.method.name, "verdict": e.verdict.value, "paths": list(e.paths)}
                for e in methods
            ],
            "escalation": None
            if path is None
            else {
                "path": path.describe(),
                "to_admin": path.to_admin,
                "conditional": list(path.reasons),
                "steps": path.steps(),
            },
        }
        return json.dumps(data, indent=2) + "\n"

    title = "User" if node.kind == "user" else "Role"
    lines = [f"{title} {principal.name} ({principal.arn})"]
    if isinstance(principal, User):
        lines.append(f"Groups: {', '.join(principal.groups) or 'none'}")
    lines.append(f"Permissions boundary: {_boundary(principal, perms)}")
    lines.append(_admin_line(admin))
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

    lines.append("")
    lines.append(f"Privilege-escalation methods: {len(methods) or 'none'}")
    lines += [f"  {e.describe()}" for e in methods]
    lines.append("")
    lines += _path_lines(path, admin)
    return "\n".join(lines) + "\n"


def explain_user(snapshot: Snapshot, name: str) -> str:
    """The text explanation (kept for callers written before roles were explained)."""
    return explain(snapshot, name)
