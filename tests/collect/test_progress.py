"""The progress display: on stderr when it is a terminal, silent otherwise or with quiet."""

from __future__ import annotations

import io

import pytest

from tests.collect.conftest import collect


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.usefixtures("moto_account")
@pytest.mark.parametrize(
    ("tty", "quiet", "shown"), [(True, False, True), (True, True, False), (False, False, False)]
)
def test_progress_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tty: bool, quiet: bool, shown: bool
) -> None:
    err = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    snap = collect(quiet=quiet)
    assert snap.users
    assert ("Collecting" in err.getvalue()) is shown
