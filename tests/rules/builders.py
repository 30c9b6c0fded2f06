"""Running one rule in a test, and reading its findings by resource name.

The snapshot factory itself is tests/fixtures/snapshots.py (shared by every test and bench);
its names are re-exported here so rule tests can import everything from one place.
"""

from __future__ import annotations

from audit.engine import evaluate
from audit.findings import Finding, Status
from audit.model import Snapshot
from audit.rules.registry import REGISTRY
from audit.settings import Settings
from tests.fixtures.snapshots import (
    ADMIN,
    AWS_POLICY,
    T0,
    ago,
    allow,
    deny,
    doc,
    group,
    iso,
    policy,
    report,
    role,
    snapshot,
    user,
    without,
)

__all__ = [
    "ADMIN",
    "AWS_POLICY",
    "T0",
    "ago",
    "allow",
    "by_name",
    "deny",
    "doc",
    "group",
    "iso",
    "policy",
    "report",
    "role",
    "run",
    "snapshot",
    "statuses",
    "user",
    "without",
]


def run(rule_id: str, snap: Snapshot, settings: Settings | None = None) -> list[Finding]:
    """The findings of one rule on ``snap``, judged at T0."""
    return list(evaluate(snap, as_of=T0, settings=settings, rules=[REGISTRY[rule_id]]).findings)


def by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {f.resource_name: f for f in findings}


def statuses(findings: list[Finding]) -> dict[str, Status]:
    return {f.resource_name: f.status for f in findings}
