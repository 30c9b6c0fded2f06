"""Meta-tests on the rules catalogue: ids, metadata, controls (issue 4, docs/controls.md)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from audit.engine import evaluate
from audit.findings import Severity, Status
from audit.model import ALL_PARTS
from audit.model_org import ORGANIZATION_PARTS
from audit.rules import all_rules
from audit.rules.controls import (
    CIS_RECOMMENDATIONS,
    CIS_VERSIONS,
    SECURITY_HUB,
    SECURITY_HUB_TITLES,
    control_title,
    framework_of,
)
from audit.rules.registry import Rule
from tests.fixtures.review_snapshots import T2, after
from tests.fixtures.snapshots import SYNTHETIC_AT, T0, snapshot, synthetic_snapshot, without
from tests.report.factories import AS_OF as REPORT_AS_OF
from tests.report.factories import build_snapshot
from tests.rules.org_builders import in_org

# The catalogue of issue 4, ids exactly as written there.
ISSUE_4_IDS = {
    "root-access-key", "root-mfa", "root-hardware-mfa", "root-recent-use",
    "password-min-length", "password-reuse", "password-complexity", "password-expiry",
    "user-console-mfa", "user-hardware-mfa", "user-key-at-setup", "credentials-unused",
    "user-multiple-active-keys", "access-key-rotation", "user-inline-policy",
    "user-attached-policy", "user-not-in-group", "user-no-permissions-boundary",
    "user-console-and-keys",
    "group-inline-policy", "group-empty", "policy-full-admin", "admin-policy-attached",
    "policy-unattached", "policy-service-wildcard", "cloudshell-full-access", "support-role",
    "server-certificate-expired", "access-analyzer-enabled", "identity-federation",
    "role-trust-any-principal",
    "user-effective-admin", "admin-without-mfa", "user-privilege-escalation",
    "policy-privilege-escalation", "role-privilege-escalation",
}  # fmt: skip
# Issue 10 (IAM Identity Center): the fixed ids, plus sso-customer-policy-missing (chosen here).
ISSUE_10_IDS = {
    "sso-admin-permission-set", "sso-direct-user-assignment",
    "sso-permission-set-inline-wildcard", "sso-long-session", "sso-permission-set-escalation",
    "sso-group-empty", "sso-assignment-to-missing-principal",
    "sso-permission-set-not-provisioned", "sso-customer-policy-missing",
}  # fmt: skip
# Issue 9 (organizations), ids exactly as written there.
ISSUE_9_IDS = {"org-member-iam-users", "org-root-access-centralised", "role-trust-external-account"}
# Issue 14 (unused access), ids exactly as written there.
ISSUE_14_IDS = {
    "role-unused", "user-mfa-all", "permissions-unused", "access-analyzer-unused-findings",
}  # fmt: skip
CATALOGUE_IDS = ISSUE_4_IDS | ISSUE_9_IDS | ISSUE_10_IDS | ISSUE_14_IDS

# docs/controls.md, row by row: (v3.0, v4.0.1, v5.0, v6.0) and the Security Hub numbers.
CIS_TOPICS = {
    "root-access-key": (("1.4", "1.4", "1.3", "2.3"), (4,)),
    "root-mfa": (("1.5", "1.5", "1.4", "2.4"), (9,)),
    "root-hardware-mfa": (("1.6", "1.6", "1.5", "2.5"), (6,)),
    "root-recent-use": (("1.7", "1.7", "1.6", "2.6"), ()),
    "password-min-length": (("1.8", "1.8", "1.7", "2.7"), (15,)),
    "password-reuse": (("1.9", "1.9", "1.8", "2.8"), (16,)),
    "user-console-mfa": (("1.10", "1.10", "1.9", "2.9"), (5,)),
    "user-key-at-setup": (("1.11", "1.11", "1.10", "2.10"), ()),
    "credentials-unused": (("1.12", "1.12", "1.11", "2.11"), (22,)),
    "user-multiple-active-keys": (("1.13", "1.13", "1.12", "2.12"), ()),
    "access-key-rotation": (("1.14", "1.14", "1.13", "2.13"), (3,)),
    "user-inline-policy": (("1.15", "1.15", "1.14", "2.14"), (2,)),
    "user-attached-policy": (("1.15", "1.15", "1.14", "2.14"), (2,)),
    "admin-policy-attached": (("1.16", "1.16", "1.15", "2.15"), ()),
    "support-role": (("1.17", "1.17", "1.16", "2.16"), (18,)),
    "server-certificate-expired": (("1.19", "1.19", "1.18", "2.18"), (26,)),
    "access-analyzer-enabled": (("1.20", "1.20", "1.19", "2.19"), (28,)),
    "identity-federation": (("1.21", "1.21", "1.20", "2.20"), ()),
    "org-member-iam-users": (("1.21", "1.21", "1.20", "2.20"), ()),
    "cloudshell-full-access": (("1.22", "1.22", "1.21", "2.21"), (27,)),
}
HUB_ONLY = {
    "password-complexity": (11, 12, 13, 14),
    "password-expiry": (17,),
    "policy-full-admin": (1,),
    "policy-service-wildcard": (21,),
    "user-mfa-all": (19,),
}
# Severities issue 4 states explicitly.
STATED_SEVERITY = {
    "root-access-key": Severity.CRITICAL,
    "root-mfa": Severity.CRITICAL,
    "root-hardware-mfa": Severity.HIGH,
    "root-recent-use": Severity.HIGH,
    "password-expiry": Severity.LOW,
    "user-hardware-mfa": Severity.LOW,
    "identity-federation": Severity.INFO,
    "admin-without-mfa": Severity.CRITICAL,
    "policy-full-admin": Severity.HIGH,
    "sso-admin-permission-set": Severity.MEDIUM,
    "sso-direct-user-assignment": Severity.LOW,
    "org-member-iam-users": Severity.MEDIUM,
    "role-trust-external-account": Severity.HIGH,
    "role-unused": Severity.LOW,
}


def catalogue() -> list[Rule]:
    return all_rules()


def test_ids_are_unique_and_exactly_issue_4() -> None:
    ids = [r.meta.id for r in catalogue()]
    assert len(ids) == len(set(ids))
    assert set(ids) == CATALOGUE_IDS


@pytest.mark.parametrize("rule", catalogue(), ids=lambda r: r.meta.id)
def test_metadata_is_complete(rule: Rule) -> None:
    meta = rule.meta
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta.id)
    assert meta.title and meta.rationale.endswith(".") and len(meta.rationale) > 40
    assert "aws " in meta.remediation  # an AWS CLI command, with placeholders
    assert meta.requires and set(meta.requires) <= {*ALL_PARTS, *ORGANIZATION_PARTS}
    # a control, or the explicit marker, never both
    assert bool(meta.controls) != meta.beyond_benchmarks
    assert len(meta.controls) == len(set(meta.controls))


@pytest.mark.parametrize("rule", catalogue(), ids=lambda r: r.meta.id)
def test_controls_use_known_frameworks_and_every_cis_version(rule: Rule) -> None:
    frameworks = [framework_of(c) for c in rule.meta.controls]
    known = {f"CIS {v}" for v in CIS_VERSIONS} | {SECURITY_HUB}
    assert set(frameworks) <= known
    cis = [f for f in frameworks if f.startswith("CIS")]
    assert cis == [] or sorted(cis) == sorted(f"CIS {v}" for v in CIS_VERSIONS)
    for control in rule.meta.controls:
        if control.startswith(SECURITY_HUB):
            assert re.fullmatch(rf"{SECURITY_HUB} IAM\.\d+", control)
        else:
            assert re.fullmatch(r"CIS v[\d.]+ \d\.\d+", control)


@pytest.mark.parametrize("rule_id", sorted(CIS_TOPICS))
def test_cis_ids_match_controls_md(rule_id: str) -> None:
    (meta,) = [r.meta for r in catalogue() if r.meta.id == rule_id]
    numbers, hub = CIS_TOPICS[rule_id]
    expected = {f"CIS {v} {n}" for v, n in zip(CIS_VERSIONS, numbers, strict=True)}
    expected |= {f"{SECURITY_HUB} IAM.{n}" for n in hub}
    assert set(meta.controls) == expected


def test_hub_only_and_beyond_benchmarks() -> None:
    metas = {r.meta.id: r.meta for r in catalogue()}
    for rule_id, hub in HUB_ONLY.items():
        assert set(metas[rule_id].controls) == {f"{SECURITY_HUB} IAM.{n}" for n in hub}
    mapped = set(CIS_TOPICS) | set(HUB_ONLY)
    assert {i for i, m in metas.items() if m.beyond_benchmarks} == CATALOGUE_IDS - mapped


def test_stated_severities() -> None:
    metas = {r.meta.id: r.meta for r in catalogue()}
    for rule_id, severity in STATED_SEVERITY.items():
        assert metas[rule_id].severity is severity, rule_id


@pytest.mark.parametrize(
    ("rule", "part"),
    [(r, p) for r in catalogue() for p in r.meta.requires],
    ids=lambda v: v.meta.id if hasattr(v, "meta") else str(v),
)
def test_missing_part_gives_not_assessed(rule: Rule, part: str) -> None:
    # Organization parts exist only once an organization snapshot is merged in.
    base = in_org(snapshot()) if part in ORGANIZATION_PARTS else snapshot()
    findings = evaluate(without(base, part), as_of=T0, rules=[rule]).findings
    assert [f.status for f in findings] == [Status.NOT_ASSESSED]
    assert part in findings[0].message and "access_denied" in findings[0].message


def test_empty_account_never_errors() -> None:
    findings = evaluate(snapshot(), as_of=T0, rules=catalogue()).findings
    assert not [f for f in findings if f.status is Status.ERROR]


def test_every_rule_has_its_own_rule_test() -> None:
    # pass/fail cases live in tests/rules/; not_assessed is covered above for every rule
    text = "".join(
        p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("rules/test_*.py")
    )
    untested = [i for i in sorted(CATALOGUE_IDS) if f'"{i}"' not in text]
    assert untested == []


def test_beyond_benchmarks_is_derived_from_controls() -> None:
    base = all_rules()[0].meta
    assert replace(base, controls=()).beyond_benchmarks
    assert not replace(base, controls=("AWS Security Hub IAM.3",)).beyond_benchmarks


# resource_type names a kind of resource; these kinds cover several result types.
_KINDS = {"principal": {"user", "group", "role"}, "policy": {"policy", "inline_policy"}}


def test_resource_type_says_what_the_rule_judges() -> None:
    # On accounts with something for every rule to judge, each result is about a resource of
    # the declared kind, or the account itself (nothing to judge, or data missing).
    seen: dict[str, set[str]] = {}
    for snap, when in (
        (synthetic_snapshot(300), SYNTHETIC_AT),
        (build_snapshot(3), REPORT_AS_OF),
        (after(), T2),
    ):
        for f in evaluate(snap, when).findings:
            seen.setdefault(f.rule_id, set()).add(f.resource_type)
    for rule in catalogue():
        kind = rule.meta.resource_type
        allowed = _KINDS.get(kind, {kind}) | {"account"}
        assert seen.get(rule.meta.id, set()) <= allowed, rule.meta.id


def test_nothing_to_judge_names_the_resource_kind() -> None:
    by_id = {f.rule_id: f for f in evaluate(snapshot(), as_of=T0, rules=catalogue()).findings}
    assert by_id["user-console-mfa"].message == "No applicable resources (users) in this account."
    assert by_id["policy-unattached"].message == (
        "No applicable resources (policies) in this account."
    )
    assert by_id["server-certificate-expired"].message == (
        "No applicable resources (server certificates) in this account."
    )


KEY_ROTATION = "Ensure access keys are rotated every 90 days or less"


def test_controls_carry_titles_per_version() -> None:
    for control in ("CIS v3.0 1.14", "CIS v4.0.1 1.14", "CIS v5.0 1.13", "CIS v6.0 2.13"):
        assert control_title(control) == KEY_ROTATION
    assert control_title("CIS v6.0 2.3") == "Ensure no 'root' user account access key exists"
    assert control_title("AWS Security Hub IAM.3") == (
        "IAM users' access keys should be rotated every 90 days or less"
    )
    assert control_title("CIS v6.0 9.99") == ""  # unknown: no invented title


@pytest.mark.parametrize("rule", catalogue(), ids=lambda r: r.meta.id)
def test_every_control_a_rule_names_has_a_title(rule: Rule) -> None:
    assert [c for c in rule.meta.controls if not control_title(c)] == []


def test_docs_list_the_same_controls_and_titles() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "controls.md").read_text(encoding="utf-8")
    for numbers, title in CIS_RECOMMENDATIONS:
        assert f"| {' | '.join(numbers)} | {title} |" in docs
    for number, title in SECURITY_HUB_TITLES.items():
        assert f"| IAM.{number} | {title} |" in docs
