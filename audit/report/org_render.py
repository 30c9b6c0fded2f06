"""The organization's report.html and the HTML of its report.pdf, from the organization view.

The templates are org_report.html.j2 and org_report_pdf.html.j2, with the sections both share
in _org_sections.html.j2; they look like an account's report (report.css, print.css), so the
organization report and each account's own read as one product. jinja2 autoescapes every
value (audit.report.templating).
"""

from __future__ import annotations

from audit.report.options import ReportOptions
from audit.report.org_view import OrgView
from audit.report.templating import environment

ORG_TEMPLATE = "org_report.html.j2"
ORG_PDF_TEMPLATE = "org_report_pdf.html.j2"


def render_org_html(view: OrgView, options: ReportOptions) -> bytes:
    template = environment().get_template(ORG_TEMPLATE)
    return template.render(view=view, options=options).encode("utf-8")


def render_org_pdf_html(view: OrgView, options: ReportOptions) -> str:
    """The PDF's HTML (audit.report.pdf lays it out and draws it)."""
    return environment().get_template(ORG_PDF_TEMPLATE).render(view=view, options=options)
