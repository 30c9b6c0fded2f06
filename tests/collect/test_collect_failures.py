"""Failures are data: denied, throttled, slow and unsupported APIs never stop collection."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from audit.collect import CollectOptions, collect_snapshot
from audit.engine import evaluate
from audit.errors import CollectionError
from audit.findings import Status
from audit.model import OutcomeStatus, Snapshot
from audit.rules import all_rules
from tests.collect.conftest import collect, inject_error

# (botocore service id, operation, the api name recorded, the part it feeds)
APIS = [
    ("iam", "GetAccountAuthorizationDetails", "authorization_details"),
    ("iam", "GenerateCredentialReport", "credential_report"),
    ("iam", "GetCredentialReport", "credential_report"),
    ("iam", "GetAccountSummary", "account_summary"),
    ("iam", "GetAccountPasswordPolicy", "password_policy"),
    ("iam", "ListVirtualMFADevices", "virtual_mfa_devices"),
    ("iam", "ListServerCertificates", "server_certificates"),
    ("iam", "ListSAMLProviders", "identity_providers"),
    ("iam", "ListOpenIDConnectProviders", "identity_providers"),
    ("iam", "ListAccountAliases", "account_aliases"),
    ("accessanalyzer", "ListAnalyzers", "access_analyzer"),
    ("ec2", "DescribeRegions", "access_analyzer"),
]
DENIED_CODE = {"accessanalyzer": "AccessDeniedException", "ec2": "UnauthorizedOperation"}


def _prefix(service: str) -> str:
    return {"accessanalyzer": "access-analyzer"}.get(service, service)


@pytest.mark.usefixtures("moto_account")
@pytest.mark.parametrize(("service", "operation", "part"), APIS)
def test_access_denied_on_one_api(service: str, operation: str, part: str) -> None:
    session = boto3.session.Session()
    inject_error(session, service, operation, DENIED_CODE.get(service, "AccessDenied"))
    snap = collect(session, analyzer_regions=None if service == "ec2" else ("us-east-1",))

    api = f"{_prefix(service)}:{operation}"
    denied = [o for o in snap.outcomes if o.api == api]
    assert denied and all(o.status is OutcomeStatus.ACCESS_DENIED for o in denied)
    assert "injected" in denied[0].message
    # The run finished; only this is missing (and, for ListAnalyzers, the unused-access
    # findings it would have led to: not asked, 0 calls, the same status).
    derived = tuple(o for o in snap.failed_outcomes if o.calls == 0 and o.part != part)
    assert snap.failed_outcomes == tuple(denied) + derived
    assert all(o.api == "access-analyzer:ListFindingsV2" for o in derived)
    assert not snap.has_part(part)

    findings = evaluate(snap).findings
    # Some parts (aliases, summary) are only read opportunistically: no rule requires them.
    dependents = {r.meta.id for r in all_rules() if part in r.meta.requires}
    for finding in findings:
        if finding.rule_id in dependents:
            assert finding.status is Status.NOT_ASSESSED, finding
            assert api in finding.message
    # Rules that do not need the part still judge the account.
    assert any(f.status in (Status.PASS, Status.FAIL) for f in findings)


def _content(snap: Snapshot) -> Snapshot:
    """The collected data without what legitimately differs run to run."""
    outcomes = tuple(
        replace(o, seconds=0.0, retries=0, calls=0, payload_sha256=None) for o in snap.outcomes
    )
    meta = replace(snap.meta, collected_at=datetime(2000, 1, 1, tzinfo=UTC))
    return replace(snap, meta=meta, outcomes=outcomes)


@pytest.mark.usefixtures("moto_account", "no_backoff")
def test_throttling_then_success_gives_the_same_snapshot() -> None:
    calm = collect()
    session = boto3.session.Session()
    throttled = [
        inject_error(session, "iam", op, "Throttling", status=400, times=2)
        for op in ("GetAccountAuthorizationDetails", "GetCredentialReport", "ListVirtualMFADevices")
    ]
    stormy = collect(session)
    assert [count() for count in throttled] == [2, 2, 2]
    assert _content(stormy) == _content(calm)
    retried = {o.api: o.retries for o in stormy.outcomes if o.retries}
    assert retried == {
        "iam:GetAccountAuthorizationDetails": 2,
        "iam:GetCredentialReport": 2,
        "iam:ListVirtualMFADevices": 2,
    }
    assert all(o.status is OutcomeStatus.OK for o in stormy.outcomes if o.api in retried)


@pytest.mark.usefixtures("moto_account", "no_backoff")
def test_throttling_beyond_max_attempts_is_recorded() -> None:
    session = boto3.session.Session()
    count = inject_error(session, "iam", "GetAccountSummary", "Throttling", status=400)
    snap = collect(session, max_attempts=3)
    (outcome,) = [o for o in snap.outcomes if o.api == "iam:GetAccountSummary"]
    assert outcome.status is OutcomeStatus.THROTTLED
    assert outcome.retries == 2
    assert count() == 3
    assert snap.failed_outcomes == (outcome,)


@pytest.mark.usefixtures("moto_account")
def test_credential_report_stuck_in_progress_is_an_error_after_the_bound() -> None:
    session = boto3.session.Session()
    inject_error(session, "iam", "GetCredentialReport", "ReportInProgress", status=404)
    started = time.monotonic()
    snap = collect(session, report_wait_seconds=1.0)
    elapsed = time.monotonic() - started
    (outcome,) = [o for o in snap.outcomes if o.api == "iam:GetCredentialReport"]
    assert outcome.status is OutcomeStatus.ERROR
    assert "still not ready after waiting 1 s" in outcome.message
    assert outcome.calls >= 2  # it polled
    # Far below the default 120 s wait, with room for a loaded machine: the bound held.
    assert elapsed < 60
    assert snap.credential_report == ()
    assert outcome in snap.failed_outcomes  # -> exit code 3
    findings = evaluate(snap).findings
    assert {f.status for f in findings if f.rule_id == "user-console-mfa"} == {Status.NOT_ASSESSED}


@pytest.mark.usefixtures("moto_account")
@pytest.mark.parametrize("code", ["ReportInProgress", "ReportNotPresent", "ReportExpired"])
def test_credential_report_not_ready_then_ready(code: str) -> None:
    session = boto3.session.Session()
    inject_error(session, "iam", "GetCredentialReport", code, status=410, times=2)
    generate = _count_calls(session, "iam", "GenerateCredentialReport")
    snap = collect(session)
    (got,) = [o for o in snap.outcomes if o.api == "iam:GetCredentialReport"]
    assert got.status is OutcomeStatus.OK
    assert got.calls == 3
    assert {r.user for r in snap.credential_report} == {"alice", "bob", "null"}
    # Expired or missing reports are generated again; one in progress is just awaited.
    assert generate() == (1 if code == "ReportInProgress" else 3)


@pytest.mark.usefixtures("moto_account")
def test_generate_limit_exceeded_just_polls() -> None:
    session = boto3.session.Session()
    inject_error(session, "iam", "GenerateCredentialReport", "LimitExceeded", status=409, times=1)
    inject_error(session, "iam", "GetCredentialReport", "ReportNotPresent", status=410, times=1)
    generate = _count_calls(session, "iam", "GenerateCredentialReport")
    snap = collect(session)
    outcomes = {o.api: o for o in snap.outcomes}
    assert outcomes["iam:GenerateCredentialReport"].status is OutcomeStatus.OK
    assert outcomes["iam:GenerateCredentialReport"].calls == 2 == generate()
    assert outcomes["iam:GetCredentialReport"].status is OutcomeStatus.OK
    assert {r.user for r in snap.credential_report} == {"alice", "bob", "null"}


def _count_calls(session: boto3.session.Session, service: str, operation: str) -> Any:
    seen = {"n": 0}

    def count(**_: Any) -> None:
        seen["n"] += 1

    session.events.register(f"before-call.{service}.{operation}", count)
    return lambda: seen["n"]


def test_no_credentials_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, aws_env: None) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    with pytest.raises(CollectionError, match="^no AWS credentials found"):
        collect_snapshot(CollectOptions(quiet=True))


def test_unknown_profile(aws_env: None) -> None:
    with pytest.raises(CollectionError, match="AWS profile 'nope' not found"):
        collect_snapshot(CollectOptions(profile="nope", quiet=True))


@pytest.mark.usefixtures("aws_env", "no_backoff")
def test_unreachable_endpoint_is_fatal() -> None:
    with pytest.raises(CollectionError, match=r"^cannot reach http://127\.0\.0\.1:9$"):
        collect_snapshot(CollectOptions(endpoint_url="http://127.0.0.1:9", quiet=True))


@pytest.mark.usefixtures("aws_env")
def test_caller_identity_denied_is_fatal() -> None:
    with mock_aws():
        session = boto3.session.Session()
        inject_error(session, "sts", "GetCallerIdentity", "AccessDenied")
        with pytest.raises(CollectionError, match="^sts:GetCallerIdentity failed: AccessDenied"):
            collect(session)


@pytest.mark.usefixtures("moto_account", "no_backoff")
@pytest.mark.parametrize("attempts", [5, 10])
def test_caller_identity_is_retried_like_every_other_call(attempts: int) -> None:
    # The probe used to give up after 3 attempts: at 30% throttling ~3% of runs were lost.
    session = boto3.session.Session()
    sent = inject_error(
        session, "sts", "GetCallerIdentity", "Throttling", status=400, times=attempts - 1
    )
    snap = collect(session, max_attempts=attempts)
    assert sent() == attempts - 1
    assert snap.meta.account_id == "123456789012"


@pytest.mark.usefixtures("moto_account", "no_backoff")
def test_caller_identity_throttled_beyond_max_attempts_is_fatal() -> None:
    session = boto3.session.Session()
    sent = inject_error(session, "sts", "GetCallerIdentity", "Throttling", status=400)
    with pytest.raises(CollectionError, match="^sts:GetCallerIdentity failed: Throttling"):
        collect(session, max_attempts=4)
    assert sent() == 4


@pytest.mark.usefixtures("moto_account")
def test_report_polling_backs_off_within_the_bound() -> None:
    from audit.collect.credential_report_api import fetch_report
    from audit.collect.session import open_clients
    from tests.collect.conftest import options

    session = boto3.session.Session()
    inject_error(session, "iam", "GetCredentialReport", "ReportInProgress", status=404)
    now = [0.0]
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    clients = open_clients(options(report_wait_seconds=30.0), session)
    report, (generate, get) = fetch_report(clients, sleep=fake_sleep, clock=lambda: now[0])
    assert report.rows == ()
    assert slept == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 6.5]  # doubling, capped, cut at the bound
    assert sum(slept) == 30.0
    assert get.calls == len(slept) + 1
    assert generate.status is OutcomeStatus.OK and generate.calls == 1
    assert get.status is OutcomeStatus.ERROR
    assert "after waiting 30 s" in get.message
