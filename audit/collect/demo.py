"""The built-in demo account: an in-process moto account with planted problems.

The demo plants a small, realistic organisation (admins, developers, auditors, CI users) with
problems of every kind the rules know, several of them time-based: resources are created inside
``freezegun`` at past dates and last-used dates are set on moto's backend objects, since no API
can backdate them. Then the very collectors a real account uses run against it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from freezegun import freeze_time
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import AccessKeyLastUsed, iam_backends
from moto.moto_api._internal import mock_random

from audit.collect import CollectOptions, collect_snapshot
from audit.collect.demo_identity_center import plant_identity_center
from audit.model import Snapshot

DEMO_REGION = "us-east-1"
DEMO_ACCOUNT_ID = DEFAULT_ACCOUNT_ID
DEMO_SEED = 20260930
AWS = "arn:aws:iam::aws:policy"

# Fake credentials for the in-process mock; they never leave this process.
_DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": DEMO_REGION,
}
# A real profile or endpoint in the caller's environment must not leak into the demo.
_CLEARED_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS")


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@contextmanager
def demo_environment(*, load_aws_managed_policies: bool = True) -> Iterator[None]:
    """Fake credentials and an in-process moto account with AWS managed policies loaded.

    The organization demo passes False and adds the few it uses itself: moto would otherwise
    parse all ~1,600 for every account and partition it touches.
    """
    saved = {k: os.environ.get(k) for k in (*_DEMO_ENV, *_CLEARED_ENV)}
    os.environ.update(_DEMO_ENV)
    for key in _CLEARED_ENV:
        os.environ.pop(key, None)
    try:
        with mock_aws(config={"iam": {"load_aws_managed_policies": load_aws_managed_policies}}):
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Planter:
    """Creates identities at chosen dates and sets the usage moto cannot produce by API.

    By default in the demo account; ``account_id`` and a ``session`` into that account plant
    in another one (the organization demo's members).
    """

    def __init__(
        self,
        now: datetime,
        account_id: str = DEMO_ACCOUNT_ID,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.now = now
        self.iam = (session or boto3.session.Session()).client("iam", region_name=DEMO_REGION)
        self.backend = iam_backends[account_id]["aws"]

    def ago(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    def user(
        self,
        name: str,
        *,
        created_days_ago: int,
        groups: tuple[str, ...] = (),
        password_used_days_ago: int | None = None,
        console: bool = False,
        mfa: bool = False,
    ) -> None:
        with freeze_time(self.ago(created_days_ago)):
            self.iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "demo"}])
            if console or password_used_days_ago is not None:
                self.iam.create_login_profile(
                    UserName=name,
                    Password="Demo-Passw0rd!-not-real",  # noqa: S106 - fake, in-process moto only
                )
        for group in groups:
            self.iam.add_user_to_group(GroupName=group, UserName=name)
        if password_used_days_ago is not None:
            # moto writes this naive value with "+00:00": give it UTC wall time.
            used = self.ago(password_used_days_ago).replace(tzinfo=None)
            # moto types the attribute as None; it formats whatever datetime it holds.
            setattr(self.backend.users[name], "password_last_used", used)  # noqa: B010
        if mfa:
            serial = self.iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-mfa")[
                "VirtualMFADevice"
            ]["SerialNumber"]
            self.iam.enable_mfa_device(
                UserName=name,
                SerialNumber=serial,
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )

    def access_key(
        self, user: str, *, created_days_ago: int, used_days_ago: int | None, active: bool = True
    ) -> None:
        with freeze_time(self.ago(created_days_ago)):
            key_id = self.iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
        if not active:
            self.iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
        if used_days_ago is not None:
            key = self.backend.access_keys[key_id]
            key.last_used = AccessKeyLastUsed(
                timestamp=self.ago(used_days_ago).replace(tzinfo=None),
                service="s3",
                region=DEMO_REGION,
            )

    def role(
        self,
        name: str,
        *,
        created_days_ago: int,
        used_days_ago: int | None,
        trusted_service: str = "ec2.amazonaws.com",
    ) -> None:
        trust = {
            "Effect": "Allow",
            "Principal": {"Service": trusted_service},
            "Action": "sts:AssumeRole",
        }
        with freeze_time(self.ago(created_days_ago)):
            role_id = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=_doc(trust))[
                "Role"
            ]["RoleId"]
        if used_days_ago is not None:
            # No API sets RoleLastUsed; moto reports what its role object holds.
            backend_role = self.backend.roles[role_id]
            backend_role.last_used = self.ago(used_days_ago).replace(tzinfo=None)
            # moto types the attribute as None; it reports whatever it holds.
            setattr(backend_role, "last_used_region", "eu-west-1")  # noqa: B010

    def managed_policy(self, name: str, document: str, *, created_days_ago: int = 400) -> str:
        with freeze_time(self.ago(created_days_ago)):
            arn: str = self.iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"][
                "Arn"
            ]
        return arn

    def group(self, name: str, *, managed: tuple[str, ...] = ()) -> None:
        with freeze_time(self.ago(500)):
            self.iam.create_group(GroupName=name)
        for arn in managed:
            self.iam.attach_group_policy(GroupName=name, PolicyArn=arn)


def plant_demo_account(now: datetime) -> None:
    """Plant the demo organisation. Comments name the rule each problem is there for."""
    p = Planter(now)
    iam = p.iam

    # Password policy too weak (password-min-length, password-reuse, complexity, expiry).
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=False,
        RequireSymbols=False,
        PasswordReusePrevention=5,
        AllowUsersToChangePassword=True,
    )
    iam.create_account_alias(AccountAlias="example-corp-demo")
    # Root has an access key (root-access-key). moto has no root row in its credential
    # report; its account summary is the evidence it offers, set on the backend.
    # No API can plant this; it lives on the summary object (the backend attribute is ignored).
    p.backend.account_summary._account_access_keys_present = 1

    deploy_arn = p.managed_policy(
        "DeployApplication",
        _doc(_allow(["s3:GetObject", "s3:PutObject", "cloudformation:Describe*"])),
    )
    dev_arn = p.managed_policy(
        "DeveloperAccess",
        _doc(
            _allow(["ec2:Describe*", "logs:Get*", "logs:FilterLogEvents", "s3:List*"]),
            _allow("s3:GetObject", "arn:aws:s3:::example-corp-artifacts/*"),
        ),
    )

    p.group("Admins", managed=(f"{AWS}/AdministratorAccess",))
    p.group("Developers", managed=(dev_arn,))
    p.group("ReadOnly", managed=(f"{AWS}/ReadOnlyAccess",))
    p.group("Deployers", managed=(deploy_arn,))

    # A well-kept administrator: console with MFA, in a group, recently active.
    p.user(
        "alice.admin", created_days_ago=700, groups=("Admins",), password_used_days_ago=1, mfa=True
    )
    # A developer with a console password and no MFA (user-console-mfa).
    p.user("bob.dev", created_days_ago=320, groups=("Developers",), password_used_days_ago=3)
    # An operator whose access key is 400 days old (access-key-rotation), still in daily use.
    p.user(
        "carol.ops",
        created_days_ago=420,
        groups=("Developers", "ReadOnly"),
        password_used_days_ago=2,
        mfa=True,
    )
    p.access_key("carol.ops", created_days_ago=400, used_days_ago=1)
    # A CI user with permissions granted directly (user-inline-policy, user-attached-policy).
    p.user("ci-deploy", created_days_ago=60)
    p.access_key("ci-deploy", created_days_ago=30, used_days_ago=0)
    iam.put_user_policy(
        UserName="ci-deploy",
        PolicyName="deploy-bucket-write",
        PolicyDocument=_doc(_allow("s3:PutObject", "arn:aws:s3:::example-corp-deploy/*")),
    )
    iam.attach_user_policy(UserName="ci-deploy", PolicyArn=deploy_arn)
    # A contractor who left: password unused for 120 days (credentials-unused), no MFA,
    # read access attached straight to the user.
    p.user("dave.contractor", created_days_ago=365, password_used_days_ago=120)
    iam.attach_user_policy(UserName="dave.contractor", PolicyArn=f"{AWS}/ReadOnlyAccess")
    # A well-kept analyst: group-based read access, MFA.
    p.user(
        "erin.analyst",
        created_days_ago=200,
        groups=("ReadOnly",),
        password_used_days_ago=5,
        mfa=True,
    )
    # A forgotten integration: key created 300 days ago and never used (credentials-unused,
    # access-key-rotation), plus a second, inactive key.
    p.user("legacy-backup", created_days_ago=300, groups=("Deployers",))
    p.access_key("legacy-backup", created_days_ago=300, used_days_ago=None)
    p.access_key("legacy-backup", created_days_ago=200, used_days_ago=150, active=False)
    _plant_catalogue_problems(p)
    # The people who sign in through IAM Identity Center (the sso-* rules).
    plant_identity_center((DEMO_ACCOUNT_ID,), DEMO_REGION)


def _plant_catalogue_problems(p: Planter) -> None:
    """Problems for the rest of the rules catalogue (issue 4); comments name the rule."""
    iam = p.iam
    # An admin who signs in with a password and no MFA (admin-without-mfa, user-effective-admin).
    p.user("frank.sre", created_days_ago=90, groups=("Admins",), password_used_days_ago=4)
    # A console user given a key at setup that was never used (user-key-at-setup).
    p.access_key("bob.dev", created_days_ago=20, used_days_ago=None)
    # A CI user mid-rotation with two active keys (user-multiple-active-keys).
    p.access_key("ci-deploy", created_days_ago=10, used_days_ago=9)
    # A group with an inline grant (group-inline-policy) and the AWS CloudShell policy
    # (cloudshell-full-access).
    iam.put_group_policy(
        GroupName="Developers",
        PolicyName="debug-lambdas",
        PolicyDocument=_doc(_allow(["lambda:GetFunction", "lambda:InvokeFunction"])),
    )
    iam.attach_group_policy(GroupName="Developers", PolicyArn=f"{AWS}/AWSCloudShellFullAccess")
    # A home-made '*' on '*' policy on a break-glass group nobody is in (policy-full-admin,
    # admin-policy-attached, group-empty).
    break_glass = p.managed_policy("BreakGlassAdmin", _doc(_allow("*")))
    p.group("BreakGlass", managed=(break_glass,))
    # A leftover policy attached to nothing that allows all of S3 (policy-unattached,
    # policy-service-wildcard).
    p.managed_policy("LegacyS3Full", _doc(_allow("s3:*")))
    # Deployers may mint access keys for anyone (policy- and user-privilege-escalation).
    keys = p.managed_policy(
        "RotateKeys", _doc(_allow(["iam:CreateAccessKey", "iam:ListAccessKeys"]))
    )
    iam.attach_group_policy(GroupName="Deployers", PolicyArn=keys)
    # A vendor role anyone in the world can assume (role-trust-any-principal).
    with freeze_time(p.ago(250)):
        iam.create_role(
            RoleName="vendor-readonly",
            AssumeRolePolicyDocument=_doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ),
        )
    iam.attach_role_policy(RoleName="vendor-readonly", PolicyArn=f"{AWS}/ReadOnlyAccess")
    # A build role that may attach any policy to itself (role-privilege-escalation).
    with freeze_time(p.ago(120)):
        iam.create_role(
            RoleName="ci-deployer",
            AssumeRolePolicyDocument=_doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "codebuild.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
        )
    iam.put_role_policy(
        RoleName="ci-deployer",
        PolicyName="self-manage",
        PolicyDocument=_doc(
            _allow(
                ["iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"],
                f"arn:aws:iam::{DEMO_ACCOUNT_ID}:role/ci-deployer",
            )
        ),
    )
    # A backup vendor's account may assume this role with no ExternalId
    # (role-trust-external-account: "another account" in a single-account run).
    with freeze_time(p.ago(180)):
        iam.create_role(
            RoleName="backup-vendor",
            AssumeRolePolicyDocument=_doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                    "Action": "sts:AssumeRole",
                }
            ),
        )
    _plant_unused_access(p)
    # An old TLS certificate (server-certificate-expired: moto reports a 2012 expiry).
    iam.upload_server_certificate(
        ServerCertificateName="old-www-example-com",
        CertificateBody="-----BEGIN CERTIFICATE-----\ndemo\n-----END CERTIFICATE-----",
        PrivateKey="-----BEGIN PRIVATE KEY-----\ndemo\n-----END PRIVATE KEY-----",
    )


def _plant_unused_access(p: Planter) -> None:
    """Unused access (issue 14). moto has no service-last-accessed or Access Analyzer, so
    permissions-unused and access-analyzer-unused-findings cannot be shown by the demo."""
    iam = p.iam
    # A role in daily use (role-unused passes).
    p.role("app-runtime", created_days_ago=300, used_days_ago=1)
    iam.put_role_policy(
        RoleName="app-runtime",
        PolicyName="read-artifacts",
        PolicyDocument=_doc(_allow("s3:GetObject", "arn:aws:s3:::example-corp-artifacts/*")),
    )
    # A reporting job retired 200 days ago (role-unused, low).
    p.role("nightly-report", created_days_ago=500, used_days_ago=200)
    iam.attach_role_policy(RoleName="nightly-report", PolicyArn=f"{AWS}/ReadOnlyAccess")
    # An admin role created for a migration and never used since (role-unused, medium: admin).
    p.role("migration-admin", created_days_ago=400, used_days_ago=None)
    iam.attach_role_policy(RoleName="migration-admin", PolicyArn=f"{AWS}/AdministratorAccess")
    # A user with an access key and no MFA device (user-mfa-all; not a console user, so
    # user-console-mfa does not judge it).
    p.user("metrics-exporter", created_days_ago=100)
    p.access_key("metrics-exporter", created_days_ago=100, used_days_ago=2)
    iam.put_user_policy(
        UserName="metrics-exporter",
        PolicyName="put-metrics",
        PolicyDocument=_doc(_allow("cloudwatch:PutMetricData")),
    )


def demo_snapshot(*, quiet: bool = True, now: datetime | None = None) -> Snapshot:
    """Build the demo account in-process, collect it with the real collectors, return it."""
    # Plant relative to midnight UTC with moto's ids seeded, so two demo runs on one day build
    # the same account and "changes since the last review" shows no spurious churn.
    when = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with demo_environment():
        mock_random.seed(DEMO_SEED)
        plant_demo_account(when)
        snapshot = collect_snapshot(
            CollectOptions(region=DEMO_REGION, analyzer_regions=(DEMO_REGION,), quiet=quiet)
        )
    # moto stamps every credential report with a fixed 2015 GeneratedTime; in the demo the
    # report is as fresh as the collection, so say that rather than a fake date.
    meta = replace(
        snapshot.meta,
        source="demo",
        credential_report_generated_at=snapshot.meta.collected_at,
    )
    return replace(snapshot, meta=meta)
