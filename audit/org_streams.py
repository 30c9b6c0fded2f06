"""The organization's row files, written account by account as each one is audited.

findings.csv and findings.json, credentials.csv and controls.csv of an organization run hold
every account's rows with ``account_id``, ``account_name`` and ``ou_path`` first, then the
columns of the single-account file of the same name (audit.findings_file,
audit.report.csv_files). Rows go to disk as each account arrives: memory does not grow with the
number of accounts. Each file is written to a temporary name and renamed when the run closes
it (audit.output.atomic_open), so an interrupted run leaves none half-written.

trusts.csv, the cross-account trust register, is not streamed: its rows are few (one per role
trusting another account) and the organization view holds them (audit.report.org_view).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from audit.csv_safe import cell, to_csv_bytes
from audit.findings import AuditResult
from audit.findings_file import FINDING_JSON_COLUMNS, finding_json, json_default
from audit.model import Snapshot
from audit.output import atomic_open
from audit.report.csv_files import (
    CONTROLS_COLUMNS,
    CREDENTIALS_COLUMNS,
    controls_rows,
    credentials_rows,
)
from audit.report.org_view import TrustRow
from audit.report.view import user_rows
from audit.scoring import Scores

ACCOUNT_COLUMNS = ("account_id", "account_name", "ou_path")
ORG_FINDING_COLUMNS = (*ACCOUNT_COLUMNS, *FINDING_JSON_COLUMNS)
ORG_CREDENTIALS_COLUMNS = (*ACCOUNT_COLUMNS, *CREDENTIALS_COLUMNS)
ORG_CONTROLS_COLUMNS = (*ACCOUNT_COLUMNS, *CONTROLS_COLUMNS)
TRUSTS_COLUMNS = (
    *ACCOUNT_COLUMNS,
    "role",
    "role_arn",
    "trusted_account_id",
    "trusted_account_name",
    "trusted_account_is",  # organization, outside, or unknown (the account list was incomplete)
    "guards",  # the ExternalId or source condition keys required; empty: none
)
TRUSTS_CSV = "trusts.csv"

FINDINGS_CSV = "findings.csv"
FINDINGS_JSON = "findings.json"
CREDENTIALS_CSV = "credentials.csv"
CONTROLS_CSV = "controls.csv"
STREAMED_FILES = (FINDINGS_CSV, FINDINGS_JSON, CREDENTIALS_CSV, CONTROLS_CSV)


class _CsvStream:
    """One CSV file (UTF-8 with a BOM, as audit.csv_safe writes), a header, then rows."""

    def __init__(self, stack: ExitStack, path: Path, header: Sequence[str]) -> None:
        raw = stack.enter_context(atomic_open(path))
        self._text: IO[str] = stack.enter_context(
            io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        )
        self._writer = csv.writer(self._text, lineterminator="\r\n")
        self._writer.writerow(header)

    def rows(self, account: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        prefix = [cell(v) for v in account]
        self._writer.writerows([*prefix, *(cell(v) for v in row)] for row in rows)

    def flush(self) -> None:
        self._text.flush()


class OrgStreams:
    """findings.csv/json, credentials.csv and controls.csv of an organization run (see module).

    Open inside an ExitStack; :meth:`close` completes the files (the stack's exit renames
    them into place; an exception before then discards them).
    """

    def __init__(self, stack: ExitStack, out_dir: Path) -> None:
        self._findings = _CsvStream(stack, out_dir / FINDINGS_CSV, ORG_FINDING_COLUMNS)
        self._credentials = _CsvStream(stack, out_dir / CREDENTIALS_CSV, ORG_CREDENTIALS_COLUMNS)
        self._controls = _CsvStream(stack, out_dir / CONTROLS_CSV, ORG_CONTROLS_COLUMNS)
        self._json = stack.enter_context(atomic_open(out_dir / FINDINGS_JSON))
        self._encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode
        self._first = True
        self._json.write(b"[")

    def add(
        self, account: Mapping[str, str], snapshot: Snapshot, result: AuditResult, scores: Scores
    ) -> None:
        """One audited account's rows, in each file."""
        prefix = [account[c] for c in ACCOUNT_COLUMNS]
        self.add_findings(account, (finding_json(f) for f in result.findings))
        users = user_rows(snapshot, result.as_of, scores.risk_of())
        self._credentials.rows(prefix, credentials_rows(users))
        self._controls.rows(prefix, controls_rows(scores.frameworks))

    def add_findings(self, account: Mapping[str, str], records: Iterable[dict[str, Any]]) -> None:
        """Finding rows only: findings.csv and findings.json (the organization's own findings,
        audit.org_entries, have no credentials or controls)."""
        rows = list(records)
        prefix = [account[c] for c in ACCOUNT_COLUMNS]
        self._findings.rows(prefix, ([rec[c] for c in FINDING_JSON_COLUMNS] for rec in rows))
        for rec in rows:
            self._json.write(("\n" if self._first else ",\n").encode())
            self._json.write(self._encode({**account, **rec}).encode("utf-8"))
            self._first = False

    def close(self) -> None:
        self._json.write(b"]\n" if self._first else b"\n]\n")
        for stream in (self._findings, self._credentials, self._controls):
            stream.flush()


def trusts_csv(trusts: Iterable[TrustRow]) -> bytes:
    """The cross-account trust register, riskiest first (the order of the organization view)."""
    rows = (
        [
            t.account_id,
            t.account_name,
            t.ou_path,
            t.role,
            t.role_arn,
            t.trusted_id,
            t.trusted_name,
            t.scope.value,
            t.guards,
        ]
        for t in trusts
    )
    return to_csv_bytes(TRUSTS_COLUMNS, rows)
