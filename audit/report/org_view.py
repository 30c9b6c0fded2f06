"""The organization report's view: what report.html and report.pdf of an organization run show.

An organization run (audit.org_run) feeds :class:`OrgViewBuilder` one account at a time, as each
is audited; the builder keeps only small things per account (failing counts per rule, a few
example findings per rule, the collection gaps) plus the cross-account trust register, whose
rows are few (one per role that trusts another account). :meth:`OrgViewBuilder.build` then
turns them and the ranked account summaries into an :class:`OrgView`, which the templates only
format (as audit.report.view does for one account).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from audit.findings import AuditResult, Finding, Severity
from audit.model import OutcomeStatus, Snapshot
from audit.model_org import PART_ORGANIZATION, AccountCollection, CollectionStatus, OrgSnapshot
from audit.org_summary import (
    SEVERITY_LABELS,
    AccountSummary,
    failing_by_severity,
    status_counts,
)
from audit.rules.organization import trusted_accounts

TOP_RISKS = 15  # (rule, severity) rows in "Top risks across the organization"
RISK_EXAMPLES = 4  # example (account, resource) pairs kept per top-risk row
CARD_RULES = 12  # failing rules on a scorecard page of its own
COMPACT_CARD_RULES = 5  # on a compact scorecard (several to a page)
# Failing counts at or above each threshold take the next heat level (1..5); 0 is blank.
HEAT_THRESHOLDS = (1, 2, 4, 10, 25)
# The PDF's scorecards: a page each up to this many accounts; beyond, compact cards flow about
# three to a page, which keeps 200 accounts well under 100 pages (README, "An AWS Organization").
ONE_CARD_PER_PAGE_UP_TO = 40
# Rows of trusts to outside accounts in the PDF (riskiest first); all are in report.html and
# trusts.csv. Keeps the PDF within its page budget whatever the organization trusts.
PDF_TRUST_ROWS = 100
SEVERITIES = SEVERITY_LABELS  # critical..info


class TrustScope(StrEnum):
    ORGANIZATION = "organization"  # the trusted account is a member of the organization
    OUTSIDE = "outside"  # not in the organization's (complete) account list
    UNKNOWN = "unknown"  # not in the list, but the list was not read completely


@dataclass(frozen=True)
class TrustRow:
    """One role that trusts another account: a row of the cross-account trust register."""

    account_id: str
    account_name: str
    ou_path: str
    role: str
    role_arn: str
    trusted_id: str
    trusted_name: str  # the member's name when it is in the organization, else ""
    scope: TrustScope
    guards: tuple[str, ...]  # sts:ExternalId, aws:SourceAccount ... required by the statement

    @property
    def risk_order(self) -> int:
        """Outside without a guard first, then outside with one, unknown, then members."""
        if self.scope is TrustScope.OUTSIDE:
            return 1 if self.guards else 0
        return 2 if self.scope is TrustScope.UNKNOWN else 3


@dataclass(frozen=True)
class RiskExample:
    account_id: str
    account_name: str
    resource: str
    message: str


@dataclass(frozen=True)
class TopRisk:
    """One rule failing at one severity across the organization."""

    rule_id: str
    title: str
    severity: str
    failing: int
    accounts: int
    examples: tuple[RiskExample, ...]


@dataclass(frozen=True)
class ApiGap:
    api: str
    status: str
    message: str


@dataclass(frozen=True)
class CoverageLine:
    account: AccountSummary
    gaps: tuple[ApiGap, ...]  # the calls that failed (AssumeRole, or the APIs of a partial one)


@dataclass(frozen=True)
class CardRule:
    rule_id: str
    title: str
    severity: str
    failing: int


@dataclass(frozen=True)
class Scorecard:
    account: AccountSummary
    rank: int  # 1 = worst
    rules: tuple[CardRule, ...]  # its worst failing rules (CARD_RULES at most)
    more_rules: int  # failing rules beyond those
    gaps: tuple[ApiGap, ...]


@dataclass(frozen=True)
class HeatRow:
    rule_id: str
    title: str
    severity: str
    cells: tuple[tuple[int, int], ...]  # (failing count, heat level 0..5), one per heat column
    total: int
    accounts: int  # accounts where the rule fails


@dataclass(frozen=True)
class OuLine:
    """One line of the OU tree: the root, an OU (with counts below it) or an account."""

    depth: int
    kind: str  # "root", "ou" or "account"
    id: str
    name: str
    account: AccountSummary | None = None  # for an account of this run
    in_run: bool = True  # False: an account of the organization this run left out
    accounts: int = 0  # for the root or an OU: accounts below it in this run
    not_fully_collected: int = 0
    failing: int = 0


@dataclass(frozen=True)
class OrgView:
    org: OrgSnapshot
    generated_at: datetime
    page_size: str
    accounts: tuple[AccountSummary, ...]  # ranked: not collected, partial, then worst posture
    counts: Mapping[str, int]  # collection status -> accounts
    severities: tuple[str, ...]  # critical .. info
    totals: Mapping[str, int]  # severity -> failing findings across the organization
    average_posture: float | None
    lowest: AccountSummary | None  # the audited account with the lowest posture
    heat_columns: tuple[AccountSummary, ...]  # audited accounts, worst first
    heat_rows: tuple[HeatRow, ...]  # rules with failures, most failing first
    ou_lines: tuple[OuLine, ...]
    top_risks: tuple[TopRisk, ...]
    more_risks: int  # (rule, severity) rows beyond TOP_RISKS
    trusts: tuple[TrustRow, ...]  # riskiest first
    coverage: tuple[CoverageLine, ...]  # every account, not collected and partial first
    scorecards: tuple[Scorecard, ...]
    one_card_per_page: bool
    # The review workflow across the organization (audit.org_run sets them after building):
    # accepted-risk entries judged for the organization, and the changes since its previous run.
    organization_findings: tuple[Finding, ...] = ()
    changes: Mapping[str, Any] | None = None

    @property
    def compact_card_rules(self) -> int:
        return COMPACT_CARD_RULES

    @property
    def pdf_trust_rows(self) -> int:
        return PDF_TRUST_ROWS

    @property
    def failing_total(self) -> int:
        return sum(self.totals.values())

    @property
    def outside_trusts(self) -> tuple[TrustRow, ...]:
        return tuple(t for t in self.trusts if t.scope is not TrustScope.ORGANIZATION)

    @property
    def incomplete(self) -> tuple[CoverageLine, ...]:
        return tuple(c for c in self.coverage if c.account.status is not CollectionStatus.COLLECTED)


def heat_level(count: int) -> int:
    return sum(1 for t in HEAT_THRESHOLDS if count >= t)


def _gaps(collection: AccountCollection) -> tuple[ApiGap, ...]:
    seen: dict[tuple[str, str], ApiGap] = {}
    for o in collection.outcomes:
        if o.status is OutcomeStatus.OK:
            continue
        api = o.api + (f" ({o.region})" if o.region else "")
        seen.setdefault((api, o.status.value), ApiGap(api, o.status.value, o.message))
    return tuple(seen.values())


class OrgViewBuilder:
    """Collects, account by account, what the organization report needs (see module)."""

    def __init__(self, org: OrgSnapshot) -> None:
        self.org = org
        self.rule_failing: dict[str, dict[str, int]] = {}  # rule id -> account id -> failing
        self._rule_meta: dict[str, tuple[str, Severity]] = {}  # rule id -> title, worst severity
        self._risks: dict[tuple[str, Severity], list[int]] = {}  # failing, accounts
        self._examples: dict[tuple[str, Severity], list[RiskExample]] = {}
        self._risk_titles: dict[tuple[str, Severity], str] = {}
        self._trusts: list[TrustRow] = []
        self._gaps: dict[str, tuple[ApiGap, ...]] = {}
        self._names = {a.id: a.name for a in org.accounts}
        # An account missing from an incomplete list is not proven outside (as the rule says).
        self._list_complete = org.has_part(PART_ORGANIZATION)

    def add(
        self,
        collection: AccountCollection,
        snapshot: Snapshot | None = None,
        result: AuditResult | None = None,
    ) -> None:
        self._gaps[collection.account_id] = _gaps(collection)
        if result is not None:
            self._add_findings(collection, result)
        if snapshot is not None:
            self._add_trusts(collection, snapshot)

    def _add_findings(self, collection: AccountCollection, result: AuditResult) -> None:
        account_id = collection.account_id
        counted: set[tuple[str, Severity]] = set()
        for f in result.failing:
            per_rule = self.rule_failing.setdefault(f.rule_id, {})
            per_rule[account_id] = per_rule.get(account_id, 0) + 1
            title, worst = self._rule_meta.get(f.rule_id, (f.title, f.severity))
            self._rule_meta[f.rule_id] = (title, max(worst, f.severity))
            key = (f.rule_id, f.severity)
            tally = self._risks.setdefault(key, [0, 0])
            tally[0] += 1
            if key not in counted:
                counted.add(key)
                tally[1] += 1
                examples = self._examples.setdefault(key, [])
                if len(examples) < RISK_EXAMPLES:  # one per account: spread over accounts
                    examples.append(
                        RiskExample(
                            account_id,
                            collection.account_name,
                            f.resource_name,
                            f.message,
                        )
                    )
            self._risk_titles.setdefault(key, f.title)

    def _add_trusts(self, collection: AccountCollection, snapshot: Snapshot) -> None:
        own = collection.account_id
        for role in snapshot.roles:
            for trusted in trusted_accounts(role):
                if trusted.account_id == own:
                    continue
                name = self._names.get(trusted.account_id)
                if name is not None:
                    scope = TrustScope.ORGANIZATION
                else:
                    scope = TrustScope.OUTSIDE if self._list_complete else TrustScope.UNKNOWN
                self._trusts.append(
                    TrustRow(
                        account_id=own,
                        account_name=collection.account_name,
                        ou_path=collection.ou_path,
                        role=role.name,
                        role_arn=role.arn,
                        trusted_id=trusted.account_id,
                        trusted_name=name or "",
                        scope=scope,
                        guards=trusted.guards,
                    )
                )

    def build(
        self, ranked: Sequence[AccountSummary], *, generated_at: datetime, page_size: str
    ) -> OrgView:
        audited = tuple(a for a in ranked if a.failing is not None)
        postures = [a.posture for a in audited if a.posture is not None]
        by_posture = [a for a in audited if a.posture is not None]
        risks = sorted(self._risks, key=lambda k: (-k[1], -self._risks[k][0], k[0]))
        return OrgView(
            org=self.org,
            generated_at=generated_at,
            page_size=page_size,
            accounts=tuple(ranked),
            counts=status_counts(ranked),
            severities=SEVERITIES,
            totals=failing_by_severity(ranked),
            average_posture=sum(postures) / len(postures) if postures else None,
            lowest=min(by_posture, key=lambda a: a.posture or 0.0) if by_posture else None,
            heat_columns=audited,
            heat_rows=self._heat_rows(audited),
            ou_lines=ou_lines(self.org, ranked),
            top_risks=tuple(self._top_risk(k) for k in risks[:TOP_RISKS]),
            more_risks=max(len(risks) - TOP_RISKS, 0),
            trusts=tuple(
                sorted(
                    self._trusts,
                    key=lambda t: (t.risk_order, t.account_id, t.role, t.trusted_id),
                )
            ),
            coverage=tuple(CoverageLine(a, self._gaps.get(a.account_id, ())) for a in ranked),
            scorecards=tuple(self._scorecard(a, rank) for rank, a in enumerate(ranked, start=1)),
            one_card_per_page=len(ranked) <= ONE_CARD_PER_PAGE_UP_TO,
        )

    def _top_risk(self, key: tuple[str, Severity]) -> TopRisk:
        failing, accounts = self._risks[key]
        return TopRisk(
            rule_id=key[0],
            title=self._risk_titles[key],
            severity=key[1].label,
            failing=failing,
            accounts=accounts,
            examples=tuple(self._examples.get(key, ())),
        )

    def _heat_rows(self, columns: Sequence[AccountSummary]) -> tuple[HeatRow, ...]:
        rows = []
        for rule_id, per_account in self.rule_failing.items():
            title, worst = self._rule_meta[rule_id]
            counts = [per_account.get(a.account_id, 0) for a in columns]
            rows.append(
                HeatRow(
                    rule_id=rule_id,
                    title=title,
                    severity=worst.label,
                    cells=tuple((n, heat_level(n)) for n in counts),
                    total=sum(per_account.values()),
                    accounts=len(per_account),
                )
            )
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return tuple(sorted(rows, key=lambda r: (order[r.severity], -r.total, r.rule_id)))

    def _scorecard(self, account: AccountSummary, rank: int) -> Scorecard:
        rules = []
        for rule_id, per_account in self.rule_failing.items():
            n = per_account.get(account.account_id, 0)
            if n:
                title, worst = self._rule_meta[rule_id]
                rules.append(CardRule(rule_id, title, worst.label, n))
        order = {s: i for i, s in enumerate(SEVERITIES)}
        rules.sort(key=lambda r: (order[r.severity], -r.failing, r.rule_id))
        return Scorecard(
            account=account,
            rank=rank,
            rules=tuple(rules[:CARD_RULES]),
            more_rules=max(len(rules) - CARD_RULES, 0),
            gaps=self._gaps.get(account.account_id, ()),
        )


def _subtree_totals(
    node: str,
    children: Mapping[str, Sequence[str]],
    members: Mapping[str, Sequence[AccountSummary]],
) -> tuple[int, int, int]:
    """Accounts of this run below ``node``, those not fully collected, their failing findings."""
    accounts = incomplete = failing = 0
    stack = [node]
    while stack:
        current = stack.pop()
        for a in members.get(current, ()):
            accounts += 1
            incomplete += a.status is not CollectionStatus.COLLECTED
            failing += a.failing_total
        stack.extend(children.get(current, ()))
    return accounts, incomplete, failing


def ou_lines(org: OrgSnapshot, ranked: Iterable[AccountSummary]) -> tuple[OuLine, ...]:
    """The OU tree, root first, each OU's sub-OUs then its accounts (worst first), depth-first.

    Accounts of the organization this run left out (--accounts, --ou, --exclude) are listed as
    such; accounts of the run the tree does not place come last, under "not in the OU tree".
    """
    summaries = {a.account_id: a for a in ranked}
    order = {a.account_id: i for i, a in enumerate(ranked)}
    children: dict[str, list[str]] = {}
    for u in sorted(org.units, key=lambda u: u.name.lower()):
        children.setdefault(u.parent_id, []).append(u.id)
    members: dict[str, list[AccountSummary]] = {}
    others: dict[str, list[str]] = {}  # organization accounts this run left out
    placed: set[str] = set()
    reachable = {n for root in org.roots for n in org.units_under(root.id)}
    for acct in org.accounts:
        if acct.parent_id not in reachable:
            continue  # the tree walk did not reach it: listed as not in the OU tree
        if acct.id in summaries:
            members.setdefault(acct.parent_id, []).append(summaries[acct.id])
            placed.add(acct.id)
        else:
            others.setdefault(acct.parent_id, []).append(acct.id)
    for group in members.values():
        group.sort(key=lambda a: order[a.account_id])
    names = {a.id: a.name for a in org.accounts}
    lines: list[OuLine] = []

    def walk(node: str, depth: int, kind: str, name: str) -> None:
        accounts, incomplete, failing = _subtree_totals(node, children, members)
        lines.append(OuLine(depth, kind, node, name, None, True, accounts, incomplete, failing))
        for child in children.get(node, ()):
            unit = org.unit(child)
            walk(child, depth + 1, "ou", unit.name if unit else child)
        for a in members.get(node, ()):
            lines.append(OuLine(depth + 1, "account", a.account_id, a.account_name, a))
        for other in sorted(others.get(node, ())):
            lines.append(OuLine(depth + 1, "account", other, names.get(other, ""), in_run=False))

    for root in org.roots:
        walk(root.id, 0, "root", root.name)
    unplaced = [a for a in ranked if a.account_id not in placed]
    if unplaced:
        lines.append(OuLine(0, "root", "", "Not in the OU tree", accounts=len(unplaced)))
        lines += [OuLine(1, "account", a.account_id, a.account_name, a) for a in unplaced]
    return tuple(lines)
