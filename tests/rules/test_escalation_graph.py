"""Privilege escalation on the principal graph: every edge type, every precision rule.

Each case is a small account built by hand; a positive and a negative side each. The
escalating principal is always named ``me``; ``ADMIN`` is AdministratorAccess.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from audit.engine import evaluate
from audit.findings import Finding, Severity, Status
from audit.model import PART_AUTHORIZATION, Role, Snapshot, User
from audit.permissions.analysis import AccessAnalysis
from audit.permissions.conditions import NO, YES, Answer
from audit.permissions.evaluate import PolicyIndex
from audit.permissions.graph import Node
from audit.permissions.methods import (
    EXISTING_COMPUTE_METHODS,
    PASS_ROLE_METHODS,
    ComputeMethod,
)
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import (
    ADMIN,
    T0,
    allow,
    arn,
    deny,
    doc,
    group,
    policy,
    report,
    snapshot,
    user,
    without,
)
from tests.fixtures.snapshots import role as make_role
from tests.rules.builders import by_name, run

ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"


def trust_service(service: str) -> dict[str, Any]:
    """A trust statement admitting an AWS service (``ec2`` -> ec2.amazonaws.com)."""
    principal = service if "." in service else f"{service}.amazonaws.com"
    return {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}


def trust_aws(principal: str | list[str], **extra: Any) -> dict[str, Any]:
    """A trust statement admitting AWS principals (an ARN, the account root, ``*``)."""
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **extra}


def role(name: str, *trust: dict[str, Any], **kw: Any) -> Role:
    return make_role(name, trust=doc(*trust), **kw)


USER_RULE = "user-privilege-escalation"
ROLE_RULE = "role-privilege-escalation"
POLICY_RULE = "policy-privilege-escalation"
S3_READ = policy("S3Read", doc(allow(["s3:GetObject", "s3:ListBucket"])))


def account(*principals: User | Role, **parts: Any) -> Snapshot:
    users = tuple(p for p in principals if isinstance(p, User))
    roles = tuple(p for p in principals if isinstance(p, Role))
    extra = parts.pop("policies", ())
    return snapshot(users=users, roles=roles, policies=(ADMIN, S3_READ, *extra), **parts)


def me(*statements: dict[str, Any], **kw: Any) -> User:
    return user("me", inline={"mine": doc(*statements)}, **kw)


def verdict(snap: Snapshot, name: str = "me", rule_id: str = USER_RULE) -> Finding:
    return by_name(run(rule_id, snap))[name]


def escalates(snap: Snapshot, name: str = "me", rule_id: str = USER_RULE) -> bool:
    return verdict(snap, name, rule_id).status is Status.FAIL


def plainly_escalates(snap: Snapshot, name: str = "me") -> bool:
    got = verdict(snap, name)
    return got.status is Status.FAIL and not got.details["conditional"]


def admin_role(name: str, *trust: dict[str, Any]) -> Role:
    return role(name, *trust, attached=(ADMIN,))


# --- assume -------------------------------------------------------------------------------


def test_assume_through_the_account_needs_the_callers_own_permission() -> None:
    target = admin_role("boss", trust_aws(ROOT))
    yes = verdict(account(me(allow("sts:AssumeRole", arn("role", "boss"))), target))
    assert yes.status is Status.FAIL and yes.severity is Severity.HIGH
    assert yes.message == (
        "me can escalate privileges: me -[sts:AssumeRole]-> role boss "
        "-[can do * on * via policy AdministratorAccess]."
    )
    assert yes.details["to_admin"] is True and yes.details["hops"] == 1
    assert not escalates(account(me(allow("s3:GetObject")), target))


def test_assume_when_the_trust_names_the_caller() -> None:
    target = admin_role("boss", trust_aws(arn("user", "me")))
    assert escalates(account(me(allow("s3:GetObject")), target))  # no identity grant needed
    denied = me(allow("s3:GetObject"), deny("sts:AssumeRole"))
    assert not escalates(account(denied, target))  # an explicit Deny still wins
    other = admin_role("boss", trust_aws(arn("user", "someone-else")))
    assert not escalates(account(me(allow("sts:*")), other))


def test_trust_condition_on_the_caller_is_decided() -> None:
    cond = {"StringEquals": {"aws:PrincipalTag/team": "ops"}}
    target = admin_role("boss", trust_aws(ROOT, Condition=cond))
    ops = replace(me(allow("sts:AssumeRole")), tags={"team": "ops"})
    dev = replace(me(allow("sts:AssumeRole")), tags={"team": "dev"})
    assert escalates(account(ops, target))
    assert not escalates(account(dev, target))


def test_update_trust_policy_then_assume() -> None:
    target = admin_role("boss", trust_service("ec2"))
    assert escalates(account(me(allow("iam:UpdateAssumeRolePolicy", arn("role", "boss"))), target))
    other = me(allow("iam:UpdateAssumeRolePolicy", arn("role", "other")))
    assert not escalates(account(other, target))


def test_three_hop_chain_is_reported_step_by_step() -> None:
    one = role("one", trust_aws(ROOT), inline={"p": doc(allow("sts:AssumeRole"))})
    two = role("two", trust_aws(arn("role", "one")), inline={"p": doc(allow("sts:AssumeRole"))})
    three = admin_role("three", trust_aws(arn("role", "two")))
    got = verdict(account(me(allow("sts:AssumeRole", arn("role", "one"))), one, two, three))
    assert got.status is Status.FAIL and got.details["hops"] == 3
    assert [s["to"] for s in got.details["steps"]] == [
        "role one",
        "role two",
        "role three",
        "administrator",
    ]
    assert "-]-> role one" not in got.message and "-> role three -[can do * on *" in got.message


def test_a_cycle_of_trust_terminates() -> None:
    one = role("one", trust_aws(arn("role", "two")), inline={"p": doc(allow("sts:AssumeRole"))})
    two = role("two", trust_aws(arn("role", "one")), inline={"p": doc(allow("sts:AssumeRole"))})
    snap = account(one, two)
    # Each can become the other, and the other has exactly the same grant: nothing to gain.
    assert not escalates(snap, "one", ROLE_RULE)
    assert not escalates(snap, "two", ROLE_RULE)


def test_reaching_more_but_not_admin_is_medium() -> None:
    target = role("data", trust_aws(arn("user", "me")), inline={"p": doc(allow("s3:*"))})
    got = verdict(account(me(allow("s3:GetObject")), target))
    assert got.status is Status.FAIL and got.severity is Severity.MEDIUM
    assert got.details["to_admin"] is False and "s3:* on *" in got.message
    same = role("data", trust_aws(arn("user", "me")), inline={"p": doc(allow("s3:GetObject"))})
    assert not escalates(account(me(allow("s3:*")), same))  # the role has less than me


# --- pass a role to new compute ------------------------------------------------------------


@pytest.mark.parametrize("method", PASS_ROLE_METHODS, ids=lambda m: m.name)
def test_each_pass_role_method(method) -> None:  # type: ignore[no-untyped-def]
    target = admin_role("worker", trust_service(method.services[0]))
    full = account(me(allow(["iam:PassRole", *method.actions])), target)
    got = verdict(full)
    assert got.status is Status.FAIL and got.details["to_admin"] is True
    assert f"iam:PassRole + {method.name}" in got.message
    # Without one of the actions, or without PassRole, no plain path is left (some actions
    # alone still reach existing compute, which is only conditional).
    missing = account(me(allow(["iam:PassRole", *method.actions[:-1]])), target)
    assert not plainly_escalates(missing)
    no_pass = account(me(allow(list(method.actions))), target)
    assert not plainly_escalates(no_pass)


def test_pass_role_needs_the_role_to_trust_that_service() -> None:
    lam = admin_role("worker", trust_service("lambda"))
    assert not escalates(account(me(allow(["iam:PassRole", "ec2:RunInstances"])), lam))


def test_passed_to_service_condition_is_honoured() -> None:
    target = admin_role("worker", trust_service("ec2"))
    only = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    wrong = me(allow("iam:PassRole", Condition=only), allow("ec2:RunInstances"))
    assert not escalates(account(wrong, target))
    right = {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    ok = me(allow("iam:PassRole", Condition=right), allow("ec2:RunInstances"))
    got = verdict(account(ok, target))
    assert got.status is Status.FAIL and got.severity is Severity.HIGH  # decided: plain


def test_pass_role_limited_by_resource_reaches_only_those_roles() -> None:
    app = admin_role("app-admin", trust_service("ec2"))
    harmless = role("app-web", trust_service("ec2"), attached=(S3_READ,))
    ops = admin_role("ops-admin", trust_service("ec2"))
    scoped = me(allow("iam:PassRole", arn("role", "app-*")), allow(["ec2:RunInstances", "s3:*"]))
    got = verdict(account(scoped, app, ops))
    assert got.status is Status.FAIL and "role app-admin" in got.message
    # Only a harmless app role (nothing I lack) matches: the admin role is out of reach.
    assert not escalates(account(scoped, harmless, ops, policies=()))


# --- reach compute that already runs as a role ----------------------------------------------


@pytest.mark.parametrize("method", EXISTING_COMPUTE_METHODS, ids=lambda m: m.name)
def test_each_existing_compute_method_is_conditional(method) -> None:  # type: ignore[no-untyped-def]
    target = admin_role("worker", trust_service(method.services[0]))
    got = verdict(account(me(allow(list(method.actions))), target))
    assert got.status is Status.FAIL and got.severity is Severity.MEDIUM
    assert any("resources are not collected" in r for r in got.details["conditional"])
    nobody = admin_role("worker", trust_service("some-other-service"))
    assert not escalates(account(me(allow(list(method.actions))), nobody))


# --- the pathfinding.cloud paths modelled since the first version ---------------------------

# Each path's catalogue facts: the service its role must trust, and whether the caller passes
# the role (new-passrole) or reaches compute already running as it (existing-passrole).
NEW, EXISTING = True, False
CATALOGUE_PATHS = {
    "batch-002": ("ecs-tasks", EXISTING),
    "batch-003": ("ecs-tasks", NEW),
    "bedrock-004": ("bedrock-agentcore", EXISTING),
    "bedrock-005": ("bedrock-agentcore", NEW),
    "bedrock-006": ("bedrock-agentcore", NEW),
    "bedrock-007": ("bedrock-agentcore", EXISTING),
    "braket-001": ("braket", NEW),
    "codedeploy-001": ("ec2", EXISTING),
    "cognitoidentity-001": ("cognito-identity", NEW),
    "emrserverless-001": ("emr-serverless", NEW),
    "gamelift-001": ("ec2", NEW),
    "imagebuilder-001": ("ec2", NEW),
    "kinesisanalytics-001": ("kinesisanalytics", NEW),
    "omics-001": ("omics", NEW),
    "ssm-003": ("ssm", NEW),
}
COGNITO = "cognito-identity.amazonaws.com"


def modelled(path_id: str) -> tuple[ComputeMethod, bool, str]:
    """The method carrying a catalogue id, in the family the catalogue puts it in, with the
    service principal the catalogue says its role trusts."""
    service, passes = CATALOGUE_PATHS[path_id]
    family = PASS_ROLE_METHODS if passes else EXISTING_COMPUTE_METHODS
    found = [m for m in family if path_id in m.catalogue_ids]
    assert len(found) == 1, f"{path_id}: {len(found)} methods in its family"
    return found[0], passes, f"{service}.amazonaws.com"


def trusting(service: str) -> dict[str, Any]:
    """How a role trusts the service in real accounts: Cognito hands a role to an identity
    pool's users as a web identity, the others assume it as a service."""
    if service == COGNITO:
        pool = {"StringEquals": {f"{COGNITO}:aud": "eu-west-1:pool"}}
        return {
            "Effect": "Allow",
            "Principal": {"Federated": COGNITO},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": pool,
        }
    return trust_service(service)


def needed(method: ComputeMethod, passes: bool) -> list[str]:
    return ["iam:PassRole", *method.actions] if passes else list(method.actions)


def catalogue_ids(got: Finding) -> set[str]:
    return {i for step in got.details.get("steps", ()) for i in step["catalogue_ids"]}


def another_fits(method: ComputeMethod, actions: list[str], service: str) -> bool:
    """Does some other method still fit these actions and a role trusting ``service``?"""
    held = {a.lower() for a in actions}
    families = [EXISTING_COMPUTE_METHODS]
    if "iam:passrole" in held:
        families.append(PASS_ROLE_METHODS)
    return any(
        m is not method and m.lowered <= held and service in m.services
        for family in families
        for m in family
    )


@pytest.mark.parametrize("path_id", CATALOGUE_PATHS)
def test_catalogue_path_reaches_an_admin_role(path_id: str) -> None:
    method, passes, service = modelled(path_id)
    target = admin_role("worker", trusting(service))
    got = verdict(account(me(allow(needed(method, passes))), target))
    assert got.status is Status.FAIL and got.details["to_admin"] is True
    first = got.details["steps"][0]
    assert first["to"] == "role worker" and path_id in first["catalogue_ids"]
    assert first["kind"] == ("pass-role" if passes else "existing-compute")
    plain = passes and not method.needs
    assert got.severity is (Severity.HIGH if plain else Severity.MEDIUM)
    if not plain:
        assert any("resources are not collected" in r for r in got.details["conditional"])


@pytest.mark.parametrize("path_id", CATALOGUE_PATHS)
def test_catalogue_path_needs_every_action(path_id: str) -> None:
    method, passes, service = modelled(path_id)
    target = admin_role("worker", trusting(service))
    for dropped in needed(method, passes):
        rest = [a for a in needed(method, passes) if a != dropped]
        got = verdict(account(me(allow(rest)), target))
        assert path_id not in catalogue_ids(got), dropped
        if not another_fits(method, rest, service):
            assert got.status is Status.PASS, (dropped, got.message)


@pytest.mark.parametrize("path_id", CATALOGUE_PATHS)
def test_catalogue_path_needs_a_role_trusting_the_service(path_id: str) -> None:
    method, passes, _service = modelled(path_id)
    elsewhere = admin_role("worker", trust_service("some-other-service"))
    got = verdict(account(me(allow(needed(method, passes))), elsewhere))
    assert got.status is Status.PASS, got.message


def test_cognito_needs_a_web_identity_trust_of_cognito() -> None:
    passer = me(allow(["iam:PassRole", "cognito-identity:SetIdentityPoolRoles"]))
    github = {
        "Effect": "Allow",
        "Principal": {"Federated": arn("oidc-provider", "token.actions.githubusercontent.com")},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    assert not escalates(account(passer, admin_role("ci", github)))
    got = verdict(account(passer, admin_role("app-unauth", trusting(COGNITO))))
    assert got.status is Status.FAIL and got.severity is Severity.MEDIUM
    assert got.details["conditional"] == [
        "assumes an identity pool that admits unauthenticated identities exists "
        "(resources are not collected)"
    ]


@pytest.mark.parametrize("family", [PASS_ROLE_METHODS, EXISTING_COMPUTE_METHODS])
def test_a_method_building_on_another_comes_first(family: tuple[ComputeMethod, ...]) -> None:
    # The graph keeps the first edge to a role: a superset listed after its subset would
    # never be the one reported (batch-003 would always read as batch-001).
    for i, later in enumerate(family):
        for earlier in family[:i]:
            assert not earlier.lowered < later.lowered, (earlier.name, later.name)


# --- credentials of another user ----------------------------------------------------------


def test_access_key_for_an_admin_user() -> None:
    boss = user("boss", attached=(ADMIN,))
    got = verdict(account(me(allow("iam:CreateAccessKey")), boss))
    assert got.status is Status.FAIL and "-[iam:CreateAccessKey]-> user boss" in got.message
    own = me(allow("iam:CreateAccessKey", arn("user", "${aws:username}")))
    assert not escalates(account(own, boss))


def test_passwords_follow_the_credential_report() -> None:
    boss = user("boss", attached=(ADMIN,))
    rows = report(
        {"user": "<root_account>"},
        {"user": "me"},
        {"user": "boss", "password_enabled": "true", "mfa_active": "false"},
    )
    create = account(me(allow("iam:CreateLoginProfile")), boss, credential_report=rows)
    assert not escalates(create)  # boss has a password: CreateLoginProfile fails
    update = account(me(allow("iam:UpdateLoginProfile")), boss, credential_report=rows)
    assert escalates(update)
    mfa = report({"user": "boss", "password_enabled": "true", "mfa_active": "true"})
    guarded = account(me(allow("iam:UpdateLoginProfile")), boss, credential_report=mfa)
    assert not escalates(guarded)  # the console asks for boss's MFA device as well


# --- modify a principal -------------------------------------------------------------------


def test_attach_a_policy_to_yourself() -> None:
    got = verdict(account(me(allow("iam:AttachUserPolicy", arn("user", "${aws:username}")))))
    assert got.status is Status.FAIL
    assert "iam:AttachUserPolicy on itself" in got.message and got.details["to_admin"]
    assert not escalates(account(me(allow("iam:AttachUserPolicy", arn("user", "other")))))


def test_modify_another_user_needs_a_way_to_act_as_them() -> None:
    other = user("other")
    attach_only = me(allow("iam:AttachUserPolicy", arn("user", "other")))
    assert not escalates(account(attach_only, other))
    both = me(allow(["iam:AttachUserPolicy", "iam:CreateAccessKey"], arn("user", "other")))
    got = verdict(account(both, other))
    assert got.status is Status.FAIL
    assert "iam:CreateAccessKey + iam:AttachUserPolicy" in got.message


def test_policies_on_your_own_group() -> None:
    team = group("team", attached=(S3_READ,))
    mine = user("me", groups=("team",), inline={"p": doc(allow("iam:PutGroupPolicy"))})
    assert escalates(account(mine, groups=(team,)))
    other = user("me", inline={"p": doc(allow("iam:PutGroupPolicy", arn("group", "team")))})
    assert not escalates(account(other, groups=(team,)))


def test_add_yourself_to_a_group_with_more() -> None:
    admins = group("admins", attached=(ADMIN,))
    readers = group("readers", attached=(S3_READ,))
    to_admins = me(allow("iam:AddUserToGroup", arn("group", "admins")), allow("s3:*"))
    assert escalates(account(to_admins, groups=(admins, readers)))
    to_readers = me(allow("iam:AddUserToGroup", arn("group", "readers")), allow("s3:*"))
    assert not escalates(account(to_readers, groups=(admins, readers)))


def test_new_version_of_a_customer_policy_you_hold() -> None:
    team = policy("team-dev", doc(allow("s3:GetObject")))
    mine = user(
        "me",
        attached=(team,),
        inline={"p": doc(allow("iam:CreatePolicyVersion", arn("policy", "team-*")))},
    )
    assert escalates(account(mine, policies=(team,)))
    # The matching policy is held only by a role nobody here can reach: nothing to gain.
    holder = role("far", trust_service("ec2"), attached=(team,))
    alone = user("me", inline={"p": doc(allow("iam:CreatePolicyVersion", arn("policy", "team-*")))})
    assert not escalates(account(alone, holder, policies=(team,)))


def test_aws_managed_policies_cannot_be_rewritten() -> None:
    managed = policy("ReadOnlyish", doc(allow("s3:GetObject")), aws=True)
    mine = user(
        "me",
        attached=(managed,),
        inline={"p": doc(allow("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/*"))},
    )
    assert not escalates(account(mine, policies=(managed,)))


def test_set_default_version_is_conditional() -> None:
    team = policy("team-dev", doc(allow("s3:GetObject")))
    mine = user("me", attached=(team,), inline={"p": doc(allow("iam:SetDefaultPolicyVersion"))})
    got = verdict(account(mine, policies=(team,)))
    assert got.status is Status.FAIL and got.severity is Severity.MEDIUM
    assert any("versions are not collected" in r for r in got.details["conditional"])


def test_removing_your_boundary() -> None:
    bound = policy("Bound", doc(allow("s3:GetObject")), attachments=0)
    strong = user(
        "me",
        attached=(ADMIN,),
        boundary=bound.arn,
        inline={"p": doc(allow("iam:DeleteUserPermissionsBoundary"))},
    )
    snap = account(strong, policies=(bound,))
    got = verdict(snap)
    # The boundary blocks the Delete action itself: the escalation is not possible.
    assert got.status is Status.PASS
    open_bound = policy("Bound", doc(allow(["s3:GetObject", "iam:Delete*"])), attachments=0)
    snap = account(strong, policies=(open_bound,))
    got = verdict(snap)
    assert got.status is Status.FAIL and "without its permissions boundary" in got.message


def test_role_that_can_attach_policies_to_itself() -> None:
    app = role("app", trust_service("ec2"), inline={"p": doc(allow("iam:AttachRolePolicy"))})
    got = verdict(account(app), "app", ROLE_RULE)
    assert got.status is Status.FAIL and "role app" in got.message
    scoped = role(
        "app",
        trust_service("ec2"),
        inline={"p": doc(allow("iam:AttachRolePolicy", arn("role", "other-*")))},
    )
    assert not escalates(account(scoped), "app", ROLE_RULE)


def test_attach_to_a_role_then_assume_it() -> None:
    plain = role("plain", trust_aws(ROOT))
    both = me(allow(["iam:AttachRolePolicy", "sts:AssumeRole"], arn("role", "plain")))
    got = verdict(account(both, plain))
    assert got.status is Status.FAIL and "iam:AttachRolePolicy" in got.message
    attach_only = me(allow("iam:AttachRolePolicy", arn("role", "plain")))
    assert not escalates(account(attach_only, plain))


# --- conditions, denies, boundaries --------------------------------------------------------


def test_date_conditions_against_the_as_of_time() -> None:
    target = user("boss", attached=(ADMIN,))
    past = {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    assert not escalates(account(me(allow("iam:CreateAccessKey", Condition=past)), target))
    since = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    got = verdict(account(me(allow("iam:CreateAccessKey", Condition=since)), target))
    assert got.status is Status.FAIL and got.severity is Severity.HIGH
    old_token = {"DateLessThan": {"aws:TokenIssueTime": "2019-06-01T00:00:00Z"}}
    assert not escalates(account(me(allow("iam:CreateAccessKey", Condition=old_token)), target))


def test_conditions_on_the_caller_are_decided() -> None:
    target = user("boss", attached=(ADMIN,))
    by_name_cond = {"StringEquals": {"aws:username": "me"}}
    assert escalates(account(me(allow("iam:CreateAccessKey", Condition=by_name_cond)), target))
    other = {"StringEquals": {"aws:username": "someone"}}
    assert not escalates(account(me(allow("iam:CreateAccessKey", Condition=other)), target))
    by_arn = {"ArnLike": {"aws:PrincipalArn": arn("user", "m*")}}
    assert escalates(account(me(allow("iam:CreateAccessKey", Condition=by_arn)), target))
    roles_only = {"ArnLike": {"aws:PrincipalArn": arn("role", "*")}}
    assert not escalates(account(me(allow("iam:CreateAccessKey", Condition=roles_only)), target))


def test_mfa_and_unknown_conditions_keep_the_edge_as_conditional() -> None:
    target = user("boss", attached=(ADMIN,))
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    got = verdict(account(me(allow("iam:CreateAccessKey", Condition=mfa)), target))
    assert got.status is Status.FAIL and got.severity is Severity.MEDIUM
    assert got.details["conditional"] == ["needs MFA"]
    ip = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    got = verdict(account(me(allow("iam:CreateAccessKey", Condition=ip)), target))
    assert got.status is Status.FAIL and got.severity is Severity.MEDIUM
    force_mfa = deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
    got = verdict(account(me(allow("iam:CreateAccessKey"), force_mfa), target))
    assert got.status is Status.FAIL and got.severity is Severity.MEDIUM
    assert "needs MFA" in got.message


def test_boundary_cuts_edges() -> None:
    bound = policy("S3Only", doc(allow("s3:*")), attachments=0)
    capped = me(allow("iam:*"), boundary=bound.arn)
    assert not escalates(account(capped, user("boss", attached=(ADMIN,)), policies=(bound,)))


def test_scp_hook_cuts_edges() -> None:
    snap = account(me(allow("iam:CreateAccessKey")), user("boss", attached=(ADMIN,)))

    def no_keys(action: str, resource: str | None) -> Answer:
        return NO if action.lower() == "iam:createaccesskey" else YES

    assert AccessAnalysis(snap, T0).graph.escalation(Node("user", "me")) is not None
    assert AccessAnalysis(snap, T0, no_keys).graph.escalation(Node("user", "me")) is None


def test_must_not_flag() -> None:
    boss = user("boss", attached=(ADMIN,))
    harmless = role("app-web", trust_service("ec2"), attached=(S3_READ,))
    cases = {
        "deny-iam": me(allow("*"), deny("iam:*")),
        "managed-only": me(allow("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/*")),
        "impossible-date": me(
            allow("iam:*", Condition={"DateLessThan": {"aws:CurrentTime": "2019-01-01T00:00:00Z"}})
        ),
        "self-only": me(
            allow(
                ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
                arn("user", "${aws:username}"),
            )
        ),
        "harmless-pass": me(
            allow("iam:PassRole", arn("role", "app-web")), allow(["ec2:RunInstances", "s3:*"])
        ),
    }
    for name, principal in cases.items():
        snap = account(principal, boss, harmless)
        got = verdict(snap)
        assert got.status is Status.PASS, (name, got.message)


# --- the three rules: pass, fail, not assessed ----------------------------------------------


def test_rules_are_not_assessed_without_authorization_details() -> None:
    snap = without(account(me(allow("s3:GetObject"))), PART_AUTHORIZATION)
    for rule_id in (USER_RULE, ROLE_RULE, POLICY_RULE):
        (finding,) = run(rule_id, snap)
        assert finding.status is Status.NOT_ASSESSED


def test_principal_with_uncollected_policy_is_not_assessed() -> None:
    ghost = policy("Ghost", doc(allow("s3:GetObject")))
    u = user("ghosted", attached=(ghost,))
    r = role("ghostly", trust_service("ec2"), attached=(ghost,))
    snap = account(u, r)  # Ghost is not among the snapshot's policies
    assert verdict(snap, "ghosted").status is Status.NOT_ASSESSED
    assert verdict(snap, "ghostly", ROLE_RULE).status is Status.NOT_ASSESSED


def test_role_rule_pass_and_service_linked() -> None:
    linked = role("AWSServiceRoleForX", trust_service("x"), path="/aws-service-role/")
    plain = role("reader", trust_service("ec2"), attached=(S3_READ,))
    got = by_name(run(ROLE_RULE, account(linked, plain)))
    assert got["AWSServiceRoleForX"].status is Status.PASS
    assert got["reader"].status is Status.PASS
    assert "no known privilege-escalation path" in got["reader"].message


def test_policy_rule_judges_a_policy_against_the_account() -> None:
    putter = policy("SelfService", doc(allow(["iam:PutUserPolicy", "s3:GetObject"])))
    bound = replace(
        policy("Cap", doc(allow("*")), attachments=0), permissions_boundary_usage_count=1
    )
    cfn = doc(allow(["iam:PassRole", "cloudformation:*"]))
    builder = role("builder", trust_service("ec2"), inline={"cfn": cfn})
    deployer = admin_role("deployer", trust_service("cloudformation"))
    snap = account(
        user("u", inline={"safe": doc(allow("s3:GetObject"))}),
        builder,
        deployer,
        policies=(putter, bound),
    )
    got = by_name(run(POLICY_RULE, snap))
    assert "AdministratorAccess" not in got  # AWS managed: judged through its holders
    assert got["SelfService"].status is Status.FAIL
    assert "whoever holds SelfService -[iam:PutUserPolicy on itself]" in got["SelfService"].message
    assert got["Cap"].status is Status.PASS  # only a boundary
    assert got["S3Read"].status is Status.PASS
    assert got["user u: safe"].status is Status.PASS
    inline = got["role builder: cfn"]
    assert inline.status is Status.FAIL and inline.resource_type == "inline_policy"
    assert "iam:PassRole + cloudformation:CreateStack" in inline.message
    # Without a role that trusts CloudFormation, the same policy has nothing to pass.
    alone = by_name(run(POLICY_RULE, account(builder)))
    assert alone["role builder: cfn"].status is Status.PASS


def test_permissions_are_computed_once_per_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = PolicyIndex.user

    def counted(self: PolicyIndex, u: User) -> Any:
        calls.append(u.name)
        return original(self, u)

    monkeypatch.setattr(PolicyIndex, "user", counted)
    snap = account(me(allow("iam:CreateAccessKey")), user("boss", attached=(ADMIN,)))
    evaluate(snap, as_of=T0)
    assert sorted(calls) == ["boss", "me"]


def test_collected_scps_cut_edges() -> None:
    from tests.rules.org_builders import PROD_OU, in_org, org_snapshot, scp

    snap = account(me(allow("iam:CreateAccessKey")), user("boss", attached=(ADMIN,)))
    assert escalates(in_org(snap))  # FullAWSAccess everywhere: nothing cut
    no_iam = org_snapshot(scps=[scp("DenyIAM", doc(deny("iam:*")), PROD_OU)])
    got = verdict(in_org(snap, no_iam))
    assert got.status is Status.PASS
