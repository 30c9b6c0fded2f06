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
from tests.collect.conftest import options, plant


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


@pytest.mark.server
def test_collect_over_http(endpoint: str) -> None:
    plant(boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint))
    session = boto3.session.Session()
    requests: list[str] = []
    session.events.register("before-send", lambda request, **_: requests.append(request.url))
    started = time.monotonic()
    snap = collect_snapshot(options(endpoint_url=endpoint, analyzer_regions=None), session=session)
    elapsed = time.monotonic() - started

    assert snap.meta.source == endpoint
    assert {u.name for u in snap.users} == {"alice", "bob", "null"}
    assert {r.user for r in snap.credential_report} == {"alice", "bob", "null"}
    assert snap.password_policy is not None
    assert all(url.startswith(endpoint) for url in requests)
    assert not snap.failed_outcomes
    # The server lacks Access Analyzer: asked once (no retries of its HTML 500 page), and
    # every other enabled region is recorded as not supported without asking again.
    analyzer = [o for o in snap.outcomes if o.api == "access-analyzer:ListAnalyzers"]
    assert len(analyzer) == len(snap.meta.regions) > 10
    assert all(o.status is OutcomeStatus.NOT_SUPPORTED for o in analyzer)
    assert sum(o.calls for o in analyzer) == 1
    assert sum(o.retries for o in analyzer) == 0
    # A constant handful: sts, GAAD, generate + get report, 7 account APIs, regions, 1 analyzer
    assert len(requests) == 13
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
