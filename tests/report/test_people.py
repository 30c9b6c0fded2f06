"""People and their access: the HTML matrix (parsed), access.csv (pandas), the PDF (pypdf)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from audit.engine import evaluate
from audit.model import Snapshot
from audit.model_sso import PART_IDENTITY_CENTER
from audit.report import write_reports
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.html_tables import HtmlTable
from tests.fixtures.identity_center import (
    ADMIN_ARN,
    center,
    person,
    pset,
    sso_snapshot,
    team,
    to_group,
    to_user,
)
from tests.fixtures.snapshots import allow, doc, snapshot, without

OTHER = "222222222222"
ADMIN = pset("Admin", managed=(ADMIN_ARN,))
ESCALATE = pset(
    "Builder", inline=doc(allow(["iam:PassRole", "ec2:RunInstances"])), session="PT12H"
)
READ = pset("Read", inline=doc(allow("s3:GetObject")))


def _snap() -> Snapshot:
    c = center(
        sets=(ADMIN, ESCALATE, READ),
        users=(person("ana"), person("ben"), person("=cmd|calc", "x@example.com"), person("dee")),
        groups=(team("admins"), team("builders")),
        members={"admins": ("ana",), "builders": ("ana", "ben")},
        assignments=(
            to_group(ADMIN, "admins"),
            to_group(ESCALATE, "builders", OTHER),
            to_user(READ, "=cmd|calc"),
            to_user(READ, "ben", OTHER),
        ),
    )
    return sso_snapshot(c)


def _write(snap: Snapshot, out: Path, formats: tuple[str, ...]) -> list[Path]:
    return write_reports(snap, "0" * 64, evaluate(snap), out, formats)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("people")
    _write(_snap(), out, ("html", "csv", "pdf"))
    return out


def test_html_matrix_person_by_account(written: Path) -> None:
    table = HtmlTable("t-people")
    table.feed((written / "report.html").read_text(encoding="utf-8"))
    header, *rows = table.rows
    assert [text for text, _ in header] == ["Person", "E-mail", "Accounts", ACCOUNT_ID, OTHER]
    by_person = {row[0][0]: row for row in rows}
    assert set(by_person) == {"ana", "ben", "=cmd|calc", "dee"}
    ana = by_person["ana"]
    assert ana[3][0] == "Admin ★" and "admin" in ana[3][1].split()
    assert ana[4][0] == "Builder ▲" and "escalation" in ana[4][1].split()
    assert by_person["ben"][2][0] == "1"  # Builder and Read, both in the other account
    assert by_person["ben"][4][0] == "Builder, Read ▲"
    assert by_person["dee"][3][0] == "" and by_person["dee"][2][0] == "0"
    html = (written / "report.html").read_text(encoding="utf-8")
    assert 'data-table="t-people"' in html  # filterable, and sortable like the other tables
    assert 'id="t-people" class="sortable people"' in html


def test_access_csv_read_back(written: Path) -> None:
    frame = pd.read_csv(written / "access.csv", encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == [
        "user_name",
        "display_name",
        "email",
        "account_id",
        "permission_set",
        "path",
        "admin",
        "escalation",
        "session_duration",
    ]
    rows = {(r.user_name, r.account_id, r.permission_set): r for r in frame.itertuples()}
    assert len(rows) == len(frame) == 5
    ana = rows[("ana", ACCOUNT_ID, "Admin")]
    assert (ana.path, ana.admin, ana.escalation) == ("group admins", "yes", "yes")
    builder = rows[("ana", OTHER, "Builder")]
    assert (builder.admin, builder.escalation, builder.session_duration) == ("no", "yes", "PT12H")
    assert rows[("ben", OTHER, "Read")].path == "direct"
    # A user name that looks like a formula is neutralised.
    assert ("'=cmd|calc", ACCOUNT_ID, "Read") in rows


def test_pdf_has_the_admins_and_counts(written: Path) -> None:
    text = " ".join(page.extract_text() for page in PdfReader(written / "report.pdf").pages)
    flat = " ".join(text.split())
    assert "People and their access" in flat
    assert "Administrators (1)" in flat
    assert "Admin (group admins)" in flat


def test_no_instance_no_section_and_no_access_csv(tmp_path: Path) -> None:
    written = _write(snapshot(), tmp_path, ("html", "csv"))
    assert not (tmp_path / "access.csv").exists() and written
    assert 'id="sec-people"' not in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_not_collected_is_said(tmp_path: Path) -> None:
    _write(without(snapshot(), PART_IDENTITY_CENTER), tmp_path, ("html",))
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "IAM Identity Center could not be read" in html
