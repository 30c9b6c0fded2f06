"""What the `org` commands do between parsing and printing (audit/cli.py holds the options).

Nothing here imports boto3: the organization's accounts arrive as (collection, snapshot)
pairs, from a collection or from an organization folder (audit.org_folder).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from audit.errors import EXIT_FAIL_ON, InputError
from audit.findings import Severity
from audit.model import Snapshot
from audit.model_org import AccountCollection, CollectionStatus, OrgSnapshot
from audit.org_run import OrgOutcome, run_organization
from audit.pipeline import DEFAULT_REPORTS_DIR, RunOptions
from audit.settings import Settings
from audit.workflow.history import new_run_dir
from audit.workflow.org_history import org_history_name, previous_org_run
from audit.workflow.suppressions import Suppression

Say = Callable[[str], None]
_SEPARATORS = re.compile(r"[\s,]+")


def parse_ids(value: str | None, option: str) -> tuple[str, ...]:
    """``ID,ID`` or ``@FILE`` (ids separated by commas, blanks or lines)."""
    if not value:
        return ()
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{option} {value}: cannot read the file: {exc}") from None
    ids = tuple(dict.fromkeys(i for i in _SEPARATORS.split(text) if i))
    if not ids:
        raise InputError(f"{option} {value!r}: no account id")
    return ids


def org_out_dir(out: Path | None, org: OrgSnapshot) -> Path:
    """--out, or a new reports/org-<org-id>/<UTC timestamp>/ folder."""
    if out is not None:
        return out
    return new_run_dir(
        DEFAULT_REPORTS_DIR, org_history_name(org.meta.organization_id), org.meta.collected_at
    )


def account_formats(formats: Collection[str], account_pdf: bool) -> tuple[str, ...]:
    """Each account's own reports: as --format asks, but a PDF only with --account-pdf."""
    chosen = tuple(f for f in formats if f != "pdf" or account_pdf)
    return chosen or ("json",)


def status_line(collection: AccountCollection) -> str:
    name = f" ({collection.account_name})" if collection.account_name else ""
    line = f"  {collection.account_id}{name}: {collection.status.value.replace('_', ' ')}"
    if collection.status is not CollectionStatus.COLLECTED:
        line += f": {collection.reason}"
        if collection.fix:
            line += f" - fix: {collection.fix}"
    return line


def report_organization(
    org: OrgSnapshot,
    accounts: Iterable[tuple[AccountCollection, Snapshot | None]],
    out: Path | None,
    settings: Settings,
    suppressions: tuple[Suppression, ...],
    *,
    formats: Collection[str],
    options: RunOptions,
    say: Say,
    warn: Say | None = None,
    org_pdf: bool = False,
    workers: int = 1,
) -> OrgOutcome:
    """Audit every account and write the organization's reports; print one line per account.

    ``warn``: earlier runs passed over (default: ``say``).
    """
    warn = warn or say

    def announced() -> Iterable[tuple[AccountCollection, Snapshot | None]]:
        for collection, snapshot in accounts:
            say(status_line(collection))
            yield collection, snapshot

    out_dir = org_out_dir(out, org)
    # The organization's history is reports/org-<id>/ whatever --out says, as for one account.
    previous = previous_org_run(
        DEFAULT_REPORTS_DIR,
        org.meta.organization_id,
        out_dir,
        org.meta.collected_at,
        warn=lambda w: warn(f"iam-audit: warning: {w}"),
    )
    if previous is not None:
        say(f"Comparing each account with the previous organization run {previous}")
    outcome = run_organization(
        org,
        announced(),
        out_dir,
        settings,
        suppressions,
        formats=formats,
        options=options,
        org_pdf=org_pdf,
        workers=workers,
        previous=previous,
    )
    counts = {s: sum(1 for a in outcome.accounts if a.status is s) for s in CollectionStatus}
    failing = sum(a.failing_total for a in outcome.accounts)
    say(
        f"Organization {org.meta.organization_id}: {len(outcome.accounts)} account(s), "
        f"{counts[CollectionStatus.COLLECTED]} collected, {counts[CollectionStatus.PARTIAL]} "
        f"partial, {counts[CollectionStatus.NOT_COLLECTED]} not collected; "
        f"{failing} failing finding(s)"
    )
    for line in _workflow_lines(outcome):
        say(line)
    for path in outcome.written:
        say(f"  wrote {path}")
    return outcome


def _workflow_lines(outcome: OrgOutcome) -> list[str]:
    """Changes since the previous organization run; accepted risks judged for the organization."""
    lines = []
    if outcome.previous is not None:
        compared = [a for a in outcome.accounts if a.new_findings is not None]
        changed = [a for a in compared if a.new_findings or a.resolved_findings]
        lines.append(
            f"Since {outcome.previous.name}: {sum(a.new_findings or 0 for a in compared)} new, "
            f"{sum(a.resolved_findings or 0 for a in compared)} resolved failing finding(s) in "
            f"{len(compared)} account(s) compared"
        )
        lines += [
            f"  {a.account_id} ({a.account_name}): {a.new_findings} new, "
            f"{a.resolved_findings} resolved"
            for a in changed
        ]
    entries = outcome.entries.findings if outcome.entries is not None else ()
    lines += [f"  organization: [{f.severity.label}] {f.message}" for f in entries]
    return lines


def org_gate_message(outcome: OrgOutcome, fail_on: Severity) -> str:
    """Why --fail-on failed across the organization: the accounts (and entries) that tripped it."""
    tripped = [a for a in outcome.accounts if a.exit_code == EXIT_FAIL_ON]
    names = ", ".join(
        f"{a.account_id} ({a.account_name})" if a.account_name else a.account_id
        for a in tripped[:10]
    )
    more = f" and {len(tripped) - 10} more" if len(tripped) > 10 else ""
    parts = [f"failing findings in {len(tripped)} account(s): {names}{more}"] if tripped else []
    hits = outcome.entries.gate_hits(fail_on) if outcome.entries is not None else ()
    if hits:
        parts.append(f"{len(hits)} accepted-risk entry finding(s) for the organization")
    return f"--fail-on {fail_on.label}: " + "; ".join(parts)
