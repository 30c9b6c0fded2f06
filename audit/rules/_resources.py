"""Small helpers shared by rule modules: resource descriptors and date wording."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from audit.findings import Resource, Result
from audit.model import (
    CREDENTIAL_REPORT_COLUMNS,
    PART_AUTHORIZATION,
    CredentialRow,
    Sentinel,
    Snapshot,
    User,
)


def account(snapshot: Snapshot) -> Resource:
    acct = snapshot.meta.account_id
    return Resource("account", acct, f"arn:{snapshot.meta.partition}:iam::{acct}:root")


def user_resource(row: CredentialRow | User) -> Resource:
    name = row.user if isinstance(row, CredentialRow) else row.name
    return Resource("user", name, row.arn)


def key_columns(*fields: str) -> tuple[str, ...]:
    """Both access-key slots' columns: key_columns("active") -> access_key_1_active, ..._2_..."""
    return tuple(f"access_key_{slot}_{name}" for slot in (1, 2) for name in fields)


def iam_user_rows(
    snapshot: Snapshot, reads: Sequence[str] = CREDENTIAL_REPORT_COLUMNS
) -> list[CredentialRow]:
    """Credential-report rows of IAM users whose ``reads`` columns could all be read.

    The root row is judged by the root rules; rows with an unreadable column among ``reads``
    are reported by :func:`unreported_users` instead.
    """
    return [
        r
        for r in snapshot.credential_report
        if not r.is_root and r.unreadable_reason(reads) is None
    ]


def unreadable(row: CredentialRow, reads: Sequence[str]) -> str | None:
    """The not-assessed message when ``row`` lacks a readable value among ``reads``."""
    why = row.unreadable_reason(reads)
    return f"{row.user}: the credential report cannot tell: {why}." if why else None


def unreported_users(
    snapshot: Snapshot, reads: Sequence[str] = CREDENTIAL_REPORT_COLUMNS
) -> list[Result]:
    """Not assessed: users the credential report does not list, or lists unreadably.

    AWS hands back a cached report up to 4 hours old, so a user created since then is missing
    from it; the credential rules cannot judge that user, which must not read as a pass. Nor
    can they judge a row whose ``reads`` columns were cut off or impossible.
    """
    unread = [
        Result.not_assessed(user_resource(r), message)
        for r in snapshot.credential_report
        if not r.is_root and (message := unreadable(r, reads))
    ]
    if not snapshot.has_part(PART_AUTHORIZATION):
        return unread
    reported = {r.user for r in snapshot.credential_report}
    generated = snapshot.meta.credential_report_generated_at
    when = f" (generated {generated.isoformat(timespec='minutes')})" if generated else ""
    return unread + [
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
