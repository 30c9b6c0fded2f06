"""Rules about how permissions are granted: the seed's doctrine of groups, not users."""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import PART_AUTHORIZATION, Snapshot
from audit.rules._resources import policies_verdict, user_resource
from audit.rules.controls import cis, hub
from audit.rules.registry import Context, rule

_GROUPS_ONLY = cis("1.15", "1.15", "1.14", "2.14") + hub(2)


@rule(
    id="user-inline-policy",
    title="IAM users have no inline policies",
    severity=Severity.MEDIUM,
    controls=_GROUPS_ONLY,
    rationale=(
        "Permissions embedded in one user are invisible from groups, drift per person and are "
        "forgotten when the person changes role; grant through groups instead."
    ),
    remediation=(
        "Move the statements into a customer managed policy attached to a group, add the user "
        "to that group, then: aws iam delete-user-policy --user-name USER --policy-name POLICY"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_inline_policy(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for user in snap.users:
        names = [p.name for p in user.inline_policies]
        yield policies_verdict(
            user_resource(user), user.name, "inline", names, f"{user.name} has no inline policies."
        )


@rule(
    id="user-attached-policy",
    title="IAM users have no directly attached managed policies",
    severity=Severity.MEDIUM,
    controls=_GROUPS_ONLY,
    rationale=(
        "Policies attached to a user rather than to a group make access a per-person exception "
        "that reviews miss; CIS requires permissions only through groups."
    ),
    remediation=(
        "Attach the policy to a group the user belongs to, then: "
        "aws iam detach-user-policy --user-name USER --policy-arn POLICY_ARN"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_attached_policy(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for user in snap.users:
        names = [p.name for p in user.attached_policies]
        yield policies_verdict(
            user_resource(user),
            user.name,
            "directly attached",
            names,
            f"{user.name} has no attached policies.",
        )


@rule(
    id="user-not-in-group",
    title="Every IAM user belongs to at least one group",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "Groups are where access is decided and reviewed; a user outside every group either has "
        "nothing to do or gets access some other, unreviewed way."
    ),
    remediation=(
        "Add the user to the group for their job (IAM console > Users > USER > Groups > Add "
        "user to groups): aws iam add-user-to-group --group-name GROUP --user-name USER; "
        "or delete the user if nobody needs it."
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_not_in_group(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for user in snap.users:
        if user.groups:
            yield Result.passed(
                user_resource(user), f"{user.name} is in group(s) {', '.join(user.groups)}."
            )
        else:
            yield Result.failed(user_resource(user), f"{user.name} is not in any group.")


@rule(
    id="user-no-permissions-boundary",
    title="Every IAM user has a permissions boundary",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "A permissions boundary caps what a user can ever be granted, so a mistaken or malicious "
        "policy attachment cannot make the user an administrator."
    ),
    remediation=(
        "Create a boundary policy with the most the user may ever do, then: "
        "aws iam put-user-permissions-boundary --user-name USER --permissions-boundary "
        "POLICY_ARN (IAM console > Users > USER > Permissions boundary > Set boundary)"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_no_permissions_boundary(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for user in snap.users:
        arn = user.permissions_boundary_arn
        if arn:
            yield Result.passed(user_resource(user), f"{user.name} is bounded by {arn}.")
        else:
            yield Result.failed(user_resource(user), f"{user.name} has no permissions boundary.")
