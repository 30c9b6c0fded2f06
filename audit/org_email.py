"""E-mail the organization's report.pdf, with a plain-text summary of the whole organization.

The step after every organization file is written (as audit.pipeline's e-mail step is for one
account): the same message builder and SMTP delivery (audit.workflow.email_report), so the same
options, the password only from the environment, and a failure is data: the caller prints it
after everything else and exits 4; the files on disk stay.
"""

from __future__ import annotations

from audit.errors import EXIT_FAIL_ON, EXIT_INCOMPLETE, EXIT_OK
from audit.model_org import CollectionStatus
from audit.org_run import OrgOutcome
from audit.org_summary import AccountSummary, failing_by_severity
from audit.workflow.email_report import DeliveryError, EmailRequest, deliver

WORST_ACCOUNTS = 5
_EXIT_MEANING = {
    EXIT_OK: "0 (done, every account collected, gate held)",
    EXIT_FAIL_ON: "1 (--fail-on reached)",
    EXIT_INCOMPLETE: "3 (an account was not fully collected: not proven clean)",
}


def _name(a: AccountSummary) -> str:
    parts = [p for p in (a.account_name, a.ou_path) if p]
    return f"{a.account_id} ({', '.join(parts)})" if parts else a.account_id


def org_subject(outcome: OrgOutcome) -> str:
    counts = failing_by_severity(outcome.accounts)
    worst = next((f"{n} {sev}" for sev, n in counts.items() if n), "no failing findings")
    return (
        f"IAM audit organization {outcome.org.meta.organization_id} "
        f"{outcome.org.meta.collected_at:%Y-%m-%d}: {sum(counts.values())} failing ({worst}), "
        f"{len(outcome.accounts)} account(s)"
    )


def org_summary_body(outcome: OrgOutcome) -> str:
    """Accounts collected/partial/not collected, failing by severity, the worst accounts, the
    gaps with their fixes, changes since the previous run, and the exit code."""
    meta = outcome.org.meta
    accounts = outcome.accounts
    status = {s: [a for a in accounts if a.status is s] for s in CollectionStatus}
    counts = failing_by_severity(accounts)
    lines = [
        f"IAM audit of AWS Organization {meta.organization_id} (management account "
        f"{meta.management_account_id}), organization read {meta.collected_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"Accounts: {len(accounts)}: {len(status[CollectionStatus.COLLECTED])} collected, "
        f"{len(status[CollectionStatus.PARTIAL])} partial, "
        f"{len(status[CollectionStatus.NOT_COLLECTED])} not collected",
        f"Failing findings across the organization: {sum(counts.values())} ("
        + ", ".join(f"{sev} {n}" for sev, n in counts.items())
        + ")",
    ]
    worst = sorted(
        (a for a in accounts if a.failing_total),
        key=lambda a: (-a.failing_total, a.account_id),
    )[:WORST_ACCOUNTS]
    if worst:
        lines += ["", "Accounts with the most failing findings:"]
        lines += [f"  {_name(a)}: {a.failing_total}" for a in worst]
    gaps = status[CollectionStatus.PARTIAL] + status[CollectionStatus.NOT_COLLECTED]
    if gaps:
        lines += ["", "Not fully collected (not proven clean):"]
        lines += [
            f"  {_name(a)}: {a.status.value.replace('_', ' ')}: {a.reason}"
            + (f" - fix: {a.fix}" if a.fix else "")
            for a in gaps
        ]
    lines += ["", "Changes since the previous organization run:"]
    compared = [a for a in accounts if a.new_findings is not None]
    if outcome.previous is None:
        lines.append("  (no earlier run of this organization)")
    else:
        new = sum(a.new_findings or 0 for a in compared)
        resolved = sum(a.resolved_findings or 0 for a in compared)
        lines.append(
            f"  {new} new, {resolved} resolved failing finding(s) in {len(compared)} "
            f"account(s) compared with {outcome.previous.name}"
        )
    entries = outcome.entries.findings if outcome.entries is not None else ()
    if entries:
        lines += ["", "Accepted risks judged for the organization:"]
        lines += [f"  [{f.severity.label}] {f.message}" for f in entries]
    lines += [
        "",
        f"Exit code: {_EXIT_MEANING.get(outcome.exit_code, str(outcome.exit_code))}",
        "",
        f"The organization report is attached (report.pdf). Every account's findings "
        f"(findings.csv, findings.json) and its own report and snapshot are in "
        f"{outcome.out_dir.resolve()}/ where they were written.",
        "-- ",
        "iam-audit (read-only AWS IAM audit)",
    ]
    return "\n".join(lines) + "\n"


def email_organization(outcome: OrgOutcome, email: EmailRequest) -> DeliveryError | None:
    """Send the organization's report.pdf; the failure, if any, as data."""
    return deliver(
        outcome.out_dir / "report.pdf",
        subject=org_subject(outcome),
        body=org_summary_body(outcome),
        email=email,
    )
