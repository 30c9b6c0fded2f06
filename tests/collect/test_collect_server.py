"""collect_snapshot over real HTTP against a moto server on 127.0.0.1 (endpoint_url)."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from audit.collect import collect_snapshot
from audit.model import OutcomeStatus
from tests.collect.conftest import inject_html, options, plant


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def endpoint(aws_env: None) -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # The server keeps moto's global backends: start from an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))  # noqa: S310
    try:
        yield url
    finally:
        server.stop()


MAX_ATTEMPTS = 3


@pytest.mark.server
@pytest.mark.usefixtures("no_backoff")
def test_collect_over_http(endpoint: str) -> None:
    plant(boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint))
    session = boto3.session.Session()
    requests: list[str] = []
    session.events.register("before-send", lambda request, **_: requests.append(request.url))
    started = time.monotonic()
    snap = collect_snapshot(
        options(endpoint_url=endpoint, analyzer_regions=None, max_attempts=MAX_ATTEMPTS),
        session=session,
    )
    elapsed = time.monotonic() - started

    assert snap.meta.source == endpoint
    assert {u.name for u in snap.users} == {"alice", "bob", "null"}
    assert {r.user for r in snap.credential_report} == {"alice", "bob", "null"}
    assert snap.password_policy is not None
    assert all(url.startswith(endpoint) for url in requests)
    # The server lacks Access Analyzer and crashes on it (an HTML 500 page): a server error,
    # retried like any other, then an error outcome; the other regions, served by the same
    # endpoint, are recorded without asking again.
    analyzer = [o for o in snap.outcomes if o.api == "access-analyzer:ListAnalyzers"]
    # ... and the unused-access findings it would have led to are not asked for (0 calls).
    (findings,) = [o for o in snap.outcomes if o.api == "access-analyzer:ListFindingsV2"]
    assert (findings.calls, findings.message) == (
        0,
        "not asked: ListAnalyzers answered in no region",
    )
    assert snap.failed_outcomes == (*analyzer, findings)
    assert len(analyzer) == len(snap.meta.regions) > 10
    assert all(o.status is OutcomeStatus.ERROR for o in analyzer)
    assert analyzer[0].message.startswith("500: HTTP 500 from the endpoint")
    assert all(o.message.startswith("not asked: ") for o in analyzer[1:])
    assert sum(o.calls for o in analyzer) == 1
    assert sum(o.retries for o in analyzer) == MAX_ATTEMPTS - 1
    # A constant handful: sts, GAAD, generate + get report, 7 account APIs, regions, 1 analyzer;
    # Identity Center with no permission set: instances, sets, provisioning (current and
    # outdated) in the owner account, users, groups.
    assert len(requests) == 12 + MAX_ATTEMPTS + 6
    assert elapsed < 20


@pytest.mark.server
def test_aws_endpoint_url_variable_is_honoured(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plant(boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint))
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    snap = collect_snapshot(options(), session=boto3.session.Session())
    assert snap.meta.source == endpoint
    assert {u.name for u in snap.users} == {"alice", "bob", "null"}


@pytest.mark.server
@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("status", [500, 502, 503])
def test_html_5xx_from_the_endpoint_is_a_server_error(endpoint: str, status: int) -> None:
    # A proxy's or emulator's error page is not "the endpoint lacks this API": the call is
    # retried, then recorded as an error, so the run is incomplete (exit 3), never a pass.
    plant(boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint))
    session = boto3.session.Session()
    sent = inject_html(session, "iam", "ListSAMLProviders", status)
    snap = collect_snapshot(
        options(endpoint_url=endpoint, max_attempts=MAX_ATTEMPTS), session=session
    )
    (outcome,) = [o for o in snap.outcomes if o.api == "iam:ListSAMLProviders"]
    assert outcome.status is OutcomeStatus.ERROR
    assert sent() == MAX_ATTEMPTS
    assert outcome.retries == MAX_ATTEMPTS - 1
    assert outcome.message == f"{status}: HTTP {status} from the endpoint, not an AWS error reply"
    assert outcome in snap.failed_outcomes
    assert not snap.has_part("identity_providers")
