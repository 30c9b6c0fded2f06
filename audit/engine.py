"""Evaluate rules against a snapshot: results -> findings, with isolation per rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from audit.findings import AuditResult, Finding, Resource, Result, Status
from audit.model import OutcomeStatus, Snapshot
from audit.rules import all_rules
from audit.rules.registry import Context, Rule, RuleMeta
from audit.settings import Settings


def _account(snapshot: Snapshot) -> Resource:
    acct = snapshot.meta.account_id
    return Resource("account", acct, f"arn:{snapshot.meta.partition}:iam::{acct}:root")


def _gap_reason(snapshot: Snapshot, rule: Rule) -> str | None:
    reasons = []
    chosen = []  # parts the operator chose not to collect: the message says how to get them
    for part in rule.meta.requires:
        gaps = snapshot.part_gaps(part)
        if rule.meta.regional:
            asked = [o for o in snapshot.outcomes if o.part == part and o.region]
            failed = [g for g in gaps if g.region]
            if len(failed) < len(asked):  # some regions answered: the rule judges those
                gaps = tuple(g for g in gaps if not g.region)
        for gap in gaps:
            if gap.status is OutcomeStatus.NOT_REQUESTED:
                chosen.append(gap.message or f"{gap.api} not requested")
                continue
            where = f" in {gap.region}" if gap.region else ""
            detail = f": {gap.message}" if gap.message else ""
            reasons.append(f"{gap.api}{where} {gap.status.value}{detail}")
    if reasons:
        return "not collected: " + "; ".join(reasons + chosen)
    return "; ".join(dict.fromkeys(chosen)) or None


def _to_finding(meta: RuleMeta, result: Result, settings: Settings) -> Finding:
    """``meta`` is the configured metadata (RuleMeta.configured): titles name the thresholds
    the rule judged by."""
    # Severity.INFO is 0: test for None, or a result's own INFO would read as "not given".
    own = result.severity if result.severity is not None else meta.severity
    severity = settings.severity_overrides.get(meta.id, own)
    return Finding(
        rule_id=meta.id,
        title=meta.title,
        status=result.status,
        severity=severity,
        resource_type=result.resource.type,
        resource_name=result.resource.name,
        resource_arn=result.resource.arn,
        message=result.message,
        controls=meta.controls,
        remediation=meta.remediation,
        details=result.details,
    )


def evaluate_rule(rule: Rule, snapshot: Snapshot, ctx: Context) -> list[Result]:
    """Run one rule; missing data, a crash or an empty verdict each become a result."""
    account = _account(snapshot)
    reason = _gap_reason(snapshot, rule)
    if reason is not None:
        return [Result.not_assessed(account, reason)]
    try:
        results = list(rule.check(snapshot, ctx))
    except Exception as exc:  # noqa: BLE001 - one broken rule must not stop the audit
        return [Result(Status.ERROR, account, f"rule failed: {type(exc).__name__}: {exc}")]
    if not results:
        # Nothing to judge (e.g. no console users): the control holds for the account.
        return [Result.passed(account, _nothing_to_judge(rule.meta.resource_type))]
    return results


def _nothing_to_judge(resource_type: str) -> str:
    if resource_type == "account":
        return "No applicable resources in this account."
    kind = resource_type.replace("_", " ")
    kinds = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
    return f"No applicable resources ({kinds}) in this account."


def evaluate(
    snapshot: Snapshot,
    as_of: datetime | None = None,
    settings: Settings | None = None,
    rules: Iterable[Rule] | None = None,
) -> AuditResult:
    settings = settings or Settings()
    when = as_of or snapshot.meta.collected_at
    ctx = Context(as_of=when, thresholds=settings.thresholds)
    chosen = list(rules) if rules is not None else all_rules()
    findings: list[Finding] = []
    for rule in chosen:
        if rule.meta.id in settings.disabled_rules:
            continue
        meta = rule.meta.configured(settings)
        findings.extend(_to_finding(meta, r, settings) for r in evaluate_rule(rule, snapshot, ctx))
    return AuditResult(as_of=when, findings=tuple(findings))
