"""The quarterly user access review (issue 12): export, import, and the next run's verification.

1. Export: the run's access items (audit.workflow.access_items), each with its reviewer
   (audit.workflow.owners), become rows with a stable item id and a hash of the row's content.
   ``review/export.json`` in the run folder records what was handed out (id -> hash, reviewer),
   so an import can tell an altered or invented row from a genuine one without trusting the
   workbook itself.
2. Import: rows read back from the workbook are checked against that record. A row that is
   unknown, altered, moved to another reviewer's sheet, or holds a decision outside the list
   makes the workbook unusable as evidence: nothing is stored. Rows without a decision are a
   partial review, stored and reported as partial. ``review/decisions.json`` is the evidence.
3. Verification, in the next run (a workflow step after the accepted risks, like them: the
   decisions reach the findings as data, rules stay pure): an item decided Revoke that still
   exists becomes ``access-review-revocation-pending``; a Keep on an item whose grants did not
   change is carried forward as evidence.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.findings import AuditResult, Finding, Status
from audit.model import Snapshot
from audit.output import atomic_write_bytes
from audit.rules.registry import RuleMeta
from audit.rules.workflow import ACCESS_REVIEW_REVOCATION_PENDING, WORKFLOW_RULES
from audit.settings import Settings
from audit.workflow.access_items import AccessItem
from audit.workflow.history import UNREADABLE, Warn, earlier_runs, unreadable
from audit.workflow.owners import Assignment

REVIEW_DIR = "review"
EXPORT_FILE = "export.json"
DECISIONS_FILE = "decisions.json"
EXPORT_KIND = "iam-audit access review export"
DECISIONS_KIND = "iam-audit access review decisions"

KEEP, MODIFY, REVOKE = "Keep", "Modify", "Revoke"
DECISIONS = (KEEP, MODIFY, REVOKE)
UNDECIDED = "undecided"

# The columns of every sheet (and of the CSV), in order. The reviewer fills the last three
# before "Row hash"; the hash covers the columns from "Account" to "Reviewer".
COLUMNS = (
    "Item id",
    "Account",
    "Principal",
    "Kind",
    "Access item",
    "Grants",
    "Last used",
    "Findings",
    "Risk",
    "Reviewer",
    "Decision",
    "Comment",
    "Reviewed on",
    "Row hash",
)
HASHED = COLUMNS[1:10]
REVIEWER_FILLS = ("Decision", "Comment", "Reviewed on")


@dataclass(frozen=True)
class ReviewRow:
    item: AccessItem
    reviewer: str

    def cells(self) -> dict[str, str]:
        """The read-only cells, as text (what the hash covers)."""
        i = self.item
        return {
            "Account": i.account,
            "Principal": i.principal,
            "Kind": i.kind,
            "Access item": i.item,
            "Grants": i.grants,
            "Last used": f"{i.last_used:%Y-%m-%d}" if i.last_used else "never / unknown",
            "Findings": ", ".join(i.findings),
            "Risk": i.risk,
            "Reviewer": self.reviewer,
        }

    @property
    def row_hash(self) -> str:
        return content_hash(self.item.item_id, self.cells())


def content_hash(item_id: str, cells: Mapping[str, str]) -> str:
    raw = "\x1f".join([item_id, *(cells.get(c, "") for c in HASHED)]).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:20]


def handed_out(rows: Iterable[ReviewRow]) -> dict[str, dict[str, str]]:
    """Item id -> what the import checks a returned row against (export.json's "items")."""
    return {
        r.item.item_id: {
            "hash": r.row_hash,
            "reviewer": r.reviewer,
            "principal": r.item.principal,
            "principal_arn": r.item.principal_arn,
            "kind": r.item.kind,
            "item": r.item.item,
            "grants": r.item.grants,
        }
        for r in rows
    }


@dataclass(frozen=True)
class ReviewExport:
    """Everything a workbook shows: the cover and the rows, reviewer by reviewer."""

    run_dir: Path
    accounts: tuple[str, ...]
    as_of: datetime
    snapshot_sha256: str
    rows: tuple[ReviewRow, ...]
    unmatched: int  # items that went to the default reviewer
    default_reviewer: str

    @property
    def reviewers(self) -> tuple[str, ...]:
        return tuple(sorted({r.reviewer for r in self.rows}))

    def record(self) -> dict[str, Any]:
        """review/export.json: what was handed out, to check the import against."""
        return {
            "kind": EXPORT_KIND,
            "version": 1,
            "accounts": list(self.accounts),
            "as_of": self.as_of.isoformat(),
            "snapshot_sha256": self.snapshot_sha256,
            "default_reviewer": self.default_reviewer,
            "unmatched": self.unmatched,
            "items": handed_out(self.rows),
        }


def build_export(
    run_dir: Path,
    snapshots: Sequence[Snapshot],
    snapshot_sha256: str,
    items: Sequence[AccessItem],
    assignment: Assignment,
    default_reviewer: str,
    as_of: datetime,
) -> ReviewExport:
    rows = tuple(ReviewRow(i, assignment.reviewers[i.item_id]) for i in items)
    return ReviewExport(
        run_dir=run_dir,
        accounts=tuple(dict.fromkeys(s.meta.account_id for s in snapshots)),
        as_of=as_of,
        snapshot_sha256=snapshot_sha256,
        rows=rows,
        unmatched=assignment.unmatched,
        default_reviewer=default_reviewer,
    )


def review_dir(run_dir: Path) -> Path:
    return run_dir / REVIEW_DIR


def write_export_record(export: ReviewExport) -> Path:
    path = review_dir(export.run_dir) / EXPORT_FILE
    atomic_write_bytes(path, _json_bytes(export.record()))
    return path


def _json_bytes(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def _read_json(path: Path, kind: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != kind:
        raise InputError(f"{path}: not an {kind} file")
    return doc


def read_export_record(run_dir: Path) -> dict[str, Any]:
    path = review_dir(run_dir) / EXPORT_FILE
    if not path.is_file():
        raise InputError(
            f"{run_dir}: no {REVIEW_DIR}/{EXPORT_FILE} (export a workbook from this run first: "
            "iam-audit review export RUN_DIR)"
        )
    return _read_json(path, EXPORT_KIND)


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    """One data row as read back from a workbook or CSV (cell text by column name)."""

    sheet: str  # the sheet's title ("All", a reviewer's) or "csv"
    line: int  # the spreadsheet row number, for messages
    sheet_reviewer: str | None  # the reviewer the sheet belongs to; None for "All" and CSV
    cells: Mapping[str, str]


@dataclass(frozen=True)
class Decision:
    item_id: str
    principal: str
    principal_arn: str
    kind: str
    item: str
    grants: str
    reviewer: str
    decision: str  # one of DECISIONS, or UNDECIDED
    comment: str = ""
    reviewed_on: str = ""  # ISO date the reviewer wrote; "" when not given

    def record(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ImportCheck:
    decisions: tuple[Decision, ...]
    problems: tuple[str, ...]  # one line each; any problem makes the workbook unusable

    @property
    def usable(self) -> bool:
        return not self.problems


def _where(row: SheetRow) -> str:
    return f"sheet {row.sheet!r} row {row.line}"


def normalise_decision(text: str) -> str | None:
    """The decision written in a cell (any case), "" for blank, None when outside the list."""
    value = text.strip()
    if not value:
        return ""
    return next((d for d in DECISIONS if d.lower() == value.lower()), None)


def check_rows(rows: Iterable[SheetRow], export: Mapping[str, Any]) -> ImportCheck:
    """The decisions in ``rows`` checked against the export record, with every problem found."""
    given: Mapping[str, Mapping[str, str]] = export.get("items", {})
    problems: list[str] = []
    chosen: dict[str, tuple[SheetRow, str]] = {}
    for row in rows:
        item_id = row.cells.get("Item id", "").strip()
        known = given.get(item_id)
        if known is None:
            problems.append(f"{_where(row)}: unknown item id {item_id!r} (a row added by hand?)")
            continue
        if content_hash(item_id, row.cells) != known["hash"] or (
            row.cells.get("Row hash", "").strip() != known["hash"]
        ):
            problems.append(
                f"{_where(row)}: item {item_id} was altered (its cells no longer match the "
                "exported row)"
            )
            continue
        if row.sheet_reviewer is not None and row.sheet_reviewer != known["reviewer"]:
            problems.append(
                f"{_where(row)}: item {item_id} belongs to reviewer {known['reviewer']}, not "
                f"{row.sheet_reviewer}"
            )
            continue
        decision = normalise_decision(row.cells.get("Decision", ""))
        if decision is None:
            problems.append(
                f"{_where(row)}: decision {row.cells.get('Decision', '')!r} is not one of "
                f"{', '.join(DECISIONS)}"
            )
            continue
        earlier = chosen.get(item_id)
        if earlier is not None and decision and earlier[1] and earlier[1] != decision:
            problems.append(
                f"{_where(row)}: item {item_id} is decided {decision} here but {earlier[1]} on "
                f"{_where(earlier[0])}"
            )
            continue
        if earlier is None or (decision and not earlier[1]):
            chosen[item_id] = (row, decision)
    decisions = []
    for item_id, known in given.items():
        picked = chosen.get(item_id)
        decision = picked[1] if picked is not None else ""
        cells: Mapping[str, str] = picked[0].cells if picked is not None else {}
        decisions.append(
            Decision(
                item_id=item_id,
                principal=known["principal"],
                principal_arn=known["principal_arn"],
                kind=known["kind"],
                item=known["item"],
                grants=known["grants"],
                reviewer=known["reviewer"],
                decision=decision or UNDECIDED,
                comment=cells.get("Comment", "").strip() if decision else "",
                reviewed_on=cells.get("Reviewed on", "").strip() if decision else "",
            )
        )
    return ImportCheck(decisions=tuple(decisions), problems=tuple(problems))


def decision_counts(decisions: Iterable[Decision]) -> dict[str, int]:
    counted = Counter(d.decision for d in decisions)
    return {name: counted.get(name, 0) for name in (*DECISIONS, UNDECIDED)}


def reviewer_progress(decisions: Iterable[Decision]) -> dict[str, dict[str, int]]:
    """Per reviewer: items assigned and decided."""
    progress: dict[str, dict[str, int]] = {}
    for d in decisions:
        entry = progress.setdefault(d.reviewer, {"items": 0, "decided": 0})
        entry["items"] += 1
        entry["decided"] += d.decision != UNDECIDED
    return dict(sorted(progress.items()))


def decisions_document(
    export: Mapping[str, Any],
    check: ImportCheck,
    workbook_sha256: str,
    workbook_name: str,
    imported_at: datetime,
) -> dict[str, Any]:
    counts = decision_counts(check.decisions)
    return {
        "kind": DECISIONS_KIND,
        "version": 1,
        "accounts": export.get("accounts", []),
        "as_of": export.get("as_of", ""),
        "snapshot_sha256": export.get("snapshot_sha256", ""),
        "workbook": workbook_name,
        "workbook_sha256": workbook_sha256,
        "imported_at": imported_at.astimezone(UTC).isoformat(),
        "complete": counts[UNDECIDED] == 0,
        "counts": counts,
        "reviewers": reviewer_progress(check.decisions),
        "items": [d.record() for d in check.decisions],
    }


def write_decisions(run_dir: Path, doc: Mapping[str, Any]) -> Path:
    path = review_dir(run_dir) / DECISIONS_FILE
    atomic_write_bytes(path, _json_bytes(doc))
    return path


@dataclass(frozen=True)
class ReviewDecisions:
    """decisions.json read back: the review carried out on one run."""

    run_dir: Path
    imported_at: datetime
    decisions: tuple[Decision, ...]

    @property
    def run_name(self) -> str:
        return self.run_dir.name


def read_decisions(run_dir: Path) -> ReviewDecisions:
    path = review_dir(run_dir) / DECISIONS_FILE
    doc = _read_json(path, DECISIONS_KIND)
    try:
        imported_at = datetime.fromisoformat(doc["imported_at"])
        fields = {f.name for f in dataclasses.fields(Decision)}
        decisions = tuple(
            Decision(**{k: str(v) for k, v in rec.items() if k in fields}) for rec in doc["items"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed ({exc})") from None
    return ReviewDecisions(run_dir=run_dir, imported_at=imported_at, decisions=decisions)


def latest_decisions(
    reports_dir: Path, account_id: str, current: Path | None, before: datetime, *, warn: Warn
) -> ReviewDecisions | None:
    """The decisions of the last earlier complete run of the account that has any."""
    stamp = before.replace(microsecond=0)
    runs = [r for r in earlier_runs(reports_dir, account_id, current, warn=warn) if r.when < stamp]
    for run in reversed(runs):
        if not (review_dir(run.path) / DECISIONS_FILE).is_file():
            continue
        try:
            return read_decisions(run.path)
        except UNREADABLE as exc:
            warn(unreadable(run.path, exc))
    return None


# --- verification in the next run ---------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What became of the last review's decisions in this run."""

    source: ReviewDecisions
    pending: tuple[Decision, ...]  # Revoke, and the item still exists
    revoked: tuple[Decision, ...]  # Revoke, and the item is gone
    carried: tuple[Decision, ...]  # Keep, and the item is unchanged: the decision stands
    changed: tuple[Decision, ...] = field(default=())  # Keep, but the item now grants otherwise

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.source.decisions


def decided_on(d: Decision, source: ReviewDecisions) -> str:
    """The day of the decision: as the reviewer wrote it, else the day it was imported."""
    return d.reviewed_on[:10] if d.reviewed_on else f"{source.imported_at:%Y-%m-%d}"


def _pending_finding(d: Decision, source: ReviewDecisions, meta: RuleMeta) -> Finding:
    when = decided_on(d, source)
    return Finding(
        rule_id=meta.id,
        title=meta.title,
        status=Status.FAIL,
        severity=meta.severity,
        resource_type="access item",
        resource_name=f"{d.principal}: {d.item}",
        resource_arn=d.principal_arn,
        message=(
            f"{d.reviewer} decided Revoke on {when} for {d.principal}'s {d.kind} "
            f"'{d.item}' (review of run {source.run_name}); it still exists."
        ),
        controls=meta.controls,
        remediation=meta.remediation,
        details={
            "item_id": d.item_id,
            "reviewer": d.reviewer,
            "decided_on": when,
            "review_run": source.run_name,
            "comment": d.comment,
        },
    )


def verify_decisions(
    result: AuditResult,
    items: Sequence[AccessItem],
    source: ReviewDecisions,
    settings: Settings | None = None,
) -> tuple[AuditResult, Verification]:
    """This run's findings with a pending-revocation finding per Revoke not carried out.

    ``settings`` (audit.toml) set the finding's severity and may disable it, as for any rule;
    the verification itself (the section) is kept either way.
    """
    now = {i.item_id: i for i in items}
    pending: list[Decision] = []
    revoked: list[Decision] = []
    carried: list[Decision] = []
    changed: list[Decision] = []
    for d in source.decisions:
        current = now.get(d.item_id)
        if d.decision == REVOKE:
            (pending if current is not None else revoked).append(d)
        elif d.decision == KEEP and current is not None:
            (carried if current.grants == d.grants else changed).append(d)
    settings = settings or Settings()
    findings = result.findings
    if ACCESS_REVIEW_REVOCATION_PENDING not in settings.disabled_rules:
        meta = WORKFLOW_RULES[ACCESS_REVIEW_REVOCATION_PENDING].configured(settings)
        findings += tuple(_pending_finding(d, source, meta) for d in pending)
    verification = Verification(
        source=source,
        pending=tuple(pending),
        revoked=tuple(revoked),
        carried=tuple(carried),
        changed=tuple(changed),
    )
    return dataclasses.replace(result, findings=findings), verification
