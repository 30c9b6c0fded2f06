"""`iam-audit run --endpoint-url` over real HTTP against a moto server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from audit.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.mark.server
def test_run_against_a_moto_server(
    moto_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iam = boto3.client("iam", endpoint_url=moto_server, region_name="us-east-1")
    iam.create_user(UserName="nomfa")
    iam.create_login_profile(UserName="nomfa", Password="Not-a-real-pass-1!")
    iam.put_user_policy(
        UserName="nomfa",
        PolicyName="inline",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "run",
                "--endpoint-url",
                moto_server,
                "--out",
                str(tmp_path),
                "-q",
                "--analyzer-region",
                "us-east-1",
                "--max-attempts",
                "2",
                "--format",
                "json,csv",
            ]
        )
    # moto's server crashes on Access Analyzer (HTTP 500, after a retry): a server error makes
    # the run incomplete (exit 3), and the rule that needs that API goes unjudged.
    assert exc.value.code == 3, capsys.readouterr().err
    findings = json.loads((tmp_path / "findings.json").read_text())
    [analyzer] = [f for f in findings if f["rule_id"] == "access-analyzer-enabled"]
    assert analyzer["status"] == "not_assessed"
    assert "HTTP 500 from the endpoint" in analyzer["message"]
    failing = {(f["rule_id"], f["resource_name"]) for f in findings if f["status"] == "fail"}
    assert ("user-console-mfa", "nomfa") in failing
    assert ("user-inline-policy", "nomfa") in failing
    # no password policy was set on the server: the policy rule fails, it is not "not assessed"
    assert any(rule == "password-min-length" for rule, _ in failing)
    assert (tmp_path / "snapshot.json.gz").exists()


def test_unreachable_endpoint_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "run",
                "--endpoint-url",
                f"http://127.0.0.1:{_free_port()}",
                "--out",
                str(tmp_path),
                "--max-attempts",
                "1",
                "-q",
            ]
        )
    err = capsys.readouterr().err
    assert exc.value.code == 4
    assert err.startswith("iam-audit: error:") and err.count("\n") == 1
    assert not any(tmp_path.iterdir())
