"""Service control policies: may an action happen in a member account at all? (pure)

AWS's rule: an action is possible in a member account only if *every* level of its path (the
root, each OU down to the account, the account itself) has an SCP that allows it, and no SCP
at any level denies it. SCPs grant nothing; they only cap what identity policies grant. They
never restrict the management account, nor service-linked roles. For ``*`` (full admin), only a
Deny touching IAM administration (:data:`ADMIN_ACTIONS`) takes it away; guardrails such as "deny
leaving the organization" are reported as notes, not as a demotion.

The answer names the blocker, e.g. "denied by SCP DenyIAM at OU Prod". Conditions are not
evaluated: an Allow or a Deny under a Condition makes the answer *conditional*, and an SCP whose
document (or whose targets) were not collected makes it *unknown* (a Deny found elsewhere
still stands). ``action`` ``*`` asks "every action" (full admin); ``resource`` None asks "on at
least some resource", as :func:`audit.permissions.access` does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache

from audit.model import Snapshot
from audit.model_org import ScpChain, ScpLevel
from audit.permissions.evaluate import Access, Verdict
from audit.permissions.statements import Effect, Statement, parse_document, wildcard_match


class ScpDecision(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"  # an SCP denies it
    NOT_ALLOWED = "not allowed"  # some level has no SCP allowing it
    CONDITIONAL = "conditional"  # allowed or denied under a condition of an SCP
    UNKNOWN = "unknown"  # an SCP on the path was not collected
    NOT_APPLICABLE = "not applicable"  # management account, SCPs off, or no organization


@dataclass(frozen=True)
class ScpVerdict:
    decision: ScpDecision
    reason: str = ""  # names the SCP and the level: "denied by SCP DenyIAM at OU Prod"
    notes: tuple[str, ...] = ()  # narrower Denies that do not decide the question

    @property
    def allowed(self) -> bool | None:
        """True: SCPs let it through; False: they block it; None: conditional or unknown."""
        if self.decision in (ScpDecision.ALLOWED, ScpDecision.NOT_APPLICABLE):
            return True
        if self.decision in (ScpDecision.DENIED, ScpDecision.NOT_ALLOWED):
            return False
        return None


NOT_APPLICABLE = ScpVerdict(ScpDecision.NOT_APPLICABLE, "not in an organization run")


def applies_to_principal(principal_arn: str) -> bool:
    """SCPs do not restrict service-linked roles (path /aws-service-role/)."""
    return ":role/aws-service-role/" not in principal_arn


@dataclass(frozen=True)
class _Policy:
    name: str
    statements: tuple[Statement, ...] | None  # None: document not collected or unreadable


@dataclass(frozen=True)
class _Level:
    label: str
    policies: tuple[_Policy, ...]


def _parse_level(level: ScpLevel) -> _Level:
    policies = []
    for p in level.policies:
        statements: tuple[Statement, ...] | None = None
        if p.document is not None:
            try:
                statements = parse_document(p.document)
            except ValueError:
                statements = None
        policies.append(_Policy(p.name, statements))
    return _Level(level.node.label, tuple(policies))


# "Every action" under SCPs: what makes an administrator one is that nothing stops them from
# granting themselves anything, i.e. managing IAM. Guardrail SCPs that deny a few other actions
# (leaving the organization, stopping CloudTrail) leave a full administrator: they are notes.
ADMIN_ACTIONS = (
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateUser",
    "iam:CreateRole",
    "iam:CreateAccessKey",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
)


def _denies(st: Statement, action: str) -> bool:
    if action == "*":
        return any(st.matches_action(a) for a in ADMIN_ACTIONS)
    return st.matches_action(action)


def _allows(st: Statement, action: str) -> bool:
    return st.all_actions if action == "*" else st.matches_action(action)


def _resource_hit(st: Statement, resource: str) -> bool:
    hit = any(wildcard_match(p, resource) for p in st.resources)
    return hit != st.not_resource


def _deny_scope(st: Statement, resource: str | None) -> bool | None:
    """True: the Deny covers the question's resource(s); None: only some of them."""
    if resource is None:
        return True if st.all_resources else None
    return _resource_hit(st, resource) or None


def _allow_scope(st: Statement, resource: str | None) -> bool:
    if resource is None:
        return st.some_resource
    return _resource_hit(st, resource)


def _evaluate(
    levels: tuple[_Level, ...], gaps: tuple[str, ...], action: str, resource: str | None
) -> ScpVerdict:
    conditional: list[str] = []
    notes: list[str] = []
    unknown: list[str] = list(gaps)
    not_allowed: str | None = None
    for level in levels:
        allowed_here = False
        conditional_allow: str | None = None
        level_unknown: list[str] = []
        for policy in level.policies:
            where = f"SCP {policy.name} at {level.label}"
            if policy.statements is None:
                level_unknown.append(f"{where} was not collected")
                continue
            for st in policy.statements:
                if st.effect is Effect.DENY and action == "*" and not _denies(st, action):
                    notes.append(f"{where} denies {st.describe_actions()}")
                elif st.effect is Effect.DENY and _denies(st, action):
                    scope = _deny_scope(st, resource)
                    if scope is None:
                        notes.append(f"denied on {st.describe_resources()} by {where}")
                    elif st.conditional:
                        conditional.append(f"denied under a condition by {where}")
                    else:
                        return ScpVerdict(ScpDecision.DENIED, f"denied by {where}", tuple(notes))
                elif (
                    st.effect is Effect.ALLOW and _allows(st, action) and _allow_scope(st, resource)
                ):
                    if st.conditional:
                        conditional_allow = (
                            conditional_allow or f"allowed only under a condition by {where}"
                        )
                    else:
                        allowed_here = True
        unknown += level_unknown
        if allowed_here:
            continue
        if conditional_allow:
            conditional.append(conditional_allow)
        elif not level_unknown and not_allowed is None:
            what = "every action" if action == "*" else action
            not_allowed = f"not allowed by any SCP at {level.label} (none allows {what})"
    notes_t = tuple(dict.fromkeys(notes))
    if unknown:
        return ScpVerdict(ScpDecision.UNKNOWN, "; ".join(dict.fromkeys(unknown)), notes_t)
    if not_allowed:
        return ScpVerdict(ScpDecision.NOT_ALLOWED, not_allowed, notes_t)
    if conditional:
        return ScpVerdict(ScpDecision.CONDITIONAL, "; ".join(dict.fromkeys(conditional)), notes_t)
    return ScpVerdict(ScpDecision.ALLOWED, "allowed by the SCPs at every level", notes_t)


class _Chain:
    """A chain keyed by identity (its documents are dicts, so it is not hashable)."""

    __slots__ = ("chain",)

    def __init__(self, chain: ScpChain) -> None:
        self.chain = chain

    def __hash__(self) -> int:
        return id(self.chain)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Chain) and other.chain is self.chain


@lru_cache(maxsize=64)
def _levels(key: _Chain) -> tuple[_Level, ...]:
    return tuple(_parse_level(level) for level in key.chain.levels)


@lru_cache(maxsize=65536)  # the same (chain, action) question recurs for every principal
def _cached(key: _Chain, action: str, resource: str | None) -> ScpVerdict:
    return _evaluate(_levels(key), key.chain.gaps, action, resource)


def scp_verdict(chain: ScpChain | None, action: str, resource: str | None = None) -> ScpVerdict:
    """May ``action`` (``*``: every action) on ``resource`` (None: some resource) happen?

    ``chain`` is :attr:`audit.model_org.AccountOrgContext.scps`; None (a single-account run)
    and a chain that does not apply (the management account) answer NOT_APPLICABLE.
    """
    if chain is None:
        return NOT_APPLICABLE
    if not chain.applies:
        return ScpVerdict(ScpDecision.NOT_APPLICABLE, chain.not_applicable_reason)
    return _cached(_Chain(chain), action, resource)


def chain_for(snapshot: Snapshot, principal_arn: str) -> ScpChain | None:
    """The SCP chain that caps ``principal_arn`` in this snapshot's account, or None.

    None in a single-account run, and for service-linked roles (SCPs never restrict them).
    """
    org = snapshot.organization
    if org is None or not applies_to_principal(principal_arn):
        return None
    return org.scps


def capped(access: Access, chain: ScpChain | None, resource: str | None = None) -> Access:
    """``access`` (from :func:`audit.permissions.access` or ``admin_access``) as SCPs leave it.

    Blocked by an SCP -> NOT_GRANTED, the SCP named in the notes ("denied by SCP DenyIAM at OU
    Prod"); conditional or unknown -> CONDITIONAL with the reason; otherwise unchanged.
    """
    if not access.granted or chain is None:
        return access
    verdict = scp_verdict(chain, access.action, resource)
    if verdict.decision in (ScpDecision.ALLOWED, ScpDecision.NOT_APPLICABLE):
        return replace(access, notes=access.notes + verdict.notes) if verdict.notes else access
    notes = access.notes + verdict.notes + (verdict.reason,)
    if verdict.allowed is False:
        return Access(access.action, Verdict.NOT_GRANTED, (), (), notes)
    return replace(access, verdict=Verdict.CONDITIONAL, notes=notes)
