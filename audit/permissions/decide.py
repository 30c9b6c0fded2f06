"""May this principal do this action on this resource? Identity policies, boundary, SCPs.

The same evaluation order as IAM for one account: an explicit Deny that applies ends it; an
Allow that applies is needed; the permissions boundary must allow too; so must the SCPs (asked
through a hook, :data:`ScpCheck`, which allows everything until the organization's policies are
collected). Each step answers yes, no or maybe (see :mod:`.conditions`): a maybe never becomes a
plain grant, it makes the answer conditional with its reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from audit.permissions.conditions import (
    YES,
    Answer,
    Caller,
    Request,
    Tri,
    applies,
    evaluate_condition,
)
from audit.permissions.evaluate import EffectivePermissions, Verdict, unique
from audit.permissions.methods import ALL_ACTIONS
from audit.permissions.statements import Effect, Statement, wildcard_match

# Is ``action`` on ``resource`` (None: some resource) allowed by the account's SCPs?
ScpCheck = Callable[[str, str | None], Answer]


def scps_allow_everything(action: str, resource: str | None) -> Answer:
    """The default SCP hook: nothing collected, nothing cut."""
    return YES


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    paths: tuple[str, ...] = ()  # the allowing (or denying) policy paths
    reasons: tuple[str, ...] = ()  # why a conditional answer is conditional

    @property
    def granted(self) -> bool:
        return self.verdict in (Verdict.ALLOWED, Verdict.CONDITIONAL)


NOT_GRANTED = Decision(Verdict.NOT_GRANTED)
Pairs = tuple[tuple[str, Statement], ...]


def _deny_reason(path: str, answer: Answer) -> tuple[str, ...]:
    why = ", ".join(answer.reasons) or "a condition"
    return (f"unless the Deny {path} applies ({why})",)


def _layer(
    pairs: Pairs, action_arn: str | None, request: Request
) -> tuple[Tri, tuple[str, ...], tuple[str, ...]]:
    """One layer (identity policies, or the boundary): answer, allowing paths, reasons."""
    yes_paths: list[str] = []
    maybe: list[tuple[str, Answer]] = []
    deny_reasons: list[str] = []
    for path, st in pairs:
        answer = applies(st, action_arn, request)
        if answer.tri is Tri.NO:
            continue
        if st.effect is Effect.DENY:
            if answer.tri is Tri.YES:
                return Tri.NO, (path,), ()
            deny_reasons += _deny_reason(path, answer)
        elif answer.tri is Tri.YES:
            yes_paths.append(path)
        else:
            maybe.append((path, answer))
    if not yes_paths and not maybe:
        return Tri.NO, (), ()
    if yes_paths and not deny_reasons:
        return Tri.YES, unique(yes_paths), ()
    paths = unique(yes_paths) if yes_paths else unique(p for p, _ in maybe)
    reasons = [] if yes_paths else [r for _, a in maybe for r in a.reasons]
    return Tri.MAYBE, paths, unique(reasons + deny_reasons)


_TIME_KEYS = frozenset(("aws:currenttime", "aws:epochtime", "aws:tokenissuetime"))
_NOBODY = Caller("user", "", "", "")


@lru_cache(maxsize=8192)
def _named_actions(pattern: str) -> frozenset[str]:
    """The graph's actions an action pattern names (patterns recur across policies)."""
    return frozenset(a for a in ALL_ACTIONS if wildcard_match(pattern, a))


class Decider:
    """Answers "may P do A on R?" for many principals, caching the statements per action."""

    def __init__(
        self, scp: ScpCheck = scps_allow_everything, as_of: datetime | None = None
    ) -> None:
        self.scp = scp
        self.as_of = as_of  # when given, conditions on the time alone are settled once
        self._settled: dict[int, Statement | None] = {}
        self._relevant: dict[tuple[int, str], tuple[Pairs, Pairs | None]] = {}
        self._by_source: dict[tuple[int, str], tuple[Statement, ...]] = {}
        self._held_by_source: dict[int, frozenset[str]] = {}
        self._held: dict[int, frozenset[str]] = {}
        self._touches: dict[int, bool] = {}

    def _naming(self, statements: tuple[Statement, ...], action: str) -> tuple[Statement, ...]:
        # Cached per policy document: principals sharing a group share its statements.
        key = (id(statements), action)
        found = self._by_source.get(key)
        if found is None:
            settled = (self._settle(st) for st in statements if st.matches_action(action))
            found = self._by_source[key] = tuple(st for st in settled if st is not None)
        return found

    def _settle(self, st: Statement) -> Statement | None:
        """A statement whose condition reads only the time, decided once at the as-of time:
        None when it can never apply, unconditional when it always does."""
        if st.condition is None or self.as_of is None:
            return st
        if id(st) in self._settled:
            return self._settled[id(st)]
        keys = {
            str(k).lower()
            for block in st.condition.values()
            if isinstance(block, Mapping)
            for k in block
        }
        found: Statement | None = st
        if keys and keys <= _TIME_KEYS:
            answer = evaluate_condition(st.condition, Request(_NOBODY, self.as_of))
            if answer.tri is Tri.NO:
                found = None
            elif answer.tri is Tri.YES:
                found = replace(st, conditional=False, condition=None)
        self._settled[id(st)] = found
        return found

    def relevant(self, perms: EffectivePermissions, action: str) -> tuple[Pairs, Pairs | None]:
        """The identity and boundary statements that name ``action`` (cached per principal)."""
        action = action.lower()
        key = (id(perms), action)
        found = self._relevant.get(key)
        if found is None:
            ident = tuple(
                (src.path, st)
                for src in perms.sources
                for st in self._naming(src.statements, action)
            )
            bound = None
            if perms.boundary is not None:
                b = perms.boundary
                bound = tuple((b.path, st) for st in self._naming(b.statements, action))
            found = self._relevant[key] = (ident, bound)
        return found

    def _held_in(self, statements: tuple[Statement, ...]) -> frozenset[str]:
        found = self._held_by_source.get(id(statements))
        if found is None:
            names: set[str] = set()
            for st in statements:
                if st.effect is Effect.ALLOW:
                    named = frozenset().union(*(_named_actions(p) for p in st.actions))
                    names |= (ALL_ACTIONS - named) if st.not_action else named
            found = self._held_by_source[id(statements)] = frozenset(names)
        return found

    def touches(self, statements: tuple[Statement, ...]) -> bool:
        """Does any statement (Allow or Deny) name an action the graph asks about?"""
        found = self._touches.get(id(statements))
        if found is None:
            found = any(st.matches_action(a) for st in statements for a in ALL_ACTIONS)
            self._touches[id(statements)] = found
        return found

    def held(self, perms: EffectivePermissions) -> frozenset[str]:
        """The graph's actions (lower case, :data:`ALL_ACTIONS`) some Allow of ``perms`` names."""
        found = self._held.get(id(perms))
        if found is None:
            found = frozenset().union(*(self._held_in(src.statements) for src in perms.sources))
            self._held[id(perms)] = found
        return found

    def holds(self, perms: EffectivePermissions, action: str) -> bool:
        """A cheap first test: does any Allow name the action at all?"""
        action = action.lower()
        if action not in ALL_ACTIONS:
            ident, _ = self.relevant(perms, action)
            return any(st.effect is Effect.ALLOW for _, st in ident)
        return action in self.held(perms)

    def decide(
        self, perms: EffectivePermissions, action: str, arn: str | None, request: Request
    ) -> Decision:
        ident, bound = self.relevant(perms, action)
        tri, paths, reasons = _layer(ident, arn, request)
        if tri is Tri.NO:
            return Decision(Verdict.DENIED, paths) if paths else NOT_GRANTED
        extra: list[str] = list(reasons)
        if perms.missing_boundary:
            extra.append(perms.boundary_gap)
        elif bound is not None:
            btri, _bpaths, breasons = _layer(bound, arn, request)
            if btri is Tri.NO:
                return NOT_GRANTED
            if btri is Tri.MAYBE:
                extra += breasons or ("the permissions boundary allows it only under a condition",)
        scp = self.scp(action, arn)
        if scp.tri is Tri.NO:
            return NOT_GRANTED
        if scp.tri is Tri.MAYBE:
            extra += scp.reasons or ("the SCPs allow it only under a condition",)
        conditional = tri is Tri.MAYBE or bool(extra)
        verdict = Verdict.CONDITIONAL if conditional else Verdict.ALLOWED
        return Decision(verdict, paths, unique(extra))
