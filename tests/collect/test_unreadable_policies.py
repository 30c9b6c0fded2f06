"""One inline policy document that is not JSON: that policy is unreadable, not the whole part.

It used to fail GetAccountAuthorizationDetails' normalisation as a whole: every identity rule
not assessed (group-empty and user-not-in-group included) for one bad document.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from audit.collect import authorization
from audit.engine import evaluate
from audit.findings import Status
from audit.model import PART_AUTHORIZATION, PART_POLICY_DOCUMENTS, InlinePolicy, OutcomeStatus
from tests.collect.conftest import collect
from tests.rules.builders import by_name, group, run, snapshot, user

ACCT = "123456789012"
XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)
NOT_JSON = "{Version: 2012-10-17, Statement: ["


def _user(name: str, groups: tuple[str, ...], inline: dict[str, str]) -> dict[str, Any]:
    return {
        "UserName": name,
        "Arn": f"arn:aws:iam::{ACCT}:user/{name}",
        "UserId": f"AIDA{name.upper()}",
        "Path": "/",
        "GroupList": list(groups),
        "UserPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in inline.items()],
        "AttachedManagedPolicies": [],
    }


PAGES = [
    {
        "UserDetailList": [
            _user("bob", (), {"broken": NOT_JSON, "read": READ}),
            _user("carol", (), {}),
            _user("dan", ("devs",), {}),
        ],
        "GroupDetailList": [
            {
                "GroupName": "devs",
                "Arn": f"arn:aws:iam::{ACCT}:group/devs",
                "GroupPolicyList": [{"PolicyName": "g-admin", "PolicyDocument": ADMIN}],
                "AttachedManagedPolicies": [],
            },
            {"GroupName": "nobody", "Arn": f"arn:aws:iam::{ACCT}:group/nobody"},
        ],
    }
]


def test_a_non_json_inline_document_marks_only_that_policy() -> None:
    details = authorization.normalise(PAGES)
    bob = next(u for u in details.users if u.name == "bob")
    broken, read = bob.inline_policies
    assert broken.name == "broken" and broken.document == {}
    assert broken.unreadable.startswith("policy document is not JSON: ")
    assert read.unreadable == "" and read.document["Statement"]
    assert {u.name for u in details.users} == {"bob", "carol", "dan"}
    [outcome] = authorization.unreadable_policies(details, "iam:GetAccountAuthorizationDetails")
    assert outcome.status is OutcomeStatus.ERROR and outcome.part == PART_POLICY_DOCUMENTS
    assert outcome.message.startswith("1 policy document cannot be read: user bob: broken (")


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def _gaad_xml() -> bytes:
    def member(user: dict[str, Any]) -> str:
        groups = "".join(f"<member>{g}</member>" for g in user["GroupList"])
        inline = "".join(
            f"<member><PolicyName>{p['PolicyName']}</PolicyName>"
            f"<PolicyDocument>{_escape(p['PolicyDocument'])}</PolicyDocument></member>"
            for p in user["UserPolicyList"]
        )
        return (
            f"<member><UserName>{user['UserName']}</UserName><Path>/</Path>"
            f"<Arn>{user['Arn']}</Arn><UserId>{user['UserId']}</UserId>"
            "<CreateDate>2020-01-01T00:00:00Z</CreateDate>"
            f"<GroupList>{groups}</GroupList><AttachedManagedPolicies/>"
            f"<UserPolicyList>{inline}</UserPolicyList></member>"
        )

    users = "".join(member(u) for u in PAGES[0]["UserDetailList"])
    groups = (
        f"<member><GroupName>devs</GroupName><Path>/</Path><Arn>arn:aws:iam::{ACCT}:group/devs"
        "</Arn><GroupId>AGPADEVS</GroupId><CreateDate>2020-01-01T00:00:00Z</CreateDate>"
        "<GroupPolicyList><member><PolicyName>g-admin</PolicyName>"
        f"<PolicyDocument>{_escape(ADMIN)}</PolicyDocument></member></GroupPolicyList>"
        "<AttachedManagedPolicies/></member>"
        f"<member><GroupName>nobody</GroupName><Path>/</Path><Arn>arn:aws:iam::{ACCT}:group/"
        "nobody</Arn><GroupId>AGPANOBODY</GroupId><CreateDate>2020-01-01T00:00:00Z</CreateDate>"
        "<GroupPolicyList/><AttachedManagedPolicies/></member>"
    )
    return (
        f'<GetAccountAuthorizationDetailsResponse xmlns="{XMLNS}">'
        "<GetAccountAuthorizationDetailsResult><IsTruncated>false</IsTruncated>"
        f"<UserDetailList>{users}</UserDetailList><GroupDetailList>{groups}</GroupDetailList>"
        "<RoleDetailList/><Policies/></GetAccountAuthorizationDetailsResult>"
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
        "</GetAccountAuthorizationDetailsResponse>"
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.usefixtures("moto_account")
def test_the_part_is_kept_and_the_policy_reaches_only_its_principals() -> None:
    session = boto3.session.Session()
    body = _gaad_xml()
    session.events.register_first(
        "before-send.iam.GetAccountAuthorizationDetails",
        lambda request, **_: AWSResponse(
            request.url, 200, {"content-type": "text/xml"}, _Raw(body)
        ),
    )
    snap = collect(session)
    assert snap.has_part(PART_AUTHORIZATION)
    [gap] = [o for o in snap.outcomes if o.part == PART_POLICY_DOCUMENTS]
    assert gap in snap.failed_outcomes  # -> exit 3
    findings = evaluate(snap).findings

    def status(rule_id: str, name: str) -> Status:
        [f] = [f for f in findings if f.rule_id == rule_id and f.resource_name == name]
        return f.status

    # The structural rules still judge.
    assert status("group-empty", "nobody") is Status.FAIL
    assert status("group-empty", "devs") is Status.PASS
    assert status("user-not-in-group", "carol") is Status.FAIL
    # bob holds the unreadable policy: what he may do is unknown; dan is judged.
    [bob] = [
        f for f in findings if f.rule_id == "user-effective-admin" and f.resource_name == "bob"
    ]
    assert bob.status is Status.NOT_ASSESSED
    assert "inline policy broken" in bob.message and "unreadable" in bob.message
    assert status("user-effective-admin", "dan") is Status.FAIL
    assert status("policy-privilege-escalation", "user bob: broken") is Status.NOT_ASSESSED
    assert status("policy-privilege-escalation", "user bob: read") is Status.PASS


def test_a_group_s_unreadable_policy_leaves_its_members_unjudged() -> None:
    broken = InlinePolicy("broken", {}, unreadable="policy document is not JSON: x")
    devs = replace(group("devs"), inline_policies=(broken,))
    snap = snapshot(users=(user("dan", groups=("devs",)), user("eve")), groups=(devs,))
    got = by_name(run("user-effective-admin", snap))
    assert got["dan"].status is Status.NOT_ASSESSED
    assert (
        got["dan"].message == "dan: not collected: inline policy broken of group devs (unreadable)"
    )
    assert got["eve"].status is Status.PASS
    assert by_name(run("group-empty", snap))["devs"].status is Status.PASS
