"""Read-only by construction, least privilege proven by recording what a collection sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.iam.models import iam_backends

from audit.cli import main
from audit.collect.guard import ReadOnlyViolation, is_read_only
from audit.collect.options import CollectOptions
from audit.collect.permissions import (
    NO_PERMISSION_NEEDED,
    action_of,
    least_privilege_policy,
    policy_json,
    required_actions,
)
from audit.collect.session import open_clients
from tests.collect.conftest import ACCOUNT, collect

POLICY_FILE = Path(__file__).resolve().parents[2] / "docs" / "least-privilege-policy.json"


@pytest.mark.usefixtures("aws_env")
def test_mutating_call_is_refused_before_it_is_sent() -> None:
    with mock_aws():
        session = boto3.session.Session()
        sent: list[str] = []
        session.events.register("before-send", lambda request, **_: sent.append(request.url))
        iam = open_clients(CollectOptions(region="us-east-1"), session).iam()
        with pytest.raises(ReadOnlyViolation, match="refused iam:CreateUser"):
            iam.create_user(UserName="intruder")
        with pytest.raises(ReadOnlyViolation, match="refused iam:DeleteAccountPasswordPolicy"):
            iam.delete_account_password_policy()
        assert sent == []  # nothing left the process
        assert iam_backends[ACCOUNT]["aws"].users == {}
        iam.list_users()  # reads still pass the guard
        assert len(sent) == 1


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("iam", "ListUsers", True),
        ("iam", "GetAccountAuthorizationDetails", True),
        ("ec2", "DescribeRegions", True),
        ("iam", "GenerateCredentialReport", True),
        ("sts", "GetCallerIdentity", True),
        ("sts", "AssumeRole", True),
        ("iam", "CreateUser", False),
        ("iam", "GenerateServiceLastAccessedDetails", False),
        ("iam", "UpdateAccessKey", False),
        ("sts", "AssumeRoleWithSAML", False),
        ("iam", "PutUserPolicy", False),
    ],
)
def test_read_only_rule(service: str, operation: str, allowed: bool) -> None:
    assert is_read_only(service, operation) is allowed


@pytest.mark.usefixtures("moto_account")
def test_every_action_sent_is_in_the_policy() -> None:
    session = boto3.session.Session()
    sent: set[str] = set()

    def record(model: Any, **_: Any) -> None:
        sent.add(action_of(model))

    session.events.register("before-call", record)
    # Every region path: DescribeRegions, then ListAnalyzers per enabled region.
    collect(session, analyzer_regions=None)
    allowed = set(required_actions())
    assert sent - allowed == set(), "add these to the collector's ACTIONS"
    assert sent == allowed  # and the policy grants nothing collection does not use


def test_docs_policy_file_is_up_to_date() -> None:
    assert POLICY_FILE.read_text() == policy_json(), (
        "regenerate it: iam-audit permissions > docs/least-privilege-policy.json"
    )


def test_policy_shape_and_read_only() -> None:
    (statement,) = least_privilege_policy()["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    for action in statement["Action"]:
        service, _, operation = action.partition(":")
        assert is_read_only(service, operation), action


def test_aws_security_audit_policy_is_sufficient() -> None:
    """AWS's managed SecurityAudit (moto's bundled copy) grants every action we need."""
    from fnmatch import fnmatchcase

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    document = json.loads(aws_managed_policies_data)["SecurityAudit"]["Document"]
    patterns = [
        a
        for s in document["Statement"]
        if s["Effect"] == "Allow"
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    # IAM actions are case-insensitive.
    missing = [
        action
        for action in required_actions()
        if action not in NO_PERMISSION_NEEDED
        and not any(fnmatchcase(action.lower(), p.lower()) for p in patterns)
    ]
    assert missing == []


def test_permissions_command_prints_the_policy(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["permissions"])
    assert exit_info.value.code == 0
    assert json.loads(capsys.readouterr().out) == least_privilege_policy()
