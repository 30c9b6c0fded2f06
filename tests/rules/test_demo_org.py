"""The demo organization: every planted problem shows up where it was planted."""

from __future__ import annotations

import os

import pytest

from audit.collect.demo_org import (
    OUTSIDE_ACCOUNT,
    DemoOrganization,
    demo_organization,
    stream_demo_organization,
)
from audit.engine import evaluate
from audit.findings import Finding, Severity, Status
from audit.model_org import CollectionStatus
from audit.org_context import attach_organization


@pytest.fixture(scope="module")
def demo() -> DemoOrganization:
    return demo_organization()


def _by_name(demo: DemoOrganization) -> dict[str, str]:
    return {a.name: a.id for a in demo.org.accounts}


def _findings(demo: DemoOrganization, name: str, rule_id: str) -> dict[str, Finding]:
    (result,) = [r for r in demo.accounts if r.collection.account_id == _by_name(demo)[name]]
    assert result.snapshot is not None
    merged = attach_organization(result.snapshot, demo.org)
    return {f.resource_name: f for f in evaluate(merged).findings if f.rule_id == rule_id}


def test_the_organization_and_its_accounts(demo: DemoOrganization) -> None:
    assert demo.org.meta.source == "demo"
    assert len(demo.org.accounts) == 6 and len(demo.org.units) == 2
    statuses = {r.collection.account_name: r.collection.status for r in demo.accounts}
    assert statuses == {
        "master": CollectionStatus.COLLECTED,
        "payments": CollectionStatus.COLLECTED,
        "data": CollectionStatus.NOT_COLLECTED,
        "dev": CollectionStatus.COLLECTED,
        "ml": CollectionStatus.COLLECTED,
        "legacy": CollectionStatus.NOT_COLLECTED,
    }
    assert demo.accounts[0].collection.account_id == demo.org.meta.management_account_id
    data = next(r.collection for r in demo.accounts if r.collection.account_name == "data")
    assert data.fix.startswith("deploy the reader role: docs/org-reader-role.yaml")
    legacy = next(r.collection for r in demo.accounts if r.collection.account_name == "legacy")
    assert "SUSPENDED" in legacy.reason


def test_planted_problems_spread_across_accounts(demo: DemoOrganization) -> None:
    payments = _findings(demo, "payments", "org-member-iam-users")
    assert payments["pat.payments"].status is Status.FAIL
    trust = _findings(demo, "payments", "role-trust-external-account")
    assert trust["partner-settlement"].severity is Severity.HIGH
    assert trust["vendor-monitoring"].severity is Severity.LOW
    assert OUTSIDE_ACCOUNT in trust["partner-settlement"].message
    assert trust["iam-audit-reader"].status is Status.PASS  # trusts the management account
    admin = _findings(demo, "dev", "user-effective-admin")["sam.sandbox"]
    assert admin.status is Status.PASS
    assert "denied by SCP SandboxNoIamChanges at OU Sandbox" in admin.message
    rotation = _findings(demo, "dev", "access-key-rotation")
    assert any(f.status is Status.FAIL for f in rotation.values())
    (root_access,) = _findings(demo, "master", "org-root-access-centralised").values()
    assert root_access.status is Status.FAIL
    # The management account keeps the single-account demo's problems, SCPs never cap it.
    assert _findings(demo, "master", "admin-without-mfa")["frank.sre"].status is Status.FAIL
    assert all(
        f.status is not Status.FAIL for f in _findings(demo, "ml", "org-member-iam-users").values()
    )


def test_the_demo_organization_streams_its_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    # demo --org audits each account as it is collected: the organization comes first, the
    # accounts one at a time, and moto's environment lasts until the accounts are read.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "caller-own-key")
    org, accounts = stream_demo_organization()
    try:
        assert os.environ["AWS_ACCESS_KEY_ID"] != "caller-own-key"  # in moto's fake account
        first = next(accounts)
        assert first.collection.account_id == org.meta.management_account_id
        assert first.snapshot is not None and first.snapshot.meta.source == "demo"
    finally:
        accounts.close()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "caller-own-key"
