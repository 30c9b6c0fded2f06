"""Users, groups, roles and managed policies from GetAccountAuthorizationDetails.

One paginated API gives everything per identity (memberships, inline and attached policies,
boundaries, tags, role last use) and every managed policy's versions: no per-user calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.collect.calls import ApiResult, call_api, failed, one_line
from audit.collect.normalise import policy_document, tags, utc
from audit.collect.session import Clients
from audit.model import (
    PART_AUTHORIZATION,
    PART_POLICY_DOCUMENTS,
    ApiOutcome,
    AttachedPolicy,
    Group,
    InlinePolicy,
    ManagedPolicy,
    OutcomeStatus,
    Role,
    User,
)

ACTIONS = ("iam:GetAccountAuthorizationDetails",)
PAGE_SIZE = 1000  # MaxItems: the most IAM's paginated List/Get APIs return per call


@dataclass(frozen=True)
class AuthorizationDetails:
    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()
    roles: tuple[Role, ...] = ()
    policies: tuple[ManagedPolicy, ...] = ()


def _document(value: object) -> tuple[Mapping[str, Any], str]:
    """The decoded document and "", or {} and why it cannot be read.

    One bad document is that policy's gap, not the whole account's: the model records it as
    unreadable and the rules that need it say so for the principals it reaches.
    """
    try:
        return policy_document(value), ""
    except ValueError as exc:
        return {}, str(exc)


def _inline_policy(item: Mapping[str, Any]) -> InlinePolicy:
    document, unreadable = _document(item["PolicyDocument"])
    return InlinePolicy(name=str(item["PolicyName"]), document=document, unreadable=unreadable)


def _inline(items: Iterable[Mapping[str, Any]]) -> tuple[InlinePolicy, ...]:
    return tuple(_inline_policy(p) for p in items)


def _attached(items: Iterable[Mapping[str, Any]]) -> tuple[AttachedPolicy, ...]:
    return tuple(AttachedPolicy(name=str(p["PolicyName"]), arn=str(p["PolicyArn"])) for p in items)


def _boundary(item: Mapping[str, Any]) -> str | None:
    boundary = item.get("PermissionsBoundary") or {}
    arn = boundary.get("PermissionsBoundaryArn")
    return str(arn) if arn else None


def _user(u: Mapping[str, Any]) -> User:
    return User(
        name=str(u["UserName"]),
        arn=str(u["Arn"]),
        user_id=str(u.get("UserId", "")),
        path=str(u.get("Path", "/")),
        create_date=utc(u.get("CreateDate")),
        groups=tuple(str(g) for g in u.get("GroupList", [])),
        inline_policies=_inline(u.get("UserPolicyList", [])),
        attached_policies=_attached(u.get("AttachedManagedPolicies", [])),
        permissions_boundary_arn=_boundary(u),
        tags=tags(u.get("Tags")),
    )


def _group(g: Mapping[str, Any]) -> Group:
    return Group(
        name=str(g["GroupName"]),
        arn=str(g["Arn"]),
        group_id=str(g.get("GroupId", "")),
        path=str(g.get("Path", "/")),
        create_date=utc(g.get("CreateDate")),
        inline_policies=_inline(g.get("GroupPolicyList", [])),
        attached_policies=_attached(g.get("AttachedManagedPolicies", [])),
    )


def _role(r: Mapping[str, Any]) -> Role:
    last = r.get("RoleLastUsed") or {}
    trust = r.get("AssumeRolePolicyDocument")
    document, unreadable = _document(trust) if trust else ({}, "")
    return Role(
        name=str(r["RoleName"]),
        arn=str(r["Arn"]),
        role_id=str(r.get("RoleId", "")),
        path=str(r.get("Path", "/")),
        create_date=utc(r.get("CreateDate")),
        assume_role_policy=document,
        inline_policies=_inline(r.get("RolePolicyList", [])),
        attached_policies=_attached(r.get("AttachedManagedPolicies", [])),
        permissions_boundary_arn=_boundary(r),
        tags=tags(r.get("Tags")),
        last_used=utc(last.get("LastUsedDate")),
        last_used_region=str(last["Region"]) if last.get("Region") else None,
        trust_unreadable=unreadable,
    )


def _policy(p: Mapping[str, Any]) -> ManagedPolicy:
    default_id = str(p.get("DefaultVersionId", ""))
    versions = p.get("PolicyVersionList", [])
    default = next(
        (v for v in versions if v.get("IsDefaultVersion") or v.get("VersionId") == default_id),
        None,
    )
    if default is None:
        raise ValueError(f"policy {p.get('Arn')} has no default version document")
    arn = str(p["Arn"])
    document, unreadable = _document(default["Document"])
    return ManagedPolicy(
        # moto omits PolicyName; the ARN always ends in it.
        name=str(p.get("PolicyName") or arn.rsplit("/", 1)[-1]),
        arn=arn,
        policy_id=str(p.get("PolicyId", "")),
        path=str(p.get("Path", "/")),
        default_version_id=default_id or str(default.get("VersionId", "")),
        document=document,
        attachment_count=int(p.get("AttachmentCount", 0)),
        permissions_boundary_usage_count=int(p.get("PermissionsBoundaryUsageCount", 0)),
        is_attachable=bool(p.get("IsAttachable", True)),
        create_date=utc(p.get("CreateDate")),
        update_date=utc(p.get("UpdateDate")),
        unreadable=unreadable,
    )


def _in_use(raw: Mapping[str, Any], referenced: set[str]) -> bool:
    # Customer policies always count; AWS's own (about 1,300) only when something uses them.
    arn = str(raw["Arn"])
    if arn.split(":")[4:5] != ["aws"]:
        return True
    used = int(raw.get("AttachmentCount", 0)) + int(raw.get("PermissionsBoundaryUsageCount", 0))
    return used > 0 or arn in referenced


def normalise(pages: Sequence[Mapping[str, Any]]) -> AuthorizationDetails:
    """Pure: GetAccountAuthorizationDetails pages -> the snapshot's identities and policies."""

    def every(key: str) -> list[Mapping[str, Any]]:
        return [item for page in pages for item in page.get(key, [])]

    users = tuple(_user(u) for u in every("UserDetailList"))
    groups = tuple(_group(g) for g in every("GroupDetailList"))
    roles = tuple(_role(r) for r in every("RoleDetailList"))
    holders: list[User | Group | Role] = [*users, *groups, *roles]
    referenced = {a.arn for holder in holders for a in holder.attached_policies}
    referenced |= {u.permissions_boundary_arn or "" for u in users}
    referenced |= {r.permissions_boundary_arn or "" for r in roles}
    policies = tuple(_policy(p) for p in every("Policies") if _in_use(p, referenced))
    return AuthorizationDetails(
        users=tuple(sorted(users, key=lambda u: u.name)),
        groups=tuple(sorted(groups, key=lambda g: g.name)),
        roles=tuple(sorted(roles, key=lambda r: r.name)),
        policies=tuple(sorted(policies, key=lambda p: p.arn)),
    )


def unreadable_policies(details: AuthorizationDetails, api: str) -> tuple[ApiOutcome, ...]:
    """An error outcome naming the policy documents that could not be read, if any."""
    holders: list[tuple[str, User | Group | Role]] = [
        *(("user", u) for u in details.users),
        *(("group", g) for g in details.groups),
        *(("role", r) for r in details.roles),
    ]
    bad = [
        f"{kind} {holder.name}: {p.name} ({p.unreadable})"
        for kind, holder in holders
        for p in holder.inline_policies
        if p.unreadable
    ]
    bad += [f"managed policy {p.name} ({p.unreadable})" for p in details.policies if p.unreadable]
    bad += [
        f"role {r.name}: trust policy ({r.trust_unreadable})"
        for r in details.roles
        if r.trust_unreadable
    ]
    if not bad:
        return ()
    noun = "policy document cannot" if len(bad) == 1 else "policy documents cannot"
    message = one_line(f"{len(bad)} {noun} be read: " + "; ".join(bad))
    return (ApiOutcome(api, PART_POLICY_DOCUMENTS, OutcomeStatus.ERROR, message),)


def collect(clients: Clients) -> tuple[AuthorizationDetails, ApiOutcome]:
    iam = clients.iam()

    def fetch() -> Iterable[Mapping[str, Any]]:
        # AWS's default page is 100 items: ask for its maximum, 10x fewer of these heavy calls.
        paginator = iam.get_paginator("get_account_authorization_details")
        return paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE})

    result: ApiResult = call_api(
        "iam:GetAccountAuthorizationDetails",
        PART_AUTHORIZATION,
        fetch,
    )
    if not result.ok:
        return AuthorizationDetails(), result.outcome
    try:
        return normalise(result.pages), result.outcome
    except (KeyError, TypeError, ValueError) as exc:
        return AuthorizationDetails(), failed(result, exc).outcome
