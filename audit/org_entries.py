"""Accepted risks judged once for an organization run, across all its accounts.

An entry without an ``account`` key (or with a broad one) is meant for many accounts and will
match a failing finding in only some of them: judged per account, it would be "stale" in every
other one. So each account's run only suppresses (audit.pipeline, ``judge_entries=False``) and
reports the entries it used; here, after the last account, an entry is stale when it suppressed
nothing in any account, and expired when past its date on the organization's as-of date. Each
gives ONE finding for the organization (empty account columns in findings.csv/json, its own
section in report.html), and ``--fail-on`` counts them as a single-account run does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from audit.errors import EXIT_FAIL_ON
from audit.findings import AuditResult, Finding, Severity
from audit.findings_file import finding_json
from audit.settings import Settings
from audit.workflow.gate import gate_failures
from audit.workflow.suppressions import Suppression, entry_findings

# The account columns of a finding about the organization itself.
ORGANIZATION_ROW = {"account_id": "", "account_name": "", "ou_path": ""}


class OrgEntries:
    """The entries of the run and those that suppressed a finding in some account so far."""

    def __init__(
        self, suppressions: Sequence[Suppression], as_of: datetime, settings: Settings
    ) -> None:
        self.suppressions = tuple(suppressions)
        self.as_of = as_of
        self._settings = settings
        self._used: set[Suppression] = set()

    def add(self, used: Collection[Suppression]) -> None:
        """The entries one account's run used."""
        self._used.update(used)

    @property
    def used(self) -> frozenset[Suppression]:
        return frozenset(self._used)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """suppression-expired / suppression-stale for the organization (once every account ran)."""
        return entry_findings(self.suppressions, self._used, self.as_of, self._settings)

    def records(self) -> Iterator[dict[str, Any]]:
        return (finding_json(f) for f in self.findings)

    def gate_hits(self, fail_on: Severity | None) -> tuple[Finding, ...]:
        if fail_on is None:
            return ()
        return gate_failures(AuditResult(as_of=self.as_of, findings=self.findings), fail_on)

    def exit_code(self, accounts_code: int, fail_on: Severity | None) -> int:
        """The accounts' exit code, or 1 when an organization finding trips --fail-on."""
        return EXIT_FAIL_ON if self.gate_hits(fail_on) else accounts_code
