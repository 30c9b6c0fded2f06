"""Small helpers shared by rule modules: resource descriptors and date wording."""

from __future__ import annotations

from datetime import datetime

from audit.findings import Resource, Result
from audit.model import PART_AUTHORIZATION, CredentialRow, Sentinel, Snapshot, User


def account(snapshot: Snapshot) -> Resource:
    acct = snapshot.meta.account_id
    return Resource("account", acct, f"arn:{snapshot.meta.partition}:iam::{acct}:root")


def user_resource(row: CredentialRow | User) -> Resource:
    name = row.user if isinstance(row, CredentialRow) else row.name
    return Resource("user", name, row.arn)


def iam_user_rows(snapshot: Snapshot) -> list[CredentialRow]:
    """Credential-report rows of IAM users (the root row is judged by the root rules)."""
    return [r for r in snapshot.credential_report if not r.is_root]


def unreported_users(snapshot: Snapshot) -> list[Result]:
    """Not assessed: users the account has but the credential report does not list.

    AWS hands back a cached report up to 4 hours old, so a user created since then is missing
    from it; the credential rules cannot judge that user, which must not read as a pass.
    """
    if not snapshot.has_part(PART_AUTHORIZATION):
        return []
    reported = {r.user for r in snapshot.credential_report}
    generated = snapshot.meta.credential_report_generated_at
    when = f" (generated {generated.isoformat(timespec='minutes')})" if generated else ""
    return [
        Result.not_assessed(
            user_resource(u),
            f"{u.name} is not in the credential report{when}; created after it was generated?",
        )
        for u in snapshot.users
        if u.name not in reported
    ]


def day(when: datetime | None) -> str:
    return when.date().isoformat() if when else "unknown"


def key_usage_unknown(row: CredentialRow, slot: int) -> bool:
    """AWS could not report the key's last use (not_supported): unknown, not "never used"."""
    return row.sentinel(f"access_key_{slot}_last_used_date") == Sentinel.NOT_SUPPORTED


def policies_verdict(
    resource: Resource, owner: str, kind: str, names: list[str], passed: str
) -> Result:
    """Fail naming the policies ("alice has inline policies: a, b"), or pass with ``passed``."""
    if names:
        noun = "policy" if len(names) == 1 else "policies"
        return Result.failed(
            resource, f"{owner} has {kind} {noun}: {', '.join(names)}", policies=names
        )
    return Result.passed(resource, passed)
