"""Credential-report cells that could not be read are shown as unreadable, never as a value.

A date after the report was received and a cell missing from a short line used to come out of
credentials.csv as an empty cell or "false" (a key that is not active, no MFA): a spreadsheet user
could not tell them from data. Findings say "not assessed" for them; the CSV and the users table
say "unreadable: <why>".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audit.collect.credential_report import parse_credential_report
from audit.engine import evaluate
from audit.report import write_reports
from audit.report.csv_files import UNREADABLE
from tests.fixtures.credential_reports import make_report_csv
from tests.fixtures.snapshots import T0, snapshot, user

FUTURE = "2099-01-01T00:00:00+00:00"


def _rows() -> tuple[object, ...]:
    content = make_report_csv(
        [
            {"user": "<root_account>"},
            {
                "user": "ann",
                "password_enabled": "true",
                "password_last_used": FUTURE,
                "password_last_changed": "2026-01-01T00:00:00+00:00",
                "mfa_active": "true",
                "access_key_1_active": "true",
                "access_key_1_last_rotated": FUTURE,
            },
            {"user": "bob", "password_enabled": "false"},
        ]
    )
    lines = content.decode().splitlines()
    # bob's line stops after mfa_active: his access key columns are missing, not "false".
    lines[-1] = ",".join(lines[-1].split(",")[:8])
    return parse_credential_report(("\n".join(lines) + "\n").encode(), not_after=T0)


def _report(tmp_path: Path) -> Path:
    snap = snapshot(
        users=(user("ann"), user("bob")),
        credential_report=_rows(),
        credential_report_generated_at=T0,
    )
    write_reports(snap, "ab" * 32, evaluate(snap, as_of=T0), tmp_path, ("csv", "html"))
    return tmp_path


def test_credentials_csv_says_unreadable_with_the_raw_value(tmp_path: Path) -> None:
    out = _report(tmp_path)
    creds = pd.read_csv(
        out / "credentials.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    ).set_index("user")
    ann, bob = creds.loc["ann"], creds.loc["bob"]
    for column in ("password_last_used", "access_key_1_last_rotated"):
        assert ann[column].startswith(f"{UNREADABLE}{FUTURE} is after the report was received")
    assert ann["password_enabled"] == "true" and ann["mfa_active"] == "true"
    assert ann["password_last_changed"] == "2026-01-01T00:00:00+00:00"
    assert bob["mfa_active"] == "false"  # read: bob has no MFA
    for column in ("access_key_1_active", "access_key_2_last_rotated", "cert_2_last_rotated"):
        assert bob[column].startswith(f"{UNREADABLE}missing (line "), column
    # Nothing unreadable is a plain value a filter on "false" or blanks would pick up.
    unreadable = {c for c in creds.columns if str(bob[c]).startswith(UNREADABLE)}
    assert "access_key_1_active" in unreadable and "mfa_active" not in unreadable


def test_the_users_table_marks_the_unreadable_cells(tmp_path: Path) -> None:
    html = (_report(tmp_path) / "report.html").read_text(encoding="utf-8")
    table = html.split('id="t-users"', 1)[1].split("</table>", 1)[0]
    ann = table.split('<td class="res">ann</td>', 1)[1].split("</tr>", 1)[0]
    bob = table.split('<td class="res">bob</td>', 1)[1].split("</tr>", 1)[0]
    assert ann.count('class="unreadable"') == 2  # key age, last activity
    assert f"{FUTURE} is after the report was received" in ann
    assert bob.count('class="unreadable"') == 2  # keys, last activity (key use)
    assert "missing (line" in bob
    assert ">no</td>" in bob  # MFA: read, and no
