"""What changed between two reviews: findings (new, resolved, persisting) and identities.

Either side is a snapshot file (evaluated at its collection time with the audit.toml settings
given, as ``run`` would) or a run folder (its findings.json as reported, suppressions
included). A finding is the same across runs when its rule, resource (ARN, else name) and
access-key slot are the same; messages may differ (ages).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.csv_safe import to_csv_bytes
from audit.engine import evaluate
from audit.errors import InputError
from audit.findings import Finding, Status, finding_record
from audit.model import Snapshot
from audit.settings import Settings
from audit.snapshot_io import read_snapshot, to_jsonable
from audit.workflow.history import (
    UNREADABLE,
    Warn,
    earlier_runs,
    load_run,
    parse_run,
    run_findings,
    unreadable,
)
from audit.workflow.identity_changes import (
    IdentityChange,
    identity_changes,
    ordered,
    roles_became_unused,
)

FindingKey = tuple[str, str, str]

REVIEW_KIND = "since-last-review"
ADHOC_KIND = "adhoc"

# A finding still needs attention while it fails, whether or not a risk was accepted for it.
_OPEN = (Status.FAIL, Status.SUPPRESSED)


def finding_key(f: Finding) -> FindingKey:
    slot = f.details.get("key")
    return (f.rule_id, f.resource_arn or f.resource_name, "" if slot is None else str(slot))


def _open_by_key(findings: Iterable[Finding]) -> dict[FindingKey, Finding]:
    out: dict[FindingKey, Finding] = {}
    for f in findings:
        if f.status in _OPEN:
            out.setdefault(finding_key(f), f)
    return out


# --- the two sides --------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    label: str  # the path given
    snapshot: Snapshot
    findings: tuple[Finding, ...]
    # Earlier states, oldest first, for "first seen": (when, open finding keys).
    history: tuple[tuple[datetime, frozenset[FindingKey]], ...] = ()
    # First-seen dates this side's run already worked out (its own diff.json); they spare
    # reading every earlier run again.
    first_seen_known: Mapping[FindingKey, datetime] = field(default_factory=dict)

    @property
    def when(self) -> datetime:
        return self.snapshot.meta.collected_at


def _history_before(
    run_dir: Path, account_id: str, settings: Settings, warn: Warn
) -> tuple[tuple[datetime, frozenset[FindingKey]], ...]:
    if parse_run(run_dir) is None:
        return ()
    states = []
    for run in earlier_runs(run_dir.parent.parent, account_id, current=run_dir, warn=warn):
        try:
            states.append((run.when, frozenset(_open_by_key(run_findings(run.path, settings)))))
        except UNREADABLE as exc:
            warn(unreadable(run.path, exc))  # a damaged old run only loses history, not the diff
    return tuple(states)


def _record_key(rec: Mapping[str, Any]) -> FindingKey:
    slot = (rec.get("details") or {}).get("key")
    resource = rec.get("resource_arn") or rec.get("resource_name") or ""
    return (str(rec["rule_id"]), str(resource), "" if slot is None else str(slot))


def known_first_seen(run_dir: Path) -> dict[FindingKey, datetime] | None:
    """First-seen dates of the run's open findings, from the diff.json the run wrote about
    itself (None when it has none: a first run, or a diff.json written by `iam-audit diff`)."""
    try:
        doc = json.loads((run_dir / "diff.json").read_text(encoding="utf-8"))
        if doc.get("kind") != REVIEW_KIND:
            return None
        records = [*doc["new_findings"], *doc["persisting_findings"]]
        return {_record_key(r): datetime.fromisoformat(r["first_seen"]) for r in records}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def load_side(path: Path, settings: Settings, *, warn: Warn) -> Side:
    """A run folder (findings as reported, with its history) or a snapshot file.

    ``settings`` (audit.toml) judges a snapshot file, and a run folder written without
    findings.json, as ``run`` does: disabled rules and thresholds stay as configured.
    """
    if path.is_dir():
        snapshot, findings = load_run(path, settings)
        known = known_first_seen(path)
        if known is not None:
            return Side(str(path), snapshot, findings, first_seen_known=known)
        history = _history_before(path, snapshot.meta.account_id, settings, warn)
        return Side(str(path), snapshot, findings, history)
    snapshot, _digest = read_snapshot(path)
    return Side(str(path), snapshot, evaluate(snapshot, settings=settings).findings)


# --- findings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingChange:
    change: str  # "new" | "resolved" | "persisting"
    finding: Finding  # the newer side's finding (the older one's when resolved)
    first_seen: datetime | None = None  # persisting/new: since when it has been open
    previous_status: Status | None = None  # persisting: its status in the older run


def _first_seen(key: FindingKey, old: Side) -> datetime:
    """Start of the unbroken streak of runs, ending with ``old``, in which ``key`` was open."""
    if key in old.first_seen_known:
        return old.first_seen_known[key]
    first = old.when
    for when, keys in reversed(old.history):
        if key not in keys:
            break
        first = when
    return first


def _rank(change: FindingChange) -> tuple[int, str, str, str]:
    f = change.finding
    return (-int(f.severity), f.rule_id, f.resource_name, finding_key(f)[2])


def diff_findings(old: Side, new: Side) -> tuple[tuple[FindingChange, ...], ...]:
    """(new, resolved, persisting), each most severe first."""
    before = _open_by_key(old.findings)
    after = _open_by_key(new.findings)
    added = [
        FindingChange("new", f, first_seen=new.when) for k, f in after.items() if k not in before
    ]
    resolved = [FindingChange("resolved", f) for k, f in before.items() if k not in after]
    persisting = [
        FindingChange("persisting", f, _first_seen(k, old), before[k].status)
        for k, f in after.items()
        if k in before
    ]
    return tuple(tuple(sorted(group, key=_rank)) for group in (added, resolved, persisting))


# --- the diff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewDiff:
    account_id: str
    old_label: str
    new_label: str
    old_when: datetime
    new_when: datetime
    new: tuple[FindingChange, ...]
    resolved: tuple[FindingChange, ...]
    persisting: tuple[FindingChange, ...]
    identity: tuple[IdentityChange, ...]
    notes: tuple[str, ...] = ()


def diff_sides(old: Side, new: Side) -> ReviewDiff:
    a, b = old.snapshot.meta.account_id, new.snapshot.meta.account_id
    if a != b:
        raise InputError(
            f"cannot compare different accounts: {old.label} is {a}, {new.label} is {b}"
        )
    added, resolved, persisting = diff_findings(old, new)
    changes, notes = identity_changes(old.snapshot, new.snapshot)
    changes = ordered((*changes, *roles_became_unused(old.findings, new.findings)))
    return ReviewDiff(
        account_id=a,
        old_label=old.label,
        new_label=new.label,
        old_when=old.when,
        new_when=new.when,
        new=added,
        resolved=resolved,
        persisting=persisting,
        identity=changes,
        notes=notes,
    )


def diff_paths(old: Path, new: Path, settings: Settings, *, warn: Warn) -> ReviewDiff:
    return diff_sides(load_side(old, settings, warn=warn), load_side(new, settings, warn=warn))


# --- output ---------------------------------------------------------------------------------


def _change_json(c: FindingChange) -> dict[str, Any]:
    return {
        **finding_record(c.finding),
        "details": to_jsonable(c.finding.details),
        "first_seen": c.first_seen.isoformat() if c.first_seen else None,
        "previous_status": c.previous_status.value if c.previous_status else None,
    }


def diff_json(d: ReviewDiff, kind: str = ADHOC_KIND) -> bytes:
    """``kind``: REVIEW_KIND when a run writes the diff against its previous run, which later
    reviews then trust for first-seen dates; ADHOC_KIND for `iam-audit diff`."""
    return (json.dumps(diff_document(d, kind), indent=1, ensure_ascii=False) + "\n").encode()


def diff_document(d: ReviewDiff, kind: str = ADHOC_KIND) -> dict[str, Any]:
    """diff.json's content (an organization diff holds one per account)."""
    return {
        "kind": kind,
        "account_id": d.account_id,
        "old": {"source": d.old_label, "collected_at": d.old_when.isoformat()},
        "new": {"source": d.new_label, "collected_at": d.new_when.isoformat()},
        "counts": {
            "new": len(d.new),
            "resolved": len(d.resolved),
            "persisting": len(d.persisting),
            "identity_changes": len(d.identity),
        },
        "new_findings": [_change_json(c) for c in d.new],
        "resolved_findings": [_change_json(c) for c in d.resolved],
        "persisting_findings": [_change_json(c) for c in d.persisting],
        "identity_changes": [
            {
                "kind": c.kind,
                "resource_type": c.resource_type,
                "resource_name": c.resource_name,
                "detail": c.detail,
            }
            for c in d.identity
        ],
        "notes": list(d.notes),
    }


DIFF_CSV_COLUMNS = (
    "change",
    "rule_id",
    "severity",
    "status",
    "previous_status",
    "first_seen",
    "resource_type",
    "resource_name",
    "resource_arn",
    "message",
)


def diff_rows(d: ReviewDiff) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for c in (*d.new, *d.resolved, *d.persisting):
        f = c.finding
        rows.append(
            (
                c.change,
                f.rule_id,
                f.severity.label,
                f.status.value,
                c.previous_status.value if c.previous_status else "",
                c.first_seen.isoformat() if c.first_seen else "",
                f.resource_type,
                f.resource_name,
                f.resource_arn,
                f.message,
            )
        )
    rows.extend(
        (i.kind, "", "", "", "", "", i.resource_type, i.resource_name, "", i.detail)
        for i in d.identity
    )
    return rows


def diff_csv(d: ReviewDiff) -> bytes:
    return to_csv_bytes(DIFF_CSV_COLUMNS, diff_rows(d))


def finding_line(c: FindingChange) -> str:
    f = c.finding
    slot = f" key {f.details['key']}" if "key" in f.details else ""
    since = ""
    if c.change == "persisting" and c.first_seen:
        since = f"  (open since {c.first_seen.date().isoformat()})"
    return f"  [{f.severity.label}] {f.rule_id}  {f.resource_name}{slot}: {f.message}{since}"


def summary_text(d: ReviewDiff, limit: int = 20) -> str:
    """A readable summary; each list stops after ``limit`` lines (everything is in diff.csv)."""
    lines = [
        f"Account {d.account_id}: changes from {d.old_when:%Y-%m-%d %H:%M} to "
        f"{d.new_when:%Y-%m-%d %H:%M} UTC",
        f"Findings: {len(d.new)} new, {len(d.resolved)} resolved, {len(d.persisting)} persisting; "
        f"{len(d.identity)} identity change(s)",
    ]
    sections: list[tuple[str, list[str]]] = [
        ("New findings", [finding_line(c) for c in d.new]),
        ("Resolved findings", [finding_line(c) for c in d.resolved]),
        ("Persisting findings", [finding_line(c) for c in d.persisting]),
        ("Identity changes", [f"  {c.kind}: {c.detail}" for c in d.identity]),
    ]
    for title, body in sections:
        if not body:
            continue
        lines.append(f"{title}:")
        lines += body[:limit]
        if len(body) > limit:
            lines.append(f"  ... and {len(body) - limit} more (see diff.csv)")
    lines += [f"Note: {n}" for n in d.notes]
    return "\n".join(lines)
