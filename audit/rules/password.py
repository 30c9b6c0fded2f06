"""Rules about the account password policy."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from audit.findings import Resource, Result, Severity
from audit.model import PART_PASSWORD_POLICY, PasswordPolicy, Snapshot
from audit.rules._resources import account
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, RuleCheck, rule

NO_POLICY = (
    "The account has no password policy, so AWS defaults apply (8 characters, no reuse check)."
)

PolicyCheck = Callable[[PasswordPolicy, Context, Resource], Result]


def on_policy(check: PolicyCheck) -> RuleCheck:
    """Judge the account's password policy; having none at all fails every such rule."""

    @functools.wraps(check)
    def run(snap: Snapshot, ctx: Context) -> Iterator[Result]:
        acct = account(snap)
        if snap.password_policy is None:
            yield Result.failed(acct, NO_POLICY)
        else:
            yield check(snap.password_policy, ctx, acct)

    return run


@rule(
    id="password-min-length",
    title="The password policy requires at least {password_min_length} characters",
    severity=Severity.MEDIUM,
    controls=cis("1.8", "1.8", "1.7", "2.7") + hub(15),
    rationale=(
        "Long passwords resist guessing and offline cracking far better than complex short ones."
    ),
    remediation=(
        "IAM console > Account settings > Password policy > Edit: minimum length "
        "{password_min_length} or more. CLI: aws iam update-account-password-policy "
        "--minimum-password-length {password_min_length} "
        "(repeat every other setting you want kept: the call replaces the whole policy)"
    ),
    requires=(PART_PASSWORD_POLICY,),
)
@on_policy
def password_min_length(policy: PasswordPolicy, ctx: Context, acct: Resource) -> Result:
    wanted = ctx.thresholds.password_min_length
    length = policy.minimum_password_length or 0
    if length < wanted:
        return Result.failed(
            acct, f"Minimum password length is {length}; at least {wanted} required."
        )
    return Result.passed(acct, f"Minimum password length is {length} (>= {wanted}).")


@rule(
    id="password-reuse",
    title="The password policy prevents reusing the last {password_reuse_prevention} passwords",
    severity=Severity.MEDIUM,
    controls=cis("1.9", "1.9", "1.8", "2.8") + hub(16),
    rationale=(
        "Without a reuse check a user told to change a leaked password can set the same one "
        "again, or cycle back to it."
    ),
    remediation=(
        "IAM console > Account settings > Password policy > Edit: prevent password reuse, "
        "remember {password_reuse_prevention}. CLI: aws iam update-account-password-policy "
        "--password-reuse-prevention {password_reuse_prevention} "
        "(repeat every other setting you want kept)"
    ),
    requires=(PART_PASSWORD_POLICY,),
)
@on_policy
def password_reuse(policy: PasswordPolicy, ctx: Context, acct: Resource) -> Result:
    wanted = ctx.thresholds.password_reuse_prevention
    remembered = policy.password_reuse_prevention or 0
    if remembered < wanted:
        said = f"remembers {remembered}" if remembered else "does not prevent reuse"
        return Result.failed(acct, f"The password policy {said}; at least {wanted} required.")
    return Result.passed(acct, f"The password policy remembers {remembered} passwords.")


@rule(
    id="password-complexity",
    title="The password policy requires upper and lower case letters, numbers and symbols",
    severity=Severity.LOW,
    controls=hub(11, 12, 13, 14),
    rationale=(
        "Character classes raise the cost of guessing short passwords; Security Hub checks each "
        "of the four (length matters more, which password-min-length covers)."
    ),
    remediation=(
        "IAM console > Account settings > Password policy > Edit: require at least one uppercase "
        "letter, lowercase letter, number and non-alphanumeric character. CLI: "
        "aws iam update-account-password-policy --require-uppercase-characters "
        "--require-lowercase-characters --require-numbers --require-symbols "
        "(repeat every other setting you want kept)"
    ),
    requires=(PART_PASSWORD_POLICY,),
)
@on_policy
def password_complexity(policy: PasswordPolicy, ctx: Context, acct: Resource) -> Result:
    classes = {
        "uppercase letters": policy.require_uppercase_characters,
        "lowercase letters": policy.require_lowercase_characters,
        "numbers": policy.require_numbers,
        "symbols": policy.require_symbols,
    }
    missing = [name for name, required in classes.items() if not required]
    if missing:
        return Result.failed(
            acct,
            "The password policy does not require " + ", ".join(missing) + ".",
            missing=missing,
        )
    return Result.passed(acct, "The password policy requires all four character classes.")


@rule(
    id="password-expiry",
    title="Passwords expire within {password_max_age_days} days",
    severity=Severity.LOW,
    controls=hub(17),
    rationale=(
        "Security Hub IAM.17 asks that passwords expire (thresholds.password_max_age_days in "
        "audit.toml sets the maximum judged). NIST SP 800-63B advises against forced periodic "
        "expiry (it breeds predictable passwords); follow your own standard and disable this "
        "rule in audit.toml if it says otherwise."
    ),
    remediation=(
        "IAM console > Account settings > Password policy > Edit: turn on password expiration, "
        "{password_max_age_days} days or fewer. CLI: aws iam update-account-password-policy "
        "--max-password-age {password_max_age_days} "
        "(repeat every other setting you want kept)"
    ),
    requires=(PART_PASSWORD_POLICY,),
)
@on_policy
def password_expiry(policy: PasswordPolicy, ctx: Context, acct: Resource) -> Result:
    limit = ctx.thresholds.password_max_age_days
    age = policy.max_password_age if policy.expire_passwords or policy.max_password_age else None
    if not age:
        return Result.failed(acct, f"Passwords never expire; at most {limit} days required.")
    if age > limit:
        return Result.failed(acct, f"Passwords expire after {age} days; at most {limit} required.")
    return Result.passed(acct, f"Passwords expire after {age} days (<= {limit}).")
