"""Policy statements, normalised once: lists always, Not* as flags, IAM wildcards matched.

Policy documents in the snapshot are decoded JSON: ``Statement`` may be one object or a list,
``Action``/``Resource`` a string or a list. Everything downstream sees :class:`Statement`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@lru_cache(maxsize=4096)
def _pattern(glob: str) -> re.Pattern[str]:
    # IAM wildcards: * any run of characters, ? one character; action names are case-insensitive.
    body = re.escape(glob).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body, re.IGNORECASE)


@lru_cache(maxsize=65536)  # the same (pattern, action) pairs recur for every user
def wildcard_match(glob: str, value: str) -> bool:
    return _pattern(glob).fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _any_pattern(globs: tuple[str, ...]) -> re.Pattern[str]:
    # One regex for a statement's whole list: AWS managed policies (ReadOnlyAccess,
    # SecurityAudit) list hundreds of actions, and the escalation catalogue asks about dozens of
    # actions per principal; one compiled alternation beats a Python loop over the list.
    return re.compile("|".join(f"(?:{_pattern(g).pattern})" for g in globs), re.IGNORECASE)


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
    # The decoded Condition block, for the evaluator that decides what the snapshot can decide.
    condition: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    def matches_action(self, action: str) -> bool:
        hit = bool(self.actions) and _any_pattern(self.actions).fullmatch(action) is not None
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

    @property
    def self_only(self) -> bool:
        """Every resource is the caller's own user (``user/${aws:username}``), as in AWS's
        "manage your own credentials" policy."""
        return (
            not self.not_resource
            and bool(self.resources)
            and all(r.lower().endswith("user/${aws:username}") for r in self.resources)
        )

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
    condition = raw.get("Condition")
    return Statement(
        effect=Effect(effect_text),
        actions=_strings(raw.get("NotAction" if not_action else "Action"), "Action"),
        not_action=not_action,
        resources=_strings(raw.get("NotResource" if not_resource else "Resource"), "Resource"),
        not_resource=not_resource,
        conditional=bool(raw.get("Condition")),
        sid=str(raw.get("Sid", "")),
        condition=condition if isinstance(condition, Mapping) and condition else None,
    )


def parse_document(document: Mapping[str, Any]) -> tuple[Statement, ...]:
    """Statements of a decoded policy document; Statement may be one object or a list."""
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    return tuple(parse_statement(s) for s in items)
