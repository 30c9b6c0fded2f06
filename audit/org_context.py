"""Merge an organization snapshot into an account snapshot: pure, offline, idempotent.

Per-account snapshot files stay the unit of work (collected in slices, by any job runner); an
organization report reads them plus ``organization.json.gz`` and calls
:func:`attach_organization` on each before evaluating it.
"""

from __future__ import annotations

from dataclasses import replace

from audit.model import Snapshot
from audit.model_org import (
    ORGANIZATION_PARTS,
    PART_ORGANIZATION,
    PART_ORGANIZATIONS_FEATURES,
    PART_SERVICE_CONTROL_POLICIES,
    AccountOrgContext,
    OrgPathNode,
    OrgSnapshot,
    ScpAttachment,
    ScpChain,
    ScpLevel,
    TargetType,
)


def _gap_text(org: OrgSnapshot, part: str) -> list[str]:
    return [f"{g.api} {g.status.value}: {g.message}".rstrip(": ") for g in org.part_gaps(part)]


def scp_chain(org: OrgSnapshot, account_id: str) -> ScpChain:
    """The SCPs at each level from the root down to the account (AWS evaluates every level)."""
    if account_id == org.meta.management_account_id:
        return ScpChain(
            applies=False, not_applicable_reason="SCPs never apply to the management account"
        )
    if org.meta.feature_set != "ALL":
        return ScpChain(
            applies=False,
            not_applicable_reason=(
                f"the organization's feature set is {org.meta.feature_set}: no SCPs"
            ),
        )
    if org.has_part(PART_ORGANIZATION) and org.roots and not org.scps_enabled:
        return ScpChain(applies=False, not_applicable_reason="SCPs are not enabled on the root")
    account = org.account(account_id)
    path = org.ou_path(account_id)
    gaps = _gap_text(org, PART_SERVICE_CONTROL_POLICIES)
    if account is None or not path:
        gaps.append("the account's place in the organization is unknown")
    nodes = list(path)
    if account is not None:
        nodes.append(OrgPathNode(account.id, account.name, TargetType.ACCOUNT))
    levels = tuple(
        ScpLevel(
            node,
            tuple(ScpAttachment(p.id, p.name, p.arn, p.document) for p in org.policies_on(node.id)),
        )
        for node in nodes
    )
    gaps += [
        f"the targets of SCP {p.name} were not collected"
        for p in org.policies
        if not p.targets_known
    ]
    return ScpChain(levels=levels, gaps=tuple(dict.fromkeys(gaps)))


def account_context(org: OrgSnapshot, account_id: str) -> AccountOrgContext:
    """What an evaluation of ``account_id`` needs to know about ``org``."""
    account = org.account(account_id)
    is_management = account_id == org.meta.management_account_id
    delegated = next(
        (d.services for d in org.delegated_administrators if d.account_id == account_id), ()
    )
    return AccountOrgContext(
        organization_id=org.meta.organization_id,
        management_account_id=org.meta.management_account_id,
        account_id=account_id,
        account_name=account.name if account else "",
        account_email=account.email if account else "",
        account_status=account.status if account else "",
        is_management=is_management,
        ou_path=org.ou_path(account_id),
        scps=scp_chain(org, account_id),
        organization_account_ids=tuple(sorted(a.id for a in org.accounts)),
        accounts_complete=org.has_part(PART_ORGANIZATION),
        root_features=org.root_features,
        delegated_services=delegated,
    )


def _parts_for(is_management: bool) -> tuple[str, ...]:
    # Only the parts the account's rules can depend on: SCPs matter in members, the root-access
    # setting is judged on the management account.
    if is_management:
        return (PART_ORGANIZATION, PART_ORGANIZATIONS_FEATURES)
    return (PART_ORGANIZATION, PART_SERVICE_CONTROL_POLICIES)


def attach_organization(snapshot: Snapshot, org: OrgSnapshot) -> Snapshot:
    """The account snapshot with its organization context and the organization outcomes it uses.

    Idempotent: organization outcomes from an earlier attach are replaced, not added twice.
    """
    context = account_context(org, snapshot.meta.account_id)
    wanted = _parts_for(context.is_management)
    own = tuple(o for o in snapshot.outcomes if o.part not in ORGANIZATION_PARTS)
    borrowed = tuple(o for o in org.outcomes if o.part in wanted)
    return replace(snapshot, organization=context, outcomes=own + borrowed)
