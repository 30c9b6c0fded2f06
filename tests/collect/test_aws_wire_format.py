"""Real AWS on the wire, where moto differs: several pages (IsTruncated/Marker), policy
documents URL-encoded (trust and inline policies included), and a non-commercial partition.

The replies are AWS's query-protocol XML, served by a ``before-send`` handler, so botocore's
paginator and its policy-document decoding run exactly as against AWS.
"""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from audit.collect import account, authorization
from audit.collect.options import CollectOptions
from audit.collect.session import open_clients
from audit.model import OutcomeStatus

ACCT = "123456789012"
ARN = f"arn:aws-us-gov:iam::{ACCT}"
XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws-us-gov:iam::111122223333:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "a b&c=d%"}},
        }
    ],
}


def _encoded(document: dict[str, Any]) -> str:
    return urllib.parse.quote(json.dumps(document), safe="")


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def _page(operation: str, body: str, marker: str | None) -> bytes:
    more = (
        f"<IsTruncated>true</IsTruncated><Marker>{marker}</Marker>"
        if marker
        else "<IsTruncated>false</IsTruncated>"
    )
    return (
        f'<{operation}Response xmlns="{XMLNS}"><{operation}Result>{more}{body}'
        f"</{operation}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
        f"</{operation}Response>"
    ).encode()


def _user(name: str) -> str:
    return (
        f"<member><UserName>{name}</UserName><Path>/</Path><Arn>{ARN}:user/{name}</Arn>"
        f"<UserId>AIDA{name.upper()}</UserId><CreateDate>2020-01-01T00:00:00Z</CreateDate>"
        "<GroupList><member>admins</member></GroupList><AttachedManagedPolicies/>"
        f"<UserPolicyList><member><PolicyName>inline</PolicyName><PolicyDocument>"
        f"{_encoded(ADMIN)}</PolicyDocument></member></UserPolicyList></member>"
    )


ROLE = (
    f"<member><RoleName>vendor</RoleName><Path>/</Path><Arn>{ARN}:role/vendor</Arn>"
    "<RoleId>AROAVENDOR</RoleId><CreateDate>2020-01-01T00:00:00Z</CreateDate>"
    f"<AssumeRolePolicyDocument>{_encoded(TRUST)}</AssumeRolePolicyDocument>"
    "<RolePolicyList/><AttachedManagedPolicies/><InstanceProfileList/>"
    "<RoleLastUsed><LastUsedDate>2026-09-01T10:00:00Z</LastUsedDate>"
    "<Region>us-gov-west-1</Region></RoleLastUsed></member>"
)
POLICY = (
    f"<member><PolicyName>Admin</PolicyName><PolicyId>ANPA1</PolicyId><Arn>{ARN}:policy/Admin"
    "</Arn><Path>/</Path><DefaultVersionId>v2</DefaultVersionId><AttachmentCount>1"
    "</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>"
    "<IsAttachable>true</IsAttachable><CreateDate>2020-01-01T00:00:00Z</CreateDate>"
    "<UpdateDate>2020-01-02T00:00:00Z</UpdateDate><PolicyVersionList>"
    f"<member><Document>{_encoded({'Version': '2012-10-17', 'Statement': []})}</Document>"
    "<VersionId>v1</VersionId><IsDefaultVersion>false</IsDefaultVersion></member>"
    f"<member><Document>{_encoded(ADMIN)}</Document><VersionId>v2</VersionId>"
    "<IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member>"
)
GAAD_PAGES = [
    f"<UserDetailList>{_user('alice')}</UserDetailList>",
    f"<UserDetailList>{_user('bob')}</UserDetailList><RoleDetailList>{ROLE}</RoleDetailList>",
    f"<GroupDetailList/><Policies>{POLICY}</Policies>",
]


def _mfa(user: str | None, serial: str) -> str:
    owner = (
        f"<User><UserName>{user}</UserName><Path>/</Path><Arn>{ARN}:user/{user}</Arn>"
        f"<UserId>AIDA</UserId><CreateDate>2020-01-01T00:00:00Z</CreateDate></User>"
        if user
        else ""
    )
    return (
        f"<member><SerialNumber>{ARN}:mfa/{serial}</SerialNumber>{owner}"
        "<EnableDate>2021-01-01T00:00:00Z</EnableDate></member>"
    )


MFA_PAGES = [
    f"<VirtualMFADevices>{_mfa('alice', 'alice')}</VirtualMFADevices>",
    f"<VirtualMFADevices>{_mfa(None, 'spare')}</VirtualMFADevices>",
]


class _Paged:
    """Answers ``operation`` with ``pages``, following the Marker the paginator sends back."""

    def __init__(self, operation: str, pages: list[str]) -> None:
        self.operation, self.pages, self.markers = operation, pages, []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        body = request.body or b""
        form = urllib.parse.parse_qs(body.decode() if isinstance(body, bytes) else str(body))
        marker = form.get("Marker", [None])[0]
        self.markers.append(marker)
        index = 0 if marker is None else int(marker.removeprefix("page-"))
        nxt = f"page-{index + 1}" if index + 1 < len(self.pages) else None
        reply = _page(self.operation, self.pages[index], nxt)
        return AWSResponse(request.url, 200, {"content-type": "text/xml"}, _Raw(reply))


@pytest.fixture
def session(aws_env: None) -> boto3.session.Session:
    return boto3.session.Session()


def test_authorization_details_over_three_pages_with_url_encoded_documents(
    session: boto3.session.Session,
) -> None:
    gaad = _Paged("GetAccountAuthorizationDetails", GAAD_PAGES)
    session.events.register_first("before-send.iam.GetAccountAuthorizationDetails", gaad)
    clients = open_clients(CollectOptions(region="us-gov-west-1", quiet=True), session)
    assert clients.iam().meta.endpoint_url == "https://iam.us-gov.amazonaws.com"

    details, outcome = authorization.collect(clients)

    assert outcome.status is OutcomeStatus.OK and outcome.calls == 3
    assert gaad.markers == [None, "page-1", "page-2"]
    assert [u.name for u in details.users] == ["alice", "bob"]
    assert details.users[0].inline_policies[0].document == ADMIN
    assert details.users[0].groups == ("admins",)
    (role,) = details.roles
    assert role.assume_role_policy == TRUST  # "a b&c=d%" decoded exactly once
    assert role.last_used_region == "us-gov-west-1"
    (policy,) = details.policies
    assert policy.arn == f"{ARN}:policy/Admin"
    assert (policy.default_version_id, policy.document) == ("v2", ADMIN)


def test_virtual_mfa_devices_over_two_pages(session: boto3.session.Session) -> None:
    mfa = _Paged("ListVirtualMFADevices", MFA_PAGES)
    session.events.register_first("before-send.iam.ListVirtualMFADevices", mfa)
    clients = open_clients(CollectOptions(region="us-gov-west-1", quiet=True), session)
    [call] = [c for c in account.CALLS if c.action == "iam:ListVirtualMFADevices"]

    fields, outcome = account.collect_one(clients, call)

    assert outcome.status is OutcomeStatus.OK and outcome.calls == 2
    devices = fields["virtual_mfa_devices"]
    assert isinstance(devices, tuple)
    assert [(d.serial_number, d.user_name) for d in devices] == [
        (f"{ARN}:mfa/alice", "alice"),
        (f"{ARN}:mfa/spare", None),
    ]
