"""The "Unused access" section (HTML and PDF) and roles.csv."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from audit.engine import evaluate
from audit.model import Snapshot
from audit.model_unused import PrincipalAccess, ServiceAccess, UnusedAccess
from audit.report import write_reports
from audit.report.view import build_view
from audit.report.view_unused import trust_summary
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.rules.builders import ADMIN, T0, ago, allow, doc, snapshot, user
from tests.rules.test_unused_rules import aged_role

TRUST = doc(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
    },
)


def _services(*pairs: tuple[str, int | None]) -> tuple[ServiceAccess, ...]:
    return tuple(ServiceAccess(ns, ns, None if days is None else ago(days)) for ns, days in pairs)


def _snapshot() -> Snapshot:
    arn = f"arn:aws:iam::{ACCOUNT_ID}"
    return snapshot(
        roles=(
            aged_role("busy", last_used_days_ago=2),
            aged_role("old-admin", created_days_ago=400, attached=(ADMIN,)),
            aged_role("old-reader", last_used_days_ago=150, inline={"r": doc(allow("s3:Get*"))}),
            aged_role("=HYPERLINK(1)", last_used_days_ago=300),
            aged_role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/"),
        ),
        users=(
            user("wide", inline={"p": doc(allow(["iam:*", "s3:PutObject", "ec2:Describe*"]))}),
            user("narrow", inline={"p": doc(allow("s3:GetObject"))}),
        ),
        policies=(ADMIN,),
        unused_access=UnusedAccess(
            last_accessed=(
                PrincipalAccess(
                    "user",
                    "wide",
                    f"{arn}:user/wide",
                    services=_services(("iam", None), ("s3", 200), ("ec2", 120), ("sts", 1)),
                ),
                PrincipalAccess(
                    "user", "narrow", f"{arn}:user/narrow", services=_services(("s3", 100))
                ),
            )
        ),
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("unused")
    snap = _snapshot()
    write_reports(snap, "0" * 64, evaluate(snap, as_of=T0), out)
    return out


def test_view_ranks_admin_and_write_first_and_totals_what_could_go() -> None:
    snap = _snapshot()
    u = build_view(snap, "0" * 64, evaluate(snap, as_of=T0)).unused
    assert [r.name for r in u.stale_roles] == ["old-admin", "=HYPERLINK(1)", "old-reader"]
    assert u.stale_roles[0].admin and u.stale_roles[0].escalation
    assert u.service_linked_stale == ("AWSServiceRoleForSupport",)
    assert [p.name for p in u.principals] == ["wide", "narrow"]
    assert u.principals[0].unused == (("iam", "admin"), ("s3", "write"), ("ec2", "read"))
    assert u.removable == (("admin", 1), ("write", 1), ("read", 2))
    assert u.removable_total == 4


def test_roles_csv(written: Path) -> None:
    raw = (written / "roles.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    roles = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert list(roles.columns) == [
        "role",
        "arn",
        "path",
        "created",
        "last_used",
        "last_used_region",
        "trust",
        "admin",
        "escalation",
        "findings",
    ]
    by = roles.set_index("role")
    assert "'=HYPERLINK(1)" in by.index  # neutralised for spreadsheets
    assert by.loc["old-admin", "admin"] == "true"
    assert "iam:CreatePolicyVersion" in by.loc["old-admin", "escalation"]
    assert by.loc["old-admin", "last_used"] == ""
    assert "role-unused" in by.loc["old-admin", "findings"]
    assert by.loc["busy", "findings"] == ""
    assert by.loc["busy", "last_used_region"] == "eu-west-1"
    assert by.loc["busy", "created"].startswith(ago(400).date().isoformat())


def test_trust_summary() -> None:
    assert trust_summary(TRUST) == (
        "Service: ec2.amazonaws.com; AWS: arn:aws:iam::111122223333:root (conditional)"
    )
    assert trust_summary({}) == ""


def test_html_and_pdf_show_the_section(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="sec-unused"') :]
    section = section[: section.index("</section>")]
    assert "<strong>3</strong> roles unused past the threshold (1 with admin access)" in section
    assert "<strong>4</strong> granted services they have not used (1 admin, 1 write, 2 read)" in (
        section
    )
    assert section.index("old-admin") < section.index("old-reader")
    assert "iam (admin), s3 (write), ec2 (read)" in section
    text = "".join(page.extract_text() or "" for page in PdfReader(written / "report.pdf").pages)
    assert "Unused access" in text and "old-admin" in text
    assert "Service-linked roles unused past the threshold" in text
