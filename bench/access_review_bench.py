"""Benchmark the access review: items, workbook and import check as the account grows.

Builds synthetic accounts (tests/fixtures/snapshots.synthetic_snapshot: N users with groups,
policies and keys) and prints, for each N, the access items found and the seconds for: the
items with their grants in words (the next run's verification does the same), the xlsx
workbook, reading it back, and checking every row against the export record.

    .venv/bin/python bench/access_review_bench.py                # N = 100, 1000, 5000
    .venv/bin/python bench/access_review_bench.py --sizes 200,2000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.engine import evaluate  # noqa: E402
from audit.report.review_workbook import read_workbook, workbook_bytes  # noqa: E402
from audit.workflow.access_items import access_items  # noqa: E402
from audit.workflow.access_review import build_export, check_rows  # noqa: E402
from audit.workflow.owners import assign  # noqa: E402
from tests.fixtures.snapshots import synthetic_snapshot  # noqa: E402


def measure(users: int) -> None:
    snap = synthetic_snapshot(users)
    findings = evaluate(snap).findings
    t0 = time.perf_counter()
    items = access_items(snap, findings)
    t1 = time.perf_counter()
    export = build_export(
        Path("run"),
        [snap],
        "0" * 64,
        items,
        assign(items, ()),
        "unassigned",
        snap.meta.collected_at,
    )
    data = workbook_bytes(export)
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "review.xlsx"
        path.write_bytes(data)
        _facts, rows = read_workbook(path)
        t3 = time.perf_counter()
        check = check_rows(rows, export.record())
        t4 = time.perf_counter()
    assert check.usable, check.problems[:3]
    print(
        f"N={users:>6} items={len(items):>7} items+grants={t1 - t0:6.2f}s "
        f"xlsx={t2 - t1:6.2f}s ({len(data) / 1e6:.1f} MB) read={t3 - t2:6.2f}s "
        f"check={t4 - t3:6.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        measure(size)


if __name__ == "__main__":
    main()
