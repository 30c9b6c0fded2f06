"""Run history: ``reports/<account-id>/<UTC timestamp>/``, one folder per run, never reused.

A run folder holds what ``run``/``demo``/``report`` wrote: ``snapshot.json.gz``,
``findings.json``, the reports and, written last, ``summary.json``: a folder without it is an
interrupted run. Earlier runs are read back for the diff ("changes since the last review") and
the trend charts; a folder that is incomplete or cannot be read is passed over with a warning
(one line, through the ``warn`` callback), never an error: a damaged old run must not stop
today's review.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audit.engine import evaluate
from audit.errors import AuditError, InputError
from audit.findings import AuditResult, Finding, Severity
from audit.findings_file import FINDINGS_FILE, read_findings
from audit.model import Snapshot
from audit.scoring import posture_score
from audit.settings import Settings
from audit.snapshot_io import read_snapshot

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"  # sorts as text, no ':' (not allowed in Windows paths)
SNAPSHOT_FILE = "snapshot.json.gz"
SUMMARY_FILE = "summary.json"  # written last: the run is complete when it is there

# Says why an earlier run was passed over (one line, for stderr).
Warn = Callable[[str], None]
# What reading an earlier run may raise when its files are damaged or unreadable (a bad
# snapshot or findings file, a folder where a file should be, permissions, bad encodings).
UNREADABLE: tuple[type[Exception], ...] = (AuditError, OSError, ValueError)

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


def is_complete(run: Run) -> bool:
    """Every file of the run was written: its snapshot and, written last, summary.json."""
    return (run.path / SNAPSHOT_FILE).is_file() and (run.path / SUMMARY_FILE).is_file()


def earlier_runs(
    base: Path, account_id: str, current: Path | None = None, *, warn: Warn
) -> tuple[Run, ...]:
    """Complete runs before ``current`` (a run folder), or all of them when ``current`` is None.

    An interrupted run (no summary.json, or no snapshot) is left out, with a warning: it must
    never become "the last review" of the next run.
    """
    mine = parse_run(current) if current is not None else None
    resolved = current.resolve() if current is not None else None
    runs = []
    for run in list_runs(base, account_id):
        if resolved is not None and (
            run.path.resolve() == resolved or (mine is not None and run.sort_key >= mine.sort_key)
        ):
            continue
        if not is_complete(run):
            warn(f"skipped {run.path}: an incomplete run (no {SUMMARY_FILE} or {SNAPSHOT_FILE})")
            continue
        runs.append(run)
    return tuple(runs)


# --- reading a run back ---------------------------------------------------------------------


def _run_snapshot(run_dir: Path) -> Snapshot:
    if not run_dir.is_dir():
        raise InputError(f"not a run folder: {run_dir}")
    snap_path = run_dir / SNAPSHOT_FILE
    if not snap_path.is_file():
        raise InputError(f"{run_dir}: no {SNAPSHOT_FILE} (not an iam-audit run folder)")
    return read_snapshot(snap_path)[0]


def run_findings(run_dir: Path, settings: Settings) -> tuple[Finding, ...]:
    """The findings the run reported (suppressions applied, its as-of time).

    A run written without JSON output is re-evaluated from its snapshot at collection time,
    with ``settings`` (audit.toml: thresholds, disabled rules), as today's run is.
    """
    findings_path = run_dir / FINDINGS_FILE
    if findings_path.is_file():
        return read_findings(findings_path)
    return evaluate(_run_snapshot(run_dir), settings=settings).findings


def load_run(run_dir: Path, settings: Settings) -> tuple[Snapshot, tuple[Finding, ...]]:
    """The snapshot and the findings of a run folder."""
    snapshot = _run_snapshot(run_dir)
    return snapshot, run_findings(run_dir, settings)


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


def trend_point(run: Run, settings: Settings) -> TrendPoint:
    summary = _summary_point(run)
    if summary is not None:
        return summary
    result = AuditResult(as_of=run.when, findings=run_findings(run.path, settings))
    return TrendPoint(
        when=run.when,
        label=run.path.name,
        posture=_posture(run.path, result),
        failing=result.failing_counts(),
    )


def trend(runs: Iterable[Run], settings: Settings, *, warn: Warn) -> tuple[TrendPoint, ...]:
    """One point per run, oldest first; a run folder that cannot be read is skipped."""
    points: list[TrendPoint] = []
    for run in sorted(runs, key=lambda r: r.sort_key):
        try:
            points.append(trend_point(run, settings))
        except UNREADABLE as exc:
            warn(unreadable(run.path, exc))
    return tuple(points)


def unreadable(path: Path, exc: Exception) -> str:
    """The warning for an earlier run that cannot be read (one line)."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return f"skipped {path}: cannot be read ({detail})"
