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
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit.model import (  # noqa: E402 - after the path set-up
    ALL_PARTS,
    ApiOutcome,
    AttachedPolicy,
    CredentialRow,
    Group,
    InlinePolicy,
    ManagedPolicy,
    OutcomeStatus,
    PasswordPolicy,
    ReportAccessKey,
    Snapshot,
    SnapshotMeta,
    User,
)

ACCOUNT = "111122223333"
AS_OF = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SERVICES = ("s3", "ec2", "dynamodb", "lambda", "sqs", "sns", "logs", "cloudwatch", "kms", "rds")
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _policies(rng: random.Random, count: int) -> list[ManagedPolicy]:
    out = [
        ManagedPolicy(
            "AdministratorAccess",
            ADMIN_ARN,
            "ANPAADMIN",
            "/",
            "v1",
            _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            attachment_count=3,
        )
    ]
    for i in range(count):
        svc = rng.choice(SERVICES)
        action = f"{svc}:*" if i % 7 == 0 else [f"{svc}:Get*", f"{svc}:List*", f"{svc}:Describe*"]
        out.append(
            ManagedPolicy(
                f"team-{svc}-{i:03d}",
                f"arn:aws:iam::{ACCOUNT}:policy/team-{svc}-{i:03d}",
                f"ANPA{i:012d}",
                "/",
                "v1",
                _doc({"Effect": "Allow", "Action": action, "Resource": "*"}),
                attachment_count=1,
            )
        )
    return out


def synthetic_snapshot(users: int, seed: int = 7) -> Snapshot:
    rng = random.Random(seed)
    policies = _policies(rng, max(20, users // 50))
    group_count = max(10, users // 100)
    groups = []
    for g in range(group_count):
        attached = tuple(AttachedPolicy(p.name, p.arn) for p in rng.sample(policies[1:], k=3)) + (
            (AttachedPolicy("AdministratorAccess", ADMIN_ARN),) if g == 0 else ()
        )
        inline = (
            (
                InlinePolicy(
                    f"g{g}-inline",
                    _doc({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}),
                ),
            )
            if g % 5 == 0
            else ()
        )
        groups.append(
            Group(
                f"team-{g:03d}",
                f"arn:aws:iam::{ACCOUNT}:group/team-{g:03d}",
                f"AGPA{g:08d}",
                "/",
                AS_OF - timedelta(days=900),
                inline,
                attached,
            )
        )
    user_list: list[User] = []
    rows: list[CredentialRow] = [
        CredentialRow(
            "<root_account>",
            f"arn:aws:iam::{ACCOUNT}:root",
            AS_OF - timedelta(days=2000),
            None,
            AS_OF - timedelta(days=300),
            None,
            None,
            True,
            sentinels={"password_enabled": "not_supported"},
        )
    ]
    for u in range(users):
        name = f"user{u:05d}" if u % 997 else f"=cmd{u}"  # a few hostile names
        arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
        created = AS_OF - timedelta(days=rng.randint(30, 1500))
        member_of = tuple(g.name for g in rng.sample(groups, k=rng.choice((0, 1, 1, 2, 3))))
        direct = (
            (AttachedPolicy(policies[u % len(policies)].name, policies[u % len(policies)].arn),)
            if u % 23 == 0
            else ()
        )
        inline = (
            (
                InlinePolicy(
                    "own", _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
                ),
            )
            if u % 31 == 0
            else ()
        )
        user_list.append(
            User(
                name,
                arn,
                f"AIDA{u:012d}",
                "/",
                created,
                member_of,
                inline,
                direct,
                f"arn:aws:iam::{ACCOUNT}:policy/boundary" if u % 4 == 0 else None,
            )
        )
        console = rng.random() < 0.6
        keys = []
        for slot in (1, 2):
            if rng.random() < (0.7 if slot == 1 else 0.15):
                rotated = AS_OF - timedelta(days=rng.choice((5, 40, 80, 120, 200, 400, 900)))
                used = rotated + timedelta(days=rng.randint(0, (AS_OF - rotated).days))
                keys.append(
                    ReportAccessKey(
                        slot,
                        rng.random() < 0.9,
                        rotated,
                        used if rng.random() < 0.85 else None,
                        "us-east-1",
                        "s3",
                    )
                )
        rows.append(
            CredentialRow(
                name,
                arn,
                created,
                console,
                AS_OF - timedelta(days=rng.randint(0, 200)) if console else None,
                created if console else None,
                None,
                console and rng.random() < 0.75,
                tuple(keys),
                sentinels={} if console else {"password_last_used": "N/A"},
            )
        )
    return Snapshot(
        meta=SnapshotMeta(
            ACCOUNT,
            "aws",
            AS_OF,
            "bench",
            f"arn:aws:iam::{ACCOUNT}:user/auditor",
            AS_OF - timedelta(hours=2),
            source="bench",
        ),
        outcomes=tuple(ApiOutcome(f"iam:{p}", p, OutcomeStatus.OK, calls=1) for p in ALL_PARTS),
        credential_report=tuple(rows),
        users=tuple(user_list),
        groups=tuple(groups),
        policies=tuple(policies),
        password_policy=PasswordPolicy(minimum_password_length=12, require_symbols=True),
        account_aliases=("bench-corp",),
    )


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
        lambda: [json_files.finding_json(f) for f in view.findings],
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
        lambda: [json_files.findings_json(records), json_files.summary_json(view)],
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
