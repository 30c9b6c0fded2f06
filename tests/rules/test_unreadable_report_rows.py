"""Rows the parser could not fully read: the users are not assessed by the rules reading them.

A short line (cells missing) or a date after the report was received used to read as
blank/False or as a negative age: every key "inactive", a key "rotated in 2099" -26,000 days old.
"""

from __future__ import annotations

import pytest

from audit.collect.credential_report import parse_credential_report
from audit.findings import Status
from audit.model import PART_AUTHORIZATION, PART_CREDENTIAL_REPORT, CredentialRow
from audit.model_org import PART_ORGANIZATION
from audit.rules import all_rules
from audit.rules.registry import REGISTRY
from tests.fixtures.credential_reports import make_report_csv
from tests.rules.builders import ADMIN, T0, by_name, iso, run, snapshot, user
from tests.rules.org_builders import in_org

FUTURE = "2099-01-01T00:00:00+00:00"
ROOT = {"user": "<root_account>", "password_last_used": FUTURE}
# alice: console with MFA; key 1 "rotated in 2099".
ALICE = {
    "user": "alice",
    "password_enabled": "true",
    "password_last_used": iso(1),
    "password_last_changed": iso(30),
    "mfa_active": "true",
    "access_key_1_active": "true",
    "access_key_1_last_rotated": FUTURE,
    "access_key_1_last_used_date": iso(1),
}
# bob: a console user whose line stops after password_enabled (4 of 22 cells).
BOB = {"user": "bob", "password_enabled": "true", "access_key_1_active": "true"}


def rows() -> tuple[CredentialRow, ...]:
    lines = make_report_csv([ROOT, ALICE, BOB]).split(b"\n")
    lines[3] = b",".join(lines[3].split(b",")[:4])
    return parse_credential_report(b"\n".join(lines), not_after=T0)


# Every rule judging users from the credential report alone (admin-without-mfa is tested below).
USER_RULES = sorted(
    r.meta.id
    for r in all_rules()
    if r.meta.resource_type == "user"
    and PART_CREDENTIAL_REPORT in r.meta.requires
    and PART_AUTHORIZATION not in r.meta.requires
)


def test_the_user_rules_are_found() -> None:
    assert {"user-console-mfa", "access-key-rotation", "credentials-unused"} <= set(USER_RULES)


@pytest.mark.parametrize("rule_id", USER_RULES)
def test_a_short_row_leaves_its_user_not_assessed(rule_id: str) -> None:
    snap = snapshot(credential_report=rows())
    if PART_ORGANIZATION in REGISTRY[rule_id].meta.requires:
        snap = in_org(snap)  # judged in an organization's member account only
    bob = by_name(run(rule_id, snap))["bob"]
    assert bob.status is Status.NOT_ASSESSED
    assert "missing (line 4 has 4 of 22 cells)" in bob.message
    assert bob.message.startswith("bob: the credential report cannot tell: ")


@pytest.mark.parametrize(
    ("rule_id", "expected"),
    [
        ("access-key-rotation", Status.NOT_ASSESSED),
        ("credentials-unused", Status.NOT_ASSESSED),
        ("user-multiple-active-keys", Status.NOT_ASSESSED),
        # The rules that do not read the impossible date still judge alice.
        ("user-console-mfa", Status.PASS),
        ("user-console-and-keys", Status.FAIL),
    ],
)
def test_an_impossible_date_leaves_only_the_rules_reading_it(
    rule_id: str, expected: Status
) -> None:
    alice = by_name(run(rule_id, snapshot(credential_report=rows())))["alice"]
    assert alice.status is expected
    if expected is Status.NOT_ASSESSED:
        assert f"access_key_1_last_rotated {FUTURE} is after the report was received" in (
            alice.message
        )
        assert "days old" not in alice.message


def test_root_use_in_2099_is_not_assessed_and_root_mfa_still_judged() -> None:
    snap = snapshot(credential_report=rows())
    [recent] = run("root-recent-use", snap)
    assert recent.status is Status.NOT_ASSESSED
    assert "password_last_used 2099-01-01T00:00:00+00:00 is after" in recent.message
    [mfa] = run("root-mfa", snap)
    assert mfa.status is Status.PASS


def test_admin_without_mfa_does_not_read_a_missing_mfa_cell_as_no_mfa() -> None:
    snap = snapshot(
        credential_report=rows(), users=(user("bob", attached=(ADMIN,)),), policies=(ADMIN,)
    )
    [bob] = run("admin-without-mfa", snap)
    assert bob.status is Status.NOT_ASSESSED
    assert "mfa_active" in bob.message
