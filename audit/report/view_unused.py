"""The "Unused access" section and roles.csv: stale roles, unused granted services, totals.

Built from the snapshot and the findings of the unused-access rules (audit/rules/unused.py):
what the section shows is what the rules decided, never a second judgement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.findings import AuditResult, Finding, Status
from audit.model import PART_LAST_ACCESSED, Role, Snapshot
from audit.permissions.evaluate import PolicyIndex
from audit.rules.unused import role_power

ROLE_UNUSED = "role-unused"
PERMISSIONS_UNUSED = "permissions-unused"
ANALYZER_FINDINGS = "access-analyzer-unused-findings"
LEVELS = ("admin", "write", "read", "granted")


@dataclass(frozen=True)
class StaleRole:
    name: str
    created: datetime | None
    last_used: datetime | None
    last_region: str
    days: int | None  # unused for
    admin: bool
    escalation: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class UnusedServices:
    """One principal's granted-but-unused services, worst grant first."""

    kind: str  # user or role
    name: str
    granted: int
    unused: tuple[tuple[str, str], ...]  # (service namespace, level)
    counts: tuple[tuple[str, int], ...]  # per LEVELS, only the non-zero ones

    def rank_key(self) -> tuple[int, ...]:
        by = dict(self.counts)
        return tuple(-by.get(level, 0) for level in LEVELS) + (0,)


@dataclass(frozen=True)
class RoleRow:
    """One role for roles.csv."""

    name: str
    arn: str
    path: str
    created: datetime | None
    last_used: datetime | None
    last_region: str
    trust: str
    admin: bool
    escalation: tuple[str, ...]
    findings: tuple[str, ...]  # ids of the rules failing on this role


@dataclass(frozen=True)
class UnusedAccessView:
    stale_roles: tuple[StaleRole, ...] = ()  # most powerful and longest unused first
    service_linked_stale: tuple[str, ...] = ()  # reported apart: AWS manages them
    principals: tuple[UnusedServices, ...] = ()  # ranked by admin, then write, then read
    removable: tuple[tuple[str, int], ...] = ()  # unused grants per level, all principals
    last_accessed: str = ""  # how service-last-accessed data stands: collected, or why not
    analyzer_findings: tuple[tuple[str, str], ...] = ()  # (principal, finding types)
    roles: tuple[RoleRow, ...] = ()

    @property
    def removable_total(self) -> int:
        return sum(n for _, n in self.removable)


def trust_summary(trust: Mapping[str, Any]) -> str:
    """Who may assume the role, e.g. "Service: ec2.amazonaws.com; AWS: arn:...:root"."""
    raw = trust.get("Statement", [])
    statements = raw if isinstance(raw, list) else [raw]
    parts: list[str] = []
    for st in statements:
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if isinstance(principal, str):
            parts.append(principal)
            continue
        if not isinstance(principal, Mapping):
            continue
        for kind, value in principal.items():
            values = [value] if isinstance(value, str) else list(value)
            cond = " (conditional)" if st.get("Condition") else ""
            parts += [f"{kind}: {v}{cond}" for v in values]
    return "; ".join(dict.fromkeys(parts))


def _of(result: AuditResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


def _stale_roles(
    result: AuditResult,
    roles: Mapping[str, Role],
    power: Mapping[str, tuple[bool, tuple[str, ...]]],
) -> tuple[tuple[StaleRole, ...], tuple[str, ...]]:
    stale: list[StaleRole] = []
    linked: list[str] = []
    for f in _of(result, ROLE_UNUSED):
        role = roles.get(f.resource_name)
        if role is None:
            continue
        if f.details.get("service_linked"):
            if f.details.get("stale"):
                linked.append(role.name)
            continue
        if f.status not in (Status.FAIL, Status.SUPPRESSED):
            continue
        admin, methods = power[role.name]
        days = f.details.get("days")
        stale.append(
            StaleRole(
                name=role.name,
                created=role.create_date,
                last_used=role.last_used,
                last_region=role.last_used_region or "",
                days=days if isinstance(days, int) else None,
                admin=admin,
                escalation=methods,
                message=f.message,
            )
        )
    stale.sort(key=lambda r: (not r.admin, not r.escalation, -(r.days or 0), r.name))
    return tuple(stale), tuple(sorted(linked))


def _principals(result: AuditResult) -> tuple[UnusedServices, ...]:
    rows = []
    for f in _of(result, PERMISSIONS_UNUSED):
        if f.status not in (Status.FAIL, Status.SUPPRESSED):
            continue
        unused = tuple(
            (str(u.get("service", "")), str(u.get("level", "granted")))
            for u in f.details.get("unused", ())
            if isinstance(u, Mapping)
        )
        counts = tuple(
            (level, n) for level in LEVELS if (n := sum(1 for _, lv in unused if lv == level))
        )
        granted = f.details.get("granted")
        rows.append(
            UnusedServices(
                kind=f.resource_type,
                name=f.resource_name,
                granted=granted if isinstance(granted, int) else len(unused),
                unused=unused,
                counts=counts,
            )
        )
    rows.sort(key=lambda r: (r.rank_key(), r.name))
    return tuple(rows)


def _last_accessed_state(snapshot: Snapshot) -> str:
    outcomes = [o for o in snapshot.outcomes if o.part == PART_LAST_ACCESSED]
    if not outcomes:
        return "not collected (a snapshot from before service-last-accessed collection)"
    first = outcomes[0]
    if first.status.value == "ok":
        return f"collected: {first.message}" if first.message else "collected"
    return f"{first.status.value.replace('_', ' ')}: {first.message}"


def _failing_by_role(findings: Iterable[Finding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        if f.resource_type == "role" and f.status is Status.FAIL:
            out.setdefault(f.resource_name, []).append(f.rule_id)
    return out


def build_unused_view(snapshot: Snapshot, result: AuditResult) -> UnusedAccessView:
    roles = {r.name: r for r in snapshot.roles}
    index = PolicyIndex(snapshot)  # the rules' own analysis lives in their evaluation
    power = {r.name: role_power(index.role(r)) for r in snapshot.roles}
    stale, linked = _stale_roles(result, roles, power)
    principals = _principals(result)
    removable = tuple(
        (level, n)
        for level in LEVELS
        if (n := sum(dict(p.counts).get(level, 0) for p in principals))
    )
    analyzer = tuple(
        (f.resource_name, ", ".join(f.details.get("finding_types", ())))
        for f in _of(result, ANALYZER_FINDINGS)
        if f.status is Status.FAIL
    )
    failing = _failing_by_role(result.findings)
    rows = tuple(
        RoleRow(
            name=r.name,
            arn=r.arn,
            path=r.path,
            created=r.create_date,
            last_used=r.last_used,
            last_region=r.last_used_region or "",
            trust=(
                f"unreadable: {r.trust_unreadable}"
                if r.trust_unreadable
                else trust_summary(r.assume_role_policy)
            ),
            admin=power[r.name][0],
            escalation=power[r.name][1],
            findings=tuple(dict.fromkeys(failing.get(r.name, []))),
        )
        for r in sorted(snapshot.roles, key=lambda r: r.name.lower())
    )
    return UnusedAccessView(
        stale_roles=stale,
        service_linked_stale=linked,
        principals=principals,
        removable=removable,
        last_accessed=_last_accessed_state(snapshot),
        analyzer_findings=analyzer,
        roles=rows,
    )
