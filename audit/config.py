"""audit.toml -> :class:`audit.settings.Settings`.

The file is optional; every key in it is checked, and a mistake names the key::

    disabled_rules = ["identity-federation"]
    last_accessed = true   # collect service last accessed (costs calls per principal)

    [thresholds]
    access_key_max_age_days = 90

    [severity]
    password-expiry = "info"

Sections other modules read themselves (``[[suppressions]]``) are listed in ``FOREIGN_KEYS`` and
passed over here, not rejected.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.findings import Severity
from audit.rules import all_rules
from audit.rules.workflow import WORKFLOW_RULES
from audit.settings import Settings, Thresholds

DEFAULT_CONFIG = Path("audit.toml")
# Top-level keys parsed elsewhere (audit.workflow.suppressions reads [[suppressions]],
# audit.workflow.owners the access review's [[owners]]).
FOREIGN_KEYS = frozenset({"suppressions", "owners"})
_OWN_KEYS = ("thresholds", "severity", "disabled_rules", "last_accessed")
_MAX = 36_500  # any threshold: days, characters or passwords remembered


def _known_rule_ids() -> frozenset[str]:
    # The accepted-risk workflow's findings take overrides and can be disabled like rules.
    return frozenset(r.meta.id for r in all_rules()) | WORKFLOW_RULES.keys()


def _table(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise InputError(f"{key}: must be a table ([{key}]), not {type(value).__name__}")
    return value


def _check_rule_id(key: str, rule_id: Any, known: frozenset[str]) -> str:
    if not isinstance(rule_id, str) or rule_id not in known:
        raise InputError(f"{key}: unknown rule id {rule_id!r} (see `iam-audit rules`)")
    return rule_id


def parse_thresholds(table: Mapping[str, Any]) -> Thresholds:
    fields = {f.name for f in dataclasses.fields(Thresholds)}
    values: dict[str, int] = {}
    for key, value in table.items():
        if key not in fields:
            raise InputError(
                f"thresholds.{key}: unknown threshold (known: {', '.join(sorted(fields))})"
            )
        # bool is an int in Python; "true" days is a mistake, not 1. Past a century of days
        # a value is a typo, and dates that far ahead overflow.
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX:
            raise InputError(
                f"thresholds.{key}: must be a whole number from 0 to {_MAX}, not {value!r}"
            )
        values[key] = value
    return Thresholds(**values)


def parse_severity(table: Mapping[str, Any], known: frozenset[str]) -> dict[str, Severity]:
    overrides: dict[str, Severity] = {}
    for rule_id, value in table.items():
        key = f"severity.{rule_id}"
        _check_rule_id(key, rule_id, known)
        if not isinstance(value, str):
            raise InputError(f"{key}: must be a severity name, not {value!r}")
        try:
            overrides[rule_id] = Severity.parse(value)
        except ValueError as exc:
            raise InputError(f"{key}: {exc}") from None
    return overrides


def parse_disabled(value: Any, known: frozenset[str]) -> frozenset[str]:
    if not isinstance(value, list):
        raise InputError(f"disabled_rules: must be a list of rule ids, not {value!r}")
    return frozenset(_check_rule_id("disabled_rules", v, known) for v in value)


def parse_flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{key}: must be true or false, not {value!r}")
    return value


def settings_from_dict(doc: Mapping[str, Any]) -> Settings:
    for key in doc:
        if key not in _OWN_KEYS and key not in FOREIGN_KEYS:
            known = ", ".join(sorted((*_OWN_KEYS, *FOREIGN_KEYS)))
            raise InputError(f"{key}: unknown setting (known: {known})")
    known_ids = _known_rule_ids()
    return Settings(
        thresholds=parse_thresholds(_table(doc, "thresholds")),
        severity_overrides=parse_severity(_table(doc, "severity"), known_ids),
        disabled_rules=parse_disabled(doc.get("disabled_rules", []), known_ids),
        last_accessed=parse_flag("last_accessed", doc.get("last_accessed", False)),
    )


def read_config(path: Path) -> dict[str, Any]:
    """The decoded TOML document; unreadable or invalid files are an InputError."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"config file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: not UTF-8 text ({exc.reason})") from None


def load_settings(path: Path | None = None) -> Settings:
    """Settings from ``path``; with None, from ./audit.toml when it exists, else the defaults."""
    if path is None:
        if not DEFAULT_CONFIG.is_file():
            return Settings()
        path = DEFAULT_CONFIG
    try:
        return settings_from_dict(read_config(path))
    except InputError as exc:
        message = str(exc)
        prefix = f"{path}: "
        raise InputError(message if message.startswith(prefix) else prefix + message) from None
