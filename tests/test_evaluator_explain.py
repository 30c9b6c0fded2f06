"""`iam-audit explain USER SNAPSHOT` and `iam-audit rules`, through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from audit.cli import main
from audit.snapshot_io import write_snapshot
from tests.fixtures.snapshots import ADMIN, allow, deny, doc, group, policy, role, snapshot, user
from tests.test_catalogue import CATALOGUE_IDS


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture
def snap_file(tmp_path: Path) -> Path:
    passer = policy("PassRoles", doc(allow("iam:PassRole"), deny("iam:PassRole", "arn:x")))
    bound = policy("Boundary", doc(allow(["ec2:*", "iam:PassRole"])), attachments=0)
    snap = snapshot(
        users=(
            user("alice", groups=("admins",)),
            user(
                "dev",
                groups=("ops",),
                inline={
                    "run": doc(
                        allow(
                            "ec2:RunInstances", Condition={"Bool": {"aws:SecureTransport": "true"}}
                        )
                    )
                },
                boundary=bound.arn,
            ),
        ),
        roles=(
            role(
                "builder",
                trust=doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ),
                attached=(ADMIN,),
            ),
        ),
        groups=(group("admins", attached=(ADMIN,)), group("ops", attached=(passer,))),
        policies=(ADMIN, passer, bound),
    )
    path = tmp_path / "snap.json.gz"
    write_snapshot(snap, path)
    return path


def test_explain_admin(capsys: pytest.CaptureFixture[str], snap_file: Path) -> None:
    code, out, _ = cli(capsys, "explain", "alice", str(snap_file))
    assert code == 0
    assert "Effective admin: YES, * on * via group admins -> policy AdministratorAccess" in out
    assert "Privilege-escalation methods: 23" in out


def test_explain_paths_conditions_boundary_and_methods(
    capsys: pytest.CaptureFixture[str], snap_file: Path
) -> None:
    code, out, _ = cli(capsys, "explain", "dev", str(snap_file))
    assert code == 0
    lines = out.splitlines()
    assert "Permissions boundary: permissions boundary Boundary" in lines
    assert "  via inline policy run" in lines
    assert "    Allow ec2:RunInstances on *  [conditional]" in lines
    assert "  via group ops -> policy PassRoles" in lines
    assert "    Deny iam:PassRole on arn:x" in lines
    assert "Privilege-escalation methods: 1" in lines
    assert (
        "  iam:PassRole + ec2:RunInstances (conditional) via group ops -> policy PassRoles, "
        "via inline policy run"
    ) in lines


def test_explain_unknown_user_is_one_line(
    capsys: pytest.CaptureFixture[str], snap_file: Path
) -> None:
    code, out, err = cli(capsys, "explain", "ALICE", str(snap_file))
    assert code == 2 and out == ""
    assert err == (
        "iam-audit: error: no IAM user or role 'ALICE' in the snapshot (did you mean alice?)\n"
    )
    code, _, err = cli(capsys, "explain", "alice", str(snap_file.parent / "missing.json.gz"))
    assert code == 2 and "snapshot file not found" in err


def test_rules_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules", "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert {r["id"] for r in records} == CATALOGUE_IDS
    by_id = {r["id"]: r for r in records}
    assert by_id["access-key-rotation"]["controls"][2] == "CIS v5.0 1.13"
    assert by_id["group-empty"]["controls"] == ["beyond the benchmarks"]
    assert by_id["admin-without-mfa"]["severity"] == "critical"

    code, out, _ = cli(capsys, "rules", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert list(rows[0]) == ["id", "severity", "title", "controls", "requires", "resource_type"]
    assert by_id["admin-policy-attached"]["resource_type"] == "principal"
    assert {r["id"]: r["resource_type"] for r in rows} == {
        r["id"]: r["resource_type"] for r in records
    }

    code, out, _ = cli(capsys, "rules")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "TITLE", "REQUIRES", "CONTROLS"]
    assert len(lines) == len(records) + 1
    assert lines[1].startswith("root-access-key ")

    code, _, err = cli(capsys, "rules", "--format", "xml")
    assert code == 2 and "'xml' is not one of" in err


def test_explain_shows_the_escalation_path_step_by_step(
    capsys: pytest.CaptureFixture[str], snap_file: Path
) -> None:
    code, out, _ = cli(capsys, "explain", "dev", str(snap_file))
    assert code == 0
    lines = out.splitlines()
    assert "Escalation (to an administrator, 1 step(s), conditional):" in lines
    assert "  1. user dev -[iam:PassRole + ec2:RunInstances]-> role builder" in lines
    assert "  only if: condition Bool on aws:SecureTransport" in lines
    code, out, _ = cli(capsys, "explain", "alice", str(snap_file))
    assert "Escalation: none needed, it is an administrator already" in out.splitlines()


def test_explain_a_role_and_json(capsys: pytest.CaptureFixture[str], snap_file: Path) -> None:
    code, out, _ = cli(capsys, "explain", "builder", str(snap_file))
    assert code == 0 and out.startswith("Role builder (arn:aws:iam::")
    code, out, _ = cli(capsys, "explain", "dev", str(snap_file), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "user" and data["groups"] == ["ops"]
    assert data["admin"]["verdict"] == "not granted"
    assert data["escalation"]["to_admin"] is True
    assert [s["kind"] for s in data["escalation"]["steps"]] == ["pass-role", "gain"]
    assert data["escalation"]["conditional"] == ["condition Bool on aws:SecureTransport"]
    assert {"path": "via inline policy run"}.items() <= data["sources"][0].items()
    code, out, _ = cli(capsys, "explain", "role/builder", str(snap_file), "--format", "json")
    assert json.loads(out)["escalation"] is None and json.loads(out)["kind"] == "role"
