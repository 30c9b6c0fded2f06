"""The normalised IAM data of one account at one moment: the snapshot.

Everything here is plain, frozen data. Collectors build it from AWS; rules and renderers only
read it. Datetimes are always timezone-aware UTC. ``None`` in a datetime field means "no value";
where *why* there is no value matters (never used versus unknown), the credential report keeps
the sentinel AWS wrote (see :class:`CredentialRow.sentinels`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from audit.model_sso import (
    PART_IDENTITY_CENTER,
    PART_IDENTITY_CENTER_BOUNDARIES,
    PART_IDENTITY_STORE,
    IdentityCenter,
)
from audit.model_unused import UnusedAccess

SCHEMA_VERSION = 1

# The parts of a snapshot. Rules declare the parts they need; when a part could not be
# collected, the engine reports those rules as not_assessed instead of running them.
PART_AUTHORIZATION = "authorization_details"  # users, groups, roles, managed policies
PART_CREDENTIAL_REPORT = "credential_report"
PART_PASSWORD_POLICY = "password_policy"
PART_ACCOUNT_SUMMARY = "account_summary"
PART_VIRTUAL_MFA = "virtual_mfa_devices"
PART_SERVER_CERTIFICATES = "server_certificates"
PART_IDENTITY_PROVIDERS = "identity_providers"
PART_ACCESS_ANALYZER = "access_analyzer"
PART_ACCOUNT_ALIASES = "account_aliases"
# Opt-in (--last-accessed): 2+ calls per principal. Not requested: OutcomeStatus.NOT_REQUESTED.
PART_LAST_ACCESSED = "service_last_accessed"
PART_UNUSED_FINDINGS = "unused_access_findings"  # Access Analyzer unused-access findings

# Not a part rules require: an error outcome here records credential-report rows that could not
# be fully read (their users are not assessed by the rules reading them) and makes the run
# incomplete (exit 3) without blanking the whole report.
PART_CREDENTIAL_ROWS = "credential_report_rows"
# Likewise for policy documents that are not JSON (InlinePolicy.unreadable,
# ManagedPolicy.unreadable, Role.trust_unreadable).
PART_POLICY_DOCUMENTS = "policy_documents"

ALL_PARTS = (
    PART_AUTHORIZATION,
    PART_CREDENTIAL_REPORT,
    PART_PASSWORD_POLICY,
    PART_ACCOUNT_SUMMARY,
    PART_VIRTUAL_MFA,
    PART_SERVER_CERTIFICATES,
    PART_IDENTITY_PROVIDERS,
    PART_ACCESS_ANALYZER,
    PART_ACCOUNT_ALIASES,
    PART_IDENTITY_CENTER,
    PART_IDENTITY_STORE,
    PART_IDENTITY_CENTER_BOUNDARIES,
    PART_LAST_ACCESSED,
    PART_UNUSED_FINDINGS,
)


class OutcomeStatus(StrEnum):
    OK = "ok"
    ACCESS_DENIED = "access_denied"
    THROTTLED = "throttled"  # gave up after retries
    NOT_SUPPORTED = "not_supported"  # endpoint/region does not offer the API
    ERROR = "error"
    # The operator chose not to collect it (an opt-in part such as --last-accessed): its rules
    # are not assessed with the message as the reason, and the run is not incomplete (exit 0).
    NOT_REQUESTED = "not_requested"


_NOT_FAILURES = frozenset(
    (OutcomeStatus.OK, OutcomeStatus.NOT_SUPPORTED, OutcomeStatus.NOT_REQUESTED)
)


@dataclass(frozen=True)
class ApiOutcome:
    """What happened when one API was called (for one region, where regional)."""

    api: str  # "iam:GetAccountAuthorizationDetails"
    part: str  # one of the PART_* names
    status: OutcomeStatus
    message: str = ""
    region: str | None = None
    calls: int = 0
    retries: int = 0  # throttled attempts that botocore retried
    seconds: float = 0.0
    payload_sha256: str | None = None  # of the raw payload(s), canonical JSON


@dataclass(frozen=True)
class SnapshotMeta:
    account_id: str
    partition: str
    collected_at: datetime
    tool_version: str
    caller_arn: str = ""
    credential_report_generated_at: datetime | None = None
    regions: tuple[str, ...] = ()
    source: str = "aws"  # "aws", "demo" or the endpoint URL
    schema_version: int = SCHEMA_VERSION


# --- credential report -------------------------------------------------------------------


# The 22 columns AWS documents, in its order; a parser keeps any others as ``extra``.
CREDENTIAL_REPORT_COLUMNS: tuple[str, ...] = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)


class Sentinel(StrEnum):
    """The placeholder values AWS writes into the credential report."""

    NOT_APPLICABLE = "N/A"
    NO_INFORMATION = "no_information"
    NOT_SUPPORTED = "not_supported"
    EMPTY = ""  # column missing or blank


@dataclass(frozen=True)
class ReportAccessKey:
    slot: int  # 1 or 2
    active: bool
    last_rotated: datetime | None
    last_used: datetime | None  # None: never used, or before 2015-04-22 (AWS cannot tell)
    last_used_region: str | None = None
    last_used_service: str | None = None

    @property
    def exists(self) -> bool:
        # AWS writes N/A for every column of a key slot that holds no key.
        return self.active or self.last_rotated is not None


@dataclass(frozen=True)
class ReportCertificate:
    slot: int
    active: bool
    last_rotated: datetime | None


@dataclass(frozen=True)
class CredentialRow:
    """One row of the credential report, normalised once, here and nowhere else."""

    user: str
    arn: str
    user_creation_time: datetime | None
    password_enabled: bool | None  # None for the root row (not_supported)
    password_last_used: datetime | None
    password_last_changed: datetime | None
    password_next_rotation: datetime | None
    mfa_active: bool
    access_keys: tuple[ReportAccessKey, ...] = ()
    certificates: tuple[ReportCertificate, ...] = ()
    # column name -> the sentinel AWS wrote where the field above is None
    sentinels: Mapping[str, str] = field(default_factory=dict)
    # columns this version does not know, kept verbatim
    extra: Mapping[str, str] = field(default_factory=dict)
    # column -> why its value could not be read (a cell missing from a short line, a date after
    # the report was received); the field above then holds None/False, which is not data:
    # rules that read the column report this user as not assessed (``unreadable_reason``).
    unreadable: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_root(self) -> bool:
        return self.user == "<root_account>"

    def sentinel(self, column: str) -> str | None:
        return self.sentinels.get(column)

    def unreadable_by_reason(self, columns: Iterable[str]) -> dict[str, list[str]]:
        """The unreadable ones among ``columns``, grouped by why (a short line: one reason)."""
        by_reason: dict[str, list[str]] = {}
        for column in columns:
            if column in self.unreadable:
                by_reason.setdefault(self.unreadable[column], []).append(column)
        return by_reason

    def unreadable_reason(self, columns: Iterable[str]) -> str | None:
        """Why some of ``columns`` cannot be judged ("a, b missing (...)"), or None."""
        by_reason = self.unreadable_by_reason(columns)
        return "; ".join(f"{', '.join(c)} {why}" for why, c in by_reason.items()) or None

    @property
    def active_keys(self) -> tuple[ReportAccessKey, ...]:
        return tuple(k for k in self.access_keys if k.active)


# --- identities and policies --------------------------------------------------------------


@dataclass(frozen=True)
class InlinePolicy:
    name: str
    document: Mapping[str, Any]  # decoded JSON policy document
    # Why the document could not be decoded ("" when it was); ``document`` is then empty, which
    # is not "grants nothing": what it grants to the principals it reaches is unknown.
    unreadable: str = ""


@dataclass(frozen=True)
class AttachedPolicy:
    name: str
    arn: str


@dataclass(frozen=True)
class User:
    name: str
    arn: str
    user_id: str
    path: str
    create_date: datetime | None
    groups: tuple[str, ...] = ()
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()
    permissions_boundary_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    name: str
    arn: str
    group_id: str
    path: str
    create_date: datetime | None
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    role_id: str
    path: str
    create_date: datetime | None
    assume_role_policy: Mapping[str, Any] = field(default_factory=dict)
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()
    permissions_boundary_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    last_used: datetime | None = None
    last_used_region: str | None = None
    # Why the trust policy could not be decoded ("" when it was); ``assume_role_policy`` is then
    # empty, which is not "trusts no one": who may assume the role is unknown.
    trust_unreadable: str = ""


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    arn: str
    policy_id: str
    path: str
    default_version_id: str
    document: Mapping[str, Any]  # the default version's document, decoded
    attachment_count: int = 0
    permissions_boundary_usage_count: int = 0
    is_attachable: bool = True
    create_date: datetime | None = None
    update_date: datetime | None = None
    # Why the default version's document could not be decoded ("" when it was); ``document`` is
    # then empty: what it grants to the principals it is attached to is unknown.
    unreadable: str = ""

    @property
    def is_aws_managed(self) -> bool:
        # arn:aws:iam::aws:policy/... (any partition)
        return self.arn.split(":")[4:5] == ["aws"]


# --- account-level settings ---------------------------------------------------------------


@dataclass(frozen=True)
class PasswordPolicy:
    minimum_password_length: int | None = None
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    allow_users_to_change_password: bool = False
    expire_passwords: bool = False
    max_password_age: int | None = None
    password_reuse_prevention: int | None = None
    hard_expiry: bool = False


@dataclass(frozen=True)
class VirtualMfaDevice:
    serial_number: str
    user_arn: str | None = None
    user_name: str | None = None
    enable_date: datetime | None = None


@dataclass(frozen=True)
class ServerCertificate:
    name: str
    arn: str
    certificate_id: str
    path: str
    upload_date: datetime | None
    expiration: datetime | None


@dataclass(frozen=True)
class AccessAnalyzer:
    region: str
    name: str
    arn: str
    type: str  # ACCOUNT, ORGANIZATION, ...
    status: str  # ACTIVE, CREATING, DISABLED, FAILED


# --- the snapshot -------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    meta: SnapshotMeta
    outcomes: tuple[ApiOutcome, ...] = ()
    credential_report: tuple[CredentialRow, ...] = ()
    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()
    roles: tuple[Role, ...] = ()
    policies: tuple[ManagedPolicy, ...] = ()  # managed policies: customer and AWS ones in use
    password_policy: PasswordPolicy | None = None  # None: the account has no password policy
    account_summary: Mapping[str, int] = field(default_factory=dict)
    virtual_mfa_devices: tuple[VirtualMfaDevice, ...] = ()
    server_certificates: tuple[ServerCertificate, ...] = ()
    saml_providers: tuple[str, ...] = ()  # ARNs
    oidc_providers: tuple[str, ...] = ()  # ARNs
    account_aliases: tuple[str, ...] = ()
    access_analyzers: tuple[AccessAnalyzer, ...] = ()
    # The account's place in its organization (issue 9): None in a single-account run; set by
    # audit.org_context.attach_organization from an organization snapshot.
    organization: model_org.AccountOrgContext | None = None
    # IAM Identity Center (audit/model_sso.py); None: no instance in this account, or not
    # collected (the outcomes of PART_IDENTITY_CENTER say which).
    identity_center: IdentityCenter | None = None
    unused_access: UnusedAccess = field(default_factory=UnusedAccess)

    def part_gaps(self, part: str) -> tuple[ApiOutcome, ...]:
        """Outcomes that keep ``part`` from being complete (empty when it is complete).

        A part with no recorded outcome at all was never collected, which is a gap too.
        """
        mine = [o for o in self.outcomes if o.part == part]
        if not mine:
            if part in model_org.ORGANIZATION_PARTS and self.organization is None:
                # Nothing to grant or retry: a single-account run does not read the organization.
                status = OutcomeStatus.NOT_SUPPORTED
                message = "single-account run (organization data is read by an organization run)"
            else:
                status, message = OutcomeStatus.ERROR, "not collected"
            return (ApiOutcome(api=part, part=part, status=status, message=message),)
        return tuple(o for o in mine if o.status is not OutcomeStatus.OK)

    def has_part(self, part: str) -> bool:
        return not self.part_gaps(part)

    @property
    def failed_outcomes(self) -> tuple[ApiOutcome, ...]:
        """Calls that were denied or failed: they make the run exit 3.

        NOT_SUPPORTED (an API the endpoint does not offer) is shown in the coverage section but
        is not a failure of the run: nothing the operator can grant would fix it. Neither is
        NOT_REQUESTED: the operator chose not to collect that part.
        """
        return tuple(o for o in self.outcomes if o.status not in _NOT_FAILURES)

    # Lookups rules need again and again.
    def policy_by_arn(self) -> dict[str, ManagedPolicy]:
        return {p.arn: p for p in self.policies}

    def group_by_name(self) -> dict[str, Group]:
        return {g.name: g for g in self.groups}

    def credential_row(self, user_name: str) -> CredentialRow | None:
        for row in self.credential_report:
            if row.user == user_name:
                return row
        return None

    @property
    def root_row(self) -> CredentialRow | None:
        return next((r for r in self.credential_report if r.is_root), None)


# At the end, as a module: audit.model_org builds on ApiOutcome above, and Snapshot's annotation
# is only resolved later (snapshot_io), so either module may be imported first.
from audit import model_org  # noqa: E402
