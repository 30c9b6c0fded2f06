"""Privilege escalation: users, roles and policies, judged on the principal graph.

The graph (:mod:`audit.permissions.graph`) says who can act as whom and how; a principal
escalates when it reaches one with more than it has. The message shows a shortest path, step by
step; the details carry the same steps as data. Reaching an administrator is high; reaching
only more permissions is medium; a path that holds only under a condition the snapshot cannot
decide (MFA, source IP, a resource nobody inventoried) is one level lower, never a pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit.findings import Resource, Result, Severity
from audit.model import PART_AUTHORIZATION, InlinePolicy, Role, Snapshot
from audit.permissions import EffectivePermissions, Verdict, admin_access
from audit.permissions.evaluate import PolicySource
from audit.permissions.graph import EscalationPath, Graph, Node
from audit.permissions.statements import parse_document
from audit.rules._access import access_analysis
from audit.rules._resources import user_resource
from audit.rules.managed_policies import (
    boundary_only,
    boundary_pass,
    customer_policies,
    unreadable_policy,
)
from audit.rules.registry import Context, rule

_REMEDIATION = (
    "Break the first step of the path in the finding: remove or scope the actions it names "
    "(Resource limited to what must be managed, iam:PassedToService on iam:PassRole), or "
    "narrow the trust policy it names (aws iam update-assume-role-policy --role-name ROLE "
    "--policy-document file://trust.json); a permissions boundary on the principal caps every "
    "path. Re-check with: iam-audit explain NAME SNAPSHOT"
)


def severity(path: EscalationPath) -> Severity | None:
    """High (the rule's default) to an admin; one level lower per doubt, never below low."""
    level = Severity.HIGH if path.to_admin else Severity.MEDIUM
    if path.conditional:
        level = Severity(max(Severity.LOW, level - 1))
    return None if level is Severity.HIGH else level


def path_details(path: EscalationPath) -> dict[str, object]:
    return {
        "path": path.describe(),
        "steps": path.steps(),
        "to_admin": path.to_admin,
        "hops": len(path.edges),
        "conditional": list(path.reasons),
    }


def unknown_trust(snap: Snapshot, graph: Graph, start: Node) -> str | None:
    """Why "no path found" from ``start`` is not "no path": a role whose trust policy is
    unreadable has more than ``start`` (or escalates itself), and whether that trust admits
    ``start`` is unknown. None when no such role stands in the way."""
    hidden = [
        role.name
        for role in snap.roles
        if role.trust_unreadable
        and (target := Node("role", role.name)) != start
        and (graph.gain(start, target) is not None or graph.escalation(target) is not None)
    ]
    if not hidden:
        return None
    names = ", ".join(f"role {name}" for name in hidden)
    that = "that trust policy is" if len(hidden) == 1 else "those trust policies are"
    return (
        f"no known privilege-escalation path, but whether it can become {names} is unknown: "
        f"{that} unreadable"
    )


def _verdict(
    res: Resource,
    who: str,
    perms: EffectivePermissions,
    admin: bool,
    path: EscalationPath | None,
    hidden: str | None,
) -> Result:
    if admin and perms.missing_boundary:
        return Result.not_assessed(
            res,
            f"{who} can do * on * by its own policies, unless its permissions boundary "
            f"forbids it: its {perms.boundary_gap}.",
        )
    if admin:
        return Result.passed(res, f"{who} is an administrator already: there is nothing to gain.")
    if path is not None:
        cond = f" (only if: {'; '.join(path.reasons)})" if path.conditional else ""
        return Result.failed(
            res,
            f"{who} can escalate privileges: {path.describe()}{cond}.",
            severity=severity(path),
            **path_details(path),
        )
    if not perms.complete:
        missing = ", ".join(perms.unresolved)
        return Result.not_assessed(res, f"{who}: not collected: {missing}")
    if hidden is not None:
        return Result.not_assessed(res, f"{who}: {hidden}.")
    return Result.passed(res, f"{who} has no known privilege-escalation path.")


@rule(
    id="user-privilege-escalation",
    title="No IAM user can raise their own permissions",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "A user who can, say, attach policies to themselves, pass a powerful role to a new "
        "build project or create a key for an administrator has every permission they can "
        "reach that way, whatever their own policies look like."
    ),
    remediation=_REMEDIATION,
    requires=(PART_AUTHORIZATION,),
    resource_type="user",
)
def user_privilege_escalation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    analysis = access_analysis(snap, ctx)
    graph = analysis.graph
    for user in snap.users:
        node = Node("user", user.name)
        admin = analysis.admin(node).verdict is Verdict.ALLOWED
        path = None if admin else graph.escalation(node)
        hidden = None if admin or path else unknown_trust(snap, graph, node)
        yield _verdict(user_resource(user), user.name, analysis.user(user), admin, path, hidden)


def _role_resource(role: Role) -> Resource:
    return Resource("role", role.name, role.arn)


@rule(
    id="role-privilege-escalation",
    title="No IAM role can raise its own permissions",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "Whoever runs as a role (an application, a pipeline, anyone its trust policy admits) "
        "holds what the role can reach: an application role that can attach policies to itself "
        "or pass an admin role to new compute turns one compromised workload into the account."
    ),
    remediation=_REMEDIATION,
    requires=(PART_AUTHORIZATION,),
    resource_type="role",
)
def role_privilege_escalation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    analysis = access_analysis(snap, ctx)
    graph = analysis.graph
    for role in snap.roles:
        res = _role_resource(role)
        if role.path.startswith("/aws-service-role/"):
            yield Result.passed(res, f"{role.name} is service-linked: only its service uses it.")
            continue
        node = Node("role", role.name)
        admin = analysis.admin(node).verdict is Verdict.ALLOWED
        path = None if admin else graph.escalation(node)
        hidden = None if admin or path else unknown_trust(snap, graph, node)
        yield _verdict(res, f"role {role.name}", analysis.role(role), admin, path, hidden)


def _inline_documents(snap: Snapshot) -> Iterator[tuple[Resource, str, InlinePolicy]]:
    owners = (
        [("user", u.name, u.arn, u.inline_policies) for u in snap.users]
        + [("group", g.name, g.arn, g.inline_policies) for g in snap.groups]
        + [("role", r.name, r.arn, r.inline_policies) for r in snap.roles]
    )
    for kind, name, arn, policies in owners:
        for policy in policies:
            yield Resource("inline_policy", f"{kind} {name}: {policy.name}", arn), kind, policy


@rule(
    id="policy-privilege-escalation",
    title="No customer managed or inline policy allows privilege escalation by itself",
    severity=Severity.HIGH,
    controls=(),
    rationale=(
        "A policy that alone lets its holder escalate, against this account's real users and "
        "roles, makes every principal it is given to a potential administrator. AWS managed "
        "policies are judged through the principals holding them."
    ),
    remediation=(
        "Remove the actions of the first step of the path in the finding or scope their "
        "Resource: aws iam create-policy-version --policy-arn POLICY_ARN --policy-document "
        "file://doc.json --set-as-default (inline: aws iam put-user-policy / put-group-policy / "
        "put-role-policy with the corrected document)"
    ),
    requires=(PART_AUTHORIZATION,),
    resource_type="policy",
)
def policy_privilege_escalation(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    graph = access_analysis(snap, ctx).graph
    on_roles = {ap.arn for r in snap.roles for ap in r.attached_policies}
    documents: list[tuple[Resource, str, Mapping[str, Any], tuple[str, ...]]] = []
    for p in customer_policies(snap):
        if boundary_only(p):
            yield boundary_pass(p)  # a boundary grants nothing by itself
            continue
        if p.unreadable:
            yield unreadable_policy(p)
            continue
        kinds: tuple[str, ...] = ("user", "role") if p.arn in on_roles else ("user",)
        documents.append((Resource("policy", p.name, p.arn), p.name, p.document, kinds))
    for res, kind, ip in _inline_documents(snap):
        if ip.unreadable:
            yield Result.not_assessed(res, f"{res.name}: document unreadable: {ip.unreadable}")
            continue
        kinds = ("role",) if kind == "role" else ("user",)
        documents.append((res, res.name, ip.document, kinds))
    for n, (res, name, document, kinds) in enumerate(documents):
        source = PolicySource(f"policy {name}", parse_document(document))
        perms = EffectivePermissions(f"holder of {name}", (source,))
        if admin_access(perms).verdict is Verdict.ALLOWED:
            yield Result.passed(
                res, f"{res.name} grants * on * itself: policy-full-admin judges that."
            )
            continue
        path = None
        for kind in kinds:
            path = graph.probe(kind, f"holder-of-policy-{n}", perms)
            if path is not None:
                break
        hidden = None
        if path is None:
            hidden = unknown_trust(snap, graph, Node(kinds[-1], f"holder-of-policy-{n}"))
        if hidden is not None:
            yield Result.not_assessed(res, f"{res.name}: {hidden}.")
            continue
        if path is None:
            yield Result.passed(res, f"{res.name} allows no known escalation on its own.")
            continue
        cond = f" (only if: {'; '.join(path.reasons)})" if path.conditional else ""
        text = path.describe().replace(f"holder-of-policy-{n}", f"whoever holds {name}", 1)
        yield Result.failed(
            res,
            f"{res.name} allows privilege escalation: {text}{cond}.",
            severity=severity(path),
            **{**path_details(path), "path": text},
        )
