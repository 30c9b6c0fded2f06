"""Benchmark the reports on synthetic accounts of 1,000 and 10,000 users.

    .venv/bin/python bench/report_bench.py                # 1,000 and 10,000 users
    .venv/bin/python bench/report_bench.py --users 2500   # one size

Each size runs in a fresh process (so peak RSS belongs to that size alone): it builds a
snapshot (groups, customer and AWS managed policies, inline policies, keys of every age,
console users with and without MFA), times the engine and every renderer, then times the whole
``iam-audit report`` command on the stored snapshot as a separate process.
Targets at 10,000 users: whole report within 30 s and 1 GB; PDF under 80 pages.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The same synthetic account the tests can build (one shared factory, not part of the product).
from tests.fixtures.snapshots import SYNTHETIC_AT as AS_OF  # noqa: E402 - after the path set-up
from tests.fixtures.snapshots import synthetic_snapshot  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _timed(label: str, fn: Callable[[], Any], times: dict[str, float]) -> Any:
    start = time.perf_counter()
    value = fn()
    times[label] = time.perf_counter() - start
    print(f"  {label:<22} {times[label]:7.2f} s   peak RSS {_peak_mb():7.0f} MB", flush=True)
    return value


def run_one(users: int, out: Path) -> None:
    from pypdf import PdfReader

    from audit import findings_file
    from audit.engine import evaluate
    from audit.report import ReportOptions, csv_files, json_files
    from audit.report.charts import render_charts
    from audit.report.html import render_html
    from audit.report.pdf import render_pdf
    from audit.report.view import build_view
    from audit.snapshot_io import write_snapshot

    print(f"{users:,} users", flush=True)
    times: dict[str, float] = {}
    snap = _timed("build snapshot", lambda: synthetic_snapshot(users), times)
    digest = _timed("write snapshot", lambda: write_snapshot(snap, out / "snap.json.gz"), times)
    result = _timed("engine (all rules)", lambda: evaluate(snap, AS_OF), times)
    options = ReportOptions()
    view = _timed("report view + scores", lambda: build_view(snap, digest, result), times)
    charts = _timed("charts (4 SVG)", lambda: render_charts(view.charts), times)
    html = _timed("html", lambda: render_html(view, charts, options), times)
    pdf = _timed("pdf", lambda: render_pdf(view, charts, options), times)
    records = _timed(
        "finding records",
        lambda: [findings_file.finding_json(f) for f in view.findings],
        times,
    )
    _timed(
        "csv (3 files)",
        lambda: [
            csv_files.findings_csv(records),
            csv_files.credentials_csv(view),
            csv_files.controls_csv(view),
        ],
        times,
    )
    _timed(
        "json (2 files)",
        lambda: [findings_file.findings_json(records), json_files.summary_json(view)],
        times,
    )
    (out / "report.pdf").write_bytes(pdf)
    pages = len(PdfReader(out / "report.pdf").pages)
    print(
        f"  findings {len(result.findings):,} (failing {len(result.failing):,}); "
        f"html {len(html) / 1e6:.1f} MB; pdf {len(pdf) / 1e6:.2f} MB, {pages} pages"
    )


def run_cli(out: Path) -> None:
    """The whole ``iam-audit report`` on the stored snapshot, as a user runs it.

    Started from this small parent and reaped with wait4, so the peak RSS is that command's
    own (a child forked from a big process would inherit its high-water mark).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "audit",
            "report",
            str(out / "snap.json.gz"),
            "--out",
            str(out / "cli"),
            "--as-of",
            AS_OF.isoformat(),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    print(
        f"  iam-audit report (all formats, own process): {wall:.1f} s, "
        f"peak RSS {usage.ru_maxrss / 1024:.0f} MB, exit {proc.returncode}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, action="append", help="size(s); default 1000 10000")
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_out:
        run_one(args.users[0], args.child_out)
        return
    for n in args.users or [1000, 10_000]:
        with tempfile.TemporaryDirectory(prefix="iam-audit-bench-") as tmp:
            # In-process timings in a fresh process per size, so peak RSS is per size.
            subprocess.run(  # noqa: S603 - this script, our interpreter
                [sys.executable, __file__, "--users", str(n), "--child-out", tmp], check=True
            )
            run_cli(Path(tmp))


if __name__ == "__main__":
    main()
