"""The collect command's exit codes and evidence hash with collectors on in-process moto."""

from __future__ import annotations

import hashlib
from pathlib import Path

import botocore.endpoint
import botocore.handlers
import pytest

from audit.snapshot_io import read_snapshot
from tests.cli_helpers import exit_code
from tests.collect.conftest import ErrorResponder

ARGS = ["--region", "us-east-1", "--analyzer-region", "us-east-1", "--quiet"]


@pytest.mark.usefixtures("moto_account")
def test_collect_exits_0_and_prints_the_snapshot_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snap.json.gz"
    assert exit_code(["collect", "--output", str(out), *ARGS]) == 0
    digest, path = capsys.readouterr().out.split()
    assert digest == hashlib.sha256(out.read_bytes()).hexdigest()
    assert path == str(out)
    snapshot, _ = read_snapshot(out)
    assert {u.name for u in snapshot.users} == {"alice", "bob", "null"}


@pytest.mark.usefixtures("moto_account")
def test_denied_api_makes_collect_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI builds its own session: inject through botocore's built-in handler list,
    # registered first so it answers before moto does.
    responder = ErrorResponder("iam", "AccessDenied", 403, None)
    monkeypatch.setattr(
        botocore.handlers,
        "BUILTIN_HANDLERS",
        [
            (
                "before-send.iam.GetAccountPasswordPolicy",
                responder,
                botocore.handlers.REGISTER_FIRST,
            ),
            *botocore.handlers.BUILTIN_HANDLERS,
        ],
    )
    out = tmp_path / "snap.json.gz"
    assert exit_code(["collect", "--output", str(out), *ARGS]) == 3
    assert responder.sent == 1
    err = capsys.readouterr().err
    assert "iam:GetAccountPasswordPolicy: access_denied AccessDenied: injected" in err
    snapshot, _ = read_snapshot(out)
    assert not snapshot.has_part("password_policy")
    assert snapshot.users  # everything else was collected


@pytest.mark.usefixtures("aws_env")
def test_unreachable_endpoint_exits_4_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _s: None)
    code = exit_code(
        [
            "collect",
            "--output",
            str(tmp_path / "s.json.gz"),
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--quiet",
        ]
    )
    assert code == 4
    err = capsys.readouterr().err
    assert err == "iam-audit: error: cannot reach http://127.0.0.1:9\n"
