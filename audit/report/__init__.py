"""Report renderers: HTML, PDF, CSV and JSON from one report view.

The pipeline (audit.pipeline) calls :func:`write_reports`; everything else in this package is
an implementation detail of it. A new report section is one field on the report view
(audit.report.view.ReportView, built in its own ``view_<thing>.py``), one keyword argument
here, and one include line in the templates.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.errors import InputError
from audit.findings import AuditResult
from audit.findings_file import finding_json, findings_json
from audit.model import Snapshot
from audit.output import atomic_write_bytes
from audit.report import csv_files, json_files
from audit.report.options import ReportOptions
from audit.report.view import build_view
from audit.workflow.access_review import Verification
from audit.workflow.review import Review

if TYPE_CHECKING:
    from audit.report.pdf import PdfWorker

__all__ = ["FORMATS", "PAGE_SIZES", "ReportOptions", "start_pdf_worker", "write_reports"]

FORMATS = ("html", "pdf", "csv", "json")
PAGE_SIZES = ("A4", "Letter")
# Written after the other files, in this order (see write_reports).
WRITE_LAST = {"pdf": 1, "summary": 2}


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


def start_pdf_worker(formats: Collection[str]) -> PdfWorker | None:
    """The PDF's own process, started now (None when no PDF is wanted).

    It spends its first second importing weasyprint, so the sooner it starts the better:
    the pipeline starts it before judging and hands it to :func:`write_reports`.
    """
    # Lazy, for start-up speed only (see write_reports).
    from audit.report.pdf import PdfWorker

    return PdfWorker() if "pdf" in formats else None


def write_reports(
    snapshot: Snapshot,
    snapshot_sha256: str,
    result: AuditResult,
    out_dir: Path,
    formats: Collection[str] = FORMATS,
    options: ReportOptions = ReportOptions(),  # noqa: B008 - frozen, so a shared default is safe
    *,
    review: Review | None = None,
    access_review: Verification | None = None,
    summary: bool = False,
    before_summary: Callable[[list[Path]], list[Path]] | None = None,
    pdf_worker: PdfWorker | None = None,
) -> list[Path]:
    """Write the requested formats into ``out_dir``; return the paths written, in order.

    ``review``: the "changes since the last review" section (None: no earlier review).
    ``access_review``: the "Access review" section (None: no earlier access review).
    ``before_summary``: called with the files written so far, just before summary.json (and
    after every other file); it returns the files it wrote (the pipeline's manifest.json).
    summary.json is written with the json format, or whenever ``summary`` is set (a run
    folder in the history needs it), and always last: its presence marks a complete run.
    ``pdf_worker``: from :func:`start_pdf_worker` (None: started here when the PDF is wanted);
    this function uses it up and stops it.
    Each file is written atomically, so a failure part-way never destroys earlier output.
    """
    try:
        _check(formats, options)
        # The PDF is most of a report's time: its own process imports weasyprint (started
        # before matplotlib's import below) and lays the PDF out while this one draws the
        # charts and writes the other files (audit.report.pdf).
        if pdf_worker is None and "pdf" in formats:
            pdf_worker = start_pdf_worker(formats)
        # Lazy, for start-up speed only: matplotlib (the charts, which html and pdf use) takes
        # about a second to import; commands such as `rules` or `diff` import this package too.
        from audit.report.charts import render_charts
        from audit.report.html import render_html
        from audit.report.pdf import render_pdf_html

        # "letter" from a case-insensitive CLI choice is the Letter size.
        canonical = {p.lower(): p for p in PAGE_SIZES}[options.page_size.lower()]
        options = replace(options, page_size=canonical)
        view = build_view(
            snapshot,
            snapshot_sha256,
            result,
            generated_at=options.generated_at,
            key_age_limit_days=options.key_age_limit_days,
            review=review,
            access_review=access_review,
        )
        charts = render_charts(view.charts) if {"html", "pdf"} & set(formats) else None
        jobs: list[tuple[str, str, Callable[[], bytes]]] = []
        if charts is not None:
            jobs.append(("html", "report.html", lambda: render_html(view, charts, options)))
            if pdf_worker is not None and "pdf" in formats:
                pdf_worker.send(render_pdf_html(view, charts, options))
                jobs.append(("pdf", "report.pdf", pdf_worker.result))

        # findings.csv and findings.json hold the same records: build them once.
        @cache
        def records() -> list[dict[str, Any]]:
            return [finding_json(f) for f in view.findings]

        jobs += [
            ("csv", "findings.csv", lambda: csv_files.findings_csv(records())),
            ("csv", "credentials.csv", lambda: csv_files.credentials_csv(view)),
            ("csv", "roles.csv", lambda: csv_files.roles_csv(view)),
            ("csv", "controls.csv", lambda: csv_files.controls_csv(view)),
        ]
        if view.people is not None and view.people.instance_arn:  # owns Identity Center
            jobs.append(("csv", "access.csv", lambda: csv_files.access_csv(view)))
        jobs += [
            ("json", "findings.json", lambda: findings_json(records())),
            ("summary", "summary.json", lambda: json_files.summary_json(view)),
        ]
        wanted = {*formats, "summary"} if summary or "json" in formats else set(formats)
        todo = [job for job in jobs if job[0] in wanted]
        # Written: the PDF once everything else but summary.json is (its worker was busy
        # meanwhile), summary.json last. Listed: in the jobs' order.
        paths = {name: out_dir / name for _fmt, name, _render in todo}
        listed = [paths[name] for fmt, name, _render in todo if fmt != "summary"]
        written: list[Path] = []
        for fmt, name, render in sorted(todo, key=lambda job: WRITE_LAST.get(job[0], 0)):
            if fmt == "summary" and before_summary is not None:
                listed += before_summary(list(written))
            atomic_write_bytes(paths[name], render())
            written.append(paths[name])
        if before_summary is not None and "summary" not in wanted:
            listed += before_summary(list(written))
        return listed + [paths[n] for fmt, n, _r in todo if fmt == "summary"]
    finally:
        if pdf_worker is not None:
            pdf_worker.close()
