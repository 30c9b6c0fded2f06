"""Administrators by escalation: who can *become* an administrator, and how (report view).

Built from the findings of the escalation rules (audit/rules/escalation.py), so the report
shows exactly what the findings say: the shortest path, step by step.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.findings import AuditResult, Status

ESCALATION_RULES = ("user-privilege-escalation", "role-privilege-escalation")


@dataclass(frozen=True)
class EscalatedAdmin:
    principal: str  # "user dev-ci", "role app"
    steps: tuple[str, ...]  # "user dev-ci -[iam:PassRole + ...]-> role build-admin", ...
    conditional: tuple[str, ...]  # why the path holds only under a condition (empty: plain)


def escalated_admins(result: AuditResult) -> tuple[EscalatedAdmin, ...]:
    """Principals that are not administrators but can reach one, plain paths first."""
    out = []
    for f in result.findings:
        if f.rule_id not in ESCALATION_RULES or f.status not in (Status.FAIL, Status.SUPPRESSED):
            continue
        if f.details.get("to_admin") is not True:
            continue
        steps = tuple(
            f"{s['from']} -[{s['via']}]-> {s['to']}"
            for s in f.details.get("steps", ())
            if isinstance(s, dict)
        )
        kind = "user" if f.resource_type == "user" else "role"
        reasons = f.details.get("conditional", ())
        conditional = tuple(str(r) for r in reasons) if isinstance(reasons, list | tuple) else ()
        out.append(EscalatedAdmin(f"{kind} {f.resource_name}", steps, conditional))
    return tuple(sorted(out, key=lambda a: (bool(a.conditional), a.principal.lower())))
