"""Effective permissions of an IAM user, and where each grant comes from.

Pure: it reads the snapshot's decoded policy documents and never calls AWS. The action space
is open-ended, so instead of enumerating it the evaluator answers questions: "may this user do
iam:PassRole?" (:func:`access`), "may it do ``*`` on ``*``?" (:func:`admin_access`) and "which
privilege-escalation methods does it hold?" (:func:`escalations`).

Semantics follow IAM's policy evaluation for identity policies: an explicit Deny wins, an Allow
is needed, and a permissions boundary must allow too. A Deny only *removes* an action when it is
unconditional and covers every resource; narrower Denies are reported as notes. An Allow under a
Condition is reported as conditional, never as a plain grant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from audit.model import AttachedPolicy, InlinePolicy, ManagedPolicy, Snapshot, User


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class Verdict(StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # allowed only under a Condition
    DENIED = "denied"  # explicitly denied
    NOT_GRANTED = "not granted"  # no Allow, or outside the permissions boundary


@lru_cache(maxsize=4096)
def _pattern(glob: str) -> re.Pattern[str]:
    # IAM wildcards: * any run of characters, ? one character; action names are case-insensitive.
    body = re.escape(glob).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body, re.IGNORECASE)


@lru_cache(maxsize=65536)  # the same (pattern, action) pairs recur for every user
def wildcard_match(glob: str, value: str) -> bool:
    return _pattern(glob).fullmatch(value) is not None


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{what} must be a string or a list of strings, not {value!r}")


@dataclass(frozen=True)
class Statement:
    """One policy statement, normalised: lists always, Not* flags instead of separate keys."""

    effect: Effect
    actions: tuple[str, ...]
    not_action: bool  # True: ``actions`` is a NotAction list
    resources: tuple[str, ...]
    not_resource: bool  # True: ``resources`` is a NotResource list
    conditional: bool
    sid: str = ""

    def matches_action(self, action: str) -> bool:
        hit = any(wildcard_match(p, action) for p in self.actions)
        return hit != self.not_action

    @property
    def all_actions(self) -> bool:
        return not self.not_action and "*" in self.actions

    @property
    def all_resources(self) -> bool:
        return not self.not_resource and "*" in self.resources

    @property
    def some_resource(self) -> bool:
        """False only for a statement that can match no resource at all (NotResource "*")."""
        return not (self.not_resource and "*" in self.resources)

    def describe_actions(self) -> str:
        listed = ", ".join(self.actions)
        return f"every action except {listed}" if self.not_action else listed

    def describe_resources(self) -> str:
        if self.all_resources:
            return "*"
        listed = ", ".join(self.resources)
        return f"every resource except {listed}" if self.not_resource else listed


def parse_statement(raw: Any) -> Statement:
    if not isinstance(raw, Mapping):
        raise ValueError(f"a policy statement must be an object, not {raw!r}")
    effect_text = raw.get("Effect")
    if effect_text not in ("Allow", "Deny"):
        raise ValueError(f"statement Effect must be Allow or Deny, not {effect_text!r}")
    not_action = "NotAction" in raw
    not_resource = "NotResource" in raw
    return Statement(
        effect=Effect(effect_text),
        actions=_strings(raw.get("NotAction" if not_action else "Action"), "Action"),
        not_action=not_action,
        resources=_strings(raw.get("NotResource" if not_resource else "Resource"), "Resource"),
        not_resource=not_resource,
        conditional=bool(raw.get("Condition")),
        sid=str(raw.get("Sid", "")),
    )


def parse_document(document: Mapping[str, Any]) -> tuple[Statement, ...]:
    """Statements of a decoded policy document; Statement may be one object or a list."""
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    return tuple(parse_statement(s) for s in items)


@dataclass(frozen=True)
class PolicySource:
    """One policy document in a principal's reach, with the path that puts it there."""

    path: str  # "via group g-admins -> policy AdministratorAccess"
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class EffectivePermissions:
    principal: str
    sources: tuple[PolicySource, ...]
    boundary: PolicySource | None = None
    # Policies (or groups) referenced but absent from the snapshot: answers may be incomplete.
    unresolved: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.unresolved


@dataclass(frozen=True)
class Access:
    """The answer for one action (or ``*`` for full admin)."""

    action: str
    verdict: Verdict
    paths: tuple[str, ...] = ()  # the allowing paths, or the denying ones when denied
    resources: tuple[str, ...] = ()  # where the allowing statements apply
    notes: tuple[str, ...] = ()  # partial denies, boundary limits

    @property
    def granted(self) -> bool:
        return self.verdict in (Verdict.ALLOWED, Verdict.CONDITIONAL)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _inline_source(prefix: str, policy: InlinePolicy) -> PolicySource:
    return PolicySource(f"{prefix}inline policy {policy.name}", parse_document(policy.document))


def _attached_sources(
    prefix: str,
    attached: Iterable[AttachedPolicy],
    by_arn: Mapping[str, ManagedPolicy],
    unresolved: list[str],
) -> list[PolicySource]:
    found = []
    for ap in attached:
        policy = by_arn.get(ap.arn)
        if policy is None:
            unresolved.append(ap.arn)
            continue
        found.append(PolicySource(f"{prefix}policy {ap.name}", parse_document(policy.document)))
    return found


def user_permissions(snapshot: Snapshot, user: User) -> EffectivePermissions:
    """Own inline and attached policies, every group's, and the boundary when there is one."""
    by_arn = snapshot.policy_by_arn()
    groups = snapshot.group_by_name()
    unresolved: list[str] = []
    sources = [_inline_source("via ", p) for p in user.inline_policies]
    sources += _attached_sources("via ", user.attached_policies, by_arn, unresolved)
    for group_name in user.groups:
        group = groups.get(group_name)
        if group is None:
            unresolved.append(f"group {group_name}")
            continue
        prefix = f"via group {group.name} -> "
        sources += [_inline_source(prefix, p) for p in group.inline_policies]
        sources += _attached_sources(prefix, group.attached_policies, by_arn, unresolved)
    boundary = None
    if user.permissions_boundary_arn:
        policy = by_arn.get(user.permissions_boundary_arn)
        if policy is None:
            unresolved.append(user.permissions_boundary_arn)
        else:
            boundary = PolicySource(
                f"permissions boundary {policy.name}", parse_document(policy.document)
            )
    return EffectivePermissions(user.name, tuple(sources), boundary, tuple(unresolved))


def document_permissions(path: str, document: Mapping[str, Any]) -> EffectivePermissions:
    """One policy document on its own, as if it were a principal's only policy."""
    return EffectivePermissions(path, (PolicySource(path, parse_document(document)),))


Matcher = Callable[[Statement], bool]


def _evaluate(
    sources: Iterable[PolicySource], matches: Matcher, wants_all_resources: bool
) -> tuple[Verdict, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Verdict, paths, resources and notes for statements selected by ``matches``."""
    allows: list[tuple[str, Statement]] = []
    denies: list[tuple[str, Statement]] = []
    notes: list[str] = []
    for src in sources:
        for st in src.statements:
            if not matches(st):
                continue
            if st.effect is Effect.DENY:
                if not st.conditional and st.all_resources:
                    denies.append((src.path, st))
                else:
                    why = "under a condition" if st.conditional else f"on {st.describe_resources()}"
                    notes.append(f"denied {why} {src.path}")
            elif st.some_resource and (st.all_resources or not wants_all_resources):
                allows.append((src.path, st))
    if denies:
        return Verdict.DENIED, _unique(p for p, _ in denies), (), _unique(notes)
    if not allows:
        return Verdict.NOT_GRANTED, (), (), _unique(notes)
    plain = [(p, st) for p, st in allows if not st.conditional]
    chosen = plain or allows
    verdict = Verdict.ALLOWED if plain else Verdict.CONDITIONAL
    resources = _unique(st.describe_resources() for _, st in chosen)
    return verdict, _unique(p for p, _ in chosen), resources, _unique(notes)


def _bounded(perms: EffectivePermissions, access: Access, matches: Matcher, wide: bool) -> Access:
    if perms.boundary is None or not access.granted:
        return access
    verdict, _paths, _res, notes = _evaluate([perms.boundary], matches, wide)
    all_notes = access.notes + notes
    if verdict is Verdict.ALLOWED:
        return Access(access.action, access.verdict, access.paths, access.resources, all_notes)
    if verdict is Verdict.CONDITIONAL:
        limit = f"{perms.boundary.path} allows it only under a condition"
        return Access(
            access.action, Verdict.CONDITIONAL, access.paths, access.resources, all_notes + (limit,)
        )
    limit = f"outside {perms.boundary.path}"
    return Access(access.action, Verdict.NOT_GRANTED, access.paths, (), all_notes + (limit,))


def access(perms: EffectivePermissions, action: str) -> Access:
    """May the principal perform ``action`` on at least some resource?"""

    def matches(st: Statement) -> bool:
        return st.matches_action(action)

    verdict, paths, resources, notes = _evaluate(perms.sources, matches, False)
    return _bounded(perms, Access(action, verdict, paths, resources, notes), matches, False)


def admin_access(perms: EffectivePermissions) -> Access:
    """May the principal perform ``*`` on ``*``?

    Only a statement allowing every action on every resource grants it; any unconditional Deny
    on every resource takes it away (the principal is then powerful but not unrestricted).
    """
    allows_all: list[tuple[str, Statement]] = []
    for src in perms.sources:
        allows_all += [
            (src.path, st)
            for st in src.statements
            if st.effect is Effect.ALLOW and st.all_actions and st.all_resources
        ]
    verdict, paths, _res, notes = _evaluate(
        [PolicySource(p, (st,)) for p, st in allows_all]
        + [
            PolicySource(src.path, tuple(st for st in src.statements if st.effect is Effect.DENY))
            for src in perms.sources
        ],
        lambda st: True,
        True,
    )
    if verdict is Verdict.DENIED:
        notes = (f"every action on * is granted, but some actions are denied {paths[0]}",) + notes
        return Access("*", Verdict.NOT_GRANTED, (), (), notes)
    result = Access("*", verdict, paths, ("*",) if paths else (), notes)

    def boundary_all(st: Statement) -> bool:
        return st.effect is Effect.DENY or st.all_actions

    return _bounded(perms, result, boundary_all, True)


# --- privilege escalation -----------------------------------------------------------------


@dataclass(frozen=True)
class EscalationMethod:
    name: str
    actions: tuple[str, ...]  # all of them are needed


def _single(action: str) -> EscalationMethod:
    return EscalationMethod(action, (action,))


def _combo(*actions: str) -> EscalationMethod:
    return EscalationMethod(" + ".join(actions), actions)


# Rhino Security Labs' classic list (shared/reference/controls.md).
ESCALATION_METHODS: tuple[EscalationMethod, ...] = (
    _single("iam:CreatePolicyVersion"),
    _single("iam:SetDefaultPolicyVersion"),
    _single("iam:CreateAccessKey"),
    _single("iam:CreateLoginProfile"),
    _single("iam:UpdateLoginProfile"),
    _single("iam:AttachUserPolicy"),
    _single("iam:AttachGroupPolicy"),
    _single("iam:PutUserPolicy"),
    _single("iam:PutGroupPolicy"),
    _single("iam:AddUserToGroup"),
    _single("lambda:UpdateFunctionCode"),
    _single("glue:UpdateDevEndpoint"),
    _single("iam:DeleteUserPermissionsBoundary"),
    _single("iam:DeleteRolePermissionsBoundary"),
    _combo("iam:AttachRolePolicy", "sts:AssumeRole"),
    _combo("iam:PutRolePolicy", "sts:AssumeRole"),
    _combo("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
    _combo("iam:PassRole", "ec2:RunInstances"),
    _combo("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    _combo("iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
    _combo("iam:PassRole", "glue:CreateDevEndpoint"),
    _combo("iam:PassRole", "cloudformation:CreateStack"),
    _combo(
        "iam:PassRole",
        "datapipeline:CreatePipeline",
        "datapipeline:PutPipelineDefinition",
        "datapipeline:ActivatePipeline",
    ),
)


@dataclass(frozen=True)
class Escalation:
    method: EscalationMethod
    verdict: Verdict  # ALLOWED, or CONDITIONAL when any needed action is conditional
    paths: tuple[str, ...]  # where the needed actions come from

    def describe(self) -> str:
        cond = " (conditional)" if self.verdict is Verdict.CONDITIONAL else ""
        return f"{self.method.name}{cond} {', '.join(self.paths)}"


def escalations(perms: EffectivePermissions) -> tuple[Escalation, ...]:
    """Every escalation method whose actions the principal all holds."""
    needed = {a for m in ESCALATION_METHODS for a in m.actions}
    answers_by_action = {a: access(perms, a) for a in needed}
    found = []
    for method in ESCALATION_METHODS:
        answers = [answers_by_action[a] for a in method.actions]
        if not all(a.granted for a in answers):
            continue
        conditional = any(a.verdict is Verdict.CONDITIONAL for a in answers)
        verdict = Verdict.CONDITIONAL if conditional else Verdict.ALLOWED
        found.append(Escalation(method, verdict, _unique(p for a in answers for p in a.paths)))
    return tuple(found)


def grants(perms: EffectivePermissions) -> tuple[tuple[str, Statement], ...]:
    """Every statement in reach with its path, boundary last: what ``explain`` prints."""
    rows = [(src.path, st) for src in perms.sources for st in src.statements]
    if perms.boundary is not None:
        rows += [(perms.boundary.path, st) for st in perms.boundary.statements]
    return tuple(rows)
