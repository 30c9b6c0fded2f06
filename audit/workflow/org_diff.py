"""What changed between two organization runs (or `org collect` folders).

The organization: accounts added and removed (by membership: the organization snapshot's
accounts and the accounts audited), accounts whose collection status changed or that moved to
another OU. Each account in both folders with a snapshot on both sides is compared by the
single-account diff (audit.workflow.diff: findings new/resolved/persisting, identity changes),
one account at a time, so memory holds one account's snapshots at once. The organization's
totals of new and resolved findings are over those accounts; the findings of an added (or
removed) account are its own, listed with the account, not counted as new (or resolved).

An account folder with findings.json (an organization run's) is compared as reported,
suppressions included; one with only a snapshot (`org collect`) is judged with the audit.toml
settings given and its organization attached (SCPs), as `org report` would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.csv_safe import to_csv_bytes
from audit.engine import evaluate
from audit.errors import InputError
from audit.findings_file import FINDINGS_FILE
from audit.model_org import AccountCollection, OrgSnapshot, path_text
from audit.org_context import attach_organization
from audit.org_folder import COLLECTION_FILE, account_dir, read_collection, recorded_accounts
from audit.settings import Settings
from audit.snapshot_io import ORGANIZATION_FILE_NAME, read_organization, read_snapshot
from audit.workflow.diff import (
    ADHOC_KIND,
    DIFF_CSV_COLUMNS,
    ReviewDiff,
    Side,
    diff_document,
    diff_rows,
    diff_sides,
    finding_line,
    load_side,
)
from audit.workflow.history import SNAPSHOT_FILE, Warn

ORG_DIFF_KIND = "organization"
NOT_IN_RUN = "not in this run"  # a member the run did not audit (a slice: --accounts, --ou)


def is_org_folder(path: Path) -> bool:
    """An organization run or `org collect` folder (what `diff` compares organization-wide)."""
    return path.is_dir() and (path / ORGANIZATION_FILE_NAME).is_file()


@dataclass(frozen=True)
class AccountRef:
    """An account as one of the two folders knows it."""

    account_id: str
    account_name: str = ""
    ou_path: str = ""
    status: str = NOT_IN_RUN  # collected / partial / not_collected, or not in this run
    reason: str = ""

    @property
    def name(self) -> str:
        parts = [p for p in (self.account_name, self.ou_path) if p]
        return f"{self.account_id} ({', '.join(parts)})" if parts else self.account_id


@dataclass(frozen=True)
class AccountDiff:
    old: AccountRef
    new: AccountRef
    diff: ReviewDiff | None  # None: no snapshot on one side (see note)
    note: str = ""


@dataclass(frozen=True)
class OrgDiff:
    organization_id: str
    old_label: str
    new_label: str
    old_when: datetime
    new_when: datetime
    added: tuple[AccountRef, ...]
    removed: tuple[AccountRef, ...]
    status_changed: tuple[tuple[AccountRef, AccountRef], ...]  # (old, new)
    moved: tuple[tuple[AccountRef, AccountRef], ...]  # OU path changed
    accounts: tuple[AccountDiff, ...]  # every account in both, compared or not (note)

    @property
    def compared(self) -> tuple[ReviewDiff, ...]:
        return tuple(a.diff for a in self.accounts if a.diff is not None)

    def total(self, change: str) -> int:
        return sum(len(getattr(d, change)) for d in self.compared)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Folder:
    path: Path
    org: OrgSnapshot
    collections: dict[str, AccountCollection]  # small records only; snapshots read on demand

    def ref(self, account_id: str) -> AccountRef:
        c = self.collections.get(account_id)
        if c is not None:
            return AccountRef(account_id, c.account_name, c.ou_path, c.status.value, c.reason)
        member = self.org.account(account_id)
        return AccountRef(
            account_id,
            member.name if member else "",
            path_text(self.org.ou_path(account_id)),
        )

    def members(self) -> set[str]:
        return {a.id for a in self.org.accounts} | set(self.collections)


def _read_folder(path: Path) -> _Folder:
    if not is_org_folder(path):
        raise InputError(f"{path} is not an organization folder: no {ORGANIZATION_FILE_NAME}")
    org, _digest = read_organization(path / ORGANIZATION_FILE_NAME)
    collections = {}
    for account_id in recorded_accounts(path):
        c = read_collection(account_dir(path, account_id) / COLLECTION_FILE)
        collections[c.account_id] = c
    return _Folder(path, org, collections)


def _side(folder: _Folder, account_id: str, settings: Settings, warn: Warn) -> Side | None:
    where = account_dir(folder.path, account_id)
    if not (where / SNAPSHOT_FILE).is_file():
        return None
    if (where / FINDINGS_FILE).is_file():
        return load_side(where, settings, warn=warn)  # as the run reported it
    snapshot, _digest = read_snapshot(where / SNAPSHOT_FILE)
    snapshot = attach_organization(snapshot, folder.org)
    return Side(str(where), snapshot, evaluate(snapshot, settings=settings).findings)


def _compare(
    old: _Folder, new: _Folder, account_id: str, settings: Settings, warn: Warn
) -> AccountDiff:
    a, b = old.ref(account_id), new.ref(account_id)
    before = _side(old, account_id, settings, warn)
    after = _side(new, account_id, settings, warn)
    if before is None or after is None:
        missing = [label for label, s in (("OLD", before), ("NEW", after)) if s is None]
        return AccountDiff(a, b, None, f"no snapshot in {' and '.join(missing)}: not compared")
    return AccountDiff(a, b, diff_sides(before, after))


def org_diff_paths(old: Path, new: Path, settings: Settings, *, warn: Warn) -> OrgDiff:
    """Compare two organization folders (see module)."""
    before, after = _read_folder(old), _read_folder(new)
    a, b = before.org.meta.organization_id, after.org.meta.organization_id
    if a != b:
        raise InputError(f"cannot compare different organizations: {old} is {a}, {new} is {b}")
    old_ids, new_ids = before.members(), after.members()
    both = sorted(old_ids & new_ids)
    pairs = [(before.ref(i), after.ref(i)) for i in both]
    return OrgDiff(
        organization_id=b,
        old_label=str(old),
        new_label=str(new),
        old_when=before.org.meta.collected_at,
        new_when=after.org.meta.collected_at,
        added=tuple(after.ref(i) for i in sorted(new_ids - old_ids)),
        removed=tuple(before.ref(i) for i in sorted(old_ids - new_ids)),
        status_changed=tuple((x, y) for x, y in pairs if x.status != y.status),
        moved=tuple((x, y) for x, y in pairs if x.ou_path and y.ou_path and x.ou_path != y.ou_path),
        accounts=tuple(_compare(before, after, i, settings, warn) for i in both),
    )


# --- output ----------------------------------------------------------------------------------


def _ref_json(r: AccountRef) -> dict[str, str]:
    return {
        "account_id": r.account_id,
        "account_name": r.account_name,
        "ou_path": r.ou_path,
        "status": r.status,
        "reason": r.reason,
    }


def org_diff_json(d: OrgDiff) -> bytes:
    doc: dict[str, Any] = {
        "kind": ORG_DIFF_KIND,
        "organization_id": d.organization_id,
        "old": {"source": d.old_label, "collected_at": d.old_when.isoformat()},
        "new": {"source": d.new_label, "collected_at": d.new_when.isoformat()},
        "counts": {
            "accounts_added": len(d.added),
            "accounts_removed": len(d.removed),
            "accounts_status_changed": len(d.status_changed),
            "accounts_moved": len(d.moved),
            "accounts_compared": len(d.compared),
            "new": d.total("new"),
            "resolved": d.total("resolved"),
            "persisting": d.total("persisting"),
        },
        "accounts_added": [_ref_json(r) for r in d.added],
        "accounts_removed": [_ref_json(r) for r in d.removed],
        "accounts_status_changed": [
            {"old": _ref_json(x), "new": _ref_json(y)} for x, y in d.status_changed
        ],
        "accounts_moved": [{"old": _ref_json(x), "new": _ref_json(y)} for x, y in d.moved],
        "accounts": [
            {
                "account": _ref_json(a.new),
                "note": a.note,
                "diff": diff_document(a.diff, ADHOC_KIND) if a.diff is not None else None,
            }
            for a in d.accounts
        ],
    }
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


ORG_DIFF_CSV_COLUMNS = ("account_id", "account_name", "ou_path", *DIFF_CSV_COLUMNS)


def _account_rows(d: OrgDiff) -> Iterable[tuple[Any, ...]]:
    blank = ("",) * (len(DIFF_CSV_COLUMNS) - 2)  # change ... message: the middle left empty
    for kind, refs in (("account-added", d.added), ("account-removed", d.removed)):
        for r in refs:
            yield (r.account_id, r.account_name, r.ou_path, kind, *blank, r.status)
    for x, y in d.status_changed:
        detail = f"{x.status} -> {y.status}" + (f": {y.reason}" if y.reason else "")
        yield (y.account_id, y.account_name, y.ou_path, "account-status-changed", *blank, detail)
    for x, y in d.moved:
        detail = f"{x.ou_path} -> {y.ou_path}"
        yield (y.account_id, y.account_name, y.ou_path, "account-moved", *blank, detail)


def org_diff_csv(d: OrgDiff) -> bytes:
    rows = list(_account_rows(d))
    for a in d.accounts:
        if a.diff is not None:
            prefix = (a.new.account_id, a.new.account_name, a.new.ou_path)
            rows += [(*prefix, *row) for row in diff_rows(a.diff)]
    return to_csv_bytes(ORG_DIFF_CSV_COLUMNS, rows)


def org_summary_text(d: OrgDiff, limit: int = 20) -> str:
    """A readable summary; each account's new findings stop after ``limit`` lines (all are in
    diff.csv)."""
    lines = [
        f"Organization {d.organization_id}: changes from {d.old_when:%Y-%m-%d %H:%M} to "
        f"{d.new_when:%Y-%m-%d %H:%M} UTC",
        f"Accounts: {len(d.added)} added, {len(d.removed)} removed, "
        f"{len(d.status_changed)} collection status changed, {len(d.moved)} moved; "
        f"{len(d.compared)} compared",
        f"Findings across the organization: {d.total('new')} new, {d.total('resolved')} "
        f"resolved, {d.total('persisting')} persisting (in the accounts compared)",
    ]
    for title, refs in (("Accounts added", d.added), ("Accounts removed", d.removed)):
        if refs:
            lines.append(f"{title}:")
            lines += [f"  {r.name}: {r.status.replace('_', ' ')}" for r in refs]
    if d.status_changed:
        lines.append("Collection status changed:")
        lines += [
            f"  {y.name}: {x.status.replace('_', ' ')} -> {y.status.replace('_', ' ')}"
            + (f": {y.reason}" if y.reason else "")
            for x, y in d.status_changed
        ]
    if d.moved:
        lines.append("Moved:")
        lines += [f"  {y.name}: from {x.ou_path}" for x, y in d.moved]
    lines.append("Per account:")
    for a in d.accounts:
        if a.diff is None:
            lines.append(f"  {a.new.name}: {a.note}")
            continue
        r = a.diff
        lines.append(
            f"  {a.new.name}: {len(r.new)} new, {len(r.resolved)} resolved, "
            f"{len(r.persisting)} persisting; {len(r.identity)} identity change(s)"
        )
        shown = [f"    {c.change}{finding_line(c)}" for c in (*r.new, *r.resolved)]
        lines += shown[:limit]
        if len(shown) > limit:
            lines.append(f"    ... and {len(shown) - limit} more (see diff.csv)")
    return "\n".join(lines)
