"""Unused access: stale roles, granted services nobody uses, MFA for every user, and the
findings of an Access Analyzer unused-access analyzer (ingested as AWS reported them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from audit.findings import Resource, Result, Severity, Status
from audit.model import (
    PART_ACCESS_ANALYZER,
    PART_AUTHORIZATION,
    PART_CREDENTIAL_REPORT,
    PART_LAST_ACCESSED,
    PART_UNUSED_FINDINGS,
    OutcomeStatus,
    Role,
    Snapshot,
)
from audit.model_unused import ACCESS_OK, PrincipalAccess
from audit.permissions import EffectivePermissions, admin_access, escalations
from audit.permissions.service_levels import GrantLevel, service_level
from audit.rules._access import access_analysis
from audit.rules._resources import account, day, iam_user_rows, unreported_users, user_resource
from audit.rules.controls import hub
from audit.rules.registry import Context, rule

SERVICE_ROLE_PATH = "/aws-service-role/"
_SHOWN = 5  # services spelled out per message; details carry them all


def is_service_linked(role: Role) -> bool:
    return role.path.startswith(SERVICE_ROLE_PATH)


def role_power(perms: EffectivePermissions) -> tuple[bool, tuple[str, ...]]:
    """Is the role an admin (* on *), and which escalation methods does it hold?"""
    admin = admin_access(perms).granted
    return admin, tuple(e.method.name for e in escalations(perms))


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def role_resource(role: Role) -> Resource:
    return Resource("role", role.name, role.arn)


@rule(
    id="role-unused",
    title="Roles unused for {unused_access_days} days are removed",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "A role nobody assumes is standing access: whoever can assume it (its trust policy) "
        "keeps its permissions, and no one would notice the first use in months. Service-linked "
        "roles are AWS's to manage and are reported apart, never failed."
    ),
    remediation=(
        "Confirm with the owner, then detach its policies and delete it: "
        "aws iam list-attached-role-policies --role-name ROLE; aws iam detach-role-policy "
        "--role-name ROLE --policy-arn ARN; aws iam delete-role --role-name ROLE"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="role",
)
def role_unused(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    limit = ctx.thresholds.unused_access_days
    for role in snap.roles:
        res = role_resource(role)
        if role.last_used is not None:
            days, how = ctx.days_since(role.last_used), f"last used {day(role.last_used)}"
            where = f" in {role.last_used_region}" if role.last_used_region else ""
            how += where
        elif role.create_date is not None:
            # AWS records role use over the last 400 days: "none" may be older than that.
            days, how = (
                ctx.days_since(role.create_date),
                (f"no use recorded since it was created {day(role.create_date)}"),
            )
        else:
            yield Result.not_assessed(res, f"Role {role.name}: no last-use or creation date.")
            continue
        stale = days > limit
        if is_service_linked(role):
            # Reported apart (info): the service that created it deletes it, not IAM.
            word = f"unused for {days} days" if stale else "in use"
            yield Result(
                Status.PASS,
                res,
                f"Service-linked role {role.name} is {word} ({how}); AWS manages it.",
                {"service_linked": True, "stale": stale, "days": days},
                Severity.INFO,
            )
        elif not stale:
            yield Result.passed(res, f"Role {role.name}: {how} ({_days(days)}; limit {limit}).")
        else:
            perms = access_analysis(snap, ctx).role(role)
            admin, methods = role_power(perms)
            powers = (["admin (* on *)"] if admin else []) + (
                [f"can escalate ({', '.join(methods[:3])})"] if methods else []
            )
            power = f"; it is {' and '.join(powers)}" if powers else ""
            if not powers and not perms.complete:
                power = f"; its permissions are not fully known ({', '.join(perms.unresolved)})"
            yield Result.failed(
                res,
                f"Role {role.name} unused for {days} days ({how}; limit {limit}){power}.",
                severity=Severity.MEDIUM if powers else None,
                days=days,
                admin=admin,
                escalation=list(methods),
            )


@rule(
    id="user-mfa-all",
    title="Every IAM user has an MFA device",
    severity=Severity.MEDIUM,
    controls=hub(19),
    rationale=(
        "Security Hub IAM.19 asks MFA of every IAM user, console or not: a user without a "
        "password today can be given one tomorrow, and MFA conditions in policies only protect "
        "users who have a device."
    ),
    remediation=(
        "Enrol an MFA device for the user (IAM console > Users > USER > Security credentials > "
        "Assign MFA device; aws iam enable-mfa-device --user-name USER --serial-number SERIAL "
        "--authentication-code1 CODE1 --authentication-code2 CODE2), or replace the user with "
        "a role if it is a workload."
    ),
    requires=(PART_CREDENTIAL_REPORT,),
    resource_type="user",
)
def user_mfa_all(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for row in iam_user_rows(snap):
        if row.mfa_active:
            yield Result.passed(user_resource(row), f"{row.user} has an MFA device.")
        else:
            console = "console password" if row.password_enabled else "no console password"
            yield Result.failed(user_resource(row), f"{row.user} has no MFA device ({console}).")
    yield from unreported_users(snap)


def _principal_power(
    snap: Snapshot, ctx: Context, p: PrincipalAccess
) -> EffectivePermissions | None:
    analysis = access_analysis(snap, ctx)
    if p.kind == "role":
        role = next((r for r in snap.roles if r.arn == p.arn), None)
        return analysis.role(role) if role else None
    user = next((u for u in snap.users if u.arn == p.arn), None)
    return analysis.user(user) if user else None


def _created(snap: Snapshot, p: PrincipalAccess) -> datetime | None:
    holders = snap.roles if p.kind == "role" else snap.users
    return next((h.create_date for h in holders if h.arn == p.arn), None)


@rule(
    id="permissions-unused",
    title="Users and roles used every granted service within {unused_access_days} days",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "Permissions nobody uses are pure exposure: removing them costs nothing today and "
        "limits what a leaked key or a confused deputy can do. IAM's service-last-accessed "
        "report says which granted services a principal has not touched."
    ),
    remediation=(
        "Remove the unused services from the principal's policies (start with admin and write "
        "grants), or generate a policy from its activity: IAM console > Roles/Users > NAME > "
        "Last Accessed, or aws accessanalyzer start-policy-generation."
    ),
    requires=(PART_AUTHORIZATION, PART_LAST_ACCESSED),
    resource_type="principal",
)
def permissions_unused(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    limit = ctx.thresholds.unused_access_days
    service_linked = {r.arn for r in snap.roles if is_service_linked(r)}
    for p in snap.unused_access.last_accessed:
        if p.arn in service_linked:
            continue  # AWS sets and manages its permissions
        res = Resource(p.kind, p.name, p.arn)
        if p.status != ACCESS_OK:
            yield Result.not_assessed(res, f"{p.name}: {p.reason}")
            continue
        created = _created(snap, p)
        if created is not None and ctx.days_since(created) <= limit:
            yield Result.passed(
                res, f"{p.name} was created {ctx.days_since(created)} days ago (limit {limit})."
            )
            continue
        unused = [
            s
            for s in p.services
            if s.last_authenticated is None or ctx.days_since(s.last_authenticated) > limit
        ]
        if not unused:
            yield Result.passed(
                res,
                f"{p.name} used each of its {len(p.services)} granted services within "
                f"{limit} days.",
            )
            continue
        perms = _principal_power(snap, ctx, p)
        graded = sorted(
            (
                (service_level(perms, s.namespace) if perms else GrantLevel.GRANTED, s)
                for s in unused
            ),
            key=lambda pair: (-pair[0], pair[1].namespace),
        )
        shown = ", ".join(f"{s.namespace} ({level.label})" for level, s in graded[:_SHOWN])
        more = f" and {len(graded) - _SHOWN} more" if len(graded) > _SHOWN else ""
        yield Result.failed(
            res,
            f"{p.name}: {len(graded)} of {len(p.services)} granted services unused for {limit} "
            f"days: {shown}{more}.",
            severity=Severity.MEDIUM if graded[0][0] >= GrantLevel.WRITE else None,
            unused=[
                {
                    "service": s.namespace,
                    "name": s.name,
                    "level": level.label,
                    "last_used": day(s.last_authenticated) if s.last_authenticated else None,
                }
                for level, s in graded
            ],
            granted=len(p.services),
        )


def _finding_resource(arn: str, resource_type: str) -> Resource:
    kind = "role" if resource_type == "AWS::IAM::Role" else "user"
    return Resource(kind, arn.rsplit("/", 1)[-1], arn)


@rule(
    id="access-analyzer-unused-findings",
    title="An unused-access analyzer has no active findings",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "IAM Access Analyzer's unused-access analyzer watches roles, keys, passwords and "
        "permissions over time; its active findings are access nobody uses. They are reported "
        "here as AWS computed them, per principal."
    ),
    remediation=(
        "Review each finding (IAM console > Access analyzer > Unused access) and remove what "
        "is unused, or archive the finding with a reason: "
        "aws accessanalyzer update-findings --analyzer-arn ARN --ids ID --status ARCHIVED"
    ),
    requires=(PART_ACCESS_ANALYZER, PART_UNUSED_FINDINGS),
    resource_type="principal",
    regional=True,
)
def access_analyzer_unused_findings(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    data = snap.unused_access
    failed = [
        o
        for o in snap.outcomes
        if o.part == PART_UNUSED_FINDINGS and o.status is not OutcomeStatus.OK
    ]
    for gap in failed:
        yield Result.not_assessed(
            account(snap),
            f"not collected: {gap.api} in {gap.region} {gap.status.value}: {gap.message}",
        )
    if not data.analyzers:
        yield Result.not_assessed(
            account(snap),
            "No active unused-access analyzer (ACCOUNT_UNUSED_ACCESS or "
            "ORGANIZATION_UNUSED_ACCESS) in the regions checked: nothing to ingest.",
        )
        return
    acct = snap.meta.account_id
    by_arn: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    for f in data.findings:
        if f.status.upper() != "ACTIVE" or f":{acct}:" not in f.resource_arn:
            continue  # other accounts' findings (organization analyzer) are theirs to review
        by_arn.setdefault(f.resource_arn, []).append(f.finding_type)
        types[f.resource_arn] = f.resource_type
    principals = [(r.arn, role_resource(r)) for r in snap.roles]
    principals += [(u.arn, user_resource(u)) for u in snap.users]
    known = {arn for arn, _ in principals}
    principals += [(a, _finding_resource(a, types[a])) for a in sorted(by_arn) if a not in known]
    for arn, res in principals:
        kinds = sorted(by_arn.get(arn, []))
        if kinds:
            yield Result.failed(
                res,
                f"{res.name}: {len(kinds)} active unused-access finding(s): {', '.join(kinds)}.",
                finding_types=kinds,
            )
        else:
            yield Result.passed(res, f"{res.name}: no active unused-access finding.")
