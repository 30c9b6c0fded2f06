"""Scores derived from findings: control verdicts per framework, posture, risk per user.

Pure functions over an :class:`~audit.findings.AuditResult` and rule metadata; no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from audit.findings import AuditResult, Finding, Severity, Status
from audit.rules.controls import control_title, framework_of
from audit.rules.registry import REGISTRY, RuleMeta

# How much one failing resource of each severity weighs in the posture and risk scores.
SEVERITY_WEIGHTS: Mapping[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
    Severity.INFO: 0,
}

CONTROL_PASS = "pass"
CONTROL_FAIL = "fail"
CONTROL_NOT_ASSESSED = "not_assessed"

# A suppressed fail is an accepted risk: it no longer fails the control.
_JUDGED = (Status.PASS, Status.FAIL, Status.SUPPRESSED)


@dataclass(frozen=True)
class ControlScore:
    control: str  # "CIS v5.0 1.13"
    framework: str  # "CIS v5.0"
    status: str  # CONTROL_PASS | CONTROL_FAIL | CONTROL_NOT_ASSESSED
    rule_ids: tuple[str, ...]
    resources_judged: int  # pass + fail + suppressed results of its rules
    resources_failing: int
    reason: str = ""  # why not assessed
    title: str = ""  # the benchmark's title of the control (audit.rules.controls)


@dataclass(frozen=True)
class FrameworkScore:
    framework: str
    controls: tuple[ControlScore, ...]

    def _count(self, status: str) -> int:
        return sum(1 for c in self.controls if c.status == status)

    @property
    def passed(self) -> int:
        return self._count(CONTROL_PASS)

    @property
    def failed(self) -> int:
        return self._count(CONTROL_FAIL)

    @property
    def assessed(self) -> int:
        return self.passed + self.failed

    @property
    def not_assessed(self) -> tuple[ControlScore, ...]:
        return tuple(c for c in self.controls if c.status == CONTROL_NOT_ASSESSED)

    @property
    def percent(self) -> float | None:
        """Controls passed / assessed, in percent; None when nothing could be assessed."""
        return 100.0 * self.passed / self.assessed if self.assessed else None


@dataclass(frozen=True)
class UserRisk:
    user: str
    score: int  # sum of the severity weights of the user's failing findings
    failing: int
    rule_ids: tuple[str, ...]
    worst: Severity


@dataclass(frozen=True)
class Scores:
    posture: float | None  # 0-100, see posture_score
    frameworks: tuple[FrameworkScore, ...]
    user_risks: tuple[UserRisk, ...]  # highest risk first

    def risk_of(self) -> dict[str, int]:
        return {r.user: r.score for r in self.user_risks}


def _control_sort_key(control: str) -> tuple[str, tuple[int | str, ...]]:
    """Number-aware order: 'CIS v5.0 1.9' before 'CIS v5.0 1.10', 'IAM.2' before 'IAM.10'."""
    number = control.rsplit(" ", 1)[-1]
    parts = number.replace("IAM.", "").split(".")
    return framework_of(control), tuple(int(p) if p.isdigit() else p for p in parts)


def _framework_sort_key(name: str) -> tuple[int, tuple[int, ...], str]:
    # CIS versions first, newest first; then the others by name.
    if name.startswith("CIS v"):
        version = tuple(int(p) for p in name[5:].split(".") if p.isdigit())
        return 0, tuple(-p for p in version), name
    return 1, (), name


def _control_verdict(control: str, rule_ids: list[str], findings: list[Finding]) -> ControlScore:
    judged = [f for f in findings if f.status in _JUDGED]
    failing = [f for f in findings if f.status is Status.FAIL]
    unknown = [f for f in findings if f.status in (Status.NOT_ASSESSED, Status.ERROR)]
    # Every rule that ran yields at least one finding: a rule without any did not run, and
    # the part of the control it proves is unproven (CIS 1.15 needs inline and attached).
    ran = {f.rule_id for f in findings}
    missing = [rid for rid in rule_ids if rid not in ran]
    reason = ""
    if failing:
        status = CONTROL_FAIL
    elif unknown or not judged or missing:
        # Not every resource could be judged: the control is not proven either way.
        status = CONTROL_NOT_ASSESSED
        reasons = sorted({f"{f.rule_id}: {f.message}" for f in unknown})
        reasons += [f"{rid}: did not run (disabled?)" for rid in missing if findings]
        if not findings:
            reasons = ["no rule for this control ran (disabled?)"]
        more = f" (+{len(reasons) - 3} more)" if len(reasons) > 3 else ""
        reason = "; ".join(reasons[:3]) + more
    else:
        status = CONTROL_PASS
    return ControlScore(
        control=control,
        framework=framework_of(control),
        status=status,
        rule_ids=tuple(rule_ids),
        resources_judged=len(judged),
        resources_failing=len(failing),
        reason=reason,
        title=control_title(control),
    )


def framework_scores(
    result: AuditResult, rules: Iterable[RuleMeta] | None = None
) -> tuple[FrameworkScore, ...]:
    """Every control of every framework the rules map to, with its verdict.

    A control passes when every resource its rules judged passes; it fails when any fails; it is
    not assessed when no resource fails but some could not be judged (data missing, rule error)
    or no rule for it ran.
    """
    metas = list(rules) if rules is not None else [r.meta for r in REGISTRY.values()]
    rules_of: dict[str, list[str]] = defaultdict(list)
    for meta in metas:
        for control in meta.controls:
            rules_of[control].append(meta.id)
    for f in result.findings:  # a finding may name a control no registered rule declares
        for control in f.controls:
            if f.rule_id not in rules_of[control]:
                rules_of[control].append(f.rule_id)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_rule[f.rule_id].append(f)
    per_framework: dict[str, list[ControlScore]] = defaultdict(list)
    for control in sorted(rules_of, key=_control_sort_key):
        ids = rules_of[control]
        findings = [f for rid in ids for f in by_rule.get(rid, [])]
        score = _control_verdict(control, ids, findings)
        per_framework[score.framework].append(score)
    return tuple(
        FrameworkScore(name, tuple(per_framework[name]))
        for name in sorted(per_framework, key=_framework_sort_key)
    )


def posture_score(result: AuditResult) -> float | None:
    """Severity-weighted pass rate of the rules, 0-100 (100: nothing fails).

    For each rule with judged resources: pass_rate = passing / (passing + failing), and its
    weight is SEVERITY_WEIGHTS of the worst severity among its judged findings. The score is
    100 * sum(weight * pass_rate) / sum(weight). Weighting per rule, not per resource, keeps
    10,000 passing users from drowning one failing root account. Suppressed fails count as
    passing; not-assessed and errored results are left out. None when nothing was judged.
    """
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        if f.status in _JUDGED:
            by_rule[f.rule_id].append(f)
    total_weight = 0
    weighted = 0.0
    for findings in by_rule.values():
        weight = SEVERITY_WEIGHTS[max(f.severity for f in findings)]
        failing = sum(1 for f in findings if f.status is Status.FAIL)
        total_weight += weight
        weighted += weight * (len(findings) - failing) / len(findings)
    if total_weight == 0:
        return None if not by_rule else 100.0
    return round(100.0 * weighted / total_weight, 1)


def user_risks(result: AuditResult) -> tuple[UserRisk, ...]:
    """Per IAM user, the sum of the severity weights of its failing findings; highest first."""
    fails: dict[str, list[Finding]] = defaultdict(list)
    for f in result.failing:
        if f.resource_type == "user":
            fails[f.resource_name].append(f)
    risks = [
        UserRisk(
            user=user,
            score=sum(SEVERITY_WEIGHTS[f.severity] for f in fs),
            failing=len(fs),
            rule_ids=tuple(sorted({f.rule_id for f in fs})),
            worst=max(f.severity for f in fs),
        )
        for user, fs in fails.items()
    ]
    return tuple(sorted(risks, key=lambda r: (-r.score, -r.worst, r.user)))


def score(result: AuditResult, rules: Iterable[RuleMeta] | None = None) -> Scores:
    return Scores(
        posture=posture_score(result),
        frameworks=framework_scores(result, rules),
        user_risks=user_risks(result),
    )
