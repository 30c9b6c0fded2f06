"""Thresholds rules judge against. Defaults follow CIS; ``audit.toml`` may change them."""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.findings import Severity


@dataclass(frozen=True)
class Thresholds:
    access_key_max_age_days: int = 90  # CIS 1.14 / v5.0 1.13
    credentials_unused_days: int = 45  # CIS 1.12 / v5.0 1.11
    root_use_window_days: int = 90
    password_min_length: int = 14  # CIS 1.8 / v5.0 1.7
    password_reuse_prevention: int = 24  # CIS 1.9 / v5.0 1.8
    password_max_age_days: int = 90  # Security Hub IAM.17
    server_certificate_expiry_days: int = 0  # expired now; >0 warns that many days ahead
    sso_session_max_hours: int = 8  # Identity Center permission set session (sso-long-session)
    unused_access_days: int = 90  # role-unused, permissions-unused (issue 14)


@dataclass(frozen=True)
class Settings:
    thresholds: Thresholds = field(default_factory=Thresholds)
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    disabled_rules: frozenset[str] = frozenset()
    # Collect service last accessed (2+ calls per principal): audit.toml last_accessed = true.
    last_accessed: bool = False
