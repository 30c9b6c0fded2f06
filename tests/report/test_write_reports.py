"""write_reports: formats chosen, bad input refused, failures leave earlier output intact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.errors import InputError
from audit.findings import Status
from audit.report import FORMATS, ReportOptions, csv_files, write_reports
from audit.report.view import build_view, key_age_bins
from tests.fixtures.snapshots import snapshot
from tests.report.factories import AS_OF, FORMULA_USER, ReportFactory, audit_result, build_snapshot

ALL_FILES = {
    "report.html",
    "report.pdf",
    "findings.csv",
    "credentials.csv",
    "roles.csv",
    "controls.csv",
    "findings.json",
    "summary.json",
}


def test_formats_choose_the_files(make_report: ReportFactory) -> None:
    out, _snap, _result, written = make_report(formats=("csv", "json"))
    assert [p.name for p in written] == [
        "findings.csv",
        "credentials.csv",
        "roles.csv",
        "controls.csv",
        "findings.json",
        "summary.json",
    ]
    assert {p.name for p in out.iterdir()} == {p.name for p in written}


def test_all_formats_by_default(full_report: Path) -> None:
    assert set(FORMATS) == {"html", "pdf", "csv", "json"}
    assert {p.name for p in full_report.iterdir()} == ALL_FILES


@pytest.mark.parametrize(
    ("formats", "options", "message"),
    [
        (("html", "docx"), ReportOptions(), "unknown report format docx"),
        (("pdf",), ReportOptions(page_size="A3"), "unknown page size 'A3'"),
        (("pdf",), ReportOptions(pdf_max_resources=0), "pdf_max_resources"),
    ],
)
def test_bad_input_is_a_clear_input_error(
    tmp_path: Path, formats: tuple[str, ...], options: ReportOptions, message: str
) -> None:
    snap = build_snapshot()
    with pytest.raises(InputError, match=message):
        write_reports(snap, "0" * 64, audit_result(snap), tmp_path, formats, options)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_renderer_leaves_earlier_output_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = build_snapshot()
    result = audit_result(snap)
    write_reports(snap, "0" * 64, result, tmp_path, ("csv",))
    before = (tmp_path / "credentials.csv").read_bytes()

    def broken(_view: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(csv_files, "credentials_csv", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_reports(snap, "1" * 64, result, tmp_path, ("csv",))
    assert (tmp_path / "credentials.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["findings.csv", "credentials.csv", "roles.csv", "controls.csv"]
    )  # no temporary files left behind


def test_view_orders_failures_most_severe_first() -> None:
    snap = build_snapshot(extra_console_users=3)
    view = build_view(snap, "0" * 64, audit_result(snap))
    failing = [r for r in view.rules if r.failed]
    assert failing
    assert view.rules[: len(failing)] == tuple(failing)
    severities = [r.severity for r in failing]
    assert severities == sorted(severities, reverse=True)
    for rule in failing:
        assert all(f.status is Status.FAIL for f in rule.failing)
        assert len(rule.failing) == rule.failed
    assert view.generated_at == AS_OF
    # admin paths come from the effective-admin rule's details
    admins = {a.user: a for a in view.admin_paths}
    assert set(admins) == {"bob", FORMULA_USER}
    assert any("admins" in p for p in admins["bob"].paths)


def test_chart_series() -> None:
    snap = build_snapshot()
    view = build_view(snap, "0" * 64, audit_result(snap))
    charts = view.charts
    # Active keys: alice 10 d, bob 200 d and 40 d, =1+2 95 d.
    assert dict(charts.key_age_bins) == {
        "0-30": 1,
        "31-60": 1,
        "61-90": 0,
        "91-180": 1,
        "181-360": 1,
        ">360": 0,
    }
    assert charts.key_age_bins[charts.key_age_limit_bin][0] == "91-180"
    # Console users: alice (MFA), bob and @carol (no MFA); root and =1+2 are not counted.
    assert charts.mfa_console == (1, 2)
    assert sum(n for _, n in charts.failing_by_severity) == len(
        [f for f in view.findings if f.status is Status.FAIL]
    )


def test_key_age_bins_put_the_limit_on_an_edge() -> None:
    bins = key_age_bins(30)
    assert [b[0] for b in bins] == ["0-10", "11-20", "21-30", "31-60", "61-120", ">120"]
    assert bins[0][1] == 0
    assert bins[-1][2] is None


def test_crosswalk_puts_each_rule_set_on_one_row() -> None:
    snap = build_snapshot()
    view = build_view(snap, "0" * 64, audit_result(snap))
    names = [fw.framework for fw in view.frameworks]
    rows = {r.rule_ids: r for r in view.crosswalk}
    mfa = rows[("user-console-mfa",)]
    assert dict(zip(names, mfa.ids, strict=True)) == {
        "CIS v6.0": "2.9",
        "CIS v5.0": "1.9",
        "CIS v4.0.1": "1.10",
        "CIS v3.0": "1.10",
        "AWS Security Hub": "IAM.5",
    }
    assert (mfa.status, mfa.failing, mfa.judged) == ("fail", 2, 3)
    # Every control of every framework appears exactly once.
    for i, fw in enumerate(view.frameworks):
        listed = [x for r in view.crosswalk for x in r.ids[i].split(", ") if x]
        assert sorted(listed) == sorted(
            c.control.removeprefix(fw.framework).strip() for c in fw.controls
        )


def test_a_snapshot_with_nothing_collected_still_reports(tmp_path: Path) -> None:
    from audit.engine import evaluate

    snap = snapshot(at=AS_OF, account_id="000000000000", outcomes=())
    written = write_reports(snap, "0" * 64, evaluate(snap), tmp_path)
    assert {p.name for p in written} == ALL_FILES
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["posture_score"] is None
    assert summary["collection_complete"] is False
    assert all(fw["assessed"] == 0 for fw in summary["frameworks"])
    html = (tmp_path / "report.html").read_text()
    assert "not collected" in html
