"""`diff`: roles that became unused since the last review, and roles removed (issue 14)."""

from __future__ import annotations

from datetime import timedelta

from audit.engine import evaluate
from audit.model import Role, Snapshot
from audit.settings import Settings, Thresholds
from audit.workflow.diff import Side, diff_csv, diff_sides
from tests.fixtures.snapshots import T0, role, snapshot

QUARTER = timedelta(days=91)


def _side(label: str, snap: Snapshot, settings: Settings | None = None) -> Side:
    return Side(label, snap, evaluate(snap, settings=settings).findings)


def _roles() -> tuple[Role, ...]:
    return (
        role("batch", created=T0 - timedelta(days=300), last_used=T0 - timedelta(days=30)),
        role("daily", created=T0 - timedelta(days=300), last_used=T0 + QUARTER),
        role("legacy", created=T0 - timedelta(days=300), last_used=T0 - timedelta(days=200)),
        role("retired", created=T0 - timedelta(days=300), last_used=T0 - timedelta(days=5)),
    )


def test_roles_that_became_unused_or_were_removed() -> None:
    batch, daily, legacy, retired = _roles()
    old = snapshot(at=T0, roles=(batch, daily, legacy, retired))
    new = snapshot(at=T0 + QUARTER, roles=(batch, daily, legacy))

    d = diff_sides(_side("q2", old), _side("q3", new))

    changes = {(c.kind, c.resource_name): c.detail for c in d.identity}
    # batch: 30 days unused at the last review, 121 now; legacy was unused already.
    assert set(changes) == {("role-became-unused", "batch"), ("role-removed", "retired")}
    assert changes[("role-became-unused", "batch")].startswith("Role batch unused for 121 days")
    assert b"role-became-unused" in diff_csv(d)


def test_became_unused_follows_the_configured_threshold() -> None:
    batch, *_ = _roles()
    old = snapshot(at=T0, roles=(batch,))
    new = snapshot(at=T0 + QUARTER, roles=(batch,))
    long = Settings(thresholds=Thresholds(unused_access_days=180))
    d = diff_sides(_side("q2", old, long), _side("q3", new, long))
    assert d.identity == ()
