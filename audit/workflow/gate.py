"""The CI gate (``--fail-on SEVERITY``) and the exit code of a finished audit.

Exit codes (audit.errors): 0 done; 1 a failing, unsuppressed finding at or above the
--fail-on severity; 2 bad input or usage; 3 collection incomplete; 4 any other failure.

When both 1 and 3 apply, 1 wins: a failing finding found in the data that *was* collected is
certain, so the gate's answer ("do not ship") does not depend on what is missing. Exit 3 means
"could not confirm the account is clean", which is only the answer when the gate held.
An e-mail that could not be delivered ends the run with 4 after the reports are written (the
gate's verdict is still printed first).
"""

from __future__ import annotations

from audit.errors import EXIT_FAIL_ON, EXIT_INCOMPLETE, EXIT_OK, InputError
from audit.findings import AuditResult, Finding, Severity
from audit.model import Snapshot


def parse_fail_on(text: str | None) -> Severity | None:
    if text is None:
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise InputError(f"--fail-on: {exc}") from None


def gate_failures(result: AuditResult, threshold: Severity) -> tuple[Finding, ...]:
    """Failing findings at or above ``threshold``; suppressed ones are not failing."""
    return tuple(f for f in result.failing if f.severity >= threshold)


def exit_code(result: AuditResult, snapshot: Snapshot, fail_on: Severity | None) -> int:
    if fail_on is not None and gate_failures(result, fail_on):
        return EXIT_FAIL_ON
    if snapshot.failed_outcomes:
        return EXIT_INCOMPLETE
    return EXIT_OK


def gate_message(result: AuditResult, fail_on: Severity) -> str:
    """One line for stderr saying why the gate failed (empty when it held)."""
    hits = gate_failures(result, fail_on)
    if not hits:
        return ""
    worst = max(f.severity for f in hits)
    return (
        f"--fail-on {fail_on.label}: {len(hits)} failing finding(s) at or above {fail_on.label} "
        f"(worst: {worst.label})"
    )
