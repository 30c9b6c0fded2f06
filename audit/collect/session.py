"""The boto3 session and clients every collector uses: retries, timeouts, guard, endpoint.

Failures that make a snapshot impossible (no credentials, unknown profile, endpoint
unreachable, sts:GetCallerIdentity refused) raise :class:`CollectionError` with one line;
everything after that is recorded per API instead.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
import botocore.utils
from botocore.config import Config

from audit import __version__
from audit.collect.guard import ReadOnlyViolation, install_guard
from audit.collect.options import CollectOptions
from audit.errors import CollectionError, InputError

if TYPE_CHECKING:
    from mypy_boto3_accessanalyzer import AccessAnalyzerClient
    from mypy_boto3_iam import IAMClient

DEFAULT_REGION = "us-east-1"
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
# STS's answers to credentials it does not know, e.g. a partition other than the region's.
_TOKEN_REJECTED = frozenset({"InvalidClientTokenId", "UnrecognizedClientException"})


def _config(max_attempts: int) -> Config:
    return Config(
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra=f"iam-audit/{__version__}",
    )


def _html_server_error_is_generic(response_dict: dict[str, Any], **_: Any) -> None:
    """before-parse handler: a 5xx HTML page (a proxy's, an emulator's crash) is a server error.

    botocore recognises such a page only when its body starts with exactly ``<html>``; any
    other page (``<!doctype html>``, ``<HTML lang=en>``) fails the XML parser, which is never
    retried. Emptying the body gives botocore's generic "HTTP 5xx" error, which is retried.
    """
    if response_dict.get("status_code", 0) < 500:
        return
    headers = response_dict.get("headers") or {}
    content_type = str(headers.get("content-type", "")).lower()
    body = response_dict.get("body") or b""
    head = body[:64].lstrip().lower() if isinstance(body, bytes) else b""
    if content_type.startswith("text/html") or head.startswith((b"<!doctype", b"<html")):
        response_dict["body"] = b""


@dataclass
class Clients:
    """Makes (and caches) guarded clients; one per service and region."""

    session: boto3.session.Session
    options: CollectOptions
    home_region: str
    region_defaulted: bool = False  # nothing named a region: DEFAULT_REGION is a guess
    allow_assume_role: bool = False  # sts:AssumeRole passes the guard (organization runs only)
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def endpoint_url(self) -> str | None:
        """The one endpoint every call goes to, if not AWS's own (boto3 honours the variable)."""
        return self.options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None

    def client(self, service: str, region: str | None = None) -> Any:
        where = region or self.home_region
        key = (service, where)
        if key not in self._cache:
            client = self.session.client(
                service,  # type: ignore[call-overload]  # the service name is a runtime value
                region_name=where,
                endpoint_url=self.endpoint_url,
                config=_config(self.options.max_attempts),
            )
            install_guard(client, allow_assume_role=self.allow_assume_role)
            client.meta.events.register("before-parse", _html_server_error_is_generic)
            self._cache[key] = client
        return self._cache[key]

    def iam(self) -> IAMClient:
        client: IAMClient = self.client("iam")
        return client

    def access_analyzer(self, region: str) -> AccessAnalyzerClient:
        client: AccessAnalyzerClient = self.client("accessanalyzer", region)
        return client


def _check_region(region: str, where: str) -> None:
    """A region name botocore would refuse mid-collection is bad input, refused up front."""
    try:
        # botocore lets "" through, then fails building the endpoint mid-collection.
        if not region.strip():
            raise botocore.exceptions.InvalidRegionError(region_name=region)
        botocore.utils.validate_region_name(region)
    except botocore.exceptions.InvalidRegionError:
        raise InputError(f"{where} {region!r} is not a valid AWS region name") from None


def _check_endpoint(url: str) -> None:
    # botocore's checks look at the host only: ftp://host passed, then failed at the first call.
    http = urllib.parse.urlsplit(url).scheme.lower() in ("http", "https")
    if not http or not (
        botocore.utils.is_valid_endpoint_url(url) or botocore.utils.is_valid_ipv6_endpoint_url(url)
    ):
        raise InputError(f"endpoint URL {url!r} is not a valid http(s) URL")


def open_clients(
    options: CollectOptions,
    session: boto3.session.Session | None = None,
    *,
    allow_assume_role: bool = False,
) -> Clients:
    """A session with credentials, or a one-line CollectionError saying why there is none.

    ``allow_assume_role``: the guard lets sts:AssumeRole through, for an organization run
    reading each member account through its reader role; off for every other run.

    Region names and the endpoint URL are checked first (InputError, exit 2): botocore would
    otherwise refuse them only when the client that needs them is made, mid-collection.
    """
    if options.region is not None:
        _check_region(options.region, "--region")
    for name in options.analyzer_regions or ():
        _check_region(name, "--analyzer-region")
    try:
        chosen = session or boto3.session.Session(
            profile_name=options.profile, region_name=options.region
        )
    except botocore.exceptions.ProfileNotFound as exc:
        # The name may come from AWS_PROFILE rather than --profile: report the one boto3 used.
        profile = exc.kwargs.get("profile") or options.profile
        raise CollectionError(f"AWS profile {profile!r} not found") from None
    try:
        credentials = chosen.get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise CollectionError(f"cannot load AWS credentials: {exc}") from None
    except ValueError as exc:
        # botocore parses a credential_process's output without catching JSON errors.
        raise InputError(
            f"the credential_process of AWS profile {chosen.profile_name!r} printed something "
            f"that is not JSON: {exc}"
        ) from None
    if credentials is None:
        raise CollectionError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or pass --profile"
        )
    region = options.region or chosen.region_name or DEFAULT_REGION
    _check_region(region, "configured region")  # AWS_REGION, AWS_DEFAULT_REGION, the profile
    clients = Clients(
        session=chosen,
        options=options,
        home_region=region,
        region_defaulted=not (options.region or chosen.region_name),
        allow_assume_role=allow_assume_role,
    )
    if clients.endpoint_url:
        _check_endpoint(clients.endpoint_url)
    return clients


@dataclass(frozen=True)
class Identity:
    account_id: str
    arn: str
    partition: str


def caller_identity(clients: Clients) -> Identity:
    """sts:GetCallerIdentity; any failure here is fatal: nothing else would work either."""
    # The same retry policy as every other call: a throttled probe would otherwise lose the
    # whole run (exit 4) where any later call would have been retried.
    sts = clients.client("sts")
    where = clients.endpoint_url or f"AWS STS in {clients.home_region}"
    try:
        reply = sts.get_caller_identity()
    except botocore.exceptions.EndpointConnectionError:
        raise CollectionError(f"cannot reach {where}") from None
    except botocore.exceptions.NoCredentialsError:
        raise CollectionError("no AWS credentials found (pass --profile or set AWS_*)") from None
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "error")
        message = " ".join(str(error.get("Message", "")).split())
        if code in _TOKEN_REJECTED and clients.region_defaulted and not clients.endpoint_url:
            # Credentials of another partition are "invalid" in us-east-1: say why.
            message += (
                f" (no region is configured, so {clients.home_region} was used; credentials "
                "for AWS GovCloud or China need --region, e.g. us-gov-west-1 or cn-north-1)"
            )
        raise CollectionError(f"sts:GetCallerIdentity failed: {code}: {message}") from None
    except (botocore.exceptions.SSOError, botocore.exceptions.TokenRetrievalError) as exc:
        # No SSO token, or an expired one that could not be refreshed: say how to get one.
        login = f"aws sso login --profile {clients.session.profile_name}"
        raise CollectionError(f"sts:GetCallerIdentity failed: {exc} (run: {login})") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise CollectionError(f"sts:GetCallerIdentity failed: {exc}") from None
    except ReadOnlyViolation:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a proxy's HTML page where XML was due
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise CollectionError(
            f"sts:GetCallerIdentity failed: unreadable response from {where} ({detail})"
        ) from None
    arn = str(reply["Arn"])
    parts = arn.split(":")
    partition = parts[1] if len(parts) > 1 and parts[1] else "aws"
    account = str(reply.get("Account", ""))
    if not _ACCOUNT_ID.fullmatch(account):
        # It names the run folder and every report: refuse it before collecting anything.
        shown = account if len(account) <= 40 else account[:40] + "…"
        raise InputError(
            f"sts:GetCallerIdentity answered account id {shown!r} ({len(account)} characters) "
            f"from {where}: not a 12-digit AWS account id"
        )
    return Identity(account_id=account, arn=arn, partition=partition)
