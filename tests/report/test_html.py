"""report.html parsed: self-contained, every AWS value escaped, all sections present."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from freezegun import freeze_time

from audit.report.templating import environment
from tests.report.factories import FORMULA_USER, SCRIPT, ReportFactory

SECTIONS = (
    "sec-summary",
    "sec-scorecard",
    "sec-findings",
    "sec-admins",
    "sec-inventory",
    "sec-users",
    "sec-groups",
    "sec-matrix",
    "sec-coverage",
    "sec-evidence",
)


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_script = False
        self.script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.script_text if self._in_script else self.text).append(data)


@pytest.fixture(scope="module")
def html_text(full_report: Path) -> str:
    return (full_report / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(html_text: str) -> Collector:
    collector = Collector()
    collector.feed(html_text)
    collector.close()
    return collector


def test_nothing_is_loaded_from_anywhere(parsed: Collector) -> None:
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "action", "data", "poster", "srcset"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "ftp:")), (tag, name, value)
            if tag != "a" and name in ("src", "href"):
                assert value == "" or value.startswith(("#", "data:")), (tag, name, value)
        assert tag not in ("link", "iframe", "object", "embed"), tag
        if tag == "script":
            assert "src" not in attrs
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0].get("content") or "")


def test_injected_markup_shows_as_text(html_text: str, parsed: Collector) -> None:
    assert SCRIPT not in html_text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html_text
    # Our own script is the only one, and the injected one is visible text.
    assert [t for t, _ in parsed.tags].count("script") == 1
    text = "".join(parsed.text)
    assert f"inline-{SCRIPT}" in text
    assert "alert(" not in "".join(parsed.script_text)


def test_sections_and_tables_are_there(parsed: Collector) -> None:
    ids = {a.get("id") for _, a in parsed.tags}
    for section in SECTIONS:
        assert section in ids
    filters = [a.get("data-table") for t, a in parsed.tags if t == "input"]
    assert {"t-users", "t-groups", "t-controls", "t-admins"} <= set(filters)
    svgs = [t for t, _ in parsed.tags if t == "svg"]
    assert len(svgs) == 4


def test_inventory_and_admin_paths_show_the_people(parsed: Collector) -> None:
    text = " ".join(parsed.text)
    assert FORMULA_USER in text  # HTML shows the real name; only CSV cells are neutralised
    assert "@carol" in text
    assert "via group admins" in text  # from the effective-admin rule's paths
    assert "Every IAM user with a console password has MFA" in text
    assert "User is not authorized" in text  # the coverage section names the denial


def test_chart_ids_do_not_clash(parsed: Collector) -> None:
    ids = [a["id"] for _, a in parsed.tags if a.get("id")]
    assert len(ids) == len(set(ids))


def test_templates_autoescape_even_when_named_j2() -> None:
    env = environment()
    template = env.from_string("{{ value }}")
    assert template.render(value="<b>") == "&lt;b&gt;"
    assert env.autoescape is True


def test_output_is_deterministic(make_report: ReportFactory) -> None:
    # No clock anywhere: the same snapshot and as-of give byte-identical files, PDF included,
    # even when the two runs happen years apart (a clock read anywhere would show).
    with freeze_time("2030-01-02 03:04:05"):
        out, *_ = make_report()
        first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(first) == 8
    with freeze_time("2035-06-07 08:09:10"):
        out2, *_ = make_report()
    second = {p.name: p.read_bytes() for p in out2.iterdir()}
    assert first == second
