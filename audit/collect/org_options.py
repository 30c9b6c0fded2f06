"""What an organization run is asked to do: the reader role, ExternalId and the account scope.

Every value is checked here, before any call, so a typo is one line and exit 2 (InputError),
not 200 accounts "not collected".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from audit.collect.options import CollectOptions
from audit.errors import InputError

DEFAULT_ROLE_NAME = "iam-audit-reader"
SESSION_NAME = "iam-audit"
TEMPLATE = "docs/org-reader-role.yaml"

_ACCOUNT_ID = re.compile(r"\d{12}")
_OU_ID = re.compile(r"(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_PATH_PART = re.compile(r"[\x21-\x7e]+")  # IAM paths: printable ASCII without "/"
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")


@dataclass(frozen=True)
class OrgOptions:
    collect: CollectOptions = field(default_factory=CollectOptions)  # used for every account
    role_name: str = DEFAULT_ROLE_NAME  # in each member; a path prefix allowed: "audit/reader"
    external_id: str | None = None
    accounts: tuple[str, ...] = ()  # only these accounts (empty: every account)
    ous: tuple[str, ...] = ()  # only accounts in these OUs or below them (root ids too)
    exclude: tuple[str, ...] = ()  # never these accounts

    def __post_init__(self) -> None:
        check_role_name(self.role_name)
        if self.external_id is not None and not _EXTERNAL_ID.fullmatch(self.external_id):
            raise InputError(
                "--external-id must be 2 to 1224 characters of letters, digits and +=,.@:/-"
            )
        for option, ids in (("--accounts", self.accounts), ("--exclude", self.exclude)):
            for account_id in ids:
                if not _ACCOUNT_ID.fullmatch(account_id):
                    raise InputError(f"{option}: {account_id!r} is not a 12-digit account id")
        for ou in self.ous:
            if not _OU_ID.fullmatch(ou):
                raise InputError(f"--ou: {ou!r} is not an OU id (ou-xxxx-xxxxxxxx) or a root id")


def check_role_name(role_name: str) -> None:
    *path, name = role_name.strip("/").split("/")
    if not _ROLE_NAME.fullmatch(name) or not all(_PATH_PART.fullmatch(p) for p in path):
        raise InputError(
            f"--role-name {role_name!r} is not a role name (letters, digits and +=,.@_-, "
            "at most 64) with an optional path prefix (path/name)"
        )


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    """``arn:<partition>:iam::<id>:role/<path><name>`` ("audit/reader" -> role/audit/reader)."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name.strip('/')}"
