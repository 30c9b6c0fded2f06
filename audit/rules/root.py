"""Rules about the root user."""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import PART_ACCOUNT_SUMMARY, PART_CREDENTIAL_REPORT, PART_VIRTUAL_MFA, Snapshot
from audit.rules._resources import account, day, key_columns, unreadable
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, rule

# The root row's columns each rule reads: an unreadable one leaves the rule not assessed.
_ROOT_KEYS = key_columns("active", "last_rotated")
_ROOT_MFA = ("mfa_active",)
_ROOT_USE = ("password_last_used", *key_columns("last_used_date"))


def _unreadable_root(snap: Snapshot, reads: tuple[str, ...]) -> str | None:
    root = snap.root_row
    return unreadable(root, reads) if root is not None else None


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
    if why := _unreadable_root(snap, _ROOT_KEYS):
        yield Result.not_assessed(acct, why)
        return
    root = snap.root_row
    if root is not None:
        active = [k.slot for k in root.access_keys if k.active]
        # An inactive key still exists (IAM.4: "should not exist"): root can turn it back on.
        inactive = [k.slot for k in root.access_keys if k.exists and not k.active]
        if active:
            slots = ", ".join(str(s) for s in active)
            yield Result.failed(acct, f"The root user has active access key(s) in slot {slots}.")
        elif inactive:
            slots = ", ".join(str(s) for s in inactive)
            yield Result.failed(
                acct,
                f"The root user has inactive access key(s) in slot {slots}; delete them.",
                severity=Severity.MEDIUM,
            )
        else:
            yield Result.passed(acct, "The root user has no access keys.")
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


def _root_mfa_enabled(snap: Snapshot) -> bool | None:
    """Root MFA from the root row, else the account summary; None when neither says."""
    root = snap.root_row
    if root is not None:
        return root.mfa_active
    if snap.has_part(PART_ACCOUNT_SUMMARY) and "AccountMFAEnabled" in snap.account_summary:
        return bool(snap.account_summary["AccountMFAEnabled"])
    return None


@rule(
    id="root-mfa",
    title="The root user has MFA enabled",
    severity=Severity.CRITICAL,
    controls=cis("1.5", "1.5", "1.4", "2.4") + hub(9),
    rationale=(
        "The root user can do anything, including closing the account; a password alone is one "
        "phishing e-mail away from losing the account."
    ),
    remediation=(
        "Sign in as root, open Security credentials > Multi-factor authentication > Assign MFA "
        "device. Verify with: aws iam get-account-summary --query SummaryMap.AccountMFAEnabled"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
)
def root_mfa(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    acct = account(snap)
    enabled = _root_mfa_enabled(snap)
    if why := _unreadable_root(snap, _ROOT_MFA):
        yield Result.not_assessed(acct, why)
    elif enabled is None:
        yield Result.not_assessed(
            acct, "The credential report has no <root_account> row and no account summary."
        )
    elif enabled:
        yield Result.passed(acct, "The root user has MFA enabled.")
    else:
        yield Result.failed(acct, "The root user has no MFA device.")


def _root_virtual_devices(snap: Snapshot) -> list[str]:
    root_arn = f"arn:{snap.meta.partition}:iam::{snap.meta.account_id}:root"
    # A device nobody is assigned to (left over after a deactivation) protects no one, whatever
    # its name: only a virtual device assigned to root makes root's MFA virtual.
    return [
        d.serial_number
        for d in snap.virtual_mfa_devices
        if d.user_arn == root_arn
        or (
            d.serial_number.endswith(":mfa/root-account-mfa-device")
            and (d.user_arn is not None or d.user_name is not None)
        )
    ]


@rule(
    id="root-hardware-mfa",
    title="The root user's MFA is a hardware device",
    severity=Severity.HIGH,
    controls=cis("1.6", "1.6", "1.5", "2.5") + hub(6),
    rationale=(
        "A virtual MFA app lives on a phone that is itself online and replaceable; a hardware "
        "key kept in a safe is the strongest protection for the account's master credential."
    ),
    remediation=(
        "Sign in as root, assign a hardware MFA device (FIDO security key or hardware TOTP token) "
        "under Security credentials, then remove the virtual device. Verify no virtual device is "
        "left: aws iam list-virtual-mfa-devices --assignment-status Assigned"
    ),
    requires=(PART_CREDENTIAL_REPORT, PART_VIRTUAL_MFA),
)
def root_hardware_mfa(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    acct = account(snap)
    enabled = _root_mfa_enabled(snap)
    virtual = _root_virtual_devices(snap)
    if why := _unreadable_root(snap, _ROOT_MFA):
        yield Result.not_assessed(acct, why)
    elif enabled is None:
        yield Result.not_assessed(
            acct, "The credential report has no <root_account> row and no account summary."
        )
    elif not enabled:
        yield Result.failed(acct, "The root user has no MFA device at all.")
    elif virtual:
        yield Result.failed(
            acct, f"The root user's MFA is a virtual device ({', '.join(virtual)})."
        )
    else:
        yield Result.passed(acct, "The root user's MFA is not a virtual device (hardware).")


@rule(
    id="root-recent-use",
    title="The root user has not been used recently",
    severity=Severity.HIGH,
    controls=cis("1.7", "1.7", "1.6", "2.6"),
    rationale=(
        "Everyday work as root leaves no per-person trail and no least privilege; root should "
        "sign in only for the few tasks that require it."
    ),
    remediation=(
        "Find out who used root and why (CloudTrail: userIdentity.type = Root), give that person "
        "an IAM identity with the permissions needed, and lock the root credentials away. "
        "CLI: aws cloudtrail lookup-events --lookup-attributes "
        "AttributeKey=Username,AttributeValue=root"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
)
def root_recent_use(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    acct = account(snap)
    root = snap.root_row
    if root is None:
        yield Result.not_assessed(acct, "The credential report has no <root_account> row.")
        return
    if why := unreadable(root, _ROOT_USE):
        yield Result.not_assessed(acct, why)
        return
    window = ctx.thresholds.root_use_window_days
    candidates = [("password", root.password_last_used)]
    candidates += [(f"access key {k.slot}", k.last_used) for k in root.access_keys]
    uses = [(what, when) for what, when in candidates if when is not None]
    if not uses:
        yield Result.passed(acct, "The root user has no recorded password or key use.")
        return
    what, when = max(uses, key=lambda pair: pair[1])
    ago = ctx.days_since(when)
    if ago < window:
        yield Result.failed(
            acct,
            f"The root user's {what} was used on {day(when)}, {ago} days ago "
            f"(window {window} days).",
            last_used=day(when),
            days=ago,
        )
    else:
        yield Result.passed(
            acct, f"The root user was last used on {day(when)}, {ago} days ago (>= {window})."
        )
