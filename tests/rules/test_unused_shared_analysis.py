"""role-unused and permissions-unused judge roles on the evaluation's shared access analysis
(audit/rules/_access.py), as every other permission rule does: same answers, and an unreadable
managed policy leaves a role's power unknown instead of "nothing"."""

from __future__ import annotations

from dataclasses import replace

from audit.engine import evaluate
from audit.findings import Status
from audit.model import Snapshot
from audit.permissions import admin_access, escalations
from audit.permissions.analysis import AccessAnalysis
from audit.rules.registry import REGISTRY
from tests.fixtures.snapshots import (
    ADMIN,
    SYNTHETIC_AT,
    ago,
    allow,
    doc,
    policy,
    role,
    synthetic_snapshot,
)
from tests.rules.builders import by_name, run, snapshot

WHY = "policy document is not JSON: Expecting value"


def _with_roles() -> Snapshot:
    base = synthetic_snapshot(200)
    boundary = policy("cap", doc(allow("s3:*")), account_id=base.meta.account_id)
    pass_role = doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))
    stale = ago(400, SYNTHETIC_AT)
    roles = (
        role("admin", attached=(ADMIN,), created=stale),
        role("bounded-admin", attached=(ADMIN,), boundary=boundary.arn, created=stale),
        role("deployer", inline={"pass": pass_role}, created=stale),
        role("reader", attached=base.policies[1:3], created=stale),
        role("fresh", attached=(ADMIN,), created=stale, last_used=ago(3, SYNTHETIC_AT)),
    )
    return replace(base, roles=roles, policies=(*base.policies, boundary))


def test_role_unused_says_what_the_shared_analysis_says() -> None:
    snap = _with_roles()
    analysis = AccessAnalysis(snap, SYNTHETIC_AT)
    rules = [REGISTRY["role-unused"]]
    findings = evaluate(snap, as_of=SYNTHETIC_AT, rules=rules).findings
    failed = {f.resource_name: f for f in findings if f.status is Status.FAIL}
    assert set(failed) == {"admin", "bounded-admin", "deployer", "reader"}
    for r in snap.roles:
        if r.name not in failed:
            continue
        perms = analysis.role(r)
        assert failed[r.name].details["admin"] == admin_access(perms).granted, r.name
        methods = [e.method.name for e in escalations(perms)]
        assert failed[r.name].details["escalation"] == methods, r.name
    assert failed["admin"].details["admin"] is True
    assert failed["bounded-admin"].details["admin"] is False  # its boundary caps it to s3
    assert failed["deployer"].details["escalation"]


def test_an_unreadable_managed_policy_leaves_a_stale_role_s_power_unknown() -> None:
    broken = replace(policy("broken", {}), unreadable=WHY)
    snap = snapshot(roles=(role("old", attached=(broken,), created=ago(400)),), policies=(broken,))
    [old] = run("role-unused", snap)
    assert old.status is Status.FAIL
    assert "its permissions are not fully known (policy broken (unreadable))" in old.message
    assert by_name(run("role-unused", snap))["old"].details["admin"] is False
