"""Unused access: service last accessed per principal, and Access Analyzer unused-access findings.

Both come from AWS-side jobs the audit only reads: IAM's service-last-accessed report (one job
per principal, opt-in because it costs calls per principal) and an unused-access analyzer's
findings (ingested as AWS computed them, never recomputed here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# PrincipalAccess.status values.
ACCESS_OK = "ok"
ACCESS_NOT_ASSESSED = "not_assessed"  # the job failed, was refused, or the time budget ran out


@dataclass(frozen=True)
class ServiceAccess:
    """One service a principal's policies grant, and when the principal last used it."""

    namespace: str  # "s3"
    name: str  # "Amazon S3"
    last_authenticated: datetime | None = None  # None: not used within AWS's tracking period
    last_region: str | None = None


@dataclass(frozen=True)
class PrincipalAccess:
    """IAM's service-last-accessed report for one user or role."""

    kind: str  # "user" or "role"
    name: str
    arn: str
    status: str = ACCESS_OK
    reason: str = ""  # why it was not assessed
    services: tuple[ServiceAccess, ...] = ()
    completed_at: datetime | None = None  # when AWS finished the job


@dataclass(frozen=True)
class AnalyzerFinding:
    """One active finding of an unused-access analyzer (ListFindingsV2), as AWS reported it."""

    analyzer_arn: str
    region: str
    finding_id: str
    resource_arn: str
    resource_type: str  # AWS::IAM::Role, AWS::IAM::User
    finding_type: str  # UnusedIAMRole, UnusedIAMUserAccessKey, UnusedIAMUserPassword, ...
    status: str  # ACTIVE (only active ones are collected)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class UnusedAccess:
    """The snapshot's unused-access family (one field on Snapshot)."""

    last_accessed: tuple[PrincipalAccess, ...] = ()
    # Unused-access analyzers found (ARNs) and their active findings.
    analyzers: tuple[str, ...] = ()
    findings: tuple[AnalyzerFinding, ...] = ()
