"""Rules about roles' trust policies: who may assume them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit.findings import Resource, Result, Severity
from audit.model import PART_AUTHORIZATION, Snapshot
from audit.rules.registry import Context, rule


def _principals(principal: Any) -> list[str]:
    """Principal '*', {"AWS": "*"} or {"AWS": [...]}: the values, flattened."""
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        found: list[str] = []
        for value in principal.values():
            found += [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
        return found
    return []


def open_trust_statements(trust: Mapping[str, Any]) -> list[str]:
    """Sids (or positions) of Allow statements any principal can use without a condition."""
    raw = trust.get("Statement", [])
    statements = raw if isinstance(raw, list) else [raw]
    open_ones = []
    for n, st in enumerate(statements, start=1):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        if "*" in _principals(st.get("Principal")):
            open_ones.append(str(st.get("Sid") or f"statement {n}"))
    return open_ones


@rule(
    id="role-trust-any-principal",
    title="No role can be assumed by anyone",
    severity=Severity.CRITICAL,
    controls=(),
    rationale=(
        "A trust policy with Principal '*' and no condition lets any AWS account in the world "
        "assume the role and use its permissions."
    ),
    remediation=(
        "Name the accounts or roles that may assume the role, or add a condition "
        "(aws:PrincipalOrgID, sts:ExternalId): aws iam update-assume-role-policy --role-name ROLE "
        "--policy-document file://trust.json"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="role",
    beyond_benchmarks=True,
)
def role_trust_any_principal(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for role in snap.roles:
        res = Resource("role", role.name, role.arn)
        open_ones = open_trust_statements(role.assume_role_policy)
        if open_ones:
            yield Result.failed(
                res,
                f"Role {role.name} trusts any principal without a condition "
                f"({', '.join(open_ones)}).",
            )
        else:
            yield Result.passed(res, f"Role {role.name} trusts named principals only.")
