"""Who can do what where through IAM Identity Center: person -> group or direct -> permission
set -> account, each with the set's effective policy, admin and escalation verdicts.

Pure: built from the snapshot (and, in an organization run, the member accounts' managed
policies). A permission set's policy in an account is its AWS managed policies, its inline
policy and its customer managed policy references resolved by name and path *in that account*,
capped by its permissions boundary. The evaluator and escalation catalogue are the ones IAM
users are judged with (audit/permissions/evaluate.py, escalation.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from audit.model import PART_AUTHORIZATION, ManagedPolicy, Snapshot
from audit.model_org import ScpChain
from audit.model_sso import (
    PRINCIPAL_GROUP,
    PRINCIPAL_USER,
    AccountAssignment,
    CustomerPolicyRef,
    IdentityCenter,
    IdentityStoreUser,
    PermissionSet,
)
from audit.permissions.escalation import Escalation, escalations
from audit.permissions.evaluate import (
    Access,
    EffectivePermissions,
    PolicySource,
    Verdict,
    admin_access,
)
from audit.permissions.scp import scp_verdict
from audit.permissions.statements import parse_document

DIRECT = "direct"
# AdministratorAccess never changes and is the one AWS managed policy whose absence from the
# snapshot would hide what matters most (an account's IAM lists AWS policies only where they
# are attached to an IAM principal there): its document is known.
_ADMINISTRATOR_ACCESS = "AdministratorAccess"
_KNOWN_AWS_DOCUMENTS: Mapping[str, Mapping[str, Any]] = {
    _ADMINISTRATOR_ACCESS: {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
}

# account id -> that account's managed policies; an account missing from the mapping was not
# collected in this run, so its customer managed policies cannot be resolved.
AccountPolicies = Mapping[str, Sequence[ManagedPolicy]]
# account id -> the SCPs from the root down to it (audit/org_context.py scp_chain); an account
# missing from the mapping is judged without SCPs (a single-account run knows only its own).
AccountScps = Mapping[str, ScpChain]


def account_policies(snapshot: Snapshot) -> dict[str, Sequence[ManagedPolicy]]:
    """The single-account run's mapping: only this account's policies are known."""
    if not snapshot.has_part(PART_AUTHORIZATION):
        return {}
    return {snapshot.meta.account_id: snapshot.policies}


def account_scps(snapshot: Snapshot) -> dict[str, ScpChain]:
    """The SCPs the snapshot knows: its own account's, once an organization is attached."""
    org = snapshot.organization
    return {org.account_id: org.scps} if org is not None else {}


def _aws_policy_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def resolve_customer_policy(
    ref: CustomerPolicyRef, policies: Sequence[ManagedPolicy], account_id: str
) -> ManagedPolicy | None:
    """The account's customer managed policy of that name and path, if it exists."""
    for policy in policies:
        if policy.is_aws_managed or policy.name != ref.name or policy.path != ref.path:
            continue
        if policy.arn.split(":")[4:5] in ([account_id], [""]):
            return policy
    return None


@dataclass(frozen=True)
class SetInAccount:
    """One permission set as it applies in one account."""

    permission_set: PermissionSet
    account_id: str
    perms: EffectivePermissions
    # Customer managed references with no policy of that name in the account (a finding).
    missing_policies: tuple[CustomerPolicyRef, ...] = ()
    # Why the account's customer managed policies could not be looked at ("" when they were).
    not_collected: str = ""
    scps: ScpChain | None = None  # None: no SCPs known for the account

    @cached_property
    def admin(self) -> Access:
        """``*`` on ``*`` from the set's policies, then capped by the account's SCPs."""
        found = admin_access(self.perms)
        if not found.granted or self.scps is None:
            return found
        scp = scp_verdict(self.scps, "*")
        if scp.allowed is False:
            note = f"capped by SCPs: {scp.reason}"
            return replace(found, verdict=Verdict.NOT_GRANTED, notes=(*found.notes, note))
        if scp.allowed is None:
            note = f"SCPs may cap it: {scp.reason}"
            return replace(found, verdict=Verdict.CONDITIONAL, notes=(*found.notes, note))
        return found

    @cached_property
    def escalations(self) -> tuple[Escalation, ...]:
        """Methods whose every action the account's SCPs let through (or may: unknown)."""
        found = escalations(self.perms)
        if self.scps is None:
            return found
        chain = self.scps
        return tuple(
            e
            for e in found
            if all(scp_verdict(chain, a).allowed is not False for a in e.method.actions)
        )

    @property
    def is_admin(self) -> bool:
        return self.admin.granted

    @property
    def can_escalate(self) -> bool:
        return bool(self.escalations)

    @property
    def boundary_note(self) -> str:
        """Said with every grant when the boundary could not be read: it could only narrow it."""
        unknown = self.permission_set.boundary_unknown
        return f"its permissions boundary could not be read: {unknown}" if unknown else ""


def _aws_source(
    prefix: str, arn: str, by_arn: Mapping[str, ManagedPolicy], unresolved: list[str]
) -> PolicySource | None:
    name = _aws_policy_name(arn)
    policy = by_arn.get(arn)
    if policy is not None and policy.unreadable:
        unresolved.append(f"AWS managed policy {name} (unreadable)")
        return None
    if policy is not None:
        return PolicySource(f"{prefix}AWS managed policy {name}", parse_document(policy.document))
    known = _KNOWN_AWS_DOCUMENTS.get(name) if arn.endswith(f":policy/{name}") else None
    if known is not None:
        return PolicySource(f"{prefix}AWS managed policy {name}", parse_document(known))
    unresolved.append(arn)
    return None


def set_in_account(
    ps: PermissionSet,
    account_id: str,
    policies: AccountPolicies,
    aws_policies: Mapping[str, ManagedPolicy],
    scps: AccountScps | None = None,
) -> SetInAccount:
    """The set's effective policy in ``account_id``."""
    prefix = f"via permission set {ps.name} -> "
    unresolved: list[str] = []
    sources = [
        s
        for arn in ps.managed_policy_arns
        if (s := _aws_source(prefix, arn, aws_policies, unresolved))
    ]
    if ps.inline_policy is not None:
        sources.append(PolicySource(f"{prefix}inline policy", parse_document(ps.inline_policy)))
    known = policies.get(account_id)
    missing: list[CustomerPolicyRef] = []
    not_collected = (
        "" if known is not None else f"account {account_id}'s IAM policies are not in this snapshot"
    )
    for ref in ps.customer_policies:
        found = resolve_customer_policy(ref, known, account_id) if known is not None else None
        if found is not None and found.unreadable:
            unresolved.append(f"customer managed policy {ref.display} in {account_id} (unreadable)")
        elif found is not None:
            sources.append(
                PolicySource(
                    f"{prefix}customer managed policy {ref.display}",
                    parse_document(found.document),
                )
            )
        elif known is not None:
            # Known to be absent: it grants nothing there (sso-customer-policy-missing says so).
            missing.append(ref)
        else:
            unresolved.append(f"customer managed policy {ref.display} in {account_id}")
    boundary, missing_boundary, unreadable = _boundary(
        ps, account_id, known, aws_policies, unresolved
    )
    perms = EffectivePermissions(
        principal=f"permission set {ps.name} in {account_id}",
        sources=tuple(sources),
        boundary=boundary,
        unresolved=tuple(unresolved),
        missing_boundary=missing_boundary,
        boundary_unreadable=unreadable,
    )
    chain = (scps or {}).get(account_id)
    return SetInAccount(ps, account_id, perms, tuple(missing), not_collected, chain)


def _boundary(
    ps: PermissionSet,
    account_id: str,
    known: Sequence[ManagedPolicy] | None,
    aws_policies: Mapping[str, ManagedPolicy],
    unresolved: list[str],
) -> tuple[PolicySource | None, str | None, bool]:
    """The boundary's source; else what is missing (display name) and whether it is unreadable."""
    if ps.boundary is None:
        return None, None, False
    path = f"permissions boundary {ps.boundary.display}"
    document = None
    policy = None
    if ps.boundary.managed_policy_arn:
        policy = aws_policies.get(ps.boundary.managed_policy_arn)
    elif ps.boundary.customer_policy is not None and known is not None:
        policy = resolve_customer_policy(ps.boundary.customer_policy, known, account_id)
    if policy is not None and not policy.unreadable:
        document = policy.document
    if document is None:
        unresolved.append(f"{path} (unreadable)" if policy is not None else path)
        return None, ps.boundary.display, policy is not None
    return PolicySource(path, parse_document(document)), None, False


@dataclass(frozen=True)
class AccessRow:
    """One person reaching one account through one permission set, by one path."""

    user: IdentityStoreUser
    via: str  # the group's display name, or "direct"
    group_id: str  # "" when direct
    account_id: str
    verdict: SetInAccount

    @property
    def permission_set(self) -> PermissionSet:
        return self.verdict.permission_set


@dataclass(frozen=True)
class AccessView:
    center: IdentityCenter
    rows: tuple[AccessRow, ...]  # by person, account, permission set, path
    sets: Mapping[tuple[str, str], SetInAccount]  # (permission set ARN, account) -> verdict
    # Assignments whose user or group is not in the identity store.
    orphans: tuple[AccountAssignment, ...]

    def rows_for(self, user_id: str) -> tuple[AccessRow, ...]:
        return tuple(r for r in self.rows if r.user.user_id == user_id)

    def people(self) -> tuple[IdentityStoreUser, ...]:
        """People with at least one assignment, in row order."""
        seen: dict[str, IdentityStoreUser] = {}
        for r in self.rows:
            seen.setdefault(r.user.user_id, r.user)
        return tuple(seen.values())

    def accounts(self) -> tuple[str, ...]:
        return tuple(sorted({r.account_id for r in self.rows}))


def target_accounts(center: IdentityCenter, ps: PermissionSet) -> tuple[str, ...]:
    """Where a set applies: assigned or provisioned; a set used nowhere is judged in the
    owner account (its policies are the same everywhere but for customer references)."""
    found = {a.account_id for a in center.assignments if a.permission_set_arn == ps.arn}
    found.update(ps.provisioned_accounts)
    return tuple(sorted(found)) or (center.instance.owner_account_id,)


def _aws_policies(snapshot: Snapshot, policies: AccountPolicies) -> dict[str, ManagedPolicy]:
    everywhere: Iterable[ManagedPolicy] = [p for ps in policies.values() for p in ps]
    return {p.arn: p for p in [*snapshot.policies, *everywhere] if p.is_aws_managed}


def set_verdicts(
    snapshot: Snapshot, policies: AccountPolicies | None = None, scps: AccountScps | None = None
) -> dict[tuple[str, str], SetInAccount]:
    """Every permission set in every account it applies to.

    ``policies`` and ``scps`` default to what the snapshot knows (its own account); an
    organization run passes every member's managed policies and SCP chain.
    """
    center = snapshot.identity_center
    if center is None:
        return {}
    known = account_policies(snapshot) if policies is None else policies
    chains = account_scps(snapshot) if scps is None else scps
    aws = _aws_policies(snapshot, known)
    return {
        (ps.arn, account): set_in_account(ps, account, known, aws, chains)
        for ps in center.permission_sets
        for account in target_accounts(center, ps)
    }


def build_access_view(
    snapshot: Snapshot, policies: AccountPolicies | None = None, scps: AccountScps | None = None
) -> AccessView | None:
    """None when the snapshot holds no Identity Center instance."""
    center = snapshot.identity_center
    if center is None:
        return None
    sets = set_verdicts(snapshot, policies, scps)
    users = center.user_by_id()
    groups = center.group_by_id()
    members = center.members_of()
    rows: list[AccessRow] = []
    orphans: list[AccountAssignment] = []
    for a in center.assignments:
        verdict = sets.get((a.permission_set_arn, a.account_id))
        if verdict is None:  # a set the snapshot does not describe: nothing to judge it by
            continue
        if a.principal_type == PRINCIPAL_USER and a.principal_id in users:
            rows.append(AccessRow(users[a.principal_id], DIRECT, "", a.account_id, verdict))
        elif a.principal_type == PRINCIPAL_GROUP and a.principal_id in groups:
            group = groups[a.principal_id]
            rows += [
                AccessRow(users[uid], group.display_name, group.group_id, a.account_id, verdict)
                for uid in members.get(group.group_id, ())
                if uid in users
            ]
        else:
            orphans.append(a)
    rows.sort(key=lambda r: (r.user.label.lower(), r.account_id, r.permission_set.name, r.via))
    return AccessView(center, tuple(rows), sets, tuple(orphans))
