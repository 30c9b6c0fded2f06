"""The quarterly review around one run: changes since the last review and the trend.

:func:`build_review` looks up earlier runs of the account in the reports folder; the report
shows the result as the "changes since the last review" section (diff plus trend charts), and
the e-mail body quotes :func:`change_lines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audit.errors import InputError
from audit.findings import AuditResult, Severity
from audit.model import Snapshot
from audit.output import atomic_write_bytes
from audit.workflow.diff import (
    REVIEW_KIND,
    ReviewDiff,
    Side,
    diff_csv,
    diff_json,
    diff_sides,
    load_side,
)
from audit.workflow.history import Run, TrendPoint, earlier_runs, trend


@dataclass(frozen=True)
class Review:
    previous: Run  # the last earlier review of the account
    diff: ReviewDiff  # from that review to this run
    trend: tuple[TrendPoint, ...]  # every earlier run and this one, oldest first

    @property
    def current(self) -> TrendPoint:
        return self.trend[-1]


def _current_point(snapshot: Snapshot, result: AuditResult, label: str) -> TrendPoint:
    from audit.scoring import posture_score

    return TrendPoint(
        when=snapshot.meta.collected_at,
        label=label,
        posture=posture_score(result),
        failing=result.failing_counts(),
    )


def build_review(
    reports_dir: Path, snapshot: Snapshot, result: AuditResult, current: Path | None = None
) -> Review | None:
    """The review of this run against the account's earlier runs; None when there are none.

    Only runs collected before this snapshot (to the second) count as earlier, so rebuilding
    a report of the same snapshot is not compared with itself. An earlier run that cannot be
    read is passed over: a damaged old folder must not stop today's report.
    """
    stamp = snapshot.meta.collected_at.replace(microsecond=0)
    runs = [
        r for r in earlier_runs(reports_dir, snapshot.meta.account_id, current) if r.when < stamp
    ]
    label = current.name if current is not None else "this run"
    new = Side(label, snapshot, result.findings)
    for previous in reversed(runs):
        try:
            old = load_side(previous.path)
        except InputError:
            continue
        d = diff_sides(old, new)
        points = (*trend(runs), _current_point(snapshot, result, label))
        return Review(previous=previous, diff=d, trend=points)
    return None


def change_lines(review: Review, limit: int = 8) -> list[str]:
    """A few lines for the e-mail and the console: counts, then the most severe changes."""
    d = review.diff
    lines = [
        f"Since {review.previous.when:%Y-%m-%d} ({review.previous.path.name}): "
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


# --- what the report shows ------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSection:
    """The report's "changes since the last review" section: the review and its two charts."""

    review: Review
    posture_chart: str  # inline SVG
    severity_chart: str  # inline SVG

    @property
    def diff(self) -> ReviewDiff:
        return self.review.diff


def _labels(points: tuple[TrendPoint, ...]) -> list[str]:
    """Review dates as x labels; with the time too when two reviews share a day."""
    days = [p.when.strftime("%Y-%m-%d") for p in points]
    if len(set(days)) == len(days):
        return days
    return [p.when.strftime("%Y-%m-%d %H:%M:%S") for p in points]


def _posture_chart(points: tuple[TrendPoint, ...]) -> str:
    from matplotlib import pyplot as plt

    from audit.report.charts import NEUTRAL_COLOUR, _svg

    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    # One evenly spaced point per review, labelled with its date (reviews are irregular).
    labels = _labels(points)
    marked = [
        (lbl, p.posture) for lbl, p in zip(labels, points, strict=True) if p.posture is not None
    ]
    ax.plot([w for w, _ in marked], [v for _, v in marked], marker="o", color=NEUTRAL_COLOUR)
    ax.set_ylim(0, 100)
    ax.set_ylabel("posture score (%)")
    ax.set_title("Posture score per review", fontsize=10)
    fig.autofmt_xdate()
    return str(_svg(fig, "chart-trend-posture"))


def _severity_chart(points: tuple[TrendPoint, ...]) -> str:
    from matplotlib import pyplot as plt

    from audit.report.charts import SEVERITY_COLOURS, _svg

    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    labels = _labels(points)
    bottom = [0] * len(points)
    for sev in sorted(Severity, reverse=True):
        values = [p.failing.get(sev, 0) for p in points]
        ax.bar(labels, values, bottom=bottom, color=SEVERITY_COLOURS[sev.label], label=sev.label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("failing findings")
    ax.set_title("Failing findings by severity per review", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.autofmt_xdate()
    return str(_svg(fig, "chart-trend-severity"))


def review_section(review: Review) -> ReviewSection:
    from audit.report.charts import chart_style

    with chart_style():
        return ReviewSection(
            review=review,
            posture_chart=_posture_chart(review.trend),
            severity_chart=_severity_chart(review.trend),
        )
