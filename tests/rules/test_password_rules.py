"""Password-policy rules: each threshold, each character class, and a missing policy."""

from __future__ import annotations

import pytest

from audit.findings import Status
from audit.model import PasswordPolicy
from audit.settings import Settings, Thresholds
from tests.fixtures.snapshots import snapshot
from tests.rules.builders import run

STRONG = PasswordPolicy(
    minimum_password_length=16,
    require_symbols=True,
    require_numbers=True,
    require_uppercase_characters=True,
    require_lowercase_characters=True,
    expire_passwords=True,
    max_password_age=60,
    password_reuse_prevention=24,
)
RULES = ("password-min-length", "password-reuse", "password-complexity", "password-expiry")


def only(rule_id: str, policy: PasswordPolicy | None, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    (finding,) = run(rule_id, snapshot(password_policy=policy), settings)
    return finding


@pytest.mark.parametrize("rule_id", RULES)
def test_strong_policy_passes_and_missing_policy_fails(rule_id: str) -> None:
    assert only(rule_id, STRONG).status is Status.PASS
    missing = only(rule_id, None)
    assert missing.status is Status.FAIL and "no password policy" in missing.message


def test_min_length() -> None:
    bad = only("password-min-length", PasswordPolicy(minimum_password_length=8))
    assert bad.status is Status.FAIL and "is 8; at least 14" in bad.message
    lenient = Settings(thresholds=Thresholds(password_min_length=8))
    assert only(
        "password-min-length", PasswordPolicy(minimum_password_length=8), lenient
    ).status is (Status.PASS)


def test_reuse() -> None:
    few = only("password-reuse", PasswordPolicy(password_reuse_prevention=5))
    assert few.status is Status.FAIL and "remembers 5; at least 24" in few.message
    none = only("password-reuse", PasswordPolicy())
    assert none.status is Status.FAIL and "does not prevent reuse" in none.message


def test_complexity_names_what_is_missing() -> None:
    partial = PasswordPolicy(require_uppercase_characters=True, require_lowercase_characters=True)
    bad = only("password-complexity", partial)
    assert bad.status is Status.FAIL
    assert bad.message == "The password policy does not require numbers, symbols."


def test_expiry() -> None:
    never = only("password-expiry", PasswordPolicy(minimum_password_length=14))
    assert never.status is Status.FAIL and "never expire" in never.message
    long = only("password-expiry", PasswordPolicy(expire_passwords=True, max_password_age=180))
    assert long.status is Status.FAIL and "after 180 days; at most 90" in long.message
