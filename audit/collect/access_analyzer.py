"""IAM Access Analyzer: ListAnalyzers in every enabled region (or the regions asked for), then
the active findings of each unused-access analyzer (ListFindingsV2, in the analyzer's region).

The region list comes from ec2:DescribeRegions (enabled regions only); if that is denied the
home region is still checked, and the gap is recorded so "enabled in all regions" is not
claimed on partial data. Regions are queried in parallel: one slow region must not add up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from audit.collect.calls import call_api, failed, payload_sha256
from audit.collect.normalise import utc
from audit.collect.session import Clients
from audit.model import (
    PART_ACCESS_ANALYZER,
    PART_UNUSED_FINDINGS,
    AccessAnalyzer,
    ApiOutcome,
    OutcomeStatus,
)
from audit.model_unused import AnalyzerFinding

# ListFindingsV2 is authorised by the access-analyzer:ListFindings action (AWS's API reference).
ACTIONS = ("ec2:DescribeRegions", "access-analyzer:ListAnalyzers", "access-analyzer:ListFindings")
UNUSED_ACCESS_TYPES = frozenset({"ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS"})
LIST_FINDINGS = "access-analyzer:ListFindingsV2"
_WORKERS = 8
_SAME_EVERYWHERE = frozenset({OutcomeStatus.NOT_SUPPORTED, OutcomeStatus.ERROR})


def _regions(clients: Clients) -> tuple[tuple[str, ...], tuple[ApiOutcome, ...]]:
    asked = clients.options.analyzer_regions
    if asked:
        return tuple(dict.fromkeys(asked)), ()
    ec2 = clients.client("ec2")

    def fetch() -> Iterable[Mapping[str, Any]]:
        return [ec2.describe_regions(AllRegions=False)]

    result = call_api("ec2:DescribeRegions", PART_ACCESS_ANALYZER, fetch)
    if not result.ok:
        return (clients.home_region,), (result.outcome,)
    try:
        names = sorted(
            str(r["RegionName"])
            for r in result.pages[0]["Regions"]
            # moto lists every region; AWS only enabled ones unless AllRegions is set.
            if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
        )
    except (KeyError, TypeError, IndexError) as exc:
        return (clients.home_region,), (failed(result, exc).outcome,)
    if not names:
        # Every account has at least its home region enabled: an empty list is not an answer,
        # and checking the home region alone would stand for "every region" on no evidence.
        unread = failed(result, ValueError("the reply names no region"))
        return (clients.home_region,), (unread.outcome,)
    return tuple(names), (result.outcome,)


def analyzers_from(region: str, pages: Sequence[Mapping[str, Any]]) -> tuple[AccessAnalyzer, ...]:
    # ``analyzers`` is required in every ListAnalyzers reply: without it the reply was not
    # the API's (restJson parses a proxy's HTML page as {}), and "none here" would be a guess.
    return tuple(
        AccessAnalyzer(
            region=region,
            name=str(a["name"]),
            arn=str(a["arn"]),
            type=str(a.get("type", "")),
            status=str(a.get("status", "")),
        )
        for page in pages
        for a in page["analyzers"]
    )


def _one_region(clients: Clients, region: str) -> tuple[tuple[AccessAnalyzer, ...], ApiOutcome]:
    client = clients.access_analyzer(region)

    def fetch() -> Iterable[Mapping[str, Any]]:
        return client.get_paginator("list_analyzers").paginate()

    result = call_api(
        "access-analyzer:ListAnalyzers",
        PART_ACCESS_ANALYZER,
        fetch,
        region=region,
    )
    if not result.ok:
        return (), result.outcome
    try:
        return analyzers_from(region, result.pages), result.outcome
    except (KeyError, TypeError) as exc:
        return (), failed(result, exc).outcome


def collect(clients: Clients) -> tuple[tuple[AccessAnalyzer, ...], tuple[ApiOutcome, ...]]:
    regions, outcomes = _regions(clients)
    first, *rest = regions
    # Clients are created here, in one thread: boto3 sessions are not thread-safe, clients are.
    for region in regions:
        clients.access_analyzer(region)
    found, outcome = _one_region(clients, first)
    if outcome.status in _SAME_EVERYWHERE and clients.endpoint_url:
        # One endpoint serves every region: it lacks the API (or fails it, after retries)
        # everywhere; asking again per region would only repeat the retries' backoff.
        skipped = tuple(
            replace(
                outcome,
                region=r,
                calls=0,
                retries=0,
                seconds=0.0,
                message=f"not asked: the endpoint answered {first} with {outcome.message}",
            )
            for r in rest
        )
        return found, (*outcomes, outcome, *skipped)
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        others = list(pool.map(lambda r: _one_region(clients, r), rest))
    analyzers = found + tuple(a for got, _ in others for a in got)
    return analyzers, (*outcomes, outcome, *(o for _, o in others))


def findings_from(
    analyzer: AccessAnalyzer, pages: Sequence[Mapping[str, Any]]
) -> tuple[AnalyzerFinding, ...]:
    """Pure: ListFindingsV2 pages -> the analyzer's findings (``findings`` is required)."""
    return tuple(
        AnalyzerFinding(
            analyzer_arn=analyzer.arn,
            region=analyzer.region,
            finding_id=str(f["id"]),
            resource_arn=str(f.get("resource", "")),
            resource_type=str(f.get("resourceType", "")),
            finding_type=str(f.get("findingType", "")),
            status=str(f.get("status", "")),
            created_at=utc(f.get("createdAt")),
            updated_at=utc(f.get("updatedAt")),
        )
        for page in pages
        for f in page["findings"]
    )


def _findings_of(
    clients: Clients, analyzer: AccessAnalyzer
) -> tuple[tuple[AnalyzerFinding, ...], ApiOutcome]:
    client = clients.access_analyzer(analyzer.region)

    def fetch() -> Iterable[Mapping[str, Any]]:
        return client.get_paginator("list_findings_v2").paginate(
            analyzerArn=analyzer.arn, filter={"status": {"eq": ["ACTIVE"]}}
        )

    result = call_api(
        LIST_FINDINGS,
        PART_UNUSED_FINDINGS,
        fetch,
        region=analyzer.region,
    )
    if not result.ok:
        return (), result.outcome
    try:
        return findings_from(analyzer, result.pages), result.outcome
    except (KeyError, TypeError, ValueError) as exc:
        return (), failed(result, exc).outcome


def unused_analyzers(analyzers: Iterable[AccessAnalyzer]) -> tuple[AccessAnalyzer, ...]:
    return tuple(
        a
        for a in analyzers
        if a.type.upper() in UNUSED_ACCESS_TYPES and a.status.upper() == "ACTIVE"
    )


def collect_unused_findings(
    clients: Clients, analyzers: Iterable[AccessAnalyzer], listed: Iterable[ApiOutcome] = ()
) -> tuple[tuple[str, ...], tuple[AnalyzerFinding, ...], tuple[ApiOutcome, ...]]:
    """Active findings of every active unused-access analyzer: pages, not principals.

    ``listed``: the ListAnalyzers outcomes. When no region answered, "no unused-access
    analyzer" is unknown, not a fact: the outcome then carries the first region's status.
    """
    chosen = unused_analyzers(analyzers)
    asked = [o for o in listed if o.api == "access-analyzer:ListAnalyzers"]
    if asked and not chosen and all(o.status is not OutcomeStatus.OK for o in asked):
        unknown = ApiOutcome(
            api=LIST_FINDINGS,
            part=PART_UNUSED_FINDINGS,
            status=asked[0].status,
            message="not asked: ListAnalyzers answered in no region",
        )
        return (), (), (unknown,)
    if not chosen:
        nothing = ApiOutcome(
            api=LIST_FINDINGS,
            part=PART_UNUSED_FINDINGS,
            status=OutcomeStatus.OK,
            message="no active unused-access analyzer in the regions checked",
            payload_sha256=payload_sha256([]),
        )
        return (), (), (nothing,)
    findings: list[AnalyzerFinding] = []
    outcomes: list[ApiOutcome] = []
    for analyzer in chosen:
        got, outcome = _findings_of(clients, analyzer)
        findings += got
        outcomes.append(outcome)
    return tuple(a.arn for a in chosen), tuple(findings), tuple(outcomes)
