"""`iam-audit explain PERSON SNAPSHOT` for an IAM Identity Center user (user name or e-mail):
every account the person reaches, through which group and permission set, admin or not, and
the escalation methods the set allows there. Built on the access view
(audit/permissions/access_view.py); IAM users are explained by audit/explain.py.
"""

from __future__ import annotations

from collections import defaultdict

from audit.errors import InputError
from audit.explain import explain
from audit.model import Snapshot
from audit.model_sso import PART_IDENTITY_CENTER, IdentityCenter, IdentityStoreUser
from audit.permissions import Verdict
from audit.permissions.access_view import AccessRow, AccessView, build_access_view

_SHOWN = 5  # escalation methods spelled out per permission set


def find_person(center: IdentityCenter, name: str) -> IdentityStoreUser | None:
    """By user name, else by any e-mail; both compared without case (as sign-in does)."""
    wanted = name.strip().lower()
    for user in center.users:
        if user.user_name.lower() == wanted:
            return user
    for user in center.users:
        if any(e.lower() == wanted for e in user.emails):
            return user
    return None


def is_person(snapshot: Snapshot, name: str) -> bool:
    center = snapshot.identity_center
    return center is not None and find_person(center, name) is not None


def _session(row: AccessRow) -> str:
    seconds = row.permission_set.session_seconds
    if not row.permission_set.session_duration:
        return "1 h (default)"
    return f"{seconds / 3600:g} h" if seconds is not None else row.permission_set.session_duration


def _set_lines(row: AccessRow, vias: list[str]) -> list[str]:
    v = row.verdict
    ps = row.permission_set
    flags = []
    if v.admin.verdict is Verdict.ALLOWED:
        flags.append("ADMIN")
    elif v.admin.verdict is Verdict.CONDITIONAL:
        flags.append("ADMIN (conditional)")
    if v.can_escalate and not v.is_admin:
        flags.append("CAN ESCALATE")
    flag = f"  [{', '.join(flags)}]" if flags else ""
    lines = [f"  {ps.name} via {', '.join(vias)}{flag}  (session {_session(row)})"]
    if v.is_admin:
        lines.append(f"    admin: * on * {', '.join(v.admin.paths)}")
    lines += [f"    note: {n}" for n in v.admin.notes]
    if v.boundary_note:
        lines.append(f"    note: {v.boundary_note}")
    if not v.is_admin:
        found = v.escalations
        names = [
            e.method.name + (" (conditional)" if e.verdict is Verdict.CONDITIONAL else "")
            for e in found[:_SHOWN]
        ]
        more = f"; and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
        lines.append(f"    escalation: {'; '.join(names) + more if found else 'none'}")
    sources = [s.path.removeprefix(f"via permission set {ps.name} -> ") for s in v.perms.sources]
    lines.append(f"    policies: {', '.join(sources) or 'none'}")
    if v.missing_policies:
        lines.append(
            "    missing in this account: " + ", ".join(r.display for r in v.missing_policies)
        )
    if v.perms.unresolved:
        lines.append(
            "    not collected (answers may be incomplete): " + ", ".join(v.perms.unresolved)
        )
    return lines


def explain_person_view(view: AccessView, user: IdentityStoreUser) -> str:
    center = view.center
    group_names = {g.group_id: g.display_name for g in center.groups}
    groups = sorted(
        group_names.get(m.group_id, m.group_id)
        for m in center.memberships
        if m.user_id == user.user_id
    )
    rows = view.rows_for(user.user_id)
    about = ", ".join(x for x in (user.display_name, *user.emails) if x)
    lines = [f"Identity Center user {user.user_name}" + (f" ({about})" if about else "")]
    if user.active is False:
        lines.append("Status: inactive")
    lines.append(
        f"Instance: {center.instance.arn} (identity store {center.instance.identity_store_id})"
    )
    lines.append(f"Groups: {', '.join(groups) or 'none'}")
    accounts = sorted({r.account_id for r in rows})
    admin_in = sorted({r.account_id for r in rows if r.verdict.is_admin})
    lines.append(
        f"Reaches {len(accounts)} account(s) through "
        f"{len({r.permission_set.arn for r in rows})} permission set(s); admin in "
        f"{len(admin_in)}" + (f": {', '.join(admin_in)}" if admin_in else "")
    )
    by_account: dict[str, dict[str, tuple[AccessRow, list[str]]]] = defaultdict(dict)
    for r in rows:
        entry = by_account[r.account_id].setdefault(r.permission_set.arn, (r, []))
        entry[1].append("direct assignment" if r.via == "direct" else f"group {r.via}")
    for account in accounts:
        lines.append("")
        lines.append(f"Account {account}")
        for row, vias in sorted(
            by_account[account].values(), key=lambda e: e[0].permission_set.name
        ):
            lines += _set_lines(row, vias)
    listed = ", ".join(center.accounts_listed) or "no account"
    lines.append("")
    lines.append(f"Assignments were listed in: {listed} (other accounts were not looked at)")
    return "\n".join(lines) + "\n"


def explain_person(snapshot: Snapshot, name: str) -> str:
    """Raises InputError when there is no such person (or no Identity Center data)."""
    center = snapshot.identity_center
    if center is None:
        gaps = snapshot.part_gaps(PART_IDENTITY_CENTER)
        why = f": {gaps[0].api} {gaps[0].status.value}" if gaps else ""
        raise InputError(f"no Identity Center data in the snapshot{why}")
    user = find_person(center, name)
    if user is None:
        raise InputError(f"no Identity Center user {name!r} (user name or e-mail) in the snapshot")
    view = build_access_view(snapshot)
    assert view is not None  # noqa: S101 - center is not None
    return explain_person_view(view, user)


def explain_anyone(snapshot: Snapshot, name: str, fmt: str = "text") -> str:
    """An IAM user or role of that name first (exact), then an Identity Center person."""
    principals = {u.name for u in snapshot.users} | {r.name for r in snapshot.roles}
    direct = name in principals or name.startswith(("user/", "role/"))
    if direct or snapshot.identity_center is None:
        return explain(snapshot, name, fmt)
    if is_person(snapshot, name):
        if fmt != "text":
            raise InputError("--format json explains IAM users and roles; a person is text only")
        return explain_person(snapshot, name)
    try:
        return explain(snapshot, name, fmt)
    except InputError as exc:
        raise InputError(f"{exc}; nor an Identity Center user (user name or e-mail)") from None
