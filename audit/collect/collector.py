"""collect_snapshot: run every collector once and assemble the snapshot.

The number of calls does not depend on the number of users: a fixed set of paginated APIs
(plus one ListAnalyzers per region) covers the whole account.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from audit import __version__
from audit.collect import (
    access_analyzer,
    account,
    authorization,
    credential_report_api,
    identity_center,
    last_accessed,
)
from audit.collect.options import CollectOptions
from audit.collect.progress import progress
from audit.collect.session import Clients, caller_identity, open_clients
from audit.model import ApiOutcome, Role, Snapshot, SnapshotMeta, User
from audit.model_unused import PrincipalAccess, UnusedAccess

if TYPE_CHECKING:
    import boto3

IDENTITY_ACTIONS = ("sts:GetCallerIdentity",)
# Every action collection may call, by collector: the source of the least-privilege policy.
DECLARED_ACTIONS: dict[str, tuple[str, ...]] = {
    "identity": IDENTITY_ACTIONS,
    "authorization": authorization.ACTIONS,
    "credential_report": credential_report_api.ACTIONS,
    "account": account.ACTIONS,
    "access_analyzer": access_analyzer.ACTIONS,
    "identity_center": identity_center.ACTIONS,
    "last_accessed": last_accessed.ACTIONS,
}


def _last_accessed(
    clients: Clients, users: tuple[User, ...], roles: tuple[Role, ...]
) -> tuple[tuple[PrincipalAccess, ...], tuple[ApiOutcome, ...]]:
    """Opt-in, per principal: say what it will cost before it starts."""
    options = clients.options
    if not options.last_accessed:
        return (), last_accessed.not_requested()
    principals = last_accessed.principals_of(users, roles)
    if not options.quiet:
        print(f"Service last accessed: {last_accessed.cost_line(len(principals))}", file=sys.stderr)
    return last_accessed.collect(
        clients.iam(),
        principals,
        budget_seconds=options.last_accessed_budget_seconds,
        workers=options.last_accessed_workers,
    )


def collect_snapshot(
    options: CollectOptions, session: boto3.session.Session | None = None
) -> Snapshot:
    """Collect the whole account. Raises CollectionError only when nothing can be collected."""
    clients = open_clients(options, session)
    identity = caller_identity(clients)
    collected_at = datetime.now(UTC)
    outcomes: list[ApiOutcome] = []
    fields: dict[str, Any] = {}
    steps = 2 + len(account.CALLS) + 4
    with progress(steps, quiet=options.quiet) as announce:
        announce("users, groups, roles and policies")
        details, outcome = authorization.collect(clients)
        outcomes.append(outcome)
        outcomes.extend(authorization.unreadable_policies(details, outcome.api))
        fields.update(
            users=details.users,
            groups=details.groups,
            roles=details.roles,
            policies=details.policies,
        )

        announce("the credential report")
        report, report_outcomes = credential_report_api.fetch_report(clients)
        outcomes.extend(report_outcomes)
        fields["credential_report"] = report.rows

        for call in account.CALLS:
            announce(call.action.split(":", 1)[1])
            got, outcome = account.collect_one(clients, call)
            outcomes.append(outcome)
            fields.update(got)

        announce("IAM Access Analyzer")
        analyzers, analyzer_outcomes = access_analyzer.collect(clients)
        outcomes.extend(analyzer_outcomes)
        fields["access_analyzers"] = analyzers

        announce("IAM Identity Center")
        center, center_outcomes = identity_center.collect(
            clients, identity.account_id, options.sso_accounts
        )
        outcomes.extend(center_outcomes)
        fields["identity_center"] = center

        announce("unused-access analyzer findings")
        unused_arns, unused_findings, unused_outcomes = access_analyzer.collect_unused_findings(
            clients, analyzers, analyzer_outcomes
        )
        outcomes.extend(unused_outcomes)

        announce("service last accessed")
        accessed, accessed_outcomes = _last_accessed(clients, details.users, details.roles)
        outcomes.extend(accessed_outcomes)
        fields["unused_access"] = UnusedAccess(
            last_accessed=accessed, analyzers=unused_arns, findings=unused_findings
        )

    regions = tuple(sorted({o.region for o in analyzer_outcomes if o.region}))
    meta = SnapshotMeta(
        account_id=identity.account_id,
        partition=identity.partition,
        collected_at=collected_at,
        tool_version=__version__,
        caller_arn=identity.arn,
        credential_report_generated_at=report.generated_at,
        regions=regions,
        source=clients.endpoint_url or "aws",
    )
    return Snapshot(meta=meta, outcomes=tuple(outcomes), **fields)
