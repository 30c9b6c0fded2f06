"""The read-only guard: every client refuses, before sending, any operation that could write.

Registered on ``before-parameter-build``, the first event of an API call, so a refused call
never reaches the network (or moto). The allow-list is by operation-name prefix plus a few
exact names; it is the same rule the least-privilege policy test checks.
"""

from __future__ import annotations

from typing import Any

from audit.errors import CollectionError

READ_PREFIXES = ("List", "Get", "Describe")
# Operations outside the prefixes that an audit needs and that change nothing an auditor
# would care about: generating the credential report, and identifying / assuming a role.
ALLOWED_EXACT = frozenset(
    {
        ("iam", "GenerateCredentialReport"),
        ("sts", "GetCallerIdentity"),
        ("sts", "AssumeRole"),
    }
)


class ReadOnlyViolation(CollectionError):
    """Code tried to send an operation that is not read-only: a bug, never sent."""


def is_read_only(service: str, operation: str) -> bool:
    """``service`` is the signing/endpoint prefix (``iam``, ``sts``), ``operation`` the API name."""
    if (service, operation) in ALLOWED_EXACT:
        return True
    return operation.startswith(READ_PREFIXES)


def refuse_writes(model: Any, **_: Any) -> None:
    """botocore handler: raise before a non-read-only operation is built, let others pass."""
    service = model.service_model.endpoint_prefix
    if not is_read_only(service, model.name):
        raise ReadOnlyViolation(
            f"refused {service}:{model.name}: iam-audit is read-only and sends only "
            "List*, Get*, Describe*, GenerateCredentialReport and sts:GetCallerIdentity/AssumeRole"
        )


def install_guard(client: Any) -> None:
    # register_first: nothing registered earlier (moto, stubs, hooks) may run before the guard.
    client.meta.events.register_first("before-parameter-build", refuse_writes)
