"""Rules about the root user."""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import PART_ACCOUNT_SUMMARY, PART_CREDENTIAL_REPORT, Snapshot
from audit.rules._resources import account
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, rule


@rule(
    id="root-access-key",
    title="The root user has no access keys",
    severity=Severity.CRITICAL,
    controls=cis("1.4", "1.4", "1.3", "2.3") + hub(4),
    rationale=(
        "Root access keys carry unrestricted power over the account and cannot be limited by "
        "any policy; a leaked root key is a full compromise."
    ),
    remediation=(
        "Sign in as root, open Security credentials, deactivate and delete every access key. "
        "Verify with: aws iam get-account-summary --query SummaryMap.AccountAccessKeysPresent"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
)
def root_access_key(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    acct = account(snap)
    root = snap.root_row
    if root is not None:
        active = [k.slot for k in root.access_keys if k.active]
        if active:
            slots = ", ".join(str(s) for s in active)
            yield Result.failed(acct, f"The root user has active access key(s) in slot {slots}.")
        else:
            yield Result.passed(acct, "The root user has no active access keys.")
        return
    # Some endpoints (moto) omit the root row; the account summary says the same thing.
    if snap.has_part(PART_ACCOUNT_SUMMARY) and "AccountAccessKeysPresent" in snap.account_summary:
        if snap.account_summary["AccountAccessKeysPresent"]:
            yield Result.failed(acct, "The account summary reports root access keys present.")
        else:
            yield Result.passed(acct, "The account summary reports no root access keys.")
        return
    yield Result.not_assessed(
        acct, "The credential report has no <root_account> row and no account summary."
    )
