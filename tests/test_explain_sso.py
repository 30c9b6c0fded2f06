"""`explain` for an Identity Center person: accounts, groups, permission sets, admin, escalation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from audit.errors import InputError
from audit.explain_sso import explain_person, is_person
from audit.model import Snapshot
from audit.snapshot_io import write_snapshot
from tests.cli_helpers import run_cli
from tests.fixtures.credential_reports import ACCOUNT_ID
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
from tests.fixtures.snapshots import allow, doc, snapshot, user

ADMIN = pset("Admin", managed=(ADMIN_ARN,), session="PT2H")
ESCALATE = pset("Escalate", inline=doc(allow(["iam:PassRole", "ec2:RunInstances"])))
OTHER = "222222222222"


def _snap() -> Snapshot:
    c = center(
        sets=(ADMIN, ESCALATE),
        users=(person("ana", "Ana@Example.com"), person("ben")),
        groups=(team("admins"), team("devs")),
        members={"admins": ("ana",), "devs": ("ana", "ben")},
        assignments=(
            to_group(ADMIN, "admins"),
            to_group(ESCALATE, "devs", OTHER),
            to_user(ESCALATE, "ana", OTHER),
        ),
    )
    return sso_snapshot(c)


def test_every_account_with_path_admin_and_escalation() -> None:
    lines = explain_person(_snap(), "ana").splitlines()
    assert lines[0] == "Identity Center user ana (Ana, Ana@Example.com)"
    assert "Groups: admins, devs" in lines
    assert f"Reaches 2 account(s) through 2 permission set(s); admin in 1: {ACCOUNT_ID}" in lines
    at = lines.index(f"Account {ACCOUNT_ID}")
    assert lines[at + 1] == "  Admin via group admins  [ADMIN]  (session 2 h)"
    assert lines[at + 2].startswith("    admin: * on * via permission set Admin -> AWS managed")
    other = lines.index(f"Account {OTHER}")
    assert lines[other + 1] == (
        "  Escalate via group devs, direct assignment  [CAN ESCALATE]  (session 1 h)"
    )
    assert "    escalation: iam:PassRole + ec2:RunInstances" in lines


def test_found_by_email_without_case() -> None:
    assert explain_person(_snap(), "ana@example.COM").startswith("Identity Center user ana ")
    assert is_person(_snap(), "BEN")
    assert not is_person(_snap(), "nobody")


def test_unknown_person_and_no_center_are_one_line_errors() -> None:
    with pytest.raises(InputError, match="no Identity Center user 'zed'"):
        explain_person(_snap(), "zed")
    with pytest.raises(InputError, match="no Identity Center data in the snapshot"):
        explain_person(snapshot(), "ana")


def test_the_explain_command_takes_a_person(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "snap.json.gz"
    write_snapshot(replace(_snap(), users=(user("ana-iam"),)), path)
    code, out, err = run_cli(["explain", "ANA@example.com", str(path)], capsys)
    assert code == 0 and err == ""
    assert out.startswith("Identity Center user ana (Ana, Ana@Example.com)\n")
    code, out, _ = run_cli(["explain", "ana-iam", str(path)], capsys)
    assert code == 0 and out.startswith("User ana-iam ")  # an IAM user still comes first
    code, out, err = run_cli(["explain", "zed", str(path)], capsys)
    assert code == 2 and out == ""
    assert err == (
        "iam-audit: error: no IAM user or role 'zed' in the snapshot; "
        "nor an Identity Center user (user name or e-mail)\n"
    )
