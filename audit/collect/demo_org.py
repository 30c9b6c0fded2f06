"""The built-in demo organization: a management account and five members in moto, in-process.

moto gives each member its own IAM backend (``organizations.create_account`` plus
``sts.assume_role``), so the very code that collects a real organization runs against it:
:func:`~audit.collect.org_accounts.collect_org_snapshot`, then
:func:`~audit.collect.org_accounts.collect_account` per account. What moto cannot do, the demo
does with botocore hooks on the caller's session, and says so here:

- moto does not check that the role exists on ``AssumeRole``: :func:`refuse_missing_roles`
  answers AccessDenied, as AWS does, when the role is not in that member's moto backend;
- moto does not implement ``iam:ListOrganizationsFeatures``: :func:`answer_root_features`
  answers it (here: centralised root access not enabled, a planted problem).

Planted, account by account (comments name the rule):
  management   the single-account demo (the same problems as ``iam-audit demo``)
  Prod/payments   an IAM user with a password and no MFA (org-member-iam-users); a role an
                  outside account may assume without ExternalId (role-trust-external-account,
                  high) and a vendor role that requires one (low)
  Prod/data       no reader role deployed: not collected, with the fix
  Sandbox/dev     an administrator without MFA, whose admin rights the Sandbox SCP takes
                  away (user-effective-admin names the SCP); an access key 400 days old
  Sandbox/ml      a clean account
  Sandbox/legacy  closed (SUSPENDED): not collected
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.exceptions
import botocore.loaders
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends
from moto.moto_api._internal import mock_random

from audit.collect import CollectOptions
from audit.collect.demo import (
    AWS,
    DEMO_REGION,
    DEMO_SEED,
    Planter,
    demo_environment,
    plant_demo_account,
)
from audit.collect.org_accounts import (
    AccountResult,
    collect_account,
    collect_org_snapshot,
    open_org_access,
    select_accounts,
    session_for,
)
from audit.collect.org_options import DEFAULT_ROLE_NAME, OrgOptions
from audit.model_org import OrgSnapshot

# An account outside the organization that two member roles trust (a vendor, a partner).
OUTSIDE_ACCOUNT = "999988887777"
VENDOR_EXTERNAL_ID = "vendor-4f1c2a"


@dataclass(frozen=True)
class DemoOrganization:
    org: OrgSnapshot
    accounts: tuple[AccountResult, ...]  # every account, management first; snapshots raw


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_document(principal: str, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


# --- hooks for what moto does not do -----------------------------------------------------------


def refuse_missing_roles(session: boto3.session.Session) -> None:
    """AssumeRole into a role the member's moto backend lacks: AccessDenied, as AWS answers.

    AWS cannot tell "no such role" from "its trust policy does not admit you": both are
    AccessDenied, and so is this.
    """

    def check(params: dict[str, Any], **_: Any) -> None:
        arn = str(params.get("RoleArn", ""))
        parts = arn.split(":", 5)  # arn:aws:iam::ACCOUNT:role/PATH/NAME
        account_id, wanted = parts[4], parts[5].removeprefix("role/")
        roles = iam_backends[account_id]["aws"].roles.values()
        if not any(f"{r.path}{r.name}".lstrip("/") == wanted for r in roles):
            raise botocore.exceptions.ClientError(
                {
                    "Error": {
                        "Code": "AccessDenied",
                        "Message": f"not authorized to perform: sts:AssumeRole on resource: {arn}",
                    }
                },
                "AssumeRole",
            )

    session.events.register("before-parameter-build.sts.AssumeRole", check)


def answer_root_features(session: boto3.session.Session, features: tuple[str, ...]) -> None:
    """Answer iam:ListOrganizationsFeatures (not implemented by moto) with ``features``."""

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {"EnabledFeatures": list(features), "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse("https://iam.amazonaws.com/", 200, HTTPHeaders(), None), parsed

    # A before-call handler that returns (response, parsed) answers instead of the endpoint.
    session.events.register(
        "before-call.iam.ListOrganizationsFeatures",
        answer,  # type: ignore[arg-type]  # the stubs type handlers as returning None
    )


# --- planting -------------------------------------------------------------------------------


_PLANTING_LOADER = botocore.loaders.create_loader()


def admin_session(account_id: str) -> boto3.session.Session:
    """A plain (unguarded: the demo writes) session in a member, as its admin role."""
    creds = boto3.client("sts", region_name=DEMO_REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="demo-planter",
    )["Credentials"]
    return session_for(creds, DEMO_REGION, _PLANTING_LOADER)


def deploy_reader_role(iam: Any, management_id: str, role_name: str = DEFAULT_ROLE_NAME) -> None:
    """What docs/org-reader-role.yaml deploys: SecurityAudit, trusting the management account."""
    *path, name = role_name.strip("/").split("/")
    iam.create_role(
        RoleName=name,
        Path="/" + "".join(f"{p}/" for p in path),
        AssumeRolePolicyDocument=trust_document(f"arn:aws:iam::{management_id}:root"),
    )
    iam.attach_role_policy(RoleName=name, PolicyArn=f"{AWS}/SecurityAudit")


def _plant_payments(p: Planter) -> None:
    # People should come through central identity, not IAM users (org-member-iam-users).
    p.user("pat.payments", created_days_ago=200, password_used_days_ago=2)
    # A partner account outside the organization may assume this role with nothing else
    # required (role-trust-external-account, high) ...
    p.iam.create_role(
        RoleName="partner-settlement",
        AssumeRolePolicyDocument=trust_document(f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"),
    )
    # ... and a vendor one that must present an ExternalId (low).
    p.iam.create_role(
        RoleName="vendor-monitoring",
        AssumeRolePolicyDocument=trust_document(
            OUTSIDE_ACCOUNT, StringEquals={"sts:ExternalId": VENDOR_EXTERNAL_ID}
        ),
    )
    p.iam.attach_role_policy(RoleName="vendor-monitoring", PolicyArn=f"{AWS}/ReadOnlyAccess")


def _plant_dev(p: Planter) -> None:
    # An administrator without MFA: the Sandbox SCP denies IAM changes, so not a full admin
    # there (user-effective-admin and admin-without-mfa name the SCP).
    p.group("SandboxAdmins", managed=(f"{AWS}/AdministratorAccess",))
    p.user("sam.sandbox", created_days_ago=500, groups=("SandboxAdmins",), password_used_days_ago=9)
    # An access key 400 days old (access-key-rotation).
    p.access_key("sam.sandbox", created_days_ago=400, used_days_ago=3)


# The AWS managed policies the demo attaches (moto's bundled copies).
DEMO_AWS_POLICIES = (
    "AdministratorAccess",
    "ReadOnlyAccess",
    "SecurityAudit",
    "AWSCloudShellFullAccess",
    "AWSSupportAccess",
)


@functools.cache
def _bundled_aws_policies() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return parsed


def add_aws_policies(account_id: str, names: tuple[str, ...] = DEMO_AWS_POLICIES) -> None:
    """Give an account's moto backend these AWS managed policies, as moto's loader would.

    With moto's own loader on, every account and partition it touches parses all ~1,600
    (about 0.5 s each, 80 backends for six accounts); the demo needs five.
    """
    data = _bundled_aws_policies()
    backend = iam_backends[account_id]["aws"]
    for name in names:
        policy = AWSManagedPolicy.from_data(name, account_id, DEMO_REGION, data[name])
        backend.aws_managed_policies.append(policy)
        backend.managed_policies[policy.arn] = policy


_SANDBOX_SCP = _doc(
    {
        "Sid": "DenyIamChanges",
        "Effect": "Deny",
        "Action": [
            "iam:Create*",
            "iam:Delete*",
            "iam:Put*",
            "iam:Attach*",
            "iam:Detach*",
            "iam:Update*",
            "iam:Add*",
            "iam:Remove*",
            "iam:PassRole",
        ],
        "Resource": "*",
    }
)
_ROOT_SCP = _doc(
    {
        "Sid": "StayInTheOrganization",
        "Effect": "Deny",
        "Action": "organizations:LeaveOrganization",
        "Resource": "*",
    }
)


def plant_demo_organization(now: datetime) -> dict[str, str]:
    """Plant the organization; return account name -> id."""
    orgs = boto3.client("organizations", region_name=DEMO_REGION)
    management_id = orgs.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    add_aws_policies(management_id)
    plant_demo_account(now)  # the management account (the caller's, moto's default)
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ous = {
        name: orgs.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        for name in ("Prod", "Sandbox")
    }
    ids: dict[str, str] = {"management": management_id}
    for name, ou in (
        ("payments", "Prod"),
        ("data", "Prod"),
        ("dev", "Sandbox"),
        ("ml", "Sandbox"),
        ("legacy", "Sandbox"),
    ):
        created = orgs.create_account(AccountName=name, Email=f"aws+{name}@example.com")
        account_id = created["CreateAccountStatus"]["AccountId"]
        orgs.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ous[ou])
        ids[name] = account_id
        add_aws_policies(account_id)
    for name, plant in (
        ("payments", _plant_payments),
        ("dev", _plant_dev),
        ("ml", None),
        ("legacy", None),
    ):
        p = Planter(now, ids[name], admin_session(ids[name]))
        # "data" gets none: its collection says how to fix that.
        deploy_reader_role(p.iam, management_id)
        if plant is not None:
            plant(p)
    for name, document, target in (
        ("StayInTheOrganization", _ROOT_SCP, root),
        ("SandboxNoIamChanges", _SANDBOX_SCP, ous["Sandbox"]),
    ):
        policy = orgs.create_policy(
            Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=document
        )["Policy"]["PolicySummary"]["Id"]
        orgs.attach_policy(PolicyId=policy, TargetId=target)
    orgs.close_account(AccountId=ids["legacy"])  # SUSPENDED from now on
    return ids


def demo_organization(
    *,
    quiet: bool = True,
    now: datetime | None = None,
    on_account: Callable[[AccountResult], None] | None = None,
) -> DemoOrganization:
    """Build the demo organization in-process and collect it with the real collectors.

    ``on_account`` sees each account's result as it is collected.
    """
    org, accounts = stream_demo_organization(quiet=quiet, now=now)
    results = []
    for result in accounts:
        if on_account is not None:
            on_account(result)
        results.append(result)
    return DemoOrganization(org, tuple(results))


def stream_demo_organization(
    *, quiet: bool = True, now: datetime | None = None
) -> tuple[OrgSnapshot, Iterator[AccountResult]]:
    """The demo organization, and its accounts collected one by one as the iterator is read.

    An organization run evaluates and renders each account as it arrives: the accounts are
    collected only when asked for, and moto's in-process account stays up until the iterator
    is exhausted or closed.
    """
    when = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stack = ExitStack()
    stack.enter_context(demo_environment(load_aws_managed_policies=False))
    try:
        mock_random.seed(DEMO_SEED)
        plant_demo_organization(when)
        caller = boto3.session.Session()
        refuse_missing_roles(caller)
        answer_root_features(caller, ())
        options = OrgOptions(
            collect=CollectOptions(region=DEMO_REGION, analyzer_regions=(DEMO_REGION,), quiet=quiet)
        )
        access = open_org_access(options, caller)
        org = collect_org_snapshot(access)
    except BaseException:
        stack.close()
        raise
    chosen = sorted(
        select_accounts(org, options), key=lambda a: a.id != org.meta.management_account_id
    )

    def each() -> Iterator[AccountResult]:
        with stack:
            for account in chosen:
                yield _as_demo(collect_account(access, org, account))

    return replace(org, meta=replace(org.meta, source="demo")), each()


def _as_demo(result: AccountResult) -> AccountResult:
    # As in demo_snapshot: moto's credential reports carry a fixed 2015 date; say "as fresh as
    # the collection" instead.
    snap = result.snapshot
    if snap is None:
        return result
    meta = replace(snap.meta, source="demo", credential_report_generated_at=snap.meta.collected_at)
    return replace(result, snapshot=replace(snap, meta=meta))
