"""--last-accessed on the command line and in audit.toml, with AWS-format replies for the two
IAM APIs moto lacks (registered ahead of moto in botocore's built-in handlers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.handlers
import pytest

from audit.model import PART_LAST_ACCESSED, OutcomeStatus
from audit.model_unused import ACCESS_OK
from audit.snapshot_io import read_snapshot
from tests.cli_helpers import exit_code
from tests.fixtures.snapshots import T0
from tests.fixtures.unused_access_replies import FakeLastAccessed

ARGS = ["--region", "us-east-1", "--analyzer-region", "us-east-1"]
SERVICES = [{"namespace": "s3", "name": "Amazon S3", "last": T0}]


def _serve(monkeypatch: pytest.MonkeyPatch, **kw: Any) -> FakeLastAccessed:
    fake = FakeLastAccessed(lambda arn: SERVICES, reads_in_progress=0, now=T0, **kw)
    first = botocore.handlers.REGISTER_FIRST
    monkeypatch.setattr(
        botocore.handlers,
        "BUILTIN_HANDLERS",
        [
            ("before-send.iam.GenerateServiceLastAccessedDetails", fake.generate, first),
            ("before-send.iam.GetServiceLastAccessedDetails", fake.get, first),
            *botocore.handlers.BUILTIN_HANDLERS,
        ],
    )
    return fake


def _last_accessed(path: Path) -> tuple[OutcomeStatus, int]:
    snapshot, _ = read_snapshot(path)
    (generate, *_) = [o for o in snapshot.outcomes if o.part == PART_LAST_ACCESSED]
    ok = sum(1 for p in snapshot.unused_access.last_accessed if p.status == ACCESS_OK)
    return generate.status, ok


@pytest.mark.usefixtures("moto_account")
def test_flag_prints_the_cost_first_and_collects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _serve(monkeypatch)
    out = tmp_path / "snap.json.gz"
    assert exit_code(["collect", "-o", str(out), *ARGS, "--last-accessed"]) == 0
    err = capsys.readouterr().err
    # 3 users and 1 role in the planted account
    assert "Service last accessed: 2 calls per principal: 8 calls for 4 principals" in err
    assert fake.calls["GenerateServiceLastAccessedDetails"] == 4
    assert _last_accessed(out) == (OutcomeStatus.OK, 4)


@pytest.mark.usefixtures("moto_account")
def test_audit_toml_asks_and_the_flag_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(monkeypatch)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "audit.toml").write_text("last_accessed = true\n", encoding="utf-8")
    assert exit_code(["collect", "-o", "a.json.gz", *ARGS, "-q"]) == 0
    assert _last_accessed(tmp_path / "a.json.gz") == (OutcomeStatus.OK, 4)
    assert exit_code(["collect", "-o", "b.json.gz", *ARGS, "-q", "--no-last-accessed"]) == 0
    assert _last_accessed(tmp_path / "b.json.gz") == (OutcomeStatus.NOT_REQUESTED, 0)


@pytest.mark.usefixtures("moto_account")
def test_denied_last_accessed_is_an_incomplete_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _serve(monkeypatch, errors={"GenerateServiceLastAccessedDetails": "AccessDenied"})
    out = tmp_path / "snap.json.gz"
    assert exit_code(["collect", "-o", str(out), *ARGS, "-q", "--last-accessed"]) == 3
    assert fake.calls["GenerateServiceLastAccessedDetails"] == 1
    assert _last_accessed(out) == (OutcomeStatus.ACCESS_DENIED, 0)
