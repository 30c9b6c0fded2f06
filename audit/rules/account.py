"""Account-wide services around IAM: server certificates, Access Analyzer, federation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from audit.findings import Resource, Result, Severity
from audit.model import (
    PART_ACCESS_ANALYZER,
    PART_IDENTITY_PROVIDERS,
    PART_SERVER_CERTIFICATES,
    OutcomeStatus,
    Snapshot,
)
from audit.rules._resources import account, day
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, rule

_EXTERNAL_ACCESS_TYPES = ("ACCOUNT", "ORGANIZATION")


@rule(
    id="server-certificate-expired",
    title="Expired server certificates are removed from IAM",
    severity=Severity.MEDIUM,
    controls=cis("1.19", "1.19", "1.18", "2.18") + hub(26),
    rationale=(
        "An expired certificate still deployable to a load balancer or CloudFront breaks trust "
        "for users and shows that certificates are not looked after."
    ),
    remediation=(
        "Replace it where it is used (ACM is the better home for certificates), then: "
        "aws iam delete-server-certificate --server-certificate-name CERT_NAME"
    ),
    requires=(PART_SERVER_CERTIFICATES,),
    resource_type="server_certificate",
)
def server_certificate_expired(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    ahead = ctx.thresholds.server_certificate_expiry_days
    horizon = ctx.as_of + timedelta(days=ahead)
    for cert in snap.server_certificates:
        res = Resource("server_certificate", cert.name, cert.arn)
        if cert.expiration is None:
            yield Result.not_assessed(res, f"Certificate {cert.name} has no expiration date.")
        elif cert.expiration <= ctx.as_of:
            yield Result.failed(
                res,
                f"Certificate {cert.name} expired on {day(cert.expiration)}, "
                f"{ctx.days_since(cert.expiration)} days ago.",
                expired=day(cert.expiration),
            )
        elif cert.expiration <= horizon:
            yield Result.failed(
                res,
                f"Certificate {cert.name} expires on {day(cert.expiration)}, within {ahead} days.",
                severity=Severity.LOW,
            )
        else:
            yield Result.passed(
                res, f"Certificate {cert.name} is valid until {day(cert.expiration)}."
            )


@rule(
    id="access-analyzer-enabled",
    title="IAM Access Analyzer is enabled in every region",
    severity=Severity.LOW,
    controls=cis("1.20", "1.20", "1.19", "2.19") + hub(28),
    rationale=(
        "Access Analyzer flags buckets, keys and roles shared outside the account; without it "
        "external access is found by attackers first."
    ),
    remediation=(
        "Create an account analyzer in each region: aws accessanalyzer create-analyzer "
        "--analyzer-name account-analyzer --type ACCOUNT --region REGION "
        "(console: IAM > Access analyzer > Create analyzer)"
    ),
    requires=(PART_ACCESS_ANALYZER,),
    resource_type="region",
    regional=True,
)
def access_analyzer_enabled(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    # The engine lets this rule run when only some regions failed; those are not assessed.
    failed = {
        o.region: o
        for o in snap.outcomes
        if o.part == PART_ACCESS_ANALYZER and o.region and o.status is not OutcomeStatus.OK
    }
    active: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    for analyzer in snap.access_analyzers:
        if analyzer.status.upper() != "ACTIVE":
            continue
        # Only external-access analyzers (ACCOUNT, ORGANIZATION) meet the control; unused- and
        # internal-access analyzers (ACCOUNT_UNUSED_ACCESS, ...) do not find external sharing.
        kind = analyzer.type.upper()
        found = active if kind in _EXTERNAL_ACCESS_TYPES else other
        found.setdefault(analyzer.region, []).append(f"{analyzer.name} ({kind or 'no type'})")
    regions = snap.meta.regions or tuple(sorted({a.region for a in snap.access_analyzers}))
    regions = tuple(sorted({*regions, *failed}))
    if not regions:
        yield Result.failed(account(snap), "No IAM Access Analyzer was found in any region.")
        return
    for region in regions:
        res = Resource("region", region)
        names = active.get(region)
        gap = failed.get(region)
        if gap is not None:
            detail = f": {gap.message}" if gap.message else ""
            yield Result.not_assessed(
                res, f"{region}: not collected: {gap.api} {gap.status.value}{detail}"
            )
        elif names:
            yield Result.passed(res, f"{region}: active analyzer {', '.join(names)}.")
        else:
            only = f" (only {', '.join(other[region])})" if region in other else ""
            yield Result.failed(
                res, f"{region}: no active IAM Access Analyzer for external access{only}."
            )


@rule(
    id="identity-federation",
    title="People sign in through a central identity provider",
    severity=Severity.INFO,
    controls=cis("1.21", "1.21", "1.20", "2.20"),
    rationale=(
        "Identities managed centrally (IAM Identity Center, SAML or OIDC) are removed when "
        "people leave; IAM users in each account are forgotten."
    ),
    remediation=(
        "Set up IAM Identity Center or an external identity provider and move people off IAM "
        "users: aws iam create-saml-provider --name IDP_NAME --saml-metadata-document "
        "file://metadata.xml"
    ),
    requires=(PART_IDENTITY_PROVIDERS,),
)
def identity_federation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    providers = len(snap.saml_providers) + len(snap.oidc_providers)
    if providers:
        yield Result.passed(
            account(snap),
            f"{len(snap.saml_providers)} SAML and {len(snap.oidc_providers)} OIDC provider(s).",
        )
    else:
        yield Result.failed(account(snap), "The account has no SAML or OIDC identity provider.")
