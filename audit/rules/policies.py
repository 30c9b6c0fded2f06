"""Rules about how permissions are granted: the seed's doctrine of groups, not users."""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import PART_AUTHORIZATION, Snapshot
from audit.rules._resources import user_resource
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
        if names:
            yield Result.failed(
                user_resource(user),
                f"{user.name} has inline polic{'y' if len(names) == 1 else 'ies'}: "
                + ", ".join(names),
                policies=names,
            )
        else:
            yield Result.passed(user_resource(user), f"{user.name} has no inline policies.")


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
        if names:
            yield Result.failed(
                user_resource(user),
                f"{user.name} has directly attached polic{'y' if len(names) == 1 else 'ies'}: "
                + ", ".join(names),
                policies=names,
            )
        else:
            yield Result.passed(user_resource(user), f"{user.name} has no attached policies.")
