"""Collecting an organization in moto: discovery, per-account isolation, failures as data."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import boto3
import botocore.exceptions
import pytest
import yaml
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from audit.collect import organization
from audit.collect.demo_org import (
    add_aws_policies,
    admin_session,
    answer_root_features,
    deploy_reader_role,
    refuse_missing_roles,
)
from audit.collect.guard import ReadOnlyViolation
from audit.collect.org_accounts import (
    AccountResult,
    OrgAccess,
    collect_account,
    collect_org_snapshot,
    open_org_access,
    select_accounts,
)
from audit.collect.org_options import OrgOptions
from audit.collect.org_policies import (
    caller_policy,
    caller_policy_json,
    member_policy,
    reader_role_template,
)
from audit.collect.permissions import action_of, required_actions
from audit.collect.session import open_clients
from audit.errors import CollectionError, InputError
from audit.model import OutcomeStatus
from audit.model_org import (
    PART_ORGANIZATION,
    PART_SERVICE_CONTROL_POLICIES,
    CollectionStatus,
    OrgAccount,
    OrgSnapshot,
    path_text,
)
from audit.org_context import account_context, attach_organization
from tests.collect.conftest import _Raw, error_body, inject_error, options, plant

MANAGEMENT = "123456789012"


@dataclass(frozen=True)
class Org:
    root: str
    ous: dict[str, str]  # name -> id
    accounts: dict[str, str]  # name -> id


def _deny_doc(action: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}],
        }
    )


@contextmanager
def _organization() -> Iterator[Org]:
    """Root -> Prod -> Web, and Sandbox; four members, "norole" without the reader role."""
    with mock_aws(config={"iam": {"load_aws_managed_policies": False}}):
        orgs = boto3.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        add_aws_policies(MANAGEMENT)
        plant(boto3.client("iam"))
        root = orgs.list_roots()["Roots"][0]["Id"]
        orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        prod = orgs.create_organizational_unit(ParentId=root, Name="Prod")["OrganizationalUnit"][
            "Id"
        ]
        web = orgs.create_organizational_unit(ParentId=prod, Name="Web")["OrganizationalUnit"]["Id"]
        sandbox = orgs.create_organizational_unit(ParentId=root, Name="Sandbox")[
            "OrganizationalUnit"
        ]["Id"]
        accounts = {"management": MANAGEMENT}
        for name, ou in (("prod", prod), ("web", web), ("sandbox", sandbox), ("norole", sandbox)):
            account_id = orgs.create_account(AccountName=name, Email=f"{name}@example.com")[
                "CreateAccountStatus"
            ]["AccountId"]
            orgs.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ou)
            accounts[name] = account_id
            add_aws_policies(account_id)
            if name != "norole":
                iam = admin_session(account_id).client("iam")
                deploy_reader_role(iam, MANAGEMENT)
                iam.create_user(UserName=f"{name}-user")
        policy = orgs.create_policy(
            Name="DenyIAM",
            Description="x",
            Type="SERVICE_CONTROL_POLICY",
            Content=_deny_doc("iam:*"),
        )["Policy"]["PolicySummary"]["Id"]
        orgs.attach_policy(PolicyId=policy, TargetId=prod)
        yield Org(root, {"Prod": prod, "Web": web, "Sandbox": sandbox}, accounts)


@pytest.fixture
def org(aws_env: None) -> Iterator[Org]:
    with _organization() as built:
        yield built


@dataclass(frozen=True)
class Run:
    org: Org
    snap: OrgSnapshot
    results: dict[str, AccountResult]
    assumed: list[dict[str, Any]]  # the AssumeRole parameters sent


@pytest.fixture(scope="module")
def default_run() -> Run:
    """One collection of the organization as it is, shared by the tests that only read it."""
    with pytest.MonkeyPatch.context() as mp, _fake_credentials(mp), _organization() as built:
        access = _access()
        sent: list[dict[str, Any]] = []
        access.sts.meta.events.register(
            "before-parameter-build.sts.AssumeRole", lambda params, **_: sent.append(dict(params))
        )
        snap, results = _collect_all(access)
    # Plain data from here on: the mock is gone before the other tests start theirs.
    return Run(built, snap, results, sent)


@contextmanager
def _fake_credentials(mp: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"):
        mp.delenv(key, raising=False)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        mp.setenv(key, value)
    yield


def _access(
    session: boto3.session.Session | None = None, *, features: bool = True, **org_options: Any
) -> OrgAccess:
    caller = session or boto3.session.Session()
    refuse_missing_roles(caller)  # moto does neither of these itself
    if features:
        answer_root_features(caller, ("RootCredentialsManagement",))
    return open_org_access(OrgOptions(collect=options(max_attempts=2), **org_options), caller)


def _collect_all(access: OrgAccess, **kwargs: Any) -> tuple[OrgSnapshot, dict[str, AccountResult]]:
    snap = collect_org_snapshot(access)
    results = {
        a.id: collect_account(access, snap, a, **kwargs)
        for a in select_accounts(snap, access.options)
    }
    return snap, results


def test_discovery_walks_the_ou_tree(default_run: Run) -> None:
    snap, org = default_run.snap, default_run.org
    assert {o.api: o.status for o in snap.outcomes if o.status is not OutcomeStatus.OK} == {}
    paths = {a.name: path_text(snap.ou_path(a.id)) for a in snap.accounts}
    assert paths == {
        "master": "Root",
        "prod": "Root/Prod",
        "web": "Root/Prod/Web",
        "sandbox": "Root/Sandbox",
        "norole": "Root/Sandbox",
    }
    assert all(a.status == "ACTIVE" for a in snap.accounts)
    assert snap.meta.management_account_id == MANAGEMENT and snap.meta.feature_set == "ALL"
    assert snap.scps_enabled
    deny = next(p for p in snap.policies if p.name == "DenyIAM")
    assert deny.targets == (org.ous["Prod"],) and deny.document is not None
    # One call per parent for each level of the tree, not one per account.
    calls = {o.api: o.calls for o in snap.outcomes}
    assert calls["organizations:ListAccountsForParent"] == 4  # root, Prod, Sandbox, Web
    assert calls["organizations:DescribePolicy"] == 2  # FullAWSAccess and DenyIAM


def test_selection_by_ou_accounts_and_exclude(default_run: Run) -> None:
    snap, org = default_run.snap, default_run.org
    ids = org.accounts

    def chosen(**kw: Any) -> set[str]:
        return {a.id for a in select_accounts(snap, OrgOptions(**kw))}

    assert chosen() == set(ids.values())
    assert chosen(ous=(org.ous["Prod"],)) == {ids["prod"], ids["web"]}  # and below it
    assert chosen(ous=(org.root,)) == set(ids.values())
    assert chosen(ous=(org.ous["Prod"],), exclude=(ids["web"],)) == {ids["prod"]}
    assert chosen(accounts=(ids["web"], ids["sandbox"])) == {ids["web"], ids["sandbox"]}
    with pytest.raises(InputError, match="--ou ou-zzzz-zzzzzzzz is not in organization"):
        chosen(ous=("ou-zzzz-zzzzzzzz",))
    with pytest.raises(InputError, match="not a 12-digit account id"):
        OrgOptions(accounts=("12345",))
    with pytest.raises(InputError, match="--role-name"):
        OrgOptions(role_name="bad name!")
    # An id the organization does not list is reported, not silently dropped.
    (stranger,) = select_accounts(snap, OrgOptions(accounts=("000011112222",)))
    # Decided before any call: the organization's account list is complete.
    result = collect_account(cast(OrgAccess, None), snap, stranger)
    assert result.collection.status is CollectionStatus.NOT_COLLECTED
    assert "lists no account 000011112222" in result.collection.reason


def test_each_member_is_collected_through_its_reader_role(default_run: Run) -> None:
    results, sent = default_run.results, default_run.assumed
    ids = default_run.org.accounts
    for name in ("management", "prod", "web", "sandbox"):
        result = results[ids[name]]
        assert result.collection.status is CollectionStatus.COLLECTED, result.collection.reason
        assert result.snapshot is not None and result.snapshot.meta.account_id == ids[name]
    # Each member's own IAM data, read with the management account's credentials for itself.
    web = results[ids["web"]].snapshot
    assert web is not None and [u.name for u in web.users] == ["web-user"]
    assert results[ids["management"]].collection.role_arn == ""  # own credentials
    assert {p["RoleSessionName"] for p in sent} == {"iam-audit"}
    assert f"arn:aws:iam::{ids['web']}:role/iam-audit-reader" in {p["RoleArn"] for p in sent}
    assert MANAGEMENT not in {p["RoleArn"].split(":")[4] for p in sent}
    assert results[ids["web"]].collection.ou_path == "Root/Prod/Web"


def test_a_member_whose_role_is_missing_is_not_collected_and_says_how_to_fix_it(
    default_run: Run,
) -> None:
    results = default_run.results
    norole = results[default_run.org.accounts["norole"]]
    record = norole.collection
    assert record.status is CollectionStatus.NOT_COLLECTED and norole.snapshot is None
    assert "sts:AssumeRole into arn:aws:iam::" in record.reason and "AccessDenied" in record.reason
    assert record.fix.startswith("deploy the reader role: docs/org-reader-role.yaml")
    assert record.outcomes[0].status is OutcomeStatus.ACCESS_DENIED
    collected = [r for r in results.values() if r.collection.status is CollectionStatus.COLLECTED]
    assert len(collected) == 4  # the others went on


def test_assume_role_denied_for_one_member_with_external_id(org: Org) -> None:
    session = boto3.session.Session()
    target = org.accounts["sandbox"]
    seen: list[str] = []

    def deny_one(request: Any, **_: Any) -> AWSResponse | None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        seen.append(body)
        if target not in body:
            return None
        headers, content = error_body("sts", "AccessDenied", "trust policy refuses the caller")
        return AWSResponse(request.url, 403, headers, _Raw(content))

    session.events.register_first("before-send.sts.AssumeRole", deny_one)
    _snap, results = _collect_all(_access(session, external_id="audit-2026"))
    record = results[target].collection
    assert record.status is CollectionStatus.NOT_COLLECTED
    assert "trust policy refuses the caller" in record.reason
    assert "with the ExternalId you pass" in record.fix and "--external-id" in record.fix
    assert all("ExternalId=audit-2026" in body for body in seen)
    assert results[org.accounts["prod"]].collection.status is CollectionStatus.COLLECTED


def test_a_suspended_account_is_not_collected_and_not_tried(org: Org) -> None:
    boto3.client("organizations").close_account(AccountId=org.accounts["sandbox"])
    access = _access()
    tried: list[str] = []
    access.sts.meta.events.register(
        "before-parameter-build.sts.AssumeRole", lambda params, **_: tried.append(params["RoleArn"])
    )
    snap, results = _collect_all(access)
    record = results[org.accounts["sandbox"]].collection
    assert snap.account(org.accounts["sandbox"]).status == "SUSPENDED"  # type: ignore[union-attr]
    assert record.status is CollectionStatus.NOT_COLLECTED
    assert record.reason == "the account is SUSPENDED in the organization: it cannot be read"
    assert not [arn for arn in tried if org.accounts["sandbox"] in arn]


def test_throttling_on_one_member_leaves_it_partial_and_the_others_whole(org: Org) -> None:
    target = org.accounts["prod"]
    counted: dict[str, int] = {}

    def hook(account_id: str, session: boto3.session.Session) -> None:
        counted[account_id] = 0
        session.events.register(
            "before-send", lambda **_: counted.__setitem__(account_id, counted[account_id] + 1)
        )
        if account_id == target:
            inject_error(session, "iam", "GetAccountAuthorizationDetails", "Throttling", status=400)

    _snap, results = _collect_all(_access(), session_hook=hook)
    record = results[target].collection
    assert record.status is CollectionStatus.PARTIAL
    assert "iam:GetAccountAuthorizationDetails throttled" in record.reason
    assert record.fix == "run again later, or with a lower --concurrency"
    assert results[target].snapshot is not None
    others = [r for a, r in results.items() if a not in (target, org.accounts["norole"])]
    assert all(r.collection.status is CollectionStatus.COLLECTED for r in others)
    # Requests per member are the same fixed handful whatever the account holds.
    plain = {counted[a] for a in counted if a not in (target, MANAGEMENT)}
    assert len(plain) == 1


def test_organization_api_failures_are_data(org: Org) -> None:
    session = boto3.session.Session()
    inject_error(session, "organizations", "ListTargetsForPolicy", "AccessDeniedException")
    snap = collect_org_snapshot(_access(session))
    (targets,) = [o for o in snap.outcomes if o.api == "organizations:ListTargetsForPolicy"]
    assert targets.status is OutcomeStatus.ACCESS_DENIED
    assert targets.message.startswith("2 of 2 failed; p-")
    assert not snap.has_part(PART_SERVICE_CONTROL_POLICIES) and snap.has_part(PART_ORGANIZATION)
    assert all(not p.targets_known for p in snap.policies)
    # A member evaluated against it knows its SCP chain is unproven.
    gaps = account_context(snap, org.accounts["web"]).scps.gaps
    assert any("targets of SCP DenyIAM were not collected" in g for g in gaps)


def test_one_ou_that_cannot_be_listed_marks_discovery_incomplete(org: Org) -> None:
    session = boto3.session.Session()
    sandbox = org.ous["Sandbox"]

    def deny_sandbox(request: Any, **_: Any) -> AWSResponse | None:
        if sandbox not in request.body.decode():
            return None
        headers, content = error_body("organizations", "AccessDeniedException", "not here")
        return AWSResponse(request.url, 400, headers, _Raw(content))

    session.events.register_first("before-send.organizations.ListAccountsForParent", deny_sandbox)
    snap = collect_org_snapshot(_access(session))
    (listed,) = [o for o in snap.outcomes if o.api == "organizations:ListAccountsForParent"]
    assert listed.status is OutcomeStatus.ACCESS_DENIED
    assert listed.message.startswith(f"1 of 4 failed; {sandbox}: AccessDeniedException")
    assert org.accounts["sandbox"] not in {a.id for a in snap.accounts}
    assert not snap.has_part(PART_ORGANIZATION)


def test_not_the_management_account_is_one_line(aws_env: None) -> None:
    with (
        mock_aws(),
        pytest.raises(CollectionError, match="DescribeOrganization failed: .*management account"),
    ):
        collect_org_snapshot(_access())


def test_root_access_features_off_when_iam_trusted_access_is_off(org: Org) -> None:
    session = boto3.session.Session()

    def refuse(**_: Any) -> None:
        # moto does not implement the API at all, so answer before the request is built.
        error = {"Code": "ServiceAccessNotEnabledException", "Message": "trusted access is off"}
        raise botocore.exceptions.ClientError({"Error": error}, "ListOrganizationsFeatures")

    session.events.register("before-parameter-build.iam.ListOrganizationsFeatures", refuse)
    snap = collect_org_snapshot(_access(session, features=False))
    (features,) = [o for o in snap.outcomes if o.api == "iam:ListOrganizationsFeatures"]
    assert features.status is OutcomeStatus.OK
    assert features.message == "ServiceAccessNotEnabledException"
    assert snap.root_features == ()


def test_merged_snapshot_of_a_member_carries_its_org_context(default_run: Run) -> None:
    snap, results = default_run.snap, default_run.results
    web = results[default_run.org.accounts["web"]].snapshot
    assert web is not None
    merged = attach_organization(web, snap)
    assert merged.organization is not None and merged.organization.ou_path_text == "Root/Prod/Web"
    names = [[p.name for p in lv.policies] for lv in merged.organization.scps.levels]
    assert names == [
        ["FullAWSAccess"],
        ["FullAWSAccess", "DenyIAM"],
        ["FullAWSAccess"],
        ["FullAWSAccess"],
    ]


# --- least privilege and read-only ------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _policy_actions(policy: dict[str, Any]) -> dict[str, set[str]]:
    by_sid: dict[str, set[str]] = {}
    for st in policy["Statement"]:
        actions = st["Action"]
        by_sid[st["Sid"]] = {actions} if isinstance(actions, str) else set(actions)
    return by_sid


def test_docs_files_are_up_to_date() -> None:
    hint = "regenerate them: python -m audit.collect.org_policies"
    assert (DOCS / "org-caller-policy.json").read_text() == caller_policy_json(), hint
    assert (DOCS / "org-reader-role.yaml").read_text() == reader_role_template(), hint


def test_caller_and_member_send_only_what_their_policies_grant(org: Org) -> None:
    orgs = boto3.client("organizations")
    orgs.enable_aws_service_access(ServicePrincipal="access-analyzer.amazonaws.com")
    orgs.register_delegated_administrator(
        AccountId=org.accounts["sandbox"], ServicePrincipal="access-analyzer.amazonaws.com"
    )
    caller = boto3.session.Session()
    by_caller: set[str] = set()
    # before-parameter-build: the first event of every call, even ones a hook answers.
    caller.events.register(
        "before-parameter-build", lambda model, **_: by_caller.add(action_of(model))
    )
    by_member: dict[str, set[str]] = {}

    def hook(account_id: str, session: boto3.session.Session) -> None:
        sent = by_member.setdefault(account_id, set())
        session.events.register(
            "before-parameter-build", lambda model, **_: sent.add(action_of(model))
        )

    snap, results = _collect_all(_access(caller), session_hook=hook)
    assert snap.delegated_administrators[0].services == ("access-analyzer.amazonaws.com",)
    granted = _policy_actions(caller_policy())
    assert by_caller - granted["IamAuditReadOnly"] == {"sts:AssumeRole"}
    assert granted["IamAuditAssumeReaderRole"] == {"sts:AssumeRole"}
    assert set(organization.ACTIONS) <= by_caller  # and the policy asks for nothing unused
    member_granted = _policy_actions(member_policy())["IamAuditReadOnly"]
    assert member_granted == set(required_actions())
    members = [a for a in by_member if a != MANAGEMENT]
    assert len(members) == 3  # norole never got a session
    for account_id in members:
        assert by_member[account_id] - member_granted == set(), account_id
    assert all(r.collection.status is not CollectionStatus.PARTIAL for r in results.values())


def test_the_guard_refuses_anything_else_in_organization_runs(org: Org) -> None:
    access = _access()
    sent: list[str] = []
    access.clients.session.events.register(
        "before-send", lambda request, **_: sent.append(request.url)
    )
    orgs = access.clients.client("organizations")
    for call, params in (
        (orgs.create_account, {"AccountName": "x", "Email": "x@example.com"}),
        (orgs.leave_organization, {}),
        (orgs.attach_policy, {"PolicyId": "p-x", "TargetId": org.root}),
        (orgs.enable_aws_service_access, {"ServicePrincipal": "iam.amazonaws.com"}),
        (
            access.sts.assume_role_with_saml,
            {"RoleArn": "a" * 20, "PrincipalArn": "b" * 20, "SAMLAssertion": "c" * 4},
        ),
        (access.clients.iam().enable_organizations_root_credentials_management, {}),
    ):
        with pytest.raises(ReadOnlyViolation, match="^refused "):
            call(**params)
    assert sent == []
    # Member sessions are guarded too: collection opens them through the same client factory.
    seen: list[boto3.session.Session] = []
    collect_account(
        access,
        collect_org_snapshot(access),
        OrgAccount(org.accounts["web"], "", "web", "", "ACTIVE", org.ous["Web"]),
        session_hook=lambda _id, session: seen.append(session),
    )
    member_iam = open_clients(options(), seen[0]).iam()
    with pytest.raises(ReadOnlyViolation, match="refused iam:CreateUser"):
        member_iam.create_user(UserName="intruder")
    # and they cannot hop further: AssumeRole is the caller's alone.
    with pytest.raises(ReadOnlyViolation, match="refused sts:AssumeRole"):
        open_clients(options(), seen[0]).client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{MANAGEMENT}:role/x", RoleSessionName="hop"
        )


def test_the_reader_role_template_deploys_and_collection_works_through_it(aws_env: None) -> None:
    with _organization() as built:
        member = built.accounts["norole"]  # the one without a reader role yet
        admin = admin_session(member)
        cfn = admin.client("cloudformation")
        cfn.create_stack(
            StackName="iam-audit-reader",
            TemplateBody=(DOCS / "org-reader-role.yaml").read_text(),
            Parameters=[
                {"ParameterKey": "ManagementAccountId", "ParameterValue": MANAGEMENT},
                {"ParameterKey": "ExternalId", "ParameterValue": "audit-2026"},
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        iam = admin.client("iam")
        role = iam.get_role(RoleName="iam-audit-reader")["Role"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
        assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "audit-2026"}}
        inline = iam.get_role_policy(RoleName="iam-audit-reader", PolicyName="iam-audit-read-only")
        document = inline["PolicyDocument"]
        # moto's CloudFormation stores the inline document as Python's repr of the dict.
        parsed = ast.literal_eval(document) if isinstance(document, str) else document
        assert parsed == member_policy()
        # ... which its own GetAccountAuthorizationDetails cannot read: store it as JSON.
        iam.put_role_policy(
            RoleName="iam-audit-reader",
            PolicyName="iam-audit-read-only",
            PolicyDocument=json.dumps(parsed),
        )
        access = _access(external_id="audit-2026")
        snap = collect_org_snapshot(access)
        result = collect_account(access, snap, snap.account(member))  # type: ignore[arg-type]
        assert result.collection.status is CollectionStatus.COLLECTED, result.collection.reason
    # moto's CloudFormation does not attach ManagedPolicyArns: read them from the template.
    text = (DOCS / "org-reader-role.yaml").read_text()
    resources = yaml.load(text, Loader=_CfnLoader)[  # noqa: S506 - a SafeLoader subclass
        "Resources"
    ]
    assert resources["ReaderRole"]["Properties"]["ManagedPolicyArns"] == [
        "Sub arn:${AWS::Partition}:iam::aws:policy/SecurityAudit"
    ]


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags kept as text ("!Sub x" reads "Sub x")."""


_CfnLoader.add_multi_constructor(
    "!",
    lambda loader, tag, node: f"{tag} {node.value}" if isinstance(node, yaml.ScalarNode) else tag,
)
