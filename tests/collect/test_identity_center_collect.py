"""Identity Center collection against moto: the demo's planting, denial, no instance, HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from audit.collect import identity_center
from audit.collect.demo_identity_center import PlantedCenter, plant_identity_center
from audit.engine import evaluate
from audit.findings import Status
from audit.model import OutcomeStatus, Snapshot
from audit.model_sso import (
    PART_IDENTITY_CENTER,
    PART_IDENTITY_CENTER_BOUNDARIES,
    PART_IDENTITY_STORE,
    IdentityCenterInstance,
)
from tests.collect.conftest import ACCOUNT, REGION, collect, inject_error
from tests.collect.test_collect_server import endpoint  # noqa: F401 - the fixture

SSO_PARTS = (PART_IDENTITY_CENTER, PART_IDENTITY_STORE, PART_IDENTITY_CENTER_BOUNDARIES)


@pytest.fixture
def planted(aws_env: None) -> Iterator[PlantedCenter]:
    with mock_aws():
        yield plant_identity_center((ACCOUNT,), REGION)


def _outcome(snap: Snapshot, api: str) -> OutcomeStatus:
    (o,) = [o for o in snap.outcomes if o.api == api]
    return o.status


def test_collects_the_planted_center(planted: PlantedCenter) -> None:
    snap = collect()
    c = snap.identity_center
    assert c is not None
    assert c.instance.arn == planted.instance_arn and c.instance.owner_account_id == ACCOUNT
    sets = {p.name: p for p in c.permission_sets}
    assert set(sets) == set(planted.permission_sets)
    dev = sets["DeveloperAccess"]
    assert dev.session_duration == "PT12H" and dev.session_seconds == 12 * 3600
    assert (
        dev.inline_policy is not None
        and dev.inline_policy["Statement"][1]["Action"] == "iam:PassRole"
    )
    assert sets["AdministratorAccess"].managed_policy_arns == (
        "arn:aws:iam::aws:policy/AdministratorAccess",
    )
    assert [r.name for r in sets["FinanceReports"].customer_policies] == ["FinanceReportsAccess"]
    assert sets["FinanceReports"].provisioned_accounts == ()
    assert sets["ReadOnly"].provisioned_accounts == (ACCOUNT,)
    # moto lacks GetPermissionsBoundaryForPermissionSet: said per set, and not a run failure.
    assert "not_supported" in dev.boundary_unknown
    assert _outcome(snap, identity_center.GET_BOUNDARY) is OutcomeStatus.NOT_SUPPORTED
    assert not [o for o in snap.failed_outcomes if o.part in SSO_PARTS]
    assert {u.user_name for u in c.users} == set(planted.users)
    ana = next(u for u in c.users if u.user_name == "ana.lopez")
    assert ana.emails == ("ana.lopez@example.com",) and ana.display_name == "Ana Lopez"
    assert {g.display_name for g in c.groups} == {
        "PlatformAdmins",
        "Developers",
        "Auditors",
        "BreakGlass",
    }
    assert len(c.memberships) == 6
    assert len(c.assignments) == 7
    assert c.accounts_listed == (ACCOUNT,)


def test_calls_grow_with_sets_and_accounts_not_users(planted: PlantedCenter) -> None:
    snap = collect()
    calls = {o.api: o.calls for o in snap.outcomes if o.part in SSO_PARTS}
    sets, accounts, groups = 4, 1, 4
    assert calls[identity_center.DESCRIBE_PERMISSION_SET] == sets
    assert calls[identity_center.LIST_ASSIGNMENTS] == sets * accounts
    assert calls[identity_center.LIST_PROVISIONED_SETS] == 2 * accounts
    assert calls[identity_center.LIST_MEMBERSHIPS] == groups
    assert calls[identity_center.LIST_USERS] == 1
    # moto lacks the boundary API: asked once, not once per set (AWS answers it: 6 P).
    assert calls[identity_center.GET_BOUNDARY] == 1
    assert sum(calls.values()) == 2 + 5 * sets + 1 + sets * accounts + 2 * accounts + 2 + groups


def test_every_sso_rule_fails_somewhere_on_the_demo_planting(planted: PlantedCenter) -> None:
    findings = evaluate(collect()).findings
    failing = {f.rule_id for f in findings if f.status is Status.FAIL}
    sso_rules = {f.rule_id for f in findings if f.rule_id.startswith("sso-")}
    assert len(sso_rules) == 9
    assert failing >= sso_rules


@pytest.mark.usefixtures("aws_env")
def test_access_denied_from_a_member_account() -> None:
    with mock_aws():
        session = boto3.session.Session()
        inject_error(session, "sso-admin", "ListInstances", "AccessDeniedException")
        snap = collect(session)
    assert snap.identity_center is None
    for part in SSO_PARTS:
        (gap,) = snap.part_gaps(part)
        assert gap.status is OutcomeStatus.ACCESS_DENIED
        assert "AccessDeniedException" in gap.message
    findings = [f for f in evaluate(snap).findings if f.rule_id.startswith("sso-")]
    assert findings and all(f.status is Status.NOT_ASSESSED for f in findings)
    assert "sso:ListInstances access_denied" in findings[0].message


def test_an_instance_owned_elsewhere_is_not_collected() -> None:
    other = IdentityCenterInstance("arn:aws:sso:::instance/ssoins-x", "d-x", "999999999999")
    mine = IdentityCenterInstance("arn:aws:sso:::instance/ssoins-y", "d-y", ACCOUNT)
    assert identity_center.choose_instance([other], ACCOUNT) is None
    assert identity_center.choose_instance([other, mine], ACCOUNT) == mine


@pytest.mark.server
@pytest.mark.usefixtures("no_backoff")
def test_over_http_the_missing_boundary_api_is_asked_once(endpoint: str) -> None:  # noqa: F811
    sso = boto3.client("sso-admin", region_name=REGION, endpoint_url=endpoint)
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    for name in ("One", "Two", "Three"):
        sso.create_permission_set(InstanceArn=instance, Name=name)
    snap = collect(endpoint_url=endpoint, max_attempts=2)
    # moto's server answers 500 (a server error, retried): one set asked, the others not.
    (boundary,) = [o for o in snap.outcomes if o.api == identity_center.GET_BOUNDARY]
    assert boundary.status is OutcomeStatus.ERROR and boundary.calls == 1
    assert boundary.message.endswith("not asked again for the other 2 set(s)")
    assert snap.identity_center is not None
    assert all(p.boundary_unknown for p in snap.identity_center.permission_sets)
    # The boundary has its own part: the sso-* rules still judge.
    assert snap.has_part(PART_IDENTITY_CENTER)


def test_member_accounts_widen_where_assignments_are_listed(planted: PlantedCenter) -> None:
    sso = boto3.client("sso-admin", region_name=REGION)
    sso.create_account_assignment(
        InstanceArn=planted.instance_arn,
        TargetId="222222222222",
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=planted.permission_sets["ReadOnly"],
        PrincipalType="USER",
        PrincipalId=planted.users["ben.okafor"],
    )
    # Not provisioned there (moto provisions only to the caller): unseen without the list.
    alone = collect().identity_center
    assert alone is not None and "222222222222" not in {a.account_id for a in alone.assignments}
    wide = collect(sso_accounts=("222222222222",)).identity_center
    assert wide is not None and wide.accounts_listed == (ACCOUNT, "222222222222")
    assert "222222222222" in {a.account_id for a in wide.assignments}
