"""What --last-accessed costs: calls per principal and time, against AWS-format stubbed replies.

IAM's service-last-accessed jobs are per principal (GenerateServiceLastAccessedDetails, then
GetServiceLastAccessedDetails until the job is COMPLETED). moto does not implement them, so
the replies come from tests/fixtures/unused_access_replies.py, parsed by botocore exactly as
AWS's. ``--in-progress`` is how many reads find the job still running (AWS: usually 0-2 at the
first poll after 1 s). Polling waits are not slept; the bench adds them up instead, divided by
the number of jobs in flight, to estimate the wall time against AWS (API latency excluded).

    python bench/last_accessed_bench.py --principals 1000 --workers 4
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Fake credentials: every call is answered in-process by the stubs.
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
os.environ.update(FAKE_ENV)

import boto3  # noqa: E402

from audit.collect import last_accessed  # noqa: E402
from audit.collect.options import CollectOptions  # noqa: E402
from audit.collect.session import open_clients  # noqa: E402
from tests.fixtures.unused_access_replies import FakeLastAccessed  # noqa: E402

NOW = datetime(2026, 9, 30, tzinfo=UTC)
# An admin role's report lists every service: about 400 today.
SERVICES = [
    {"namespace": f"svc{i:03d}", "name": f"Service {i}", "last": NOW - timedelta(days=i)}
    for i in range(400)
]


def run(principals: int, workers: int, in_progress: int) -> None:
    session = boto3.session.Session()
    fake = FakeLastAccessed(lambda arn: SERVICES, reads_in_progress=in_progress, now=NOW)
    fake.install(session)
    iam = open_clients(CollectOptions(region="us-east-1", quiet=True), session).iam()
    waited: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            waited.append(seconds)

    targets = [
        last_accessed.Principal("role", f"r{i}", f"arn:aws:iam::123456789012:role/r{i}")
        for i in range(principals)
    ]
    started = time.perf_counter()
    results, outcomes = last_accessed.collect(
        iam, targets, budget_seconds=3600, workers=workers, sleep=sleep
    )
    local = time.perf_counter() - started
    calls = sum(o.calls for o in outcomes)
    assert all(r.status == "ok" for r in results)
    estimate = sum(waited) / workers
    print(
        f"{principals:>6} principals  in-progress reads {in_progress}  workers {workers}: "
        f"{calls:>6} calls ({calls / principals:.1f}/principal; the printed estimate says "
        f"{last_accessed.CALLS_PER_PRINCIPAL})  local {local:6.2f} s "
        f"({local / principals * 1000:.1f} ms/principal)  polling waits {estimate:7.1f} s "
        f"(~{estimate / principals:.2f} s/principal at {workers} jobs in flight)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--principals", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--in-progress", type=int, nargs="*", default=[0, 1, 2])
    args = parser.parse_args()
    for n in args.principals:
        for k in args.in_progress:
            run(n, args.workers, k)


if __name__ == "__main__":
    main()
