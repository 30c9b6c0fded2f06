"""What an organization run keeps of each account, and the totals read from those summaries.

The run (audit.org_run), its report view (audit.report.org_view) and its e-mail
(audit.org_email) all count from these summaries: one place for the counting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from audit.errors import EXIT_INCOMPLETE
from audit.findings import Severity
from audit.model_org import AccountCollection, CollectionStatus

SEVERITY_LABELS = tuple(s.label for s in sorted(Severity, reverse=True))  # critical..info


@dataclass(frozen=True)
class AccountSummary:
    """What the organization report keeps of one account once its own reports are written."""

    account_id: str
    account_name: str
    ou_path: str
    status: CollectionStatus
    reason: str = ""
    fix: str = ""
    failing: Mapping[str, int] | None = None  # severity label -> failing count; None: no audit
    posture: float | None = None
    exit_code: int = EXIT_INCOMPLETE
    snapshot_file: str = ""  # relative to the output folder
    snapshot_sha256: str = ""
    report: str = ""  # accounts/<id>/report.html when written
    # Since the previous organization run (None: the account was not in it, or no such run).
    new_findings: int | None = None
    resolved_findings: int | None = None

    @classmethod
    def of(cls, collection: AccountCollection) -> AccountSummary:
        """The account as collected, before (or without) an audit."""
        return cls(
            account_id=collection.account_id,
            account_name=collection.account_name,
            ou_path=collection.ou_path,
            status=collection.status,
            reason=collection.reason,
            fix=collection.fix,
        )

    @property
    def failing_total(self) -> int:
        return sum((self.failing or {}).values())


def status_counts(accounts: Iterable[AccountSummary]) -> dict[str, int]:
    """Accounts per collection status (every status present, zeros included)."""
    statuses = [a.status for a in accounts]
    return {s.value: statuses.count(s) for s in CollectionStatus}


def failing_by_severity(accounts: Iterable[AccountSummary]) -> dict[str, int]:
    """Failing findings across the accounts, critical first (not audited accounts add none)."""
    failing = [a.failing or {} for a in accounts]
    return {sev: sum(f.get(sev, 0) for f in failing) for sev in SEVERITY_LABELS}
