"""Metadata of the review workflow's findings: about the accepted-risk entries themselves.

These are not rules a snapshot is judged by (they are not registered, and the engine never
sees them): :func:`audit.workflow.suppressions.apply_suppressions` produces their findings
and takes their title, severity, rationale and remediation from here.
"""

from __future__ import annotations

from audit.findings import Severity
from audit.rules.registry import RuleMeta

SUPPRESSION_EXPIRED = "suppression-expired"
SUPPRESSION_STALE = "suppression-stale"

WORKFLOW_RULES: dict[str, RuleMeta] = {
    SUPPRESSION_EXPIRED: RuleMeta(
        id=SUPPRESSION_EXPIRED,
        title="Accepted risks are renewed or fixed before they expire",
        severity=Severity.LOW,
        controls=(),
        rationale=(
            "An accepted risk is accepted for a stated time; once it has expired nobody has "
            "re-approved it, so the finding it covered counts as failing again."
        ),
        remediation=(
            "Fix the finding, or have the owner re-approve the risk: set a new 'expires' date "
            "(and ticket) on the [[suppressions]] entry in audit.toml or the --suppressions file."
        ),
        requires=(),
        resource_type="suppression",
    ),
    SUPPRESSION_STALE: RuleMeta(
        id=SUPPRESSION_STALE,
        title="Every accepted risk still matches a failing finding",
        severity=Severity.INFO,
        controls=(),
        rationale=(
            "An entry that matches nothing (the resource is gone or now passes, or the entry is "
            "mistyped) is clutter that could silently hide a future finding on that name."
        ),
        remediation=(
            "Remove the [[suppressions]] entry from audit.toml or the --suppressions file, or "
            "correct its rule id or resource pattern."
        ),
        requires=(),
        resource_type="suppression",
    ),
}
