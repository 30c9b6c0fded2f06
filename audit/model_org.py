"""The organization around the accounts (issue 9): OU tree, accounts, SCPs, delegated admins.

Two families of frozen data live here:

- :class:`OrgSnapshot`, what the management account (or a delegated administrator) says about
  the whole organization, with an :class:`~audit.model.ApiOutcome` per API: a denied or failing
  call is data, never an exception. It is written to its own file (``organization.json.gz``).
- :class:`AccountOrgContext`, what one account's evaluation needs to know about its
  organization (its OU path, the SCP chain above it, the organization's account ids). It sits on
  :attr:`audit.model.Snapshot.organization` and is filled by
  :func:`audit.org_context.attach_organization`, so per-account snapshot files stay the unit of
  work and an organization report merges them offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from audit.model import ApiOutcome, OutcomeStatus

ORG_SCHEMA_VERSION = 1

# The parts of an organization snapshot. attach_organization copies the outcomes of the parts
# an account's rules depend on into that account's snapshot, so the engine's "requires" works
# for organization data exactly as for IAM data.
PART_ORGANIZATION = "organization"  # DescribeOrganization, ListRoots, the OU tree, the accounts
PART_SERVICE_CONTROL_POLICIES = "service_control_policies"  # ListPolicies, DescribePolicy, targets
PART_DELEGATED_ADMINISTRATORS = "delegated_administrators"
PART_ORGANIZATIONS_FEATURES = "organizations_features"  # iam:ListOrganizationsFeatures

# The outcome part of sts:AssumeRole into an account (on AccountCollection, not a snapshot part).
PART_ACCOUNT_ACCESS = "account_access"

ORGANIZATION_PARTS = (
    PART_ORGANIZATION,
    PART_SERVICE_CONTROL_POLICIES,
    PART_DELEGATED_ADMINISTRATORS,
    PART_ORGANIZATIONS_FEATURES,
)

SCP_POLICY_TYPE = "SERVICE_CONTROL_POLICY"
# iam:ListOrganizationsFeatures names for "centralised root access" (AWS, November 2024).
ROOT_CREDENTIALS_MANAGEMENT = "RootCredentialsManagement"
ROOT_SESSIONS = "RootSessions"


class TargetType(StrEnum):
    ROOT = "ROOT"
    ORGANIZATIONAL_UNIT = "ORGANIZATIONAL_UNIT"
    ACCOUNT = "ACCOUNT"


class AccountStatus(StrEnum):
    """Organizations' account state (a string in the model: AWS may add values).

    AWS is replacing the account's ``Status`` (ACTIVE, SUSPENDED, PENDING_CLOSURE) with
    ``State`` (adds PENDING_ACTIVATION and CLOSED); the collector prefers ``State``.
    """

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    PENDING_CLOSURE = "PENDING_CLOSURE"
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    CLOSED = "CLOSED"


# Accounts that cannot be signed in to or read: collection does not try them.
UNREADABLE_STATUSES = frozenset(
    {AccountStatus.SUSPENDED, AccountStatus.PENDING_CLOSURE, AccountStatus.CLOSED}
)


# --- the organization snapshot ----------------------------------------------------------------


@dataclass(frozen=True)
class OrgRoot:
    id: str  # r-xxxx
    arn: str
    name: str
    policy_types: tuple[str, ...] = ()  # the policy types ENABLED on the root

    @property
    def scps_enabled(self) -> bool:
        # SCPs take effect only where the policy type is enabled on the root.
        return SCP_POLICY_TYPE in self.policy_types


@dataclass(frozen=True)
class OrganizationalUnit:
    id: str  # ou-xxxx-yyyyyyyy
    arn: str
    name: str
    parent_id: str  # a root id or another OU's id


@dataclass(frozen=True)
class OrgAccount:
    id: str
    arn: str
    name: str
    email: str
    status: str  # AccountStatus values; kept a string, AWS has added states before
    parent_id: str  # a root id or an OU id ("" when the tree walk did not reach it)
    joined_method: str = ""  # CREATED or INVITED
    joined_at: datetime | None = None

    @property
    def suspended(self) -> bool:
        """Suspended, closing or closed: nothing in it can be read."""
        return self.status in UNREADABLE_STATUSES


@dataclass(frozen=True)
class ServiceControlPolicy:
    id: str  # p-xxxx (p-FullAWSAccess for the AWS managed default)
    arn: str
    name: str
    description: str = ""
    aws_managed: bool = False
    document: Mapping[str, Any] | None = None  # None: DescribePolicy failed for it
    targets: tuple[str, ...] = ()  # root, OU and account ids it is attached to
    targets_known: bool = True  # False: ListTargetsForPolicy failed for it


@dataclass(frozen=True)
class DelegatedAdministrator:
    account_id: str
    name: str = ""
    email: str = ""
    status: str = ""
    delegation_enabled_at: datetime | None = None
    services: tuple[str, ...] = ()  # service principals, e.g. sso.amazonaws.com


@dataclass(frozen=True)
class OrganizationMeta:
    organization_id: str
    arn: str
    feature_set: str  # ALL or CONSOLIDATED_BILLING (no SCPs then)
    management_account_id: str
    partition: str
    collected_at: datetime
    tool_version: str
    management_account_email: str = ""
    caller_account_id: str = ""  # the management account or a delegated administrator
    caller_arn: str = ""
    source: str = "aws"  # "aws", "demo" or the endpoint URL
    schema_version: int = ORG_SCHEMA_VERSION


@dataclass(frozen=True)
class OrgPathNode:
    """One step of an account's position: the root, an OU (or the account itself)."""

    id: str
    name: str
    type: TargetType

    @property
    def label(self) -> str:
        if self.type is TargetType.ROOT:
            return "root"
        if self.type is TargetType.ORGANIZATIONAL_UNIT:
            return f"OU {self.name}"
        return f"account {self.id}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class OrgSnapshot:
    meta: OrganizationMeta
    outcomes: tuple[ApiOutcome, ...] = ()
    roots: tuple[OrgRoot, ...] = ()
    units: tuple[OrganizationalUnit, ...] = ()
    accounts: tuple[OrgAccount, ...] = ()
    policies: tuple[ServiceControlPolicy, ...] = ()  # SCPs only
    delegated_administrators: tuple[DelegatedAdministrator, ...] = ()
    # iam:ListOrganizationsFeatures' EnabledFeatures; None when it could not be read.
    root_features: tuple[str, ...] | None = None

    def part_gaps(self, part: str) -> tuple[ApiOutcome, ...]:
        """Outcomes that keep ``part`` from being complete (a part never recorded is a gap)."""
        mine = [o for o in self.outcomes if o.part == part]
        if not mine:
            return (
                ApiOutcome(
                    api=part, part=part, status=OutcomeStatus.ERROR, message="not collected"
                ),
            )
        return tuple(o for o in mine if o.status is not OutcomeStatus.OK)

    def has_part(self, part: str) -> bool:
        return not self.part_gaps(part)

    @property
    def failed_outcomes(self) -> tuple[ApiOutcome, ...]:
        """Denied or failed calls (NOT_SUPPORTED is shown, not counted, as for an account)."""
        return tuple(
            o
            for o in self.outcomes
            if o.status not in (OutcomeStatus.OK, OutcomeStatus.NOT_SUPPORTED)
        )

    @property
    def scps_enabled(self) -> bool:
        return any(r.scps_enabled for r in self.roots)

    def account(self, account_id: str) -> OrgAccount | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def unit(self, unit_id: str) -> OrganizationalUnit | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def node(self, node_id: str) -> OrgPathNode | None:
        """The root or OU with this id, as a path node."""
        for root in self.roots:
            if root.id == node_id:
                return OrgPathNode(root.id, root.name, TargetType.ROOT)
        unit = self.unit(node_id)
        return OrgPathNode(unit.id, unit.name, TargetType.ORGANIZATIONAL_UNIT) if unit else None

    def path_to(self, parent_id: str) -> tuple[OrgPathNode, ...]:
        """Root first, down to ``parent_id``; empty when the id is not in the tree."""
        path: list[OrgPathNode] = []
        seen: set[str] = set()
        current: str | None = parent_id
        while current and current not in seen:
            seen.add(current)
            node = self.node(current)
            if node is None:
                return ()
            path.append(node)
            unit = self.unit(current)
            current = unit.parent_id if unit else None
        return tuple(reversed(path))

    def ou_path(self, account_id: str) -> tuple[OrgPathNode, ...]:
        account = self.account(account_id)
        return self.path_to(account.parent_id) if account else ()

    def units_under(self, unit_id: str) -> tuple[str, ...]:
        """``unit_id`` (an OU or a root) and the id of every OU below it."""
        found = [unit_id]
        for parent in found:  # grows while iterating: a breadth-first walk
            found += [u.id for u in self.units if u.parent_id == parent and u.id not in found]
        return tuple(found)

    def policies_on(self, target_id: str) -> tuple[ServiceControlPolicy, ...]:
        return tuple(p for p in self.policies if target_id in p.targets)


def path_text(path: tuple[OrgPathNode, ...]) -> str:
    """'Root/Prod/Web': the names from the root down (what CSV columns and suppressions use)."""
    return "/".join(n.name for n in path)


# --- what one account's evaluation knows about its organization -------------------------------


@dataclass(frozen=True)
class ScpAttachment:
    policy_id: str
    name: str
    arn: str = ""
    document: Mapping[str, Any] | None = None  # None: not collected (the verdict is unknown)


@dataclass(frozen=True)
class ScpLevel:
    """The SCPs attached at one level of an account's path (root, an OU, the account)."""

    node: OrgPathNode
    policies: tuple[ScpAttachment, ...] = ()


@dataclass(frozen=True)
class ScpChain:
    """Every level from the root down to the account, in that order.

    ``applies`` is False for the management account (SCPs never restrict it) and where the SCP
    policy type is not enabled; ``gaps`` say why the chain may be incomplete (a policy or its
    targets not collected): then an Allow is unproven, while a Deny found still stands.
    """

    levels: tuple[ScpLevel, ...] = ()
    applies: bool = True
    not_applicable_reason: str = ""
    gaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountOrgContext:
    organization_id: str
    management_account_id: str
    account_id: str
    account_name: str = ""
    account_email: str = ""
    account_status: str = ""  # "" when the account was not found in the organization
    is_management: bool = False
    ou_path: tuple[OrgPathNode, ...] = ()  # root first, then OUs down to the account's parent
    scps: ScpChain = ScpChain()
    organization_account_ids: tuple[str, ...] = ()
    # False when the account list may miss accounts (an OU could not be listed): an account
    # absent from the list is then not proven to be outside the organization.
    accounts_complete: bool = True
    root_features: tuple[str, ...] | None = None  # the organization's, where it was read
    delegated_services: tuple[str, ...] = ()  # services this account is delegated admin for

    @property
    def ou_path_text(self) -> str:
        return path_text(self.ou_path)

    def in_organization(self, account_id: str) -> bool:
        return account_id in self.organization_account_ids


# --- how collecting each account went (organization runs) -------------------------------------


class CollectionStatus(StrEnum):
    COLLECTED = "collected"  # every API answered
    PARTIAL = "partial"  # a snapshot, with some APIs denied or failing (see its outcomes)
    NOT_COLLECTED = "not_collected"  # no snapshot: suspended, AssumeRole refused, ...


@dataclass(frozen=True)
class AccountCollection:
    """One account's collection in an organization run: the status, why, and what to do.

    Written next to (or instead of) the account's snapshot, so an organization report built
    offline knows the accounts that could not be read and why.
    """

    account_id: str
    status: CollectionStatus
    account_name: str = ""
    ou_path: str = ""  # "Root/Prod/Web"
    reason: str = ""  # empty when collected
    fix: str = ""  # the remedy in words: "deploy the reader role: docs/org-reader-role.yaml"
    role_arn: str = ""  # the role assumed ("" for the caller's own account)
    outcomes: tuple[ApiOutcome, ...] = ()  # sts:AssumeRole, and the failed calls when partial
    seconds: float = 0.0
