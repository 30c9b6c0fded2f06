"""All rules. Importing a theme module registers its rules; THEMES gives the report order."""

from __future__ import annotations

from types import ModuleType

from audit.rules import (
    access_keys,
    account,
    credentials,
    effective_access,
    escalation,
    groups,
    identity_center,
    managed_policies,
    organization,
    password,
    policies,
    roles,
    root,
    unused,
)
from audit.rules.registry import REGISTRY, Rule

THEMES: tuple[ModuleType, ...] = (
    root,
    password,
    credentials,
    access_keys,
    policies,
    groups,
    managed_policies,
    roles,
    account,
    effective_access,
    escalation,
    identity_center,
    organization,
    unused,
)


def all_rules() -> list[Rule]:
    """Every registered rule, theme by theme, in declaration order within a theme."""
    rank = {module.__name__: n for n, module in enumerate(THEMES)}
    ordered = sorted(
        enumerate(REGISTRY.values()),
        key=lambda pair: (rank.get(pair[1].check.__module__, len(rank)), pair[0]),
    )
    return [r for _, r in ordered]
