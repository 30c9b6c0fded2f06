"""report.pdf: weasyprint renders the shared templates with print CSS.

The PDF summarises: each rule lists at most ``pdf_max_resources`` resources and points to
findings.csv for the rest, so a 10,000-user account stays a few dozen pages.
"""

from __future__ import annotations

import logging
from typing import Any

from audit.report.charts import Charts
from audit.report.html import chart_markup
from audit.report.options import ReportOptions
from audit.report.templating import environment, templates_dir
from audit.report.view import ReportView


def render_pdf_html(view: ReportView, charts: Charts, options: ReportOptions) -> str:
    template = environment().get_template("report_pdf.html.j2")
    return template.render(
        view=view,
        charts=chart_markup(charts),
        options=options,
        limit=options.pdf_max_resources,
        pdf=True,
    )


def offline_fetcher() -> Any:
    """The document references nothing outside itself; should a value ever slip through as a
    URL, weasyprint must not fetch it (no file:, no http:), so only data: URIs are allowed."""
    # Lazy: weasyprint takes about a second to import, and only a PDF needs it.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def render_pdf(view: ReportView, charts: Charts, options: ReportOptions) -> bytes:
    import weasyprint  # lazy, as above

    # weasyprint logs every CSS property it ignores at WARNING; that is noise for users.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = weasyprint.HTML(
        string=render_pdf_html(view, charts, options),
        base_url=str(templates_dir()),
        url_fetcher=offline_fetcher(),
    )
    data = html.write_pdf()
    if not isinstance(data, bytes):  # pragma: no cover - write_pdf() without target returns bytes
        raise TypeError("weasyprint returned no PDF bytes")
    return data
