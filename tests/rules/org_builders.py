"""Hand-built organization snapshots (issue 9), next to the account builders in builders.py.

A small organization by default: the management account, OU Prod (with OU Web below it) and
OU Sandbox; FullAWSAccess attached everywhere, as AWS attaches it to every new root, OU and
account. Tests add SCPs and accounts, or drop FullAWSAccess from a level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from audit.model import ApiOutcome, OutcomeStatus, Snapshot
from audit.model_org import (
    ORGANIZATION_PARTS,
    AccountStatus,
    OrgAccount,
    OrganizationalUnit,
    OrganizationMeta,
    OrgRoot,
    OrgSnapshot,
    ServiceControlPolicy,
)
from audit.org_context import attach_organization
from tests.rules.builders import T0, allow, doc

ORG_ID = "o-exampleorg1"
ROOT_ID = "r-ab12"
MANAGEMENT = "111111111111"
PROD_ACCOUNT = "222222222222"
WEB_ACCOUNT = "333333333333"
SANDBOX_ACCOUNT = "444444444444"
PROD_OU, WEB_OU, SANDBOX_OU = "ou-ab12-prod0001", "ou-ab12-web00001", "ou-ab12-sand0001"

UNITS = (
    OrganizationalUnit(
        PROD_OU, f"arn:aws:organizations::{MANAGEMENT}:ou/x/{PROD_OU}", "Prod", ROOT_ID
    ),
    OrganizationalUnit(
        WEB_OU, f"arn:aws:organizations::{MANAGEMENT}:ou/x/{WEB_OU}", "Web", PROD_OU
    ),
    OrganizationalUnit(
        SANDBOX_OU, f"arn:aws:organizations::{MANAGEMENT}:ou/x/{SANDBOX_OU}", "Sandbox", ROOT_ID
    ),
)


def account(
    account_id: str, name: str, parent: str, status: str = AccountStatus.ACTIVE
) -> OrgAccount:
    return OrgAccount(
        id=account_id,
        arn=f"arn:aws:organizations::{MANAGEMENT}:account/{ORG_ID}/{account_id}",
        name=name,
        email=f"{name}@example.com",
        status=status,
        parent_id=parent,
    )


ACCOUNTS = (
    account(MANAGEMENT, "management", ROOT_ID),
    account(PROD_ACCOUNT, "prod", PROD_OU),
    account(WEB_ACCOUNT, "web", WEB_OU),
    account(SANDBOX_ACCOUNT, "sandbox", SANDBOX_OU),
)


def scp(
    name: str, document: Mapping[str, Any] | None, *targets: str, **extra: Any
) -> ServiceControlPolicy:
    return ServiceControlPolicy(
        id=f"p-{name.lower()}",
        arn=f"arn:aws:organizations::{MANAGEMENT}:policy/{ORG_ID}/service_control_policy/p-{name}",
        name=name,
        document=document,
        targets=targets,
        **extra,
    )


def ok_outcomes() -> tuple[ApiOutcome, ...]:
    return tuple(ApiOutcome(api=p, part=p, status=OutcomeStatus.OK) for p in ORGANIZATION_PARTS)


def org_snapshot(
    *,
    scps: Sequence[ServiceControlPolicy] = (),
    accounts: Sequence[OrgAccount] = ACCOUNTS,
    full_access_except: Sequence[str] = (),
    root_features: tuple[str, ...] | None = (),
    feature_set: str = "ALL",
    scps_enabled: bool = True,
    outcomes: tuple[ApiOutcome, ...] | None = None,
) -> OrgSnapshot:
    """FullAWSAccess on the root, every OU and every account except ``full_access_except``."""
    nodes = [ROOT_ID, *(u.id for u in UNITS), *(a.id for a in accounts)]
    full = scp(
        "FullAWSAccess",
        doc(allow("*")),
        *(n for n in nodes if n not in full_access_except),
        aws_managed=True,
    )
    meta = OrganizationMeta(
        organization_id=ORG_ID,
        arn=f"arn:aws:organizations::{MANAGEMENT}:organization/{ORG_ID}",
        feature_set=feature_set,
        management_account_id=MANAGEMENT,
        partition="aws",
        collected_at=T0,
        tool_version="test",
        caller_account_id=MANAGEMENT,
    )
    root = OrgRoot(
        ROOT_ID,
        f"arn:aws:organizations::{MANAGEMENT}:root/{ORG_ID}/{ROOT_ID}",
        "Root",
        ("SERVICE_CONTROL_POLICY",) if scps_enabled else (),
    )
    return OrgSnapshot(
        meta=meta,
        outcomes=ok_outcomes() if outcomes is None else outcomes,
        roots=(root,),
        units=UNITS,
        accounts=tuple(accounts),
        policies=(full, *scps),
        root_features=root_features,
    )


def in_org(
    snap: Snapshot, org: OrgSnapshot | None = None, account_id: str = PROD_ACCOUNT
) -> Snapshot:
    """``snap`` as account ``account_id`` of ``org`` (default: the Prod member)."""
    moved = replace(snap, meta=replace(snap.meta, account_id=account_id))
    return attach_organization(moved, org or org_snapshot())
