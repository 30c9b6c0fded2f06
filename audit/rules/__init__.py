"""All rules. Importing a theme module registers its rules; the order here is report order."""

from __future__ import annotations

# workflow: metadata of the review workflow's rules (engine skips them)
from audit.rules import credentials, password, policies, root, workflow  # noqa: F401 - registers rules
from audit.rules.registry import REGISTRY, Rule


def all_rules() -> list[Rule]:
    return list(REGISTRY.values())
