"""A reply that is not the API's (a proxy's HTML page, a cut-off body) is an outcome, not a crash.

botocore's parsers raise KeyError or ResponseParserError (not a BotoCoreError) for such replies;
they used to escape call_api and end the whole collection with "failed: KeyError", exit 4.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from audit.collect import CollectOptions, collect_snapshot
from audit.errors import CollectionError
from audit.model import OutcomeStatus
from tests.collect.conftest import collect

HTML = b"<html><body><h1>Blocked by the web proxy</h1></body></html>"
TRUNCATED = b'<?xml version="1.0"?><ListSAMLProvidersResponse><ListSAMLProvidersRes'


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def _answer(body: bytes, content_type: str) -> Any:
    def handler(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"content-type": content_type}, _Raw(body))

    return handler


@pytest.mark.usefixtures("moto_account")
@pytest.mark.parametrize(
    ("operation", "body", "content_type"),
    [
        ("ListSAMLProviders", HTML, "text/html"),
        ("ListSAMLProviders", TRUNCATED, "text/xml"),
        ("GetAccountAuthorizationDetails", HTML, "text/html"),
        ("GetCredentialReport", HTML, "text/html"),
        ("ListVirtualMFADevices", HTML, "text/html"),
    ],
)
def test_garbled_reply_is_recorded_and_collection_goes_on(
    operation: str, body: bytes, content_type: str
) -> None:
    session = boto3.session.Session()
    session.events.register_first(f"before-send.iam.{operation}", _answer(body, content_type))
    snapshot = collect(session)
    [outcome] = [o for o in snapshot.outcomes if o.api == f"iam:{operation}"]
    assert outcome.status is OutcomeStatus.ERROR
    assert outcome.message.startswith("unreadable response: ")
    assert "\n" not in outcome.message
    # (service last accessed is opt-in: not requested here)
    others = [
        o
        for o in snapshot.outcomes
        if o.api != f"iam:{operation}" and o.status is not OutcomeStatus.NOT_REQUESTED
    ]
    assert {o.status for o in others if o.api.startswith("iam:")} == {OutcomeStatus.OK}
    assert operation == "GetAccountAuthorizationDetails" or snapshot.users


@pytest.mark.usefixtures("aws_env")
def test_garbled_identity_reply_is_one_collection_error() -> None:
    with mock_aws():
        session = boto3.session.Session()
        session.events.register_first(
            "before-send.sts.GetCallerIdentity", _answer(HTML, "text/html")
        )
        with pytest.raises(CollectionError) as err:
            collect_snapshot(CollectOptions(region="us-east-1", quiet=True), session=session)
    message = str(err.value)
    assert message.startswith("sts:GetCallerIdentity failed: unreadable response from ")
    assert "\n" not in message


@pytest.mark.usefixtures("moto_account")
def test_analyzer_reply_without_analyzers_is_not_read_as_none_there() -> None:
    # restJson parses an HTML page to {}: that used to count as "no analyzer in the region",
    # a failing access-analyzer-enabled finding on no evidence.
    session = boto3.session.Session()
    session.events.register_first(
        "before-send.accessanalyzer.ListAnalyzers", _answer(HTML, "text/html")
    )
    snapshot = collect(session)
    [outcome] = [o for o in snapshot.outcomes if o.api == "access-analyzer:ListAnalyzers"]
    assert outcome.status is OutcomeStatus.ERROR
    assert outcome.message.startswith("unexpected response: KeyError")
    assert not snapshot.has_part("access_analyzer")


EMPTY_REGIONS = (
    b'<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    b"<requestId>r-1</requestId><regionInfo/></DescribeRegionsResponse>"
)


@pytest.mark.usefixtures("moto_account")
@pytest.mark.parametrize(("body", "says"), [(EMPTY_REGIONS, "names no region"), (HTML, "KeyError")])
def test_describe_regions_naming_no_region_is_unreadable(body: bytes, says: str) -> None:
    # Every account has at least its home region enabled: an empty list is not "one region",
    # and judging only the home region would claim "enabled in every region" on no evidence.
    session = boto3.session.Session()
    session.events.register_first("before-send.ec2.DescribeRegions", _answer(body, "text/xml"))
    snapshot = collect(session, analyzer_regions=None)
    [outcome] = [o for o in snapshot.outcomes if o.api == "ec2:DescribeRegions"]
    assert outcome.status is OutcomeStatus.ERROR
    assert says in outcome.message
    assert not snapshot.has_part("access_analyzer")
