"""An output that cannot be written is refused before collecting, not after (collection lost)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import audit.collect
from tests.cli_helpers import exit_code


@pytest.fixture
def no_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("collected although the output cannot be written")

    monkeypatch.setattr(audit.collect, "collect_snapshot", refuse)


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "earlier.json.gz"
    path.write_bytes(b"earlier evidence")
    return path


@pytest.mark.usefixtures("no_collection")
@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["collect", "-o", "{file}/snap.json.gz"], "--output: cannot write under {file}"),
        (["run", "--out", "{file}/reports"], "--out: cannot write under {file}"),
    ],
)
def test_output_under_a_file_is_refused_before_collecting(
    argv: list[str], needle: str, a_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = exit_code([a.format(file=a_file) for a in argv] + ["--region", "us-east-1", "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == f"iam-audit: error: {needle.format(file=a_file)}: it is not a folder\n"
    assert a_file.read_bytes() == b"earlier evidence"


@pytest.mark.usefixtures("no_collection")
def test_output_folder_without_write_permission_is_refused_before_collecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access

    def access(path: object, mode: int) -> bool:  # as for a non-root user on a 0555 folder
        return False if Path(str(path)) == locked else real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    code = exit_code(["collect", "-o", str(locked / "new" / "snap.json.gz"), "-q"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"iam-audit: error: --output: cannot write into {locked}: permission denied\n"
    )
