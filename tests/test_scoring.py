"""Scoring: control verdicts per framework, the posture score and per-user risk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit.findings import AuditResult, Finding, Severity, Status
from audit.rules.registry import RuleMeta
from audit.scoring import (
    CONTROL_FAIL,
    CONTROL_NOT_ASSESSED,
    CONTROL_PASS,
    SEVERITY_WEIGHTS,
    framework_scores,
    posture_score,
    score,
    user_risks,
)

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
MFA_CONTROLS = ("CIS v5.0 1.9", "CIS v6.0 2.9", "AWS Security Hub IAM.5")
KEY_CONTROLS = ("CIS v5.0 1.13", "CIS v6.0 2.13", "AWS Security Hub IAM.3")
ROOT_CONTROLS = ("CIS v5.0 1.3",)


def meta(rule_id: str, controls: tuple[str, ...], severity: Severity = Severity.HIGH) -> RuleMeta:
    return RuleMeta(rule_id, rule_id, severity, controls, "why", "fix", ())


RULES = (
    meta("mfa", MFA_CONTROLS),
    meta("keys", KEY_CONTROLS, Severity.MEDIUM),
    meta("root", ROOT_CONTROLS, Severity.CRITICAL),
)


def finding(
    rule_id: str,
    status: Status,
    name: str = "alice",
    severity: Severity = Severity.HIGH,
    resource_type: str = "user",
) -> Finding:
    controls = {r.id: r.controls for r in RULES}.get(rule_id, ())
    return Finding(
        rule_id=rule_id,
        title=rule_id,
        status=status,
        severity=severity,
        resource_type=resource_type,
        resource_name=name,
        resource_arn=f"arn:aws:iam::123456789012:{resource_type}/{name}",
        message=f"{name}: {status.value}",
        controls=controls,
        remediation="fix",
    )


def result(*findings: Finding) -> AuditResult:
    return AuditResult(as_of=AS_OF, findings=findings)


def controls_by_id(res: AuditResult) -> dict[str, tuple[str, int, int, str]]:
    return {
        c.control: (c.status, c.resources_failing, c.resources_judged, c.reason)
        for fw in framework_scores(res, RULES)
        for c in fw.controls
    }


def test_control_passes_only_when_every_judged_resource_passes() -> None:
    res = result(
        finding("mfa", Status.PASS, "alice"),
        finding("mfa", Status.FAIL, "bob"),
        finding("keys", Status.PASS, "alice"),
        finding("keys", Status.PASS, "bob"),
        finding("root", Status.PASS, "123456789012", Severity.CRITICAL, "account"),
    )
    verdicts = controls_by_id(res)
    assert verdicts["CIS v5.0 1.9"] == (CONTROL_FAIL, 1, 2, "")
    assert verdicts["AWS Security Hub IAM.5"][0] == CONTROL_FAIL
    assert verdicts["CIS v5.0 1.13"] == (CONTROL_PASS, 0, 2, "")
    assert verdicts["CIS v5.0 1.3"] == (CONTROL_PASS, 0, 1, "")


def test_not_assessed_is_listed_apart_with_its_reason() -> None:
    res = result(
        finding("mfa", Status.PASS),
        finding("keys", Status.PASS, "alice"),
        finding("keys", Status.NOT_ASSESSED, "bob"),
        # no finding at all for "root": as if the rule were disabled
    )
    verdicts = controls_by_id(res)
    status, _failing, judged, reason = verdicts["CIS v5.0 1.13"]
    assert (status, judged) == (CONTROL_NOT_ASSESSED, 1)
    assert "keys: bob: not_assessed" in reason
    status, _, _, reason = verdicts["CIS v5.0 1.3"]
    assert status == CONTROL_NOT_ASSESSED
    assert "no rule" in reason

    cis5 = next(fw for fw in framework_scores(res, RULES) if fw.framework == "CIS v5.0")
    assert (cis5.passed, cis5.failed, cis5.assessed) == (1, 0, 1)
    assert [c.control for c in cis5.not_assessed] == ["CIS v5.0 1.3", "CIS v5.0 1.13"]
    assert cis5.percent == pytest.approx(100.0)


def test_a_fail_outweighs_not_assessed_and_suppressed_fails_do_not_fail() -> None:
    res = result(
        finding("keys", Status.NOT_ASSESSED, "alice"),
        finding("keys", Status.FAIL, "bob"),
        finding("mfa", Status.SUPPRESSED, "carol"),
        finding("mfa", Status.PASS, "dave"),
    )
    verdicts = controls_by_id(res)
    assert verdicts["CIS v5.0 1.13"][0] == CONTROL_FAIL
    assert verdicts["CIS v5.0 1.9"] == (CONTROL_PASS, 0, 2, "")


def test_frameworks_order_newest_cis_first_and_controls_number_aware() -> None:
    extra = meta("more", ("CIS v5.0 1.10", "AWS Security Hub IAM.10", "AWS Security Hub IAM.2"))
    res = result(finding("mfa", Status.PASS))
    scores = framework_scores(res, (*RULES, extra))
    assert [fw.framework for fw in scores] == ["CIS v6.0", "CIS v5.0", "AWS Security Hub"]
    cis5 = [c.control for c in scores[1].controls]
    assert cis5 == ["CIS v5.0 1.3", "CIS v5.0 1.9", "CIS v5.0 1.10", "CIS v5.0 1.13"]
    hub = [c.control.rsplit(" ", 1)[1] for c in scores[2].controls]
    assert hub == ["IAM.2", "IAM.3", "IAM.5", "IAM.10"]


def test_framework_percent_is_passed_over_assessed() -> None:
    res = result(
        finding("mfa", Status.FAIL),
        finding("keys", Status.PASS),
        finding("root", Status.PASS, "acct", Severity.CRITICAL, "account"),
    )
    cis5 = next(fw for fw in framework_scores(res, RULES) if fw.framework == "CIS v5.0")
    assert (cis5.passed, cis5.assessed) == (2, 3)
    assert cis5.percent == pytest.approx(200 / 3)


def test_posture_is_the_severity_weighted_pass_rate_per_rule() -> None:
    # mfa (high, 5): 1 of 4 users fail -> 0.75; root (critical, 10): fails -> 0.0.
    res = result(
        *(finding("mfa", Status.PASS, f"u{i}") for i in range(3)),
        finding("mfa", Status.FAIL, "u3"),
        finding("root", Status.FAIL, "acct", Severity.CRITICAL, "account"),
        finding("keys", Status.NOT_ASSESSED, "u0", Severity.MEDIUM),  # left out
    )
    high, critical = SEVERITY_WEIGHTS[Severity.HIGH], SEVERITY_WEIGHTS[Severity.CRITICAL]
    expected = 100 * (high * 0.75 + critical * 0.0) / (high + critical)
    assert posture_score(res) == pytest.approx(round(expected, 1))


def test_posture_many_passing_users_do_not_hide_a_failing_root() -> None:
    res = result(
        *(finding("mfa", Status.PASS, f"u{i}") for i in range(10_000)),
        finding("root", Status.FAIL, "acct", Severity.CRITICAL, "account"),
    )
    posture = posture_score(res)
    assert posture is not None
    assert posture < 50


def test_posture_edges() -> None:
    assert posture_score(result()) is None
    assert posture_score(result(finding("mfa", Status.NOT_ASSESSED))) is None
    assert posture_score(result(finding("mfa", Status.PASS))) == 100.0
    assert posture_score(result(finding("mfa", Status.SUPPRESSED))) == 100.0
    info_only = result(finding("x", Status.FAIL, severity=Severity.INFO))
    assert posture_score(info_only) == 100.0  # info weighs nothing


def test_user_risk_sums_failing_severities_and_ranks_people() -> None:
    res = result(
        finding("mfa", Status.FAIL, "bob", Severity.HIGH),
        finding("keys", Status.FAIL, "bob", Severity.MEDIUM),
        finding("root", Status.FAIL, "carol", Severity.CRITICAL),
        finding("keys", Status.FAIL, "alice", Severity.MEDIUM),
        finding("keys", Status.FAIL, "aaron", Severity.MEDIUM),
        finding("mfa", Status.PASS, "dave"),
        finding("mfa", Status.SUPPRESSED, "erin"),
        finding("root", Status.FAIL, "acct", Severity.CRITICAL, "account"),
    )
    risks = user_risks(res)
    assert [(r.user, r.score) for r in risks] == [
        ("carol", 10),
        ("bob", 8),
        ("aaron", 3),
        ("alice", 3),
    ]
    bob = risks[1]
    assert (bob.failing, bob.rule_ids, bob.worst) == (2, ("keys", "mfa"), Severity.HIGH)
    assert score(res, RULES).risk_of() == {"carol": 10, "bob": 8, "aaron": 3, "alice": 3}


def test_score_uses_the_registry_by_default() -> None:
    from audit.rules.registry import REGISTRY

    scores = score(result())
    controls = {c.control for fw in scores.frameworks for c in fw.controls}
    declared = {c for r in REGISTRY.values() for c in r.meta.controls}
    assert controls == declared
    assert all(c.status == CONTROL_NOT_ASSESSED for fw in scores.frameworks for c in fw.controls)
