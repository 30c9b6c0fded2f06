"""Benchmark collection: requests, seconds and peak memory as the account grows.

Starts moto's ThreadedMotoServer on 127.0.0.1, plants N users (each in two groups, with an
access key, a console password and an inline policy), runs the real collector against it over
HTTP and prints, for each N, the requests sent (counted with a botocore ``before-send`` hook),
the seconds collection took and the collector's peak memory.

The collector runs in a fresh child process per N, so its memory is measured apart from the
server's (which lives in this process): "peak RSS" is the child's maximum resident set,
"growth" how much collection added to it, "heap peak" the Python heap's peak (tracemalloc)
in a second, identical run (which must send the very same requests).

Planting: ``--plant api`` sends the writes through the server (about 400 writes/s);
``--plant backend`` (the default) calls the same moto IAM backend methods the server's
handlers call, in this process, which is ~50x faster and gives the server identical state.

    .venv/bin/python bench/collect_bench.py                 # N = 100, 1000, 5000
    .venv/bin/python bench/collect_bench.py --sizes 100,2000 --plant api
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import socket
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGION = "us-east-1"
ACCOUNT = "123456789012"
GROUPS = 20
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
INLINE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - local moto
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - http://127.0.0.1 only
        pass


def _warm_up(endpoint: str) -> None:
    """moto builds each backend on first use (EC2's takes seconds): do it before timing."""
    import boto3

    boto3.client("ec2", region_name=REGION, endpoint_url=endpoint).describe_regions()
    boto3.client("sts", region_name=REGION, endpoint_url=endpoint).get_caller_identity()
    boto3.client("iam", region_name=REGION, endpoint_url=endpoint).get_account_summary()


def plant_api(endpoint: str, users: int) -> None:
    import boto3

    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint)
    for g in range(GROUPS):
        iam.create_group(GroupName=f"group-{g:02d}")
    for i in range(users):
        name = f"user-{i:05d}"
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName=f"group-{i % GROUPS:02d}", UserName=name)
        iam.add_user_to_group(GroupName=f"group-{(i + 1) % GROUPS:02d}", UserName=name)
        iam.create_access_key(UserName=name)
        iam.create_login_profile(UserName=name, Password="Bench-passw0rd-not-real!")  # noqa: S106
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=INLINE)


def plant_backend(users: int) -> None:
    from moto.iam.models import iam_backends

    backend = iam_backends[ACCOUNT]["aws"]
    for g in range(GROUPS):
        backend.create_group(f"group-{g:02d}")
    for i in range(users):
        name = f"user-{i:05d}"
        backend.create_user(REGION, name)
        backend.add_user_to_group(f"group-{i % GROUPS:02d}", name)
        backend.add_user_to_group(f"group-{(i + 1) % GROUPS:02d}", name)
        backend.create_access_key(name)
        backend.create_login_profile(name, "Bench-passw0rd-not-real!")
        backend.put_user_policy(name, "inline", INLINE)


def _status_kib(field: str) -> int:
    # /proc/self/status VmHWM is this process's own peak RSS (getrusage's ru_maxrss is not:
    # it survives exec and so includes the forked copy of the parent).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(endpoint: str, analyzer_regions: tuple[str, ...] | None) -> dict[str, Any]:
    """Runs in a child process: one collection counted and timed, one under tracemalloc."""
    os.environ.update(FAKE_ENV)
    import tracemalloc

    import boto3

    from audit.collect import CollectOptions, collect_snapshot
    from audit.model import Snapshot
    from audit.snapshot_io import encode_snapshot

    # max_attempts=1: moto's server answers Access Analyzer with HTTP 500, which a real run
    # retries with backoff (about a minute); nothing here is throttled, so that is not the cost
    # being measured.
    options = CollectOptions(
        region=REGION,
        endpoint_url=endpoint,
        analyzer_regions=analyzer_regions,
        quiet=True,
        max_attempts=1,
    )

    def run() -> tuple[Snapshot, Counter[str]]:
        session = boto3.session.Session()
        sent: Counter[str] = Counter()

        def count(request: Any, event_name: str, **_: Any) -> None:
            # event: before-send.<service>.<Operation>
            sent[event_name.split(".", 1)[1]] += 1

        session.events.register("before-send", count)
        return collect_snapshot(options, session=session), sent

    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
    baseline = _status_kib("VmRSS")
    started = time.perf_counter()
    snapshot, sent = run()
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    del snapshot
    tracemalloc.start()
    snapshot, again = run()
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if again != sent:
        raise RuntimeError(f"two runs sent different requests: {sent} vs {again}")
    return {
        "requests": sum(sent.values()),
        "by_operation": dict(sorted(sent.items())),
        "seconds": seconds,
        "peak_rss_mib": peak / 1024,
        "growth_mib": (peak - baseline) / 1024,
        "heap_peak_mib": heap_peak / 2**20,
        "users": len(snapshot.users),
        "report_rows": len(snapshot.credential_report),
        "planted": (
            sum(len(u.inline_policies) for u in snapshot.users),
            sum(len(u.groups) for u in snapshot.users),
            sum(len(r.active_keys) for r in snapshot.credential_report),
        ),
        "regions": len(snapshot.meta.regions),
        "failed": [f"{o.api}: {o.status.value}" for o in snapshot.failed_outcomes],
        "snapshot_kib": len(encode_snapshot(snapshot)) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated user counts")
    parser.add_argument("--plant", choices=("backend", "api"), default="backend")
    parser.add_argument(
        "--analyzer-region",
        action="append",
        dest="analyzer_regions",
        help="repeatable; default: every enabled region (ec2 DescribeRegions)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    regions = tuple(args.analyzer_regions) if args.analyzer_regions else None
    os.environ.update(FAKE_ENV)
    # The server logs a traceback for the API it lacks (Access Analyzer): expected, not news.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)

    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    spawn = multiprocessing.get_context("spawn")
    print(f"moto server {endpoint}; planting via {args.plant}; {GROUPS} groups", flush=True)
    header = (
        f"{'users':>6} {'plant s':>8} {'requests':>8} {'req/user':>8} {'seconds':>8} "
        f"{'peak RSS MiB':>12} {'growth MiB':>10} {'heap peak MiB':>13} {'snapshot KiB':>12}"
    )
    results = []
    try:
        _warm_up(endpoint)
        for n in sizes:
            _reset(endpoint)
            planted = time.perf_counter()
            if args.plant == "api":
                plant_api(endpoint, n)
            else:
                plant_backend(n)
            plant_seconds = time.perf_counter() - planted
            with spawn.Pool(1) as pool:
                got = pool.apply(measure, (endpoint, regions))
            # Everything planted must come back: N users, inline policies and keys, 2N memberships.
            seen = (got["users"], got["report_rows"], *got["planted"])
            if seen != (n, n, n, 2 * n, n):
                raise SystemExit(f"collected {seen} for N={n}: the bench is broken")
            results.append((n, plant_seconds, got))
            if len(results) == 1:
                print(header)
            print(
                f"{n:>6} {plant_seconds:>8.1f} {got['requests']:>8} "
                f"{got['requests'] / n:>8.3f} {got['seconds']:>8.2f} "
                f"{got['peak_rss_mib']:>12.0f} {got['growth_mib']:>10.0f} "
                f"{got['heap_peak_mib']:>13.1f} {got['snapshot_kib']:>12.0f}",
                flush=True,
            )
    finally:
        server.stop()
    last = results[-1][2]
    print(f"requests by operation (N={results[-1][0]}, {last['regions']} analyzer regions):")
    for operation, count in last["by_operation"].items():
        print(f"  {count:>3}  {operation}")
    if last["failed"]:
        # One line per API: moto's server fails Access Analyzer in every region alike.
        counted = Counter(last["failed"])
        print("failed outcomes: " + "; ".join(f"{what} x{n}" for what, n in counted.items()))


if __name__ == "__main__":
    main()
