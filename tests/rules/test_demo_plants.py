"""The demo account plants a failure for every rule moto can represent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit.collect.demo import demo_snapshot
from audit.engine import evaluate
from audit.findings import AuditResult, Status
from audit.rules.catalogue import catalogue

# What moto 5.2 cannot represent, and why (docs/moto.md).
NOT_REPRESENTABLE = {
    # moto's credential report has no <root_account> row, so root usage is unknown.
    "root-recent-use": Status.NOT_ASSESSED,
    # moto does not implement IAM Access Analyzer (ListAnalyzers answers 404).
    "access-analyzer-enabled": Status.NOT_ASSESSED,
    # Organization rules need an organization run: the organization demo plants them
    # (tests/rules/test_demo_org.py).
    "org-member-iam-users": Status.NOT_ASSESSED,
    "org-root-access-centralised": Status.NOT_ASSESSED,
    # Nor service last accessed: the demo does not ask for it (--last-accessed).
    "permissions-unused": Status.NOT_ASSESSED,
    "access-analyzer-unused-findings": Status.NOT_ASSESSED,
}
NOW = datetime(2026, 9, 30, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_result() -> AuditResult:
    snap = demo_snapshot(now=NOW)
    return evaluate(snap, as_of=NOW)


def test_every_representable_rule_fails_in_the_demo(demo_result: AuditResult) -> None:
    failing = {f.rule_id for f in demo_result.failing}
    expected = {m.id for m in catalogue()} - set(NOT_REPRESENTABLE)
    assert expected - failing == set()


def test_unrepresentable_rules_say_so(demo_result: AuditResult) -> None:
    for rule_id, status in NOT_REPRESENTABLE.items():
        got = {f.status for f in demo_result.findings if f.rule_id == rule_id}
        assert got == {status}, rule_id
    assert not demo_result.by_status(Status.ERROR)


def test_demo_messages_name_the_specifics(demo_result: AuditResult) -> None:
    messages = {(f.rule_id, f.resource_name): f.message for f in demo_result.failing}
    assert messages[("admin-without-mfa", "frank.sre")].startswith(
        "frank.sre can do * on * via group Admins -> policy AdministratorAccess"
    )
    assert (
        "legacy-backup -[iam:CreateAccessKey]-> user"
        in (messages[("user-privilege-escalation", "legacy-backup")])
    )
    assert messages[("policy-service-wildcard", "LegacyS3Full")] == (
        "Policy LegacyS3Full allows s3:*."
    )
    assert messages[("role-unused", "nightly-report")] == (
        "Role nightly-report unused for 200 days (last used 2026-03-14 in eu-west-1; limit 90)."
    )
    assert "admin (* on *)" in messages[("role-unused", "migration-admin")]
    assert messages[("user-mfa-all", "metrics-exporter")] == (
        "metrics-exporter has no MFA device (no console password)."
    )
    assert (
        "expired on 2012-05-08" in messages[("server-certificate-expired", "old-www-example-com")]
    )
