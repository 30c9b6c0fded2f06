"""The quarterly workflow across an organization (issue 9): accepted risks with an `account`
key judged organization-wide, two organization runs compared (history and `diff`), --fail-on
naming the accounts, and the organization PDF e-mailed.

Organization folders are written by the production writers (write_organization, write_account)
from the org builders (tests/rules/org_builders.py) and the review snapshots a quarter apart
(tests/fixtures/review_snapshots.py), each moved into a member account.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audit.engine import evaluate
from audit.errors import EXIT_FAILURE, InputError
from audit.findings import Status
from audit.model import Snapshot
from audit.model_org import AccountCollection, CollectionStatus, OrgSnapshot
from audit.org_context import attach_organization
from audit.org_folder import write_account
from audit.org_run import run_organization
from audit.settings import Settings
from audit.snapshot_io import ORGANIZATION_FILE_NAME, write_organization, write_snapshot
from audit.workflow.diff import ReviewDiff, Side, diff_sides
from audit.workflow.org_diff import org_diff_paths
from audit.workflow.suppressions import AccountScope, Suppression, parse_suppressions
from tests.cli_helpers import run_cli
from tests.fixtures.review_snapshots import T1, T2, after, before
from tests.rules.org_builders import (
    ACCOUNTS,
    MANAGEMENT,
    ORG_ID,
    PROD_ACCOUNT,
    SANDBOX_ACCOUNT,
    SANDBOX_OU,
    WEB_ACCOUNT,
    account,
    org_snapshot,
)
from tests.test_email import Inbox, free_port
from tests.test_email import smtp_server as smtp_server  # noqa: F401 - the fixture, reused

NEW_ACCOUNT = "555555555555"
PATHS = {MANAGEMENT: "Root", PROD_ACCOUNT: "Root/Prod", WEB_ACCOUNT: "Root/Prod/Web"}
PATHS |= {SANDBOX_ACCOUNT: "Root/Sandbox", NEW_ACCOUNT: "Root/Sandbox"}
NAMES = {a.id: a.name for a in ACCOUNTS} | {NEW_ACCOUNT: "newcomer"}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # ./audit.toml and ./reports of the repo stay out of it


def moved(snap: Snapshot, account_id: str) -> Snapshot:
    return replace(snap, meta=replace(snap.meta, account_id=account_id))


def collected(
    account_id: str, status: CollectionStatus = CollectionStatus.COLLECTED
) -> AccountCollection:
    reason = "" if status is CollectionStatus.COLLECTED else "sts:AssumeRole AccessDenied"
    return AccountCollection(
        account_id=account_id,
        status=status,
        account_name=NAMES[account_id],
        ou_path=PATHS[account_id],
        reason=reason,
    )


def quarter(
    when: str,
) -> tuple[OrgSnapshot, list[tuple[AccountCollection, Snapshot | None]]]:
    """The organization on T1, or on T2 after a quarter of changes: prod's account changed
    (review_snapshots.after), web's reader role was lost, sandbox left, a newcomer joined."""
    if when == "T1":
        org = org_snapshot()
        org = replace(org, meta=replace(org.meta, collected_at=T1))
        ids = (MANAGEMENT, PROD_ACCOUNT, WEB_ACCOUNT, SANDBOX_ACCOUNT)
        return org, [(collected(i), moved(before(), i)) for i in ids]
    members = [a for a in ACCOUNTS if a.id != SANDBOX_ACCOUNT]
    org = org_snapshot(accounts=(*members, account(NEW_ACCOUNT, "newcomer", SANDBOX_OU)))
    org = replace(org, meta=replace(org.meta, collected_at=T2))
    later = replace(before(), meta=replace(before().meta, collected_at=T2))
    return org, [
        (collected(MANAGEMENT), moved(later, MANAGEMENT)),
        (collected(PROD_ACCOUNT), moved(after(), PROD_ACCOUNT)),
        (collected(WEB_ACCOUNT, CollectionStatus.NOT_COLLECTED), None),
        (collected(NEW_ACCOUNT), moved(after(), NEW_ACCOUNT)),
    ]


def collect_folder(folder: Path, when: str) -> Path:
    """What `org collect -o folder` leaves for the organization on ``when``."""
    org, accounts = quarter(when)
    write_organization(org, folder / ORGANIZATION_FILE_NAME)
    for collection, snap in accounts:
        write_account(folder, collection, snap)
    return folder


def org_report(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Any:
    return run_cli(["org", "report", str(folder), "--format", "json", *extra], capsys)


def org_findings(path: Path) -> pd.DataFrame:
    return pd.read_csv(path / "findings.csv", dtype=str, keep_default_na=False)


def only_run(base: Path) -> Path:
    (run,) = sorted((base / "reports" / f"org-{ORG_ID}").iterdir())
    return run


# --- the `account` key ----------------------------------------------------------------------


def entries(*accounts: str, rule: str = "user-console-mfa", resource: str = "*") -> str:
    return "".join(
        f"""
[[suppressions]]
rule = "{rule}"
resource = "{resource}"
reason = "accepted"
owner = "secops@example.com"
expires = 2027-03-31
{f'account = "{a}"' if a else ""}
"""
        for a in accounts
    )


def parsed(*accounts: str) -> tuple[Suppression, ...]:
    return parse_suppressions(tomllib.loads(entries(*accounts)), source="audit.toml")


PROD_SCOPE = AccountScope(PROD_ACCOUNT, ("prod",), "Root/Prod")
WEB_SCOPE = AccountScope(WEB_ACCOUNT, ("web",), "Root/Prod/Web")
SANDBOX_SCOPE = AccountScope(SANDBOX_ACCOUNT, ("sandbox",), "Root/Sandbox")


@pytest.mark.parametrize(
    ("key", "selected"),
    [
        ("", {"prod", "web", "sandbox"}),
        (PROD_ACCOUNT, {"prod"}),
        ("2222*", {"prod"}),
        ("web", {"web"}),
        ("*o*", {"prod", "sandbox"}),  # names: prod, sandbox
        ("Root/Prod", {"prod", "web"}),  # the OU and everything under it
        ("Root/Prod/Web", {"web"}),
        ("Root/*/Web", {"web"}),
        ("Root", set()),  # no "/": an id or name (leave the key out to mean every account)
        ("Root/Pro", set()),  # a path, not a prefix of a name
        ("Root/Sandbox/Deeper", set()),
    ],
)
def test_account_key_selects_by_id_glob_name_or_ou_path(key: str, selected: set[str]) -> None:
    (entry,) = parsed(key)
    scopes = {"prod": PROD_SCOPE, "web": WEB_SCOPE, "sandbox": SANDBOX_SCOPE}
    assert {name for name, scope in scopes.items() if entry.applies_to(scope)} == selected


def test_single_account_run_matches_id_and_alias_but_never_an_ou_path() -> None:
    snap = moved(before(), PROD_ACCOUNT)
    scope = AccountScope.of(replace(snap, account_aliases=("payments-prod",)))
    assert scope.ou_path is None
    by_id, by_alias, by_ou = parsed(PROD_ACCOUNT, "payments-*", "Root")
    assert by_id.applies_to(scope) and by_alias.applies_to(scope)
    assert not by_ou.applies_to(scope)  # the OU is unknown outside an organization run
    in_org = AccountScope.of(attach_organization(snap, org_snapshot()))
    assert in_org.ou_path == "Root/Prod" and in_org.names == ("prod",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123", "an account id has 12 digits"),
        ('""', "account must be an account id (12 digits, in quotes)"),
        ("222222222222", "account must be a string: write the id in quotes"),
        ('"Root//Prod"', "an OU path names each OU from the root"),
        ('"Root/Prod/"', "an OU path names each OU from the root"),
        ("[1]", "account must be an account id"),
    ],
)
def test_a_bad_account_value_is_one_line_naming_the_entry(value: str, expected: str) -> None:
    text = entries("").replace("expires", f"account = {value}\nexpires", 1)
    text = text if value != "123" else text.replace("account = 123", 'account = "123"')
    with pytest.raises(InputError) as err:
        parse_suppressions(tomllib.loads(text), source="audit.toml")
    message = str(err.value)
    assert message.startswith("audit.toml: suppression 1 (rule 'user-console-mfa'): ")
    assert expected in message and "\n" not in message


def test_a_bad_account_value_exits_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "risks.toml").write_text(entries("12345"), encoding="utf-8")
    folder = collect_folder(tmp_path / "snap", "T1")
    code, _out, err = org_report(folder, capsys, "--suppressions", "risks.toml")
    assert code == 2
    assert err.strip().splitlines() == [
        "iam-audit: error: risks.toml: suppression 1 (rule 'user-console-mfa'): "
        "account '12345': an account id has 12 digits"
    ]
    assert not (tmp_path / "reports").exists()


def test_accepted_risks_are_judged_across_the_organization(tmp_path: Path) -> None:
    org, accounts = quarter("T1")
    text = (
        entries("Root/Prod")  # 1: prod and web (web is under Prod), not the others
        + entries("")  # 2: no key; 1 wins in Prod, it suppresses elsewhere: not stale
        + entries("Root/Sandbox", resource="nobody")  # 3: matches nothing anywhere: stale
        + entries(WEB_ACCOUNT).replace("2027-03-31", "2026-01-31")  # 4: expired
    )
    risks = parse_suppressions(tomllib.loads(text), source="audit.toml")
    out = tmp_path / "run"
    outcome = run_organization(org, accounts, out, Settings(), risks, formats=("json",))
    frame = org_findings(out)
    mfa = frame[(frame["rule_id"] == "user-console-mfa") & (frame["status"] != "pass")]
    assert not mfa.empty and set(mfa["status"]) == {"suppressed"}
    records = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    suppressed = [r for r in records if r["status"] == "suppressed"]
    assert {r["account_id"] for r in suppressed} == {
        MANAGEMENT,
        PROD_ACCOUNT,
        WEB_ACCOUNT,
        SANDBOX_ACCOUNT,
    }
    # One finding per entry for the organization, none in the accounts it matched nothing in.
    workflow = frame[frame["rule_id"].str.startswith("suppression-")]
    assert sorted(zip(workflow["rule_id"], workflow["resource_name"], strict=True)) == [
        ("suppression-expired", f"user-console-mfa:* in {WEB_ACCOUNT}"),
        ("suppression-stale", "user-console-mfa:nobody in Root/Sandbox"),
    ]
    assert set(workflow["account_id"]) == {""}
    assert {f.rule_id for f in outcome.entries.findings} == set(workflow["rule_id"])
    for account_id in (PROD_ACCOUNT, SANDBOX_ACCOUNT):
        own = json.loads((out / "accounts" / account_id / "findings.json").read_text())
        assert not [r for r in own if r["rule_id"].startswith("suppression-")]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "user-console-mfa:nobody in Root/Sandbox" in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["organization_findings"] == {"suppression-expired": 1, "suppression-stale": 1}


def test_entry_for_one_account_is_stale_when_it_matches_nothing_there(tmp_path: Path) -> None:
    org, accounts = quarter("T1")
    sandbox_only = entries(SANDBOX_ACCOUNT, resource="nobody")
    out = tmp_path / "run"
    run_organization(org, accounts, out, Settings(), parsed_text(sandbox_only), formats=("json",))
    frame = org_findings(out)
    stale = frame[frame["rule_id"] == "suppression-stale"]
    assert len(stale) == 1 and stale.iloc[0]["account_id"] == ""
    assert (frame["status"] != Status.SUPPRESSED.value).all()


def parsed_text(text: str) -> tuple[Suppression, ...]:
    return parse_suppressions(tomllib.loads(text), source="audit.toml")


def test_single_account_run_ignores_entries_for_other_accounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap.json.gz"
    write_snapshot(after(), snap)
    account_id = after().meta.account_id
    text = entries("999999999999") + entries(account_id) + entries("Root/Prod")
    (tmp_path / "risks.toml").write_text(text, encoding="utf-8")
    code, _out, err = run_cli(
        ["report", str(snap), "--out", "out", "--format", "json", "--suppressions", "risks.toml"],
        capsys,
    )
    assert code in (0, 3), err
    records = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert any(r["status"] == "suppressed" for r in records)
    # Only the entry for this account is judged here; the two others are not this account's.
    assert not [r for r in records if r["rule_id"].startswith("suppression-")]


# --- --fail-on across the organization ----------------------------------------------------


def test_fail_on_names_the_account_over_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org, _ = quarter("T1")
    folder = tmp_path / "snap"
    write_organization(org, folder / ORGANIZATION_FILE_NAME)
    clean = replace(after(), users=(), credential_report=(), roles=(), groups=())
    write_account(folder, collected(MANAGEMENT), moved(clean, MANAGEMENT))
    write_account(folder, collected(PROD_ACCOUNT), moved(after(), PROD_ACCOUNT))
    write_account(folder, collected(SANDBOX_ACCOUNT), moved(clean, SANDBOX_ACCOUNT))
    code, _out, err = org_report(folder, capsys, "--fail-on", "high", "-q")
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line == (
        f"iam-audit: --fail-on high: failing findings in 1 account(s): {PROD_ACCOUNT} (prod)"
    )
    summary = json.loads((only_run(tmp_path) / "summary.json").read_text(encoding="utf-8"))
    assert summary["exit_code"] == 1
    # Without prod, nothing reaches high: the gate holds across the organization.
    write_account(folder, collected(PROD_ACCOUNT), moved(clean, PROD_ACCOUNT))
    code, _out, err = org_report(folder, capsys, "--fail-on", "high", "-q")
    assert code == 0, err


# --- two organization runs --------------------------------------------------------------------


@pytest.fixture
def two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, str]:
    """`org report` on T1, then on T2: the second finds the first in reports/org-<id>/."""
    code, _out, err = org_report(collect_folder(tmp_path / "t1", "T1"), capsys)
    assert code == 0, err
    first = only_run(tmp_path)
    code, printed, err = org_report(collect_folder(tmp_path / "t2", "T2"), capsys)
    assert code == 3, err  # web was not collected
    (second,) = [p for p in (tmp_path / "reports" / f"org-{ORG_ID}").iterdir() if p != first]
    return first, second, printed


def single_diff(account_id: str) -> ReviewDiff:
    """The single-account diff of the account's two snapshots, judged in their organization."""
    sides = []
    for when, snap in (("T1", before()), ("T2", after())):
        org, _ = quarter(when)
        attached = attach_organization(moved(snap, account_id), org)
        sides.append(Side(when, attached, evaluate(attached).findings))
    return diff_sides(*sides)


def test_org_run_compares_each_account_with_the_previous_run(
    two_runs: tuple[Path, Path, str],
) -> None:
    first, second, printed = two_runs
    expected = single_diff(PROD_ACCOUNT)
    assert expected.new and expected.resolved, "the quarter should change prod's findings"
    doc = json.loads((second / "organization.json").read_text(encoding="utf-8"))
    by_id = {a["account_id"]: a for a in doc["accounts"]}
    assert by_id[PROD_ACCOUNT]["new_findings"] == len(expected.new)
    assert by_id[PROD_ACCOUNT]["resolved_findings"] == len(expected.resolved)
    assert by_id[NEW_ACCOUNT]["new_findings"] is None  # not in the previous run
    assert by_id[WEB_ACCOUNT]["new_findings"] is None  # not collected now
    # The account's own diff (identity changes too), in its folder, as for one account.
    own = json.loads((second / "accounts" / PROD_ACCOUNT / "diff.json").read_text())
    assert own["counts"]["new"] == len(expected.new)
    assert own["counts"]["identity_changes"] == len(expected.identity) > 0
    summary = json.loads((second / "summary.json").read_text(encoding="utf-8"))
    assert summary["changes"]["previous_run"].endswith(first.name)
    assert f"Since {first.name}:" in printed
    html = (second / "report.html").read_text(encoding="utf-8")
    assert 'id="account-changes"' in html and first.name in html
    first_summary = json.loads((first / "summary.json").read_text(encoding="utf-8"))
    assert first_summary["changes"] is None


def test_diff_of_two_organization_runs(
    two_runs: tuple[Path, Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second, _printed = two_runs
    code, out, err = run_cli(["diff", str(first), str(second), "--out", "d"], capsys)
    assert code == 0, err
    expected = single_diff(PROD_ACCOUNT)
    doc = json.loads((tmp_path / "d" / "diff.json").read_text(encoding="utf-8"))
    assert doc["kind"] == "organization"
    assert [a["account_id"] for a in doc["accounts_added"]] == [NEW_ACCOUNT]
    assert [a["account_id"] for a in doc["accounts_removed"]] == [SANDBOX_ACCOUNT]
    ((web,),) = [[c] for c in doc["accounts_status_changed"]]
    assert (web["old"]["status"], web["new"]["status"]) == ("collected", "not_collected")
    per = {a["account"]["account_id"]: a for a in doc["accounts"]}
    assert per[PROD_ACCOUNT]["diff"]["counts"]["new"] == len(expected.new)
    assert per[PROD_ACCOUNT]["diff"]["counts"]["resolved"] == len(expected.resolved)
    assert per[WEB_ACCOUNT]["diff"] is None and "NEW" in per[WEB_ACCOUNT]["note"]
    manage = per[MANAGEMENT]["diff"]["counts"]
    assert doc["counts"]["new"] == len(expected.new) + manage["new"]
    assert doc["counts"]["resolved"] == len(expected.resolved) + manage["resolved"]
    frame = pd.read_csv(tmp_path / "d" / "diff.csv", dtype=str, keep_default_na=False)
    assert list(frame.columns[:4]) == ["account_id", "account_name", "ou_path", "change"]
    changes = dict(zip(frame["account_id"], frame["change"], strict=False))
    assert changes[NEW_ACCOUNT] == "account-added" and changes[SANDBOX_ACCOUNT] == "account-removed"
    prod = frame[(frame["account_id"] == PROD_ACCOUNT) & (frame["change"] == "new")]
    assert len(prod) == len(expected.new)
    assert "Accounts: 1 added, 1 removed, 1 collection status changed" in out
    assert f"{NEW_ACCOUNT} (newcomer, Root/Sandbox)" in out
    assert f"{PROD_ACCOUNT} (prod, Root/Prod): {len(expected.new)} new" in out


def test_diff_of_two_collect_folders_judges_the_snapshots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = collect_folder(tmp_path / "t1", "T1")
    new = collect_folder(tmp_path / "t2", "T2")
    d = org_diff_paths(old, new, Settings(), warn=lambda _w: None)
    (prod,) = [a.diff for a in d.accounts if a.new.account_id == PROD_ACCOUNT]
    expected = single_diff(PROD_ACCOUNT)
    assert prod is not None
    assert [c.finding.rule_id for c in prod.new] == [c.finding.rule_id for c in expected.new]


def test_diff_refuses_an_organization_folder_against_a_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org_folder = collect_folder(tmp_path / "t1", "T1")
    (tmp_path / "plain").mkdir()
    code, _out, err = run_cli(["diff", str(org_folder), str(tmp_path / "plain")], capsys)
    assert code == 2
    assert "is not an organization folder" in err and len(err.strip().splitlines()) == 1


# --- e-mail ----------------------------------------------------------------------------------


def parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def email_args(port: int) -> list[str]:
    return ["--email-to", "ciso@example.com", "--smtp-host", "127.0.0.1", "--smtp-port", str(port)]


def test_org_report_emails_the_organization_pdf(
    smtp_server: Inbox,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = collect_folder(tmp_path / "t2", "T2")
    code, out, err = run_cli(
        ["org", "report", str(folder), "--format", "pdf,json", *email_args(smtp_server.port)],
        capsys,
    )
    assert code == 3, err  # web not collected
    (mail,) = smtp_server.messages
    msg = parse(mail[2])
    assert mail[1] == ["ciso@example.com"]
    assert msg["Subject"].startswith(f"IAM audit organization {ORG_ID} 2026-09-30: ")
    (attachment,) = list(msg.iter_attachments())
    run = only_run(tmp_path)
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content() == (run / "report.pdf").read_bytes()
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Accounts: 4: 3 collected, 0 partial, 1 not collected" in text
    assert f"{WEB_ACCOUNT} (web, Root/Prod/Web): not collected: sts:AssumeRole" in text
    assert "Failing findings across the organization: " in text
    assert "Exit code: 3" in text and "(no earlier run of this organization)" in text
    assert "e-mailed report.pdf to ciso@example.com" in out
    assert not list((run / "accounts").glob("*/report.pdf"))  # the organization's PDF only


def test_org_smtp_failure_is_one_line_exit_4_after_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = collect_folder(tmp_path / "t1", "T1")
    closed = free_port()
    code, _out, err = run_cli(
        ["org", "report", str(folder), "--format", "pdf", *email_args(closed)]
        + ["--fail-on", "info", "-q"],
        capsys,
    )
    assert code == EXIT_FAILURE
    gate, error = err.strip().splitlines()
    assert gate.startswith("iam-audit: --fail-on info: failing findings in ")
    assert (
        error
        == f"iam-audit: error: cannot reach SMTP server 127.0.0.1:{closed}: Connection refused"
    )
    run = only_run(tmp_path)
    assert (run / "report.pdf").stat().st_size > 0 and (run / "summary.json").is_file()


def test_org_email_needs_the_pdf_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = collect_folder(tmp_path / "t1", "T1")
    code, _out, err = org_report(folder, capsys, *email_args(25))
    assert code == 2 and "add pdf to --format" in err
