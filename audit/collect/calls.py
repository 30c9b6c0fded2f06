"""Run one API (all its pages) and turn whatever happens into an :class:`ApiOutcome`.

Failures are data: a denied or failing call becomes an outcome with the error code and message,
and collection goes on. Only the read-only guard's refusal propagates, because it is a bug.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import botocore.exceptions

from audit.collect.guard import ReadOnlyViolation
from audit.model import ApiOutcome, OutcomeStatus

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
    }
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
# An endpoint that says it does not offer the API at all (moto answers 404 "Not yet
# implemented"). A 5xx is never one of these: it is a server error whatever its body says.
UNSUPPORTED_CODES = frozenset(
    {"404", "NotImplemented", "InvalidAction", "UnknownOperationException", "UnknownOperation"}
)

Page = dict[str, Any]


@dataclass(frozen=True)
class ApiResult:
    pages: tuple[Page, ...]
    outcome: ApiOutcome
    error_code: str | None = None  # the AWS error code of the last call, if it failed

    @property
    def ok(self) -> bool:
        return self.outcome.status is OutcomeStatus.OK


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"cannot hash a {type(value).__name__}")


def payload_sha256(pages: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of the payload pages as canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(list(pages), sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _classify(code: str) -> OutcomeStatus:
    if code in DENIED_CODES:
        return OutcomeStatus.ACCESS_DENIED
    if code in THROTTLING_CODES:
        return OutcomeStatus.THROTTLED
    if code in UNSUPPORTED_CODES:
        return OutcomeStatus.NOT_SUPPORTED
    return OutcomeStatus.ERROR


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _strip_metadata(page: Mapping[str, Any]) -> Page:
    # ResponseMetadata changes on every call (request id, date): not part of the evidence.
    return {k: v for k, v in page.items() if k != "ResponseMetadata"}


def _retries(response: Mapping[str, Any]) -> int:
    meta = response.get("ResponseMetadata") or {}
    return int(meta.get("RetryAttempts", 0))


def call_api(
    api: str,
    part: str,
    fetch: Callable[[], Iterable[Mapping[str, Any]]],
    *,
    region: str | None = None,
    empty_codes: frozenset[str] = frozenset(),
) -> ApiResult:
    """Run ``fetch`` (one call, or a paginator's pages) and record what happened.

    ``empty_codes``: error codes that mean "nothing there" (NoSuchEntity for the password
    policy): the call counts as ok with no pages.
    """
    started = time.perf_counter()
    pages: list[Page] = []
    calls = retries = 0
    status = OutcomeStatus.OK
    message = ""
    code: str | None = None
    try:
        for page in fetch():
            calls += 1
            retries += _retries(page)
            pages.append(_strip_metadata(page))
    except botocore.exceptions.ClientError as exc:
        calls += 1
        retries += _retries(exc.response)
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        if code in empty_codes:
            pages = []
            message = code
        else:
            status = _classify(code)
            text = str(error.get("Message", ""))
            if status is OutcomeStatus.NOT_SUPPORTED and code.isdigit():
                text = f"HTTP {code} from the endpoint: it does not offer this API"
            elif code.isdigit():
                # botocore names a reply it could not parse (an HTML page) by its HTTP status.
                text = f"HTTP {code} from the endpoint, not an AWS error reply"
            message = one_line(f"{code}: {text}")
    except botocore.exceptions.BotoCoreError as exc:
        calls += 1
        status = OutcomeStatus.ERROR
        message = one_line(f"{type(exc).__name__}: {exc}")
    except ReadOnlyViolation:
        raise
    except Exception as exc:  # noqa: BLE001 - a garbled reply is data too, not the end of the run
        # botocore's parsers raise KeyError, ResponseParserError (not a BotoCoreError), ...
        # for a reply that is not the API's: a proxy's HTML page, a truncated body.
        calls += 1
        status = OutcomeStatus.ERROR
        message = one_line(f"unreadable response: {type(exc).__name__}: {exc}")
    outcome = ApiOutcome(
        api=api,
        part=part,
        status=status,
        message=message,
        region=region,
        calls=calls,
        retries=retries,
        seconds=round(time.perf_counter() - started, 4),
        payload_sha256=payload_sha256(pages) if status is OutcomeStatus.OK else None,
    )
    return ApiResult(tuple(pages), outcome, code)


def failed(result: ApiResult, exc: Exception) -> ApiResult:
    """The call worked but its payload could not be normalised: an error outcome, no data."""
    outcome = replace(
        result.outcome,
        status=OutcomeStatus.ERROR,
        message=one_line(f"unexpected response: {type(exc).__name__}: {exc}"),
        payload_sha256=None,
    )
    return ApiResult((), outcome)
