"""The sso-* rules on hand-built Identity Center data: pass, fail and not assessed each."""

from __future__ import annotations

from typing import Any

from audit.findings import Severity, Status
from audit.model import PART_AUTHORIZATION, Snapshot
from audit.model_sso import (
    PART_IDENTITY_CENTER,
    PART_IDENTITY_STORE,
    IdentityCenter,
    ProvisioningState,
)
from audit.settings import Settings, Thresholds
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.identity_center import (
    ADMIN_ARN,
    OTHER_ACCOUNT,
    center,
    person,
    pset,
    sso_snapshot,
    team,
    to_group,
    to_user,
)
from tests.rules.builders import allow, by_name, doc, policy, run, snapshot, statuses, without

ADMIN = pset("Admin", managed=(ADMIN_ARN,))
READ = pset("Read", inline=doc(allow(["s3:GetObject", "ec2:Describe*"])))
WILD = pset(
    "Wild", inline=doc(allow(["s3:*", "ec2:DescribeInstances"]), allow("*", "arn:aws:s3:::b/*"))
)
ESCALATE = pset("Escalate", inline=doc(allow(["iam:PassRole", "ec2:RunInstances"])))
PEOPLE = (person("ana"), person("ben"), person("cy"))
GROUPS = (team("admins"), team("devs"), team("nobody"))
MEMBERS = {"admins": ("ana", "ben"), "devs": ("cy",)}


def full(**overrides: Any) -> IdentityCenter:
    base: dict[str, Any] = {
        "sets": (ADMIN, READ, WILD, ESCALATE),
        "users": PEOPLE,
        "groups": GROUPS,
        "members": MEMBERS,
        "assignments": (
            to_group(ADMIN, "admins"),
            to_group(READ, "devs"),
            to_user(READ, "ana"),
        ),
    }
    base.update(overrides)
    return center(**base)


def snap(**overrides: Any) -> Snapshot:
    return sso_snapshot(full(**overrides))


def test_no_instance_passes_the_account() -> None:
    for rule_id in ("sso-admin-permission-set", "sso-long-session", "sso-group-empty"):
        (f,) = run(rule_id, snapshot())
        assert f.status is Status.PASS and f.resource_type == "account"


def test_admin_permission_set_names_where_and_how_many() -> None:
    got = by_name(run("sso-admin-permission-set", snap()))
    admin = got["Admin"]
    assert admin.status is Status.FAIL and admin.severity is Severity.MEDIUM
    assert "assigned in 1 account(s) (123456789012) to 2 person(s): ana, ben" in admin.message
    assert admin.details["people"] == ["ana", "ben"]
    assert got["Read"].status is Status.PASS


def test_admin_known_without_the_policy_in_the_snapshot() -> None:
    # AdministratorAccess is attached to no IAM principal here: its document is known anyway.
    got = by_name(run("sso-admin-permission-set", sso_snapshot(full(), policies=())))
    assert got["Admin"].status is Status.FAIL


def test_admin_not_assessed_when_a_policy_is_not_collected() -> None:
    other = pset("Power", managed=("arn:aws:iam::aws:policy/PowerUserAccess",))
    got = by_name(run("sso-admin-permission-set", snap(sets=(other,), assignments=())))
    assert got["Power"].status is Status.NOT_ASSESSED
    assert "PowerUserAccess" in got["Power"].message


def test_admin_unknown_boundary_is_said() -> None:
    unsure = pset("Admin", managed=(ADMIN_ARN,), boundary_unknown="sso:Get... not_supported")
    (f,) = [
        f
        for f in run("sso-admin-permission-set", snap(sets=(unsure,)))
        if f.resource_name == "Admin"
    ]
    assert f.status is Status.FAIL and "permissions boundary could not be read" in f.message


def test_direct_user_assignment() -> None:
    got = statuses(run("sso-direct-user-assignment", snap()))
    assert got["user ana -> Read in 123456789012"] is Status.FAIL
    assert got["group devs -> Read in 123456789012"] is Status.PASS


def test_inline_wildcard() -> None:
    got = by_name(run("sso-permission-set-inline-wildcard", snap()))
    assert got["Wild"].status is Status.FAIL
    assert got["Wild"].details["actions"] == ["s3:*", "*"]
    assert got["Read"].status is Status.PASS  # ec2:Describe* is not service-wide
    assert got["Admin"].status is Status.PASS  # no inline policy


def test_long_session_uses_the_threshold() -> None:
    long = pset("Long", session="PT12H")
    eight = pset("Eight", session="PT8H")
    unset = pset("Unset", session="")
    s = snap(sets=(long, eight, unset), assignments=())
    got = statuses(run("sso-long-session", s))
    assert got == {"Long": Status.FAIL, "Eight": Status.PASS, "Unset": Status.PASS}
    stricter = Settings(thresholds=Thresholds(sso_session_max_hours=4))
    assert statuses(run("sso-long-session", s, stricter))["Eight"] is Status.FAIL


def test_long_session_not_understood_is_not_assessed() -> None:
    odd = pset("Odd", session="P1D")
    (f,) = run("sso-long-session", snap(sets=(odd,), assignments=()))
    assert f.status is Status.NOT_ASSESSED


def test_escalation() -> None:
    got = by_name(run("sso-permission-set-escalation", snap()))
    assert got["Escalate"].status is Status.FAIL
    assert "iam:PassRole + ec2:RunInstances" in got["Escalate"].details["methods"]
    assert got["Read"].status is Status.PASS
    assert got["Admin"].status is Status.PASS  # admin already: sso-admin-permission-set


def test_escalation_not_assessed_with_unresolved_policy() -> None:
    other = pset("Power", managed=("arn:aws:iam::aws:policy/PowerUserAccess",))
    (f,) = run("sso-permission-set-escalation", snap(sets=(other,), assignments=()))
    assert f.status is Status.NOT_ASSESSED


def test_group_empty() -> None:
    s = snap(assignments=(to_group(ADMIN, "nobody"),))
    got = by_name(run("sso-group-empty", s))
    assert got["nobody"].status is Status.FAIL and got["nobody"].severity is Severity.LOW
    assert got["admins"].status is Status.PASS
    plain = by_name(run("sso-group-empty", snap(assignments=())))
    assert plain["nobody"].severity is Severity.INFO


def test_assignment_to_missing_principal() -> None:
    s = snap(
        assignments=(to_group(ADMIN, "deleted"), to_group(ADMIN, "admins"), to_user(READ, "ghost"))
    )
    got = statuses(run("sso-assignment-to-missing-principal", s))
    assert got["group g-deleted -> Admin in 123456789012"] is Status.FAIL
    assert got["user u-ghost -> Read in 123456789012"] is Status.FAIL
    assert got["group admins -> Admin in 123456789012"] is Status.PASS


def test_not_provisioned_and_outdated() -> None:
    fresh = pset("Fresh")
    stale = pset("Stale")
    unprovisioned = pset("Never", provisioned=())
    unknown = pset("Unknown")
    s = snap(
        sets=(fresh, stale, unprovisioned, unknown),
        assignments=tuple(to_group(p, "devs") for p in (fresh, stale, unprovisioned, unknown)),
        provisioning={
            ("Fresh", ACCOUNT_ID): ProvisioningState.CURRENT,
            ("Stale", ACCOUNT_ID): ProvisioningState.OUTDATED,
            ("Unknown", ACCOUNT_ID): ProvisioningState.UNKNOWN,
        },
    )
    got = statuses(run("sso-permission-set-not-provisioned", s))
    assert got == {
        f"Fresh in {ACCOUNT_ID}": Status.PASS,
        f"Stale in {ACCOUNT_ID}": Status.FAIL,
        f"Never in {ACCOUNT_ID}": Status.FAIL,
        f"Unknown in {ACCOUNT_ID}": Status.NOT_ASSESSED,
    }


def test_customer_policy_missing() -> None:
    refs = pset("Refs", customer=("Present", "Absent"), provisioned=(ACCOUNT_ID, OTHER_ACCOUNT))
    present = policy("Present", doc(allow("s3:GetObject")))
    s = sso_snapshot(
        center(sets=(refs,), assignments=(to_group(refs, "devs"),)), policies=(present,)
    )
    got = by_name(run("sso-customer-policy-missing", s))
    mine = got[f"Refs in {ACCOUNT_ID}"]
    assert mine.status is Status.FAIL and mine.details["missing"] == ["Absent"]
    other = got[f"Refs in {OTHER_ACCOUNT}"]
    assert other.status is Status.NOT_ASSESSED and "single-account run" in other.message
    both = policy("Absent", doc(allow("s3:PutObject")))
    fixed = sso_snapshot(center(sets=(refs,)), policies=(present, both))
    assert (
        by_name(run("sso-customer-policy-missing", fixed))[f"Refs in {ACCOUNT_ID}"].status
        is Status.PASS
    )


def test_customer_policy_resolves_into_the_effective_policy() -> None:
    refs = pset("Refs", customer=("Escalator",))
    esc = policy("Escalator", doc(allow(["iam:PassRole", "ec2:RunInstances"])))
    s = sso_snapshot(center(sets=(refs,)), policies=(esc,))
    (f,) = run("sso-permission-set-escalation", s)
    assert f.status is Status.FAIL
    (missing,) = run("sso-customer-policy-missing", without(s, PART_AUTHORIZATION))
    assert missing.status is Status.NOT_ASSESSED and "not collected" in missing.message


RULES_AND_PARTS = [
    ("sso-admin-permission-set", PART_IDENTITY_CENTER),
    ("sso-admin-permission-set", PART_IDENTITY_STORE),
    ("sso-direct-user-assignment", PART_IDENTITY_CENTER),
    ("sso-permission-set-inline-wildcard", PART_IDENTITY_CENTER),
    ("sso-long-session", PART_IDENTITY_CENTER),
    ("sso-permission-set-escalation", PART_IDENTITY_CENTER),
    ("sso-group-empty", PART_IDENTITY_STORE),
    ("sso-assignment-to-missing-principal", PART_IDENTITY_STORE),
    ("sso-permission-set-not-provisioned", PART_IDENTITY_CENTER),
    ("sso-customer-policy-missing", PART_IDENTITY_CENTER),
]


def test_each_rule_is_not_assessed_without_its_part() -> None:
    for rule_id, part in RULES_AND_PARTS:
        (f,) = run(rule_id, without(snap(), part))
        assert f.status is Status.NOT_ASSESSED, rule_id
        assert part in f.message
