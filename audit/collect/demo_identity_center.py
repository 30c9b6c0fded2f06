"""The demo's IAM Identity Center: people, groups, permission sets and assignments in moto.

Reusable: the single-account demo plants it in its own account; an organization demo calls
:func:`plant_identity_center` in the management account with the member accounts as targets.
Must run inside moto (``demo_environment``): it writes, which only a mock may see. Comments
name the rule each planted problem is there for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3

AWS = "arn:aws:iam::aws:policy"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass(frozen=True)
class PlantedCenter:
    instance_arn: str
    identity_store_id: str
    permission_sets: dict[str, str]  # name -> ARN
    users: dict[str, str]  # user name -> user id
    groups: dict[str, str]  # display name -> group id


# (user name, display name, e-mail, groups)
_PEOPLE = (
    ("ana.lopez", "Ana Lopez", "ana.lopez@example.com", ("PlatformAdmins",)),
    ("ben.okafor", "Ben Okafor", "ben.okafor@example.com", ("Developers",)),
    ("chen.wei", "Chen Wei", "chen.wei@example.com", ("PlatformAdmins", "Developers")),
    ("dana.kim", "Dana Kim", "dana.kim@example.com", ("Developers",)),
    ("eve.martin", "Eve Martin", "eve.martin@example.com", ("Auditors",)),
)
# BreakGlass is kept empty on purpose (sso-group-empty) yet holds the admin set.
_GROUPS = ("PlatformAdmins", "Developers", "Auditors", "BreakGlass")


class _Planter:
    def __init__(self, region: str) -> None:
        self.sso = boto3.client("sso-admin", region_name=region)
        self.store = boto3.client("identitystore", region_name=region)
        instance = self.sso.list_instances()["Instances"][0]
        self.instance_arn: str = instance["InstanceArn"]
        self.store_id: str = instance["IdentityStoreId"]

    def permission_set(
        self,
        name: str,
        *,
        session: str,
        description: str,
        managed: Sequence[str] = (),
        inline: str | None = None,
        customer: Sequence[str] = (),
    ) -> str:
        arn: str = self.sso.create_permission_set(
            InstanceArn=self.instance_arn,
            Name=name,
            Description=description,
            SessionDuration=session,
        )["PermissionSet"]["PermissionSetArn"]
        ids = {"InstanceArn": self.instance_arn, "PermissionSetArn": arn}
        for policy_arn in managed:
            self.sso.attach_managed_policy_to_permission_set(**ids, ManagedPolicyArn=policy_arn)
        if inline is not None:
            self.sso.put_inline_policy_to_permission_set(**ids, InlinePolicy=inline)
        for policy_name in customer:
            self.sso.attach_customer_managed_policy_reference_to_permission_set(
                **ids, CustomerManagedPolicyReference={"Name": policy_name, "Path": "/"}
            )
        return arn

    def assign(self, account: str, set_arn: str, principal_type: str, principal_id: str) -> None:
        self.sso.create_account_assignment(
            InstanceArn=self.instance_arn,
            TargetId=account,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=set_arn,
            PrincipalType=principal_type,
            PrincipalId=principal_id,
        )

    def provision(self, set_arn: str, account: str) -> None:
        self.sso.provision_permission_set(
            InstanceArn=self.instance_arn,
            PermissionSetArn=set_arn,
            TargetType="AWS_ACCOUNT",
            TargetId=account,
        )


def plant_identity_center(accounts: Sequence[str], region: str = "us-east-1") -> PlantedCenter:
    """Plant the demo's Identity Center in the calling account; assign sets in ``accounts``."""
    p = _Planter(region)
    groups = {
        name: p.store.create_group(IdentityStoreId=p.store_id, DisplayName=name)["GroupId"]
        for name in _GROUPS
    }
    users: dict[str, str] = {}
    for user_name, display, email, member_of in _PEOPLE:
        given, family = display.split(" ", 1)
        users[user_name] = p.store.create_user(
            IdentityStoreId=p.store_id,
            UserName=user_name,
            DisplayName=display,
            Name={"GivenName": given, "FamilyName": family},
            Emails=[{"Value": email, "Type": "work", "Primary": True}],
        )["UserId"]
        for group in member_of:
            p.store.create_group_membership(
                IdentityStoreId=p.store_id,
                GroupId=groups[group],
                MemberId={"UserId": users[user_name]},
            )
    sets = {
        # Full admin (sso-admin-permission-set), assigned to two groups.
        "AdministratorAccess": p.permission_set(
            "AdministratorAccess",
            session="PT1H",
            description="Full administrator",
            managed=(f"{AWS}/AdministratorAccess",),
        ),
        # A 12-hour session (sso-long-session); an inline policy with service wildcards
        # (sso-permission-set-inline-wildcard) that can pass a role to a new Lambda function
        # (sso-permission-set-escalation).
        "DeveloperAccess": p.permission_set(
            "DeveloperAccess",
            session="PT12H",
            description="Developers: build and debug",
            inline=_doc(
                {"Effect": "Allow", "Action": ["s3:*", "lambda:*", "logs:Get*"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
            ),
        ),
        "ReadOnly": p.permission_set(
            "ReadOnly",
            session="PT8H",
            description="Read-only for auditors",
            managed=(f"{AWS}/ReadOnlyAccess",),
        ),
        # References a customer managed policy no account has (sso-customer-policy-missing).
        "FinanceReports": p.permission_set(
            "FinanceReports",
            session="PT4H",
            description="Finance reporting",
            customer=("FinanceReportsAccess",),
        ),
    }
    # A group deleted after it was assigned (sso-assignment-to-missing-principal).
    gone = p.store.create_group(IdentityStoreId=p.store_id, DisplayName="Interns2024")["GroupId"]
    for account in accounts:
        p.assign(account, sets["AdministratorAccess"], "GROUP", groups["PlatformAdmins"])
        p.assign(account, sets["AdministratorAccess"], "GROUP", groups["BreakGlass"])
        p.assign(account, sets["DeveloperAccess"], "GROUP", groups["Developers"])
        p.assign(account, sets["ReadOnly"], "GROUP", groups["Auditors"])
        # A user assigned directly, not through a group (sso-direct-user-assignment).
        p.assign(account, sets["ReadOnly"], "USER", users["dana.kim"])
        p.assign(account, sets["FinanceReports"], "USER", users["eve.martin"])
        p.assign(account, sets["ReadOnly"], "GROUP", gone)
        # FinanceReports is left unprovisioned (sso-permission-set-not-provisioned).
        for name in ("AdministratorAccess", "DeveloperAccess", "ReadOnly"):
            p.provision(sets[name], account)
    p.store.delete_group(IdentityStoreId=p.store_id, GroupId=gone)
    return PlantedCenter(p.instance_arn, p.store_id, sets, users, groups)
