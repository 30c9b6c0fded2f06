"""The rule registry: each rule is a pure function plus frozen metadata.

A rule takes the snapshot and a :class:`Context` (the as-of time and thresholds) and yields one
:class:`~audit.findings.Result` per resource it judges. It never calls AWS and never reads the
clock. The engine turns results into findings and attaches the metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from audit.findings import Result, Severity
from audit.model import Snapshot
from audit.settings import Settings, Thresholds

BEYOND_BENCHMARKS = "beyond the benchmarks"
T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    as_of: datetime
    thresholds: Thresholds
    # Work several rules share within one evaluation (e.g. effective permissions): the engine
    # makes one Context per evaluate(), so this lives exactly as long as that evaluation.
    _memo: dict[str, tuple[Any, Any]] = field(default_factory=dict, compare=False, repr=False)

    def days_since(self, when: datetime) -> int:
        return (self.as_of - when).days

    def shared(self, name: str, snapshot: Snapshot, build: Callable[[], T]) -> T:
        """``build()`` once per snapshot for this evaluation, then the same object."""
        held = self._memo.get(name)
        if held is None or held[0] is not snapshot:
            held = self._memo[name] = (snapshot, build())
        value: T = held[1]
        return value


RuleCheck = Callable[[Snapshot, Context], Iterable[Result]]


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    severity: Severity
    controls: tuple[str, ...]  # "CIS v5.0 1.13", "AWS Security Hub IAM.3"; empty if beyond them
    rationale: str
    remediation: str
    requires: tuple[str, ...]  # snapshot parts (audit.model.PART_*)
    # What the rule judges ("user", "policy", "principal" = users, groups and roles, ...):
    # shown in the catalogue and in the pass the engine gives when there is nothing to judge.
    resource_type: str = "account"
    # True when the rule judges region by region (Access Analyzer): a region whose call failed
    # is the rule's to report as not assessed, so the regions that answered are still judged.
    regional: bool = False
    # The title with threshold placeholders ("rotated within {access_key_max_age_days} days");
    # empty when the title names no threshold. ``title`` is it filled with the defaults.
    title_template: str = ""
    # Likewise the remediation ("--max-password-age {password_max_age_days}"). Rationales name
    # no threshold: the report shows them from the catalogue, not from the run's findings.
    remediation_template: str = ""

    @property
    def beyond_benchmarks(self) -> bool:
        """The seed's own checks, which no CIS or Security Hub control covers."""
        return not self.controls

    def configured(self, settings: Settings) -> RuleMeta:
        """The metadata as audit.toml makes it: titles name the configured thresholds, the
        severity is the [severity] override. Ids and everything else stay as declared."""
        title = _fill(self.title_template, settings.thresholds) if self.title_template else None
        remediation = (
            _fill(self.remediation_template, settings.thresholds)
            if self.remediation_template
            else None
        )
        severity = settings.severity_overrides.get(self.id, self.severity)
        if (
            title in (None, self.title)
            and remediation in (None, self.remediation)
            and severity is self.severity
        ):
            return self
        return replace(
            self,
            title=title or self.title,
            remediation=remediation or self.remediation,
            severity=severity,
        )


def _fill(template: str, thresholds: Thresholds) -> str:
    return template.format_map(asdict(thresholds))


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    check: RuleCheck


REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    id: str,  # noqa: A002 - "id" is the natural name in the metadata
    title: str,
    severity: Severity,
    controls: tuple[str, ...],
    rationale: str,
    remediation: str,
    requires: tuple[str, ...],
    resource_type: str = "account",
    regional: bool = False,
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule. Duplicate ids fail at import time, not in a report.

    ``title`` and ``remediation`` may name thresholds in braces (``{access_key_max_age_days}``,
    the field names of :class:`audit.settings.Thresholds`): the catalogue shows the defaults, a
    run the configured values. An unknown name fails at import time; so does a placeholder in
    ``rationale`` (the report shows rationales from the catalogue, unconfigured).
    """

    def register(check: RuleCheck) -> RuleCheck:
        if id in REGISTRY:
            raise ValueError(f"duplicate rule id {id!r}")
        if "{" in rationale:
            raise ValueError(f"rule {id!r}: a rationale names no threshold")
        templated = "{" in title
        fix_templated = "{" in remediation
        meta = RuleMeta(
            id=id,
            title=_fill(title, Thresholds()) if templated else title,
            title_template=title if templated else "",
            remediation_template=remediation if fix_templated else "",
            severity=severity,
            controls=controls,
            rationale=rationale,
            remediation=_fill(remediation, Thresholds()) if fix_templated else remediation,
            requires=requires,
            resource_type=resource_type,
            regional=regional,
        )
        REGISTRY[id] = Rule(meta, check)
        return check

    return register
