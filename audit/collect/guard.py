"""The read-only guard: every client refuses, before sending, any operation that could write.

Registered on ``before-parameter-build``, the first event of an API call, so a refused call
never reaches the network (or moto). An operation passes when:
- its name is read-only: a List/Get/Describe prefix or one of a few exact names (the same rule
  the least-privilege policy test checks); ``sts:AssumeRole`` only when the session opted in
  (an organization run, into each member account's reader role);
- its HTTP method cannot write: GET, HEAD or POST (query and JSON protocols send every call as
  a POST; REST ones bind writes to PUT, PATCH and DELETE);
- for REST protocols, its HTTP binding is the one in botocore's own service model: there the
  method and route, not the name, say which API is called, and a model replaced through
  ``AWS_DATA_PATH`` (or ~/.aws/models) could bind a read's name to a write's route. Query and
  JSON protocols send the operation's name itself (``Action``, ``X-Amz-Target``).

botocore's ``readonly`` operation trait is not used: botocore does not expose it, and AWS's
models carry it unevenly (Access Analyzer marks every read, SSO Admin 10 of 39, IAM none).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import botocore.exceptions
import botocore.loaders

from audit.errors import CollectionError

READ_PREFIXES = ("List", "Get", "Describe")
# Operations outside the prefixes that an audit needs and that change nothing an auditor
# would care about: generating the credential report or a service-last-accessed report (both
# start an AWS-side job that only reads), and identifying the caller.
ALLOWED_EXACT = frozenset(
    {
        ("iam", "GenerateCredentialReport"),
        ("iam", "GenerateServiceLastAccessedDetails"),
        ("sts", "GetCallerIdentity"),
    }
)
# Allowed only when the session opts in (open_clients(..., allow_assume_role=True)).
ASSUME_ROLE = ("sts", "AssumeRole")
READ_METHODS = frozenset({"GET", "HEAD", "POST"})


class ReadOnlyViolation(CollectionError):
    """Code tried to send an operation that is not read-only: a bug, never sent."""


def is_read_only(service: str, operation: str, *, assume_role: bool = False) -> bool:
    """``service`` is the signing/endpoint prefix (``iam``, ``sts``), ``operation`` the API name.

    ``assume_role``: an organization run may also assume roles (sts:AssumeRole).
    """
    if (service, operation) in ALLOWED_EXACT:
        return True
    if (service, operation) == ASSUME_ROLE:
        return assume_role
    return operation.startswith(READ_PREFIXES)


@functools.cache
def _shipped_operations(service_name: str, api_version: str) -> Mapping[str, Any]:
    """The operations of botocore's own model of a service, whatever AWS_DATA_PATH says."""
    loader = botocore.loaders.Loader(
        extra_search_paths=[botocore.loaders.Loader.BUILTIN_DATA_PATH],
        include_default_search_paths=False,
    )
    try:
        model = loader.load_service_model(service_name, "service-2", api_version)
    except botocore.exceptions.DataNotFoundError:
        return {}
    operations: Mapping[str, Any] = model.get("operations", {})
    return operations


def _binding_problem(model: Any) -> str | None:
    """Why the operation's HTTP binding could write, or is not botocore's own; else None."""
    http = model.http or {}
    method = str(http.get("method", "")).upper()
    if method not in READ_METHODS:
        return f"its model binds it to HTTP {method or '(no method)'}"
    service = model.service_model
    if not service.protocol.startswith("rest-"):
        return None  # the name checked above is what is sent
    shipped = _shipped_operations(service.service_name, service.api_version).get(model.name)
    if shipped is None:
        return "botocore's own service model has no such operation"
    own = shipped.get("http", {})
    if (own.get("method"), own.get("requestUri")) != (http.get("method"), http.get("requestUri")):
        return (
            f"its HTTP binding is not botocore's own ({method} {http.get('requestUri')} instead "
            f"of {own.get('method')} {own.get('requestUri')}): a replaced model (AWS_DATA_PATH?)"
        )
    return None


def _refuse(model: Any, allow_assume_role: bool) -> None:
    service = model.service_model.endpoint_prefix
    if not is_read_only(service, model.name, assume_role=allow_assume_role):
        assume = (
            "/AssumeRole"
            if allow_assume_role
            else " (sts:AssumeRole only when an organization run opens its clients with "
            "allow_assume_role=True)"
        )
        raise ReadOnlyViolation(
            f"refused {service}:{model.name}: iam-audit is read-only and sends only "
            "List*, Get*, Describe*, GenerateCredentialReport, GenerateServiceLastAccessedDetails "
            f"and sts:GetCallerIdentity{assume}"
        )
    problem = _binding_problem(model)
    if problem is not None:
        raise ReadOnlyViolation(f"refused {service}:{model.name}: {problem}")


def refuse_writes(model: Any, **_: Any) -> None:
    """botocore handler: raise before a non-read-only operation is built, let others pass."""
    _refuse(model, allow_assume_role=False)


def _refuse_writes_but_assume_role(model: Any, **_: Any) -> None:
    _refuse(model, allow_assume_role=True)


def install_guard(client: Any, *, allow_assume_role: bool = False) -> None:
    """``allow_assume_role``: let sts:AssumeRole through too (an organization run only)."""
    handler = _refuse_writes_but_assume_role if allow_assume_role else refuse_writes
    # register_first: nothing registered earlier (moto, stubs, hooks) may run before the guard.
    client.meta.events.register_first("before-parameter-build", handler)
