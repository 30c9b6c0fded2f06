"""Normalisers on hand-written payloads: URL-encoded (real AWS) and dict (moto) documents."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from audit.collect.access_analyzer import analyzers_from
from audit.collect.account import password_policy_fields, virtual_mfa_fields
from audit.collect.authorization import normalise
from audit.collect.normalise import policy_document, utc

DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/100%"}],
}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def encoded(doc: dict[str, Any]) -> str:
    return urllib.parse.quote(json.dumps(doc))


def gaad_page(doc: Any, trust: Any) -> dict[str, Any]:
    """One GetAccountAuthorizationDetails page as boto3 returns it (documents as given)."""
    return {
        "UserDetailList": [
            {
                "UserName": "alice",
                "UserId": "AIDA1",
                "Arn": "arn:aws:iam::1:user/alice",
                "Path": "/",
                "CreateDate": WHEN,
                "GroupList": ["g"],
                "UserPolicyList": [{"PolicyName": "u-inline", "PolicyDocument": doc}],
                "AttachedManagedPolicies": [
                    {
                        "PolicyName": "ReadOnlyAccess",
                        "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                    }
                ],
                "PermissionsBoundary": {
                    "PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": "arn:aws:iam::1:policy/boundary",
                },
                "Tags": [{"Key": "k", "Value": "v"}],
            }
        ],
        "GroupDetailList": [
            {
                "GroupName": "g",
                "GroupId": "AGPA1",
                "Arn": "arn:aws:iam::1:group/g",
                "Path": "/",
                "CreateDate": WHEN,
                "GroupPolicyList": [{"PolicyName": "g-inline", "PolicyDocument": doc}],
                "AttachedManagedPolicies": [],
            }
        ],
        "RoleDetailList": [
            {
                "RoleName": "r",
                "RoleId": "AROA1",
                "Arn": "arn:aws:iam::1:role/r",
                "Path": "/",
                "CreateDate": WHEN,
                "AssumeRolePolicyDocument": trust,
                "RolePolicyList": [{"PolicyName": "r-inline", "PolicyDocument": doc}],
                "AttachedManagedPolicies": [],
                "RoleLastUsed": {"LastUsedDate": WHEN, "Region": "eu-west-1"},
                "Tags": [],
            }
        ],
        "Policies": [
            {
                "PolicyName": "boundary",
                "PolicyId": "ANPA1",
                "Arn": "arn:aws:iam::1:policy/boundary",
                "Path": "/",
                "DefaultVersionId": "v2",
                "AttachmentCount": 0,
                "PermissionsBoundaryUsageCount": 1,
                "IsAttachable": True,
                "CreateDate": WHEN,
                "UpdateDate": WHEN,
                "PolicyVersionList": [
                    {"Document": {"old": True}, "VersionId": "v1", "IsDefaultVersion": False},
                    {"Document": doc, "VersionId": "v2", "IsDefaultVersion": True},
                ],
            },
            {
                "PolicyName": "ReadOnlyAccess",
                "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "DefaultVersionId": "v1",
                "AttachmentCount": 1,
                "PolicyVersionList": [
                    {"Document": doc, "VersionId": "v1", "IsDefaultVersion": True}
                ],
            },
            {
                "PolicyName": "UnusedAwsPolicy",
                "Arn": "arn:aws:iam::aws:policy/UnusedAwsPolicy",
                "DefaultVersionId": "v1",
                "AttachmentCount": 0,
                "PolicyVersionList": [
                    {"Document": doc, "VersionId": "v1", "IsDefaultVersion": True}
                ],
            },
        ],
    }


def test_url_encoded_and_dict_documents_normalise_the_same() -> None:
    from_aws = normalise([gaad_page(encoded(DOC), encoded(TRUST))])
    from_moto = normalise([gaad_page(DOC, TRUST)])
    assert from_aws == from_moto
    (user,) = from_aws.users
    assert user.inline_policies[0].document == DOC
    assert user.permissions_boundary_arn == "arn:aws:iam::1:policy/boundary"
    assert user.tags == {"k": "v"}
    (role,) = from_aws.roles
    assert role.assume_role_policy == TRUST
    assert (role.last_used, role.last_used_region) == (WHEN, "eu-west-1")
    # Customer policies and AWS policies in use are kept; unused AWS policies are not.
    assert [p.name for p in from_aws.policies] == ["boundary", "ReadOnlyAccess"]
    boundary = from_aws.policies[0]
    assert (boundary.default_version_id, boundary.document) == ("v2", DOC)
    assert boundary.permissions_boundary_usage_count == 1


def test_pages_are_concatenated() -> None:
    first = gaad_page(DOC, TRUST)
    second = {"UserDetailList": [dict(first["UserDetailList"][0], UserName="bob")]}
    details = normalise([first, second])
    assert [u.name for u in details.users] == ["alice", "bob"]


@pytest.mark.parametrize(
    "value",
    [DOC, json.dumps(DOC), encoded(DOC), "  " + encoded(DOC)],
)
def test_policy_document_forms(value: object) -> None:
    assert policy_document(value) == DOC


@pytest.mark.parametrize("value", ["%7Bnot json", "[1, 2]", 42, encoded({"a": 1})[:-3]])
def test_bad_policy_documents_raise(value: object) -> None:
    with pytest.raises(ValueError, match="policy document"):
        policy_document(value)


def test_missing_default_version_is_an_error() -> None:
    page = gaad_page(DOC, TRUST)
    page["Policies"][0]["PolicyVersionList"] = []
    with pytest.raises(ValueError, match="no default version"):
        normalise([page])


def test_utc_normalises_zones() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert utc(datetime(2024, 1, 1, 2, 0, tzinfo=plus_two)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert utc(datetime(2024, 1, 1)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert utc("2015-02-02T20:02:02Z") == datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC)
    assert utc(None) is None


def test_password_policy_unset_values_are_none() -> None:
    fields = password_policy_fields(
        [{"PasswordPolicy": {"MinimumPasswordLength": 14, "MaxPasswordAge": 0}}]
    )
    policy = fields["password_policy"]
    assert policy is not None
    assert policy.minimum_password_length == 14
    assert policy.max_password_age is None
    assert password_policy_fields([]) == {"password_policy": None}


def test_root_virtual_mfa_has_no_user_name() -> None:
    fields = virtual_mfa_fields(
        [
            {
                "VirtualMFADevices": [
                    {
                        "SerialNumber": "arn:aws:iam::1:mfa/root-account-mfa-device",
                        "User": {"Arn": "arn:aws:iam::1:root", "CreateDate": WHEN},
                        "EnableDate": WHEN,
                    },
                    {"SerialNumber": "arn:aws:iam::1:mfa/unassigned"},
                ]
            }
        ]
    )
    root, unassigned = fields["virtual_mfa_devices"]
    assert (root.user_arn, root.user_name) == ("arn:aws:iam::1:root", None)
    assert unassigned.user_arn is None


def test_analyzers_from_pages() -> None:
    (analyzer,) = analyzers_from(
        "eu-west-1",
        [{"analyzers": [{"name": "a", "arn": "arn:x", "type": "ACCOUNT", "status": "ACTIVE"}]}],
    )
    assert (analyzer.region, analyzer.type, analyzer.status) == ("eu-west-1", "ACCOUNT", "ACTIVE")
