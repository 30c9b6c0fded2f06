"""The scorecard and controls.csv name each control's title, so they read without the benchmark."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
from pypdf import PdfReader

KEY_ROTATION = "Ensure access keys are rotated every 90 days or less"
HUB_KEY_ROTATION = "IAM users' access keys should be rotated every 90 days or less"


def test_controls_csv_has_the_title_of_every_control(full_report: Path) -> None:
    frame = pd.read_csv(
        full_report / "controls.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    titles = dict(zip(frame["control"], frame["title"], strict=True))
    for control in ("CIS v3.0 1.14", "CIS v4.0.1 1.14", "CIS v5.0 1.13", "CIS v6.0 2.13"):
        assert titles[control] == KEY_ROTATION
    assert titles["AWS Security Hub IAM.3"] == HUB_KEY_ROTATION
    assert all(frame["title"])


def test_html_scorecard_shows_titles(full_report: Path) -> None:
    html = unescape((full_report / "report.html").read_text(encoding="utf-8"))
    scorecard = html.split('id="sec-scorecard"', 1)[1].split("</section>", 1)[0]
    crosswalk = scorecard.split('id="t-crosswalk"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in crosswalk.split("<tr>") if "access-key-rotation" in r)
    assert KEY_ROTATION in row
    per_framework = scorecard.split('id="t-controls"', 1)[1]
    assert HUB_KEY_ROTATION in per_framework


def test_pdf_scorecard_shows_titles(full_report: Path) -> None:
    reader = PdfReader(full_report / "report.pdf")
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    page = flat.split("Compliance scorecard", 2)[-1]  # the section, not the table of contents
    assert KEY_ROTATION in page
