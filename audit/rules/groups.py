"""Rules about groups: the seed's doctrine wants managed policies on groups that are used."""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Resource, Result, Severity
from audit.model import PART_AUTHORIZATION, Group, Snapshot
from audit.rules._resources import policies_verdict
from audit.rules.registry import Context, rule


def group_resource(group: Group) -> Resource:
    return Resource("group", group.name, group.arn)


@rule(
    id="group-inline-policy",
    title="Groups have no inline policies",
    severity=Severity.LOW,
    controls=(),
    rationale=(
        "An inline policy lives and dies with one group and cannot be reused or versioned; "
        "managed policies scale and show up in policy reviews."
    ),
    remediation=(
        "Create a customer managed policy from the inline document, attach it to the group "
        "(aws iam attach-group-policy --group-name GROUP --policy-arn POLICY_ARN), then: "
        "aws iam delete-group-policy --group-name GROUP --policy-name POLICY"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="group",
)
def group_inline_policy(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    for group in snap.groups:
        names = [p.name for p in group.inline_policies]
        yield policies_verdict(
            group_resource(group),
            f"Group {group.name}",
            "inline",
            names,
            f"Group {group.name} has none.",
        )


@rule(
    id="group-empty",
    title="Every group has members",
    severity=Severity.INFO,
    controls=(),
    rationale=(
        "An empty group is unreviewed access waiting to be handed out: adding one user to it "
        "grants whatever it carries."
    ),
    remediation=(
        "Delete the group if it is no longer needed (detach its policies first): "
        "aws iam delete-group --group-name GROUP"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="group",
)
def group_empty(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    members: dict[str, int] = {}
    for user in snap.users:
        for name in user.groups:
            members[name] = members.get(name, 0) + 1
    for group in snap.groups:
        count = members.get(group.name, 0)
        policies = [p.name for p in group.attached_policies] + [
            p.name for p in group.inline_policies
        ]
        if count:
            yield Result.passed(group_resource(group), f"Group {group.name} has {count} member(s).")
        else:
            carries = f" (carries {', '.join(policies)})" if policies else ""
            yield Result.failed(
                group_resource(group), f"Group {group.name} has no members{carries}."
            )
