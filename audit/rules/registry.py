"""The rule registry: each rule is a pure function plus frozen metadata.

A rule takes the snapshot and a :class:`Context` (the as-of time and thresholds) and yields one
:class:`~audit.findings.Result` per resource it judges. It never calls AWS and never reads the
clock. The engine turns results into findings and attaches the metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from audit.findings import Result, Severity
from audit.model import Snapshot
from audit.settings import Thresholds

BEYOND_BENCHMARKS = "beyond the benchmarks"


@dataclass(frozen=True)
class Context:
    as_of: datetime
    thresholds: Thresholds

    def days_since(self, when: datetime) -> int:
        return (self.as_of - when).days


RuleCheck = Callable[[Snapshot, Context], Iterable[Result]]


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    severity: Severity
    controls: tuple[str, ...]  # "CIS v5.0 1.13", "AWS Security Hub IAM.3"; empty if beyond them
    rationale: str
    remediation: str
    requires: tuple[str, ...]  # snapshot parts (audit.model.PART_*)
    # What the rule judges ("user", "policy", "principal" = users, groups and roles, ...):
    # shown in the catalogue and in the pass the engine gives when there is nothing to judge.
    resource_type: str = "account"
    # True when the rule judges region by region (Access Analyzer): a region whose call failed
    # is the rule's to report as not assessed, so the regions that answered are still judged.
    regional: bool = False

    @property
    def beyond_benchmarks(self) -> bool:
        """The seed's own checks, which no CIS or Security Hub control covers."""
        return not self.controls


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    check: RuleCheck


REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    id: str,  # noqa: A002 - "id" is the natural name in the metadata
    title: str,
    severity: Severity,
    controls: tuple[str, ...],
    rationale: str,
    remediation: str,
    requires: tuple[str, ...],
    resource_type: str = "account",
    regional: bool = False,
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule. Duplicate ids fail at import time, not in a report."""

    def register(check: RuleCheck) -> RuleCheck:
        if id in REGISTRY:
            raise ValueError(f"duplicate rule id {id!r}")
        meta = RuleMeta(
            id=id,
            title=title,
            severity=severity,
            controls=controls,
            rationale=rationale,
            remediation=remediation,
            requires=requires,
            resource_type=resource_type,
            regional=regional,
        )
        REGISTRY[id] = Rule(meta, check)
        return check

    return register
