"""Privilege escalation as a graph of principals: "A can act as B" edges, shortest paths.

Nodes are users and roles as they are, plus what a principal becomes when someone rewrites it:
``modified`` (any policy attached, within its boundary), ``unbounded`` (its boundary removed),
``in group G`` (added to a group). Edges (:class:`Edge`):

- assume: B's trust policy admits A by ARN (or ``*``), or admits the account and A's own
  policies allow ``sts:AssumeRole`` on B; or A may rewrite B's trust (UpdateAssumeRolePolicy);
- pass-role: A may pass B to a service that runs A's code (:data:`.methods.PASS_ROLE_METHODS`),
  B trusts that service, ``iam:PassedToService`` honoured;
- existing compute: A may take over compute that already runs as B (conditional: the
  inventories of functions, instances... are not collected, so nothing proves one exists);
- credentials: A may create an access key or a password for user B;
- modify: A may rewrite itself, or a principal it can act as in one step (attach/put policies on
  it or its groups, a new version of a customer policy it holds, its boundary, group membership).

A principal escalates when it reaches a node that has more than it has: an administrator, or any
grant it lacks. The search is breadth-first, so the path reported is a shortest one; a plain path
beats a conditional one. Every edge is decided by :class:`~.decide.Decider` (resources,
conditions, Deny, boundary, SCP hook).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from audit.model import Role, Snapshot, User
from audit.permissions.conditions import (
    UNKNOWN,
    Caller,
    Request,
    Tri,
    evaluate_condition,
    fill_variables,
)
from audit.permissions.decide import Decider, Decision, scps_allow_everything
from audit.permissions.evaluate import (
    Access,
    EffectivePermissions,
    PolicyIndex,
    Verdict,
    admin_access,
    unique,
)
from audit.permissions.methods import (
    ADD_TO_GROUP,
    ASSUME,
    BOUNDARY_ACTIONS,
    CREDENTIAL_ACTIONS,
    EXISTING_COMPUTE_METHODS,
    GROUP_POLICY_ACTIONS,
    PASS_ROLE,
    PASS_ROLE_METHODS,
    POLICY_VERSION_ACTIONS,
    ROLE_POLICY_ACTIONS,
    UPDATE_TRUST,
    USER_POLICY_ACTIONS,
    ComputeMethod,
)
from audit.permissions.statements import Effect, Statement, parse_statement, wildcard_match

MODIFIED = "modified"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
# Condition keys about who calls: a policy using them answers differently per caller.
_CALLER_KEYS = ("aws:principal", "aws:username", "aws:userid", "aws:sourceidentity")
_MODIFY_ACTIONS = (
    *USER_POLICY_ACTIONS,
    *GROUP_POLICY_ACTIONS,
    *ROLE_POLICY_ACTIONS,
    *POLICY_VERSION_ACTIONS,
    *BOUNDARY_ACTIONS["user"],
    *BOUNDARY_ACTIONS["role"],
    ADD_TO_GROUP,
)
# The actions each kind of shared step depends on (lower case, as Decider.held has them).
_STEP_ACTIONS = {
    "assume": frozenset({ASSUME.lower()}),
    "trust": frozenset({UPDATE_TRUST.lower(), ASSUME.lower()}),
    "credentials": frozenset(a.lower() for a in (*CREDENTIAL_ACTIONS, "iam:DeleteAccessKey")),
    "compute": frozenset(
        [PASS_ROLE.lower()]
        + [a for m in (*PASS_ROLE_METHODS, *EXISTING_COMPUTE_METHODS) for a in m.lowered]
    ),
}
UNBOUNDED = "unbounded"


class Node(NamedTuple):
    """A principal, or what it becomes once rewritten (a tuple: hashed millions of times)."""

    kind: str  # "user" or "role"
    name: str
    variant: str = ""  # "", MODIFIED, UNBOUNDED or "group:NAME"

    @property
    def base(self) -> Node:
        return Node(self.kind, self.name)

    @property
    def label(self) -> str:
        own = f"{self.kind} {self.name}"
        if self.variant == MODIFIED:
            return f"{own} (with any policy it is given)"
        if self.variant == UNBOUNDED:
            return f"{own} (without its permissions boundary)"
        if self.variant.startswith("group:"):
            return f"{own} (in group {self.variant[6:]})"
        return own


@dataclass(frozen=True)
class Edge:
    target: Node
    how: str  # the actions that make the step: "iam:PassRole + codebuild:CreateProject"
    kind: str  # assume | pass-role | existing-compute | credentials | modify
    reasons: tuple[str, ...] = ()  # why the step is only conditional (empty: it is plain)
    catalogue_ids: tuple[str, ...] = ()  # the method's pathfinding.cloud ids (compute steps)

    @property
    def conditional(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class Gain:
    """What the reached node has that the start lacks."""

    admin: bool
    text: str  # "has AdministratorAccess", "can do s3:* on * (via policy S3)"
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalationPath:
    start: Node
    edges: tuple[Edge, ...]
    gain: Gain

    @property
    def conditional(self) -> bool:
        return bool(self.reasons)

    @property
    def reasons(self) -> tuple[str, ...]:
        return unique([r for e in self.edges for r in e.reasons] + list(self.gain.reasons))

    @property
    def to_admin(self) -> bool:
        return self.gain.admin

    def describe(self) -> str:
        """``dev-ci -[iam:PassRole + codebuild:CreateProject]-> role build-admin -[has ...]``"""
        parts = [self.start.name]
        parts += [f"-[{edge.how}]-> {edge.target.label}" for edge in self.edges]
        parts.append(f"-[{self.gain.text}]")
        return " ".join(parts)

    def steps(self) -> list[dict[str, Any]]:
        """The path as data (details of findings, ``explain --format json``)."""
        rows: list[dict[str, Any]] = []
        source = self.start
        for edge in self.edges:
            rows.append(
                {
                    "from": source.label,
                    "via": edge.how,
                    "kind": edge.kind,
                    "to": edge.target.label,
                    "conditional": list(edge.reasons),
                    "catalogue_ids": list(edge.catalogue_ids),
                }
            )
            source = edge.target
        rows.append(
            {
                "from": source.label,
                "via": self.gain.text,
                "kind": "gain",
                "to": "administrator" if self.gain.admin else "more permissions",
                "conditional": list(self.gain.reasons),
                "catalogue_ids": [],
            }
        )
        return rows


def _principal_values(principal: Any) -> dict[str, list[str]]:
    if principal == "*":
        return {"AWS": ["*"]}
    out: dict[str, list[str]] = {}
    if isinstance(principal, Mapping):
        for kind, value in principal.items():
            items = value if isinstance(value, list) else [value]
            out[str(kind)] = [v for v in items if isinstance(v, str)]
    return out


@dataclass
class _Trust:
    """A role's trust policy, indexed: who it admits and under which statement."""

    direct: dict[str, list[tuple[Role, Statement]]] = field(default_factory=dict)  # by ARN
    account: list[tuple[Role, Statement]] = field(default_factory=list)  # root / account id
    anyone: list[tuple[Role, Statement]] = field(default_factory=list)  # Principal "*"
    services: dict[str, list[Role]] = field(default_factory=dict)  # also web identity providers


def _index_trust(roles: Iterable[Role], account_id: str, partition: str) -> _Trust:
    trust = _Trust()
    root = f"arn:{partition}:iam::{account_id}:root"
    for role in roles:
        raw = role.assume_role_policy.get("Statement", [])
        for item in raw if isinstance(raw, list) else [raw]:
            if not isinstance(item, Mapping) or item.get("Effect") != "Allow":
                continue
            if "Principal" not in item:  # NotPrincipal trusts: not followed
                continue
            actions = item.get("Action", [])
            actions = actions if isinstance(actions, list) else [actions]
            values = _principal_values(item["Principal"])
            if any(wildcard_match(str(a), WEB_IDENTITY) for a in actions):
                # A role Cognito hands out to an identity pool's users (cognitoidentity-001).
                for provider in values.get("Federated", []):
                    trust.services.setdefault(provider, []).append(role)
            if not any(wildcard_match(str(a), ASSUME) for a in actions):
                continue
            try:
                st = parse_statement({**item, "Resource": "*"})
            except ValueError:
                continue
            for arn in values.get("AWS", []):
                if arn == "*":
                    trust.anyone.append((role, st))
                elif arn in (root, account_id):
                    trust.account.append((role, st))
                else:
                    trust.direct.setdefault(arn, []).append((role, st))
            for service in values.get("Service", []):
                trust.services.setdefault(service, []).append(role)
    return trust


def _best(edges: Iterable[Edge]) -> list[Edge]:
    """One edge per target: the first plain one, else the first conditional one."""
    chosen: dict[Node, Edge] = {}
    for edge in edges:
        old = chosen.get(edge.target)
        if old is None or (old.conditional and not edge.conditional):
            chosen[edge.target] = edge
    return list(chosen.values())


def _signature(perms: EffectivePermissions) -> tuple[int, ...]:
    """Principals whose policies are the same objects have the same grants."""
    ids = [id(src.statements) for src in perms.sources]
    if perms.boundary is not None:
        ids.append(-id(perms.boundary.statements))
    return tuple(ids)


class ArnIndex:
    """Which of the account's ARNs a resource pattern names, cached per pattern."""

    def __init__(self, arns: Iterable[str]) -> None:
        pairs = sorted((a.lower(), a) for a in set(arns))
        self._lower = [p[0] for p in pairs]
        self._arns = [p[1] for p in pairs]
        self._cache: dict[str, frozenset[str]] = {}
        self.known = frozenset(self._arns)

    def matching(self, pattern: str) -> frozenset[str]:
        found = self._cache.get(pattern)
        if found is None:
            cut = len(pattern)
            for ch in "*?":
                at = pattern.find(ch)
                if at >= 0:
                    cut = min(cut, at)
            prefix = pattern[:cut].lower()
            lo = bisect.bisect_left(self._lower, prefix)
            hi = bisect.bisect_left(self._lower, prefix + "\uffff")
            found = frozenset(arn for arn in self._arns[lo:hi] if wildcard_match(pattern, arn))
            self._cache[pattern] = found
        return found


class Graph:
    """The escalation graph of one snapshot at one as-of time, built lazily and cached."""

    def __init__(
        self,
        snapshot: Snapshot,
        as_of: datetime,
        index: PolicyIndex,
        perms: Mapping[Node, EffectivePermissions],
        admin: Mapping[Node, Access],
        decider: Decider,
    ) -> None:
        self.snapshot = snapshot
        self.as_of = as_of
        self.index = index
        self.decider = decider
        self.perms: dict[Node, EffectivePermissions] = dict(perms)
        self.admin: dict[Node, Access] = dict(admin)
        self.users = {u.name: u for u in snapshot.users}
        self.roles = {r.name: r for r in snapshot.roles}
        self.role_by_arn = {r.arn: r for r in snapshot.roles}
        self.user_by_arn = {u.arn: u for u in snapshot.users}
        meta = snapshot.meta
        self.trust = _index_trust(snapshot.roles, meta.account_id, meta.partition)
        self.rows = {row.user: row for row in snapshot.credential_report}
        self.arns = ArnIndex(
            [u.arn for u in snapshot.users]
            + [r.arn for r in snapshot.roles]
            + [g.arn for g in snapshot.groups]
            + [p.arn for p in snapshot.policies]
        )
        self._quick_cache: dict[
            tuple[Node, str], tuple[frozenset[str] | None, tuple[str, ...]] | None
        ] = {}
        self._edges: dict[Node, list[Edge]] = {}
        self._more: dict[tuple[tuple[int, ...], tuple[int, ...]], str | None] = {}
        self._paths: dict[Node, EscalationPath | None] = {}
        self._admin_gains: dict[Node, Gain | None] = {}
        self._shared: dict[tuple[object, ...], list[Edge]] = {}
        self._is_admin: dict[Node, bool] = {}
        self._free: dict[int, bool] = {}
        self.group_arns = frozenset(g.arn for g in snapshot.groups)
        self.trust_conditional = any(st.condition for _, st in self.trust.account)
        self._dead_plain: set[Node] = set()  # reach no administrator by plain steps
        self._dead_any: set[Node] = set()  # reach no administrator at all

    # --- principals ------------------------------------------------------------------------

    def caller(self, node: Node) -> Caller:
        meta = self.snapshot.meta
        if node.kind == "user":
            u = self.users[node.name]
            return Caller("user", u.name, u.arn, meta.account_id, u.user_id, u.tags)
        r = self.roles[node.name]
        return Caller("role", r.name, r.arn, meta.account_id, r.role_id, r.tags)

    def arn(self, node: Node) -> str:
        return self.users[node.name].arn if node.kind == "user" else self.roles[node.name].arn

    def tags(self, node: Node) -> Mapping[str, str]:
        return self.users[node.name].tags if node.kind == "user" else self.roles[node.name].tags

    def is_admin(self, node: Node) -> bool:
        found = self._is_admin.get(node)
        if found is None:
            access = self.admin.get(node)
            found = self._is_admin[node] = access is not None and access.verdict is Verdict.ALLOWED
        return found

    # --- edges -----------------------------------------------------------------------------

    def _request(
        self, caller: Caller, target: Node | None = None, service: str | None = None
    ) -> Request:
        tags = self.tags(target) if target is not None and not target.variant else None
        return Request(caller, self.as_of, tags, service)

    def _named(self, node: Node, caller: Caller, action: str) -> frozenset[str] | None:
        """The ARNs the node's Allows for ``action`` can name; None: possibly any."""
        ident, _ = self.decider.relevant(self.perms[node], action)
        request = Request(caller, self.as_of)
        found: set[str] = set()
        for _path, st in ident:
            if st.effect is not Effect.ALLOW:
                continue
            if st.not_resource:
                return None
            for pattern in st.resources:
                filled = fill_variables(pattern, request)
                if filled is None:
                    continue  # a variable the caller lacks: the statement names nothing
                if filled is UNKNOWN or not isinstance(filled, str) or "\0" in filled:
                    return None
                if filled == "*":
                    return None
                found |= self.arns.matching(filled)
        return frozenset(found)

    def _decide(
        self,
        node: Node,
        caller: Caller,
        action: str,
        arn: str | None,
        target: Node | None = None,
        service: str | None = None,
    ) -> Decision:
        quick = self._quick(node, caller, action)
        if quick is not None and (arn is None or arn in self.arns.known):
            named, paths = quick
            if arn is None or named is None or arn in named:
                return Decision(Verdict.ALLOWED, paths)
            return Decision(Verdict.NOT_GRANTED)
        return self.decider.decide(
            self.perms[node], action, arn, self._request(caller, target, service)
        )

    def _quick(
        self, node: Node, caller: Caller, action: str
    ) -> tuple[frozenset[str] | None, tuple[str, ...]] | None:
        """The plain answer for every resource at once, when nothing needs deciding per
        request: only unconditional Allows name the action, no Deny, no boundary limit, the
        SCPs not consulted. None otherwise (then each request is decided in full)."""
        key = (node, action)
        if key in self._quick_cache:
            return self._quick_cache[key]
        perms = self.perms[node]
        ident, bound = self.decider.relevant(perms, action)
        simple = (
            self.decider.scp is scps_allow_everything
            and not perms.missing_boundary
            and all(st.effect is Effect.ALLOW and not st.conditional for _, st in ident)
            and (
                bound is None
                or all(
                    st.effect is Effect.ALLOW and not st.conditional and st.all_resources
                    for _, st in bound
                )
            )
            and (bound is None or bool(bound))
            and all(
                fill_variables(p, Request(caller, self.as_of)) is not UNKNOWN
                for _, st in ident
                for p in st.resources
                if "${" in p
            )
        )
        found = None
        if simple:
            found = (self._named(node, caller, action), unique(path for path, _ in ident))
        self._quick_cache[key] = found
        return found

    def edges(self, node: Node) -> list[Edge]:
        """Every step out of ``node`` (principal nodes only; admins need none)."""
        found = self._edges.get(node)
        if found is None:
            if node.variant or node not in self.perms:
                found = []
            else:
                caller = self.caller(node)
                reach = _best(
                    [*self._assume(node, caller, by_name=True), *self._shared_steps(node, caller)]
                )
                reach = [e for e in reach if e.target != node]
                # Rewritten principals are nodes of their own: they never collide with reach.
                found = reach + _best(self._modify(node, caller, reach))
            self._edges[node] = found
        return found

    def _shared_steps(self, node: Node, caller: Caller) -> list[Edge]:
        """Steps to others that depend only on the statements naming their actions: computed
        once per such set of statements (when none depends on who the caller is) and shared
        by every principal holding exactly those statements."""
        out: list[Edge] = []
        kinds: tuple[tuple[str, Callable[[], Iterable[Edge]]], ...] = (
            ("assume", lambda: self._assume(node, caller, by_name=False)),
            ("trust", lambda: self._update_trust(node, caller)),
            ("credentials", lambda: self._credentials(node, caller)),
            ("compute", lambda: self._compute(node, caller)),
        )
        for name, produce in kinds:
            key = self._steps_key(node, name)
            steps = self._shared.get(key) if key is not None else None
            if steps is None:
                steps = list(produce())
                if key is not None:
                    self._shared[key] = steps
            out += steps
        return out

    def _steps_key(self, node: Node, name: str) -> tuple[object, ...] | None:
        if name == "assume" and self.trust_conditional:
            return None
        perms = self.perms[node]
        parts: list[object] = [name, perms.missing_boundary]
        # An action no Allow names takes part in no step: only held actions shape the key
        # (a set intersection, not a walk over every method's actions per principal).
        for action in sorted(self.decider.held(perms) & _STEP_ACTIONS[name]):
            parts.append(action)
            ident, bound = self.decider.relevant(perms, action)
            if not all(self._statement_free(st) for _, st in ident):
                return None
            parts.append(tuple(id(st) for _, st in ident))
            parts.append(None if bound is None else ("b", *(id(st) for _, st in bound)))
        return tuple(parts)

    def _statement_free(self, st: Statement) -> bool:
        """The statement answers the same whoever calls (no policy variable, no caller key)."""
        found = self._free.get(id(st))
        if found is None:
            found = not (
                any("${" in r for r in st.resources)
                or any(
                    str(k).lower().startswith(_CALLER_KEYS)
                    for block in (st.condition or {}).values()
                    if isinstance(block, Mapping)
                    for k in block
                )
            )
            self._free[id(st)] = found
        return found

    def _assume(self, node: Node, caller: Caller, by_name: bool) -> Iterator[Edge]:
        """``by_name``: trusts naming the caller (or anyone); else trusts of the account,
        which the caller's own policies must allow, and trusts the caller may rewrite."""
        if by_name:
            trusted: list[tuple[Role, Statement, bool]] = [
                (r, st, True) for r, st in self.trust.direct.get(caller.arn, [])
            ]
            trusted += [(r, st, True) for r, st in self.trust.anyone]
            yield from self._assume_trusted(node, caller, trusted)
            return
        trusted = []
        if self.decider.holds(self.perms[node], ASSUME):
            named_arns = self._named(node, caller, ASSUME)
            trusted += [
                (r, st, False)
                for r, st in self.trust.account
                if named_arns is None or r.arn in named_arns
            ]
        yield from self._assume_trusted(node, caller, trusted)

    def _assume_trusted(
        self, node: Node, caller: Caller, trusted: list[tuple[Role, Statement, bool]]
    ) -> Iterator[Edge]:
        for role, st, named in trusted:
            target = Node("role", role.name)
            cond = evaluate_condition(st.condition, Request(caller, self.as_of))
            if cond.tri is Tri.NO:
                continue
            decision = self._decide(node, caller, ASSUME, role.arn, target)
            if decision.verdict is Verdict.DENIED:
                continue
            if not named and not decision.granted:
                continue
            reasons = cond.reasons + (decision.reasons if decision.granted else ())
            how = ASSUME if not named else f"{ASSUME} (its trust policy names {caller.name})"
            yield Edge(target, how, "assume", unique(reasons))

    def _update_trust(self, node: Node, caller: Caller) -> Iterator[Edge]:
        if self.decider.holds(self.perms[node], UPDATE_TRUST):
            named_arns = self._named(node, caller, UPDATE_TRUST)
            for role in self.snapshot.roles:
                target = Node("role", role.name)
                if named_arns is not None and role.arn not in named_arns:
                    continue
                if role.path.startswith("/aws-service-role/"):
                    continue
                d = self._decide(node, caller, UPDATE_TRUST, role.arn, target)
                if not d.granted:
                    continue
                if self._decide(node, caller, ASSUME, role.arn, target).verdict is Verdict.DENIED:
                    continue
                yield Edge(target, f"{UPDATE_TRUST} + {ASSUME}", "assume", d.reasons)

    def _credentials(self, node: Node, caller: Caller) -> Iterator[Edge]:
        perms = self.perms[node]
        held = [a for a in CREDENTIAL_ACTIONS if self.decider.holds(perms, a)]
        if not held:
            return
        named = {a: self._named(node, caller, a) for a in held}
        users: Iterable[User] = self.snapshot.users
        if all(n is not None for n in named.values()):
            every = set().union(*(n for n in named.values() if n is not None))
            users = [self.user_by_arn[a] for a in sorted(every) if a in self.user_by_arn]
        for user in users:
            # A key or password for yourself gives nothing new: edges() drops self-steps.
            target = Node("user", user.name)
            row = self.rows.get(user.name)
            for action in held:
                names = named[action]
                if names is not None and user.arn not in names:
                    continue
                if row is not None and row.password_enabled is not None:
                    if action == "iam:CreateLoginProfile" and row.password_enabled:
                        continue  # a password exists: only UpdateLoginProfile replaces it
                    if action == "iam:UpdateLoginProfile" and not row.password_enabled:
                        continue
                    if action != "iam:CreateAccessKey" and row.mfa_active:
                        continue  # the console asks for the user's MFA device too
                d = self._decide(node, caller, action, user.arn, target)
                if not d.granted:
                    continue
                how, reasons = action, d.reasons
                full = row is not None and len([k for k in row.access_keys if k.exists]) >= 2
                if action == "iam:CreateAccessKey" and full:
                    delete = self._decide(node, caller, "iam:DeleteAccessKey", user.arn, target)
                    if not delete.granted:
                        continue  # two keys already: a third needs one deleted
                    how = f"iam:DeleteAccessKey + {action}"
                    reasons = unique(reasons + delete.reasons)
                yield Edge(target, how, "credentials", reasons)

    def _method_decisions(
        self, node: Node, caller: Caller, methods: Iterable[ComputeMethod]
    ) -> list[tuple[ComputeMethod, tuple[str, ...]]]:
        """The methods whose service actions the node may all perform, with their reasons."""
        held_actions = self.decider.held(self.perms[node])
        held = []
        for method in methods:
            if not method.lowered <= held_actions:
                continue  # one set test per method: most principals hold none of them
            decisions = [self._decide(node, caller, a, None) for a in method.actions]
            if all(d.granted for d in decisions):
                held.append((method, unique(r for d in decisions for r in d.reasons)))
        return held

    def _compute(self, node: Node, caller: Caller) -> Iterator[Edge]:
        perms = self.perms[node]
        if self.decider.holds(perms, PASS_ROLE):
            passable = self._named(node, caller, PASS_ROLE)
            for method, reasons in self._method_decisions(node, caller, PASS_ROLE_METHODS):
                if method.needs:
                    reasons = unique(reasons + (_needs(method.needs),))
                for service in method.services:
                    for role in self.trust.services.get(service, []):
                        if passable is not None and role.arn not in passable:
                            continue
                        target = Node("role", role.name)
                        d = self._decide(node, caller, PASS_ROLE, role.arn, target, service)
                        if d.granted:
                            how = f"{PASS_ROLE} + {method.name}"
                            all_reasons = unique(reasons + d.reasons)
                            ids = method.catalogue_ids
                            yield Edge(target, how, "pass-role", all_reasons, ids)
        for method, reasons in self._method_decisions(node, caller, EXISTING_COMPUTE_METHODS):
            for service in method.services:
                short = service.removesuffix(".amazonaws.com")
                why = _needs(method.needs or f"some {short} resource runs as the role")
                for role in self.trust.services.get(service, []):
                    target = Node("role", role.name)
                    yield Edge(
                        target,
                        method.name,
                        "existing-compute",
                        unique(reasons + (why,)),
                        method.catalogue_ids,
                    )

    def _modify(self, node: Node, caller: Caller, reach: list[Edge]) -> Iterator[Edge]:
        """Rewrite ``node`` itself, or a principal it reaches in one step."""
        targets: list[tuple[Node, Edge | None]] = [(node, None)]
        if not any(not e.conditional and self.is_admin(e.target) for e in reach):
            # (A plain step to an administrator already says all: rewriting others adds
            # nothing to the search, so it is skipped.)
            targets += [(e.target, e) for e in reach]
        held = self.decider.held(self.perms[node])
        iam_held = {a for a in _MODIFY_ACTIONS if a.lower() in held}
        if not iam_held:
            return
        # What the held actions can name at all (None: anything): most targets are out.
        named: set[str] | None = set()
        for action in iam_held:
            arns = self._named(node, caller, action)
            if arns is None or named is None:
                named = None
            else:
                named |= arns
        for target, via in targets:
            if named is not None and via is not None and not self._touched(target, named):
                continue
            if via is not None and self.is_admin(target):
                continue  # reaching it is enough
            for how, variant, d in self._rewrites(node, caller, target, iam_held):
                if via is None:
                    label = f"{how} on itself"
                    reasons = d.reasons
                else:
                    label = f"{via.how} + {how}"
                    reasons = unique(via.reasons + d.reasons)
                yield Edge(Node(target.kind, target.name, variant), label, "modify", reasons)

    def _touched(self, target: Node, named: set[str]) -> bool:
        """Is the target, one of its groups or one of its policies among ``named``?"""
        if target.kind == "user":
            user = self.users[target.name]
            arns = [user.arn, *(ap.arn for ap in user.attached_policies)]
            for g in user.groups:
                group = self.index.groups.get(g)
                if group is not None:
                    arns += [group.arn, *(ap.arn for ap in group.attached_policies)]
            if named & self.group_arns:
                return True  # added to, or a policy put on, some group: judged in full
        else:
            role = self.roles[target.name]
            arns = [role.arn, *(ap.arn for ap in role.attached_policies)]
        return any(a in named for a in arns)

    def _rewrites(
        self, node: Node, caller: Caller, target: Node, held: set[str]
    ) -> Iterator[tuple[str, str, Decision]]:
        arn = self.arn(target)
        if target.kind == "user":
            user = self.users[target.name]
            own = USER_POLICY_ACTIONS
            groups = [self.index.groups[g] for g in user.groups if g in self.index.groups]
            policies = [ap.arn for ap in user.attached_policies]
            policies += [ap.arn for g in groups for ap in g.attached_policies]
            boundary = user.permissions_boundary_arn
        else:
            role = self.roles[target.name]
            own = ROLE_POLICY_ACTIONS
            groups = []
            policies = [ap.arn for ap in role.attached_policies]
            boundary = role.permissions_boundary_arn
        for action in own:
            if action in held:
                d = self._decide(node, caller, action, arn, target)
                if d.granted:
                    yield action, MODIFIED, d
        for group in groups:
            for action in GROUP_POLICY_ACTIONS:
                if action in held:
                    d = self._decide(node, caller, action, group.arn)
                    if d.granted:
                        yield f"{action} on group {group.name}", MODIFIED, d
        for policy_arn in unique(policies):
            if policy_arn.split(":")[4:5] == ["aws"]:
                continue  # AWS managed policies cannot be changed by anyone in the account
            for action in POLICY_VERSION_ACTIONS:
                if action in held:
                    d = self._decide(node, caller, action, policy_arn)
                    if not d.granted:
                        continue
                    name = policy_arn.rsplit("/", 1)[-1]
                    if action == "iam:SetDefaultPolicyVersion":
                        why = "another version may grant more (versions are not collected)"
                        d = replace(
                            d, verdict=Verdict.CONDITIONAL, reasons=unique(d.reasons + (why,))
                        )
                    yield f"{action} on policy {name}", MODIFIED, d
        if boundary:
            for action in BOUNDARY_ACTIONS[target.kind]:
                if action in held:
                    d = self._decide(node, caller, action, arn, target)
                    if d.granted:
                        yield action, UNBOUNDED, d
        if target.kind == "user" and ADD_TO_GROUP in held:
            for group in self.snapshot.groups:
                if group.name in self.users[target.name].groups:
                    continue
                d = self._decide(node, caller, ADD_TO_GROUP, group.arn)
                if d.granted:
                    yield f"{ADD_TO_GROUP} {group.name}", f"group:{group.name}", d

    def probe(self, kind: str, label: str, perms: EffectivePermissions) -> EscalationPath | None:
        """The escalation of a made-up principal of ``kind`` holding only ``perms``.

        How a policy is judged on its own: would whoever holds it (and nothing else, no
        boundary, no group) escalate in this account, against its real users and roles?
        """
        meta = self.snapshot.meta
        node = Node(kind, label)
        arn = f"arn:{meta.partition}:iam::{meta.account_id}:{kind}/{label}"
        if kind == "user":
            self.users[label] = User(label, arn, "", "/", None)
        else:
            self.roles[label] = Role(label, arn, "", "/", None)
        self.perms[node] = perms
        self.admin[node] = admin_access(perms)
        self._paths.pop(node, None)
        self._edges.pop(node, None)
        self._is_admin.pop(node, None)
        return self.escalation(node)

    # --- what a node has -------------------------------------------------------------------

    def node_perms(self, node: Node) -> EffectivePermissions | None:
        """The permissions of a node; None means "anything" (modified, no boundary)."""
        if not node.variant:
            return self.perms.get(node)
        found = self.perms.get(node)
        if found is not None:
            return found
        base = self.perms[node.base]
        if node.variant == MODIFIED:
            if base.boundary is None and not base.missing_boundary:
                return None
            if base.boundary is None:
                return None
            derived = EffectivePermissions(node.name, (base.boundary,))
        elif node.variant == UNBOUNDED:
            derived = replace(base, boundary=None, missing_boundary=None, boundary_unreadable=False)
        else:
            sources, _missing = self.index.group_sources(node.variant[6:])
            derived = replace(base, sources=base.sources + tuple(sources))
        self.perms[node] = derived
        self.admin[node] = admin_access(derived)
        return derived

    def gain(self, start: Node, node: Node) -> Gain | None:
        """What ``node`` has that ``start`` lacks, None when nothing."""
        perms = self.node_perms(node)
        if perms is None:
            base = self.perms[node.base]
            if base.missing_boundary:
                why = f"its {base.boundary_gap}"
                return Gain(True, "can be given any permission", (why,))
            return Gain(True, "can be given any permission, AdministratorAccess included")
        admin = self.admin[node]
        if admin.granted:
            via = admin.paths[0] if admin.paths else "a policy"
            reasons: tuple[str, ...] = ()
            if admin.verdict is not Verdict.ALLOWED:
                reasons = ("its * on * is conditional",)
            if perms.missing_boundary:
                reasons += (f"its {perms.boundary_gap}",)
            return Gain(True, f"can do * on * {via}", reasons)
        key = (_signature(self.perms[start]), _signature(perms))
        if key not in self._more:
            self._more[key] = _uncovered(self.perms[start], perms)
        more = self._more[key]
        return None if more is None else Gain(False, f"can do {more}")

    # --- search ----------------------------------------------------------------------------

    def escalation(self, start: Node) -> EscalationPath | None:
        """The best escalation path from ``start``, shortest within its class. Classes, best
        first: a plain path to an administrator; any path to an administrator; a plain path to
        more permissions; any path to more permissions."""
        if start in self._paths:
            return self._paths[start]
        found = None
        if not self.is_admin(start):
            found = (
                self._search(start, True, self._admin_gain, self._dead_plain)
                or self._search(start, False, self._admin_gain, self._dead_any)
                or self._search(start, True, lambda n: self.gain(start, n), None)
                or self._search(start, False, lambda n: self.gain(start, n), None)
            )
        self._paths[start] = found
        return found

    def _admin_gain(self, node: Node) -> Gain | None:
        """Administrator or not does not depend on who arrives: cached per node."""
        if node not in self._admin_gains:
            gain = None
            if node.variant or self.admin[node].granted:
                candidate = self.gain(node, node) if not node.variant else None
                if node.variant:
                    got = self.gain(node.base, node)
                    candidate = got if got is not None and got.admin else None
                gain = candidate if candidate is not None and candidate.admin else None
            self._admin_gains[node] = gain
        return self._admin_gains[node]

    def _search(
        self,
        start: Node,
        plain_only: bool,
        goal: Callable[[Node], Gain | None],
        dead: set[Node] | None,
    ) -> EscalationPath | None:
        """Breadth-first from ``start`` to the nearest node ``goal`` accepts (checked when a
        node is first reached, so the path is a shortest one). ``dead`` holds nodes known to
        reach no goal of this kind: they are not expanded, and a fruitless search adds its
        nodes to them."""
        parent: dict[Node, tuple[Node, Edge]] = {}
        queue = deque([start])
        seen = {start}
        hit: tuple[Node, Gain] | None = None
        while queue and hit is None:
            node = queue.popleft()
            for edge in self.edges(node):
                target = edge.target
                if (plain_only and edge.conditional) or target in seen:
                    continue
                seen.add(target)
                parent[target] = (node, edge)
                gain = goal(target)
                if gain is not None and not (plain_only and gain.reasons):
                    hit = (target, gain)
                    break
                if dead is None or target not in dead:
                    queue.append(target)
        if hit is None:
            if dead is not None:
                dead |= seen
            return None
        node, gain = hit
        edges: list[Edge] = []
        while node != start:
            prev, edge = parent[node]
            edges.append(edge)
            node = prev
        return EscalationPath(start, tuple(reversed(edges)), gain)


def _needs(what: str) -> str:
    return f"assumes {what} (resources are not collected)"


def _pairs(perms: EffectivePermissions) -> list[tuple[str, Statement]]:
    return [(src.path, st) for src in perms.sources for st in src.statements]


def _covers(pairs: list[tuple[str, Statement]], action: str, resource: str) -> bool:
    """Do these statements allow ``action`` (a pattern, read literally) on ``resource``?"""
    allowed = False
    for _path, st in pairs:
        if st.conditional or not st.matches_action(action):
            continue
        if st.not_resource:
            on = not any(wildcard_match(p, resource) for p in st.resources)
        else:
            on = st.all_resources or any(wildcard_match(p, resource) for p in st.resources)
        if st.effect is Effect.DENY and st.all_resources:
            return False
        if st.effect is Effect.ALLOW and on:
            allowed = True
    return allowed


def _uncovered(mine: EffectivePermissions, theirs: EffectivePermissions) -> str | None:
    """The first grant of ``theirs`` that ``mine`` lacks, described; None when none.

    Read literally and conservatively: only unconditional grants of ``theirs`` count, a pattern
    of theirs (``s3:Get*``) is covered by a pattern of mine that matches it (``s3:*``).
    """
    own = _pairs(mine)
    own_bound = (
        [(mine.boundary.path, st) for st in mine.boundary.statements] if mine.boundary else None
    )
    their_bound = (
        [(theirs.boundary.path, st) for st in theirs.boundary.statements]
        if theirs.boundary
        else None
    )
    for path, st in _pairs(theirs):
        if st.effect is not Effect.ALLOW or st.conditional:
            continue
        if st.not_action:
            if any(s is st for _, s in own):
                continue
            return f"{st.describe_actions()} on {st.describe_resources()} ({path})"
        resources = ["*"] if st.not_resource else list(st.resources)
        for action in st.actions:
            for resource in resources:
                if "${" in resource:
                    continue  # the other principal's own resources
                if their_bound is not None and not _covers(their_bound, action, resource):
                    continue
                if _covers(own, action, resource) and (
                    own_bound is None or _covers(own_bound, action, resource)
                ):
                    continue
                return f"{action} on {resource} ({path})"
    return None


def principal_nodes(users: Iterable[User], roles: Iterable[Role]) -> list[Node]:
    return [Node("user", u.name) for u in users] + [Node("role", r.name) for r in roles]
