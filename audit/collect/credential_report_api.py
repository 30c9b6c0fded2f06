"""Fetch the credential report: generate, then poll with backoff up to a bounded wait.

AWS hands back a cached report when the last one is under 4 hours old, so the report's
GeneratedTime (recorded in the snapshot) is when its facts were true, not the collection time.
Nothing in the report can be later than the moment it was received: such a GeneratedTime makes
the report unreadable, such a date makes that cell unreadable (see credential_report.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.collect.calls import ApiResult, call_api, one_line
from audit.collect.credential_report import CredentialReportError, parse_credential_report
from audit.collect.normalise import utc
from audit.collect.session import Clients
from audit.model import (
    PART_CREDENTIAL_REPORT,
    PART_CREDENTIAL_ROWS,
    ApiOutcome,
    CredentialRow,
    OutcomeStatus,
)

ACTIONS = ("iam:GenerateCredentialReport", "iam:GetCredentialReport")

# Not ready yet: keep polling. ReportExpired / ReportNotPresent also need a new Generate.
_NOT_READY = frozenset({"ReportInProgress", "ReportNotPresent", "ReportExpired"})
_REGENERATE = frozenset({"ReportNotPresent", "ReportExpired"})
# LimitExceeded: a generation is already running (or too many requests): just poll.
_GENERATE_BUSY = frozenset({"LimitExceeded", "LimitExceededException"})
FIRST_DELAY = 0.5
MAX_DELAY = 8.0
# AWS's clock and this machine's may differ a little: only later than this is impossible.
CLOCK_SKEW = timedelta(minutes=15)


@dataclass(frozen=True)
class CredentialReport:
    rows: tuple[CredentialRow, ...] = ()
    generated_at: datetime | None = None


def _merge(total: ApiOutcome | None, latest: ApiOutcome) -> ApiOutcome:
    """One outcome per API for the whole poll: calls, retries and seconds add up."""
    if total is None:
        return latest
    return replace(
        latest,
        calls=total.calls + latest.calls,
        retries=total.retries + latest.retries,
        seconds=round(total.seconds + latest.seconds, 4),
    )


def read_report(
    raw: bytes, generated: object, received: datetime
) -> tuple[CredentialReport, str | None]:
    """Pure: the report's rows, or why it is unreadable. ``received``: when it arrived."""
    bound = received + CLOCK_SKEW
    try:
        generated_at = utc(generated)
        if generated_at is not None and generated_at > bound:
            raise CredentialReportError(
                f"GeneratedTime {generated_at.isoformat()} is after the report was received "
                f"({bound.isoformat(timespec='seconds')})"
            )
        rows = parse_credential_report(raw, not_after=bound)
    except (CredentialReportError, ValueError) as exc:
        return CredentialReport(), str(exc)
    return CredentialReport(rows, generated_at), None


def _briefly(row: CredentialRow) -> str:
    # A short line lacks many columns for one reason: count them rather than list them.
    return ", ".join(
        f"{cols[0]} {why}" if len(cols) == 1 else f"{len(cols)} columns {why}"
        for why, cols in row.unreadable_by_reason(row.unreadable).items()
    )


def unreadable_rows(report: CredentialReport, api: str) -> tuple[ApiOutcome, ...]:
    """An error outcome naming the rows with unreadable cells (the run is incomplete), if any."""
    bad = [r for r in report.rows if r.unreadable]
    if not bad:
        return ()
    named = "; ".join(f"{r.user} ({_briefly(r)})" for r in bad)
    message = f"{len(bad)} of {len(report.rows)} users' rows cannot be fully read: {named}"
    return (
        ApiOutcome(
            api=api,
            part=PART_CREDENTIAL_ROWS,
            status=OutcomeStatus.ERROR,
            message=one_line(message),
        ),
    )


def fetch_report(
    clients: Clients,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[CredentialReport, tuple[ApiOutcome, ...]]:
    iam = clients.iam()
    bound = clients.options.report_wait_seconds
    deadline = clock() + bound

    def generate() -> ApiResult:
        def fetch() -> Iterable[Mapping[str, Any]]:
            return [dict(iam.generate_credential_report())]

        return call_api(
            "iam:GenerateCredentialReport",
            PART_CREDENTIAL_REPORT,
            fetch,
            empty_codes=_GENERATE_BUSY,
        )

    def get() -> ApiResult:
        def fetch() -> Iterable[Mapping[str, Any]]:
            return [dict(iam.get_credential_report())]

        return call_api("iam:GetCredentialReport", PART_CREDENTIAL_REPORT, fetch)

    gen = generate()
    gen_total = gen.outcome
    got_total: ApiOutcome | None = None
    delay = FIRST_DELAY
    while True:
        got = get()
        got_total = _merge(got_total, got.outcome)
        code = got.error_code or ""
        if got.ok or code not in _NOT_READY:
            break
        remaining = deadline - clock()
        if remaining <= 0:
            got_total = replace(
                got_total,
                message=(
                    f"{code}: the credential report was still not ready after waiting "
                    f"{bound:g} s (raise --report-wait)"
                ),
            )
            return CredentialReport(), (gen_total, got_total)
        if code in _REGENERATE:
            if gen.outcome.status is not OutcomeStatus.OK:
                break  # no report, and not allowed to make one: waiting cannot help
            gen = generate()
            gen_total = _merge(gen_total, gen.outcome)
        sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_DELAY)

    if not got.ok:
        return CredentialReport(), (gen_total, got_total)
    page = got.pages[0]
    content = page.get("Content", b"")
    raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
    # The evidence hash is of the CSV itself, so it can be checked against a downloaded copy.
    got_total = replace(got_total, payload_sha256=hashlib.sha256(raw).hexdigest())
    report, problem = read_report(raw, page.get("GeneratedTime"), now())
    if problem is not None:
        bad = replace(
            got_total, status=OutcomeStatus.ERROR, message=f"unreadable report: {problem}"
        )
        return report, (gen_total, bad)
    return report, (gen_total, got_total, *unreadable_rows(report, got_total.api))
