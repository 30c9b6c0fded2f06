"""report.html: one self-contained file (inline CSS, SVG and JS; nothing from the network)."""

from __future__ import annotations

from markupsafe import Markup

from audit.report.charts import Charts
from audit.report.options import ReportOptions
from audit.report.templating import environment
from audit.report.view import ReportView


def chart_markup(charts: Charts) -> dict[str, Markup]:
    # The SVG is matplotlib's output from our own series; matplotlib escapes its text.
    return {
        "severity": Markup(charts.severity),  # noqa: S704
        "frameworks": Markup(charts.frameworks),  # noqa: S704
        "key_age": Markup(charts.key_age),  # noqa: S704
        "mfa": Markup(charts.mfa),  # noqa: S704
        "trend_posture": Markup(charts.trend_posture),  # noqa: S704
        "trend_severity": Markup(charts.trend_severity),  # noqa: S704
    }


def render_html(view: ReportView, charts: Charts, options: ReportOptions) -> bytes:
    template = environment().get_template("report.html.j2")
    text = template.render(
        view=view, charts=chart_markup(charts), options=options, limit=None, pdf=False
    )
    return text.encode("utf-8")
