"""Rules about roles' trust policies: who may assume them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit.findings import Resource, Result, Severity
from audit.model import PART_AUTHORIZATION, Role, Snapshot
from audit.rules.registry import Context, rule


def principal_values(principal: Any) -> list[str]:
    """Principal '*', {"AWS": "*"} or {"AWS": [...]}: the values, flattened."""
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        found: list[str] = []
        for value in principal.values():
            found += [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
        return found
    return []


# Condition keys that narrow *who* may assume a role open to Principal "*". Keys any caller
# controls (aws:PrincipalTag/..., aws:SourceIdentity) or that say nothing about the caller
# (aws:SecureTransport, aws:MultiFactorAuthPresent) do not.
_WHO_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:userid",
        "sts:ExternalId",
    )
)
# Operators that require a match. Negated ones, Null and ...IfExists let through every caller
# that does not carry the key or does not match.
_MATCHING_OPERATORS = frozenset(
    ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")
)
_GITHUB_OIDC = "token.actions.githubusercontent.com"


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def restricting_keys(condition: Any) -> set[str]:
    """Lower-cased keys of ``condition`` that must match a specific value for access."""
    keys: set[str] = set()
    if not isinstance(condition, Mapping):
        return keys
    for operator, block in condition.items():
        base = str(operator).split(":")[-1].lower()  # drop ForAnyValue:/ForAllValues:
        if base not in _MATCHING_OPERATORS or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            if isinstance(value, str | list) and all(v.strip("*") for v in _values(value)):
                keys.add(str(key).lower())
    return keys


def _open_reason(st: Mapping[str, Any]) -> str | None:
    """Why this Allow statement lets anyone assume the role, or None when it does not."""
    principal = st.get("Principal")
    keys = restricting_keys(st.get("Condition"))
    if "*" in principal_values(principal):
        if keys & _WHO_KEYS:
            return None
        return "any principal" + (
            " (its condition does not limit who)" if st.get("Condition") else ""
        )
    federated = principal.get("Federated") if isinstance(principal, Mapping) else None
    for provider in _values(federated or []):
        if "oidc-provider/" not in provider:
            continue  # SAML providers and Cognito/Amazon/Google/Facebook logins: not judged here
        issuer = provider.split("oidc-provider/", 1)[1]
        subject = any(k.endswith(":sub") for k in keys)
        audience = any(k.endswith(":aud") for k in keys)
        # GitHub's audience is a public constant: only the subject (repo, branch) limits who.
        if issuer.startswith(_GITHUB_OIDC) and not subject:
            return f"every GitHub Actions workflow (no {_GITHUB_OIDC}:sub condition)"
        if not (subject or audience):
            return f"any identity of {issuer} (no :sub or :aud condition)"
    return None


def open_trust_statements(trust: Mapping[str, Any]) -> list[str]:
    """'who (Sid)' for each Allow statement that lets anyone (or any workload) assume the role."""
    raw = trust.get("Statement", [])
    statements = raw if isinstance(raw, list) else [raw]
    open_ones = []
    for n, st in enumerate(statements, start=1):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        reason = _open_reason(st)
        if reason:
            open_ones.append(f"{reason} ({st.get('Sid') or f'statement {n}'})")
    return open_ones


def unreadable_trust(role: Role) -> Result:
    """Not assessed: the role's trust policy is not JSON, so who may assume it is unknown."""
    return Result.not_assessed(
        Resource("role", role.name, role.arn),
        f"Role {role.name}: trust policy unreadable: {role.trust_unreadable}",
    )


@rule(
    id="role-trust-any-principal",
    title="No role can be assumed by anyone",
    severity=Severity.CRITICAL,
    controls=(),
    rationale=(
        "A trust policy with Principal '*' and no condition on who the caller is lets any AWS "
        "account in the world assume the role; an OIDC trust without a subject condition does "
        "the same for every workload of the identity provider (e.g. any GitHub repository)."
    ),
    remediation=(
        "Name the accounts or roles that may assume the role, or add a condition "
        "(aws:PrincipalOrgID, sts:ExternalId): aws iam update-assume-role-policy --role-name ROLE "
        "--policy-document file://trust.json"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="role",
)
def role_trust_any_principal(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for role in snap.roles:
        res = Resource("role", role.name, role.arn)
        open_ones = open_trust_statements(role.assume_role_policy)
        if role.trust_unreadable:
            yield unreadable_trust(role)
        elif open_ones:
            yield Result.failed(
                res,
                f"Role {role.name} can be assumed by {'; '.join(open_ones)}.",
            )
        else:
            yield Result.passed(res, f"Role {role.name} trusts named principals only.")
