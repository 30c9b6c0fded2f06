"""A control proven by several rules is not passed when one of them did not run."""

from __future__ import annotations

from datetime import UTC, datetime

from audit.engine import evaluate
from audit.findings import AuditResult
from audit.rules import all_rules
from audit.scoring import CONTROL_NOT_ASSESSED, CONTROL_PASS, framework_scores
from audit.settings import Settings
from tests.fixtures.snapshots import snapshot, user

CIS_GROUPS_ONLY = "CIS v5.0 1.14"  # user-inline-policy and user-attached-policy


def _control(result: AuditResult, control: str) -> tuple[str, str]:
    metas = [r.meta for r in all_rules()]
    for fw in framework_scores(result, metas):
        for c in fw.controls:
            if c.control == control:
                return c.status, c.reason
    raise AssertionError(control)


def test_disabled_half_of_a_control_leaves_it_not_assessed() -> None:
    snap = snapshot(users=(user("clean", groups=("g",)),))
    as_of = datetime(2026, 9, 30, tzinfo=UTC)
    full = evaluate(snap, as_of=as_of)
    assert _control(full, CIS_GROUPS_ONLY)[0] == CONTROL_PASS
    half = evaluate(
        snap, as_of=as_of, settings=Settings(disabled_rules=frozenset({"user-attached-policy"}))
    )
    status, reason = _control(half, CIS_GROUPS_ONLY)
    assert status == CONTROL_NOT_ASSESSED
    assert "user-attached-policy: did not run" in reason
