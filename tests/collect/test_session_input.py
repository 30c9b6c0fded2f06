"""Where collection is pointed (profile, regions, endpoint): mistakes are one line, up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.collect import CollectOptions, collect_snapshot
from audit.errors import CollectionError, InputError
from tests.cli_helpers import exit_code


def test_unknown_profile_from_aws_profile_is_named(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope-from-env")
    with pytest.raises(CollectionError, match="^AWS profile 'nope-from-env' not found$"):
        collect_snapshot(CollectOptions(quiet=True))


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"region": "eu west 1"}, "--region 'eu west 1' is not a valid AWS region name"),
        (
            {"region": "us-east-1", "analyzer_regions": ("us-east-1", "eu west 1")},
            "--analyzer-region 'eu west 1' is not a valid AWS region name",
        ),
        ({"endpoint_url": "localhost:5000"}, "endpoint URL 'localhost:5000' is not a valid"),
    ],
)
def test_bad_region_or_endpoint_is_input_error(
    aws_env: None, overrides: dict[str, object], needle: str
) -> None:
    with pytest.raises(InputError, match=needle):
        collect_snapshot(CollectOptions(quiet=True, **overrides))  # type: ignore[arg-type]


def test_bad_region_from_the_environment_is_input_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "x y")
    with pytest.raises(InputError, match="region 'x y' is not a valid AWS region name"):
        collect_snapshot(CollectOptions(quiet=True))


@pytest.mark.usefixtures("moto_account")
def test_bad_analyzer_region_fails_before_collecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # botocore refuses the name only when the Access Analyzer client is made, after
    # everything else was collected: the whole collection was lost, with exit 4.
    out = tmp_path / "snap.json.gz"
    argv = ["collect", "-o", str(out), "--region", "us-east-1", "-q"]
    assert exit_code([*argv, "--analyzer-region", "us east 1"]) == 2
    err = capsys.readouterr().err
    assert err == "iam-audit: error: --analyzer-region 'us east 1' is not a valid AWS region name\n"
    assert not out.exists()


@pytest.mark.parametrize(("region", "hinted"), [(None, True), ("us-east-1", False)])
def test_token_rejected_without_a_region_says_a_region_may_be_needed(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, region: str | None, hinted: bool
) -> None:
    # GovCloud or China credentials sent to us-east-1 (the default when nothing names a
    # region) are rejected as an invalid token: the bare message blames the credentials.
    import boto3
    from moto import mock_aws

    from tests.collect.conftest import inject_error

    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with mock_aws():
        session = boto3.session.Session()
        inject_error(session, "sts", "GetCallerIdentity", "InvalidClientTokenId")
        with pytest.raises(CollectionError) as err:
            collect_snapshot(CollectOptions(region=region, quiet=True), session=session)
    message = str(err.value)
    assert message.startswith("sts:GetCallerIdentity failed: InvalidClientTokenId: injected")
    assert ("need --region, e.g. us-gov-west-1" in message) is hinted
    assert "\n" not in message


def _collect_with_credential_process(
    script: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """Exit code and stderr of `collect --profile vaulted`, whose credential_process is
    ``script``."""
    helper = tmp_path / "creds.sh"
    helper.write_text("#!/bin/sh\n" + script)
    helper.chmod(0o755)
    config = tmp_path / "config"
    config.write_text(f"[profile vaulted]\ncredential_process = {helper}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    code = exit_code(["collect", "-o", str(tmp_path / "s.json.gz"), "--profile", "vaulted", "-q"])
    return code, capsys.readouterr().err


def test_credential_process_failure_is_one_line(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # botocore puts the process's stderr in its message; aws-vault and friends write several
    # lines there, which used to reach the terminal as a multi-line error.
    script = (
        "echo 'vault: error: cannot get credentials' >&2\n"
        "echo '  caused by: session expired' >&2\nexit 1\n"
    )
    code, err = _collect_with_credential_process(script, tmp_path, monkeypatch, capsys)
    assert code == 4
    assert err.count("\n") == 1, err
    assert err.startswith("iam-audit: error: cannot load AWS credentials: ")
    assert "vault: error: cannot get credentials caused by: session expired" in err


@pytest.mark.parametrize("expired", [False, True])
def test_sso_profile_without_a_valid_token_says_how_to_log_in(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, expired: bool
) -> None:
    import hashlib
    import json

    start = "https://example.awsapps.com/start"
    config = tmp_path / "config"
    config.write_text(
        f"[profile corp-audit]\nsso_start_url = {start}\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Audit\nregion = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    if expired:  # a token from yesterday's `aws sso login`, expired since
        cache = tmp_path / ".aws" / "sso" / "cache"
        cache.mkdir(parents=True)
        (cache / f"{hashlib.sha1(start.encode()).hexdigest()}.json").write_text(  # noqa: S324
            json.dumps(
                {
                    "startUrl": start,
                    "region": "us-east-1",
                    "accessToken": "expired",
                    "expiresAt": "2020-01-01T00:00:00Z",
                }
            )
        )
    with pytest.raises(CollectionError) as err:
        collect_snapshot(CollectOptions(profile="corp-audit", quiet=True))
    message = str(err.value)
    assert message.startswith("sts:GetCallerIdentity failed: ")
    assert message.endswith("(run: aws sso login --profile corp-audit)")
    assert "\n" not in message


# --- input that used to end in exit 4: now exit 2 with one line ---------------------------------


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (
            ["--endpoint-url", "ftp://127.0.0.1:21"],
            "endpoint URL 'ftp://127.0.0.1:21' is not a valid http(s) URL",
        ),
        (
            ["--analyzer-region", ""],
            "--analyzer-region '' is not a valid AWS region name",
        ),
        (["--region", ""], "--region '' is not a valid AWS region name"),
    ],
)
def test_bad_endpoint_or_empty_region_exits_2(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], line: str
) -> None:
    out = tmp_path / "snap.json.gz"
    assert exit_code(["collect", "-o", str(out), "-q", *extra]) == 2
    assert capsys.readouterr().err == f"iam-audit: error: {line}\n"
    assert not out.exists()


def test_credential_process_printing_non_json_exits_2_naming_the_profile(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _collect_with_credential_process(
        "echo 'Enter MFA code:'\n", tmp_path, monkeypatch, capsys
    )
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith(
        "iam-audit: error: the credential_process of AWS profile 'vaulted' printed something "
        "that is not JSON: "
    )


@pytest.mark.usefixtures("moto_account")
@pytest.mark.parametrize("account", ["1" * 300, "12345678901", "acct-123456789012", ""])
def test_an_account_id_that_is_not_12_digits_exits_2(
    account: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The id names the run folder (reports/<account-id>/...): 300 characters made the write
    # fail with "File name too long", exit 4, after the whole collection.
    import botocore.handlers

    from tests.collect.test_garbled_responses import _answer

    body = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/x</Arn>"
        f"<UserId>AIDA</UserId><Account>{account}</Account></GetCallerIdentityResult>"
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()
    monkeypatch.setattr(
        botocore.handlers,
        "BUILTIN_HANDLERS",
        [
            (
                "before-send.sts.GetCallerIdentity",
                _answer(body, "text/xml"),
                botocore.handlers.REGISTER_FIRST,
            ),
            *botocore.handlers.BUILTIN_HANDLERS,
        ],
    )
    argv = ["run", "--out", str(tmp_path / "r"), "--region", "us-east-1", "-q"]
    assert exit_code([*argv, "--analyzer-region", "us-east-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("iam-audit: error: sts:GetCallerIdentity answered account id ")
    assert "not a 12-digit AWS account id" in err
    assert len(err) < 200
