"""How the browser test finds Chromium, and that CI cannot skip it silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.devtools import find_chromium, in_ci, require_chromium


def _executable(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_each_name_on_path_is_found_in_order(tmp_path: Path) -> None:
    bin_a, bin_b = tmp_path / "a", tmp_path / "b"
    chrome = _executable(bin_b, "google-chrome")
    assert find_chromium({"PATH": f"{bin_a}:{bin_b}"})[0] == chrome
    browser = _executable(bin_a, "chromium-browser")
    assert find_chromium({"PATH": f"{bin_a}:{bin_b}"})[0] == browser
    plain = _executable(bin_b, "chromium")
    assert find_chromium({"PATH": f"{bin_a}:{bin_b}"}) == (plain, "chromium on PATH")


def test_chrome_variable_wins_and_a_wrong_one_is_reported(tmp_path: Path) -> None:
    _executable(tmp_path / "bin", "chromium")
    mine = _executable(tmp_path / "opt", "my-chrome")
    path = str(tmp_path / "bin")
    assert find_chromium({"PATH": path, "CHROME": str(mine)})[0] == mine
    missing = tmp_path / "nope"
    found, why = find_chromium({"PATH": path, "CHROME": str(missing)})
    assert found is None and why == f"CHROME={missing} is not an executable"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("false", False), ("0", False)],
)
def test_ci_variable(value: str, expected: bool) -> None:
    assert in_ci({"CI": value}) is expected
    assert in_ci({}) is False


def test_without_chromium_the_test_skips_locally_and_fails_in_ci(tmp_path: Path) -> None:
    empty = {"PATH": str(tmp_path)}
    with pytest.raises(pytest.skip.Exception, match="no Chromium: none of chromium"):
        require_chromium(empty)
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        require_chromium({**empty, "CI": "true"})
    _executable(tmp_path, "chromium")
    assert require_chromium({**empty, "CI": "true"}) == tmp_path / "chromium"
