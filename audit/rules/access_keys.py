"""Rules about how access keys are held: at setup, how many, and next to a console password."""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import PART_CREDENTIAL_REPORT, Snapshot
from audit.rules._resources import (
    day,
    iam_user_rows,
    key_columns,
    key_usage_unknown,
    unreported_users,
    user_resource,
)
from audit.rules.controls import cis
from audit.rules.registry import Context, rule

# The credential-report columns each rule reads: a user whose row lacks one is not assessed.
_KEY_AT_SETUP = ("password_enabled", *key_columns("active", "last_rotated", "last_used_date"))
_ACTIVE_KEYS = key_columns("active", "last_rotated")
_CONSOLE_AND_KEYS = ("password_enabled", *key_columns("active"))


@rule(
    id="user-key-at-setup",
    title="Console users have no access key that was never used",
    severity=Severity.LOW,
    controls=cis("1.11", "1.11", "1.10", "2.10"),
    rationale=(
        "Keys created with a console user 'just in case' are never needed and never watched; "
        "keys should be created only when a program needs one."
    ),
    remediation=(
        "Delete the unused key: aws iam delete-access-key --user-name USER "
        "--access-key-id KEY_ID (IAM console > Users > USER > Security credentials > Access keys)"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
    resource_type="user",
)
def user_key_at_setup(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for row in iam_user_rows(snap, _KEY_AT_SETUP):
        if row.password_enabled is False:
            continue  # the control is about console users only
        res = user_resource(row)
        unknown = [k for k in row.active_keys if key_usage_unknown(row, k.slot)]
        unused = [k for k in row.active_keys if k.last_used is None and k not in unknown]
        if row.password_enabled is None:
            if unused or unknown:  # a console user's unused key would fail: is it one?
                yield Result.not_assessed(
                    res, f"{row.user}: password_enabled is not reported; an active key is unused."
                )
        elif unused:
            keys = ", ".join(f"key {k.slot} (created {day(k.last_rotated)})" for k in unused)
            yield Result.failed(
                res,
                f"{row.user} has a console password and active access key(s) never used: {keys}.",
                keys=[k.slot for k in unused],
            )
        elif unknown:
            slots = ", ".join(str(k.slot) for k in unknown)
            yield Result.not_assessed(
                res, f"{row.user}: usage of active access key {slots} is not supported here."
            )
        else:
            yield Result.passed(res, f"{row.user} has no unused active access key.")
    yield from unreported_users(snap, _KEY_AT_SETUP)


@rule(
    id="user-multiple-active-keys",
    title="Each user has at most one active access key",
    severity=Severity.MEDIUM,
    controls=cis("1.13", "1.13", "1.12", "2.12"),
    rationale=(
        "Two active keys usually means a rotation that was never finished: the old key still "
        "works and nobody knows which one a program uses."
    ),
    remediation=(
        "Find the key in use (aws iam get-access-key-last-used --access-key-id KEY_ID), then "
        "deactivate the other: aws iam update-access-key --user-name USER --access-key-id "
        "KEY_ID --status Inactive"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
    resource_type="user",
)
def user_multiple_active_keys(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for row in iam_user_rows(snap, _ACTIVE_KEYS):
        active = row.active_keys
        if not active:
            continue
        res = user_resource(row)
        if len(active) > 1:
            created = ", ".join(f"key {k.slot} created {day(k.last_rotated)}" for k in active)
            yield Result.failed(
                res, f"{row.user} has {len(active)} active access keys ({created})."
            )
        else:
            yield Result.passed(res, f"{row.user} has one active access key.")
    yield from unreported_users(snap, _ACTIVE_KEYS)


@rule(
    id="user-console-and-keys",
    title="No user has both a console password and an active access key",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "An identity used both by a person and by a program mixes two risk profiles: the "
        "program's key outlives the person's role, and the person's access outlives the program."
    ),
    remediation=(
        "Give the program its own user or, better, a role; then remove the key from the "
        "person's user: aws iam delete-access-key --user-name USER --access-key-id KEY_ID "
        "(or remove the password of a program's user: aws iam delete-login-profile "
        "--user-name USER)"
    ),
    requires=(PART_CREDENTIAL_REPORT,),
    resource_type="user",
)
def user_console_and_keys(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for row in iam_user_rows(snap, _CONSOLE_AND_KEYS):
        res = user_resource(row)
        if row.password_enabled is None:
            yield Result.not_assessed(res, f"{row.user}: password_enabled is not reported.")
            continue
        slots = [str(k.slot) for k in row.active_keys]
        if row.password_enabled and slots:
            yield Result.failed(
                res,
                f"{row.user} has a console password and active access key {', '.join(slots)}.",
            )
        elif row.password_enabled or slots:
            kind = "console only" if row.password_enabled else "programmatic only"
            yield Result.passed(res, f"{row.user} is {kind}.")
    yield from unreported_users(snap, _CONSOLE_AND_KEYS)
