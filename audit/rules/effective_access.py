"""Rules on what users can actually do: effective admin, and admin without MFA.

They use the evaluation's shared access analysis (:mod:`audit.rules._access`), which follows
every path (own policies, groups' policies) and the permissions boundary, and reports
conditional grants as conditional. Privilege escalation is in :mod:`audit.rules.escalation`.
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import PART_AUTHORIZATION, PART_CREDENTIAL_REPORT, Snapshot
from audit.permissions import EffectivePermissions, Verdict
from audit.permissions.graph import Node
from audit.permissions.scp import capped, chain_for
from audit.rules._access import access_analysis
from audit.rules._resources import unreadable, user_resource
from audit.rules.registry import Context, rule


def _unresolved(perms: EffectivePermissions) -> str:
    return f"{perms.principal}: not collected: {', '.join(perms.unresolved)}"


def _boundary_unknown(perms: EffectivePermissions, grant: str) -> str:
    # A boundary can only take grants away: without its document a grant is not proven.
    return (
        f"{perms.principal} {grant}, unless its permissions boundary forbids it: its "
        f"{perms.boundary_gap}."
    )


@rule(
    id="user-effective-admin",
    title="No IAM user can do * on * by any path",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "Whatever the path (a group, a directly attached or inline policy), a user who can do "
        "everything is a full compromise when their password or key leaks."
    ),
    remediation=(
        "Remove the path named in the finding (e.g. aws iam remove-user-from-group --group-name "
        "GROUP --user-name USER, or aws iam detach-user-policy --user-name USER --policy-arn "
        "POLICY_ARN) and have administrators assume an admin role with MFA instead."
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_effective_admin(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    analysis = access_analysis(snap, ctx)
    for user in snap.users:
        perms = analysis.user(user)
        admin = capped(analysis.admin(Node("user", user.name)), chain_for(snap, user.arn))
        res = user_resource(user)
        paths = ", ".join(admin.paths)
        if admin.granted and perms.missing_boundary:
            yield Result.not_assessed(res, _boundary_unknown(perms, f"can do * on * {paths}"))
        elif admin.verdict is Verdict.ALLOWED:
            yield Result.failed(
                res,
                f"{user.name} can do * on * {paths}.",
                paths=list(admin.paths),
                conditional=False,
            )
        elif admin.verdict is Verdict.CONDITIONAL:
            why = f" ({'; '.join(admin.notes)})" if admin.notes else ""
            yield Result.failed(
                res,
                f"{user.name} can do * on * under a condition {paths}{why}.",
                severity=Severity.MEDIUM,
                paths=list(admin.paths),
                conditional=True,
            )
        elif not perms.complete:
            yield Result.not_assessed(res, _unresolved(perms))
        else:
            note = f" ({'; '.join(admin.notes)})" if admin.notes else ""
            yield Result.passed(res, f"{user.name} cannot do * on *{note}.")


@rule(
    id="admin-without-mfa",
    title="Every effective administrator with a console password has MFA",
    severity=Severity.CRITICAL,
    controls=(),
    rationale=(
        "An administrator's password without MFA is the shortest path to owning the account: "
        "one phished or reused password is enough."
    ),
    remediation=(
        "Enrol an MFA device for the user now (IAM console > Users > USER > Security "
        "credentials > Assign MFA device), or remove the admin path or the password: "
        "aws iam delete-login-profile --user-name USER"
    ),
    requires=(PART_AUTHORIZATION, PART_CREDENTIAL_REPORT),
    resource_type="user",
)
def admin_without_mfa(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    analysis = access_analysis(snap, ctx)
    for user in snap.users:
        perms = analysis.user(user)
        admin = capped(analysis.admin(Node("user", user.name)), chain_for(snap, user.arn))
        if not admin.granted:
            continue  # not an admin (user-effective-admin reports unresolved policies)
        res = user_resource(user)
        row = snap.credential_row(user.name)
        if row is None or row.password_enabled is None:
            yield Result.not_assessed(res, f"{user.name}: no credential report data.")
        elif why := unreadable(row, ("password_enabled", "mfa_active")):
            yield Result.not_assessed(res, why)
        elif row.password_enabled and not row.mfa_active and perms.missing_boundary:
            yield Result.not_assessed(
                res,
                _boundary_unknown(perms, f"can do * on * {', '.join(admin.paths)}")
                + " It signs in with a password and no MFA.",
            )
        elif row.password_enabled and not row.mfa_active:
            yield Result.failed(
                res,
                f"{user.name} can do * on * {', '.join(admin.paths)} and signs in with a "
                "password and no MFA.",
            )
        else:
            how = "has MFA" if row.password_enabled else "has no console password"
            yield Result.passed(res, f"{user.name} is an effective admin and {how}.")
