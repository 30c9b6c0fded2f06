"""Small helpers shared by rule modules: resource descriptors and date wording."""

from __future__ import annotations

from datetime import datetime

from audit.findings import Resource
from audit.model import CredentialRow, Sentinel, Snapshot, User


def account(snapshot: Snapshot) -> Resource:
    acct = snapshot.meta.account_id
    return Resource("account", acct, f"arn:{snapshot.meta.partition}:iam::{acct}:root")


def user_resource(row: CredentialRow | User) -> Resource:
    name = row.user if isinstance(row, CredentialRow) else row.name
    return Resource("user", name, row.arn)


def iam_user_rows(snapshot: Snapshot) -> list[CredentialRow]:
    """Credential-report rows of IAM users (the root row is judged by the root rules)."""
    return [r for r in snapshot.credential_report if not r.is_root]


def day(when: datetime | None) -> str:
    return when.date().isoformat() if when else "unknown"


def key_usage_unknown(row: CredentialRow, slot: int) -> bool:
    """AWS could not report the key's last use (not_supported): unknown, not "never used"."""
    return row.sentinel(f"access_key_{slot}_last_used_date") == Sentinel.NOT_SUPPORTED
