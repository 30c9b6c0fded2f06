"""Rules about the account password policy."""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import PART_PASSWORD_POLICY, Snapshot
from audit.rules._resources import account
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, rule

NO_POLICY = (
    "The account has no password policy, so AWS defaults apply (8 characters, no reuse check)."
)


@rule(
    id="password-min-length",
    title="The password policy requires at least 14 characters",
    severity=Severity.MEDIUM,
    controls=cis("1.8", "1.8", "1.7", "2.7") + hub(15),
    rationale=(
        "Long passwords resist guessing and offline cracking far better than complex short ones."
    ),
    remediation=(
        "IAM console > Account settings > Password policy > Edit: minimum length 14 or more. "
        "CLI: aws iam update-account-password-policy --minimum-password-length 14 "
        "(repeat every other setting you want kept: the call replaces the whole policy)"
    ),
    requires=(PART_PASSWORD_POLICY,),
)
def password_min_length(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    acct = account(snap)
    policy = snap.password_policy
    wanted = ctx.thresholds.password_min_length
    if policy is None:
        yield Result.failed(acct, NO_POLICY)
        return
    length = policy.minimum_password_length or 0
    if length < wanted:
        yield Result.failed(
            acct, f"Minimum password length is {length}; at least {wanted} required."
        )
    else:
        yield Result.passed(acct, f"Minimum password length is {length} (>= {wanted}).")
