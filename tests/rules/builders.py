"""Hand-built snapshots for rule tests: model objects directly, credential reports as AWS CSV."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.collect.credential_report import parse_credential_report
from audit.engine import evaluate
from audit.findings import Finding, Status
from audit.model import (
    ALL_PARTS,
    ApiOutcome,
    AttachedPolicy,
    CredentialRow,
    Group,
    InlinePolicy,
    ManagedPolicy,
    OutcomeStatus,
    Snapshot,
    SnapshotMeta,
    User,
)
from audit.rules.registry import REGISTRY
from audit.settings import Settings
from tests.fixtures.credential_reports import ACCOUNT_ID, make_report_csv

T0 = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
AWS_POLICY = "arn:aws:iam::aws:policy"


def iso(days_ago: int) -> str:
    """A credential-report timestamp ``days_ago`` before T0, as AWS writes it."""
    return (T0.replace(hour=8) - timedelta(days=days_ago)).isoformat()


def ago(days: int) -> datetime:
    return T0 - timedelta(days=days)


def report(*rows: Mapping[str, str]) -> tuple[CredentialRow, ...]:
    return parse_credential_report(make_report_csv([dict(r) for r in rows]))


def snapshot(**parts: Any) -> Snapshot:
    """A snapshot with every part collected (ok), holding what ``parts`` gives."""
    meta = SnapshotMeta(
        account_id=ACCOUNT_ID,
        partition="aws",
        collected_at=T0,
        tool_version="test",
        regions=parts.pop("regions", ()),
    )
    outcomes = tuple(ApiOutcome(api=p, part=p, status=OutcomeStatus.OK) for p in ALL_PARTS)
    return Snapshot(meta=meta, outcomes=outcomes, **parts)


def without(snap: Snapshot, part: str) -> Snapshot:
    """The same snapshot with ``part`` denied."""
    outcomes = tuple(
        replace(o, status=OutcomeStatus.ACCESS_DENIED, message="AccessDenied")
        if o.part == part
        else o
        for o in snap.outcomes
    )
    return replace(snap, outcomes=outcomes)


def run(rule_id: str, snap: Snapshot, settings: Settings | None = None) -> list[Finding]:
    return list(evaluate(snap, as_of=T0, settings=settings, rules=[REGISTRY[rule_id]]).findings)


def by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {f.resource_name: f for f in findings}


def statuses(findings: list[Finding]) -> dict[str, Status]:
    return {f.resource_name: f.status for f in findings}


def doc(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [dict(s) for s in statements]}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def user(
    name: str,
    *,
    groups: tuple[str, ...] = (),
    inline: Mapping[str, Mapping[str, Any]] | None = None,
    attached: tuple[ManagedPolicy, ...] = (),
    boundary: str | None = None,
) -> User:
    return User(
        name=name,
        arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{name}",
        user_id=f"AIDA{name.upper()}",
        path="/",
        create_date=ago(400),
        groups=groups,
        inline_policies=tuple(InlinePolicy(k, v) for k, v in (inline or {}).items()),
        attached_policies=tuple(AttachedPolicy(p.name, p.arn) for p in attached),
        permissions_boundary_arn=boundary,
    )


def group(
    name: str,
    *,
    inline: Mapping[str, Mapping[str, Any]] | None = None,
    attached: tuple[ManagedPolicy, ...] = (),
) -> Group:
    return Group(
        name=name,
        arn=f"arn:aws:iam::{ACCOUNT_ID}:group/{name}",
        group_id=f"AGPA{name.upper()}",
        path="/",
        create_date=ago(500),
        inline_policies=tuple(InlinePolicy(k, v) for k, v in (inline or {}).items()),
        attached_policies=tuple(AttachedPolicy(p.name, p.arn) for p in attached),
    )


def policy(
    name: str, document: Mapping[str, Any], *, attachments: int = 1, aws: bool = False
) -> ManagedPolicy:
    owner = "aws" if aws else ACCOUNT_ID
    return ManagedPolicy(
        name=name,
        arn=f"arn:aws:iam::{owner}:policy/{name}",
        policy_id=f"ANPA{name.upper()}",
        path="/",
        default_version_id="v1",
        document=document,
        attachment_count=attachments,
    )


ADMIN = policy("AdministratorAccess", doc(allow("*")), aws=True)
