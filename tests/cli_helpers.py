"""Running the command line in-process, as the tests of every part do."""

from __future__ import annotations

import pytest

from audit.cli import main


def exit_code(argv: list[str]) -> int:
    """Run ``iam-audit ARGV``; return its exit code (main always ends with SystemExit)."""
    with pytest.raises(SystemExit) as done:
        main(argv)
    code = done.value.code
    assert code is None or isinstance(code, int), f"exit code {code!r}"
    return code or 0


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``iam-audit ARGV``."""
    code = exit_code(argv)
    out, err = capsys.readouterr()
    return code, out, err
