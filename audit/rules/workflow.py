"""Metadata of the review workflow's findings: about the accepted-risk entries themselves,
and about access-review decisions not carried out.

These are not rules a snapshot is judged by (they are not registered, and the engine never
sees them): :func:`audit.workflow.suppressions.apply_suppressions` and
:func:`audit.workflow.access_review.verify_decisions` produce their findings
and take their title, severity, rationale and remediation from here.
"""

from __future__ import annotations

from audit.findings import Severity
from audit.rules.registry import RuleMeta

SUPPRESSION_EXPIRED = "suppression-expired"
SUPPRESSION_STALE = "suppression-stale"
ACCESS_REVIEW_REVOCATION_PENDING = "access-review-revocation-pending"

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
    ACCESS_REVIEW_REVOCATION_PENDING: RuleMeta(
        id=ACCESS_REVIEW_REVOCATION_PENDING,
        title="Access revoked in the access review is removed",
        severity=Severity.HIGH,
        controls=(),
        rationale=(
            "An access review only proves control when its decisions are carried out: access a "
            "reviewer decided to revoke that still exists at the next run is access nobody "
            "approves (SOC 2 CC6.2/CC6.3, ISO 27001 A.5.18)."
        ),
        remediation=(
            "Remove the access (delete the key, the login profile, the group membership or the "
            "policy; narrow the role's trust policy), or record a new decision in the next review."
        ),
        requires=(),
        resource_type="access item",
    ),
}
