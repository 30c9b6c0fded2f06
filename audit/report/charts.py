"""The report charts as inline SVG strings (matplotlib, Agg backend).

Four for every report, and two trend charts (posture score and failing findings per review)
when the report has a "changes since the last review" section.

SVG text stays text (``svg.fonttype: none``) so it is small and searchable; a fixed hash salt
and no date metadata keep the output byte-identical between runs.
"""

from __future__ import annotations

import io
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402 - the backend must be chosen first
from matplotlib.figure import Figure  # noqa: E402

from audit.report.view import ChartData  # noqa: E402
from audit.report.view_review import TrendSeries  # noqa: E402

SEVERITY_COLOURS = {
    "critical": "#7b1020",
    "high": "#c0392b",
    "medium": "#e67e22",
    "low": "#f1c40f",
    "info": "#95a5a6",
}
PASS_COLOUR = "#2e7d32"
FAIL_COLOUR = "#c0392b"
NEUTRAL_COLOUR = "#5b7083"
FIGSIZE = (4.6, 2.8)  # inches; CSS scales the SVG to the column width


@dataclass(frozen=True)
class Charts:
    severity: str
    frameworks: str
    key_age: str
    mfa: str
    trend_posture: str = ""  # empty without an earlier review
    trend_severity: str = ""


def _svg(fig: Figure, chart_id: str) -> str:
    buf = io.StringIO()
    # Same canvas for every chart (no tight bbox), so text comes out the same size in each.
    fig.tight_layout(pad=0.6)
    # Laid out now: without this, savefig draws the figure once more only to lay it out
    # again (a third of a chart's time, the same SVG).
    fig.set_layout_engine(None)
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    # Inline use: drop the XML prolog and doctype; make the clip-path/def ids unique per chart
    # so four charts in one page never share an id.
    text = text[text.index("<svg") :]
    text = re.sub(r'id="([^"]+)"', rf'id="{chart_id}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{chart_id}-\1)", text)
    text = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{chart_id}-\1"', text)
    # Let CSS size the chart: keep the viewBox, drop fixed width/height.
    return re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", text, count=1)


def _severity(data: ChartData) -> str:
    fig, ax = plt.subplots(figsize=FIGSIZE)
    labels = [label for label, _ in data.failing_by_severity]
    values = [n for _, n in data.failing_by_severity]
    bars = ax.bar(labels, values, color=[SEVERITY_COLOURS[lbl] for lbl in labels])
    ax.bar_label(bars, padding=2)
    ax.set_title("Failing findings by severity")
    ax.set_ylim(0, max([*values, 1]) * 1.2)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    return _svg(fig, "chart-severity")


def _frameworks(data: ChartData) -> str:
    rows = list(data.framework_percent)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    names = [name for name, _ in rows][::-1]
    values = [pct or 0.0 for _, pct in rows][::-1]
    ax.barh(names, [100.0] * len(names), color="#e8e8e8")
    ax.barh(names, values, color=PASS_COLOUR)
    for i, (_name, pct) in enumerate(rows[::-1]):
        ax.text(101, i, "n/a" if pct is None else f"{pct:.0f}%", va="center")
    ax.set_xlim(0, 115)
    ax.set_xticks([0, 50, 100])
    ax.set_title("Controls passed / assessed")
    return _svg(fig, "chart-frameworks")


def _key_age(data: ChartData) -> str:
    fig, ax = plt.subplots(figsize=FIGSIZE)
    labels = [label for label, _ in data.key_age_bins]
    values = [n for _, n in data.key_age_bins]
    colours = [
        FAIL_COLOUR if i >= data.key_age_limit_bin else NEUTRAL_COLOUR for i in range(len(labels))
    ]
    bars = ax.bar(range(len(labels)), values, color=colours)
    ax.bar_label(bars, padding=2)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    line = data.key_age_limit_bin - 0.5
    ax.axvline(line, color="black", linestyle="--", linewidth=1)
    top = max([*values, 1]) * 1.25
    ax.text(line - 0.08, top * 0.95, f"{data.key_age_limit_days}-day limit", fontsize=8, ha="right")
    ax.set_ylim(0, top)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("age of active access keys (days)")
    ax.set_title("Access-key age")
    return _svg(fig, "chart-key-age")


def _mfa(data: ChartData) -> str:
    with_mfa, without = data.mfa_console
    total = with_mfa + without
    fig, ax = plt.subplots(figsize=FIGSIZE)
    if total:
        ax.pie(
            [with_mfa, without],
            colors=[PASS_COLOUR, FAIL_COLOUR],
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.35, "edgecolor": "white"},
        )
        ax.text(0, 0, f"{100 * with_mfa / total:.0f}%", ha="center", va="center", fontsize=16)
    else:
        ax.text(0, 0, "no console users", ha="center", va="center")
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
        ax.axis("off")
    ax.set_aspect("equal")
    ax.set_title("MFA coverage of console users")
    ax.legend(
        [f"MFA ({with_mfa})", f"no MFA ({without})"],
        loc="center left",
        bbox_to_anchor=(0.95, 0.5),
        frameon=False,
    )
    return _svg(fig, "chart-mfa")


def chart_style() -> AbstractContextManager[None]:
    """Every chart's settings: text stays text, a fixed hash salt gives byte-identical reruns."""
    # A literal dict here, so the type checker sees rc keys it knows.
    return plt.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "iam-audit",
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def _trend_posture(series: TrendSeries) -> str:
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    # One evenly spaced point per review, labelled with its date (reviews are irregular).
    marked = [
        (label, v) for label, v in zip(series.labels, series.posture, strict=True) if v is not None
    ]
    ax.plot([w for w, _ in marked], [v for _, v in marked], marker="o", color=NEUTRAL_COLOUR)
    ax.set_ylim(0, 100)
    ax.set_ylabel("posture score (%)")
    ax.set_title("Posture score per review", fontsize=10)
    fig.autofmt_xdate()
    return _svg(fig, "chart-trend-posture")


def _trend_severity(series: TrendSeries) -> str:
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    labels = list(series.labels)
    bottom = [0] * len(labels)
    for label, values in series.failing:
        ax.bar(labels, values, bottom=bottom, color=SEVERITY_COLOURS[label], label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("failing findings")
    ax.set_title("Failing findings by severity per review", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.autofmt_xdate()
    return _svg(fig, "chart-trend-severity")


def trend_charts(series: TrendSeries) -> tuple[str, str]:
    """The two trend charts (posture score, failing findings by severity) as inline SVG."""
    with chart_style():
        return _trend_posture(series), _trend_severity(series)


def render_charts(data: ChartData) -> Charts:
    trend = trend_charts(data.trend) if data.trend is not None else ("", "")
    with chart_style():
        return Charts(
            severity=_severity(data),
            frameworks=_frameworks(data),
            key_age=_key_age(data),
            mfa=_mfa(data),
            trend_posture=trend[0],
            trend_severity=trend[1],
        )
