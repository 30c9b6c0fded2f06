"""One organization run: every account through the one pipeline, then the organization files.

:func:`run_organization` takes the organization snapshot and the accounts as they arrive (from
a collection, or read from an organization folder), and for each one: attaches its
organization context (so SCPs apply), runs :func:`audit.pipeline.run_audit` into
``<out>/accounts/<id>/``, streams its rows into the organization's findings.csv/json,
credentials.csv and controls.csv (audit.org_streams), and keeps only a small
:class:`AccountSummary`. Memory stays per-account.

Then it writes organization.json (accounts, OU paths, statuses, SCPs, each snapshot's SHA-256),
report.html and summary.json LAST (a folder without it is an interrupted run). The output
folder is itself an organization folder (audit.org_folder): `org report` can read it again.

Exit code, as for one account: 1 when --fail-on tripped in any account (or on an accepted-risk
entry judged for the organization), else 3 when any account was not fully collected, else 0.

The review workflow across accounts lives in audit.org_entries (accepted risks expired or stale
across the organization) and audit.workflow.org_history (the previous run of the organization,
which each account is compared with).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from audit.errors import EXIT_FAIL_ON, EXIT_INCOMPLETE, EXIT_OK
from audit.findings_file import json_default
from audit.model import Snapshot
from audit.model_org import AccountCollection, CollectionStatus, OrgSnapshot
from audit.org_context import attach_organization
from audit.org_entries import ORGANIZATION_ROW, OrgEntries
from audit.org_folder import ACCOUNTS_DIR, account_dir, write_account
from audit.org_streams import STREAMED_FILES, TRUSTS_CSV, OrgStreams, trusts_csv
from audit.org_summary import AccountSummary, failing_by_severity, status_counts
from audit.org_workers import in_workers
from audit.output import atomic_write_bytes
from audit.pipeline import RunOptions, RunOutcome, run_audit
from audit.report.org_render import render_org_html, render_org_pdf_html
from audit.report.org_view import OrgViewBuilder
from audit.report.pdf import draw_pdf, layout_pdf
from audit.scoring import score
from audit.settings import Settings
from audit.snapshot_io import ORGANIZATION_FILE_NAME, write_organization
from audit.workflow.history import SNAPSHOT_FILE
from audit.workflow.org_history import previous_account_dir
from audit.workflow.suppressions import Suppression


@dataclass(frozen=True)
class OrgOutcome:
    org: OrgSnapshot
    out_dir: Path
    accounts: tuple[AccountSummary, ...]  # ranked: not collected first, then worst posture
    rule_failing: Mapping[str, Mapping[str, int]]  # rule id -> account id -> failing count
    written: tuple[Path, ...]  # organization-level files, summary.json last
    exit_code: int
    entries: OrgEntries | None = None  # accepted risks judged across the organization
    previous: Path | None = None  # the previous organization run compared with


def _rank(a: AccountSummary) -> tuple[int, float, int, str]:
    order = {CollectionStatus.NOT_COLLECTED: 0, CollectionStatus.PARTIAL: 1}
    posture = a.posture if a.posture is not None else -1.0
    return (order.get(a.status, 2), posture, -a.failing_total, a.account_id)


def org_exit_code(accounts: Iterable[AccountSummary]) -> int:
    codes = [a.exit_code for a in accounts]
    if EXIT_FAIL_ON in codes:
        return EXIT_FAIL_ON
    if any(c != EXIT_OK for c in codes):
        return EXIT_INCOMPLETE
    return EXIT_OK


def audit_account_files(
    org: OrgSnapshot,
    out_dir: Path,
    settings: Settings,
    suppressions: Sequence[Suppression],
    formats: Collection[str],
    options: RunOptions,
    previous: Path | None,
    account: tuple[AccountCollection, Snapshot | None],
) -> RunOutcome:
    """One account through the pipeline into accounts/<id>/ (in a worker process or not).

    ``previous``: the previous organization run; the account is compared with its folder there.
    """
    collection, snapshot = account
    if snapshot is None:
        raise ValueError(f"account {collection.account_id} has no snapshot to audit")
    before = previous_account_dir(previous, collection.account_id) if previous else None
    return run_audit(
        attach_organization(snapshot, org),
        None,
        settings,
        suppressions,
        reports_dir=None,
        out_dir=account_dir(out_dir, collection.account_id),
        formats=formats,
        options=replace(
            options,
            keep_snapshot=True,
            email=None,
            judge_entries=False,  # once for the organization: see OrgEntries
            previous_run=before,
            previous_label=previous.name if previous else "",
        ),
    )


def _audit_account(
    collection: AccountCollection,
    outcome: RunOutcome,
    out_dir: Path,
    formats: Collection[str],
    streams: OrgStreams,
    report: OrgViewBuilder,
    entries: OrgEntries,
) -> AccountSummary:
    entries.add(outcome.suppressions_used)
    diff = outcome.review.diff if outcome.review is not None else None
    # The record next to the snapshot, written after the account's snapshot and reports:
    # it marks the account complete (audit.org_folder).
    write_account(out_dir, collection, None)
    account = {
        "account_id": collection.account_id,
        "account_name": collection.account_name,
        "ou_path": collection.ou_path,
    }
    scores = score(outcome.result)
    streams.add(account, outcome.snapshot, outcome.result, scores)
    report.add(collection, outcome.snapshot, outcome.result)
    counts = outcome.result.failing_counts()
    code = outcome.exit_code
    if collection.status is not CollectionStatus.COLLECTED and code == EXIT_OK:
        code = EXIT_INCOMPLETE
    relative = Path(ACCOUNTS_DIR) / collection.account_id
    return replace(
        AccountSummary.of(collection),
        failing={sev.label: n for sev, n in counts.items()},
        posture=scores.posture,
        exit_code=code,
        snapshot_file=str(relative / SNAPSHOT_FILE),
        snapshot_sha256=outcome.snapshot_sha256,
        report=str(relative / "report.html") if "html" in formats else "",
        new_findings=len(diff.new) if diff else None,
        resolved_findings=len(diff.resolved) if diff else None,
    )


def _has_snapshot(account: tuple[AccountCollection, Snapshot | None]) -> bool:
    return account[1] is not None


def run_organization(
    org: OrgSnapshot,
    accounts: Iterable[tuple[AccountCollection, Snapshot | None]],
    out_dir: Path,
    settings: Settings,
    suppressions: Sequence[Suppression],
    *,
    formats: Collection[str],
    options: RunOptions = RunOptions(),  # noqa: B008 - frozen, so a shared default is safe
    org_pdf: bool = False,
    workers: int = 1,
    previous: Path | None = None,
) -> OrgOutcome:
    """Audit each account as it arrives, then write the organization's files (see module).

    ``formats``: each account's own reports. ``org_pdf``: also the organization's report.pdf
    (cover, accounts, coverage). ``workers``: processes auditing accounts side by side
    (audit.org_workers; 1: each in this process). ``previous``: the previous run folder of the
    organization; each account in it is compared with its folder there (diff, identity changes).
    """
    entries = OrgEntries(suppressions, options.as_of or org.meta.collected_at, settings)
    summaries: list[AccountSummary] = []
    report = OrgViewBuilder(org)  # what the organization's report keeps of each account
    written: list[Path] = []
    org_sha = write_organization(org, out_dir / ORGANIZATION_FILE_NAME)
    written.append(out_dir / ORGANIZATION_FILE_NAME)
    with ExitStack() as stack:
        streams = OrgStreams(stack, out_dir)
        job = partial(
            audit_account_files, org, out_dir, settings, suppressions, formats, options, previous
        )
        for (collection, _snapshot), outcome in in_workers(accounts, job, _has_snapshot, workers):
            if outcome is None:
                write_account(out_dir, collection, None)
                report.add(collection)
                summaries.append(AccountSummary.of(collection))
                continue
            summaries.append(
                _audit_account(collection, outcome, out_dir, formats, streams, report, entries)
            )
        streams.add_findings(ORGANIZATION_ROW, entries.records())
        streams.close()
    written += [out_dir / name for name in STREAMED_FILES]
    ranked = tuple(sorted(summaries, key=_rank))
    code = entries.exit_code(org_exit_code(ranked), options.fail_on)
    view = replace(
        report.build(
            ranked,
            generated_at=options.presentation.generated_at or datetime.now(UTC),
            page_size=options.presentation.page_size,
        ),
        organization_findings=entries.findings,
        changes=_changes(ranked, previous),
    )
    files: list[tuple[str, bytes]] = [
        ("organization.json", _organization_json(org, org_sha, ranked)),
        (TRUSTS_CSV, trusts_csv(view.trusts)),
        ("report.html", render_org_html(view, options.presentation)),
    ]
    if org_pdf:
        html = render_org_pdf_html(view, options.presentation)
        files.append(("report.pdf", draw_pdf(layout_pdf(html))))
    summary = _summary_json(org, ranked, code, entries, previous)
    files.append(("summary.json", summary))  # LAST: folder complete
    for name, data in files:
        atomic_write_bytes(out_dir / name, data)
        written.append(out_dir / name)
    return OrgOutcome(
        org, out_dir, ranked, report.rule_failing, tuple(written), code, entries, previous
    )


def _dump(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, default=json_default) + "\n").encode()


def _account_record(a: AccountSummary) -> dict[str, Any]:
    return {
        "account_id": a.account_id,
        "account_name": a.account_name,
        "ou_path": a.ou_path,
        "status": a.status.value,
        "reason": a.reason,
        "fix": a.fix,
        "failing": dict(a.failing) if a.failing is not None else None,
        "posture": a.posture,
        "exit_code": a.exit_code,
        "snapshot_file": a.snapshot_file,
        "snapshot_sha256": a.snapshot_sha256,
        "report": a.report,
        "new_findings": a.new_findings,
        "resolved_findings": a.resolved_findings,
    }


def _organization_json(org: OrgSnapshot, org_sha: str, ranked: Sequence[AccountSummary]) -> bytes:
    meta = org.meta
    return _dump(
        {
            "organization_id": meta.organization_id,
            "management_account_id": meta.management_account_id,
            "feature_set": meta.feature_set,
            "collected_at": meta.collected_at,
            "source": meta.source,
            "organization_snapshot": {"file": ORGANIZATION_FILE_NAME, "sha256": org_sha},
            "ou_tree": [{"id": u.id, "name": u.name, "parent_id": u.parent_id} for u in org.units],
            "service_control_policies": [
                {"id": p.id, "name": p.name, "targets": list(p.targets)} for p in org.policies
            ],
            "accounts": [_account_record(a) for a in sorted(ranked, key=lambda a: a.account_id)],
        }
    )


def _summary_json(
    org: OrgSnapshot,
    ranked: Sequence[AccountSummary],
    code: int,
    entries: OrgEntries,
    previous: Path | None,
) -> bytes:
    return _dump(
        {
            "organization_id": org.meta.organization_id,
            "accounts": len(ranked),
            "collection": status_counts(ranked),
            "failing": failing_by_severity(ranked),
            "organization_findings": _count_rules(entries),
            "changes": _changes(ranked, previous),
            "exit_code": code,
        }
    )


def _count_rules(entries: OrgEntries) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in entries.findings:
        counts[f.rule_id] = counts.get(f.rule_id, 0) + 1
    return counts


def _changes(ranked: Sequence[AccountSummary], previous: Path | None) -> dict[str, Any] | None:
    """New/resolved findings since the previous organization run, over the accounts in both."""
    if previous is None:
        return None
    compared = [a for a in ranked if a.new_findings is not None]
    return {
        "previous_run": str(previous),
        "accounts_compared": len(compared),
        "new": sum(a.new_findings or 0 for a in compared),
        "resolved": sum(a.resolved_findings or 0 for a in compared),
    }
