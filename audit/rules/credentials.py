"""Rules about IAM users' passwords, MFA and access keys (from the credential report)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from audit.findings import Result, Severity
from audit.model import PART_CREDENTIAL_REPORT, PART_VIRTUAL_MFA, CredentialRow, Sentinel, Snapshot
from audit.rules._resources import (
    day,
    iam_user_rows,
    key_columns,
    key_usage_unknown,
    unreported_users,
    user_resource,
)
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, rule

# The credential-report columns each rule reads: a user whose row lacks one is not assessed.
_CONSOLE_MFA = ("password_enabled", "mfa_active")
_ROTATION = key_columns("active", "last_rotated")
_USAGE = (
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    *key_columns("active", "last_rotated", "last_used_date"),
)


@rule(
    id="user-console-mfa",
    title="Every IAM user with a console password has MFA",
    severity=Severity.HIGH,
    # Not Security Hub IAM.19 (MFA for *every* user): this rule judges console users only.
    controls=cis("1.10", "1.10", "1.9", "2.9") + hub(5),
    rationale=(
        "A console password alone falls to phishing and reuse; MFA stops a stolen password "
        "from being enough to sign in."
    ),
    remediation=(
        "Ask the user to enrol an MFA device (IAM console > Users > USER > Security credentials > "
        "Assign MFA device), or remove the console password if it is not needed: "
        "aws iam delete-login-profile --user-name USER"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
    resource_type="user",
)
def user_console_mfa(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for row in iam_user_rows(snap, _CONSOLE_MFA):
        if row.password_enabled is None:
            yield Result.not_assessed(
                user_resource(row), f"{row.user}: password_enabled is not reported."
            )
        elif not row.password_enabled:
            continue  # no console access: the control does not apply
        elif row.mfa_active:
            yield Result.passed(user_resource(row), f"{row.user} has a console password and MFA.")
        else:
            yield Result.failed(
                user_resource(row), f"{row.user} has a console password and no MFA device."
            )
    yield from unreported_users(snap, _CONSOLE_MFA)


@rule(
    id="access-key-rotation",
    title="Active access keys are rotated within {access_key_max_age_days} days",
    severity=Severity.MEDIUM,
    controls=cis("1.14", "1.14", "1.13", "2.13") + hub(3),
    rationale=(
        "An old key has had longer to leak through laptops, CI logs and repositories; rotation "
        "limits how long a leaked key stays useful."
    ),
    remediation=(
        "Create a second key, move every caller to it, then deactivate and delete the old one: "
        "aws iam create-access-key --user-name USER; "
        "aws iam update-access-key --user-name USER --access-key-id OLD_KEY_ID --status Inactive; "
        "aws iam delete-access-key --user-name USER --access-key-id OLD_KEY_ID"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
    resource_type="user",
)
def access_key_rotation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    limit = ctx.thresholds.access_key_max_age_days
    for row in iam_user_rows(snap, _ROTATION):
        for key in row.active_keys:
            res = user_resource(row)
            if key.last_rotated is None:
                yield Result.not_assessed(
                    res, f"{row.user}: access key {key.slot} has no rotation date.", key=key.slot
                )
                continue
            age = ctx.days_since(key.last_rotated)
            if age > limit:
                yield Result.failed(
                    res,
                    f"{row.user}: active access key {key.slot} is {age} days old "
                    f"(created {day(key.last_rotated)}; limit {limit}).",
                    key=key.slot,
                    age_days=age,
                )
            else:
                yield Result.passed(
                    res, f"{row.user}: access key {key.slot} is {age} days old.", key=key.slot
                )
    yield from unreported_users(snap, _ROTATION)


def _unused_days(
    ctx: Context, last_used: datetime | None, fallback: datetime | None
) -> tuple[int | None, str]:
    """Days since last use; a credential never used counts from its creation or rotation."""
    if last_used is not None:
        return ctx.days_since(last_used), f"last used {day(last_used)}"
    if fallback is not None:
        return ctx.days_since(fallback), f"never used since {day(fallback)}"
    return None, "no usage or creation date"


def _password_usage(row: CredentialRow, ctx: Context) -> tuple[int | None, str]:
    if row.sentinel("password_last_used") == Sentinel.NOT_SUPPORTED:
        return None, "password usage not supported here"
    # no_information: never used (or not since 2014): count from when the password was set.
    fallback = row.password_last_changed or row.user_creation_time
    return _unused_days(ctx, row.password_last_used, fallback)


@rule(
    id="credentials-unused",
    title="Credentials unused for {credentials_unused_days} days or more are disabled",
    severity=Severity.MEDIUM,
    # Not Security Hub IAM.8: it judges 90 days, and a 45-day fail would misreport it.
    controls=cis("1.12", "1.12", "1.11", "2.11") + hub(22),
    rationale=(
        "A password or key nobody uses is pure exposure: it still works for whoever finds it, "
        "and nobody would notice it being used."
    ),
    remediation=(
        "Disable what is not used: aws iam delete-login-profile --user-name USER for a password; "
        "aws iam update-access-key --user-name USER --access-key-id KEY_ID --status Inactive "
        "for a key. Delete the user when nothing of it is used."
    ),
    requires=(PART_CREDENTIAL_REPORT,),
    resource_type="user",
)
def credentials_unused(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    limit = ctx.thresholds.credentials_unused_days
    for row in iam_user_rows(snap, _USAGE):
        res = user_resource(row)
        stale: list[str] = []
        unknown: list[str] = []
        judged = 0
        if row.password_enabled is None:
            unknown.append("password (password_enabled is not reported)")
        elif row.password_enabled:
            judged += 1
            days, how = _password_usage(row, ctx)
            if days is None:
                unknown.append(f"password ({how})")
            elif days >= limit:
                stale.append(f"password unused for {days} days ({how})")
        for key in row.active_keys:
            judged += 1
            if key_usage_unknown(row, key.slot):
                unknown.append(f"access key {key.slot} (usage not supported here)")
                continue
            days, how = _unused_days(ctx, key.last_used, key.last_rotated)
            if days is None:
                unknown.append(f"access key {key.slot} ({how})")
            elif days >= limit:
                stale.append(f"access key {key.slot} unused for {days} days ({how})")
        if stale:
            yield Result.failed(res, f"{row.user}: " + "; ".join(stale) + ".", stale=stale)
        elif unknown:
            yield Result.not_assessed(
                res, f"{row.user}: cannot tell usage of " + ", ".join(unknown)
            )
        elif judged:
            yield Result.passed(res, f"{row.user}: every credential used within {limit} days.")
    yield from unreported_users(snap, _USAGE)


@rule(
    id="user-hardware-mfa",
    title="Console users' MFA is a hardware device",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "A virtual MFA code can be phished along with the password; a FIDO security key cannot. "
        "For people with powerful access a hardware device is the stronger second factor."
    ),
    remediation=(
        "Have the user register a FIDO security key (IAM console > Users > USER > Security "
        "credentials > Assign MFA device), then remove the virtual device: "
        "aws iam deactivate-mfa-device --user-name USER --serial-number SERIAL"
    ),
    requires=(PART_CREDENTIAL_REPORT, PART_VIRTUAL_MFA),
    resource_type="user",
)
def user_hardware_mfa(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    virtual: dict[str, list[str]] = {}
    for device in snap.virtual_mfa_devices:
        owner = device.user_arn or device.user_name
        if owner:
            virtual.setdefault(owner, []).append(device.serial_number)
    for row in iam_user_rows(snap, _CONSOLE_MFA):
        if not row.mfa_active or row.password_enabled is False:
            continue  # no console, or no MFA at all (user-console-mfa judges that)
        serials = virtual.get(row.arn, []) + virtual.get(row.user, [])
        if serials and row.password_enabled is None:
            yield Result.not_assessed(
                user_resource(row),
                f"{row.user} has a virtual MFA device; password_enabled is not reported.",
                devices=serials,
            )
        elif row.password_enabled is None:
            continue  # no virtual device: nothing to fail, whatever the console access
        elif serials:
            yield Result.failed(
                user_resource(row),
                f"{row.user} can sign in with a virtual MFA device ({', '.join(serials)}).",
                devices=serials,
            )
        else:
            yield Result.passed(user_resource(row), f"{row.user} has no virtual MFA device.")
    yield from unreported_users(snap, _CONSOLE_MFA)
