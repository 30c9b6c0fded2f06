"""What a principal's policies grant on one AWS service: admin, write or read.

Used to rank unused services (permissions-unused): an unused service granted in full weighs
more than one granted read-only. Without AWS's action catalogue the level comes from the action
names: ``*``, ``svc:*`` or a ``NotAction`` that leaves the service in is admin; an action or
pattern whose literal part starts with a read verb (``Get``, ``List``, ``Describe``...) is read;
anything else is write (a pattern that could match writes counts as write). Denies and
boundaries are not subtracted: IAM's own last-accessed report lists the services the
policies allow, and this only says how much of each.
"""

from __future__ import annotations

from enum import IntEnum

from audit.permissions.evaluate import EffectivePermissions
from audit.permissions.statements import Effect, Statement, wildcard_match

READ_VERBS = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Search",
    "Query",
    "Scan",
    "BatchGet",
    "View",
    "Lookup",
    "Select",
    "Read",
)


class GrantLevel(IntEnum):
    """Ordered: more is worse."""

    GRANTED = 0  # listed by AWS as granted, but no Allow names it here (e.g. only conditional)
    READ = 1
    WRITE = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def _pattern_level(pattern: str, namespace: str) -> GrantLevel | None:
    if pattern == "*":
        return GrantLevel.ADMIN
    service, _, action = pattern.partition(":")
    if not wildcard_match(service, namespace):
        return None
    literal = action.split("*", 1)[0].split("?", 1)[0]
    if not literal:
        return GrantLevel.ADMIN
    if literal.lower().startswith(tuple(v.lower() for v in READ_VERBS)):
        return GrantLevel.READ
    return GrantLevel.WRITE


def _statement_level(st: Statement, namespace: str) -> GrantLevel | None:
    if st.effect is not Effect.ALLOW:
        return None
    if st.not_action:
        # Allows everything it does not list: the service is in unless listed wholesale.
        excluded = any(
            p == "*" or (wildcard_match(p.partition(":")[0], namespace) and p.endswith(":*"))
            for p in st.actions
        )
        return None if excluded else GrantLevel.ADMIN
    levels = [lvl for p in st.actions if (lvl := _pattern_level(p, namespace)) is not None]
    return max(levels, default=None)


def service_level(perms: EffectivePermissions, namespace: str) -> GrantLevel:
    """The most the principal's Allow statements grant on ``namespace`` (``s3``, ``iam``)."""
    found = [
        lvl
        for src in perms.sources
        for st in src.statements
        if (lvl := _statement_level(st, namespace)) is not None
    ]
    return max(found, default=GrantLevel.GRANTED)
