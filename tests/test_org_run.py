"""Organization runs through the command line: demo --org, org collect in slices, org report."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from moto.moto_api._internal import mock_random
from pypdf import PdfReader

from audit.collect.demo import DEMO_SEED, demo_environment
from audit.collect.demo_org import plant_demo_organization
from audit.model import Snapshot
from audit.model_org import AccountCollection
from audit.org_folder import read_org_folder
from audit.org_run import run_organization
from audit.settings import Settings
from tests.cli_helpers import exit_code, run_cli

AS_OF = "2026-06-30T00:00:00+00:00"
ORG_FILES = (
    "organization.json.gz",
    "findings.csv",
    "findings.json",
    "credentials.csv",
    "controls.csv",
    "trusts.csv",
    "organization.json",
)
# Pinned: the organization's files are read by people's spreadsheets and scripts.
ACCOUNT_COLUMNS = ["account_id", "account_name", "ou_path"]
ORG_FINDING_COLUMNS = [
    *ACCOUNT_COLUMNS,
    "rule_id",
    "title",
    "status",
    "severity",
    "resource_type",
    "resource_name",
    "resource_arn",
    "message",
    "controls",
    "remediation",
    "details",
    "suppression_owner",
    "suppression_reason",
    "suppression_expires",
    "suppression_ticket",
]
ORG_CREDENTIALS_COLUMNS = [
    *ACCOUNT_COLUMNS,
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    *(
        f"access_key_{n}_{c}"
        for n in (1, 2)
        for c in (
            "active",
            "last_rotated",
            "last_used_date",
            "last_used_region",
            "last_used_service",
        )
    ),
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
    "groups",
    "attached_policies",
    "inline_policies",
    "permissions_boundary",
    "risk_score",
]
ORG_CONTROLS_COLUMNS = [
    *ACCOUNT_COLUMNS,
    "framework",
    "control",
    "status",
    "rule_ids",
    "resources_judged",
    "resources_failing",
    "not_assessed_reason",
    "title",
]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    # Module-scoped (the demo organization takes ~15 s): capsys is per test, so redirect here.
    base = tmp_path_factory.mktemp("org")
    out = base / "run"
    buf = io.StringIO()
    # In its own folder: ./reports of the repo (an earlier run of the demo) stays out of it.
    with contextlib.chdir(base), contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        code = exit_code(["demo", "--org", "--out", str(out), "--format", "html,pdf,csv,json"])
    return out, code, buf.getvalue()


def _findings(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_demo_org_writes_the_organization_files(demo_out: tuple[Path, int, str]) -> None:
    out, code, printed = demo_out
    assert code == 3, printed  # the data member has no reader role; legacy is suspended
    for name in (*ORG_FILES, "report.html", "report.pdf", "summary.json"):
        assert (out / name).is_file(), name
    # summary.json is written last: it marks the folder complete.
    org_level = [out / n for n in (*ORG_FILES, "report.html", "report.pdf")]
    assert all((out / "summary.json").stat().st_mtime_ns >= p.stat().st_mtime_ns for p in org_level)
    frame = _findings(out / "findings.csv")
    assert list(frame.columns) == ORG_FINDING_COLUMNS
    assert frame["account_id"].nunique() == 4  # master, payments, dev, ml
    assert set(frame["account_name"]) == {"master", "payments", "dev", "ml"}
    assert set(frame.loc[frame["account_name"] == "dev", "ou_path"]) == {"Root/Sandbox"}
    assert (frame["rule_id"] == "org-member-iam-users").any()
    records = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(records) == len(frame)
    assert {r["account_id"] for r in records} == set(frame["account_id"])


def test_demo_org_credentials_and_controls_for_every_account(
    demo_out: tuple[Path, int, str],
) -> None:
    out, _code, _printed = demo_out
    doc = json.loads((out / "organization.json").read_text(encoding="utf-8"))
    audited = {a["account_id"] for a in doc["accounts"] if a["status"] == "collected"}
    assert len(audited) == 4  # master, payments, dev, ml
    creds = pd.read_csv(out / "credentials.csv", dtype=str, keep_default_na=False)
    assert list(creds.columns) == ORG_CREDENTIALS_COLUMNS
    # Each account's rows are its own credentials.csv, behind the three account columns.
    for account_id in audited:
        own = pd.read_csv(
            out / "accounts" / account_id / "credentials.csv", dtype=str, keep_default_na=False
        )
        rows = creds[creds["account_id"] == account_id]
        assert rows.drop(columns=ACCOUNT_COLUMNS).reset_index(drop=True).equals(own)
    assert set(creds["account_id"]) <= audited and len(creds) > len(audited)
    assert set(creds.loc[creds["account_name"] == "dev", "ou_path"]) == {"Root/Sandbox"}
    controls = pd.read_csv(out / "controls.csv", dtype=str, keep_default_na=False)
    assert list(controls.columns) == ORG_CONTROLS_COLUMNS
    assert set(controls["account_id"]) == audited
    per_account = controls.groupby("account_id").size()
    assert per_account.nunique() == 1  # every account is scored on the same controls
    assert set(controls["status"]) <= {"pass", "fail", "not_assessed"}
    assert (controls["status"] == "fail").any()


def test_demo_org_organization_json_and_report(demo_out: tuple[Path, int, str]) -> None:
    out, _code, _printed = demo_out
    doc = json.loads((out / "organization.json").read_text(encoding="utf-8"))
    by_name = {a["account_name"]: a for a in doc["accounts"]}
    assert set(by_name) == {"master", "payments", "data", "dev", "ml", "legacy"}
    assert by_name["data"]["status"] == "not_collected"
    assert "org-reader-role.yaml" in by_name["data"]["fix"]
    assert by_name["legacy"]["status"] == "not_collected"
    assert {p["name"] for p in doc["service_control_policies"]} >= {"SandboxNoIamChanges"}
    for name in ("master", "payments", "dev", "ml"):
        account = by_name[name]
        assert account["status"] == "collected"
        snapshot = out / account["snapshot_file"]
        assert hashlib.sha256(snapshot.read_bytes()).hexdigest() == account["snapshot_sha256"]
        assert (out / account["report"]).is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f'href="accounts/{by_name["dev"]["account_id"]}/report.html"' in html
    assert "deploy the reader role" in html and "org-member-iam-users" in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["collection"] == {"collected": 4, "partial": 0, "not_collected": 2}
    assert summary["exit_code"] == 3


def test_demo_org_pdf(demo_out: tuple[Path, int, str]) -> None:
    out, _code, _printed = demo_out
    reader = PdfReader(out / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Cover, contents, summary, top risks, trust register, coverage, sign-off, and a
    # scorecard page for each of the 6 accounts.
    assert 13 <= len(reader.pages) <= 16
    assert "4 collected, 0 partial, 2 not collected" in " ".join(text.split())
    for name in ("payments", "legacy", "Root/Sandbox", "deploy the reader role", "Sign-off"):
        assert name in " ".join(text.split()), name
    # Each account's own PDF only with --account-pdf.
    assert not list((out / "accounts").glob("*/report.pdf"))


def test_org_report_rebuilds_from_the_output_folder(
    demo_out: tuple[Path, int, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _code, _printed = demo_out
    code, _out, err = run_cli(
        ["org", "report", str(out), "--out", str(tmp_path / "again"), "--format", "csv,json"],
        capsys,
    )
    assert code == 3, err
    assert _findings(tmp_path / "again" / "findings.csv").equals(_findings(out / "findings.csv"))


def test_fail_on_across_the_organization(
    demo_out: tuple[Path, int, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _code, _printed = demo_out
    code, _out, err = run_cli(
        ["org", "report", str(out), "--out", str(tmp_path / "gate"), "--format", "json"]
        + ["--fail-on", "high", "-q"],
        capsys,
    )
    assert code == 1  # wins over 3, as for one account
    assert "--fail-on high" in err


def test_org_report_refuses_a_folder_without_organization(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_cli(["org", "report", str(tmp_path)], capsys)
    assert code == 2
    assert "not an organization folder" in err and len(err.strip().splitlines()) == 1


def test_slices_merged_equal_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with demo_environment(load_aws_managed_policies=False):
        mock_random.seed(DEMO_SEED)
        ids = plant_demo_organization(datetime(2026, 6, 1, tzinfo=UTC))
        first = f"{ids['payments']},{ids['dev']}"
        common = ["--region", "us-east-1", "--analyzer-region", "us-east-1", "-q"]
        code_a, _o, err_a = run_cli(
            ["org", "collect", "-o", str(tmp_path / "a"), "--accounts", first, *common], capsys
        )
        (tmp_path / "rest.txt").write_text(first.replace(",", "\n") + "\n")
        code_b, _o, err_b = run_cli(
            [
                "org",
                "collect",
                "-o",
                str(tmp_path / "b"),
                "--exclude",
                "@" + str(tmp_path / "rest.txt"),
            ]
            + common,
            capsys,
        )
        code_one, _o, err_one = run_cli(
            ["org", "run", "--out", str(tmp_path / "one"), "--format", "csv", "--as-of", AS_OF]
            + common,
            capsys,
        )
    assert code_a == 0, err_a  # payments and dev are readable
    assert code_b == 3, err_b  # legacy is suspended
    assert code_one == 3, err_one
    assert sorted(p.name for p in (tmp_path / "a" / "accounts").iterdir()) == sorted(
        first.split(",")
    )
    for account in (tmp_path / "b" / "accounts").iterdir():
        shutil.copytree(account, tmp_path / "a" / "accounts" / account.name)
    code, _o, err = run_cli(
        ["org", "report", str(tmp_path / "a"), "--out", str(tmp_path / "merged")]
        + ["--format", "csv", "--as-of", AS_OF, "-q"],
        capsys,
    )
    assert code == 3, err
    merged = _findings(tmp_path / "merged" / "findings.csv")
    assert merged["account_id"].nunique() == 5  # all but the suspended one
    assert merged.equals(_findings(tmp_path / "one" / "findings.csv"))


def test_interrupted_run_leaves_no_half_written_file(
    demo_out: tuple[Path, int, str], tmp_path: Path
) -> None:
    out, _code, _printed = demo_out
    org, accounts = read_org_folder(out)

    def until_interrupted() -> Iterator[tuple[AccountCollection, Snapshot | None]]:
        yield next(accounts)
        raise KeyboardInterrupt

    target = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        run_organization(org, until_interrupted(), target, Settings(), (), formats=("json",))
    # The first account is complete; no organization-level report, no temporary file left.
    (first,) = (target / "accounts").iterdir()
    assert (first / "collection.json").is_file()
    leftovers = sorted(p.name for p in target.iterdir())
    assert leftovers == ["accounts", "organization.json.gz"]
