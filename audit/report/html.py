"""report.html: one self-contained file (inline CSS, SVG and JS; nothing from the network)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from audit.report.charts import Charts
from audit.report.templating import environment
from audit.report.view import ReportView

if TYPE_CHECKING:
    from audit.report import ReportOptions


def chart_markup(charts: Charts) -> dict[str, Markup]:
    # The SVG is matplotlib's output from our own series; matplotlib escapes its text.
    return {
        "severity": Markup(charts.severity),  # noqa: S704
        "frameworks": Markup(charts.frameworks),  # noqa: S704
        "key_age": Markup(charts.key_age),  # noqa: S704
        "mfa": Markup(charts.mfa),  # noqa: S704
    }


def render_html(view: ReportView, charts: Charts, options: ReportOptions) -> bytes:
    template = environment().get_template("report.html.j2")
    text = template.render(
        view=view, charts=chart_markup(charts), options=options, limit=None, pdf=False
    )
    return text.encode("utf-8")
