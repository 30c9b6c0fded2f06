"""Organization runs auditing accounts in worker processes: the same files as one process."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from audit.model import Snapshot
from audit.model_org import AccountCollection, CollectionStatus
from audit.org_folder import COLLECTION_FILE
from audit.org_run import OrgOutcome, run_organization
from audit.org_streams import STREAMED_FILES
from audit.org_workers import in_workers
from audit.settings import Settings
from tests.fixtures.snapshots import synthetic_snapshot
from tests.rules.org_builders import ACCOUNTS, MANAGEMENT, org_snapshot


def _accounts() -> list[tuple[AccountCollection, Snapshot | None]]:
    pairs: list[tuple[AccountCollection, Snapshot | None]] = []
    for seed, account in enumerate(ACCOUNTS):
        collection = AccountCollection(
            account_id=account.id,
            status=CollectionStatus.COLLECTED,
            account_name=account.name,
            ou_path="Root" if account.id == MANAGEMENT else f"Root/{account.name}",
        )
        snap = synthetic_snapshot(12, seed=seed)
        pairs.append((collection, replace(snap, meta=replace(snap.meta, account_id=account.id))))
    missing = AccountCollection(
        account_id="555555555555",
        status=CollectionStatus.NOT_COLLECTED,
        account_name="closed",
        reason="suspended",
    )
    pairs.insert(2, (missing, None))
    return pairs


def _run(out: Path, workers: int) -> OrgOutcome:
    return run_organization(
        org_snapshot(),
        iter(_accounts()),
        out,
        Settings(),
        (),
        formats=("html", "csv", "json"),
        workers=workers,
    )


def test_workers_write_what_one_process_writes(tmp_path: Path) -> None:
    one = _run(tmp_path / "one", 1)
    two = _run(tmp_path / "two", 2)
    assert two.accounts == one.accounts
    assert two.rule_failing == one.rule_failing
    assert two.exit_code == one.exit_code
    for name in (*STREAMED_FILES, "organization.json"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    rows = json.loads((tmp_path / "two" / "findings.json").read_text(encoding="utf-8"))
    # Streamed in the order the accounts arrived, as in one process.
    arrived = [c.account_id for c, s in _accounts() if s is not None]
    assert list(dict.fromkeys(r["account_id"] for r in rows)) == arrived
    for folder in (tmp_path / "two" / "accounts").iterdir():
        # collection.json marks the account complete: written after its snapshot and reports.
        record = folder / COLLECTION_FILE
        others = [p for p in folder.iterdir() if p != record]
        assert all(record.stat().st_mtime_ns >= p.stat().st_mtime_ns for p in others), folder
        if folder.name != "555555555555":
            assert (folder / "report.html").is_file() and (folder / "snapshot.json.gz").is_file()


@pytest.mark.parametrize("workers", [1, 2])
def test_in_workers_keeps_arrival_order_and_skips_what_needs_no_job(workers: int) -> None:
    items = [4.0, -1.0, 9.0, 16.0, -1.0, 25.0]
    got = list(in_workers(items, math.sqrt, lambda x: x >= 0, workers))
    assert got == [(4.0, 2.0), (-1.0, None), (9.0, 3.0), (16.0, 4.0), (-1.0, None), (25.0, 5.0)]


@pytest.mark.parametrize("workers", [1, 2])
def test_in_workers_hands_a_failure_back_with_its_item(workers: int) -> None:
    handed: list[float] = []
    with pytest.raises(ValueError, match="math domain error"):
        for item, _root in in_workers([1.0, -4.0, 9.0], math.sqrt, lambda x: True, workers):
            handed.append(item)
    assert handed == [1.0]
