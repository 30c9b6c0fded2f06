"""A snapshot that is valid JSON but the wrong shape is refused as bad input (exit 2).

Before, an object where a list was expected (or the reverse) passed decoding and crashed later
inside a rule or renderer: "failed: AttributeError: 'list' object has no attribute 'items'",
exit 4, which says the tool broke rather than that the file is wrong.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from audit.errors import SnapshotError
from audit.snapshot_io import decode_snapshot, encode_snapshot
from tests.fixtures.snapshots import allow, doc, policy, report, snapshot, user

Doc = dict[str, Any]


def _doc() -> Doc:
    admin = policy("Admin", doc(allow("*")))
    snap = snapshot(
        users=(user("alice", inline={"p": doc(allow("s3:*"))}, attached=(admin,)),),
        policies=(admin,),
        credential_report=report({"user": "alice", "mfa_active": "false"}),
        account_summary={"Users": 1},
        account_aliases=("corp",),
    )
    decoded: Doc = json.loads(gzip.decompress(encode_snapshot(snap)))
    return decoded


def _set(*path: str | int, value: object) -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        target: Any = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


WRONG_SHAPES = {
    "user tags are a list": _set("users", 0, "tags", value=["team"]),
    "inline policy document is a list": _set(
        "users", 0, "inline_policies", 0, "document", value=[1]
    ),
    "inline policy document is null": _set(
        "users", 0, "inline_policies", 0, "document", value=None
    ),
    "managed policy document is a string": _set("policies", 0, "document", value="{}"),
    "account summary is a list": _set("account_summary", value=[1]),
    "credential report sentinels are a list": _set(
        "credential_report", 0, "sentinels", value=["N/A"]
    ),
    "aliases are a string": _set("account_aliases", value="corp"),
    "users are an object": _set("users", value={"alice": {}}),
}


@pytest.mark.parametrize("change", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_wrong_shape_is_a_snapshot_error(change: Callable[[Doc], None]) -> None:
    d = _doc()
    change(d)
    with pytest.raises(SnapshotError, match="^snapshot is malformed: "):
        decode_snapshot(json.dumps(d).encode())


@pytest.mark.parametrize("change", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_wrong_shape_exits_2_with_one_line(
    change: Callable[[Doc], None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _doc()
    change(d)
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    for argv in (
        ["report", str(path), "--out", str(tmp_path / "out"), "--format", "json,csv", "-q"],
        ["explain", "alice", str(path)],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        err = capsys.readouterr().err
        assert exc.value.code == 2, err
        assert err.startswith("iam-audit: error: snapshot is malformed: ")
        assert err.count("\n") == 1


def test_naive_timestamps_are_read_as_utc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every datetime in the model is aware UTC; a hand-edited "2026-09-30T12:00:00" used to
    # decode naive and crash the report with "can't subtract offset-naive and offset-aware".
    d = _doc()
    d["meta"]["collected_at"] = "2026-09-30T12:00:00"
    d["users"][0]["create_date"] = "2025-01-01T02:00:00+02:00"
    snap = decode_snapshot(json.dumps(d).encode())
    assert snap.meta.collected_at == datetime(2026, 9, 30, 12, tzinfo=UTC)
    assert snap.users[0].create_date is not None
    assert snap.users[0].create_date.utcoffset() is not None
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["report", str(path), "--out", str(tmp_path / "out"), "--format", "json", "-q"])
    assert exc.value.code == 0, capsys.readouterr().err


def test_absurdly_nested_json_is_a_snapshot_error() -> None:
    deep = b'{"format": "iam-audit-snapshot", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(SnapshotError, match="not valid gzip/JSON"):
        decode_snapshot(deep)
