"""Account-level settings: summary, password policy, virtual MFA, certificates, IdPs, aliases.

Each function makes one (paginated) API call and returns the snapshot fields it fills plus the
outcome. Normalisers are pure and separate so they can be tested on hand-written payloads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.collect.authorization import PAGE_SIZE
from audit.collect.calls import ApiResult, call_api, failed
from audit.collect.normalise import utc
from audit.collect.session import Clients
from audit.model import (
    PART_ACCOUNT_ALIASES,
    PART_ACCOUNT_SUMMARY,
    PART_IDENTITY_PROVIDERS,
    PART_PASSWORD_POLICY,
    PART_SERVER_CERTIFICATES,
    PART_VIRTUAL_MFA,
    ApiOutcome,
    PasswordPolicy,
    ServerCertificate,
    VirtualMfaDevice,
)

Pages = Sequence[Mapping[str, Any]]
Fields = dict[str, object]


def summary_fields(pages: Pages) -> Fields:
    summary = pages[0]["SummaryMap"] if pages else {}
    return {"account_summary": {str(k): int(v) for k, v in summary.items()}}


def password_policy_fields(pages: Pages) -> Fields:
    # No page: NoSuchEntity, the account has no password policy (a finding, not an error).
    if not pages:
        return {"password_policy": None}
    p = pages[0]["PasswordPolicy"]

    def optional_int(key: str) -> int | None:
        # AWS omits unset values; moto sends 0 for them, which AWS would never return.
        return int(p[key]) if p.get(key) else None

    policy = PasswordPolicy(
        minimum_password_length=optional_int("MinimumPasswordLength"),
        require_symbols=bool(p.get("RequireSymbols", False)),
        require_numbers=bool(p.get("RequireNumbers", False)),
        require_uppercase_characters=bool(p.get("RequireUppercaseCharacters", False)),
        require_lowercase_characters=bool(p.get("RequireLowercaseCharacters", False)),
        allow_users_to_change_password=bool(p.get("AllowUsersToChangePassword", False)),
        expire_passwords=bool(p.get("ExpirePasswords", False)),
        max_password_age=optional_int("MaxPasswordAge"),
        password_reuse_prevention=optional_int("PasswordReusePrevention"),
        hard_expiry=bool(p.get("HardExpiry", False)),
    )
    return {"password_policy": policy}


def virtual_mfa_fields(pages: Pages) -> Fields:
    devices = []
    for page in pages:
        for d in page.get("VirtualMFADevices", []):
            user = d.get("User") or {}
            devices.append(
                VirtualMfaDevice(
                    serial_number=str(d["SerialNumber"]),
                    user_arn=str(user["Arn"]) if user.get("Arn") else None,
                    user_name=str(user["UserName"]) if user.get("UserName") else None,
                    enable_date=utc(d.get("EnableDate")),
                )
            )
    return {"virtual_mfa_devices": tuple(sorted(devices, key=lambda d: d.serial_number))}


def server_certificate_fields(pages: Pages) -> Fields:
    certs = [
        ServerCertificate(
            name=str(c["ServerCertificateName"]),
            arn=str(c["Arn"]),
            certificate_id=str(c.get("ServerCertificateId", "")),
            path=str(c.get("Path", "/")),
            upload_date=utc(c.get("UploadDate")),
            expiration=utc(c.get("Expiration")),
        )
        for page in pages
        for c in page.get("ServerCertificateMetadataList", [])
    ]
    return {"server_certificates": tuple(sorted(certs, key=lambda c: c.name))}


def saml_fields(pages: Pages) -> Fields:
    arns = [str(p["Arn"]) for page in pages for p in page.get("SAMLProviderList", [])]
    return {"saml_providers": tuple(sorted(arns))}


def oidc_fields(pages: Pages) -> Fields:
    arns = [str(p["Arn"]) for page in pages for p in page.get("OpenIDConnectProviderList", [])]
    return {"oidc_providers": tuple(sorted(arns))}


def alias_fields(pages: Pages) -> Fields:
    return {
        "account_aliases": tuple(str(a) for page in pages for a in page.get("AccountAliases", []))
    }


@dataclass(frozen=True)
class AccountCall:
    """One account-level API: what it is, how to call it, how to read it."""

    action: str  # the IAM action, also the outcome's api name
    part: str
    method: str  # boto3 client method
    paginated: bool
    normalise: Callable[[Pages], Fields]
    empty_codes: frozenset[str] = frozenset()


CALLS: tuple[AccountCall, ...] = (
    AccountCall(
        "iam:GetAccountSummary", PART_ACCOUNT_SUMMARY, "get_account_summary", False, summary_fields
    ),
    AccountCall(
        "iam:GetAccountPasswordPolicy",
        PART_PASSWORD_POLICY,
        "get_account_password_policy",
        False,
        password_policy_fields,
        frozenset({"NoSuchEntity"}),
    ),
    AccountCall(
        "iam:ListVirtualMFADevices",
        PART_VIRTUAL_MFA,
        "list_virtual_mfa_devices",
        True,
        virtual_mfa_fields,
    ),
    AccountCall(
        "iam:ListServerCertificates",
        PART_SERVER_CERTIFICATES,
        "list_server_certificates",
        True,
        server_certificate_fields,
    ),
    AccountCall(
        "iam:ListSAMLProviders", PART_IDENTITY_PROVIDERS, "list_saml_providers", False, saml_fields
    ),
    AccountCall(
        "iam:ListOpenIDConnectProviders",
        PART_IDENTITY_PROVIDERS,
        "list_open_id_connect_providers",
        False,
        oidc_fields,
    ),
    AccountCall(
        "iam:ListAccountAliases", PART_ACCOUNT_ALIASES, "list_account_aliases", True, alias_fields
    ),
)
ACTIONS = tuple(c.action for c in CALLS)


def collect_one(clients: Clients, call: AccountCall) -> tuple[Fields, ApiOutcome]:
    iam = clients.iam()

    def fetch() -> Iterable[Mapping[str, Any]]:
        if call.paginated:
            paginator = iam.get_paginator(call.method)  # type: ignore[call-overload]  # method name is data
            pages: Iterable[Mapping[str, Any]] = paginator.paginate(
                PaginationConfig={"PageSize": PAGE_SIZE}
            )
            return pages
        return [getattr(iam, call.method)()]

    result: ApiResult = call_api(
        call.action,
        call.part,
        fetch,
        empty_codes=call.empty_codes,
    )
    if not result.ok:
        return {}, result.outcome
    try:
        return call.normalise(result.pages), result.outcome
    except (KeyError, TypeError, ValueError) as exc:
        return {}, failed(result, exc).outcome
