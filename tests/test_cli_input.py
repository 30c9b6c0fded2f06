"""Bad command-line input of every kind: one line on stderr, exit 2, earlier output untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.cli import main
from tests.cli_helpers import run_cli


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    a_dir = tmp_path / "a-dir"
    a_dir.mkdir()
    a_file = tmp_path / "findings.json"
    a_file.write_text("earlier output")
    return {"dir": str(a_dir), "file": str(a_file)}


CASES = [
    (["report", "{dir}"], "Invalid value for 'SNAPSHOT_FILE'", "report"),
    (["report", "{file}", "--out", "{file}"], "Invalid value for '--out'", "report"),
    (["explain", "bob", "{dir}"], "Invalid value for 'SNAPSHOT_FILE'", "explain"),
    (["collect", "--output", "{dir}"], "Invalid value for '--output'", "collect"),
    (["collect"], "Missing option '--output'", "collect"),
    (["report", "{file}", "--config", "{dir}"], "Invalid value for '--config'", "report"),
    (["report", "{file}", "--suppressions", "{dir}"], "for '--suppressions'", "report"),
    (["report", "{file}", "--page-size", "B5"], "Invalid value for '--page-size'", "report"),
    (["report", "{file}", "--no-such-option"], "No such option", "report"),
    (["report"], "Missing argument 'SNAPSHOT_FILE'", "report"),
    (["rules", "extra"], "unexpected extra argument", "rules"),
    (["diff", "{file}"], "Missing argument 'NEW'", "diff"),
    (["nosuchcommand"], "No such command 'nosuchcommand'", ""),
]


@pytest.mark.parametrize(("args", "needle", "command"), CASES)
def test_bad_usage_is_one_line_and_exit_2(
    args: list[str],
    needle: str,
    command: str,
    places: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli([a.format(**places) for a in args], capsys)
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("iam-audit: error: ")
    assert needle in err
    assert f"(see 'iam-audit{' ' + command if command else ''} --help')" in err
    assert Path(places["file"]).read_text() == "earlier output"


def test_no_arguments_still_shows_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli([], capsys)
    assert code == 2
    assert "Usage: iam-audit" in err and "Commands:" in err


@pytest.mark.parametrize("as_of", ["last tuesday", "2026-13-01", "9999-12-31T23:00:00-05:00"])
def test_bad_as_of_is_one_line_and_exit_2(
    as_of: str, places: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # The last one parses, but is past year 9999 in UTC: it was "failed: OverflowError", exit 4.
    code, _, err = run_cli(["report", places["file"], "--as-of", as_of], capsys)
    assert code == 2
    assert err == f"iam-audit: error: --as-of {as_of!r} is not an ISO 8601 date or time " + (
        "(e.g. 2026-09-30)\n"
    )


def test_ctrl_c_is_one_message_exit_130_and_documented(
    places: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import audit.cli

    def interrupted(_path: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(audit.cli, "read_snapshot", interrupted)
    code, _, err = run_cli(["report", places["file"], "--out", places["dir"]], capsys)
    assert code == 130
    assert err.strip() == "iam-audit: interrupted"
    assert Path(places["file"]).read_text() == "earlier output"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "130 interrupted" in capsys.readouterr().out


def test_diff_out_under_a_file_is_one_line_and_exit_2(
    places: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Was "failed: NotADirectoryError: ...", exit 4, from the first write.
    from audit.snapshot_io import write_snapshot
    from tests.fixtures.snapshots import snapshot

    snap = str(Path(places["dir"]) / "snap.json.gz")
    write_snapshot(snapshot(), Path(snap))
    blocker = places["file"]
    code, _, err = run_cli(["diff", snap, snap, "--out", f"{blocker}/diff"], capsys)
    assert code == 2
    assert err == f"iam-audit: error: --out: cannot write under {blocker}: it is not a folder\n"
