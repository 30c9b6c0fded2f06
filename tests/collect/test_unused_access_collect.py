"""Unused-access collection against AWS-format replies (moto implements neither API):
service last accessed (jobs, polling, pages, budget, refusals) and unused-access findings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest

from audit.collect import access_analyzer, last_accessed
from audit.collect.last_accessed import Principal
from audit.collect.session import open_clients
from audit.engine import evaluate
from audit.findings import Status
from audit.model import (
    PART_LAST_ACCESSED,
    PART_UNUSED_FINDINGS,
    AccessAnalyzer,
    ApiOutcome,
    OutcomeStatus,
)
from audit.model_unused import ACCESS_NOT_ASSESSED, ACCESS_OK
from tests.collect.conftest import ACCOUNT, REGION, collect, options
from tests.fixtures.unused_access_replies import (
    FakeAnalyzer,
    FakeLastAccessed,
    analyzer,
    finding,
)
from tests.rules.builders import T0

ARN = f"arn:aws:iam::{ACCOUNT}"
SERVICES = [
    {"namespace": "ec2", "name": "Amazon EC2", "last": None},
    {"namespace": "iam", "name": "AWS Identity and Access Management", "last": T0},
    {"namespace": "s3", "name": "Amazon S3", "last": T0 - timedelta(days=200)},
]


def _principals(n: int) -> list[Principal]:
    return [Principal("user", f"u{i}", f"{ARN}:user/u{i}") for i in range(n)]


@pytest.fixture
def session(aws_env: None) -> boto3.session.Session:
    return boto3.session.Session()


class _Clock:
    """A fake monotonic clock: each poll's sleep moves it on; nothing really waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def _run(session: boto3.session.Session, principals: list[Principal], **kw: Any) -> Any:
    clock = kw.pop("clock", _Clock())
    iam = open_clients(options(), session).iam()
    return last_accessed.collect(
        iam,
        principals,
        budget_seconds=kw.pop("budget", 600.0),
        workers=kw.pop("workers", 1),
        sleep=clock.sleep,
        clock=clock,
    )


def test_jobs_polled_with_backoff_and_read_over_pages(session: boto3.session.Session) -> None:
    fake = FakeLastAccessed(lambda arn: SERVICES, reads_in_progress=2, page_size=2, now=T0)
    fake.install(session)
    clock = _Clock()

    results, outcomes = _run(session, _principals(3), clock=clock)

    assert [r.status for r in results] == [ACCESS_OK] * 3
    assert [s.namespace for s in results[0].services] == ["ec2", "iam", "s3"]
    assert results[0].services[1].last_authenticated == T0.replace(microsecond=0)
    assert results[0].services[0].last_authenticated is None
    assert results[0].services[2].last_region == "us-east-1"
    # each job: 2 reads in progress, then 2 pages when done; waits back off 1, 2, 4 s
    assert fake.calls == {
        "GenerateServiceLastAccessedDetails": 3,
        "GetServiceLastAccessedDetails": 12,
    }
    assert clock.slept[:3] == [1.0, 2.0, 4.0]
    generate, get = outcomes
    assert generate.status is get.status is OutcomeStatus.OK
    assert generate.part == PART_LAST_ACCESSED
    assert generate.calls == 3 and get.calls == 12
    assert generate.message == "3 principals, 15 calls (5.0 per principal): 3 assessed"


def test_parallel_jobs_all_complete(session: boto3.session.Session) -> None:
    fake = FakeLastAccessed(lambda arn: SERVICES, reads_in_progress=1, now=T0)
    fake.install(session)
    results, _ = _run(session, _principals(12), workers=4)
    assert [r.name for r in results] == [f"u{i}" for i in range(12)]  # input order kept
    assert all(r.status == ACCESS_OK and len(r.services) == 3 for r in results)


def test_time_budget_leaves_the_rest_not_assessed_not_failed(
    session: boto3.session.Session,
) -> None:
    FakeLastAccessed(lambda arn: SERVICES, reads_in_progress=1, now=T0).install(session)
    # Each principal costs 1 s + 2 s of polling on the fake clock: a 7 s budget fits two;
    # the third is started at 6 s and cut off at its first poll.
    results, outcomes = _run(session, _principals(5), budget=7.0)

    assert [r.status for r in results] == [ACCESS_OK] * 2 + [ACCESS_NOT_ASSESSED] * 3
    assert "--last-accessed-budget of 7 s was spent" in results[-1].reason
    assert all(o.status is OutcomeStatus.OK for o in outcomes)
    assert "3 not assessed (time budget spent)" in outcomes[0].message


def test_denied_stops_at_the_first_job(session: boto3.session.Session) -> None:
    fake = FakeLastAccessed(
        lambda arn: SERVICES,
        errors={"GenerateServiceLastAccessedDetails": "AccessDenied"},
        now=T0,
    )
    fake.install(session)
    results, outcomes = _run(session, _principals(50))

    assert fake.calls["GenerateServiceLastAccessedDetails"] == 1  # not 50 denied calls
    assert all(r.status == ACCESS_NOT_ASSESSED for r in results)
    (generate,) = outcomes
    assert generate.status is OutcomeStatus.ACCESS_DENIED
    assert generate.message.startswith("AccessDenied: injected AccessDenied")


def test_a_failed_job_is_that_principal_not_assessed(session: boto3.session.Session) -> None:
    gone = f"{ARN}:user/u1"
    FakeLastAccessed(lambda arn: SERVICES, failed_arns=frozenset({gone}), now=T0).install(session)
    results, outcomes = _run(session, _principals(3))
    assert [r.status for r in results] == [ACCESS_OK, ACCESS_NOT_ASSESSED, ACCESS_OK]
    assert results[1].reason == "AWS could not produce the report: entity not found"
    assert outcomes[0].status is OutcomeStatus.OK


def test_cost_line() -> None:
    assert (
        last_accessed.cost_line(1170) == "2 calls per principal: 2,340 calls for 1,170 principals"
    )
    assert last_accessed.cost_line(1) == "2 calls per principal: 2 calls for 1 principal"


def test_unused_findings_paged_in_the_analyzers_region(session: boto3.session.Session) -> None:
    fake = FakeAnalyzer(
        [],
        [finding(f"{ARN}:role/r{i}", "UnusedIAMRole", i) for i in range(5)],
        page_size=2,
    )
    fake.install(session)
    clients = open_clients(options(), session)
    base = f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer"
    analyzers = (
        AccessAnalyzer("eu-west-1", "unused", f"{base}/unused", "ACCOUNT_UNUSED_ACCESS", "ACTIVE"),
        AccessAnalyzer("eu-west-1", "external", f"{base}/ext", "ACCOUNT", "ACTIVE"),
    )

    arns, findings, outcomes = access_analyzer.collect_unused_findings(clients, analyzers)

    assert arns == (analyzers[0].arn,)
    assert [f.resource_arn for f in findings] == [f"{ARN}:role/r{i}" for i in range(5)]
    assert findings[0].finding_type == "UnusedIAMRole" and findings[0].region == "eu-west-1"
    (outcome,) = outcomes
    assert (outcome.status, outcome.calls, outcome.region) == (OutcomeStatus.OK, 3, "eu-west-1")
    assert outcome.part == PART_UNUSED_FINDINGS
    assert [r.get("nextToken") for r in fake.requests] == [None, "2", "4"]
    assert fake.requests[0]["filter"] == {"status": {"eq": ["ACTIVE"]}}


@pytest.mark.usefixtures("moto_account")
def test_full_collection_with_and_without_last_accessed() -> None:
    plain = collect(boto3.session.Session())
    (outcome,) = [o for o in plain.outcomes if o.part == PART_LAST_ACCESSED]
    assert outcome.status is OutcomeStatus.NOT_REQUESTED
    assert plain.unused_access.last_accessed == ()
    result = evaluate(plain)
    (f,) = [f for f in result.findings if f.rule_id == "permissions-unused"]
    assert (f.status, f.message) == (Status.NOT_ASSESSED, "run with --last-accessed")
    assert not [o for o in plain.failed_outcomes if o.part == PART_LAST_ACCESSED]

    session = boto3.session.Session()
    FakeLastAccessed(lambda arn: SERVICES, reads_in_progress=0, now=T0).install(session)
    FakeAnalyzer(
        [analyzer(REGION, "unused", "ACCOUNT_UNUSED_ACCESS", ACCOUNT)],
        [finding(f"{ARN}:user/bob", "UnusedIAMUserAccessKey", 1)],
    ).install(session)
    snap = collect(session, last_accessed=True)
    accessed = snap.unused_access.last_accessed
    assert {(p.kind, p.name) for p in accessed} == {
        ("user", "alice"),
        ("user", "bob"),
        ("user", "null"),
        ("role", "app"),
    }
    assert all(p.status == ACCESS_OK for p in accessed)
    assert [f.resource_arn for f in snap.unused_access.findings] == [f"{ARN}:user/bob"]
    result = evaluate(snap, as_of=T0)
    by_rule = {(f.rule_id, f.resource_name): f.status for f in result.findings}
    assert by_rule[("access-analyzer-unused-findings", "bob")] is Status.FAIL
    assert by_rule[("access-analyzer-unused-findings", "alice")] is Status.PASS


def test_no_unused_analyzer_is_not_claimed_when_listing_failed_everywhere(
    session: boto3.session.Session,
) -> None:
    clients = open_clients(options(), session)
    denied = ApiOutcome(
        "access-analyzer:ListAnalyzers",
        "access_analyzer",
        OutcomeStatus.ACCESS_DENIED,
        "AccessDeniedException: no",
        region="us-east-1",
    )
    arns, findings, (outcome,) = access_analyzer.collect_unused_findings(clients, (), (denied,))
    assert (arns, findings) == ((), ())
    assert (outcome.status, outcome.calls) == (OutcomeStatus.ACCESS_DENIED, 0)
    assert outcome.message == "not asked: ListAnalyzers answered in no region"

    answered = replace(denied, status=OutcomeStatus.OK, message="")
    *_, (outcome,) = access_analyzer.collect_unused_findings(clients, (), (denied, answered))
    assert outcome.status is OutcomeStatus.OK and "no active unused-access analyzer" in (
        outcome.message
    )
