"""Snapshot files: round trip, determinism, and clear errors for bad files."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.errors import InputError, SnapshotError
from audit.model import (
    PART_AUTHORIZATION,
    ApiOutcome,
    AttachedPolicy,
    CredentialRow,
    InlinePolicy,
    ManagedPolicy,
    OutcomeStatus,
    PasswordPolicy,
    ReportAccessKey,
    Snapshot,
    SnapshotMeta,
    User,
)
from audit.snapshot_io import (
    DEFAULT_MAX_SNAPSHOT_BYTES,
    decode_snapshot,
    encode_snapshot,
    read_snapshot,
    snapshot_to_dict,
    write_snapshot,
)
from tests.cli_helpers import run_cli

T0 = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)


def _snapshot() -> Snapshot:
    return Snapshot(
        meta=SnapshotMeta(
            account_id="111122223333",
            partition="aws",
            collected_at=T0,
            tool_version="0.1.0",
            credential_report_generated_at=T0,
            regions=("us-east-1",),
        ),
        outcomes=(
            ApiOutcome("iam:GetAccountAuthorizationDetails", PART_AUTHORIZATION, OutcomeStatus.OK),
        ),
        credential_report=(
            CredentialRow(
                user="<script>x</script>",
                arn="arn:aws:iam::111122223333:user/x",
                user_creation_time=T0,
                password_enabled=True,
                password_last_used=None,
                password_last_changed=T0,
                password_next_rotation=None,
                mfa_active=False,
                access_keys=(ReportAccessKey(1, True, T0, None),),
                sentinels={"password_last_used": "no_information"},
                extra={"future_column": "42"},
            ),
        ),
        users=(
            User(
                name="x",
                arn="arn:aws:iam::111122223333:user/x",
                user_id="AIDA",
                path="/",
                create_date=T0,
                groups=("g",),
                inline_policies=(InlinePolicy("p", {"Statement": [{"Effect": "Allow"}]}),),
                attached_policies=(AttachedPolicy("a", "arn:aws:iam::aws:policy/a"),),
                tags={"team": "ü"},
            ),
        ),
        policies=(
            ManagedPolicy("a", "arn:aws:iam::aws:policy/a", "P", "/", "v1", {"Statement": []}),
        ),
        password_policy=PasswordPolicy(minimum_password_length=14),
        account_summary={"Users": 1},
    )


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    snap = _snapshot()
    digest = write_snapshot(snap, tmp_path / "s.json.gz")
    loaded, digest2 = read_snapshot(tmp_path / "s.json.gz")
    assert loaded == snap
    assert digest == digest2
    assert loaded.credential_report[0].sentinel("password_last_used") == "no_information"
    assert loaded.policies[0].is_aws_managed


def test_encoding_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two writes seconds (here: years) apart: gzip stamps the clock into its header unless the
    # writer fixes mtime, and then the same snapshot would get a different SHA-256.
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
    first = encode_snapshot(_snapshot())
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    second = encode_snapshot(_snapshot())
    assert first == second
    assert first[4:8] == b"\0\0\0\0"  # the gzip header's MTIME field


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(SnapshotError, match="not valid gzip/JSON"):
        read_snapshot(bad)


def test_unknown_version_is_refused() -> None:
    doc = json.loads(gzip.decompress(encode_snapshot(_snapshot())))
    doc["schema_version"] = 99
    with pytest.raises(SnapshotError, match="schema version 99 is not supported"):
        decode_snapshot(json.dumps(doc).encode())


def test_not_a_snapshot_is_refused() -> None:
    with pytest.raises(SnapshotError, match="not an iam-audit snapshot"):
        decode_snapshot(b'{"hello": 1}')


def test_malformed_field_is_refused() -> None:
    doc = json.loads(gzip.decompress(encode_snapshot(_snapshot())))
    doc["meta"]["collected_at"] = "yesterday"
    with pytest.raises(SnapshotError, match="malformed"):
        decode_snapshot(json.dumps(doc).encode())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="not found"):
        read_snapshot(tmp_path / "nope.json.gz")


# --- bounded decompression -----------------------------------------------------------------


def test_a_snapshot_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json.gz"
    write_snapshot(_snapshot(), path)
    size = len(gzip.decompress(path.read_bytes()))
    assert read_snapshot(path, max_bytes=size)[0] == _snapshot()
    with pytest.raises(SnapshotError) as info:
        read_snapshot(path, max_bytes=size - 1)
    assert str(info.value) == (
        f"snapshot {path} is too large: over {size - 1:,} bytes uncompressed "
        "(raise the limit with IAM_AUDIT_MAX_SNAPSHOT_BYTES)"
    )


def test_a_gzip_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    # 200 MB of blanks compress to ~200 KB: decompressing it whole would take 200 MB of memory.
    path = tmp_path / "bomb.json.gz"
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    blanks = b" " * 1_000_000
    bomb = [packer.compress(b"{")] + [packer.compress(blanks) for _ in range(200)]
    path.write_bytes(b"".join([*bomb, packer.compress(b"}"), packer.flush()]))
    assert path.stat().st_size < 300_000
    started = time.perf_counter()
    with pytest.raises(SnapshotError, match="too large: over 1,048,576 bytes"):
        read_snapshot(path, max_bytes=1 << 20)
    assert time.perf_counter() - started < 2


def test_plain_json_and_several_gzip_members_count_too(tmp_path: Path) -> None:
    data = encode_snapshot(_snapshot())
    text = gzip.decompress(data)
    plain = tmp_path / "s.json"
    plain.write_bytes(text)
    with pytest.raises(SnapshotError, match="too large"):
        read_snapshot(plain, max_bytes=len(text) - 1)
    # A file of two gzip members (cat a.gz b.gz) reads as their concatenation.
    half = len(text) // 2
    two = tmp_path / "two.json.gz"
    two.write_bytes(gzip.compress(text[:half]) + gzip.compress(text[half:]))
    assert read_snapshot(two, max_bytes=len(text))[0] == _snapshot()
    with pytest.raises(SnapshotError, match="too large"):
        read_snapshot(two, max_bytes=len(text) - 1)


def test_the_limit_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.json.gz"
    write_snapshot(_snapshot(), path)
    monkeypatch.setenv("IAM_AUDIT_MAX_SNAPSHOT_BYTES", "100")
    with pytest.raises(SnapshotError, match="too large: over 100 bytes"):
        read_snapshot(path)
    monkeypatch.setenv("IAM_AUDIT_MAX_SNAPSHOT_BYTES", "lots")
    with pytest.raises(InputError, match="IAM_AUDIT_MAX_SNAPSHOT_BYTES is 'lots'"):
        read_snapshot(path)
    monkeypatch.delenv("IAM_AUDIT_MAX_SNAPSHOT_BYTES")
    assert DEFAULT_MAX_SNAPSHOT_BYTES == 2 * 1024**3
    assert read_snapshot(path)[0] == _snapshot()


def test_report_on_a_too_large_snapshot_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.json.gz"
    write_snapshot(_snapshot(), path)
    monkeypatch.setenv("IAM_AUDIT_MAX_SNAPSHOT_BYTES", "100")
    code, _out, err = run_cli(["report", str(path), "--out", str(tmp_path / "r")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "too large" in err


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\ud83dy", "\\ude00\\ud83d"])
def test_a_lone_surrogate_is_refused(tmp_path: Path, escape: str) -> None:
    # json.loads accepts "\ud800"; the string then cannot be written as UTF-8 by any report.
    doc = snapshot_to_dict(_snapshot())
    text = json.dumps(doc).replace("<script>x</script>", escape)
    assert escape in text
    path = tmp_path / "s.json.gz"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(SnapshotError, match="lone surrogate"):
        read_snapshot(path)


def test_a_surrogate_pair_and_a_literal_backslash_u_are_fine(tmp_path: Path) -> None:
    doc = snapshot_to_dict(_snapshot())
    text = json.dumps(doc).replace("<script>x</script>", "\\ud83d\\ude00 \\\\ud800")
    snap = decode_snapshot(text.encode())
    assert snap.credential_report[0].user == "\U0001f600 \\ud800"


def test_report_on_a_snapshot_with_a_lone_surrogate_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(snapshot_to_dict(_snapshot())).replace("<script>x</script>", "\\ud800")
    path = tmp_path / "s.json"
    path.write_text(text)
    code, _out, err = run_cli(["report", str(path), "--out", str(tmp_path / "r")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "lone surrogate" in err
