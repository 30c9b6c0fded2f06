"""The report tests' account: every section has something to show (built with the shared factory).

Alice is fine; bob has no MFA and an old key; `=1+2` and a <script> tag are hostile names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.engine import evaluate
from audit.findings import AuditResult
from audit.model import (
    PART_ACCESS_ANALYZER,
    ApiOutcome,
    OutcomeStatus,
    PasswordPolicy,
    Snapshot,
    User,
)
from tests.fixtures.snapshots import (
    ACCOUNT_ID,
    ago,
    allow,
    arn,
    cred_row,
    doc,
    group,
    outcomes,
    policy,
    root_row,
    snapshot,
    user,
)

ACCOUNT = ACCOUNT_ID
AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert('x')</script>"
FORMULA_USER = "=1+2"


def _user(name: str, groups: tuple[str, ...] = (), **kw: Any) -> User:
    # user ids from the name's bytes: the hostile names make no valid id otherwise
    user_id = "AIDA" + name.encode().hex()[:12].upper()
    return user(name, groups=groups, created=ago(400, AS_OF), user_id=user_id, **kw)


def build_snapshot(extra_console_users: int = 0) -> Snapshot:
    """Alice is fine; bob has no MFA and an old key; `=1+2` and a <script> tag are hostile."""
    admin = policy(
        "AdministratorAccess", doc(allow("*")), aws=True, attachments=2, policy_id="ANPAADMIN"
    )
    script_read = doc(allow("s3:GetObject", f"arn:aws:s3:::{SCRIPT}/*"))
    users = [
        _user("alice", ("developers",)),
        _user("bob", ("admins",), inline={f"inline-{SCRIPT}": script_read}, tags={"team": SCRIPT}),
        _user(FORMULA_USER, attached=(admin,)),
        _user("@carol", ("developers",), boundary=arn("policy", "boundary")),
    ]
    creds = [
        root_row(at=AS_OF),
        cred_row("alice", at=AS_OF, key_ages=(10,)),
        cred_row("bob", at=AS_OF, mfa=False, key_ages=(200, 40)),
        cred_row(
            FORMULA_USER, at=AS_OF, password=False, mfa=False, key_ages=(95,), used_days_ago=None
        ),
        cred_row("@carol", at=AS_OF, mfa=False, used_days_ago=60),
    ]
    for i in range(extra_console_users):
        name = f"user{i:03d}"
        users.append(_user(name, ("developers",)))
        creds.append(cred_row(name, at=AS_OF, mfa=False, key_ages=(100 + i,)))
    groups = [
        group("admins", attached=(admin,), created=ago(500, AS_OF)),
        group("developers", inline={"dev-s3": doc()}, created=ago(500, AS_OF), group_id="AGPADEVS"),
        group("empty", created=ago(500, AS_OF)),
    ]
    analyzer_denied = ApiOutcome(
        api="access-analyzer:ListAnalyzers",
        part=PART_ACCESS_ANALYZER,
        status=OutcomeStatus.ACCESS_DENIED,
        message=f"User is not authorized {SCRIPT}",
        region="eu-west-1",
    )
    collected = outcomes(api="iam:{part}", calls=1)
    return snapshot(
        at=AS_OF,
        tool_version="0.1.0",
        caller_arn=arn("user", "auditor"),
        credential_report_generated_at=AS_OF - timedelta(hours=1),
        source="test",
        outcomes=tuple(o for o in collected if o.part != PART_ACCESS_ANALYZER) + (analyzer_denied,),
        credential_report=tuple(creds),
        users=tuple(users),
        groups=tuple(groups),
        policies=(admin,),
        password_policy=PasswordPolicy(minimum_password_length=8),
        account_aliases=("test-alias",),
    )


def audit_result(snapshot: Snapshot) -> AuditResult:
    return evaluate(snapshot, AS_OF)


ReportFactory = Callable[..., tuple[Path, Snapshot, AuditResult, list[Path]]]
