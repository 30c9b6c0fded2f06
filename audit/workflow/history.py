"""Run history: ``reports/<account-id>/<UTC timestamp>/``, one folder per run, never reused.

A run folder holds what ``run``/``demo``/``report`` wrote: ``snapshot.json.gz``,
``findings.json``, ``summary.json`` and the reports. Earlier runs are read back for the diff
("changes since the last review") and the trend charts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.engine import evaluate
from audit.errors import InputError
from audit.findings import AuditResult, Finding, Severity, Status
from audit.model import Snapshot
from audit.snapshot_io import read_snapshot

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"  # sorts as text, no ':' (not allowed in Windows paths)
SNAPSHOT_FILE = "snapshot.json.gz"
FINDINGS_FILE = "findings.json"
SUMMARY_FILE = "summary.json"

_RUN_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<seq>\d+))?$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Run:
    path: Path
    when: datetime  # from the folder name: the snapshot's collection time, UTC
    seq: int = 1  # 2, 3... when several runs share one second

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return (self.when, self.seq)


def _account_dir(base: Path, account_id: str) -> Path:
    # The id comes from AWS or a snapshot file: keep it from escaping the reports folder.
    if not _ACCOUNT.match(account_id) or account_id in (".", ".."):
        raise InputError(f"account id {account_id!r} cannot name a reports folder")
    return base / account_id


def new_run_dir(base: Path, account_id: str, when: datetime) -> Path:
    """Create and return ``base/<account>/<stamp>[-n]``; an existing folder is never reused.

    mkdir without exist_ok is the collision test, so two runs started in the same second
    (even concurrently) get different folders.
    """
    parent = _account_dir(base, account_id)
    parent.mkdir(parents=True, exist_ok=True)
    stamp = when.astimezone(UTC).strftime(STAMP_FORMAT)
    seq = 1
    while True:
        candidate = parent / (stamp if seq == 1 else f"{stamp}-{seq}")
        try:
            candidate.mkdir()
        except FileExistsError:
            seq += 1
            continue
        return candidate


def parse_run(path: Path) -> Run | None:
    """The run a folder name stands for, or None when it is not a run folder."""
    m = _RUN_NAME.match(path.name)
    if m is None:
        return None
    try:
        when = datetime.strptime(m["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return Run(path=path, when=when, seq=int(m["seq"] or 1))


def list_runs(base: Path, account_id: str) -> tuple[Run, ...]:
    """Every run folder of the account, oldest first (empty when there is none)."""
    parent = _account_dir(base, account_id)
    if not parent.is_dir():
        return ()
    runs = (parse_run(p) for p in parent.iterdir() if p.is_dir())
    return tuple(sorted((r for r in runs if r is not None), key=lambda r: r.sort_key))


def earlier_runs(base: Path, account_id: str, current: Path | None = None) -> tuple[Run, ...]:
    """Runs before ``current`` (a run folder), or all runs when ``current`` is None.

    Folders without a snapshot (an interrupted run) are left out: there is nothing to compare.
    """
    runs = [r for r in list_runs(base, account_id) if (r.path / SNAPSHOT_FILE).is_file()]
    if current is None:
        return tuple(runs)
    mine = parse_run(current)
    resolved = current.resolve()
    return tuple(
        r
        for r in runs
        if r.path.resolve() != resolved and (mine is None or r.sort_key < mine.sort_key)
    )


# --- reading a run back ---------------------------------------------------------------------


def finding_from_record(rec: Mapping[str, Any]) -> Finding:
    """A finding back from its findings.json object (the inverse of the report's writer)."""
    try:
        suppression = rec.get("suppression")
        if not isinstance(suppression, dict) and rec.get("suppression_owner"):
            # findings.json keeps the entry flat (suppression_owner, ...), like the CSV.
            suppression = {
                k: str(rec.get(f"suppression_{k}", ""))
                for k in ("owner", "reason", "expires", "ticket")
            }
        return Finding(
            rule_id=str(rec["rule_id"]),
            title=str(rec.get("title", "")),
            status=Status(rec["status"]),
            severity=Severity.parse(str(rec["severity"])),
            resource_type=str(rec.get("resource_type", "")),
            resource_name=str(rec.get("resource_name", "")),
            resource_arn=str(rec.get("resource_arn", "")),
            message=str(rec.get("message", "")),
            controls=tuple(str(c) for c in rec.get("controls", ())),
            remediation=str(rec.get("remediation", "")),
            details=dict(rec.get("details") or {}),
            suppression=dict(suppression) if isinstance(suppression, dict) else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"finding record is malformed: {exc}") from None


def read_findings(path: Path) -> tuple[Finding, ...]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"findings file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read findings {path}: {exc}") from None
    if not isinstance(doc, list):
        raise InputError(f"{path}: not a findings list")
    try:
        return tuple(finding_from_record(rec) for rec in doc)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def _run_snapshot(run_dir: Path) -> Snapshot:
    if not run_dir.is_dir():
        raise InputError(f"not a run folder: {run_dir}")
    snap_path = run_dir / SNAPSHOT_FILE
    if not snap_path.is_file():
        raise InputError(f"{run_dir}: no {SNAPSHOT_FILE} (not an iam-audit run folder)")
    return read_snapshot(snap_path)[0]


def run_findings(run_dir: Path) -> tuple[Finding, ...]:
    """The findings the run reported (suppressions applied, its as-of time).

    A run written without JSON output is re-evaluated from its snapshot at collection time.
    """
    findings_path = run_dir / FINDINGS_FILE
    if findings_path.is_file():
        return read_findings(findings_path)
    return evaluate(_run_snapshot(run_dir)).findings


def load_run(run_dir: Path) -> tuple[Snapshot, tuple[Finding, ...]]:
    """The snapshot and the findings of a run folder."""
    snapshot = _run_snapshot(run_dir)
    return snapshot, run_findings(run_dir)


# --- trend across runs ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    when: datetime
    label: str  # the run folder's name
    posture: float | None  # 0-100; None when the run judged nothing
    failing: Mapping[Severity, int]  # failing (unsuppressed) findings per severity

    @property
    def failing_total(self) -> int:
        return sum(self.failing.values())


def _posture(run_dir: Path, result: AuditResult) -> float | None:
    # summary.json holds the score the run reported; scoring again would use today's weights.
    try:
        doc = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
        value = doc["posture_score"]
        if value is None or isinstance(value, int | float):
            return None if value is None else float(value)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from audit.scoring import posture_score

    return posture_score(result)


def _summary_point(run: Run) -> TrendPoint | None:
    """The point from the run's summary.json alone (small), or None without a usable one."""
    try:
        doc = json.loads((run.path / SUMMARY_FILE).read_text(encoding="utf-8"))
        posture = doc["posture_score"]
        counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
        for label, n in doc["failing_by_severity"].items():
            counts[Severity.parse(label)] = int(n)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if posture is not None and not isinstance(posture, int | float):
        return None
    return TrendPoint(
        when=run.when,
        label=run.path.name,
        posture=None if posture is None else float(posture),
        failing=counts,
    )


def trend_point(run: Run) -> TrendPoint:
    summary = _summary_point(run)
    if summary is not None:
        return summary
    result = AuditResult(as_of=run.when, findings=run_findings(run.path))
    return TrendPoint(
        when=run.when,
        label=run.path.name,
        posture=_posture(run.path, result),
        failing=result.failing_counts(),
    )


def trend(runs: Iterable[Run]) -> tuple[TrendPoint, ...]:
    """One point per run, oldest first; a run folder that cannot be read is skipped."""
    points: list[TrendPoint] = []
    for run in sorted(runs, key=lambda r: r.sort_key):
        try:
            points.append(trend_point(run))
        except InputError:
            continue  # a damaged old run must not stop today's report
    return tuple(points)
