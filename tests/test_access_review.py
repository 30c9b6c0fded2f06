"""The access review's pure parts: the items and their grants, reviewers, import checks,
verification of decisions (the moto round trip is tests/collect/test_access_review_moto.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from audit.engine import evaluate
from audit.errors import InputError
from audit.findings import AuditResult, Severity
from audit.model import Snapshot
from audit.report import write_reports
from audit.settings import Settings
from audit.snapshot_io import write_snapshot
from audit.workflow.access_items import (
    GRANTS_ADMIN,
    GRANTS_CUSTOM,
    GRANTS_ESCALATION,
    GRANTS_READ_ONLY,
    GRANTS_UNKNOWN,
    AccessItem,
    access_items,
)
from audit.workflow.access_review import (
    UNDECIDED,
    Decision,
    ReviewDecisions,
    ReviewRow,
    SheetRow,
    check_rows,
    handed_out,
    verify_decisions,
)
from audit.workflow.owners import DEFAULT_REVIEWER, assign, parse_owners
from tests.cli_helpers import run_cli
from tests.fixtures.identity_center import (
    ADMIN_ARN,
    center,
    person,
    pset,
    sso_snapshot,
    team,
    to_group,
    to_user,
)
from tests.fixtures.snapshots import ACCOUNT_ID, allow, doc, group, policy, snapshot, user

ADMIN = doc(allow("*"))
READ = doc(allow(["s3:GetObject", "ec2:Describe*"]))
ESCALATE = doc(allow("iam:CreatePolicyVersion"))
WRITE = doc(allow("s3:PutObject"))
# AWS's ReadOnlyAccess holds verbs no prefix list knows; it is read-only by AWS's word.
AWS_READ_ONLY = policy(
    "ReadOnlyAccess", doc(allow(["s3:GetObject", "dynamodb:PartiQLSelect"])), aws=True
)


def account() -> Snapshot:
    return snapshot(
        users=(
            user("root-ish", groups=("admins",), tags={"team": "platform"}),
            user("reader", attached=(AWS_READ_ONLY,)),
            user("climber", inline={"esc": ESCALATE}, tags={"owner": "boss@example.com"}),
            user("writer", inline={"w": WRITE}),
            user("looker", inline={"r": READ}),
        ),
        groups=(group("admins", inline={"all": ADMIN}),),
        policies=(AWS_READ_ONLY,),
    )


def grants_of(items: Sequence[AccessItem]) -> dict[str, str]:
    return {f"{i.principal}/{i.kind}": i.grants for i in items}


def test_each_item_says_what_it_grants_in_words() -> None:
    snap = account()
    items = access_items(snap, evaluate(snap).findings)
    assert grants_of(items) == {
        "root-ish/group membership": GRANTS_ADMIN,
        "reader/attached policy": GRANTS_READ_ONLY,
        "climber/inline policy": GRANTS_ESCALATION,
        "writer/inline policy": GRANTS_CUSTOM,
        "looker/inline policy": GRANTS_READ_ONLY,
    }
    # Stable ids: the same access in another evaluation has the same id.
    again = access_items(snap, ())
    assert [i.item_id for i in items] == [i.item_id for i in again]
    assert len({i.item_id for i in items}) == len(items)


def test_an_unreadable_policy_grants_unknown_not_custom() -> None:
    snap = snapshot(users=(user("u", attached=("arn:aws:iam::123456789012:policy/gone",)),))
    (item,) = access_items(snap, ())
    assert item.grants == GRANTS_UNKNOWN


def test_reviewers_come_from_owner_entries_then_the_owner_tag_then_the_default() -> None:
    snap = account()
    items = access_items(snap, ())
    entries = parse_owners(
        {
            "owners": [
                {"reviewer": "admins@example.com", "group": "admins"},
                {"reviewer": "platform@example.com", "tag": "team=platform"},
                {"reviewer": "read@example.com", "principal": "read*"},
            ]
        }
    )
    got = assign(items, entries)
    by_principal = {i.principal: got.reviewers[i.item_id] for i in items}
    assert by_principal == {
        "root-ish": "admins@example.com",  # the first matching entry wins
        "reader": "read@example.com",
        "climber": "boss@example.com",  # the owner tag
        "writer": DEFAULT_REVIEWER,
        "looker": DEFAULT_REVIEWER,
    }
    assert got.unmatched == 2


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"reviewer": "a@b.c"}, "give exactly one of group"),
        ({"reviewer": "a@b.c", "group": "x", "tag": "y"}, "give exactly one of group"),
        ({"reviewer": "", "group": "x"}, "must be non-empty strings"),
        ({"reviewer": "a@b.c", "team": "x"}, "unknown key(s) team"),
    ],
)
def test_owner_entries_are_checked(entry: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=r"owners 1: ") as err:
        parse_owners({"owners": [entry]}, source="audit.toml")
    assert message in str(err.value)


def _sheet_row(row: ReviewRow, sheet: str, decision: str, line: int = 2) -> SheetRow:
    cells = {**row.cells(), "Item id": row.item.item_id, "Row hash": row.row_hash}
    cells["Decision"] = decision
    return SheetRow(sheet=sheet, line=line, sheet_reviewer=None, cells=cells)


def test_conflicting_decisions_on_two_sheets_are_refused_and_blanks_stay_undecided() -> None:
    snap = account()
    rows = [ReviewRow(i, "r@example.com") for i in access_items(snap, ())]
    record = {"items": handed_out(rows)}
    agreed = check_rows(
        [_sheet_row(rows[0], "All", "keep"), _sheet_row(rows[0], "r", "Keep", 3)], record
    )
    assert agreed.usable
    assert [d.decision for d in agreed.decisions] == ["Keep"] + [UNDECIDED] * (len(rows) - 1)
    clash = check_rows(
        [_sheet_row(rows[0], "All", "Keep"), _sheet_row(rows[0], "r", "Revoke", 3)], record
    )
    assert clash.problems == (
        f"sheet 'r' row 3: item {rows[0].item.item_id} is decided Revoke here but Keep on "
        "sheet 'All' row 2",
    )


def test_a_keep_on_an_item_that_now_grants_more_is_not_carried_forward() -> None:
    # The decision was made when the item was read-only; it grants more now: review again.
    snap = account()
    items = access_items(snap, ())
    writer = next(i for i in items if i.principal == "writer")
    kept = Decision(
        item_id=writer.item_id,
        principal="writer",
        principal_arn=writer.principal_arn,
        kind=writer.kind,
        item=writer.item,
        grants=GRANTS_READ_ONLY,  # what it granted when it was kept
        reviewer="r@example.com",
        decision="Keep",
    )
    source = ReviewDecisions(Path("20260101T000000Z"), datetime(2026, 1, 2, tzinfo=UTC), (kept,))
    result, verification = verify_decisions(
        AuditResult(as_of=snap.meta.collected_at, findings=()), items, source
    )
    assert verification.carried == () and verification.changed == (kept,)
    assert result.findings == ()


def test_an_organization_folder_exports_every_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One sub-folder per account, each holding that account's snapshot and findings.
    org = tmp_path / "org"
    for acct in ("111111111111", "222222222222"):
        snap = snapshot(account_id=acct, users=(user("ops", account_id=acct, groups=("g",)),))
        folder = org / acct
        digest = write_snapshot(snap, folder / "snapshot.json.gz")
        write_reports(snap, digest, evaluate(snap), folder, ("json",))
    out = tmp_path / "review.csv"
    code, text, err = run_cli(
        ["review", "export", str(org), "--format", "csv", "--out", str(out)], capsys
    )
    assert code == 0, err
    assert text.startswith("2 access item(s)")
    frame = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert sorted(frame["Account"]) == ["111111111111", "222222222222"]
    code, _, err = run_cli(["review", "export", str(tmp_path / "nothing")], capsys)
    assert code == 2 and "not a run folder" in err


def test_identity_center_assignments_are_items_and_a_revoked_path_is_verified() -> None:
    admin = pset("Admin", managed=(ADMIN_ARN,))
    reader = pset("Reader", inline=doc(allow(["s3:GetObject", "ec2:Describe*"])))
    ops = center(
        sets=(admin, reader),
        users=(person("kim"), person("lee")),
        groups=(team("ops"),),
        members={"ops": ("kim", "lee")},
        assignments=(to_group(admin, "ops"), to_user(reader, "kim")),
    )
    items = access_items(sso_snapshot(ops), ())
    sso = {(i.principal, i.item): i.grants for i in items if i.kind == "permission set"}
    assert sso == {
        ("kim", f"Admin on account {ACCOUNT_ID} via group ops"): GRANTS_ADMIN,
        ("lee", f"Admin on account {ACCOUNT_ID} via group ops"): GRANTS_ADMIN,
        ("kim", f"Reader on account {ACCOUNT_ID}"): GRANTS_READ_ONLY,
    }
    # The owners' group selector matches the Identity Center group the access comes through.
    got = assign(items, parse_owners({"owners": [{"reviewer": "o@x.y", "group": "ops"}]}))
    assert sorted(got.reviewers[i.item_id] for i in items if "via group" in i.item) == ["o@x.y"] * 2

    # Lee decided Revoke; the next snapshot drops lee from the group: verified, no finding.
    lee_admin = next(i for i in items if i.principal == "lee")
    revoke = Decision(
        item_id=lee_admin.item_id,
        principal="lee",
        principal_arn=lee_admin.principal_arn,
        kind=lee_admin.kind,
        item=lee_admin.item,
        grants=lee_admin.grants,
        reviewer="o@x.y",
        decision="Revoke",
    )
    source = ReviewDecisions(Path("20260101T000000Z"), datetime(2026, 1, 2, tzinfo=UTC), (revoke,))
    later = sso_snapshot(replace(ops, memberships=ops.memberships[:1]))
    empty = AuditResult(as_of=later.meta.collected_at, findings=())
    result, verification = verify_decisions(empty, access_items(later, ()), source)
    assert verification.revoked == (revoke,) and result.findings == ()
    result, verification = verify_decisions(empty, items, source)
    assert verification.pending == (revoke,)
    assert "o@x.y decided Revoke on 2026-01-02" in result.findings[0].message


def test_the_pending_finding_follows_audit_toml_severity_and_disabled_rules() -> None:
    snap = account()
    items = access_items(snap, ())
    writer = next(i for i in items if i.principal == "writer")
    revoke = Decision(
        item_id=writer.item_id,
        principal="writer",
        principal_arn=writer.principal_arn,
        kind=writer.kind,
        item=writer.item,
        grants=writer.grants,
        reviewer="r@example.com",
        decision="Revoke",
    )
    source = ReviewDecisions(Path("20260101T000000Z"), datetime(2026, 1, 2, tzinfo=UTC), (revoke,))
    empty = AuditResult(as_of=snap.meta.collected_at, findings=())
    rule = "access-review-revocation-pending"
    lowered = Settings(severity_overrides={rule: Severity.LOW})
    (f,) = verify_decisions(empty, items, source, lowered)[0].findings
    assert f.severity is Severity.LOW
    result, verification = verify_decisions(
        empty, items, source, Settings(disabled_rules=frozenset({rule}))
    )
    assert result.findings == () and verification.pending == (revoke,)
