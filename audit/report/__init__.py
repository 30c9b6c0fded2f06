"""Report renderers: HTML, PDF, CSV and JSON from one report view.

The CLI calls :func:`write_reports`; everything else in this package is an implementation
detail of it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.errors import InputError
from audit.findings import AuditResult
from audit.model import Snapshot
from audit.output import atomic_write_bytes

if TYPE_CHECKING:
    from audit.workflow.review import ReviewSection

FORMATS = ("html", "pdf", "csv", "json")
PAGE_SIZES = ("A4", "Letter")


@dataclass(frozen=True)
class ReportOptions:
    page_size: str = "A4"  # or "Letter"
    pdf_max_resources: int = 25  # per rule in the PDF, then "and N more, see findings.csv"
    prepared_by: str = ""
    review_period: str = ""  # e.g. "2026 Q3"; empty: "up to <as-of date>"
    # When the report was generated; None shows the as-of time, so reruns are byte-identical.
    generated_at: datetime | None = None
    key_age_limit_days: int = (
        90  # the line on the key-age chart (Thresholds.access_key_max_age_days)
    )
    # "Changes since the last review" and trend charts (audit.workflow.review); None: none.
    review: ReviewSection | None = None


def _check(formats: Collection[str], options: ReportOptions) -> None:
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(
            f"unknown report format {', '.join(unknown)} (choose from {', '.join(FORMATS)})"
        )
    if options.page_size.lower() not in {p.lower() for p in PAGE_SIZES}:
        raise InputError(
            f"unknown page size {options.page_size!r} (choose from {', '.join(PAGE_SIZES)})"
        )
    if options.pdf_max_resources < 1:
        raise InputError("pdf_max_resources must be at least 1")


def write_reports(
    snapshot: Snapshot,
    snapshot_sha256: str,
    result: AuditResult,
    out_dir: Path,
    formats: Collection[str] = FORMATS,
    options: ReportOptions = ReportOptions(),  # noqa: B008 - frozen, so a shared default is safe
) -> list[Path]:
    """Write the requested formats into ``out_dir``; return the paths written, in order.

    Each file is written atomically, so a failure part-way never destroys earlier output.
    """
    # Imported here: matplotlib and weasyprint are slow to import and only needed for a report.
    from audit.report import csv_files, json_files
    from audit.report.charts import render_charts
    from audit.report.html import render_html
    from audit.report.pdf import render_pdf
    from audit.report.view import build_view

    _check(formats, options)
    # "letter" from a case-insensitive CLI choice is the Letter size.
    canonical = {p.lower(): p for p in PAGE_SIZES}[options.page_size.lower()]
    options = replace(options, page_size=canonical)
    view = build_view(
        snapshot,
        snapshot_sha256,
        result,
        generated_at=options.generated_at,
        key_age_limit_days=options.key_age_limit_days,
    )
    charts = render_charts(view.charts) if {"html", "pdf"} & set(formats) else None
    jobs: list[tuple[str, str, Callable[[], bytes]]] = []
    if charts is not None:
        jobs += [
            ("html", "report.html", lambda: render_html(view, charts, options)),
            ("pdf", "report.pdf", lambda: render_pdf(view, charts, options)),
        ]

    # findings.csv and findings.json hold the same records: build them once.
    @cache
    def records() -> list[dict[str, Any]]:
        return [json_files.finding_json(f) for f in view.findings]

    jobs += [
        ("csv", "findings.csv", lambda: csv_files.findings_csv(records())),
        ("csv", "credentials.csv", lambda: csv_files.credentials_csv(view)),
        ("csv", "controls.csv", lambda: csv_files.controls_csv(view)),
        ("json", "findings.json", lambda: json_files.findings_json(records())),
        ("json", "summary.json", lambda: json_files.summary_json(view)),
    ]
    written = []
    for fmt, name, render in jobs:
        if fmt in formats:
            path = out_dir / name
            atomic_write_bytes(path, render())
            written.append(path)
    return written
