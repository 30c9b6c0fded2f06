"""Credential rules on AWS-format credential reports (T0 = 2026-09-30)."""

from __future__ import annotations

from audit.findings import Status
from audit.model import VirtualMfaDevice
from audit.settings import Settings, Thresholds
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import iso, report, snapshot
from tests.rules.builders import by_name, run, statuses

ROOT = {"user": "<root_account>"}
CONSOLE = {"password_enabled": "true", "password_last_changed": iso(300)}


def key(slot: int, *, rotated: int, used: int | None, active: bool = True) -> dict[str, str]:
    k = f"access_key_{slot}"
    row = {f"{k}_active": "true" if active else "false", f"{k}_last_rotated": iso(rotated)}
    if used is not None:
        row |= {
            f"{k}_last_used_date": iso(used),
            f"{k}_last_used_region": "us-east-1",
            f"{k}_last_used_service": "s3",
        }
    return row


def findings(rule_id: str, *rows: dict[str, str], settings: Settings | None = None):  # type: ignore[no-untyped-def]
    return run(rule_id, snapshot(credential_report=report(ROOT, *rows)), settings)


def test_user_console_mfa() -> None:
    got = findings(
        "user-console-mfa",
        {"user": "ann", **CONSOLE, "password_last_used": iso(1), "mfa_active": "true"},
        {"user": "bob", **CONSOLE, "password_last_used": "no_information"},
        {"user": "ci", **key(1, rotated=10, used=1)},
        {"user": "gov", "password_enabled": "not_supported"},
    )
    assert statuses(got) == {"ann": Status.PASS, "bob": Status.FAIL, "gov": Status.NOT_ASSESSED}
    assert by_name(got)["bob"].message == "bob has a console password and no MFA device."


def test_access_key_rotation() -> None:
    got = findings(
        "access-key-rotation",
        {"user": "old", **key(1, rotated=400, used=1), **key(2, rotated=10, used=2)},
        {"user": "new", **key(1, rotated=30, used=1)},
        {"user": "gone", **key(1, rotated=400, used=None, active=False)},
        {"user": "odd", "access_key_1_active": "true"},
    )
    by_status = {(f.resource_name, f.status) for f in got}
    assert ("old", Status.FAIL) in by_status and ("old", Status.PASS) in by_status
    assert ("new", Status.PASS) in by_status and ("odd", Status.NOT_ASSESSED) in by_status
    assert not any(f.resource_name == "gone" for f in got)
    fail = next(f for f in got if f.status is Status.FAIL)
    assert "access key 1 is 400 days old" in fail.message and "limit 90" in fail.message
    lax = findings(
        "access-key-rotation",
        {"user": "old", **key(1, rotated=400, used=1)},
        settings=Settings(thresholds=Thresholds(access_key_max_age_days=500)),
    )
    assert [f.status for f in lax] == [Status.PASS]


def test_credentials_unused() -> None:
    got = findings(
        "credentials-unused",
        {"user": "active", **CONSOLE, "password_last_used": iso(3), **key(1, rotated=50, used=2)},
        {"user": "idle", **CONSOLE, "password_last_used": iso(120)},
        {"user": "never", **key(1, rotated=60, used=None)},
        {"user": "fresh", **key(1, rotated=10, used=None)},
        {"user": "gov", **CONSOLE, "password_last_used": "not_supported"},
    )
    assert statuses(got) == {
        "active": Status.PASS,
        "idle": Status.FAIL,
        "never": Status.FAIL,
        "fresh": Status.PASS,
        "gov": Status.NOT_ASSESSED,
    }
    assert "password unused for 120 days" in by_name(got)["idle"].message
    assert "never used since 2026-08-01" in by_name(got)["never"].message


def test_user_hardware_mfa() -> None:
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/ann"
    device = VirtualMfaDevice(serial, user_arn=f"arn:aws:iam::{ACCOUNT_ID}:user/ann")
    snap = snapshot(
        credential_report=report(
            ROOT,
            {"user": "ann", **CONSOLE, "mfa_active": "true"},
            {"user": "ben", **CONSOLE, "mfa_active": "true"},
            {"user": "cat", **CONSOLE},
        ),
        virtual_mfa_devices=(device,),
    )
    got = run("user-hardware-mfa", snap)
    assert statuses(got) == {"ann": Status.FAIL, "ben": Status.PASS}
    assert serial in by_name(got)["ann"].message


def test_user_key_at_setup() -> None:
    got = findings(
        "user-key-at-setup",
        {"user": "ann", **CONSOLE, **key(1, rotated=100, used=None)},
        {"user": "ben", **CONSOLE, **key(1, rotated=100, used=3)},
        {"user": "ci", **key(1, rotated=100, used=None)},
    )
    assert statuses(got) == {"ann": Status.FAIL, "ben": Status.PASS}
    assert "key 1 (created 2026-06-22)" in by_name(got)["ann"].message


def test_user_multiple_active_keys() -> None:
    got = findings(
        "user-multiple-active-keys",
        {"user": "two", **key(1, rotated=100, used=1), **key(2, rotated=5, used=1)},
        {"user": "one", **key(1, rotated=100, used=1), **key(2, rotated=5, used=1, active=False)},
        {"user": "none"},
    )
    assert statuses(got) == {"two": Status.FAIL, "one": Status.PASS}
    assert "2 active access keys" in by_name(got)["two"].message


def test_user_console_and_keys() -> None:
    got = findings(
        "user-console-and-keys",
        {"user": "both", **CONSOLE, **key(2, rotated=10, used=1)},
        {"user": "person", **CONSOLE},
        {"user": "program", **key(1, rotated=10, used=1)},
        {"user": "gov", "password_enabled": "not_supported"},
        {"user": "nothing"},
    )
    assert statuses(got) == {
        "both": Status.FAIL,
        "person": Status.PASS,
        "program": Status.PASS,
        "gov": Status.NOT_ASSESSED,
    }
    assert "active access key 2" in by_name(got)["both"].message
