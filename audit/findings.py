"""Severities, statuses, what a rule yields (Result) and what the engine emits (Finding)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class Severity(IntEnum):
    """Ordered, so ``>=`` compares severities (--fail-on, sorting)."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of: {names})") from None


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_ASSESSED = "not_assessed"
    ERROR = "error"
    SUPPRESSED = "suppressed"  # a fail covered by an accepted-risk entry


@dataclass(frozen=True)
class Resource:
    type: str  # "user", "group", "role", "policy", "account", "access_key", ...
    name: str
    arn: str = ""


@dataclass(frozen=True)
class Result:
    """What a rule says about one resource. The engine adds the rule's metadata."""

    status: Status
    resource: Resource
    message: str
    # Machine-readable facts behind the message (days, key slot, path...), for the report.
    details: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the rule's default for this resource

    @classmethod
    def passed(cls, resource: Resource, message: str, **details: Any) -> Result:
        return cls(Status.PASS, resource, message, details)

    @classmethod
    def failed(
        cls, resource: Resource, message: str, severity: Severity | None = None, **details: Any
    ) -> Result:
        return cls(Status.FAIL, resource, message, details, severity)

    @classmethod
    def not_assessed(cls, resource: Resource, message: str, **details: Any) -> Result:
        return cls(Status.NOT_ASSESSED, resource, message, details)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    status: Status
    severity: Severity
    resource_type: str
    resource_name: str
    resource_arn: str
    message: str
    controls: tuple[str, ...]
    remediation: str
    details: Mapping[str, Any] = field(default_factory=dict)
    suppression: Mapping[str, str] | None = None  # owner, reason, expires, ticket when suppressed

    @property
    def is_failing(self) -> bool:
        return self.status is Status.FAIL


# The columns of findings.json / findings.csv, in order. Later issues may append, never rename.
FINDING_COLUMNS = (
    "rule_id",
    "title",
    "status",
    "severity",
    "resource_type",
    "resource_name",
    "resource_arn",
    "message",
    "controls",
    "remediation",
)


def finding_record(f: Finding) -> dict[str, Any]:
    """The JSON object for one finding (lists stay lists; CSV joins them)."""
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "status": f.status.value,
        "severity": f.severity.label,
        "resource_type": f.resource_type,
        "resource_name": f.resource_name,
        "resource_arn": f.resource_arn,
        "message": f.message,
        "controls": list(f.controls),
        "remediation": f.remediation,
    }


@dataclass(frozen=True)
class AuditResult:
    """The engine's output for one snapshot at one as-of time."""

    as_of: datetime
    findings: tuple[Finding, ...]

    def by_status(self, status: Status) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is status)

    @property
    def failing(self) -> tuple[Finding, ...]:
        return self.by_status(Status.FAIL)

    def failing_counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
        for f in self.failing:
            counts[f.severity] += 1
        return counts
