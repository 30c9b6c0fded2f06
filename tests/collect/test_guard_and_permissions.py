"""Read-only by construction, least privilege proven by recording what a collection sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import botocore
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
from tests.collect.conftest import ACCOUNT, REGION, collect
from tests.fixtures.unused_access_replies import FakeAnalyzer, FakeLastAccessed, analyzer
from tests.rules.builders import T0

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
        ("sts", "AssumeRole", False),  # only for an organization run (below)
        ("iam", "CreateUser", False),
        ("iam", "GenerateServiceLastAccessedDetails", True),
        ("iam", "DeleteServiceLinkedRole", False),
        ("iam", "UpdateAccessKey", False),
        ("sts", "AssumeRoleWithSAML", False),
        ("iam", "PutUserPolicy", False),
    ],
)
def test_read_only_rule(service: str, operation: str, allowed: bool) -> None:
    assert is_read_only(service, operation) is allowed


def test_assume_role_is_an_organization_run_s_explicit_opt_in() -> None:
    assert is_read_only("sts", "AssumeRole", assume_role=True)
    assert not is_read_only("sts", "AssumeRoleWithSAML", assume_role=True)
    assert not is_read_only("iam", "CreateUser", assume_role=True)


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize("allow", [False, True])
def test_assume_role_is_sent_only_when_the_session_opts_in(allow: bool) -> None:
    with mock_aws():
        session = boto3.session.Session()
        sent: list[str] = []
        session.events.register("before-send", lambda request, **_: sent.append(request.url))
        clients = open_clients(CollectOptions(region="us-east-1"), session, allow_assume_role=allow)
        sts = clients.client("sts")
        role = f"arn:aws:iam::{ACCOUNT}:role/reader"
        if allow:
            assert sts.assume_role(RoleArn=role, RoleSessionName="audit")["Credentials"]
            assert len(sent) == 1
        else:
            with pytest.raises(ReadOnlyViolation, match="refused sts:AssumeRole"):
                sts.assume_role(RoleArn=role, RoleSessionName="audit")
            assert sent == []
        # The opt-in is AssumeRole only: a write is refused either way.
        with pytest.raises(ReadOnlyViolation, match="refused iam:CreateUser"):
            clients.iam().create_user(UserName="intruder")


def _replaced_model(tmp_path: Path, service: str, operation: str, http: dict[str, str]) -> Path:
    """An AWS_DATA_PATH folder whose model of ``service`` binds ``operation`` to ``http``."""
    import gzip

    import botocore.loaders

    [shipped] = (Path(botocore.loaders.Loader.BUILTIN_DATA_PATH) / service).glob(
        "*/service-2.json.gz"
    )
    model = json.loads(gzip.decompress(shipped.read_bytes()))
    model["operations"][operation]["http"].update(http)
    folder = tmp_path / "models" / service / shipped.parent.name
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return tmp_path / "models"


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    ("service", "operation", "http", "why"),
    [
        # An allowed name bound to a DELETE: got through the name-only guard.
        ("accessanalyzer", "ListAnalyzers", {"method": "DELETE"}, "HTTP DELETE"),
        # An allowed name bound to CreateAnalyzer's route: a write under a read's name.
        (
            "accessanalyzer",
            "ListAnalyzers",
            {"method": "PUT", "requestUri": "/analyzer"},
            "HTTP PUT",
        ),
        (
            "accessanalyzer",
            "ListAnalyzers",
            {"method": "POST", "requestUri": "/analyzer"},
            "not botocore's own (POST /analyzer instead of GET /analyzer)",
        ),
        ("iam", "ListUsers", {"method": "PATCH"}, "HTTP PATCH"),
    ],
)
def test_a_replaced_service_model_cannot_smuggle_a_write(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    operation: str,
    http: dict[str, str],
    why: str,
) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(_replaced_model(tmp_path, service, operation, http)))
    with mock_aws():
        session = boto3.session.Session()
        sent: list[str] = []
        session.events.register("before-send", lambda request, **_: sent.append(request.url))
        client = open_clients(CollectOptions(region="us-east-1"), session).client(service)
        assert (
            client.meta.service_model.operation_model(operation).http["method"] == (http["method"])
        )
        with pytest.raises(ReadOnlyViolation) as refused:
            getattr(client, botocore.xform_name(operation))()
    assert sent == []
    prefix = client.meta.service_model.endpoint_prefix
    assert str(refused.value).startswith(f"refused {prefix}:{operation}: ")
    assert why in str(refused.value)


@pytest.mark.usefixtures("moto_account")
def test_every_action_sent_is_in_the_policy() -> None:
    session = boto3.session.Session()
    sent: set[str] = set()

    def record(model: Any, **_: Any) -> None:
        sent.add(action_of(model))

    session.events.register("before-call", record)
    # What moto does not implement (Access Analyzer, service last accessed) answers in AWS's
    # wire format, so the unused-access calls are sent too.
    FakeAnalyzer([analyzer(REGION, "unused", "ACCOUNT_UNUSED_ACCESS")], []).install(session)
    FakeLastAccessed(lambda arn: [], reads_in_progress=0, now=T0).install(session)
    # Every region path: DescribeRegions, then ListAnalyzers per enabled region.
    collect(session, analyzer_regions=None, last_accessed=True)
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
