"""The report's "Access review" section, as the templates show it.

Built from the verification of the last access review (audit.workflow.access_review): the run
that verifies a review shows it, so the section is evidence that decisions were carried out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit.workflow.access_review import (
    MODIFY,
    REVOKE,
    UNDECIDED,
    Decision,
    Verification,
    decided_on,
    decision_counts,
    reviewer_progress,
)


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer: str
    items: int
    decided: int

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.items) if self.items else 100


@dataclass(frozen=True)
class DecisionRow:
    reviewer: str
    principal: str
    kind: str
    item: str
    grants: str
    decision: str
    comment: str
    decided_on: str
    outcome: str  # what this run found: "revocation pending", "revoked", "kept, unchanged"...


@dataclass(frozen=True)
class AccessReviewView:
    review_run: str  # the run folder the review was done on
    imported_at: datetime
    counts: dict[str, int]  # Keep, Modify, Revoke, undecided
    reviewers: tuple[ReviewerProgress, ...]
    actions: tuple[DecisionRow, ...]  # every Revoke and Modify, with its comment and outcome
    undecided: tuple[DecisionRow, ...]
    carried: tuple[DecisionRow, ...]  # Keep on an unchanged item: the decision stands
    changed: tuple[DecisionRow, ...]  # Keep, but the item now grants something else
    pending: int  # revocations not carried out (each is a finding too)

    @property
    def complete(self) -> bool:
        return self.counts.get(UNDECIDED, 0) == 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def access_review_view(v: Verification) -> AccessReviewView:
    pending = {d.item_id for d in v.pending}
    revoked = {d.item_id for d in v.revoked}

    def row(d: Decision, outcome: str = "") -> DecisionRow:
        return DecisionRow(
            reviewer=d.reviewer,
            principal=d.principal,
            kind=d.kind,
            item=d.item,
            grants=d.grants,
            decision=d.decision,
            comment=d.comment,
            decided_on=decided_on(d, v.source) if d.decision != UNDECIDED else "",
            outcome=outcome,
        )

    def outcome(d: Decision) -> str:
        if d.item_id in pending:
            return "revocation pending"
        if d.item_id in revoked:
            return "revoked"
        return "changed" if d.decision == MODIFY else ""

    decisions = v.decisions
    return AccessReviewView(
        review_run=v.source.run_name,
        imported_at=v.source.imported_at,
        counts=decision_counts(decisions),
        reviewers=tuple(
            ReviewerProgress(r, p["items"], p["decided"])
            for r, p in reviewer_progress(decisions).items()
        ),
        actions=tuple(row(d, outcome(d)) for d in decisions if d.decision in (REVOKE, MODIFY)),
        undecided=tuple(row(d) for d in decisions if d.decision == UNDECIDED),
        carried=tuple(row(d, "kept, unchanged") for d in v.carried),
        changed=tuple(row(d, "changed since Keep: review again") for d in v.changed),
        pending=len(v.pending),
    )
