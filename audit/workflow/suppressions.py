"""Accepted risks: ``[[suppressions]]`` entries with an owner and an expiry date.

An entry names a rule id and a resource (exact name, ARN, or an fnmatch glob over either). A
failing finding it matches becomes ``suppressed`` and carries the entry's owner, reason, expiry
and ticket, so it stays visible in every output. An entry past its expiry date suppresses
nothing and becomes a ``suppression-expired`` finding; an entry that matches no failing finding
becomes a ``suppression-stale`` finding.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.findings import AuditResult, Finding, Status
from audit.rules.registry import REGISTRY, RuleMeta
from audit.rules.workflow import SUPPRESSION_EXPIRED, SUPPRESSION_STALE, WORKFLOW_RULES
from audit.settings import Settings

_REQUIRED = ("rule", "resource", "reason", "owner", "expires")
_OPTIONAL = ("ticket",)


@dataclass(frozen=True)
class Suppression:
    index: int  # 1-based position in its file, to name the entry in messages
    rule: str
    resource: str  # exact name or ARN, or a glob such as "breakglass-*"
    reason: str
    owner: str
    expires: date  # last day the acceptance holds
    ticket: str = ""
    source: str = ""  # the file it came from

    @property
    def label(self) -> str:
        return f"{self.rule}:{self.resource}"

    def is_expired(self, as_of: datetime) -> bool:
        return self.expires < as_of.date()

    def matches(self, finding: Finding) -> bool:
        if finding.rule_id != self.rule:
            return False
        names = [n for n in (finding.resource_name, finding.resource_arn) if n]
        return any(n == self.resource or fnmatchcase(n, self.resource) for n in names)

    def record(self) -> dict[str, str]:
        """What a suppressed finding carries (Finding.suppression)."""
        return {
            "owner": self.owner,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "ticket": self.ticket,
        }


def _entry_error(source: str, index: int, rule: object, problem: str) -> InputError:
    rule_part = f" (rule {rule!r})" if isinstance(rule, str) and rule else ""
    where = f"{source}: " if source else ""
    return InputError(f"{where}suppression {index}{rule_part}: {problem}")


def _parse_entry(raw: Any, index: int, source: str, known_rules: Collection[str]) -> Suppression:
    if not isinstance(raw, dict):
        raise _entry_error(source, index, None, "must be a table ([[suppressions]])")
    rule = raw.get("rule")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise _entry_error(
            source, index, rule, f"unknown key(s) {', '.join(unknown)} (allowed: {allowed})"
        )
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise _entry_error(source, index, rule, f"missing {', '.join(missing)}")
    for key in ("rule", "resource", "reason", "owner", "ticket"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            raise _entry_error(source, index, rule, f"{key} must be a non-empty string")
    expires = raw["expires"]
    # tomllib gives a datetime (a date subclass) for 2027-03-31T00:00:00: a day is wanted.
    if not isinstance(expires, date) or isinstance(expires, datetime):
        raise _entry_error(
            source, index, rule, f"expires must be a TOML date such as 2027-03-31, got {expires!r}"
        )
    if raw["rule"] not in known_rules:
        raise _entry_error(source, index, rule, "unknown rule id (see `iam-audit rules`)")
    return Suppression(
        index=index,
        rule=raw["rule"].strip(),
        resource=raw["resource"].strip(),
        reason=raw["reason"].strip(),
        owner=raw["owner"].strip(),
        expires=expires,
        ticket=raw.get("ticket", "").strip(),
        source=source,
    )


def parse_suppressions(
    doc: Mapping[str, Any], source: str = "", known_rules: Collection[str] | None = None
) -> tuple[Suppression, ...]:
    """The ``[[suppressions]]`` entries of a parsed TOML document (none when absent)."""
    entries = doc.get("suppressions", [])
    if not isinstance(entries, list):
        where = f"{source}: " if source else ""
        raise InputError(f"{where}'suppressions' must be an array of tables ([[suppressions]])")
    # The workflow's own rules judge the entries themselves: an entry cannot silence them.
    known = list(REGISTRY) if known_rules is None else known_rules
    return tuple(_parse_entry(raw, i, source, known) for i, raw in enumerate(entries, start=1))


def load_suppressions(path: Path) -> tuple[Suppression, ...]:
    """Read a TOML file (audit.toml or a --suppressions file) and parse its entries."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"suppressions file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read suppressions file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    return parse_suppressions(doc, source=str(path))


def _workflow_finding(meta: RuleMeta, s: Suppression, message: str) -> Finding:
    details: dict[str, Any] = {
        "entry": s.index,
        "rule": s.rule,
        "resource": s.resource,
        "owner": s.owner,
        "expires": s.expires.isoformat(),
    }
    if s.ticket:
        details["ticket"] = s.ticket
    if s.source:
        details["source"] = s.source
    return Finding(
        rule_id=meta.id,
        title=meta.title,
        status=Status.FAIL,
        severity=meta.severity,
        resource_type=meta.resource_type,
        resource_name=s.label,
        resource_arn="",
        message=message,
        controls=meta.controls,
        remediation=meta.remediation,
        details=details,
    )


def apply_suppressions(
    result: AuditResult,
    suppressions: Iterable[Suppression],
    as_of: datetime,
    settings: Settings | None = None,
) -> AuditResult:
    """Suppress matching failing findings; add findings for expired and stale entries.

    The first live entry (in file order) that matches a finding is the one it records.
    Entries are judged on the as-of date, so a report rebuilt later gives the same verdict.
    ``settings`` (audit.toml) set the severity of the expired/stale findings and may disable
    them, as for any rule.
    """
    settings = settings or Settings()
    metas = {
        rule_id: meta.configured(settings)
        for rule_id, meta in WORKFLOW_RULES.items()
        if rule_id not in settings.disabled_rules
    }
    entries = tuple(suppressions)
    # Live entries by rule id, in file order: a finding is only tried against its rule's.
    live: dict[str, list[Suppression]] = {}
    for s in entries:
        if not s.is_expired(as_of):
            live.setdefault(s.rule, []).append(s)
    used: set[Suppression] = set()
    findings: list[Finding] = []
    for f in result.findings:
        candidates = live.get(f.rule_id, []) if f.is_failing else []
        entry = next((s for s in candidates if s.matches(f)), None)
        if entry is None:
            findings.append(f)
            continue
        used.add(entry)
        findings.append(
            dataclasses.replace(f, status=Status.SUPPRESSED, suppression=entry.record())
        )
    for s in entries:
        if s.is_expired(as_of):
            if SUPPRESSION_EXPIRED not in metas:
                continue
            ticket = f", ticket {s.ticket}" if s.ticket else ""
            findings.append(
                _workflow_finding(
                    metas[SUPPRESSION_EXPIRED],
                    s,
                    f"Accepted risk {s.label} (owner {s.owner}{ticket}) expired on "
                    f"{s.expires.isoformat()}; it no longer suppresses.",
                )
            )
        elif s not in used and SUPPRESSION_STALE in metas:
            findings.append(
                _workflow_finding(
                    metas[SUPPRESSION_STALE],
                    s,
                    f"Accepted risk {s.label} (owner {s.owner}) matches no failing finding.",
                )
            )
    return dataclasses.replace(result, findings=tuple(findings))
