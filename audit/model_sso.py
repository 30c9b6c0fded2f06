"""IAM Identity Center in the snapshot: the instance, permission sets, assignments, people.

Plain frozen data like :mod:`audit.model` (which holds one :class:`IdentityCenter` on the
snapshot). This module imports nothing from the rest of the package, so the snapshot decoder
can resolve its types from :mod:`audit.model` without an import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

# sso-admin: the instance, permission sets and their policies, assignments, provisioning.
PART_IDENTITY_CENTER = "identity_center"
# identitystore: users, groups, group memberships.
PART_IDENTITY_STORE = "identity_store"
# GetPermissionsBoundaryForPermissionSet on its own: an endpoint without it (moto) must not
# make every Identity Center rule "not assessed"; what it leaves unknown is said per set.
PART_IDENTITY_CENTER_BOUNDARIES = "identity_center_boundaries"

PRINCIPAL_USER = "USER"
PRINCIPAL_GROUP = "GROUP"


class ProvisioningState(StrEnum):
    """Whether an account holds the latest version of a permission set."""

    CURRENT = "current"  # LATEST_PERMISSION_SET_PROVISIONED
    OUTDATED = "outdated"  # LATEST_PERMISSION_SET_NOT_PROVISIONED: edited since provisioned
    UNKNOWN = "unknown"  # the API did not tell (e.g. the endpoint ignored the status filter)


@dataclass(frozen=True)
class IdentityCenterInstance:
    arn: str
    identity_store_id: str
    owner_account_id: str
    name: str = ""
    status: str = ""
    created: datetime | None = None


@dataclass(frozen=True)
class CustomerPolicyRef:
    """A customer managed policy referenced by name and path, resolved in each target account."""

    name: str
    path: str = "/"

    @property
    def display(self) -> str:
        return f"{self.path}{self.name}" if self.path != "/" else self.name


@dataclass(frozen=True)
class PermissionSetBoundary:
    """A permission set's permissions boundary: an AWS managed policy or a customer reference."""

    managed_policy_arn: str | None = None
    customer_policy: CustomerPolicyRef | None = None

    @property
    def display(self) -> str:
        if self.managed_policy_arn:
            return self.managed_policy_arn
        return self.customer_policy.display if self.customer_policy else ""


_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def duration_seconds(text: str) -> int | None:
    """ISO 8601 ``PT12H``, ``PT1H30M`` -> seconds; None when absent or not in that form."""
    match = _DURATION.match(text.strip()) if text else None
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@dataclass(frozen=True)
class PermissionSet:
    arn: str
    name: str
    description: str = ""
    session_duration: str = ""  # ISO 8601 as AWS sends it, e.g. "PT8H"; AWS default is PT1H
    relay_state: str = ""
    created: datetime | None = None
    managed_policy_arns: tuple[str, ...] = ()  # AWS managed policies attached
    inline_policy: Mapping[str, Any] | None = None  # decoded document; None when there is none
    customer_policies: tuple[CustomerPolicyRef, ...] = ()
    boundary: PermissionSetBoundary | None = None
    # Why the boundary is unknown ("" when it was read): the API and its status, e.g.
    # "sso:GetPermissionsBoundaryForPermissionSet not_supported" (the outcome has the message).
    boundary_unknown: str = ""
    provisioned_accounts: tuple[str, ...] = ()  # ListAccountsForProvisionedPermissionSet

    @property
    def session_seconds(self) -> int | None:
        return duration_seconds(self.session_duration)


@dataclass(frozen=True)
class AccountAssignment:
    account_id: str
    permission_set_arn: str
    principal_type: str  # USER | GROUP
    principal_id: str


@dataclass(frozen=True)
class Provisioning:
    """One permission set provisioned to one account, as ListPermissionSetsProvisionedToAccount
    tells it."""

    account_id: str
    permission_set_arn: str
    state: ProvisioningState


@dataclass(frozen=True)
class IdentityStoreUser:
    user_id: str
    user_name: str
    display_name: str = ""
    emails: tuple[str, ...] = ()  # primary first
    active: bool | None = None  # None: the directory does not report it

    @property
    def label(self) -> str:
        return self.user_name or self.display_name or self.user_id


@dataclass(frozen=True)
class IdentityStoreGroup:
    group_id: str
    display_name: str
    description: str = ""


@dataclass(frozen=True)
class GroupMembership:
    group_id: str
    user_id: str


@dataclass(frozen=True)
class IdentityCenter:
    """One Identity Center instance as collected from the account that owns it."""

    instance: IdentityCenterInstance
    permission_sets: tuple[PermissionSet, ...] = ()
    assignments: tuple[AccountAssignment, ...] = ()
    provisioning: tuple[Provisioning, ...] = ()
    users: tuple[IdentityStoreUser, ...] = ()
    groups: tuple[IdentityStoreGroup, ...] = ()
    memberships: tuple[GroupMembership, ...] = ()
    # The accounts whose assignments were listed: those a set is provisioned to, the owner
    # account and (in an organization run) every member. Assignments elsewhere are unseen.
    accounts_listed: tuple[str, ...] = ()

    def permission_set_by_arn(self) -> dict[str, PermissionSet]:
        return {p.arn: p for p in self.permission_sets}

    def user_by_id(self) -> dict[str, IdentityStoreUser]:
        return {u.user_id: u for u in self.users}

    def group_by_id(self) -> dict[str, IdentityStoreGroup]:
        return {g.group_id: g for g in self.groups}

    def members_of(self) -> dict[str, tuple[str, ...]]:
        """group id -> user ids, in collection order."""
        out: dict[str, list[str]] = {}
        for m in self.memberships:
            out.setdefault(m.group_id, []).append(m.user_id)
        return {g: tuple(u) for g, u in out.items()}
