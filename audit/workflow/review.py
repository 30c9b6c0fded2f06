"""The quarterly review around one run: changes since the last review and the trend.

:func:`build_review` looks up earlier runs of the account in the reports folder; the report
shows the result as the "changes since the last review" section (audit.report.view_review: diff
plus trend charts), and the e-mail body and the console quote :func:`change_lines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audit.findings import AuditResult
from audit.model import Snapshot
from audit.output import atomic_write_bytes
from audit.scoring import posture_score
from audit.settings import Settings
from audit.workflow.diff import (
    REVIEW_KIND,
    ReviewDiff,
    Side,
    diff_csv,
    diff_json,
    diff_sides,
    load_side,
)
from audit.workflow.history import (
    UNREADABLE,
    Run,
    TrendPoint,
    Warn,
    earlier_runs,
    trend,
    unreadable,
)


@dataclass(frozen=True)
class Review:
    previous: Run  # the last earlier review of the account
    diff: ReviewDiff  # from that review to this run
    trend: tuple[TrendPoint, ...]  # every earlier run and this one, oldest first
    previous_label: str = ""  # how to name the previous run; default its folder's name

    @property
    def current(self) -> TrendPoint:
        return self.trend[-1]

    @property
    def previous_name(self) -> str:
        return self.previous_label or self.previous.path.name


def _current_point(snapshot: Snapshot, result: AuditResult, label: str) -> TrendPoint:
    return TrendPoint(
        when=snapshot.meta.collected_at,
        label=label,
        posture=posture_score(result),
        failing=result.failing_counts(),
    )


def build_review(
    reports_dir: Path,
    snapshot: Snapshot,
    result: AuditResult,
    current: Path | None,
    settings: Settings,
    *,
    warn: Warn,
) -> Review | None:
    """The review of this run against the account's earlier runs; None when there are none.

    Only complete runs collected before this snapshot (to the second) count as earlier, so
    rebuilding a report of the same snapshot is not compared with itself. An earlier run that
    is incomplete or cannot be read is passed over with a warning: a damaged old folder must
    not stop today's report. ``settings`` judges earlier runs that have no findings.json.
    """
    stamp = snapshot.meta.collected_at.replace(microsecond=0)
    account = snapshot.meta.account_id
    runs = [r for r in earlier_runs(reports_dir, account, current, warn=warn) if r.when < stamp]
    label = current.name if current is not None else "this run"
    new = Side(label, snapshot, result.findings)
    for previous in reversed(runs):
        try:
            old = load_side(previous.path, settings, warn=warn)
        except UNREADABLE as exc:
            warn(unreadable(previous.path, exc))
            continue
        d = diff_sides(old, new)
        points = (*trend(runs, settings, warn=warn), _current_point(snapshot, result, label))
        return Review(previous=previous, diff=d, trend=points)
    return None


def previous_review(
    previous_dir: Path,
    snapshot: Snapshot,
    result: AuditResult,
    current: Path | None,
    settings: Settings,
    *,
    label: str,
    warn: Warn,
) -> Review | None:
    """The review of this run against one given earlier folder of the account (in an
    organization run: the previous organization run's ``accounts/<id>/``, named ``label``).

    None when that folder cannot be read (with a warning) or is not earlier than this snapshot.
    The trend then has two points: that run and this one.
    """
    try:
        old = load_side(previous_dir, settings, warn=warn)
    except UNREADABLE as exc:
        warn(unreadable(previous_dir, exc))
        return None
    if old.when.replace(microsecond=0) >= snapshot.meta.collected_at.replace(microsecond=0):
        return None
    name = current.name if current is not None else "this run"
    d = diff_sides(old, Side(name, snapshot, result.findings))
    before = AuditResult(as_of=old.when, findings=old.findings)
    points = (
        _current_point(old.snapshot, before, label),
        _current_point(snapshot, result, name),
    )
    return Review(Run(path=previous_dir, when=old.when), d, points, previous_label=label)


def change_lines(review: Review, limit: int = 8) -> list[str]:
    """A few lines for the e-mail and the console: counts, then the most severe changes."""
    d = review.diff
    lines = [
        f"Since {review.previous.when:%Y-%m-%d} ({review.previous_name}): "
        f"{len(d.new)} new, {len(d.resolved)} resolved, {len(d.persisting)} persisting "
        f"finding(s); {len(d.identity)} identity change(s).",
    ]
    first, last = review.trend[0], review.current
    if len(review.trend) > 1 and first.posture is not None and last.posture is not None:
        lines.append(
            f"Posture score {first.posture:.0f}% ({first.when:%Y-%m-%d}) -> "
            f"{last.posture:.0f}% now, over {len(review.trend)} reviews."
        )
    items = [
        f"new [{c.finding.severity.label}] {c.finding.rule_id}: {c.finding.message}" for c in d.new
    ]
    items += [f"resolved {c.finding.rule_id}: {c.finding.resource_name}" for c in d.resolved]
    items += [f"{c.kind}: {c.detail}" for c in d.identity]
    lines += items[:limit]
    if len(items) > limit:
        lines.append(f"... and {len(items) - limit} more (see diff.csv)")
    return lines


def write_diff_files(review: Review, out_dir: Path) -> list[Path]:
    """diff.json and diff.csv of the review, next to the run's reports."""
    written = []
    files = (
        ("diff.json", diff_json(review.diff, kind=REVIEW_KIND)),
        ("diff.csv", diff_csv(review.diff)),
    )
    for name, data in files:
        path = out_dir / name
        atomic_write_bytes(path, data)
        written.append(path)
    return written
