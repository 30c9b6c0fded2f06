"""role-trust-any-principal on real-world trust policies: which conditions really limit who."""

from __future__ import annotations

from typing import Any

from audit.findings import Status
from audit.model import PART_AUTHORIZATION, Role
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import doc, role, snapshot, without
from tests.rules.builders import by_name, run, statuses

ASSUME = "sts:AssumeRole"
WEB = "sts:AssumeRoleWithWebIdentity"
GITHUB = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
EKS = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
SAML = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/Okta"


def _role(name: str, statement: dict[str, Any]) -> Role:
    return role(name, trust=doc(statement))


def _anyone(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ASSUME, "Condition": condition}


def _oidc(provider: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": WEB}
    if condition:
        st["Condition"] = condition
    return st


ROLES = (
    # Principal "*" with conditions that do not say who the caller is: still open.
    _role("tls-only", _anyone({"Bool": {"aws:SecureTransport": "true"}})),
    _role("mfa-anywhere", _anyone({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
    _role("not-our-org", _anyone({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}})),
    _role("if-exists", _anyone({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})),
    _role("org-wildcard", _anyone({"StringLike": {"aws:PrincipalOrgID": "*"}})),
    _role("caller-tag", _anyone({"StringEquals": {"aws:PrincipalTag/team": "ops"}})),
    # ... and conditions that do.
    _role("our-org", _anyone({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})),
    _role("external-id", _anyone({"StringEquals": {"sts:ExternalId": "x-123"}})),
    _role(
        "our-accounts",
        _anyone({"ForAnyValue:StringLike": {"aws:PrincipalArn": ["arn:aws:iam::1:role/ci-*"]}}),
    ),
    # OIDC: GitHub needs a subject; other issuers an audience or a subject.
    _role(
        "gh-any-repo",
        _oidc(GITHUB, {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts"}}),
    ),
    _role("gh-no-condition", _oidc(GITHUB)),
    _role(
        "gh-one-repo",
        _oidc(GITHUB, {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/r:*"}}),
    ),
    _role("eks-no-condition", _oidc(EKS)),
    _role(
        "eks-service-account",
        _oidc(EKS, {"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:sa"}}),
    ),
    # SAML federation trusts the account's own identity provider: not judged as open.
    _role("saml", {"Effect": "Allow", "Principal": {"Federated": SAML}, "Action": ASSUME}),
)


def test_only_conditions_on_the_caller_close_a_wildcard_trust() -> None:
    got = run("role-trust-any-principal", snapshot(roles=ROLES))
    assert statuses(got) == {
        "tls-only": Status.FAIL,
        "mfa-anywhere": Status.FAIL,
        "not-our-org": Status.FAIL,
        "if-exists": Status.FAIL,
        "org-wildcard": Status.FAIL,
        "caller-tag": Status.FAIL,
        "our-org": Status.PASS,
        "external-id": Status.PASS,
        "our-accounts": Status.PASS,
        "gh-any-repo": Status.FAIL,
        "gh-no-condition": Status.FAIL,
        "gh-one-repo": Status.PASS,
        "eks-no-condition": Status.FAIL,
        "eks-service-account": Status.PASS,
        "saml": Status.PASS,
    }
    found = by_name(got)
    assert "its condition does not limit who" in found["tls-only"].message
    assert "every GitHub Actions workflow" in found["gh-any-repo"].message
    assert "any identity of oidc.eks.eu-west-1.amazonaws.com/id/ABC" in (
        found["eks-no-condition"].message
    )


def test_not_assessed_without_the_roles() -> None:
    got = run("role-trust-any-principal", without(snapshot(roles=ROLES), PART_AUTHORIZATION))
    assert [f.status for f in got] == [Status.NOT_ASSESSED]
