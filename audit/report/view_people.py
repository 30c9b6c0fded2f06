"""The "People and their access" section and access.csv: Identity Center people x accounts.

Computed once from the access view (audit/permissions/access_view.py); the HTML matrix, the
PDF's admins and counts, and access.csv all read this, never the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.model import Snapshot
from audit.model_sso import PART_IDENTITY_CENTER, PART_IDENTITY_STORE
from audit.permissions.access_view import DIRECT, AccessRow, build_access_view


@dataclass(frozen=True)
class AccessCell:
    """What one person holds in one account: permission set names, admin, escalation."""

    sets: tuple[str, ...] = ()
    admin: bool = False
    escalation: bool = False


@dataclass(frozen=True)
class PersonRow:
    user_name: str
    display_name: str
    email: str
    active: bool | None
    cells: tuple[AccessCell, ...]  # one per PeopleSection.accounts

    @property
    def accounts_reached(self) -> int:
        return sum(1 for c in self.cells if c.sets)

    @property
    def admin_accounts(self) -> int:
        return sum(1 for c in self.cells if c.admin)


@dataclass(frozen=True)
class AccessLine:
    """One access.csv row: a person reaching an account through a permission set."""

    user_name: str
    display_name: str
    email: str
    account_id: str
    permission_set: str
    path: str  # "group NAME" or "direct"
    admin: bool
    escalation: bool
    session_duration: str


@dataclass(frozen=True)
class AdminLine:
    user_name: str
    display_name: str
    accounts: tuple[str, ...]
    via: tuple[str, ...]  # "PermissionSet (group G)" / "PermissionSet (direct)"


@dataclass(frozen=True)
class PeopleSection:
    collected: bool  # False: Identity Center was not (fully) collected; ``note`` says why
    note: str
    instance_arn: str
    accounts: tuple[str, ...]
    people: tuple[PersonRow, ...]  # everyone in the identity store, most access first
    lines: tuple[AccessLine, ...]
    admins: tuple[AdminLine, ...]
    users_total: int
    groups_total: int
    permission_sets_total: int
    assignments_total: int

    @property
    def people_with_access(self) -> int:
        return sum(1 for p in self.people if p.accounts_reached)


def _path(row: AccessRow) -> str:
    return DIRECT if row.via == DIRECT else f"group {row.via}"


def _gap_note(snapshot: Snapshot) -> str:
    gaps = [*snapshot.part_gaps(PART_IDENTITY_CENTER), *snapshot.part_gaps(PART_IDENTITY_STORE)]
    return "; ".join(f"{g.api} {g.status.value}: {g.message}".rstrip(": ") for g in gaps)


def people_section(snapshot: Snapshot) -> PeopleSection | None:
    """None when the account owns no Identity Center instance and nothing failed."""
    view = build_access_view(snapshot)
    note = _gap_note(snapshot)
    if view is None:
        if not note:
            return None
        return PeopleSection(False, note, "", (), (), (), (), 0, 0, 0, 0)
    accounts = view.accounts()
    index = {a: i for i, a in enumerate(accounts)}
    per_person: dict[str, list[list[AccessRow]]] = {}
    for r in view.rows:
        per_person.setdefault(r.user.user_id, [[] for _ in accounts])[index[r.account_id]].append(r)
    people = []
    for user in view.center.users:
        grid = per_person.get(user.user_id, [[] for _ in accounts])
        cells = tuple(
            AccessCell(
                sets=tuple(sorted({r.permission_set.name for r in rows})),
                admin=any(r.verdict.is_admin for r in rows),
                escalation=any(r.verdict.can_escalate for r in rows),
            )
            for rows in grid
        )
        people.append(
            PersonRow(
                user.user_name,
                user.display_name,
                user.emails[0] if user.emails else "",
                user.active,
                cells,
            )
        )
    people.sort(key=lambda p: (-p.admin_accounts, -p.accounts_reached, p.user_name.lower()))
    lines = tuple(
        AccessLine(
            r.user.user_name,
            r.user.display_name,
            r.user.emails[0] if r.user.emails else "",
            r.account_id,
            r.permission_set.name,
            _path(r),
            r.verdict.is_admin,
            r.verdict.can_escalate,
            r.permission_set.session_duration,
        )
        for r in view.rows
    )
    admins: dict[str, list[AccessRow]] = {}
    for r in view.rows:
        if r.verdict.is_admin:
            admins.setdefault(r.user.user_id, []).append(r)
    admin_lines = tuple(
        AdminLine(
            rows[0].user.user_name,
            rows[0].user.display_name,
            tuple(sorted({r.account_id for r in rows})),
            tuple(sorted({f"{r.permission_set.name} ({_path(r)})" for r in rows})),
        )
        for rows in sorted(admins.values(), key=lambda rs: rs[0].user.user_name.lower())
    )
    center = view.center
    return PeopleSection(
        collected=not note,
        note=note,
        instance_arn=center.instance.arn,
        accounts=accounts,
        people=tuple(people),
        lines=lines,
        admins=admin_lines,
        users_total=len(center.users),
        groups_total=len(center.groups),
        permission_sets_total=len(center.permission_sets),
        assignments_total=len(center.assignments),
    )
