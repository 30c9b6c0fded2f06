"""call_api: how each kind of failure becomes an outcome."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from audit.collect.calls import call_api, failed, payload_sha256
from audit.model import OutcomeStatus


def _raising(code: str, status: int, retries: int = 0) -> Any:
    def fetch() -> Iterable[Mapping[str, Any]]:
        raise ClientError(
            {
                "Error": {"Code": code, "Message": "why\n  it  failed"},
                "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries},
            },
            "Op",
        )

    return fetch


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("AccessDenied", 403, OutcomeStatus.ACCESS_DENIED),
        ("AccessDeniedException", 403, OutcomeStatus.ACCESS_DENIED),
        ("Throttling", 400, OutcomeStatus.THROTTLED),
        ("404", 404, OutcomeStatus.NOT_SUPPORTED),
        ("UnknownOperationException", 400, OutcomeStatus.NOT_SUPPORTED),
        # A 5xx is a server error whatever its body, from AWS, a proxy or an emulator.
        ("503", 503, OutcomeStatus.ERROR),
        ("500", 500, OutcomeStatus.ERROR),
        ("ServiceFailure", 500, OutcomeStatus.ERROR),
    ],
)
def test_error_codes_classified(code: str, status: int, expected: OutcomeStatus) -> None:
    result = call_api("iam:Op", "part", _raising(code, status, 2))
    outcome = result.outcome
    assert outcome.status is expected
    assert (outcome.calls, outcome.retries, outcome.payload_sha256) == (1, 2, None)
    assert result.error_code == code
    assert "\n" not in outcome.message
    assert result.pages == ()


def test_empty_code_counts_as_ok() -> None:
    result = call_api(
        "iam:Op", "part", _raising("NoSuchEntity", 404), empty_codes=frozenset({"NoSuchEntity"})
    )
    assert result.ok
    assert result.outcome.message == "NoSuchEntity"
    assert result.outcome.payload_sha256 == payload_sha256([])


def test_connection_failure_is_an_error_outcome() -> None:
    def fetch() -> Iterable[Mapping[str, Any]]:
        raise EndpointConnectionError(endpoint_url="https://iam.example")

    outcome = call_api("iam:Op", "part", fetch).outcome
    assert outcome.status is OutcomeStatus.ERROR
    assert outcome.message.startswith("EndpointConnectionError: ")


def test_pages_counted_and_metadata_left_out_of_the_hash() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    pages = [
        {"Items": [1], "When": when, "ResponseMetadata": {"RequestId": "a", "RetryAttempts": 1}},
        {"Items": [2], "ResponseMetadata": {"RequestId": "b", "RetryAttempts": 0}},
    ]
    result = call_api("iam:Op", "part", lambda: pages)
    assert (result.outcome.calls, result.outcome.retries) == (2, 1)
    assert result.pages == ({"Items": [1], "When": when}, {"Items": [2]})
    assert result.outcome.payload_sha256 == payload_sha256(result.pages)
    bad = failed(result, KeyError("Arn"))
    assert bad.outcome.status is OutcomeStatus.ERROR
    assert bad.outcome.message == "unexpected response: KeyError: 'Arn'"
    assert bad.pages == ()


def test_hash_is_canonical() -> None:
    assert payload_sha256([{"b": 1, "a": 2}]) == payload_sha256([{"a": 2, "b": 1}])
    assert payload_sha256([{"a": 1}]) != payload_sha256([{"a": 2}])
