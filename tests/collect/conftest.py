"""Fixtures for collector tests: fake credentials, a planted moto account, fault injection."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.endpoint
import botocore.retries.bucket
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from audit.collect import CollectOptions, collect_snapshot
from audit.model import Snapshot

REGION = "us-east-1"
ACCOUNT = "123456789012"
DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials only: no profile, endpoint or config of the machine leaks in."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore sleeps between retries (time.sleep in its endpoint module) and adaptive mode
    # rate-limits sending after throttling (a token bucket): skip both waits, keep the logic.
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda *_a, **_k: True)


def plant(iam: Any) -> None:
    """A small account touching every part the collectors read."""
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True)
    iam.create_account_alias(AccountAlias="collect-tests")
    arn = iam.create_policy(PolicyName="ReadObjects", PolicyDocument=json.dumps(DOC))["Policy"][
        "Arn"
    ]
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    iam.put_group_policy(GroupName="readers", PolicyName="g-inline", PolicyDocument=json.dumps(DOC))
    for name in ("alice", "bob", "null"):
        iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "t"}])
        iam.add_user_to_group(GroupName="readers", UserName=name)
    iam.create_login_profile(UserName="alice", Password="Not-a-real-passw0rd!")
    iam.create_access_key(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="inline", PolicyDocument=json.dumps(DOC))
    iam.attach_user_policy(UserName="bob", PolicyArn=arn)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="alice",
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    iam.create_role(
        RoleName="app",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        PermissionsBoundary=arn,
    )
    iam.put_role_policy(RoleName="app", PolicyName="r-inline", PolicyDocument=json.dumps(DOC))
    iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument="x" * 1000)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["a" * 40],
    )


def plant_identity_center(endpoint_url: str | None = None) -> None:
    """One permission set assigned to a group with one member: every sso-admin and
    identitystore call of the collector has something to read."""
    sso = boto3.client("sso-admin", region_name=REGION, endpoint_url=endpoint_url)
    store = boto3.client("identitystore", region_name=REGION, endpoint_url=endpoint_url)
    instance = sso.list_instances()["Instances"][0]
    ids = {"InstanceArn": instance["InstanceArn"]}
    arn = sso.create_permission_set(**ids, Name="Readers", SessionDuration="PT2H")["PermissionSet"][
        "PermissionSetArn"
    ]
    sso.put_inline_policy_to_permission_set(
        **ids, PermissionSetArn=arn, InlinePolicy=json.dumps(DOC)
    )
    store_id = instance["IdentityStoreId"]
    group = store.create_group(IdentityStoreId=store_id, DisplayName="readers")["GroupId"]
    user = store.create_user(
        IdentityStoreId=store_id,
        UserName="alice",
        DisplayName="Alice",
        Name={"GivenName": "Alice", "FamilyName": "A"},
    )["UserId"]
    store.create_group_membership(
        IdentityStoreId=store_id, GroupId=group, MemberId={"UserId": user}
    )
    sso.create_account_assignment(
        **ids,
        TargetId=ACCOUNT,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=arn,
        PrincipalType="GROUP",
        PrincipalId=group,
    )


@pytest.fixture
def moto_account(aws_env: None) -> Iterator[None]:
    with mock_aws():
        plant(boto3.client("iam", region_name=REGION))
        plant_identity_center()
        yield


def options(**overrides: Any) -> CollectOptions:
    base: dict[str, Any] = {
        "region": REGION,
        "analyzer_regions": (REGION,),
        "quiet": True,
        "report_wait_seconds": 5.0,
    }
    base.update(overrides)
    return CollectOptions(**base)


def collect(session: boto3.session.Session | None = None, **overrides: Any) -> Snapshot:
    return collect_snapshot(options(**overrides), session=session or boto3.session.Session())


# --- fault injection ---------------------------------------------------------------------
# A handler on ``before-send`` answers instead of moto (it runs inside botocore's retry loop,
# so retries behave as against AWS). Bodies are in each service's wire protocol.


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def error_body(service: str, code: str, message: str) -> tuple[dict[str, str], bytes]:
    if service in ("accessanalyzer", "sso-admin", "identitystore"):  # restJson1, awsJson1_1
        # restJson reads the code from the header, awsJson from "__type" in the body.
        return {"x-amzn-ErrorType": code, "content-type": "application/json"}, json.dumps(
            {"__type": code, "message": message}
        ).encode()
    if service == "organizations":  # awsJson1_1
        return {"content-type": "application/x-amz-json-1.1"}, json.dumps(
            {"__type": code, "message": message}
        ).encode()
    if service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            "</Errors><RequestID>r-1</RequestID></Response>"
        )
        return {"content-type": "text/xml"}, body.encode()
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>r-1</RequestId></ErrorResponse>"
    )
    return {"content-type": "text/xml"}, body.encode()


class ErrorResponder:
    """A ``before-send`` handler answering with an AWS error (``times`` times, or always)."""

    def __init__(self, service: str, code: str, status: int, times: int | None) -> None:
        self.service, self.code, self.status, self.times = service, code, status, times
        self.sent = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.times is not None and self.sent >= self.times:
            return None
        self.sent += 1
        headers, body = error_body(self.service, self.code, f"injected {self.code}")
        return AWSResponse(request.url, self.status, headers, _Raw(body))


def inject_error(
    session: boto3.session.Session,
    service: str,
    operation: str,
    code: str,
    *,
    status: int = 403,
    times: int | None = None,
) -> Callable[[], int]:
    """Make ``operation`` fail on clients of ``session``. Returns how many times it did."""
    responder = ErrorResponder(service, code, status, times)
    session.events.register_first(f"before-send.{service}.{operation}", responder)
    return lambda: responder.sent


HTML_PAGE = b"<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>"


def inject_html(
    session: boto3.session.Session, service: str, operation: str, status: int
) -> Callable[[], int]:
    """Make ``operation`` answer with an HTML error page (a proxy's, an emulator's crash)."""
    sent = 0

    def answer(request: Any, **_: Any) -> AWSResponse:
        nonlocal sent
        sent += 1
        return AWSResponse(request.url, status, {"content-type": "text/html"}, _Raw(HTML_PAGE))

    session.events.register_first(f"before-send.{service}.{operation}", answer)
    return lambda: sent
