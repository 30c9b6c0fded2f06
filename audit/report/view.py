"""The report view: everything the renderers show, computed once from snapshot + findings.

Renderers (HTML, PDF, CSV, JSON, charts) only format what is here; they never re-derive counts,
orderings or scores, so every output of one run tells the same story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from audit.findings import AuditResult, Finding, Severity, Status
from audit.model import ALL_PARTS, ApiOutcome, CredentialRow, OutcomeStatus, Snapshot, User
from audit.report.view_access_review import AccessReviewView, access_review_view
from audit.report.view_escalation import EscalatedAdmin, escalated_admins
from audit.report.view_people import PeopleSection, people_section
from audit.report.view_review import ReviewView, TrendSeries, review_view
from audit.report.view_unused import UnusedAccessView, build_unused_view
from audit.rules import all_rules
from audit.rules.registry import REGISTRY, RuleMeta
from audit.rules.workflow import SUPPRESSION_EXPIRED, SUPPRESSION_STALE, WORKFLOW_RULES
from audit.scoring import ControlScore, FrameworkScore, Scores, UserRisk, score
from audit.workflow.access_review import Verification
from audit.workflow.review import Review

EFFECTIVE_ADMIN_RULE = "user-effective-admin"
# Findings about the accepted-risk entries themselves (audit.rules.workflow).
SUPPRESSION_RULES = (SUPPRESSION_EXPIRED, SUPPRESSION_STALE)
TOP_RISKS = 5  # sentences in the executive summary
TOP_USERS = 10  # users ranked by risk in the summary


@dataclass(frozen=True)
class RuleSection:
    """One rule's verdict: its metadata and the findings worth reading (failures first)."""

    rule_id: str
    title: str
    severity: Severity  # the worst failing severity, else the rule's default
    controls: tuple[str, ...]
    rationale: str
    remediation: str
    passed: int
    failed: int
    not_assessed: int
    errors: int
    suppressed: int
    failing: tuple[Finding, ...]  # most severe first, then by resource name
    unjudged: tuple[Finding, ...]  # not_assessed and error results, with their reasons

    @property
    def status(self) -> str:
        if self.failed:
            return "fail"
        if self.errors:
            return "error"
        if self.not_assessed:
            return "not_assessed"
        return "pass"


@dataclass(frozen=True)
class KeyCell:
    slot: int
    active: bool
    age_days: int | None  # since creation or last rotation
    last_used: datetime | None


# The credential-report columns behind each cell of the users table: a cell whose columns could
# not be read says so (UserRow.unread) instead of showing the None/False put in their place.
_CELL_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "console": ("password_enabled",),
    "mfa": ("mfa_active",),
    "keys": tuple(f"access_key_{n}_{c}" for n in (1, 2) for c in ("active", "last_rotated")),
    "activity": (
        "password_last_used",
        "access_key_1_last_used_date",
        "access_key_2_last_used_date",
    ),
}


@dataclass(frozen=True)
class UserRow:
    """One IAM user (or the root row) for the inventory and credentials.csv."""

    name: str
    arn: str
    created: datetime | None
    console: bool | None  # password enabled; None when not reported (root)
    mfa: bool
    password_last_used: datetime | None
    keys: tuple[KeyCell, ...]  # keys that exist
    last_activity: datetime | None  # latest password or key use
    groups: tuple[str, ...]
    attached_policies: tuple[str, ...]
    inline_policies: tuple[str, ...]
    boundary: str  # permissions boundary ARN, "" when none
    risk: int
    credential: CredentialRow | None  # the raw normalised row, for credentials.csv

    @property
    def is_root(self) -> bool:
        return self.credential is not None and self.credential.is_root

    def unread(self, cell: str) -> str:
        """Why the report columns behind ``cell`` (see _CELL_COLUMNS) are unreadable, or ""."""
        if self.credential is None:
            return ""
        return self.credential.unreadable_reason(_CELL_COLUMNS[cell]) or ""

    @property
    def oldest_key_days(self) -> int:
        """Age of the oldest key, -1 without keys (the inventory sorts by it)."""
        return max((k.age_days for k in self.keys if k.age_days is not None), default=-1)


@dataclass(frozen=True)
class GroupRow:
    name: str
    arn: str
    members: tuple[str, ...]
    attached_policies: tuple[str, ...]
    inline_policies: tuple[str, ...]


@dataclass(frozen=True)
class PolicyMatrix:
    """Which group holds which policy: columns are policy names, one row per group."""

    policies: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # group, per policy "attached"|"inline"|""


@dataclass(frozen=True)
class AdminPath:
    user: str
    message: str
    paths: tuple[str, ...]  # each "group g-admins -> policy AdministratorAccess"
    conditional: bool


@dataclass(frozen=True)
class CoverageRow:
    api: str
    part: str
    status: str
    region: str
    message: str
    calls: int
    retries: int
    remedy: str = ""  # what the operator can do about a gap
    affected_rules: tuple[str, ...] = ()  # rules that are not assessed while this part is missing


@dataclass(frozen=True)
class CrosswalkRow:
    """Controls of every framework that the same rules prove: one verdict, one row."""

    rule_ids: tuple[str, ...]
    status: str  # scoring.CONTROL_*
    failing: int
    judged: int
    reason: str
    ids: tuple[str, ...]  # per framework (ReportView.frameworks order): "1.13", "IAM.3" or ""
    # The benchmark's wording, from the first framework with an id on this row (CIS if any).
    title: str = ""


@dataclass(frozen=True)
class ChartData:
    """The series behind the four charts (same in HTML and PDF)."""

    failing_by_severity: tuple[tuple[str, int], ...]  # critical..info
    framework_percent: tuple[tuple[str, float | None], ...]
    key_age_bins: tuple[tuple[str, int], ...]  # active keys by age
    key_age_limit_bin: int  # index of the first bin beyond the age limit
    key_age_limit_days: int
    mfa_console: tuple[int, int]  # console users with MFA, without MFA
    trend: TrendSeries | None = None  # posture and failing findings per review (with a review)


@dataclass(frozen=True)
class ReportView:
    account_id: str
    account_alias: str
    partition: str
    source: str
    caller_arn: str
    tool_version: str
    collected_at: datetime
    credential_report_at: datetime | None
    as_of: datetime
    generated_at: datetime
    snapshot_sha256: str
    posture: float | None
    failing_by_severity: tuple[tuple[str, int], ...]
    status_counts: Mapping[str, int]
    frameworks: tuple[FrameworkScore, ...]
    crosswalk: tuple[CrosswalkRow, ...]  # the scorecard across frameworks, compact (PDF)
    rules: tuple[RuleSection, ...]  # most severe failures first
    top_risks: tuple[str, ...]
    top_users: tuple[UserRisk, ...]
    users: tuple[UserRow, ...]
    groups: tuple[GroupRow, ...]
    matrix: PolicyMatrix
    admin_paths: tuple[AdminPath, ...]
    admin_rule_ran: bool
    coverage: tuple[CoverageRow, ...]
    # What was left out by choice or is not offered, one sentence each (the coverage section):
    # a complete collection is not "every API call" when some were not asked for.
    coverage_notes: tuple[str, ...]
    coverage_complete: bool
    charts: ChartData
    findings: tuple[Finding, ...]  # all findings, engine order (the JSON/CSV rows)
    accepted: tuple[Finding, ...]  # suppressed findings (accepted risks)
    lapsed_suppressions: tuple[Finding, ...]  # expired or stale accepted-risk entries
    scores: Scores
    # "Changes since the last review" (audit.report.view_review); None: no earlier review.
    review: ReviewView | None = None
    # IAM Identity Center people x accounts (audit/report/view_people.py); None: no instance.
    people: PeopleSection | None = None
    access_review: AccessReviewView | None = None  # the last access review, verified
    # Administrators by escalation (audit.report.view_escalation).
    escalated_admins: tuple[EscalatedAdmin, ...] = ()
    unused: UnusedAccessView = field(default_factory=UnusedAccessView)  # "Unused access"

    @property
    def total_failing(self) -> int:
        return sum(n for _, n in self.failing_by_severity)

    @property
    def failing_rules(self) -> tuple[RuleSection, ...]:
        return tuple(r for r in self.rules if r.failed)


# --- building ------------------------------------------------------------------------------


def _severity_counts(result: AuditResult) -> tuple[tuple[str, int], ...]:
    return tuple((sev.label, n) for sev, n in result.failing_counts().items())


# Results of these statuses never carry a severity of their own, so the engine gave them the
# rule's configured one (audit.toml's [severity] override, else the default).
_OWN_SEVERITY_FREE = (Status.PASS, Status.NOT_ASSESSED, Status.ERROR)


def _rule_severity(
    failing: list[Finding], findings: list[Finding], meta: RuleMeta | None
) -> Severity:
    """The worst failing severity; for a rule that does not fail, its configured severity."""
    if failing:
        return failing[0].severity
    plain = next((f for f in findings if f.status in _OWN_SEVERITY_FREE), None)
    if plain is not None:
        return plain.severity
    return meta.severity if meta else findings[0].severity


def _rule_sections(result: AuditResult) -> tuple[RuleSection, ...]:
    """One section per rule that ran. Titles and severities come from the findings, which
    carry the run's configuration (thresholds in titles, severity overrides)."""
    grouped: dict[str, list[Finding]] = {}
    for f in result.findings:
        grouped.setdefault(f.rule_id, []).append(f)
    order = {rid: i for i, rid in enumerate(REGISTRY)}
    metas = {**{rid: r.meta for rid, r in REGISTRY.items()}, **WORKFLOW_RULES}
    sections = []
    for rid, findings in grouped.items():
        meta = metas.get(rid)
        counts = Counter(f.status for f in findings)
        failing = sorted(
            (f for f in findings if f.status is Status.FAIL),
            key=lambda f: (-f.severity, f.resource_name, f.message),
        )
        unjudged = tuple(f for f in findings if f.status in (Status.NOT_ASSESSED, Status.ERROR))
        first = findings[0]
        sections.append(
            RuleSection(
                rule_id=rid,
                title=first.title,
                severity=_rule_severity(failing, findings, meta),
                controls=meta.controls if meta else first.controls,
                rationale=meta.rationale if meta else "",
                remediation=first.remediation,  # the finding's: thresholds as configured
                passed=counts[Status.PASS],
                failed=counts[Status.FAIL],
                not_assessed=counts[Status.NOT_ASSESSED],
                errors=counts[Status.ERROR],
                suppressed=counts[Status.SUPPRESSED],
                failing=tuple(failing),
                unjudged=unjudged,
            )
        )
    # Failing rules first, most severe and most widespread first; then the rest in
    # catalogue order.
    return tuple(
        sorted(
            sections,
            key=lambda s: (
                0 if s.failed else 1,
                -s.severity if s.failed else 0,
                -s.failed,
                order.get(s.rule_id, len(order)),
            ),
        )
    )


def _crosswalk(frameworks: tuple[FrameworkScore, ...]) -> tuple[CrosswalkRow, ...]:
    """Group controls by the rules behind them: CIS renumbers between versions, the verdict
    does not change, so v3.0 to v6.0 and Security Hub fit on one row."""
    rows: dict[tuple[str, ...], list[list[str]]] = {}
    verdict: dict[tuple[str, ...], ControlScore] = {}
    titles: dict[tuple[str, ...], list[str]] = {}
    for i, fw in enumerate(frameworks):
        for c in fw.controls:
            key = tuple(sorted(c.rule_ids))
            cells = rows.setdefault(key, [[] for _ in frameworks])
            cells[i].append(c.control.removeprefix(fw.framework).strip())
            verdict.setdefault(key, c)
            named = titles.setdefault(key, [])
            if (
                c.title
                and c.title not in named
                and (not named or verdict[key].framework == fw.framework)
            ):
                named.append(c.title)
    out = [
        CrosswalkRow(
            rule_ids=key,
            status=verdict[key].status,
            failing=verdict[key].resources_failing,
            judged=verdict[key].resources_judged,
            reason=verdict[key].reason,
            ids=tuple(", ".join(cell) for cell in cells),
            title="; ".join(titles[key]),
        )
        for key, cells in rows.items()
    ]
    # Order as the newest framework numbers them (the first column), then the rest.
    return tuple(sorted(out, key=lambda r: [_number_key(x) for x in r.ids]))


def _number_key(text: str) -> tuple[int, tuple[int, ...]]:
    first = text.split(",")[0].strip().removeprefix("IAM.")
    if not first:
        return 1, ()
    return 0, tuple(int(p) if p.isdigit() else 0 for p in first.split("."))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _top_risks(sections: tuple[RuleSection, ...], risks: tuple[UserRisk, ...]) -> tuple[str, ...]:
    sentences = []
    for s in sections[:TOP_RISKS]:
        if not s.failed:
            break
        kind = s.failing[0].resource_type if s.failing else "resource"
        example = s.failing[0].message if s.failing else ""
        sentences.append(
            f"{s.severity.label.capitalize()}: {_plural(s.failed, kind)} failing "
            f"\u201c{s.title}\u201d, e.g. {example}"
        )
    if risks:
        top = risks[0]
        sentences.append(
            f"Highest-risk user: {top.user} (risk score {top.score}, "
            f"{_plural(top.failing, 'failing finding')}: {', '.join(top.rule_ids)})."
        )
    return tuple(sentences)


def _age(as_of: datetime, when: datetime | None) -> int | None:
    return (as_of - when).days if when else None


def user_rows(snapshot: Snapshot, as_of: datetime, risk: Mapping[str, int]) -> tuple[UserRow, ...]:
    """Every IAM user and the root row (the inventory, credentials.csv of an account or an
    organization run: audit.org_streams)."""
    users: dict[str, User] = {u.name: u for u in snapshot.users}
    creds: dict[str, CredentialRow] = {r.user: r for r in snapshot.credential_report}
    names = sorted(set(users) | set(creds), key=lambda n: (n != "<root_account>", n.lower(), n))
    rows = []
    for name in names:
        user = users.get(name)
        cred = creds.get(name)
        keys = tuple(
            KeyCell(k.slot, k.active, _age(as_of, k.last_rotated), k.last_used)
            for k in (cred.access_keys if cred else ())
            if k.exists
        )
        uses = [k.last_used for k in keys if k.last_used]
        if cred and cred.password_last_used:
            uses.append(cred.password_last_used)
        rows.append(
            UserRow(
                name=name,
                arn=user.arn if user else (cred.arn if cred else ""),
                created=user.create_date
                if user and user.create_date
                else (cred.user_creation_time if cred else None),
                console=cred.password_enabled if cred else None,
                mfa=bool(cred and cred.mfa_active),
                password_last_used=cred.password_last_used if cred else None,
                keys=keys,
                last_activity=max(uses) if uses else None,
                groups=tuple(sorted(user.groups)) if user else (),
                attached_policies=tuple(p.name for p in user.attached_policies) if user else (),
                inline_policies=tuple(p.name for p in user.inline_policies) if user else (),
                boundary=(user.permissions_boundary_arn or "") if user else "",
                risk=risk.get(name, 0),
                credential=cred,
            )
        )
    return tuple(rows)


def _group_rows(snapshot: Snapshot) -> tuple[GroupRow, ...]:
    members: dict[str, list[str]] = {}
    for u in snapshot.users:
        for g in u.groups:
            members.setdefault(g, []).append(u.name)
    return tuple(
        GroupRow(
            name=g.name,
            arn=g.arn,
            members=tuple(sorted(members.get(g.name, []))),
            attached_policies=tuple(p.name for p in g.attached_policies),
            inline_policies=tuple(p.name for p in g.inline_policies),
        )
        for g in sorted(snapshot.groups, key=lambda g: g.name.lower())
    )


def _matrix(groups: tuple[GroupRow, ...]) -> PolicyMatrix:
    policies = sorted(
        {p for g in groups for p in g.attached_policies}
        | {f"{p} (inline)" for g in groups for p in g.inline_policies},
        key=str.lower,
    )
    rows = []
    for g in groups:
        held = dict.fromkeys(g.attached_policies, "attached")
        held.update({f"{p} (inline)": "inline" for p in g.inline_policies})
        rows.append((g.name, tuple(held.get(p, "") for p in policies)))
    return PolicyMatrix(tuple(policies), tuple(rows))


def _path_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        return " -> ".join(f"{k} {v}" for k, v in item.items())
    if isinstance(item, list | tuple):
        return " -> ".join(_path_text(i) for i in item)
    return str(item)


def _admin_paths(result: AuditResult) -> tuple[AdminPath, ...]:
    """Users the effective-admin rule flags, with the paths its details name (if any)."""
    out = []
    for f in result.findings:
        if f.rule_id != EFFECTIVE_ADMIN_RULE or f.status not in (Status.FAIL, Status.SUPPRESSED):
            continue
        raw = f.details.get("paths", f.details.get("path", f.details.get("via", ())))
        items = raw if isinstance(raw, list | tuple) else [raw] if raw else []
        out.append(
            AdminPath(
                user=f.resource_name,
                message=f.message,
                paths=tuple(_path_text(i) for i in items),
                conditional=bool(f.details.get("conditional", False)),
            )
        )
    return tuple(sorted(out, key=lambda a: a.user.lower()))


NOT_COLLECTED = "not_collected"


_REMEDIES = {
    OutcomeStatus.ACCESS_DENIED: "Grant {api} to the auditing principal "
    "(`iam-audit permissions` prints the whole policy), then run again.",
    OutcomeStatus.THROTTLED: "Still throttled after every retry: run again later or raise "
    "--max-attempts.",
    OutcomeStatus.NOT_SUPPORTED: "The endpoint does not offer this API; no permission fixes it.",
    OutcomeStatus.ERROR: "Run again; if it persists, the message above says why.",
    OutcomeStatus.NOT_REQUESTED: "Opt-in and not requested; the message says how to ask for it.",
}


def _throttled_note(o: ApiOutcome) -> str:
    """Throttled, then ok: the data is complete, but say so (AWS was pushing back)."""
    if o.status is OutcomeStatus.OK and o.retries:
        return f"throttled, then ok after {o.retries} retr{'y' if o.retries == 1 else 'ies'}"
    return ""


def _rules_needing(part: str) -> tuple[str, ...]:
    return tuple(r.meta.id for r in all_rules() if part in r.meta.requires)


def _coverage(snapshot: Snapshot) -> tuple[CoverageRow, ...]:
    """Every recorded API outcome, problems first, plus a row per part nothing was recorded for."""
    recorded = {o.part for o in snapshot.outcomes}
    missing = [
        CoverageRow(
            part,
            part,
            NOT_COLLECTED,
            "",
            "no API call was recorded for this part",
            0,
            0,
            remedy="Collect again with this version of iam-audit.",
            affected_rules=_rules_needing(part),
        )
        for part in ALL_PARTS
        if part not in recorded
    ]
    rows = [
        CoverageRow(
            api=o.api,
            part=o.part,
            status=o.status.value,
            region=o.region or "",
            message=o.message or _throttled_note(o),
            calls=o.calls,
            retries=o.retries,
            remedy=_REMEDIES.get(o.status, "").format(api=o.api),
            affected_rules=() if o.status is OutcomeStatus.OK else _rules_needing(o.part),
        )
        for o in sorted(
            snapshot.outcomes,
            key=lambda o: (o.status is OutcomeStatus.OK, o.part, o.api, o.region or ""),
        )
    ]
    return tuple(missing + rows)


# Statuses that leave a part uncollected without failing the run (Snapshot.failed_outcomes).
_LEFT_OUT = {
    OutcomeStatus.NOT_REQUESTED.value: "Not requested (collected only when asked for; the rules "
    "that need it are not assessed)",
    OutcomeStatus.NOT_SUPPORTED.value: "Not offered by the endpoint (nothing to grant; the rules "
    "that need it are not assessed)",
}


def coverage_notes(coverage: tuple[CoverageRow, ...]) -> tuple[str, ...]:
    """One sentence per kind of part left out without a failure, naming each part and why."""
    notes = []
    for status, intro in _LEFT_OUT.items():
        regions: dict[tuple[str, str, str], list[str]] = {}  # regional APIs: one entry each
        for c in coverage:
            if c.status == status:
                where = regions.setdefault((c.part, c.api, c.message), [])
                where += [c.region] if c.region else []
        parts = [
            f"{part} ({api}{' in ' + ', '.join(where) if where else ''}"
            f"{': ' + message if message else ''})"
            for (part, api, message), where in regions.items()
        ]
        if parts:
            notes.append(f"{intro}: {'; '.join(parts)}.")
    return tuple(notes)


def key_age_bins(limit: int) -> tuple[tuple[str, int, int | None], ...]:
    """Age bins (label, low, high inclusive) around the rotation limit: the limit is a bin edge."""
    third = max(limit // 3, 1)
    edges = [0, third, 2 * third, limit, 2 * limit, 4 * limit]
    bins: list[tuple[str, int, int | None]] = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        start = lo + 1 if lo else 0
        bins.append((f"{start}-{hi}", start, hi))
    bins.append((f">{edges[-1]}", edges[-1] + 1, None))
    return tuple(bins)


def _chart_data(
    severities: tuple[tuple[str, int], ...],
    frameworks: tuple[FrameworkScore, ...],
    users: tuple[UserRow, ...],
    limit: int,
    trend: TrendSeries | None,
) -> ChartData:
    bins = key_age_bins(limit)
    counts = [0] * len(bins)
    for u in users:
        for k in u.keys:
            if not k.active or k.age_days is None:
                continue
            for i, (_label, lo, hi) in enumerate(bins):
                if k.age_days >= lo and (hi is None or k.age_days <= hi):
                    counts[i] += 1
                    break
    console = [u for u in users if u.console and not u.is_root]
    with_mfa = sum(1 for u in console if u.mfa)
    return ChartData(
        failing_by_severity=severities,
        framework_percent=tuple((f.framework, f.percent) for f in frameworks),
        key_age_bins=tuple((b[0], n) for b, n in zip(bins, counts, strict=True)),
        key_age_limit_bin=next(i for i, b in enumerate(bins) if b[1] > limit),
        key_age_limit_days=limit,
        mfa_console=(with_mfa, len(console) - with_mfa),
        trend=trend,
    )


def build_view(
    snapshot: Snapshot,
    snapshot_sha256: str,
    result: AuditResult,
    *,
    generated_at: datetime | None = None,
    key_age_limit_days: int = 90,
    review: Review | None = None,
    access_review: Verification | None = None,
) -> ReportView:
    """Everything the reports show. ``generated_at`` defaults to the as-of time (determinism).

    ``review``: this run against the last review of the account (None: no earlier review).
    """
    changes = review_view(review) if review is not None else None
    scores = score(result)
    sections = _rule_sections(result)
    users = user_rows(snapshot, result.as_of, scores.risk_of())
    groups = _group_rows(snapshot)
    coverage = _coverage(snapshot)
    severities = _severity_counts(result)
    meta = snapshot.meta
    return ReportView(
        account_id=meta.account_id,
        account_alias=", ".join(snapshot.account_aliases),
        partition=meta.partition,
        source=meta.source,
        caller_arn=meta.caller_arn,
        tool_version=meta.tool_version,
        collected_at=meta.collected_at,
        credential_report_at=meta.credential_report_generated_at,
        as_of=result.as_of,
        generated_at=generated_at or result.as_of,
        snapshot_sha256=snapshot_sha256,
        posture=scores.posture,
        failing_by_severity=severities,
        status_counts={s.value: n for s in Status if (n := len(result.by_status(s)))},
        frameworks=scores.frameworks,
        crosswalk=_crosswalk(scores.frameworks),
        rules=sections,
        top_risks=_top_risks(sections, scores.user_risks),
        top_users=scores.user_risks[:TOP_USERS],
        users=users,
        groups=groups,
        matrix=_matrix(groups),
        admin_paths=_admin_paths(result),
        admin_rule_ran=any(f.rule_id == EFFECTIVE_ADMIN_RULE for f in result.findings),
        coverage=coverage,
        coverage_notes=coverage_notes(coverage),
        # Complete: nothing denied or failed, and every part has a recorded outcome.
        coverage_complete=not snapshot.failed_outcomes
        and all(c.status != NOT_COLLECTED for c in coverage),
        charts=_chart_data(
            severities,
            scores.frameworks,
            users,
            key_age_limit_days,
            changes.trend if changes is not None else None,
        ),
        findings=result.findings,
        accepted=result.by_status(Status.SUPPRESSED),
        lapsed_suppressions=tuple(f for f in result.findings if f.rule_id in SUPPRESSION_RULES),
        scores=scores,
        review=changes,
        people=people_section(snapshot),
        access_review=access_review_view(access_review) if access_review is not None else None,
        escalated_admins=escalated_admins(result),
        unused=build_unused_view(snapshot, result),
    )
