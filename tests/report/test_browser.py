"""report.html in headless Chromium: the filter box filters, sorting sorts, nothing is fetched."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.report.devtools import Browser, require_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Chromium from CHROME or PATH; skipped without one, but a failure when CI is set."""
    return require_chromium()


COUNTER = "document.querySelector('[data-count-for=t-users]').textContent"
VISIBLE_USERS = (
    "Array.from(document.querySelectorAll('#t-users tbody tr'))"
    ".filter(r => !r.hidden).map(r => r.cells[0].textContent.trim())"
)


def test_filter_box_sorting_and_screenshot(
    chromium: Path, full_report: Path, tmp_path: Path
) -> None:
    url = (full_report / "report.html").resolve().as_uri()
    with Browser(chromium) as browser:
        browser.open_page(url)
        all_users = browser.evaluate(VISIBLE_USERS)
        assert len(all_users) == 35
        assert browser.evaluate(
            "document.querySelector('[data-count-for=t-users]').textContent"
        ) == ("35 rows")

        # Type into the filter box as a person would.
        browser.evaluate("document.querySelector('input[data-table=t-users]').focus()")
        browser.call("Input.insertText", {"text": "carol"})
        assert browser.evaluate(VISIBLE_USERS) == ["@carol"]
        assert browser.evaluate(
            "document.querySelector('[data-count-for=t-users]').textContent"
        ) == ("1 of 35 rows")

        # Clearing it brings every row back; two words must both match.
        browser.evaluate(
            "(() => { const i = document.querySelector('input[data-table=t-users]');"
            " i.value = ''; i.dispatchEvent(new Event('input')); })()"
        )
        browser.call("Input.insertText", {"text": "user01 developers"})
        assert browser.evaluate(VISIBLE_USERS) == [f"user01{i}" for i in range(10)]

        # Clicking the Risk header twice sorts descending: the riskiest user comes first.
        header = "document.querySelectorAll('#t-users thead th')[8]"
        browser.evaluate(f"{header}.click(); {header}.click()")
        assert browser.evaluate(f"{header}.getAttribute('aria-sort')") == "descending"
        first = browser.evaluate("document.querySelector('#t-users tbody tr').cells[0].textContent")
        assert first == "bob"

        shot = browser.call("Page.captureScreenshot", {"format": "png"})
        png = base64.b64decode(shot["data"])
        (tmp_path / "report.png").write_bytes(png)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(png) > 10_000

        errors = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"]
        assert errors == []
        fetched = [
            e["params"]["request"]["url"]
            for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
        assert all(u.startswith(("file:", "data:")) for u in fetched), fetched
