"""An organization folder: what `org collect` writes and `org report` reads, offline.

Layout (slices collected into separate folders merge by copying them into one)::

    organization.json.gz            the organization snapshot (audit.snapshot_io)
    accounts/<id>/snapshot.json.gz  the account's snapshot, when it could be read
    accounts/<id>/collection.json   how collecting it went (AccountCollection), written LAST:
                                    an account folder without it is an interrupted one
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from audit.errors import InputError
from audit.model import Snapshot
from audit.model_org import AccountCollection, OrgSnapshot
from audit.output import atomic_write_bytes
from audit.snapshot_io import (
    ORGANIZATION_FILE_NAME,
    dataclass_from_jsonable,
    read_organization,
    read_snapshot,
    to_jsonable,
    write_snapshot,
)
from audit.workflow.history import SNAPSHOT_FILE

ACCOUNTS_DIR = "accounts"
COLLECTION_FILE = "collection.json"
_ACCOUNT_ID = re.compile(r"\d{12}")


def account_dir(folder: Path, account_id: str) -> Path:
    # The id comes from AWS or a file: twelve digits, so it cannot escape the folder.
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise InputError(f"account id {account_id!r} cannot name an account folder")
    return folder / ACCOUNTS_DIR / account_id


def write_account(
    folder: Path, collection: AccountCollection, snapshot: Snapshot | None
) -> tuple[Path, ...]:
    """Write one account's snapshot (if any), then its collection record; return the paths."""
    where = account_dir(folder, collection.account_id)
    written: list[Path] = []
    if snapshot is not None:
        write_snapshot(snapshot, where / SNAPSHOT_FILE)
        written.append(where / SNAPSHOT_FILE)
    record = json.dumps(to_jsonable(collection), indent=1, sort_keys=True, ensure_ascii=False)
    atomic_write_bytes(where / COLLECTION_FILE, record.encode("utf-8"))
    written.append(where / COLLECTION_FILE)
    return tuple(written)


def read_collection(path: Path) -> AccountCollection:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    try:
        return dataclass_from_jsonable(AccountCollection, doc)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def recorded_accounts(folder: Path) -> list[str]:
    """The ids of the folder's accounts that have their collection record (complete ones)."""
    accounts = folder / ACCOUNTS_DIR
    return sorted(
        p.name
        for p in (accounts.iterdir() if accounts.is_dir() else ())
        if _ACCOUNT_ID.fullmatch(p.name) and (p / COLLECTION_FILE).is_file()
    )


def read_org_folder(
    folder: Path,
) -> tuple[OrgSnapshot, Iterator[tuple[AccountCollection, Snapshot | None]]]:
    """The organization snapshot, and each account of the folder, read one at a time.

    Account folders without collection.json (interrupted) are passed over; an account whose
    record says it was read but whose snapshot is missing is an input error.
    """
    org_file = folder / ORGANIZATION_FILE_NAME
    if not org_file.is_file():
        raise InputError(
            f"{folder} is not an organization folder: no {ORGANIZATION_FILE_NAME} "
            "(write one with `iam-audit org collect -o DIR`)"
        )
    org, _digest = read_organization(org_file)
    accounts = folder / ACCOUNTS_DIR
    ids = recorded_accounts(folder)
    if not ids:
        raise InputError(f"{folder}: no collected account under {ACCOUNTS_DIR}/")

    def each() -> Iterator[tuple[AccountCollection, Snapshot | None]]:
        for account_id in ids:
            where = accounts / account_id
            collection = read_collection(where / COLLECTION_FILE)
            snapshot = None
            if (where / SNAPSHOT_FILE).is_file():
                snapshot, _sha = read_snapshot(where / SNAPSHOT_FILE)
            elif collection.status.value != "not_collected":
                raise InputError(f"{where}: {COLLECTION_FILE} says collected, no {SNAPSHOT_FILE}")
            yield collection, snapshot

    return org, each()
