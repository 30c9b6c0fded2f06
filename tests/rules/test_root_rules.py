"""Root rules on credential reports in the AWS format."""

from __future__ import annotations

from audit.findings import Status
from audit.model import VirtualMfaDevice
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import iso, report, snapshot
from tests.rules.builders import run

ROOT = "<root_account>"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"


def only(rule_id: str, **parts: object):  # type: ignore[no-untyped-def]
    (finding,) = run(rule_id, snapshot(**parts))
    return finding


def test_root_access_key() -> None:
    ok = only("root-access-key", credential_report=report({"user": ROOT}))
    assert ok.status is Status.PASS
    bad = only(
        "root-access-key",
        credential_report=report(
            {"user": ROOT, "access_key_2_active": "true", "access_key_2_last_rotated": iso(10)}
        ),
    )
    assert bad.status is Status.FAIL and "slot 2" in bad.message
    # moto: no root row, the account summary decides; nothing at all: not assessed
    summary = only("root-access-key", account_summary={"AccountAccessKeysPresent": 1})
    assert summary.status is Status.FAIL
    assert only("root-access-key").status is Status.NOT_ASSESSED


def test_root_mfa() -> None:
    assert only("root-mfa", credential_report=report({"user": ROOT})).status is Status.PASS
    bad = only("root-mfa", credential_report=report({"user": ROOT, "mfa_active": "false"}))
    assert bad.status is Status.FAIL and "no MFA" in bad.message
    assert only("root-mfa", account_summary={"AccountMFAEnabled": 0}).status is Status.FAIL
    assert only("root-mfa", account_summary={"AccountMFAEnabled": 1}).status is Status.PASS
    assert only("root-mfa").status is Status.NOT_ASSESSED


def test_root_hardware_mfa() -> None:
    rows = report({"user": ROOT})
    hardware = only("root-hardware-mfa", credential_report=rows)
    assert hardware.status is Status.PASS
    serial = f"arn:aws:iam::{ACCOUNT_ID}:mfa/root-account-mfa-device"
    virtual = only(
        "root-hardware-mfa",
        credential_report=rows,
        virtual_mfa_devices=(VirtualMfaDevice(serial, user_arn=ROOT_ARN),),
    )
    assert virtual.status is Status.FAIL and serial in virtual.message
    none = only(
        "root-hardware-mfa", credential_report=report({"user": ROOT, "mfa_active": "false"})
    )
    assert none.status is Status.FAIL and "no MFA device at all" in none.message
    assert only("root-hardware-mfa").status is Status.NOT_ASSESSED
    # a user's virtual device is not the root's
    other = VirtualMfaDevice(f"arn:aws:iam::{ACCOUNT_ID}:mfa/alice", user_name="alice")
    kept = only("root-hardware-mfa", credential_report=rows, virtual_mfa_devices=(other,))
    assert kept.status is Status.PASS


def test_root_recent_use() -> None:
    recent = only(
        "root-recent-use", credential_report=report({"user": ROOT, "password_last_used": iso(12)})
    )
    assert recent.status is Status.FAIL
    assert "password was used on 2026-09-18, 12 days ago" in recent.message
    key = only(
        "root-recent-use",
        credential_report=report(
            {
                "user": ROOT,
                "password_last_used": iso(400),
                "access_key_1_active": "true",
                "access_key_1_last_rotated": iso(500),
                "access_key_1_last_used_date": iso(3),
            }
        ),
    )
    assert key.status is Status.FAIL and "access key 1 was used on 2026-09-27" in key.message
    old = only(
        "root-recent-use", credential_report=report({"user": ROOT, "password_last_used": iso(200)})
    )
    assert old.status is Status.PASS and "200 days ago" in old.message
    never = only("root-recent-use", credential_report=report({"user": ROOT}))
    assert never.status is Status.PASS
    # moto has no root row: usage cannot be judged
    moto = only("root-recent-use", credential_report=report({"user": "alice"}))
    assert moto.status is Status.NOT_ASSESSED and "<root_account>" in moto.message
