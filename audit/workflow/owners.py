"""Who reviews what: ``[[owners]]`` entries and the principal's ``owner`` tag (issue 12).

An entry names a reviewer and ONE selector::

    [[owners]]
    reviewer = "platform-lead@example.com"
    group = "admins"            # or: account = "123456789012", ou = "Workloads",
                                #     tag = "team=payments", principal = "svc-*" (name or ARN glob)

The first entry (in file order) that matches an item decides; without one, the principal's
``owner`` tag; without that, the default reviewer, and the item is counted as unmatched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from audit.config import read_config
from audit.errors import InputError
from audit.model import Snapshot
from audit.workflow.access_items import AccessItem

SELECTORS = ("group", "account", "ou", "tag", "principal")
OWNER_TAG = "owner"
DEFAULT_REVIEWER = "unassigned"


@dataclass(frozen=True)
class OwnerEntry:
    index: int  # 1-based, to name the entry in messages
    reviewer: str
    selector: str  # one of SELECTORS
    value: str

    def matches(self, item: AccessItem, ou_names: Sequence[str]) -> bool:
        if self.selector == "group":
            return any(fnmatchcase(g, self.value) for g in item.groups)
        if self.selector == "account":
            return item.account == self.value
        if self.selector == "ou":
            return any(fnmatchcase(ou, self.value) for ou in ou_names)
        if self.selector == "tag":
            key, _, value = self.value.partition("=")
            return key in item.tags and fnmatchcase(item.tags[key], value or "*")
        return fnmatchcase(item.principal, self.value) or fnmatchcase(
            item.principal_arn, self.value
        )


@dataclass(frozen=True)
class Assignment:
    reviewers: Mapping[str, str]  # item id -> reviewer
    unmatched: int  # items that went to the default reviewer


def parse_owners(doc: Mapping[str, Any], source: str = "") -> tuple[OwnerEntry, ...]:
    where = f"{source}: " if source else ""
    entries = doc.get("owners", [])
    if not isinstance(entries, list):
        raise InputError(f"{where}'owners' must be an array of tables ([[owners]])")
    parsed = []
    for index, raw in enumerate(entries, start=1):
        if not isinstance(raw, dict):
            raise InputError(f"{where}owners {index}: must be a table ([[owners]])")
        unknown = sorted(set(raw) - {"reviewer", *SELECTORS})
        chosen = [k for k in SELECTORS if k in raw]
        problem = ""
        if unknown:
            allowed = ", ".join(("reviewer", *SELECTORS))
            problem = f"unknown key(s) {', '.join(unknown)} (allowed: {allowed})"
        elif len(chosen) != 1:
            problem = f"give exactly one of {', '.join(SELECTORS)}"
        elif not all(isinstance(raw.get(k), str) and raw[k].strip() for k in ("reviewer", *chosen)):
            problem = f"reviewer and {chosen[0]} must be non-empty strings"
        if problem:
            raise InputError(f"{where}owners {index}: {problem}")
        parsed.append(OwnerEntry(index, raw["reviewer"].strip(), chosen[0], raw[chosen[0]].strip()))
    return tuple(parsed)


def load_owners(path: Path) -> tuple[OwnerEntry, ...]:
    """The ``[[owners]]`` of a TOML file (audit.toml or an --owners file)."""
    return parse_owners(read_config(path), source=str(path))


def ou_names(snapshot: Snapshot) -> tuple[str, ...]:
    """The names and ids of the OUs above the account (empty outside an organization run)."""
    org = snapshot.organization
    if org is None:
        return ()
    return tuple(v for node in org.ou_path for v in (node.name, node.id) if v)


def assign(
    items: Iterable[AccessItem],
    entries: Sequence[OwnerEntry],
    ous: Sequence[str] = (),
    default: str = DEFAULT_REVIEWER,
) -> Assignment:
    reviewers: dict[str, str] = {}
    unmatched = 0
    for item in items:
        entry = next((e for e in entries if e.matches(item, ous)), None)
        tagged = item.tags.get(OWNER_TAG, "").strip()
        if entry is not None:
            reviewers[item.item_id] = entry.reviewer
        elif tagged:
            reviewers[item.item_id] = tagged
        else:
            reviewers[item.item_id] = default
            unmatched += 1
    return Assignment(reviewers=reviewers, unmatched=unmatched)
