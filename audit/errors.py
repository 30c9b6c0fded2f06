"""Errors the CLI turns into one line on stderr and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAIL_ON = 1  # --fail-on threshold reached
EXIT_USAGE = 2  # bad input or usage
EXIT_INCOMPLETE = 3  # the audit ran but collection was incomplete
EXIT_FAILURE = 4  # anything else that stopped the run


class AuditError(Exception):
    """An expected failure with a message fit for the user and an exit code."""

    exit_code = EXIT_FAILURE


class InputError(AuditError):
    """Bad input: unreadable snapshot, malformed config, unknown format."""

    exit_code = EXIT_USAGE


class CollectionError(AuditError):
    """Collection could not produce a snapshot at all (no credentials, endpoint unreachable)."""

    exit_code = EXIT_FAILURE


class SnapshotError(InputError):
    """A snapshot file that cannot be read: corrupt, not a snapshot, unknown version."""
