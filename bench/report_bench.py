"""Benchmark the reports on synthetic accounts of 1,000 and 10,000 users.

    .venv/bin/python bench/report_bench.py                # 1,000 and 10,000 users
    .venv/bin/python bench/report_bench.py --users 1000 --repeat 5

Each size runs in a fresh process (so peak RSS and import costs belong to that size alone): it
builds a snapshot (groups, customer and AWS managed policies, inline policies, keys of every age,
console users with and without MFA), times the imports, the engine and every renderer (the PDF
split into its template, weasyprint's layout and its drawing), then times the whole
``iam-audit report`` command on the stored snapshot as a separate process.
``--repeat N`` does all of that N times and prints the median of each phase: the machine is
shared, so single runs are noise. Wall time depends on what else runs; CPU time (user + sys of
the command and the processes it waits for) much less, so both are printed, with the load average.
Targets: 1,000 users, whole report within 6 s; 10,000 users within 30 s and 1 GB; PDF under
80 pages.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
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


def _load() -> float:
    return os.getloadavg()[0]


def _timed(label: str, fn: Callable[[], Any], times: dict[str, float]) -> Any:
    """Run fn; record its wall time under ``label`` and its CPU time under ``label (CPU)``."""
    start, cpu_start = time.perf_counter(), time.process_time()
    value = fn()
    times[label] = time.perf_counter() - start
    times[f"{label} (CPU)"] = time.process_time() - cpu_start
    print(
        f"  {label:<22} {times[label]:7.2f} s   CPU {times[f'{label} (CPU)']:6.2f} s   "
        f"peak RSS {_peak_mb():7.0f} MB",
        flush=True,
    )
    return value


def run_one(users: int, out: Path) -> dict[str, float]:
    """One size in this (fresh) process; returns the seconds of each phase."""
    times: dict[str, float] = {}
    print(f"{users:,} users (load {_load():.1f})", flush=True)
    # What the command pays before it can start: these modules are imported on first use.
    _timed("import matplotlib", lambda: __import__("audit.report.charts"), times)
    _timed("import weasyprint", lambda: __import__("weasyprint"), times)

    from pypdf import PdfReader

    from audit import findings_file
    from audit.engine import evaluate
    from audit.report import ReportOptions, csv_files, json_files
    from audit.report.charts import render_charts
    from audit.report.html import render_html
    from audit.report.pdf import draw_pdf, layout_pdf, render_pdf_html
    from audit.report.view import build_view
    from audit.snapshot_io import write_snapshot

    snap = _timed("build snapshot", lambda: synthetic_snapshot(users), times)
    digest = _timed("write snapshot", lambda: write_snapshot(snap, out / "snap.json.gz"), times)
    result = _timed("engine (all rules)", lambda: evaluate(snap, AS_OF), times)
    options = ReportOptions()
    view = _timed("report view + scores", lambda: build_view(snap, digest, result), times)
    charts = _timed("charts (4 SVG)", lambda: render_charts(view.charts), times)
    html = _timed("html", lambda: render_html(view, charts, options), times)
    pdf_html = _timed("pdf template", lambda: render_pdf_html(view, charts, options), times)
    # Without the cycle collector, as in the PDF's worker process (audit.report.pdf).
    gc.disable()
    document = _timed("pdf layout", lambda: layout_pdf(pdf_html), times)
    pdf = _timed("pdf drawing", lambda: draw_pdf(document), times)
    gc.enable()
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
    return times


def run_cli(out: Path) -> dict[str, float]:
    """The whole ``iam-audit report`` on the stored snapshot, as a user runs it.

    Started from this small parent and reaped with wait4, so the peak RSS and CPU time are that
    command's own, including any worker it starts and waits for (a child forked from a big
    process would inherit its high-water mark).
    """
    load = _load()
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
    cpu = usage.ru_utime + usage.ru_stime
    print(
        f"  iam-audit report (all formats, own process): {wall:.1f} s wall, {cpu:.1f} s CPU, "
        f"peak RSS {usage.ru_maxrss / 1024:.0f} MB, load {load:.1f}, exit {proc.returncode}",
        flush=True,
    )
    return {"command wall": wall, "command CPU": cpu, "load average": load}


def _median_table(users: int, runs: list[dict[str, float]]) -> None:
    print(f"{users:,} users: median of {len(runs)} run(s), wall and CPU seconds [wall min - max]")
    for label in runs[0]:
        if label.endswith(" (CPU)"):
            continue
        walls = sorted(r[label] for r in runs)
        cpu = ""
        if f"{label} (CPU)" in runs[0]:
            cpu = f"{statistics.median(r[f'{label} (CPU)'] for r in runs):7.2f}"
        print(
            f"  {label:<22} {statistics.median(walls):7.2f} {cpu:>7}   "
            f"[{walls[0]:.2f} - {walls[-1]:.2f}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, action="append", help="size(s); default 1000 10000")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; medians printed")
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_out:
        times = run_one(args.users[0], args.child_out)
        (args.child_out / "times.json").write_text(json.dumps(times))
        return
    for n in args.users or [1000, 10_000]:
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="iam-audit-bench-") as tmp:
                # In-process timings in a fresh process per size, so peak RSS is per size.
                subprocess.run(  # noqa: S603 - this script, our interpreter
                    [sys.executable, __file__, "--users", str(n), "--child-out", tmp], check=True
                )
                phases = json.loads((Path(tmp) / "times.json").read_text())
                runs.append({**phases, **run_cli(Path(tmp))})
        if args.repeat > 1:
            _median_table(n, runs)


if __name__ == "__main__":
    main()
