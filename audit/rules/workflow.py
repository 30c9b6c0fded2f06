"""Rules of the review workflow: findings about the accepted-risk entries themselves.

They are registered for their metadata only (``workflow=True``): the engine never runs them;
:func:`audit.workflow.suppressions.apply_suppressions` produces their findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.findings import Result, Severity
from audit.model import Snapshot
from audit.rules.registry import Context, rule

SUPPRESSION_EXPIRED = "suppression-expired"
SUPPRESSION_STALE = "suppression-stale"


def _produced_elsewhere(snap: Snapshot, ctx: Context) -> Iterator[Result]:
    # Never called by the engine (workflow rules are skipped); yields nothing if it were.
    yield from ()


rule(
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
    workflow=True,
    beyond_benchmarks=True,
)(_produced_elsewhere)

rule(
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
    workflow=True,
    beyond_benchmarks=True,
)(_produced_elsewhere)
