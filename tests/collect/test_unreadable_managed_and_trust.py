"""A managed policy or a trust policy that is not JSON: that document is unreadable, not the part.

Both used to fail GetAccountAuthorizationDetails' normalisation as a whole (every authorization
rule not assessed for every principal). Like an unreadable inline policy
(test_unreadable_policies.py), only the verdicts that need the document are not assessed, for
the principals it reaches, with the reason naming it; everything else still judges.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from audit.collect import authorization
from audit.engine import evaluate
from audit.findings import Finding, Status
from audit.model import PART_AUTHORIZATION, PART_POLICY_DOCUMENTS, OutcomeStatus, Role
from audit.report.view_unused import build_unused_view
from audit.snapshot_io import snapshot_from_dict, snapshot_to_dict
from audit.workflow.access_items import GRANTS_ADMIN, KIND_TRUST, access_items
from tests.collect.conftest import REGION, collect
from tests.rules.builders import (
    ADMIN,
    T0,
    allow,
    by_name,
    doc,
    group,
    policy,
    role,
    run,
    snapshot,
    user,
)

ACCT = "123456789012"
NOT_JSON = "{Version: 2012-10-17, Statement: ["
WHY = "policy document is not JSON: Expecting property name enclosed in double quotes"
OPEN_TRUST = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})


def _policy_item(name: str, document: str, attachments: int = 1) -> dict[str, Any]:
    return {
        "PolicyName": name,
        "Arn": f"arn:aws:iam::{ACCT}:policy/{name}",
        "PolicyId": f"ANPA{name.upper()}",
        "DefaultVersionId": "v2",
        "AttachmentCount": attachments,
        "PolicyVersionList": [
            {"VersionId": "v2", "IsDefaultVersion": True, "Document": document},
            {"VersionId": "v1", "IsDefaultVersion": False, "Document": "{}"},
        ],
    }


def _role_item(name: str, trust: str) -> dict[str, Any]:
    return {
        "RoleName": name,
        "Arn": f"arn:aws:iam::{ACCT}:role/{name}",
        "RoleId": f"AROA{name.upper()}",
        "Path": "/",
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
    }


PAGES = [
    {
        "UserDetailList": [
            {
                "UserName": "ann",
                "Arn": f"arn:aws:iam::{ACCT}:user/ann",
                "AttachedManagedPolicies": [
                    {"PolicyName": "broken", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/broken"}
                ],
            }
        ],
        "RoleDetailList": [
            _role_item("ops", NOT_JSON),
            _role_item("ci", json.dumps(OPEN_TRUST)),
        ],
        "Policies": [
            _policy_item("broken", NOT_JSON),
            _policy_item("fine", json.dumps(doc(allow("s3:GetObject")))),
        ],
    }
]


def test_the_collector_marks_only_the_unreadable_documents() -> None:
    details = authorization.normalise(PAGES)
    policies = {p.name: p for p in details.policies}
    assert policies["broken"].document == {}
    assert policies["broken"].unreadable.startswith("policy document is not JSON: ")
    assert policies["fine"].unreadable == "" and policies["fine"].document["Statement"]
    roles = {r.name: r for r in details.roles}
    assert roles["ops"].assume_role_policy == {}
    assert roles["ops"].trust_unreadable.startswith("policy document is not JSON: ")
    assert roles["ci"].trust_unreadable == "" and roles["ci"].assume_role_policy == OPEN_TRUST
    assert [u.name for u in details.users] == ["ann"]
    [outcome] = authorization.unreadable_policies(details, "iam:GetAccountAuthorizationDetails")
    assert outcome.status is OutcomeStatus.ERROR and outcome.part == PART_POLICY_DOCUMENTS
    assert outcome.message.startswith("2 policy documents cannot be read: ")
    assert "managed policy broken (" in outcome.message
    assert "role ops: trust policy (" in outcome.message


def test_old_snapshots_without_the_fields_still_read() -> None:
    broken = replace(policy("broken", {}), unreadable=WHY)
    ops = replace(role("ops"), trust_unreadable=WHY)
    snap = snapshot(policies=(broken,), roles=(ops,))
    data = snapshot_to_dict(snap)
    assert snapshot_from_dict(data) == snap
    del data["policies"][0]["unreadable"]
    del data["roles"][0]["trust_unreadable"]
    old = snapshot_from_dict(data)
    assert old.policies[0].unreadable == "" and old.roles[0].trust_unreadable == ""


# --- the rules, on the shared snapshot factory -------------------------------------------------

BROKEN = replace(policy("broken", {}, attachments=3), unreadable=WHY)
FINE = policy("fine", doc(allow("s3:GetObject")))


def _policy_snapshot() -> Any:
    return snapshot(
        users=(
            user("ann", attached=(BROKEN,)),
            user("dan", groups=("devs",)),
            user("eve", attached=(FINE,)),
            user("root-ish", attached=(ADMIN,)),
        ),
        groups=(group("devs", attached=(BROKEN,)), group("nobody")),
        roles=(role("app", attached=(BROKEN,), last_used=T0),),
        policies=(ADMIN, BROKEN, FINE),
    )


def _status(findings: list[Finding]) -> dict[str, Status]:
    return {f.resource_name: f.status for f in findings}


def test_an_unreadable_managed_policy_is_not_judged_itself() -> None:
    snap = _policy_snapshot()
    for rule_id in ("policy-full-admin", "policy-service-wildcard", "policy-privilege-escalation"):
        got = by_name(run(rule_id, snap))
        assert got["broken"].status is Status.NOT_ASSESSED, rule_id
        assert got["broken"].message == f"Policy broken: document unreadable: {WHY}", rule_id
        assert got["fine"].status is Status.PASS, rule_id
    # Unused or not does not need the document.
    assert by_name(run("policy-unattached", snap))["broken"].status is Status.PASS


def test_its_principals_are_not_assessed_and_the_rest_judge() -> None:
    snap = _policy_snapshot()
    got = by_name(run("user-effective-admin", snap))
    assert got["ann"].status is Status.NOT_ASSESSED
    assert got["ann"].message == "ann: not collected: policy broken (unreadable)"
    assert got["dan"].status is Status.NOT_ASSESSED
    assert got["dan"].message == "dan: not collected: policy broken of group devs (unreadable)"
    assert got["eve"].status is Status.PASS
    assert got["root-ish"].status is Status.FAIL
    attached = by_name(run("admin-policy-attached", snap))
    for name in ("ann", "devs", "app"):
        assert attached[name].status is Status.NOT_ASSESSED, name
        assert "policy broken" in attached[name].message and WHY in attached[name].message
    assert attached["eve"].status is Status.PASS and attached["root-ish"].status is Status.FAIL
    escalation = _status(run("user-privilege-escalation", snap))
    assert escalation["ann"] is Status.NOT_ASSESSED and escalation["eve"] is Status.PASS
    assert _status(run("role-privilege-escalation", snap))["app"] is Status.NOT_ASSESSED
    assert _status(run("group-empty", snap)) == {"devs": Status.PASS, "nobody": Status.FAIL}


def test_an_unreadable_boundary_leaves_grants_unproven() -> None:
    snap = snapshot(
        users=(user("bea", attached=(ADMIN,), boundary=BROKEN.arn),),
        policies=(ADMIN, replace(BROKEN, attachment_count=0, permissions_boundary_usage_count=1)),
    )
    [bea] = run("user-effective-admin", snap)
    assert bea.status is Status.NOT_ASSESSED
    assert f"permissions boundary {BROKEN.arn} is unreadable" in bea.message


def _trust_snapshot() -> Any:
    ops = replace(role("ops", attached=(ADMIN,)), trust_unreadable=WHY)
    return snapshot(
        users=(user("eve", attached=(FINE,)), user("boss", attached=(ADMIN,))),
        roles=(ops, role("ci", trust=OPEN_TRUST), role("app", attached=(FINE,))),
        policies=(ADMIN, FINE),
    )


def test_an_unreadable_trust_policy_leaves_that_role_s_trust_rules_unjudged() -> None:
    snap = _trust_snapshot()
    anyone = by_name(run("role-trust-any-principal", snap))
    assert anyone["ops"].status is Status.NOT_ASSESSED
    assert anyone["ops"].message == f"Role ops: trust policy unreadable: {WHY}"
    assert anyone["ci"].status is Status.FAIL and anyone["app"].status is Status.PASS
    external = by_name(run("role-trust-external-account", snap))
    assert external["ops"].status is Status.NOT_ASSESSED and WHY in external["ops"].message
    assert external["app"].status is Status.PASS


def test_escalation_that_could_go_through_the_role_is_not_assessed() -> None:
    snap = _trust_snapshot()
    users = by_name(run("user-privilege-escalation", snap))
    # Whether ops (an administrator) admits eve is unknown: no path found is not "no path".
    assert users["eve"].status is Status.NOT_ASSESSED
    assert "role ops" in users["eve"].message and "trust policy is unreadable" in (
        users["eve"].message
    )
    assert users["boss"].status is Status.PASS  # an administrator already
    roles = by_name(run("role-privilege-escalation", snap))
    assert roles["ops"].status is Status.PASS  # its own trust says who becomes it, not what it can
    assert roles["app"].status is Status.NOT_ASSESSED
    # Without the unreadable trust, the same account judges.
    readable = replace(snap, roles=tuple(replace(r, trust_unreadable="") for r in snap.roles))
    assert by_name(run("user-privilege-escalation", readable))["eve"].status is Status.PASS


# --- through the collector, against moto ----------------------------------------------------


def _spoil_default_version(arn: str) -> None:
    # moto refuses a non-JSON document on CreatePolicy (AWS does too): garble the stored one,
    # as a damaged reply would deliver it.
    stored = iam_backends[DEFAULT_ACCOUNT_ID]["global"].managed_policies[arn]
    for version in stored.versions:
        version.document = NOT_JSON


@pytest.mark.usefixtures("moto_account")
def test_collected_the_part_is_kept_and_only_the_documents_fail() -> None:
    iam = boto3.client("iam", region_name=REGION)
    arn = iam.create_policy(PolicyName="broken", PolicyDocument=json.dumps(doc(allow("s3:*"))))[
        "Policy"
    ]["Arn"]
    _spoil_default_version(arn)
    iam.create_user(UserName="ann")
    iam.attach_user_policy(UserName="ann", PolicyArn=arn)
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=NOT_JSON)  # moto stores it as is
    snap = collect(boto3.session.Session())
    assert snap.has_part(PART_AUTHORIZATION)
    [gap] = [o for o in snap.outcomes if o.part == PART_POLICY_DOCUMENTS]
    assert gap in snap.failed_outcomes  # -> exit 3
    assert "managed policy broken" in gap.message and "role ops: trust policy" in gap.message
    [ops] = [r for r in snap.roles if r.name == "ops"]
    assert isinstance(ops, Role) and ops.trust_unreadable
    findings = evaluate(snap).findings

    def status(rule_id: str, name: str) -> Status:
        [f] = [f for f in findings if f.rule_id == rule_id and f.resource_name == name]
        return f.status

    assert status("policy-full-admin", "broken") is Status.NOT_ASSESSED
    assert status("user-effective-admin", "ann") is Status.NOT_ASSESSED
    assert status("user-effective-admin", "alice") is Status.PASS
    assert status("role-trust-any-principal", "ops") is Status.NOT_ASSESSED
    assert status("role-trust-any-principal", "app") is Status.PASS
    assert status("user-not-in-group", "ann") is Status.FAIL


def test_the_access_review_and_unused_view_say_the_trust_is_unknown() -> None:
    snap = _trust_snapshot()
    trust_items = [i for i in access_items(snap, ()) if i.kind == KIND_TRUST]
    assert [(i.principal, i.item) for i in trust_items] == [
        ("ops", "trust policy unreadable: who may assume it is unknown")
    ]
    assert trust_items[0].grants == GRANTS_ADMIN
    view = build_unused_view(snap, evaluate(snap, as_of=T0))
    [ops] = [r for r in view.roles if r.name == "ops"]
    assert ops.trust == f"unreadable: {WHY}"
