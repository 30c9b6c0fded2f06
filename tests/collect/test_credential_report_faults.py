"""Garbled credential reports from the endpoint: a missing column, a short line, a future date.

Each used to be read as blank/False or as a negative age: rules passed on data that was not
there and the run exited 0. Now the report (or the user) is not assessed and the run exits 3.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.handlers
import pytest
from botocore.awsrequest import AWSResponse

from audit.engine import evaluate
from audit.findings import Status
from audit.model import PART_CREDENTIAL_REPORT, PART_CREDENTIAL_ROWS, OutcomeStatus
from audit.rules import all_rules
from tests.cli_helpers import exit_code
from tests.collect.conftest import collect
from tests.fixtures.credential_reports import COLUMNS, make_report_csv

NOW = "2026-01-01T00:00:00Z"  # GeneratedTime: a plausible past moment
FUTURE = "2099-01-01T00:00:00+00:00"
CREDENTIAL_RULES = {r.meta.id for r in all_rules() if PART_CREDENTIAL_REPORT in r.meta.requires}


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def _serve(content: bytes, generated: str = NOW) -> Any:
    body = (
        '<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        f"<GetCredentialReportResult><Content>{base64.b64encode(content).decode()}</Content>"
        f"<ReportFormat>text/csv</ReportFormat><GeneratedTime>{generated}</GeneratedTime>"
        "</GetCredentialReportResult><ResponseMetadata><RequestId>r-1</RequestId>"
        "</ResponseMetadata></GetCredentialReportResponse>"
    ).encode()

    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"content-type": "text/xml"}, _Raw(body))

    return answer


def _collect_with(content: bytes, generated: str = NOW) -> Any:
    session = boto3.session.Session()
    session.events.register_first("before-send.iam.GetCredentialReport", _serve(content, generated))
    return collect(session)


def _by_rule(snap: Any, name: str) -> dict[str, Status]:
    return {f.rule_id: f.status for f in evaluate(snap).findings if f.resource_name == name}


@pytest.mark.usefixtures("moto_account")
def test_a_missing_column_makes_the_report_unreadable_naming_it() -> None:
    columns = tuple(c for c in COLUMNS if c != "access_key_1_active")
    snap = _collect_with(make_report_csv([{"user": "bob"}], columns=columns))
    (got,) = [o for o in snap.outcomes if o.api == "iam:GetCredentialReport"]
    assert got.status is OutcomeStatus.ERROR
    assert "lacks the column access_key_1_active" in got.message
    assert got in snap.failed_outcomes
    findings = [f for f in evaluate(snap).findings if f.rule_id in CREDENTIAL_RULES]
    assert {f.status for f in findings} == {Status.NOT_ASSESSED}


@pytest.mark.usefixtures("moto_account")
def test_a_short_line_and_a_future_date_leave_those_users_not_assessed() -> None:
    content = make_report_csv(
        [
            {"user": "alice", "password_enabled": "true", "mfa_active": "true"},
            {
                "user": "bob",
                "access_key_1_active": "true",
                "access_key_1_last_rotated": FUTURE,
            },
        ]
    )
    lines = content.split(b"\n")
    lines[1] = b",".join(lines[1].split(b",")[:6])  # alice's line stops early
    snap = _collect_with(b"\n".join(lines))
    (got,) = [o for o in snap.outcomes if o.api == "iam:GetCredentialReport" and o.calls]
    assert got.status is OutcomeStatus.OK  # the report as a whole is read
    (rows,) = [o for o in snap.outcomes if o.part == PART_CREDENTIAL_ROWS]
    assert rows.status is OutcomeStatus.ERROR
    assert rows in snap.failed_outcomes  # -> exit 3
    assert rows.message.startswith("2 of 2 users' rows cannot be fully read: alice (")
    assert f"bob (access_key_1_last_rotated {FUTURE} is after the report was received" in (
        rows.message
    )
    assert snap.has_part(PART_CREDENTIAL_REPORT)
    alice, bob = _by_rule(snap, "alice"), _by_rule(snap, "bob")
    assert alice["user-console-mfa"] is Status.NOT_ASSESSED  # mfa_active was cut off
    assert bob["access-key-rotation"] is Status.NOT_ASSESSED  # never "-26,000 days old"
    assert bob["user-console-and-keys"] is Status.PASS  # reads nothing impossible: judged


@pytest.mark.usefixtures("moto_account")
def test_a_report_generated_in_the_future_is_unreadable() -> None:
    snap = _collect_with(make_report_csv([{"user": "bob"}]), generated="2099-01-01T00:00:00Z")
    (got,) = [o for o in snap.outcomes if o.api == "iam:GetCredentialReport"]
    assert got.status is OutcomeStatus.ERROR
    assert "GeneratedTime 2099-01-01T00:00:00+00:00 is after the report was received" in (
        got.message
    )
    assert snap.credential_report == ()


@pytest.mark.usefixtures("moto_account")
def test_collect_exits_3_on_an_impossible_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    content = make_report_csv(
        [{"user": "bob", "access_key_1_active": "true", "access_key_1_last_rotated": FUTURE}]
    )
    monkeypatch.setattr(
        botocore.handlers,
        "BUILTIN_HANDLERS",
        [
            (
                "before-send.iam.GetCredentialReport",
                _serve(content),
                botocore.handlers.REGISTER_FIRST,
            ),
            *botocore.handlers.BUILTIN_HANDLERS,
        ],
    )
    args = ["--region", "us-east-1", "--analyzer-region", "us-east-1", "--quiet"]
    assert exit_code(["collect", "--output", str(tmp_path / "s.json.gz"), *args]) == 3
    assert "1 of 1 users' rows cannot be fully read: bob (" in capsys.readouterr().err
