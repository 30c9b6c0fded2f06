"""Accepted risks: ``[[suppressions]]`` entries with an owner and an expiry date.

An entry names a rule id and a resource (exact name, ARN, or an fnmatch glob over either). A
failing finding it matches becomes ``suppressed`` and carries the entry's owner, reason, expiry
and ticket, so it stays visible in every output. An entry past its expiry date suppresses
nothing and becomes a ``suppression-expired`` finding; an entry that matches no failing finding
becomes a ``suppression-stale`` finding.

An optional ``account`` key limits an entry to some accounts (issue 9): a 12-digit id, an
fnmatch glob over the account id or name, or an OU path (``Root/Prod``: that OU and every OU
below it; globs allowed). An account it does not select never sees the entry: not suppressed,
not stale, not expired there. A single-account run knows no OU path, so an OU-path entry
selects nothing in it. An organization run judges expiry and staleness once, across all its
accounts (:func:`suppress` per account, :func:`entry_findings` at the end: audit.org_entries).
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
from audit.model import Snapshot
from audit.rules.registry import REGISTRY, RuleMeta
from audit.rules.workflow import SUPPRESSION_EXPIRED, SUPPRESSION_STALE, WORKFLOW_RULES
from audit.settings import Settings

_REQUIRED = ("rule", "resource", "reason", "owner", "expires")
_OPTIONAL = ("ticket", "account")
_ACCOUNT_HELP = (
    "an account id (12 digits, in quotes), a glob over account ids or names, "
    "or an OU path such as Root/Prod"
)


@dataclass(frozen=True)
class AccountScope:
    """The account a run judges, as an entry's ``account`` key sees it."""

    account_id: str
    names: tuple[str, ...] = ()  # the organization's account name, the account aliases
    ou_path: str | None = None  # "Root/Prod/Web"; None when not known (a single-account run)

    @classmethod
    def of(cls, snapshot: Snapshot) -> AccountScope:
        context = snapshot.organization
        names = (context.account_name if context else "", *snapshot.account_aliases)
        known_path = context is not None and bool(context.ou_path)
        return cls(
            account_id=snapshot.meta.account_id,
            names=tuple(dict.fromkeys(n for n in names if n)),
            ou_path=context.ou_path_text if context is not None and known_path else None,
        )


def _ou_prefixes(ou_path: str) -> list[str]:
    """'Root/Prod/Web' -> ['Root', 'Root/Prod', 'Root/Prod/Web']: the OUs the account is under."""
    parts = ou_path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


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
    account: str = ""  # "" = every account; else an id, a glob over id/name, or an OU path

    @property
    def label(self) -> str:
        where = f" in {self.account}" if self.account else ""
        return f"{self.rule}:{self.resource}{where}"

    def applies_to(self, scope: AccountScope | None) -> bool:
        """Whether the entry is meant for this account (always, without an ``account`` key)."""
        if not self.account:
            return True
        if scope is None:
            return False
        if "/" in self.account:
            # An OU path selects that OU and everything below it: any ancestor may match.
            if scope.ou_path is None:
                return False
            return any(fnmatchcase(p, self.account) for p in _ou_prefixes(scope.ou_path))
        return any(fnmatchcase(n, self.account) for n in (scope.account_id, *scope.names))

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
    account = _parse_account(raw["account"], source, index, rule) if "account" in raw else ""
    return Suppression(
        index=index,
        rule=raw["rule"].strip(),
        resource=raw["resource"].strip(),
        reason=raw["reason"].strip(),
        owner=raw["owner"].strip(),
        expires=expires,
        ticket=raw.get("ticket", "").strip(),
        source=source,
        account=account,
    )


def _parse_account(value: object, source: str, index: int, rule: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        # A bare number loses leading zeros (012345678901): ids are strings.
        raise _entry_error(
            source, index, rule, f'account must be a string: write the id in quotes ("{value}")'
        )
    if not isinstance(value, str) or not value.strip():
        raise _entry_error(source, index, rule, f"account must be {_ACCOUNT_HELP}")
    text = value.strip()
    if text.isdigit() and len(text) != 12:
        raise _entry_error(source, index, rule, f"account {text!r}: an account id has 12 digits")
    if "/" in text and any(not part.strip() for part in text.split("/")):
        raise _entry_error(
            source,
            index,
            rule,
            f"account {text!r}: an OU path names each OU from the root, e.g. Root/Prod "
            "(no empty part)",
        )
    if any(c.isspace() and c != " " or not c.isprintable() for c in text):
        raise _entry_error(source, index, rule, f"account {text!r}: control characters")
    return text


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
    if s.account:
        details["account"] = s.account
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


@dataclass(frozen=True)
class Suppressed:
    result: AuditResult  # the failing findings an entry matches are now suppressed
    used: frozenset[Suppression]  # the entries that suppressed something


def suppress(
    result: AuditResult,
    suppressions: Iterable[Suppression],
    as_of: datetime,
    scope: AccountScope | None = None,
) -> Suppressed:
    """Suppress the failing findings a live entry for this account matches.

    The first live entry (in file order) that matches a finding is the one it records.
    """
    live: dict[str, list[Suppression]] = {}  # by rule id: a finding only tries its rule's
    for s in suppressions:
        if not s.is_expired(as_of) and s.applies_to(scope):
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
    return Suppressed(dataclasses.replace(result, findings=tuple(findings)), frozenset(used))


def entry_findings(
    suppressions: Iterable[Suppression],
    used: Collection[Suppression],
    as_of: datetime,
    settings: Settings | None = None,
) -> tuple[Finding, ...]:
    """A ``suppression-expired`` finding per expired entry, ``suppression-stale`` per live one
    not in ``used``. ``settings`` (audit.toml) set their severity and may disable them."""
    settings = settings or Settings()
    metas = {
        rule_id: meta.configured(settings)
        for rule_id, meta in WORKFLOW_RULES.items()
        if rule_id not in settings.disabled_rules
    }
    findings: list[Finding] = []
    for s in suppressions:
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
    return tuple(findings)


def apply_suppressions(
    result: AuditResult,
    suppressions: Iterable[Suppression],
    as_of: datetime,
    settings: Settings | None = None,
    scope: AccountScope | None = None,
) -> AuditResult:
    """Suppress matching failing findings; add findings for expired and stale entries.

    Entries are judged on the as-of date, so a report rebuilt later gives the same verdict.
    Only the entries meant for ``scope`` (the account judged) take part; without a scope,
    only entries without an ``account`` key.
    """
    mine = tuple(s for s in suppressions if s.applies_to(scope))
    done = suppress(result, mine, as_of, scope)
    extra = entry_findings(mine, done.used, as_of, settings)
    return dataclasses.replace(done.result, findings=done.result.findings + extra)
