"""The organization's report.html and report.pdf (issue 9, "Outputs"), on hand-built accounts.

The organization is tests/rules/org_builders.py's (management, Prod with Web below it,
Sandbox); each account's snapshot comes from the one factory, tests/fixtures/snapshots.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from audit.engine import evaluate
from audit.model import PART_AUTHORIZATION, ApiOutcome, OutcomeStatus, Snapshot
from audit.model_org import AccountCollection, CollectionStatus, OrgSnapshot
from audit.org_run import AccountSummary, run_organization
from audit.report.options import ReportOptions
from audit.report.org_render import render_org_pdf_html
from audit.report.org_view import (
    ONE_CARD_PER_PAGE_UP_TO,
    OrgViewBuilder,
    TrustScope,
    heat_level,
    ou_lines,
)
from audit.report.pdf import draw_pdf, layout_pdf
from audit.settings import Settings
from tests.fixtures.html_tables import HtmlTable
from tests.fixtures.snapshots import T0, cred_row, doc, role, root_row, snapshot, user
from tests.rules.org_builders import (
    ACCOUNTS,
    MANAGEMENT,
    PROD_ACCOUNT,
    PROD_OU,
    SANDBOX_ACCOUNT,
    SANDBOX_OU,
    WEB_ACCOUNT,
    account,
    org_snapshot,
)

OUTSIDE = "999999999999"
VENDOR = "888888888888"
HOSTILE = "555555555555"  # a member whose name is markup
LEFT_OUT = "666666666666"  # a member this run does not include


def _trust(*principals: str, external_id: str | None = None) -> dict[str, object]:
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{p}:root" for p in principals]},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return doc(statement)


def _account_snapshot(account_id: str, **parts: object) -> Snapshot:
    return snapshot(
        account_id=account_id,
        credential_report=(
            root_row(account_id=account_id, mfa=False),
            cred_row("ops", mfa=False, key_ages=(200,), account_id=account_id),
        ),
        users=(user("ops", account_id=account_id),),
        **parts,
    )


def _collection(
    account_id: str, name: str, ou_path: str, status: CollectionStatus, **extra: object
) -> AccountCollection:
    return AccountCollection(account_id, status, name, ou_path, **extra)


def _org() -> OrgSnapshot:
    return org_snapshot(
        accounts=(
            *ACCOUNTS,
            account(HOSTILE, "<img src=x onerror=alert(1)>", SANDBOX_OU),
            account(LEFT_OUT, "archive", PROD_OU),
        )
    )


def _accounts() -> Iterator[tuple[AccountCollection, Snapshot | None]]:
    yield (
        _collection(MANAGEMENT, "management", "Root", CollectionStatus.COLLECTED),
        _account_snapshot(
            MANAGEMENT,
            roles=(
                role("backup-vendor", trust=_trust(OUTSIDE), account_id=MANAGEMENT),
                role("to-prod", trust=_trust(PROD_ACCOUNT), account_id=MANAGEMENT),
            ),
        ),
    )
    yield (
        _collection(PROD_ACCOUNT, "prod", "Root/Prod", CollectionStatus.COLLECTED),
        _account_snapshot(
            PROD_ACCOUNT,
            roles=(
                role(
                    "vendor-monitoring",
                    trust=_trust(VENDOR, external_id="x-1"),
                    account_id=PROD_ACCOUNT,
                ),
                role("iam-audit-reader", trust=_trust(MANAGEMENT), account_id=PROD_ACCOUNT),
            ),
        ),
    )
    denied = ApiOutcome(
        api="iam:GetAccountAuthorizationDetails",
        part=PART_AUTHORIZATION,
        status=OutcomeStatus.ACCESS_DENIED,
        message="AccessDenied: not authorized",
    )
    yield (
        _collection(
            WEB_ACCOUNT,
            "web",
            "Root/Prod/Web",
            CollectionStatus.PARTIAL,
            reason="1 API call(s) denied or failed: iam:GetAccountAuthorizationDetails",
            fix="attach SecurityAudit to the reader role",
            outcomes=(denied,),
        ),
        _account_snapshot(WEB_ACCOUNT, missing=(PART_AUTHORIZATION,)),
    )
    yield (
        _collection(
            SANDBOX_ACCOUNT,
            "sandbox",
            "Root/Sandbox",
            CollectionStatus.NOT_COLLECTED,
            reason="sts:AssumeRole failed: AccessDenied",
            fix="deploy the reader role: docs/org-reader-role.yaml",
            outcomes=(
                ApiOutcome(
                    api="sts:AssumeRole",
                    part="account_access",
                    status=OutcomeStatus.ACCESS_DENIED,
                    message="not authorized to perform: sts:AssumeRole",
                ),
            ),
        ),
        None,
    )
    yield (
        _collection(
            HOSTILE, "<img src=x onerror=alert(1)>", "Root/Sandbox", CollectionStatus.COLLECTED
        ),
        _account_snapshot(HOSTILE),
    )


@pytest.fixture(scope="module")
def org_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("orgreport")
    run_organization(_org(), _accounts(), out, Settings(), (), formats=("json",), org_pdf=True)
    return out


def _table(out: Path, table_id: str) -> list[list[tuple[str, str]]]:
    table = HtmlTable(table_id)
    table.feed((out / "report.html").read_text(encoding="utf-8"))
    return table.rows


def test_html_sections_and_escaping(org_out: Path) -> None:
    html = (org_out / "report.html").read_text(encoding="utf-8")
    for section in ("sec-summary", "sec-heatmap", "sec-ou", "sec-top-risks", "sec-trusts"):
        assert f'id="{section}"' in html, section
    assert 'id="sec-org-coverage"' in html
    assert "<style>" in html and ".kpi-value" in html  # the account report's look
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert f'href="accounts/{PROD_ACCOUNT}/report.html"' not in html  # json only: no report
    header, *rows = _table(org_out, "t-accounts")
    assert [text for text, _cls in header[:5]] == ["#", "Account", "OU path", "Status", "Posture"]
    # Worst first: not collected, then partial, then by posture.
    assert [r[1][0].split()[-1] for r in rows[:2]] == [SANDBOX_ACCOUNT, WEB_ACCOUNT]
    assert rows[0][3][0] == "not collected" and rows[1][3][0] == "partial"


def test_heat_map_rules_by_accounts(org_out: Path) -> None:
    header, *rows = _table(org_out, "t-heat")
    audited = 4  # management, prod, web, the hostile-named member
    assert len(header) == 2 + audited
    by_rule = {r[0][0].split()[-1]: r for r in rows}
    root_mfa = by_rule["root-mfa"]  # every audited account's root has no MFA
    assert root_mfa[0][0].startswith("critical The root user has MFA enabled")
    assert root_mfa[1][0].startswith(str(audited))
    assert all(text == "1" and "h1" in cls.split() for text, cls in root_mfa[2:])
    severities = [r[0][0].split()[0] for r in rows]
    order = ["critical", "high", "medium", "low", "info"]
    assert severities == sorted(severities, key=order.index)  # most severe rules first


def test_ou_tree_with_status_and_left_out_accounts(org_out: Path) -> None:
    rows = [[text for text, _cls in r] for r in _table(org_out, "t-ou")[1:]]
    names = [r[0] for r in rows]
    prod = next(i for i, n in enumerate(names) if n.startswith("Prod "))
    web = next(i for i, n in enumerate(names) if n.startswith("Web "))
    assert prod < web and rows[prod][1] == "2 account(s), 1 not fully collected"
    assert rows[web + 1][0] == f"web {WEB_ACCOUNT}" and rows[web + 1][1] == "partial"
    archive = next(r for r in rows if r[0] == f"archive {LEFT_OUT}")
    assert "not in this run" in archive[1]


def test_trust_register(org_out: Path) -> None:
    rows = [[text for text, _cls in r] for r in _table(org_out, "t-trusts")[1:]]
    by_role = {r[1]: r for r in rows}
    assert set(by_role) == {"backup-vendor", "vendor-monitoring", "to-prod", "iam-audit-reader"}
    assert by_role["backup-vendor"][2:] == [OUTSIDE, "outside the organization", "no"]
    assert by_role["vendor-monitoring"][2:] == [
        VENDOR,
        "outside the organization",
        "yes: sts:ExternalId",
    ]
    assert by_role["to-prod"][2:] == [PROD_ACCOUNT, "member: prod", "no"]
    assert by_role["iam-audit-reader"][3] == "member: management"
    # Riskiest first: outside without a guard, outside with one, then members.
    assert [r[1] for r in rows[:2]] == ["backup-vendor", "vendor-monitoring"]


def test_trusts_csv_is_the_register(org_out: Path) -> None:
    frame = pd.read_csv(org_out / "trusts.csv", dtype=str, keep_default_na=False)
    assert list(frame.columns) == [
        "account_id",
        "account_name",
        "ou_path",
        "role",
        "role_arn",
        "trusted_account_id",
        "trusted_account_name",
        "trusted_account_is",
        "guards",
    ]
    assert list(frame["role"]) == [r[1][0] for r in _table(org_out, "t-trusts")[1:]]
    vendor = frame[frame["role"] == "vendor-monitoring"].iloc[0]
    assert (vendor["account_id"], vendor["ou_path"]) == (PROD_ACCOUNT, "Root/Prod")
    assert (vendor["trusted_account_is"], vendor["guards"]) == ("outside", "sts:ExternalId")
    reader = frame[frame["role"] == "iam-audit-reader"].iloc[0]
    assert (reader["trusted_account_name"], reader["trusted_account_is"]) == (
        "management",
        "organization",
    )


def test_top_risks_and_coverage(org_out: Path) -> None:
    risks = [[text for text, _cls in r] for r in _table(org_out, "t-top-risks")[1:]]
    assert risks[0][1] == "critical"
    failing = [(r[1], int(r[3])) for r in risks]
    order = ["critical", "high", "medium", "low", "info"]
    assert failing == sorted(failing, key=lambda x: (order.index(x[0]), -x[1]))
    trust = next(r for r in risks if r[2].endswith("role-trust-external-account"))
    assert trust[1] == "high" and f"management {MANAGEMENT}" in trust[5]
    lines = _table(org_out, "t-org-coverage")[1:]
    coverage = {r[0][0].split()[-1]: [text for text, _cls in r] for r in lines}
    assert coverage[SANDBOX_ACCOUNT][2] == "not collected"
    assert "sts:AssumeRole access denied" in coverage[SANDBOX_ACCOUNT][3]
    assert coverage[SANDBOX_ACCOUNT][4] == "deploy the reader role: docs/org-reader-role.yaml"
    assert "iam:GetAccountAuthorizationDetails access denied" in coverage[WEB_ACCOUNT][3]
    assert coverage[MANAGEMENT][3] == "every API answered"


def test_pdf_sections_and_sign_off(org_out: Path) -> None:
    reader = PdfReader(org_out / "report.pdf")
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    text = " ".join(pages)
    for heading in (
        "Organization summary",
        "Top risks across the organization",
        "Cross-account trust register",
        "Organization coverage",
        "Account scorecards",
        "Sign-off",
    ):
        assert heading in text, heading
    assert "Reviewed by" in pages[-1] and "Signature" in pages[-1]
    # A small organization: a scorecard page per account, worst first.
    cards = [p for p in pages if "Collection:" in p]
    assert len(cards) == 5
    assert cards[0].count("Collection:") == 1 and f"#1 sandbox {SANDBOX_ACCOUNT}" in cards[0]
    assert "deploy the reader role" in cards[0]
    assert f"{OUTSIDE} outside the organization no" in text


def _summary(i: int, status: CollectionStatus) -> AccountSummary:
    account_id = f"{100000000000 + i}"
    return AccountSummary(
        account_id=account_id,
        account_name=f"acct-{i:03d}",
        ou_path="Root/Prod" if i % 2 else "Root/Sandbox",
        status=status,
        reason="" if status is CollectionStatus.COLLECTED else "sts:AssumeRole failed",
        fix="" if status is CollectionStatus.COLLECTED else "deploy the reader role",
    )


def test_pdf_stays_under_100_pages_at_200_accounts() -> None:
    # 200 accounts, 10 of them not collected; each audited one judged from a small snapshot
    # of the factory (judged once: the rules are not what this test measures).
    small = _account_snapshot(
        PROD_ACCOUNT,
        roles=(role("vendor", trust=_trust(OUTSIDE), account_id=PROD_ACCOUNT),),
    )
    result = evaluate(small)
    org = org_snapshot()
    builder = OrgViewBuilder(org)
    summaries = []
    for i in range(200):
        status = CollectionStatus.NOT_COLLECTED if i % 20 == 0 else CollectionStatus.COLLECTED
        summary = _summary(i, status)
        collection = _collection(summary.account_id, summary.account_name, summary.ou_path, status)
        if status is CollectionStatus.COLLECTED:
            counts = result.failing_counts()
            summary = replace(
                summary,
                failing={s.label: n for s, n in counts.items()},
                posture=50.0 + i / 10,
                exit_code=0,
            )
            builder.add(collection, small, result)
        else:
            builder.add(collection)
        summaries.append(summary)
    view = builder.build(summaries, generated_at=T0, page_size="A4")
    assert not view.one_card_per_page and len(view.accounts) > ONE_CARD_PER_PAGE_UP_TO
    pdf = draw_pdf(layout_pdf(render_org_pdf_html(view, ReportOptions())))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) <= 100
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert all(f"acct-{i:03d}" in text for i in range(200))
    assert text.count("Collection:") == 200  # a scorecard for every account
    assert "Sign-off" in text and "200: 190 collected, 0 partial, 10 not collected" in text


def test_view_builder_rankings() -> None:
    assert [heat_level(n) for n in (0, 1, 3, 4, 10, 24, 25, 900)] == [0, 1, 2, 3, 4, 4, 5, 5]
    org = org_snapshot()
    incomplete = replace(org, outcomes=())  # the account list was not read completely
    builder = OrgViewBuilder(incomplete)
    snap = _account_snapshot(
        PROD_ACCOUNT, roles=(role("r", trust=_trust(OUTSIDE), account_id=PROD_ACCOUNT),)
    )
    builder.add(_collection(PROD_ACCOUNT, "prod", "Root/Prod", CollectionStatus.COLLECTED), snap)
    (row,) = builder.build((), generated_at=T0, page_size="A4").trusts
    assert row.scope is TrustScope.UNKNOWN  # not proven outside
    lines = ou_lines(org, [_summary(1, CollectionStatus.COLLECTED)])
    assert lines[0].kind == "root" and lines[-2].name == "Not in the OU tree"
