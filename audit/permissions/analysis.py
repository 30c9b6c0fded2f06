"""One access analysis per evaluation, shared by every rule that needs effective permissions.

The engine makes one :class:`~audit.rules.registry.Context` per ``evaluate()``; the analysis
lives in that context's memo (:func:`analysis`), so users' and roles' permissions, their admin
verdicts and the escalation graph are computed once per snapshot and as-of time, and dropped
with the evaluation. (A module-level cache keyed by ``id(snapshot)`` would outlive it, could
hand a recycled id a stale answer, and would need the as-of time in its key as well.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cached_property

from audit.model import Role, Snapshot, User
from audit.permissions.conditions import YES, Answer, Tri
from audit.permissions.decide import Decider, ScpCheck, scps_allow_everything
from audit.permissions.evaluate import Access, EffectivePermissions, PolicyIndex, admin_access
from audit.permissions.graph import Graph, Node
from audit.permissions.scp import scp_verdict


def scp_check(snapshot: Snapshot) -> ScpCheck:
    """The SCP hook for this account: its collected SCP chain (audit/permissions/scp.py), or
    nothing to cut in a single-account run and in the management account."""
    org = snapshot.organization
    if org is None or not org.scps.applies:
        return scps_allow_everything
    chain = org.scps

    def check(action: str, resource: str | None) -> Answer:
        verdict = scp_verdict(chain, action, resource)
        allowed = verdict.allowed
        if allowed is True:
            return YES
        reason = verdict.reason or f"SCPs: {verdict.decision.value}"
        return Answer(Tri.NO if allowed is False else Tri.MAYBE, (reason,))

    return check


class AccessAnalysis:
    """Effective permissions of every user and role, computed on first use, then shared."""

    def __init__(self, snapshot: Snapshot, as_of: datetime, scp: ScpCheck | None = None) -> None:
        self.snapshot = snapshot
        self.as_of = as_of
        self.index = PolicyIndex(snapshot)
        self.decider = Decider(scp if scp is not None else scp_check(snapshot), as_of)

    @cached_property
    def _perms(self) -> dict[Node, EffectivePermissions]:
        found = {Node("user", u.name): self.index.user(u) for u in self.snapshot.users}
        found.update({Node("role", r.name): self.index.role(r) for r in self.snapshot.roles})
        return found

    @cached_property
    def _admin(self) -> dict[Node, Access]:
        return {node: admin_access(perms) for node, perms in self._perms.items()}

    def user(self, user: User) -> EffectivePermissions:
        return self._perms[Node("user", user.name)]

    def role(self, role: Role) -> EffectivePermissions:
        return self._perms[Node("role", role.name)]

    def admin(self, node: Node) -> Access:
        return self._admin[node]

    def nodes(self) -> Iterator[Node]:
        yield from self._perms

    @cached_property
    def graph(self) -> Graph:
        return Graph(self.snapshot, self.as_of, self.index, self._perms, self._admin, self.decider)
