"""The report's "changes since the last review" section, as the templates show it.

Built from the workflow's :class:`~audit.workflow.review.Review`; the trend series feed the two
trend charts (audit.report.charts), drawn with the report's other charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.findings import Severity
from audit.workflow.diff import ReviewDiff
from audit.workflow.history import TrendPoint
from audit.workflow.review import Review


@dataclass(frozen=True)
class TrendSeries:
    """One entry per review, oldest first (every earlier run and this one)."""

    labels: tuple[str, ...]  # review dates; with the time when two reviews share a day
    posture: tuple[float | None, ...]  # 0-100; None when the run judged nothing
    failing: tuple[tuple[str, tuple[int, ...]], ...]  # severity label (critical..info), counts


@dataclass(frozen=True)
class ReviewView:
    previous_name: str  # the earlier run's folder name
    diff: ReviewDiff  # from that review to this run
    trend: TrendSeries


def _labels(points: Sequence[TrendPoint]) -> tuple[str, ...]:
    """Review dates as x labels; with the time too when two reviews share a day."""
    days = [p.when.strftime("%Y-%m-%d") for p in points]
    if len(set(days)) == len(days):
        return tuple(days)
    return tuple(p.when.strftime("%Y-%m-%d %H:%M:%S") for p in points)


def trend_series(points: Sequence[TrendPoint]) -> TrendSeries:
    return TrendSeries(
        labels=_labels(points),
        posture=tuple(p.posture for p in points),
        failing=tuple(
            (sev.label, tuple(p.failing.get(sev, 0) for p in points))
            for sev in sorted(Severity, reverse=True)
        ),
    )


def review_view(review: Review) -> ReviewView:
    return ReviewView(
        previous_name=review.previous_name,
        diff=review.diff,
        trend=trend_series(review.trend),
    )
