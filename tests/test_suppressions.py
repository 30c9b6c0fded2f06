"""Accepted risks: parsing, matching (exact, ARN, glob), expiry on the as-of date, stale entries."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from audit.config import settings_from_dict
from audit.engine import evaluate
from audit.errors import EXIT_USAGE, InputError
from audit.findings import AuditResult, Finding, Severity, Status
from audit.model import ApiOutcome, OutcomeStatus
from audit.rules import all_rules
from audit.rules.catalogue import catalogue
from audit.rules.registry import REGISTRY
from audit.rules.workflow import WORKFLOW_RULES
from audit.workflow.suppressions import (
    Suppression,
    apply_suppressions,
    load_suppressions,
    parse_suppressions,
)
from tests.cli_helpers import run_cli
from tests.fixtures.snapshots import snapshot

AS_OF = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ACCT = "123456789012"


def finding(
    rule_id: str = "user-console-mfa",
    name: str = "alice",
    status: Status = Status.FAIL,
    rtype: str = "user",
) -> Finding:
    return Finding(
        rule_id=rule_id,
        title="t",
        status=status,
        severity=Severity.HIGH,
        resource_type=rtype,
        resource_name=name,
        resource_arn=f"arn:aws:iam::{ACCT}:user/{name}" if rtype == "user" else "",
        message=f"{name} fails",
        controls=(),
        remediation="r",
    )


def entry(**overrides: object) -> Suppression:
    base: dict[str, object] = {
        "index": 1,
        "rule": "user-console-mfa",
        "resource": "alice",
        "reason": "accepted",
        "owner": "secops@example.com",
        "expires": date(2027, 3, 31),
    }
    base.update(overrides)
    return Suppression(**base)  # type: ignore[arg-type]


def toml(text: str) -> tuple[Suppression, ...]:
    return parse_suppressions(tomllib.loads(text), source="audit.toml")


GOOD = """
[[suppressions]]
rule = "user-console-mfa"
resource = "breakglass-*"
reason = "break-glass user; hardware token kept in the safe"
owner = "secops@example.com"
ticket = "SEC-123"
expires = 2027-03-31
"""


def test_parse_the_issue_example() -> None:
    (s,) = toml(GOOD)
    assert s == Suppression(
        index=1,
        rule="user-console-mfa",
        resource="breakglass-*",
        reason="break-glass user; hardware token kept in the safe",
        owner="secops@example.com",
        expires=date(2027, 3, 31),
        ticket="SEC-123",
        source="audit.toml",
    )


def test_no_suppressions_table_means_none() -> None:
    assert parse_suppressions({"thresholds": {"access_key_max_age_days": 90}}) == ()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('rule = "user-console-mfa"\nresource = "a"\nreason = "r"\nowner = "o"', "missing expires"),
        (
            'rule = "user-console-mfa"\nresource = "a"\nreason = "r"\nowner = "o"\n'
            'expires = "2027-03-31"',
            "expires must be a TOML date",
        ),
        (
            'rule = "user-console-mfa"\nresource = "a"\nreason = "r"\nowner = "o"\n'
            "expires = 2027-03-31T10:00:00Z",
            "expires must be a TOML date",
        ),
        (
            'rule = "user-console-mfa"\nresource = "a"\nreason = ""\nowner = "o"\n'
            "expires = 2027-03-31",
            "reason must be a non-empty string",
        ),
        (
            'rule = "user-consol-mfa"\nresource = "a"\nreason = "r"\nowner = "o"\n'
            "expires = 2027-03-31",
            "unknown rule id",
        ),
        (
            'rule = "user-console-mfa"\nresource = "a"\nreason = "r"\nowner = "o"\n'
            "expiry = 2027-03-31\nexpires = 2027-03-31",
            "unknown key(s) expiry",
        ),
        (
            # the workflow's own findings cannot be silenced
            'rule = "suppression-stale"\nresource = "*"\nreason = "r"\nowner = "o"\n'
            "expires = 2027-03-31",
            "unknown rule id",
        ),
    ],
)
def test_malformed_entry_names_index_and_rule(body: str, expected: str) -> None:
    text = GOOD + "\n[[suppressions]]\n" + body + "\n"
    with pytest.raises(InputError) as err:
        toml(text)
    message = str(err.value)
    assert message.startswith("audit.toml: suppression 2 (rule ")
    assert expected in message
    assert "\n" not in message
    assert err.value.exit_code == EXIT_USAGE


def test_suppressions_must_be_an_array_of_tables() -> None:
    with pytest.raises(InputError, match="array of tables"):
        toml('suppressions = "all"')


def test_load_file_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="suppressions file not found"):
        load_suppressions(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[suppressions]\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_suppressions(bad)
    good = tmp_path / "accepted.toml"
    good.write_text(GOOD, encoding="utf-8")
    (s,) = load_suppressions(good)
    assert s.source == str(good)


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("alice", "alice", True),  # exact name
        (f"arn:aws:iam::{ACCT}:user/alice", "alice", True),  # exact ARN
        ("breakglass-*", "breakglass-01", True),  # glob on the name
        (f"arn:aws:iam::{ACCT}:user/break*", "breakglass-01", True),  # glob on the ARN
        ("breakglass-*", "alice", False),
        ("alice", "alice2", False),  # exact means exact, not a prefix
        ("Alice", "alice", False),  # case-sensitive, like the ARN
        ("=1+2", "=1+2", True),  # IAM names may start with =
    ],
)
def test_matching(pattern: str, name: str, matches: bool) -> None:
    assert entry(resource=pattern).matches(finding(name=name)) is matches


def test_rule_id_must_match_too() -> None:
    assert not entry(rule="access-key-rotation").matches(finding())


def test_matching_fail_becomes_suppressed_and_carries_the_entry() -> None:
    result = AuditResult(AS_OF, (finding(name="alice"), finding(name="bob")))
    out = apply_suppressions(result, [entry(ticket="SEC-1")], AS_OF)
    alice, bob = out.findings
    assert alice.status is Status.SUPPRESSED
    assert alice.suppression == {
        "owner": "secops@example.com",
        "reason": "accepted",
        "expires": "2027-03-31",
        "ticket": "SEC-1",
    }
    assert bob.status is Status.FAIL and bob.suppression is None
    assert [f.resource_name for f in out.failing] == ["bob"]
    assert out.by_status(Status.SUPPRESSED) == (alice,)
    # the input is not changed (frozen data)
    assert result.findings[0].status is Status.FAIL


def test_pass_findings_are_never_suppressed_and_leave_the_entry_stale() -> None:
    result = AuditResult(AS_OF, (finding(status=Status.PASS),))
    out = apply_suppressions(result, [entry()], AS_OF)
    passed, stale = out.findings
    assert passed.status is Status.PASS
    assert stale.rule_id == "suppression-stale"
    assert stale.status is Status.FAIL
    assert stale.severity is Severity.INFO
    assert stale.resource_type == "suppression"
    assert stale.resource_name == "user-console-mfa:alice"
    assert stale.details["entry"] == 1
    assert "matches no failing finding" in stale.message


@pytest.mark.parametrize(
    ("expires", "expired"),
    [
        (date(2026, 11, 27), True),  # the day before the as-of date
        (date(2026, 11, 28), False),  # the as-of day itself still holds
        (date(2026, 11, 29), False),
    ],
)
def test_expiry_is_judged_on_the_as_of_date(expires: date, expired: bool) -> None:
    result = AuditResult(AS_OF, (finding(),))
    out = apply_suppressions(result, [entry(expires=expires, ticket="SEC-9")], AS_OF)
    target = out.findings[0]
    extra = [f for f in out.findings if f.rule_id.startswith("suppression-")]
    if expired:
        assert target.status is Status.FAIL  # counts as failing again
        (exp,) = extra
        assert exp.rule_id == "suppression-expired"
        assert exp.severity is WORKFLOW_RULES["suppression-expired"].severity
        assert "expired on 2026-11-27" in exp.message and "SEC-9" in exp.message
        assert exp.details["owner"] == "secops@example.com"
    else:
        assert target.status is Status.SUPPRESSED
        assert extra == []


def test_first_live_entry_wins_and_later_duplicates_are_stale() -> None:
    first = entry(index=1, owner="first@example.com")
    second = entry(index=2, resource="a*", owner="second@example.com")
    out = apply_suppressions(AuditResult(AS_OF, (finding(),)), [first, second], AS_OF)
    assert out.findings[0].suppression is not None
    assert out.findings[0].suppression["owner"] == "first@example.com"
    assert [(f.rule_id, f.details["entry"]) for f in out.findings[1:]] == [("suppression-stale", 2)]


def test_an_expired_entry_does_not_block_a_live_one() -> None:
    old = entry(index=1, expires=date(2025, 1, 1))
    new = entry(index=2)
    out = apply_suppressions(AuditResult(AS_OF, (finding(),)), [old, new], AS_OF)
    assert out.findings[0].status is Status.SUPPRESSED
    assert [f.rule_id for f in out.findings[1:]] == ["suppression-expired"]


def test_audit_toml_overrides_and_disables_the_workflow_findings() -> None:
    expired = entry(index=1, expires=date(2025, 1, 1))
    stale = entry(index=2, resource="nobody")
    result = AuditResult(AS_OF, (finding(),))
    settings = settings_from_dict(
        {"severity": {"suppression-stale": "medium"}, "disabled_rules": ["suppression-expired"]}
    )
    out = apply_suppressions(result, [expired, stale], AS_OF, settings)
    workflow = [f for f in out.findings if f.rule_id.startswith("suppression-")]
    assert [(f.rule_id, f.severity) for f in workflow] == [("suppression-stale", Severity.MEDIUM)]
    assert out.findings[0].status is Status.FAIL  # the expired entry still suppresses nothing
    default = apply_suppressions(result, [expired, stale], AS_OF)
    assert [(f.rule_id, f.severity) for f in default.findings[1:]] == [
        ("suppression-expired", Severity.LOW),
        ("suppression-stale", Severity.INFO),
    ]


def test_workflow_findings_carry_metadata_but_are_no_rules() -> None:
    # Metadata only: not registered, so no engine, catalogue or report treats them as rules
    # that ran and found nothing.
    for rule_id in ("suppression-expired", "suppression-stale"):
        meta = WORKFLOW_RULES[rule_id]
        assert meta.id == rule_id and meta.rationale and meta.remediation
        assert meta.resource_type == "suppression"
        assert rule_id not in REGISTRY
    assert {r.meta.id for r in all_rules()}.isdisjoint(WORKFLOW_RULES)
    assert {m.id for m in catalogue()}.isdisjoint(WORKFLOW_RULES)
    ok = ApiOutcome("iam:GetCredentialReport", "credential_report", OutcomeStatus.OK)
    result = evaluate(snapshot(at=AS_OF, account_id=ACCT, outcomes=(ok,)))
    ids = {f.rule_id for f in result.findings}
    assert ids and ids.isdisjoint(WORKFLOW_RULES)
    # audit.toml may name them (see the override test above)
    settings = settings_from_dict({"severity": {"suppression-stale": "low"}})
    assert settings.severity_overrides == {"suppression-stale": Severity.LOW}


# --- through the CLI: audit.toml, --config and --suppressions --------------------------------


@pytest.fixture
def snapshot_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from audit.snapshot_io import write_snapshot
    from tests.fixtures.review_snapshots import after

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "snap.json.gz"
    write_snapshot(after(), path)
    return path


def _statuses(out_dir: Path) -> dict[tuple[str, str], str]:
    import json

    records = json.loads((out_dir / "findings.json").read_text(encoding="utf-8"))
    return {(r["rule_id"], r["resource_name"]): r["status"] for r in records}


def test_audit_toml_in_the_working_folder_and_a_suppressions_file_both_apply(
    snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry_text = (
        '[[suppressions]]\nrule = "user-console-mfa"\nresource = "{name}"\n'
        'reason = "r"\nowner = "o@example.com"\nexpires = 2099-01-01\n'
    )
    (tmp_path / "audit.toml").write_text(entry_text.format(name="erin"), encoding="utf-8")
    extra = tmp_path / "accepted.toml"
    extra.write_text(entry_text.format(name="carol"), encoding="utf-8")
    out_dir = tmp_path / "out"
    args = ["report", str(snapshot_file), "--out", str(out_dir), "--format", "json", "-q"]
    code, _, err = run_cli([*args, "--suppressions", str(extra)], capsys)
    assert code == 0, err
    statuses = _statuses(out_dir)
    assert statuses[("user-console-mfa", "erin")] == "suppressed"
    assert statuses[("user-console-mfa", "carol")] == "suppressed"
    assert list(statuses.values()).count("suppressed") == 2
    assert "fail" in statuses.values()


def test_config_option_names_the_file_holding_the_suppressions(
    snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text(
        '[[suppressions]]\nrule = "user-console-mfa"\nresource = "carol"\n'
        'reason = "r"\nowner = "o@example.com"\nexpires = 2099-01-01\n',
        encoding="utf-8",
    )
    out_dir = tmp_path / "out"
    args = ["report", str(snapshot_file), "--out", str(out_dir), "--format", "json", "-q"]
    code, _, err = run_cli([*args, "--config", str(config)], capsys)
    assert code == 0, err
    assert _statuses(out_dir)[("user-console-mfa", "carol")] == "suppressed"


def test_a_malformed_entry_is_one_line_naming_it_and_exit_2(
    snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "audit.toml").write_text(
        GOOD + '\n[[suppressions]]\nrule = "user-console-mfa"\nresource = "bob"\n'
        'reason = "r"\nowner = "o@example.com"\n',
        encoding="utf-8",
    )
    out_dir = tmp_path / "out"
    code, _, err = run_cli(["report", str(snapshot_file), "--out", str(out_dir)], capsys)
    assert code == EXIT_USAGE
    assert err.strip().splitlines() == [
        "iam-audit: error: audit.toml: suppression 2 (rule 'user-console-mfa'): missing expires"
    ]
    assert not out_dir.exists()  # checked before anything was written


@pytest.mark.parametrize("spelling", ["absolute", "relative", "with --config"])
def test_suppressions_option_naming_audit_toml_reads_it_once(
    snapshot_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    # `--suppressions /abs/audit.toml` besides ./audit.toml read by default gave every entry
    # twice: the copy that lost the match was reported as a failing suppression-stale.
    (tmp_path / "audit.toml").write_text(
        '[[suppressions]]\nrule = "user-console-mfa"\nresource = "erin"\n'
        'reason = "r"\nowner = "o@example.com"\nexpires = 2099-01-01\n',
        encoding="utf-8",
    )
    out_dir = tmp_path / "out"
    args = ["report", str(snapshot_file), "--out", str(out_dir), "--format", "json", "-q"]
    if spelling == "absolute":
        args += ["--suppressions", str(tmp_path / "audit.toml")]
    elif spelling == "relative":
        args += ["--suppressions", "./audit.toml"]
    else:
        args += ["--config", "audit.toml", "--suppressions", str(tmp_path / "audit.toml")]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    statuses = _statuses(out_dir)
    assert statuses[("user-console-mfa", "erin")] == "suppressed"
    assert not [key for key in statuses if key[0] == "suppression-stale"]
