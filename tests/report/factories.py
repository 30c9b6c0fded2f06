"""Hand-built snapshots for the report tests: every section has something to show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit.engine import evaluate
from audit.findings import AuditResult
from audit.model import (
    ALL_PARTS,
    ApiOutcome,
    AttachedPolicy,
    CredentialRow,
    Group,
    InlinePolicy,
    ManagedPolicy,
    OutcomeStatus,
    PasswordPolicy,
    ReportAccessKey,
    Snapshot,
    SnapshotMeta,
    User,
)

ACCOUNT = "123456789012"
AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert('x')</script>"
FORMULA_USER = "=1+2"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def days_ago(n: int) -> datetime:
    return AS_OF - timedelta(days=n)


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def cred_row(
    name: str,
    *,
    password: bool = True,
    mfa: bool = True,
    key_ages: tuple[int, ...] = (),
    used_days_ago: int | None = 3,
) -> CredentialRow:
    keys = tuple(
        ReportAccessKey(
            slot=i + 1,
            active=True,
            last_rotated=days_ago(age),
            last_used=days_ago(min(age, used_days_ago)) if used_days_ago is not None else None,
            last_used_region="us-east-1",
            last_used_service="s3",
        )
        for i, age in enumerate(key_ages)
    )
    sentinels = {} if password else {"password_last_used": "N/A"}
    return CredentialRow(
        user=name,
        arn=_arn("user", name),
        user_creation_time=days_ago(400),
        password_enabled=password,
        password_last_used=days_ago(used_days_ago) if password and used_days_ago else None,
        password_last_changed=days_ago(100) if password else None,
        password_next_rotation=None,
        mfa_active=mfa,
        access_keys=keys,
        sentinels=sentinels,
    )


def root_row() -> CredentialRow:
    return CredentialRow(
        user="<root_account>",
        arn=f"arn:aws:iam::{ACCOUNT}:root",
        user_creation_time=days_ago(1000),
        password_enabled=None,
        password_last_used=days_ago(200),
        password_last_changed=None,
        password_next_rotation=None,
        mfa_active=True,
        sentinels={
            "password_enabled": "not_supported",
            "password_last_changed": "not_supported",
            "password_next_rotation": "not_supported",
        },
    )


def iam_user(name: str, groups: tuple[str, ...] = (), **kw: object) -> User:
    return User(
        name=name,
        arn=_arn("user", name),
        user_id="AIDA" + name.encode().hex()[:12].upper(),
        path="/",
        create_date=days_ago(400),
        groups=groups,
        **kw,  # type: ignore[arg-type]
    )


def build_snapshot(extra_console_users: int = 0) -> Snapshot:
    """Alice is fine; bob has no MFA and an old key; `=1+2` and a <script> tag are hostile."""
    admin_doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    users = [
        iam_user("alice", ("developers",)),
        iam_user(
            "bob",
            ("admins",),
            inline_policies=(
                InlinePolicy(
                    f"inline-{SCRIPT}",
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::{SCRIPT}/*",
                            }
                        ],
                    },
                ),
            ),
            tags={"team": SCRIPT},
        ),
        iam_user(
            FORMULA_USER,
            attached_policies=(AttachedPolicy("AdministratorAccess", ADMIN_ARN),),
        ),
        iam_user("@carol", ("developers",), permissions_boundary_arn=_arn("policy", "boundary")),
    ]
    creds = [
        root_row(),
        cred_row("alice", key_ages=(10,)),
        cred_row("bob", mfa=False, key_ages=(200, 40)),
        cred_row(FORMULA_USER, password=False, mfa=False, key_ages=(95,), used_days_ago=None),
        cred_row("@carol", mfa=False, used_days_ago=60),
    ]
    for i in range(extra_console_users):
        name = f"user{i:03d}"
        users.append(iam_user(name, ("developers",)))
        creds.append(cred_row(name, mfa=False, key_ages=(100 + i,)))
    groups = [
        Group(
            "admins",
            _arn("group", "admins"),
            "AGPAADMINS",
            "/",
            days_ago(500),
            attached_policies=(AttachedPolicy("AdministratorAccess", ADMIN_ARN),),
        ),
        Group(
            "developers",
            _arn("group", "developers"),
            "AGPADEVS",
            "/",
            days_ago(500),
            inline_policies=(InlinePolicy("dev-s3", {"Version": "2012-10-17", "Statement": []}),),
        ),
        Group("empty", _arn("group", "empty"), "AGPAEMPTY", "/", days_ago(500)),
    ]
    policies = [
        ManagedPolicy(
            "AdministratorAccess", ADMIN_ARN, "ANPAADMIN", "/", "v1", admin_doc, attachment_count=2
        ),
    ]
    outcomes = tuple(
        ApiOutcome(api=f"iam:{part}", part=part, status=OutcomeStatus.OK, calls=1)
        for part in ALL_PARTS
        if part != "access_analyzer"
    ) + (
        ApiOutcome(
            api="access-analyzer:ListAnalyzers",
            part="access_analyzer",
            status=OutcomeStatus.ACCESS_DENIED,
            message=f"User is not authorized {SCRIPT}",
            region="eu-west-1",
        ),
    )
    return Snapshot(
        meta=SnapshotMeta(
            account_id=ACCOUNT,
            partition="aws",
            collected_at=AS_OF,
            tool_version="0.1.0",
            caller_arn=_arn("user", "auditor"),
            credential_report_generated_at=AS_OF - timedelta(hours=1),
            source="test",
        ),
        outcomes=outcomes,
        credential_report=tuple(creds),
        users=tuple(users),
        groups=tuple(groups),
        policies=tuple(policies),
        password_policy=PasswordPolicy(minimum_password_length=8),
        account_aliases=("test-alias",),
    )


def audit_result(snapshot: Snapshot) -> AuditResult:
    return evaluate(snapshot, AS_OF)


ReportFactory = Callable[..., tuple[Path, Snapshot, AuditResult, list[Path]]]
