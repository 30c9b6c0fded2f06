"""report.html: one self-contained file (inline CSS, SVG and JS; nothing from the network)."""

from __future__ import annotations

from audit.report.charts import Charts
from audit.report.options import ReportOptions
from audit.report.templating import chart_markup, environment
from audit.report.view import ReportView


def render_html(view: ReportView, charts: Charts, options: ReportOptions) -> bytes:
    template = environment().get_template("report.html.j2")
    text = template.render(
        view=view, charts=chart_markup(charts), options=options, limit=None, pdf=False
    )
    return text.encode("utf-8")
