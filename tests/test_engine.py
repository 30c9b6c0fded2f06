"""The engine: gaps become not_assessed, crashes become error, silence becomes a pass."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from audit.engine import evaluate
from audit.findings import Resource, Result, Severity, Status
from audit.model import (
    PART_CREDENTIAL_REPORT,
    PART_PASSWORD_POLICY,
    ApiOutcome,
    OutcomeStatus,
    Snapshot,
)
from audit.rules.registry import Context, Rule, RuleMeta
from audit.settings import Settings
from tests.fixtures.snapshots import snapshot

T0 = datetime(2026, 9, 30, tzinfo=UTC)


def _snap(*outcomes: ApiOutcome) -> Snapshot:
    return snapshot(at=T0, account_id="111122223333", outcomes=outcomes)


def _rule(check, requires=(PART_PASSWORD_POLICY,), rule_id="r1") -> Rule:  # type: ignore[no-untyped-def]
    meta = RuleMeta(
        id=rule_id,
        title="t",
        severity=Severity.HIGH,
        controls=("CIS v5.0 1.7",),
        rationale="r",
        remediation="m",
        requires=requires,
    )
    return Rule(meta, check)


def _fails(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    yield Result.failed(Resource("user", "u", "arn:u"), f"as of {ctx.as_of.date()}")


OK = ApiOutcome("iam:GetAccountPasswordPolicy", PART_PASSWORD_POLICY, OutcomeStatus.OK)


def test_results_become_findings_with_metadata() -> None:
    result = evaluate(_snap(OK), rules=[_rule(_fails)])
    (f,) = result.findings
    assert (f.rule_id, f.status, f.severity, f.resource_name) == (
        "r1",
        Status.FAIL,
        Severity.HIGH,
        "u",
    )
    assert f.controls == ("CIS v5.0 1.7",)
    assert f.message == "as of 2026-09-30"  # as_of defaults to the snapshot's collection time


def test_explicit_as_of_is_passed_to_rules() -> None:
    later = datetime(2027, 1, 1, tzinfo=UTC)
    (f,) = evaluate(_snap(OK), as_of=later, rules=[_rule(_fails)]).findings
    assert f.message == "as of 2027-01-01"


def test_missing_part_is_not_assessed_with_reason() -> None:
    denied = ApiOutcome(
        "iam:GetAccountPasswordPolicy",
        PART_PASSWORD_POLICY,
        OutcomeStatus.ACCESS_DENIED,
        message="AccessDenied: not authorized",
    )
    (f,) = evaluate(_snap(denied), rules=[_rule(_fails)]).findings
    assert f.status is Status.NOT_ASSESSED
    assert "iam:GetAccountPasswordPolicy access_denied" in f.message


def test_part_never_collected_is_not_assessed() -> None:
    (f,) = evaluate(_snap(OK), rules=[_rule(_fails, requires=(PART_CREDENTIAL_REPORT,))]).findings
    assert f.status is Status.NOT_ASSESSED
    assert "not collected" in f.message


def test_crashing_rule_becomes_error_and_others_run() -> None:
    def boom(snap: Snapshot, ctx: Context) -> Iterator[Result]:
        raise RuntimeError("kaput")
        yield  # pragma: no cover

    result = evaluate(_snap(OK), rules=[_rule(boom, rule_id="a"), _rule(_fails, rule_id="b")])
    statuses = {f.rule_id: f.status for f in result.findings}
    assert statuses == {"a": Status.ERROR, "b": Status.FAIL}
    assert "RuntimeError: kaput" in result.findings[0].message


def test_no_results_means_account_level_pass() -> None:
    def nothing(snap: Snapshot, ctx: Context) -> Iterator[Result]:
        yield from ()

    (f,) = evaluate(_snap(OK), rules=[_rule(nothing)]).findings
    assert f.status is Status.PASS
    assert f.resource_type == "account"


def test_severity_override_and_disabled_rules() -> None:
    settings = Settings(severity_overrides={"r1": Severity.LOW}, disabled_rules=frozenset({"r2"}))
    result = evaluate(
        _snap(OK), settings=settings, rules=[_rule(_fails), _rule(_fails, rule_id="r2")]
    )
    assert [(f.rule_id, f.severity) for f in result.findings] == [("r1", Severity.LOW)]
