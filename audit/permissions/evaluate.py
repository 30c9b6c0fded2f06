"""Effective permissions of a principal, and where each grant comes from.

Semantics follow IAM's evaluation of identity policies: an explicit Deny wins, an Allow is
needed, and a permissions boundary must allow too. A Deny only *removes* an action when it is
unconditional and covers every resource; narrower Denies are reported as notes. An Allow under a
Condition is reported as conditional, never as a plain grant. The action space is open-ended,
so the evaluator answers questions ("may this user do iam:PassRole?", "``*`` on ``*``?")
instead of enumerating.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from audit.model import AttachedPolicy, InlinePolicy, Role, Snapshot, User
from audit.permissions.statements import Effect, Statement, parse_document


class Verdict(StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # allowed only under a Condition
    DENIED = "denied"  # explicitly denied
    NOT_GRANTED = "not granted"  # no Allow, or outside the permissions boundary


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
    # The ARN of a permissions boundary the principal has but the snapshot lacks (or holds
    # unreadable). It can only take grants away, so a grant is then unproven (a refusal still
    # stands).
    missing_boundary: str | None = None
    boundary_unreadable: bool = False  # the missing boundary is collected, but not JSON

    @property
    def complete(self) -> bool:
        return not self.unresolved

    @property
    def boundary_gap(self) -> str:
        """'permissions boundary ARN was not collected' (or 'is unreadable'); '' when known."""
        if not self.missing_boundary:
            return ""
        why = "is unreadable" if self.boundary_unreadable else "was not collected"
        return f"permissions boundary {self.missing_boundary} {why}"


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


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """The items in first-seen order, each once."""
    if isinstance(items, tuple) and len(items) < 2:
        return items
    return tuple(dict.fromkeys(items))


def _inline_source(prefix: str, policy: InlinePolicy) -> PolicySource:
    return PolicySource(f"{prefix}inline policy {policy.name}", parse_document(policy.document))


def _unreadable(policies: Iterable[InlinePolicy], of: str = "") -> list[str]:
    # An unreadable document grants an unknown set: answers about its holder are incomplete.
    return [f"inline policy {p.name}{of} (unreadable)" for p in policies if p.unreadable]


class PolicyIndex:
    """Effective permissions of the snapshot's users and roles, each managed policy parsed once.

    Principals holding the same managed policy share its parsed statements (the same objects),
    which is what lets the escalation graph group principals with identical grants.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.by_arn = snapshot.policy_by_arn()
        self.groups = snapshot.group_by_name()
        self._parsed: dict[str, tuple[Statement, ...]] = {}
        self._group_sources: dict[str, tuple[list[PolicySource], list[str]]] = {}

    def managed(self, arn: str) -> tuple[Statement, ...] | None:
        """The statements of the managed policy ``arn``, None when it was not collected or its
        document is unreadable (:meth:`gap` says which)."""
        found = self._parsed.get(arn)
        if found is None:
            policy = self.by_arn.get(arn)
            if policy is None or policy.unreadable:
                return None
            found = self._parsed[arn] = parse_document(policy.document)
        return found

    def gap(self, arn: str, name: str, of: str = "") -> str:
        """How a managed policy ``managed`` has no statements for is named in ``unresolved``."""
        policy = self.by_arn.get(arn)
        return f"{name}{of} (unreadable)" if policy is not None and policy.unreadable else arn

    def _attached(
        self, prefix: str, attached: Iterable[AttachedPolicy], unresolved: list[str], of: str = ""
    ) -> list[PolicySource]:
        found = []
        for ap in attached:
            statements = self.managed(ap.arn)
            if statements is None:
                unresolved.append(self.gap(ap.arn, f"policy {ap.name}", of))
                continue
            found.append(PolicySource(f"{prefix}policy {ap.name}", statements))
        return found

    def group_sources(self, name: str) -> tuple[list[PolicySource], list[str]]:
        """A group's policy sources and what of them is missing, built once per group."""
        cached = self._group_sources.get(name)
        if cached is None:
            group = self.groups.get(name)
            unresolved: list[str] = []
            if group is None:
                cached = ([], [f"group {name}"])
            else:
                prefix = f"via group {group.name} -> "
                unresolved += _unreadable(group.inline_policies, f" of group {group.name}")
                sources = [_inline_source(prefix, p) for p in group.inline_policies]
                of = f" of group {group.name}"
                sources += self._attached(prefix, group.attached_policies, unresolved, of)
                cached = (sources, unresolved)
            self._group_sources[name] = cached
        return cached

    def _bounded(
        self,
        name: str,
        sources: list[PolicySource],
        boundary_arn: str | None,
        unresolved: list[str],
    ) -> EffectivePermissions:
        boundary = None
        missing_boundary = None
        policy = self.by_arn.get(boundary_arn) if boundary_arn else None
        if boundary_arn:
            statements = self.managed(boundary_arn)
            if statements is None or policy is None:
                label = f"permissions boundary {policy.name}" if policy else ""
                unresolved.append(self.gap(boundary_arn, label))
                missing_boundary = boundary_arn
            else:
                boundary = PolicySource(f"permissions boundary {policy.name}", statements)
        return EffectivePermissions(
            name,
            tuple(sources),
            boundary,
            tuple(unresolved),
            missing_boundary,
            boundary_unreadable=missing_boundary is not None and policy is not None,
        )

    def user(self, user: User) -> EffectivePermissions:
        """Own inline and attached policies, every group's, and the boundary when there is one."""
        unresolved = _unreadable(user.inline_policies)
        sources = [_inline_source("via ", p) for p in user.inline_policies]
        sources += self._attached("via ", user.attached_policies, unresolved)
        for group_name in user.groups:
            group_sources, missing = self.group_sources(group_name)
            sources += group_sources
            unresolved += missing
        return self._bounded(user.name, sources, user.permissions_boundary_arn, unresolved)

    def role(self, role: Role) -> EffectivePermissions:
        """Own inline and attached policies and the boundary (roles have no groups)."""
        unresolved = _unreadable(role.inline_policies)
        sources = [_inline_source("via ", p) for p in role.inline_policies]
        sources += self._attached("via ", role.attached_policies, unresolved)
        return self._bounded(role.name, sources, role.permissions_boundary_arn, unresolved)


def user_permissions(snapshot: Snapshot, user: User) -> EffectivePermissions:
    """One user's effective permissions (rules share them through :mod:`.analysis` instead)."""
    return PolicyIndex(snapshot).user(user)


def role_permissions(snapshot: Snapshot, role: Role) -> EffectivePermissions:
    """One role's effective permissions: its own policies within its boundary."""
    return PolicyIndex(snapshot).role(role)


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
        return Verdict.DENIED, unique(p for p, _ in denies), (), unique(notes)
    if not allows:
        return Verdict.NOT_GRANTED, (), (), unique(notes)
    plain = [(p, st) for p, st in allows if not st.conditional]
    chosen = plain or allows
    verdict = Verdict.ALLOWED if plain else Verdict.CONDITIONAL
    resources = unique(st.describe_resources() for _, st in chosen)
    return verdict, unique(p for p, _ in chosen), resources, unique(notes)


def _bounded(perms: EffectivePermissions, access: Access, matches: Matcher, wide: bool) -> Access:
    if perms.missing_boundary and access.granted:
        limit = f"{perms.boundary_gap}: it may not allow this"
        return replace(access, notes=access.notes + (limit,))
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


def access(perms: EffectivePermissions, action: str, *, others_only: bool = False) -> Access:
    """May the principal perform ``action`` on at least some resource?

    ``others_only``: ignore Allows limited to the caller's own user (``user/${aws:username}``),
    for actions that only matter when aimed at someone else.
    """

    def matches(st: Statement) -> bool:
        if others_only and st.effect is Effect.ALLOW and st.self_only:
            return False
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
        if allows_all:  # a Deny alone grants nothing: the note would claim a grant
            granted = f"every action on * is granted, but some actions are denied {paths[0]}"
            notes = (granted,) + notes
        return Access("*", Verdict.NOT_GRANTED, (), (), notes)
    result = Access("*", verdict, paths, ("*",) if paths else (), notes)

    def boundary_all(st: Statement) -> bool:
        return st.effect is Effect.DENY or st.all_actions

    return _bounded(perms, result, boundary_all, True)


def grants(perms: EffectivePermissions) -> tuple[tuple[str, Statement], ...]:
    """Every statement in reach with its path, boundary last: what ``explain`` prints."""
    rows = [(src.path, st) for src in perms.sources for st in src.statements]
    if perms.boundary is not None:
        rows += [(perms.boundary.path, st) for st in perms.boundary.statements]
    return tuple(rows)
