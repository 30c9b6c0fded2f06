"""The Identity Center access view: person -> group or direct -> permission set -> account."""

from __future__ import annotations

from dataclasses import replace

from audit.org_context import scp_chain
from audit.permissions.access_view import DIRECT, build_access_view, set_verdicts
from tests.fixtures.credential_reports import ACCOUNT_ID
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
from tests.fixtures.snapshots import allow, deny, doc, policy
from tests.rules.org_builders import PROD_ACCOUNT, PROD_OU, SANDBOX_ACCOUNT, org_snapshot, scp

ADMIN = pset("Admin", managed=(ADMIN_ARN,))
ESCALATE = pset("Escalate", inline=doc(allow(["iam:PassRole", "ec2:RunInstances"])))
READ = pset("Read", inline=doc(allow("s3:GetObject")))


def test_rows_follow_groups_and_direct_assignments() -> None:
    c = center(
        sets=(ADMIN, READ),
        users=(person("ana"), person("ben")),
        groups=(team("admins"),),
        members={"admins": ("ana", "ben")},
        assignments=(to_group(ADMIN, "admins"), to_user(READ, "ben"), to_user(READ, "gone")),
    )
    view = build_access_view(sso_snapshot(c))
    assert view is not None
    rows = [(r.user.user_name, r.via, r.permission_set.name, r.account_id) for r in view.rows]
    assert rows == [
        ("ana", "admins", "Admin", ACCOUNT_ID),
        ("ben", "admins", "Admin", ACCOUNT_ID),
        ("ben", DIRECT, "Read", ACCOUNT_ID),
    ]
    assert [r.verdict.is_admin for r in view.rows] == [True, True, False]
    assert [o.principal_id for o in view.orphans] == ["u-gone"]
    assert [u.user_name for u in view.people()] == ["ana", "ben"]


def test_customer_policy_is_read_in_the_target_account() -> None:
    refs = pset("Refs", customer=("Ops",), provisioned=(ACCOUNT_ID, "222222222222"))
    mine = policy("Ops", doc(allow("*")))
    theirs = policy("Ops", doc(allow("s3:GetObject")), account_id="222222222222")
    snap = sso_snapshot(center(sets=(refs,)), policies=(mine,))
    verdicts = set_verdicts(snap, {ACCOUNT_ID: [mine], "222222222222": [theirs]})
    assert verdicts[(refs.arn, ACCOUNT_ID)].is_admin
    assert not verdicts[(refs.arn, "222222222222")].is_admin
    # A single-account run knows only its own account: the other is unresolved, not guessed.
    alone = set_verdicts(snap)[(refs.arn, "222222222222")]
    assert not alone.perms.complete and alone.not_collected


def test_scps_cap_admin_and_escalation_in_members() -> None:
    sets = (ADMIN, ESCALATE)
    assignments = tuple(
        to_group(p, "ops", account) for p in sets for account in (PROD_ACCOUNT, SANDBOX_ACCOUNT)
    )
    snap = sso_snapshot(center(sets=sets, assignments=assignments))
    org = org_snapshot(scps=(scp("DenyIam", doc(deny("iam:*")), PROD_OU),))
    chains = {a: scp_chain(org, a) for a in (PROD_ACCOUNT, SANDBOX_ACCOUNT)}
    verdicts = set_verdicts(snap, {}, chains)
    prod_admin = verdicts[(ADMIN.arn, PROD_ACCOUNT)]
    assert not prod_admin.is_admin
    assert any("DenyIam" in n for n in prod_admin.admin.notes)
    assert verdicts[(ADMIN.arn, SANDBOX_ACCOUNT)].is_admin
    assert not verdicts[(ESCALATE.arn, PROD_ACCOUNT)].can_escalate
    assert verdicts[(ESCALATE.arn, SANDBOX_ACCOUNT)].can_escalate


def test_an_unreadable_policy_document_leaves_the_set_unresolved() -> None:
    why = "policy document is not JSON: Expecting value"
    refs = pset("Refs", customer=("Ops",), managed=(ADMIN_ARN,))
    mine = replace(policy("Ops", {}), unreadable=why)
    aws_admin = replace(policy("AdministratorAccess", {}, aws=True), unreadable=why)
    snap = sso_snapshot(center(sets=(refs,)), policies=(mine, aws_admin))
    verdict = set_verdicts(snap, {ACCOUNT_ID: [mine]})[(refs.arn, ACCOUNT_ID)]
    assert not verdict.perms.complete and not verdict.is_admin
    assert verdict.perms.unresolved == (
        "AWS managed policy AdministratorAccess (unreadable)",
        f"customer managed policy Ops in {ACCOUNT_ID} (unreadable)",
    )
