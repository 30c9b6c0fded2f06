"""Service last accessed: which granted services each user and role has used, and when.

IAM answers this per principal only: GenerateServiceLastAccessedDetails starts an AWS-side job
(it reads, it changes nothing), GetServiceLastAccessedDetails polls it until COMPLETED. That is
at least 2 calls per principal, so collection is opt-in (``--last-accessed``), prints its cost
first, runs a bounded number of jobs at once (the clients retry throttling adaptively), and
stops at a time budget: principals not reached by then are not assessed, never failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from audit.collect.calls import ApiResult, call_api
from audit.collect.normalise import utc
from audit.model import PART_LAST_ACCESSED, ApiOutcome, OutcomeStatus, Role, User
from audit.model_unused import ACCESS_NOT_ASSESSED, PrincipalAccess, ServiceAccess

GENERATE = "iam:GenerateServiceLastAccessedDetails"
GET = "iam:GetServiceLastAccessedDetails"
ACTIONS = (GENERATE, GET)
CALLS_PER_PRINCIPAL = 2  # one job, one read when it is done; more polls while it runs
NOT_REQUESTED_REASON = "run with --last-accessed"
PAGE_SIZE = 1000  # MaxItems: AWS's maximum; an admin role lists ~400 services
# Seconds between polls of one job: AWS jobs take a few seconds; back off, never hammer.
POLL_DELAYS = (1.0, 2.0, 4.0, 8.0)

_FINAL = frozenset((OutcomeStatus.ACCESS_DENIED, OutcomeStatus.NOT_SUPPORTED))

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "role"
    name: str
    arn: str


def principals_of(users: Iterable[User], roles: Iterable[Role]) -> tuple[Principal, ...]:
    return tuple(Principal("user", u.name, u.arn) for u in users) + tuple(
        Principal("role", r.name, r.arn) for r in roles
    )


def cost_line(count: int) -> str:
    """What collection will cost, printed before it starts and kept in the coverage table."""
    noun = "principal" if count == 1 else "principals"
    return (
        f"{CALLS_PER_PRINCIPAL} calls per principal: "
        f"{CALLS_PER_PRINCIPAL * count:,} calls for {count:,} {noun}"
    )


def not_requested() -> tuple[ApiOutcome, ...]:
    """The outcome recorded when the operator did not ask: its rules say how to ask."""
    return (
        ApiOutcome(
            api=GENERATE,
            part=PART_LAST_ACCESSED,
            status=OutcomeStatus.NOT_REQUESTED,
            message=NOT_REQUESTED_REASON,
        ),
    )


def services_from(pages: Sequence[Mapping[str, Any]]) -> tuple[ServiceAccess, ...]:
    """Pure: GetServiceLastAccessedDetails pages -> the services, sorted by namespace."""
    found = [
        ServiceAccess(
            namespace=str(s["ServiceNamespace"]),
            name=str(s.get("ServiceName", s["ServiceNamespace"])),
            last_authenticated=utc(s.get("LastAuthenticated")),
            last_region=str(s["LastAuthenticatedRegion"])
            if s.get("LastAuthenticatedRegion")
            else None,
        )
        for page in pages
        for s in page["ServicesLastAccessed"]
    ]
    return tuple(sorted(found, key=lambda s: s.namespace))


@dataclass
class _Run:
    """State shared by the workers: the deadline, every call's outcome, a stop flag."""

    deadline: float
    budget: float
    sleep: Sleep
    clock: Clock
    outcomes: list[ApiOutcome] = field(default_factory=list)
    # The first denial (or an endpoint without the API): every later job would fail alike.
    refused: ApiOutcome | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, result: ApiResult) -> None:
        with self.lock:
            self.outcomes.append(result.outcome)
            if result.outcome.status in _FINAL and self.refused is None:
                self.refused = result.outcome

    def out_of_time(self) -> bool:
        return self.clock() >= self.deadline


def _skipped(p: Principal, reason: str) -> PrincipalAccess:
    return PrincipalAccess(p.kind, p.name, p.arn, status=ACCESS_NOT_ASSESSED, reason=reason)


def _budget_reason(run: _Run) -> str:
    return f"the --last-accessed-budget of {run.budget:g} s was spent before this principal"


def _read_job(client: Any, job_id: str) -> Callable[[], Iterable[Mapping[str, Any]]]:
    def fetch() -> Iterable[Mapping[str, Any]]:
        marker: str | None = None
        while True:
            extra = {"Marker": marker} if marker else {}
            page = client.get_service_last_accessed_details(
                JobId=job_id, MaxItems=PAGE_SIZE, **extra
            )
            yield page
            if page.get("JobStatus") != "COMPLETED" or not page.get("IsTruncated"):
                return
            marker = str(page["Marker"])

    return fetch


def _one(client: Any, p: Principal, run: _Run) -> PrincipalAccess:
    if run.refused is not None:
        return _skipped(p, f"not collected: {run.refused.api} {run.refused.message}")
    if run.out_of_time():
        return _skipped(p, _budget_reason(run))
    started = call_api(
        GENERATE,
        PART_LAST_ACCESSED,
        lambda: [client.generate_service_last_accessed_details(Arn=p.arn)],
    )
    run.record(started)
    if not started.ok:
        return _skipped(p, f"not collected: {GENERATE} {started.outcome.message}")
    job_id = str(started.pages[0].get("JobId", ""))
    for attempt in range(10_000):
        run.sleep(POLL_DELAYS[min(attempt, len(POLL_DELAYS) - 1)])
        if run.out_of_time():
            return _skipped(p, _budget_reason(run))
        got = call_api(GET, PART_LAST_ACCESSED, _read_job(client, job_id))
        run.record(got)
        if not got.ok:
            return _skipped(p, f"not collected: {GET} {got.outcome.message}")
        first = got.pages[0]
        status = first.get("JobStatus")
        if status == "COMPLETED":
            try:
                services = services_from(got.pages)
            except (KeyError, TypeError, ValueError) as exc:
                return _skipped(p, f"unexpected {GET} reply: {type(exc).__name__}: {exc}")
            completed = utc(first.get("JobCompletionDate"))
            return PrincipalAccess(p.kind, p.name, p.arn, services=services, completed_at=completed)
        if status != "IN_PROGRESS":
            error = first.get("Error") or {}
            why = error.get("Message") or error.get("Code") or status
            return _skipped(p, f"AWS could not produce the report: {why}")
    return _skipped(p, "the job never completed")  # pragma: no cover - the budget ends it first


def _summary(api: str, outcomes: list[ApiOutcome], message: str) -> ApiOutcome:
    """All of one API's calls as one coverage row: calls, retries and time summed.

    The row is OK when any call worked: a principal whose job failed is not assessed on its
    own (its reason says why). When every call failed, the part failed with the first reason.
    """
    ok = [o for o in outcomes if o.status is OutcomeStatus.OK]
    bad = [o for o in outcomes if o.status is not OutcomeStatus.OK]
    worst = bad[0] if bad and not ok else None
    return ApiOutcome(
        api=api,
        part=PART_LAST_ACCESSED,
        status=worst.status if worst else OutcomeStatus.OK,
        message=f"{worst.message}; {message}" if worst else message,
        calls=sum(o.calls for o in outcomes),
        retries=sum(o.retries for o in outcomes),
        seconds=round(sum(o.seconds for o in outcomes), 4),
    )


def _tally(principals: int, results: Sequence[PrincipalAccess], calls: int) -> str:
    assessed = sum(1 for r in results if r.status != ACCESS_NOT_ASSESSED)
    per = f" ({calls / principals:.1f} per principal)" if principals else ""
    text = f"{principals:,} principals, {calls:,} calls{per}: {assessed:,} assessed"
    reasons: dict[str, int] = {}
    for r in results:
        if r.status == ACCESS_NOT_ASSESSED:
            key = "time budget spent" if "budget" in r.reason else r.reason
            reasons[key] = reasons.get(key, 0) + 1
    for reason, n in reasons.items():
        text += f"; {n:,} not assessed ({reason})"
    return text


def collect(
    client: Any,
    principals: Sequence[Principal],
    *,
    budget_seconds: float,
    workers: int,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> tuple[tuple[PrincipalAccess, ...], tuple[ApiOutcome, ...]]:
    """One job per principal, ``workers`` at a time, until done or ``budget_seconds`` pass."""
    run = _Run(deadline=clock() + budget_seconds, budget=budget_seconds, sleep=sleep, clock=clock)
    # The first job alone: if it is refused, the others are not even started.
    head = [_one(client, p, run) for p in principals[:1]]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = (*head, *pool.map(lambda p: _one(client, p, run), principals[1:]))
    calls = sum(o.calls for o in run.outcomes)
    tally = _tally(len(principals), results, calls)
    generated = [o for o in run.outcomes if o.api == GENERATE]
    read = [o for o in run.outcomes if o.api == GET]
    outcomes = [_summary(GENERATE, generated, tally)]
    if read:
        outcomes.append(_summary(GET, read, f"{len(read):,} polls"))
    return results, tuple(outcomes)
