"""What changed between two reviews: findings (new, resolved, persisting) and identities.

Either side is a snapshot file (evaluated at its collection time) or a run folder (its
findings.json as reported, suppressions included). A finding is the same across runs when its
rule, resource (ARN, else name) and access-key slot are the same; messages may differ (ages).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.engine import evaluate
from audit.errors import InputError
from audit.findings import Finding, Severity, Status, finding_record
from audit.history import earlier_runs, load_run, parse_run, run_findings
from audit.model import (
    PART_AUTHORIZATION,
    PART_CREDENTIAL_REPORT,
    PART_PASSWORD_POLICY,
    CredentialRow,
    InlinePolicy,
    ReportAccessKey,
    Snapshot,
)
from audit.snapshot_io import read_snapshot, to_jsonable

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
    run_dir: Path, account_id: str
) -> tuple[tuple[datetime, frozenset[FindingKey]], ...]:
    if parse_run(run_dir) is None:
        return ()
    states = []
    for run in earlier_runs(run_dir.parent.parent, account_id, current=run_dir):
        try:
            states.append((run.when, frozenset(_open_by_key(run_findings(run.path)))))
        except InputError:
            continue  # a damaged old run only loses history, never the diff
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


def load_side(path: Path) -> Side:
    """A run folder (findings as reported, with its history) or a snapshot file."""
    if path.is_dir():
        snapshot, findings = load_run(path)
        known = known_first_seen(path)
        if known is not None:
            return Side(str(path), snapshot, findings, first_seen_known=known)
        history = _history_before(path, snapshot.meta.account_id)
        return Side(str(path), snapshot, findings, history)
    snapshot, _digest = read_snapshot(path)
    return Side(str(path), snapshot, evaluate(snapshot).findings)


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


# --- identities -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityChange:
    kind: str  # "user-added", "key-rotated", "mfa-enabled", "policy-attached", ...
    resource_type: str  # user, group, role, policy, account
    resource_name: str
    detail: str


def _named(items: Iterable[Any]) -> dict[str, Any]:
    return {item.name: item for item in items}


def _added_removed(
    kind: str, rtype: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[IdentityChange]:
    out = [
        IdentityChange(f"{kind}-added", rtype, n, f"{rtype} {n} created")
        for n in new
        if n not in old
    ]
    out += [
        IdentityChange(f"{kind}-removed", rtype, n, f"{rtype} {n} deleted")
        for n in old
        if n not in new
    ]
    return out


def _key_id(k: ReportAccessKey) -> str:
    # The report has no key id; a key's creation time (last_rotated) tells keys apart.
    return k.last_rotated.isoformat() if k.last_rotated else f"slot {k.slot}"


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else "unknown date"


def _key_changes(name: str, old: CredentialRow | None, new: CredentialRow) -> list[IdentityChange]:
    rtype = "account" if new.is_root else "user"
    who = "root user" if new.is_root else name
    before = {_key_id(k): k for k in (old.access_keys if old else ()) if k.exists}
    after = {_key_id(k): k for k in new.access_keys if k.exists}
    created = [after[i] for i in after if i not in before]
    deleted = [before[i] for i in before if i not in after]
    out: list[IdentityChange] = []
    # A key deleted and another created between two reviews is a rotation.
    while created and deleted:
        c, d = created.pop(0), deleted.pop(0)
        out.append(
            IdentityChange(
                "key-rotated",
                rtype,
                name,
                f"{who}: key created {_day(d.last_rotated)} replaced by one created "
                f"{_day(c.last_rotated)}",
            )
        )
    out += [
        IdentityChange(
            "key-created", rtype, name, f"{who}: access key created {_day(k.last_rotated)}"
        )
        for k in created
    ]
    out += [
        IdentityChange(
            "key-deleted", rtype, name, f"{who}: access key created {_day(k.last_rotated)} deleted"
        )
        for k in deleted
    ]
    for i in before.keys() & after.keys():
        was, now = before[i], after[i]
        if was.active and not now.active:
            out.append(
                IdentityChange(
                    "key-deactivated",
                    rtype,
                    name,
                    f"{who}: key created {_day(now.last_rotated)} deactivated",
                )
            )
        elif now.active and not was.active:
            out.append(
                IdentityChange(
                    "key-activated",
                    rtype,
                    name,
                    f"{who}: key created {_day(now.last_rotated)} activated",
                )
            )
    if old is not None and old.mfa_active != new.mfa_active:
        kind = "mfa-enabled" if new.mfa_active else "mfa-removed"
        out.append(
            IdentityChange(
                kind, rtype, name, f"{who}: MFA {'enabled' if new.mfa_active else 'removed'}"
            )
        )
    return out


def _credential_changes(old: Snapshot, new: Snapshot) -> list[IdentityChange]:
    before = {r.user: r for r in old.credential_report}
    out: list[IdentityChange] = []
    for row in new.credential_report:
        out += _key_changes(row.user, before.get(row.user), row)
    return out


def _policy_changes(rtype: str, name: str, old: Any, new: Any) -> list[IdentityChange]:
    """Attached and inline policy changes of one user, group or role present on both sides."""
    out: list[IdentityChange] = []
    was = {p.arn: p.name for p in old.attached_policies}
    now = {p.arn: p.name for p in new.attached_policies}
    out += [
        IdentityChange("policy-attached", rtype, name, f"{now[a]} attached to {rtype} {name}")
        for a in now
        if a not in was
    ]
    out += [
        IdentityChange("policy-detached", rtype, name, f"{was[a]} detached from {rtype} {name}")
        for a in was
        if a not in now
    ]
    inline_was: dict[str, InlinePolicy] = _named(old.inline_policies)
    inline_now: dict[str, InlinePolicy] = _named(new.inline_policies)
    for pname, pol in inline_now.items():
        if pname not in inline_was:
            out.append(
                IdentityChange(
                    "inline-policy-added",
                    rtype,
                    name,
                    f"inline policy {pname} added to {rtype} {name}",
                )
            )
        elif _canonical(pol.document) != _canonical(inline_was[pname].document):
            out.append(
                IdentityChange(
                    "inline-policy-edited",
                    rtype,
                    name,
                    f"inline policy {pname} of {rtype} {name} edited",
                )
            )
    out += [
        IdentityChange(
            "inline-policy-removed", rtype, name, f"inline policy {p} removed from {rtype} {name}"
        )
        for p in inline_was
        if p not in inline_now
    ]
    return out


def _canonical(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, default=str)


def _authorization_changes(old: Snapshot, new: Snapshot) -> list[IdentityChange]:
    out: list[IdentityChange] = []
    for kind, olds, news in (
        ("user", _named(old.users), _named(new.users)),
        ("group", _named(old.groups), _named(new.groups)),
        ("role", _named(old.roles), _named(new.roles)),
    ):
        out += _added_removed(kind, kind, olds, news)
        for name in olds.keys() & news.keys():
            out += _policy_changes(kind, name, olds[name], news[name])
    users_was, users_now = _named(old.users), _named(new.users)
    for name in users_was.keys() & users_now.keys():
        was, now = users_was[name], users_now[name]
        if was.user_id != now.user_id:
            out.append(
                IdentityChange(
                    "user-recreated", "user", name, f"user {name} deleted and created again"
                )
            )
        out += [
            IdentityChange("group-joined", "user", name, f"{name} added to group {g}")
            for g in now.groups
            if g not in was.groups
        ]
        out += [
            IdentityChange("group-left", "user", name, f"{name} removed from group {g}")
            for g in was.groups
            if g not in now.groups
        ]
    # Managed policies: customer ones created or deleted; any one edited (new default version).
    pol_was, pol_now = old.policy_by_arn(), new.policy_by_arn()
    for arn, p in pol_now.items():
        if arn not in pol_was:
            if not p.is_aws_managed:
                out.append(
                    IdentityChange(
                        "policy-created", "policy", p.name, f"managed policy {p.name} created"
                    )
                )
            continue
        q = pol_was[arn]
        if q.default_version_id != p.default_version_id:
            out.append(
                IdentityChange(
                    "policy-edited",
                    "policy",
                    p.name,
                    f"managed policy {p.name}: default version "
                    f"{q.default_version_id} -> {p.default_version_id}",
                )
            )
        elif _canonical(q.document) != _canonical(p.document):
            out.append(
                IdentityChange(
                    "policy-edited", "policy", p.name, f"managed policy {p.name}: document changed"
                )
            )
    out += [
        IdentityChange("policy-deleted", "policy", q.name, f"managed policy {q.name} deleted")
        for arn, q in pol_was.items()
        if arn not in pol_now and not q.is_aws_managed
    ]
    return out


def identity_changes(
    old: Snapshot, new: Snapshot
) -> tuple[tuple[IdentityChange, ...], tuple[str, ...]]:
    """The changes, and notes on what could not be compared (a part missing on a side)."""
    changes: list[IdentityChange] = []
    notes: list[str] = []
    parts: Sequence[tuple[str, Callable[[Snapshot, Snapshot], list[IdentityChange]]]] = (
        (PART_AUTHORIZATION, _authorization_changes),
        (PART_CREDENTIAL_REPORT, _credential_changes),
    )
    for part, compare in parts:
        if old.has_part(part) and new.has_part(part):
            changes += compare(old, new)
        else:
            notes.append(f"{part} not compared: not collected completely in both snapshots")
    if (
        old.has_part(PART_PASSWORD_POLICY)
        and new.has_part(PART_PASSWORD_POLICY)
        and old.password_policy != new.password_policy
    ):
        acct = new.meta.account_id
        what = (
            "removed"
            if new.password_policy is None
            else "set"
            if old.password_policy is None
            else "changed"
        )
        changes.append(
            IdentityChange("password-policy-changed", "account", acct, f"password policy {what}")
        )
    ordered = sorted(changes, key=lambda c: (c.resource_type, c.resource_name, c.kind, c.detail))
    return tuple(ordered), tuple(notes)


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


def diff_paths(old: Path, new: Path) -> ReviewDiff:
    return diff_sides(load_side(old), load_side(new))


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
    doc = {
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
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


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
    from audit.report.csv_files import to_csv_bytes

    return to_csv_bytes(DIFF_CSV_COLUMNS, diff_rows(d))


def _finding_line(c: FindingChange) -> str:
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
        ("New findings", [_finding_line(c) for c in d.new]),
        ("Resolved findings", [_finding_line(c) for c in d.resolved]),
        ("Persisting findings", [_finding_line(c) for c in d.persisting]),
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


def severity_counts(changes: Iterable[FindingChange]) -> dict[Severity, int]:
    counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
    for c in changes:
        counts[c.finding.severity] += 1
    return counts
