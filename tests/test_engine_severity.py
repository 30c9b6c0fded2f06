"""A result's own severity wins over the rule's default, INFO (which is 0) included."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import evaluate
from audit.findings import Resource, Result, Severity
from audit.model import PART_PASSWORD_POLICY, ApiOutcome, OutcomeStatus
from audit.rules.registry import Context, Rule, RuleMeta
from tests.test_engine import _snap


def _info_fail(snap: object, ctx: Context) -> Iterator[Result]:
    yield Result.failed(Resource("user", "u", "arn:u"), "minor", severity=Severity.INFO)


def test_result_severity_info_is_kept() -> None:
    meta = RuleMeta("r", "t", Severity.HIGH, (), "r", "m", (PART_PASSWORD_POLICY,))
    ok = ApiOutcome("iam:GetAccountPasswordPolicy", PART_PASSWORD_POLICY, OutcomeStatus.OK)
    (finding,) = evaluate(_snap(ok), rules=[Rule(meta, _info_fail)]).findings
    assert finding.severity is Severity.INFO
