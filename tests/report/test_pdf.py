"""report.pdf read back with pypdf: cover, contents, running header/footer, the per-rule cut."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from audit.report import ReportOptions
from tests.report.factories import ACCOUNT, ReportFactory
from tests.report.pdf_outline import outline as read_outline

A4_WIDTH_PT = 595.3
LETTER_WIDTH_PT = 612.0


@pytest.fixture(scope="module")
def pages(full_report: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(full_report / "report.pdf").pages]


def failing_by_rule(report_dir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in json.loads((report_dir / "findings.json").read_text()):
        if f["status"] == "fail":
            counts[f["title"]] = counts.get(f["title"], 0) + 1
    return counts


def test_cover_names_account_period_time_and_hash(pages: list[str]) -> None:
    cover = pages[0]
    assert "AWS IAM audit report" in cover
    assert ACCOUNT in cover
    assert "test-alias" in cover
    assert "Review period" in cover
    assert "Generated at 2026-11-01 12:00 UTC" in cover
    assert "ab" * 32 in cover
    assert "Prepared by Jane Auditor" in cover
    # The cover has no running header or footer.
    assert "page 1 of" not in cover


def test_contents_lists_sections_with_the_pages_they_are_on(pages: list[str]) -> None:
    toc = pages[1]
    assert toc.startswith("Contents")
    entries = {
        title.strip(): int(num) for title, num in re.findall(r"^(.+?)\s*\.{3,}\s*(\d+)$", toc, re.M)
    }
    for section in (
        "Executive summary",
        "Compliance scorecard",
        "Findings by rule",
        "Who is an administrator and why",
        "Collection coverage",
        "Evidence",
        "Sign-off",
    ):
        page = entries[section]
        assert pages[page - 1].lstrip().startswith(section), (section, page)


def test_running_header_and_page_x_of_y(pages: list[str]) -> None:
    total = len(pages)
    for number, text in enumerate(pages[1:], start=2):
        assert f"page {number} of {total}" in text
        assert "Confidential" in text
        assert f"AWS account {ACCOUNT} (test-alias)" in text


def test_failing_rules_are_all_there_and_the_cut_points_to_the_csv(
    full_report: Path, pages: list[str]
) -> None:
    text = "\n".join(pages)
    counts = failing_by_rule(full_report)
    assert counts["Every IAM user with a console password has MFA"] == 32
    for title in counts:
        assert title in text.replace("\n", " "), title
    cuts = re.findall(r"and (\d+) more, see findings\.csv", text)
    expected = sorted(n - 25 for n in counts.values() if n > 25)
    assert sorted(int(c) for c in cuts if int(c) in expected) == expected
    # Resources past the cut are not listed: user029 would be the 30th row of the MFA rule.
    mfa_section = text.split("Every IAM user with a console password has MFA")[2]
    assert "user029 has a console password and no MFA" not in mfa_section.split("and 7 more")[0]


def test_admin_paths_and_sign_off(pages: list[str]) -> None:
    admins = next(p for p in pages if p.lstrip().startswith("Who is an administrator"))
    assert "bob" in admins
    assert "group admins" in admins
    signoff = pages[-1]
    for label in ("Sign-off", "Prepared by", "Reviewed by", "Date", "Signature"):
        assert label in signoff


def test_page_size_letter_and_a_smaller_cut(make_report: ReportFactory) -> None:
    out, *_ = make_report(
        formats=("pdf",),
        options=ReportOptions(page_size="letter", pdf_max_resources=3),  # any case
        extra_console_users=5,
    )
    reader = PdfReader(out / "report.pdf")
    assert float(reader.pages[0].mediabox.width) == pytest.approx(LETTER_WIDTH_PT, abs=1)
    text = "\n".join(p.extract_text() for p in reader.pages)
    # 7 console users without MFA (bob, @carol and 5 more), 3 listed.
    assert "and 4 more, see findings.csv" in text


def test_default_is_a4(full_report: Path) -> None:
    reader = PdfReader(full_report / "report.pdf")
    assert float(reader.pages[0].mediabox.width) == pytest.approx(A4_WIDTH_PT, abs=1)
    assert 10 < len(reader.pages) < 40


def test_the_pdf_summarises_more_users_in_the_same_pages(
    make_report: ReportFactory, full_report: Path
) -> None:
    # 230 users instead of 35: every capped list stays capped, so no page is added.
    out, _snap, result, _ = make_report(formats=("pdf",), extra_console_users=225)
    reader = PdfReader(out / "report.pdf")
    assert len(reader.pages) <= len(PdfReader(full_report / "report.pdf").pages)
    text = "\n".join(p.extract_text() for p in reader.pages)
    failing_mfa = sum(1 for f in result.failing if f.rule_id == "user-console-mfa")
    assert failing_mfa == 227
    assert f"and {failing_mfa - 25} more, see findings.csv" in text


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://169.254.169.254/latest/"])
def test_the_pdf_renderer_fetches_nothing(url: str) -> None:
    from audit.report.pdf import offline_fetcher

    with pytest.raises(ValueError, match="disallowed protocol"):
        offline_fetcher().fetch(url)


def test_the_pdf_worker_gives_the_bytes_of_an_in_process_render() -> None:
    from audit.report.pdf import PdfWorker, draw_pdf, layout_pdf

    html = "<html><head><title>t</title></head><body><h1>One</h1><p>two</p></body></html>"
    worker = PdfWorker()
    try:
        worker.send(html)
        assert worker.result() == draw_pdf(layout_pdf(html))
    finally:
        worker.close()


def test_a_pdf_worker_that_dies_is_one_clear_error() -> None:
    from audit.errors import AuditError
    from audit.report.pdf import PdfWorker

    worker = PdfWorker()
    worker.close()  # as when the run fails or is interrupted before the PDF's HTML exists
    with pytest.raises(AuditError, match=r"^PDF rendering failed: exit -9$"):
        worker.result()


def test_the_look_is_pinned_pages_bookmarks_and_links(full_report: Path) -> None:
    # Pinned so that a change meant to be invisible (PDF speed work, README "Report speed")
    # fails here if it moves anything; bench/pdf_look.py compares the pixels too. A change
    # that is meant to alter the PDF updates these numbers.
    reader = PdfReader(full_report / "report.pdf")
    assert len(reader.pages) == 25
    outline = read_outline(reader)
    assert len(outline) == 38
    top = [(title, page + 1) for level, title, page in outline if level == 0]
    assert top == [
        ("AWS IAM audit report", 1),
        ("Contents", 2),
        ("Executive summary", 3),
        ("Compliance scorecard", 5),
        ("Findings by rule", 8),
        ("Who is an administrator and why", 21),
        ("Unused access", 22),
        ("Collection coverage", 23),
        ("Evidence", 24),
        ("Sign-off", 25),
    ]
    rules = [(title, page + 1) for level, title, page in outline if level == 1]
    assert rules[4:7] == [
        ("high Every IAM user with a console password has MFA", 8),
        ("high No IAM user can do * on * by any path", 9),
        ("high No user, group or role has a full-admin policy attached", 10),
    ]
    assert rules[-6:-3] == [
        ("info People sign in through a central identity provider", 18),
        ("info Every group has members", 18),
        ("Rules without failures", 18),
    ]
    links = [
        annot.get_object()
        for page in reader.pages
        for annot in page.get("/Annots") or []
        if annot.get_object().get("/Subtype") == "/Link"
    ]
    assert len(links) == 91
