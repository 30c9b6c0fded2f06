"""One audit run, start to finish: the sequence every command that reports goes through.

:func:`run_audit` takes a collected snapshot and does, in this order:

1. the output folder: the one given, or a new ``<reports_dir>/<account>/<UTC time>/`` run folder
   in the history (never an existing one), and the snapshot kept there as evidence;
2. judge: evaluate the rules (audit.toml settings), then apply the accepted risks;
3. review: compare with the last complete earlier run of the account (diff + trend); earlier
   folders that are incomplete or unreadable are passed over with a warning;
4. write: diff.json/diff.csv, then the reports, then summary.json LAST - a run folder without
   summary.json is an interrupted run, and later reviews ignore it;
5. gate (``--fail-on``) and e-mail (the PDF), then the exit code: 4 when the e-mail failed,
   else 1 when the gate failed, else 3 when collection was incomplete, else 0.

Nothing here prints: the outcome (:class:`RunOutcome`) carries what the caller shows - the
command line prints it, an organization run calls :func:`run_audit` once per account and
collects the outcomes. Failures of the e-mail step are data too (``email_error``), so every
report is on disk and every line printed before the run ends with exit 4.

Adding a step: a function that takes what it needs and returns data, called at its place in
:func:`run_audit`; what it finds goes in a new :class:`RunOutcome` field (with a default). A step
that adds findings runs in "judge", after the suppressions; a new report section is a keyword
of :func:`audit.report.write_reports` (one field on the report view); a file it writes goes
before summary.json.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.engine import evaluate
from audit.errors import EXIT_FAILURE, InputError
from audit.findings import AuditResult, Severity
from audit.manifest import manifest_document, run_fingerprint, write_manifest
from audit.model import Snapshot
from audit.report import FORMATS, ReportOptions, start_pdf_worker, write_reports
from audit.settings import Settings
from audit.snapshot_io import write_snapshot
from audit.workflow.access_items import access_items
from audit.workflow.access_review import Verification, latest_decisions, verify_decisions
from audit.workflow.email_report import (
    DeliveryError,
    EmailRequest,
    deliver,
    subject_line,
    summary_body,
)
from audit.workflow.gate import exit_code, gate_message
from audit.workflow.history import SNAPSHOT_FILE, new_run_dir
from audit.workflow.review import (
    Review,
    build_review,
    change_lines,
    previous_review,
    write_diff_files,
)
from audit.workflow.suppressions import AccountScope, Suppression, entry_findings, suppress

DEFAULT_REPORTS_DIR = Path("reports")


@dataclass(frozen=True)
class RunOptions:
    """How to run: everything but the snapshot, the settings and where the files go."""

    as_of: datetime | None = None  # judge as of this time (default: the collection time)
    presentation: ReportOptions = field(default_factory=ReportOptions)  # page size, sign-off...
    keep_snapshot: bool = True  # write snapshot.json.gz (always, in a history run folder)
    fail_on: Severity | None = None  # the CI gate
    email: EmailRequest | None = None  # e-mail the PDF after every file is written
    # False in an organization run: an accepted-risk entry is expired or stale across the whole
    # organization, not in each account it matches nothing in (audit.org_entries judges it).
    judge_entries: bool = True
    # The account's folder in the previous run to compare with, when there is no reports/
    # history to look it up in (an organization run: the previous run's accounts/<id>/).
    previous_run: Path | None = None
    previous_label: str = ""  # how the review names it (the previous organization run)


@dataclass(frozen=True)
class RunOutcome:
    """What one run did and found; the caller prints it and exits with ``exit_code``."""

    snapshot: Snapshot
    snapshot_sha256: str
    result: AuditResult  # findings with the accepted risks applied
    out_dir: Path
    written: tuple[Path, ...]  # in the order written; summary.json (when written) last
    review: Review | None  # against the last earlier run; None when there is none
    changes: tuple[str, ...]  # the review in a few lines (console, e-mail); empty without one
    gate_message: str  # why --fail-on failed; empty when it held or was not asked for
    emailed_to: tuple[str, ...]  # recipients the PDF went to
    email_error: DeliveryError | None  # the e-mail failed (the files stay on disk)
    warnings: tuple[str, ...]  # earlier runs passed over, one line each
    exit_code: int
    # The last access review's decisions, verified in this run (None: no earlier review).
    access_review: Verification | None = None
    manifest_sha256: str = ""  # of manifest.json, what the e-mail names
    suppressions_used: frozenset[Suppression] = frozenset()  # entries that suppressed something


def check_request(formats: Collection[str], options: RunOptions) -> None:
    """Refuse what cannot work before anything is collected or written (exit 2)."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise InputError(
            f"unknown report format {', '.join(unknown) or '(none)'} "
            f"(choose from {', '.join(FORMATS)})"
        )
    if options.email is not None and "pdf" not in formats:
        raise InputError("--email-to sends the PDF: add pdf to --format")


def judge(
    snapshot: Snapshot,
    settings: Settings,
    suppressions: Sequence[Suppression],
    as_of: datetime | None,
    *,
    judge_entries: bool = True,
) -> tuple[AuditResult, frozenset[Suppression]]:
    """The findings of the run: rules (with audit.toml's settings), then the accepted risks
    meant for this account; and the entries that suppressed something.

    ``judge_entries``: also add the expired/stale findings of those entries (False when an
    organization run judges them once for all its accounts).
    """
    result = evaluate(snapshot, as_of=as_of, settings=settings)
    scope = AccountScope.of(snapshot)
    mine = tuple(s for s in suppressions if s.applies_to(scope))
    done = suppress(result, mine, result.as_of, scope)
    if not judge_entries:
        return done.result, done.used
    extra = entry_findings(mine, done.used, result.as_of, settings)
    return replace(done.result, findings=done.result.findings + extra), done.used


def _email(
    outcome_dir: Path,
    snapshot: Snapshot,
    result: AuditResult,
    changes: Sequence[str],
    email: EmailRequest,
    manifest_sha256: str,
) -> DeliveryError | None:
    pdf = outcome_dir / "report.pdf"
    return deliver(
        pdf,
        subject=subject_line(snapshot, result),
        body=summary_body(
            snapshot, result, changes, attachment=pdf, manifest_sha256=manifest_sha256
        ),
        email=email,
    )


def check_access_review(
    reports_dir: Path,
    snapshot: Snapshot,
    result: AuditResult,
    out_dir: Path,
    settings: Settings,
    *,
    warn: Callable[[str], None],
) -> tuple[AuditResult, Verification | None]:
    """The last access review's decisions verified against this snapshot (issue 12).

    A workflow step like the accepted risks: the decisions come from the history (the last
    earlier run with review/decisions.json) and reach the findings as data; no rule reads files.
    """
    source = latest_decisions(
        reports_dir, snapshot.meta.account_id, out_dir, snapshot.meta.collected_at, warn=warn
    )
    if source is None:
        return result, None
    return verify_decisions(result, access_items(snapshot, result.findings), source, settings)


def manifest_options(
    formats: Collection[str],
    options: RunOptions,
    settings: Settings,
    suppressions: Sequence[Suppression],
) -> dict[str, Any]:
    """The options and settings of the run, for the manifest (no secret: none is held here)."""
    p = options.presentation
    email = options.email
    return {
        "formats": sorted(formats),
        "as_of": options.as_of.isoformat() if options.as_of else None,
        "page_size": p.page_size,
        "pdf_max_resources": p.pdf_max_resources,
        "prepared_by": p.prepared_by,
        "review_period": p.review_period,
        "fail_on": options.fail_on.label if options.fail_on is not None else None,
        "email_to": list(email.to) if email else [],
        "smtp": (
            {
                "host": email.smtp.host,
                "port": email.smtp.port,
                "starttls": email.smtp.starttls,
                "user": email.smtp.user,
            }
            if email
            else None
        ),
        "settings": {
            "thresholds": asdict(settings.thresholds),
            "severity_overrides": {
                k: v.label for k, v in sorted(settings.severity_overrides.items())
            },
            "disabled_rules": sorted(settings.disabled_rules),
        },
        "suppressions": [
            {
                "rule": s.rule,
                "resource": s.resource,
                **({"account": s.account} if s.account else {}),
                **s.record(),
                "source": s.source,
            }
            for s in suppressions
        ],
    }


def run_audit(
    snapshot: Snapshot,
    snapshot_sha256: str | None,
    settings: Settings,
    suppressions: Sequence[Suppression],
    *,
    reports_dir: Path | None,
    out_dir: Path | None,
    formats: Collection[str],
    options: RunOptions = RunOptions(),  # noqa: B008 - frozen, so a shared default is safe
) -> RunOutcome:
    """Judge ``snapshot``, compare it with the history, write the reports, gate and e-mail.

    ``snapshot_sha256``: the hash of the snapshot file it was read from (None: the snapshot
    is written here and that file's hash is used). ``reports_dir``: the history of earlier
    runs (``reports/``); None means no history (no review, no diff). ``out_dir``: where the
    files go; None makes a new run folder under ``reports_dir`` (which then must be given).
    """
    check_request(formats, options)
    # The PDF's process first: it imports weasyprint while this one judges and reviews
    # (the PDF is on the critical path of a run, see README "Report speed").
    pdf_worker = start_pdf_worker(formats)
    try:
        in_history = out_dir is None
        if out_dir is None:
            if reports_dir is None:
                raise InputError("no output folder: give out_dir or reports_dir")
            out_dir = new_run_dir(reports_dir, snapshot.meta.account_id, snapshot.meta.collected_at)
        written: list[Path] = []
        if options.keep_snapshot or in_history:
            # A run in the reports/ history keeps its evidence, so a later review can compare.
            snap_path = out_dir / SNAPSHOT_FILE
            digest = write_snapshot(snapshot, snap_path)
            snapshot_sha256 = snapshot_sha256 or digest
            written.append(snap_path)
        if snapshot_sha256 is None:
            raise InputError("no snapshot hash: give snapshot_sha256 or keep the snapshot")

        result, used = judge(
            snapshot, settings, suppressions, options.as_of, judge_entries=options.judge_entries
        )

        warnings: dict[str, None] = {}  # ordered, without repeats
        verification = None
        if reports_dir is not None:
            result, verification = check_access_review(
                reports_dir,
                snapshot,
                result,
                out_dir,
                settings,
                warn=lambda w: warnings.setdefault(w),
            )
        review = None
        if reports_dir is not None:
            review = build_review(
                reports_dir,
                snapshot,
                result,
                out_dir,
                settings,
                warn=lambda w: warnings.setdefault(w),
            )
        elif options.previous_run is not None:
            review = previous_review(
                options.previous_run,
                snapshot,
                result,
                out_dir,
                settings,
                label=options.previous_label,
                warn=lambda w: warnings.setdefault(w),
            )

        if review is not None:
            written += write_diff_files(review, out_dir)
        recorded = manifest_options(formats, options, settings, suppressions)
        presentation = replace(
            options.presentation,
            key_age_limit_days=settings.thresholds.access_key_max_age_days,
            fingerprint=run_fingerprint(snapshot_sha256, recorded),
        )
        manifest_sha = ""

        def seal(reports: list[Path]) -> list[Path]:
            # Last but one: every file written so far, then summary.json marks the run complete.
            nonlocal manifest_sha
            doc = manifest_document(snapshot, snapshot_sha256, recorded, out_dir, written + reports)
            path, manifest_sha = write_manifest(doc, out_dir)
            return [path]

        written += write_reports(
            snapshot,
            snapshot_sha256,
            result,
            out_dir,
            formats,
            presentation,
            review=review,
            access_review=verification,
            summary=in_history,  # last: it marks the run folder complete
            before_summary=seal,
            pdf_worker=pdf_worker,
        )

        changes = tuple(change_lines(review)) if review is not None else ()
        gate = gate_message(result, options.fail_on) if options.fail_on is not None else ""
        email_error = None
        if options.email is not None:
            email_error = _email(out_dir, snapshot, result, changes, options.email, manifest_sha)
        return RunOutcome(
            snapshot=snapshot,
            snapshot_sha256=snapshot_sha256,
            result=result,
            out_dir=out_dir,
            written=tuple(written),
            review=review,
            changes=changes,
            gate_message=gate,
            emailed_to=options.email.to if options.email is not None and not email_error else (),
            email_error=email_error,
            warnings=tuple(warnings),
            # An e-mail that did not go out wins over the gate and an incomplete collection:
            # the review did not reach its readers (audit.workflow.gate explains 1 over 3).
            exit_code=EXIT_FAILURE if email_error else exit_code(result, snapshot, options.fail_on),
            access_review=verification,
            manifest_sha256=manifest_sha,
            suppressions_used=used,
        )
    finally:
        if pdf_worker is not None:  # used up by write_reports, unless the run failed first
            pdf_worker.close()
