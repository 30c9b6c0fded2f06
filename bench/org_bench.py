"""Benchmark an organization run against a local moto server, and today's per-account loop.

Starts a moto server in this process (werkzeug, like moto's ThreadedMotoServer) with a small
WSGI wrapper that counts every request by account and operation (the account is moto's own
answer for the request's access key; an AssumeRole counts for the account whose role it
assumes). Plants an organization: the management account and ``--accounts`` members in four
OUs (one nested, an SCP on one), each with the reader role and ``--users`` users in three
groups - keys (some two), console passwords (most with MFA), inline and customer managed
policies - and two roles. Planting goes through the moto backends in this process (the very
objects the server's handlers use: ~50x faster than API calls), the organization through the
server's API.

Then it measures, each a child process of this one (``os.wait4`` gives its CPU and peak RSS):

(a) ``iam-audit org run`` over the whole organization, every format (html,pdf,csv,json: the
    organization PDF, account PDFs off as by default): wall, CPU, peak RSS, requests per
    account (every member must send the same number: today's single-account count plus one
    AssumeRole), and this process's CPU meanwhile (the moto server's share).
(b) today's ``iam-audit run`` once per account, same formats (a PDF per account, as `run`
    writes), on the first ``--loop-sample`` members with each member's AssumeRole
    credentials, and that per-account time extrapolated to every account of the organization.

Both runs use ``--analyzer-region us-east-1`` (not every region) and ``--max-attempts 1``.
moto's server has neither Access Analyzer nor iam:ListOrganizationsFeatures (it fails them
with HTTP errors, which a real run retries with backoff): the wrapper answers them as AWS does
for an account without analyzers and an organization without those features, and counts them.

    .venv/bin/python bench/org_bench.py                       # 200 accounts x 25 users
    .venv/bin/python bench/org_bench.py --accounts 20 --loop-sample 5 --keep /tmp/orgbench
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGION = "us-east-1"
FORMATS = "html,pdf,csv,json"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
AWS = "arn:aws:iam::aws:policy"
OUTSIDE_ACCOUNT = "999988887777"
READER_ROLE = "iam-audit-reader"
_KEY = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/")
_NO_FEATURES = (
    b'<ListOrganizationsFeaturesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
    b"<ListOrganizationsFeaturesResult><EnabledFeatures/></ListOrganizationsFeaturesResult>"
    b"<ResponseMetadata><RequestId>org-bench</RequestId></ResponseMetadata>"
    b"</ListOrganizationsFeaturesResponse>"
)
_COMMON = ["--region", REGION, "--analyzer-region", REGION, "--max-attempts", "1"]


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str) -> str:
    return _doc({"Effect": "Allow", "Action": action, "Resource": "*"})


# --- the server and its request count -----------------------------------------------------


class CountingApp:
    """WSGI wrapper: counts each request by (account, service:Operation) before moto sees it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from moto.iam.models import get_account_id_from

        found = _KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.rsplit(".", 1)[-1] if target else ""
        form: dict[str, list[str]] = {}
        if not operation:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            operation = form.get("Action", [""])[0] or environ.get("PATH_INFO", "")
        if found is not None and found.group(2) == "access-analyzer":
            # moto's server has no Access Analyzer (it prints a line and fails each call):
            # answer as AWS does for an account without analyzers, and count it below.
            return self._no_analyzers(found.group(1), environ, start_response)
        if found is None:
            account, service = "-", "-"
        else:
            account, service = get_account_id_from(found.group(1)), found.group(2)
        if operation == "ListOrganizationsFeatures":
            # Not in moto (HTTP 500, so the management account would end "incomplete"):
            # answer "no feature enabled", as AWS does for an organization without them.
            with self._lock:
                self.counts[(account, f"{service}:{operation}")] += 1
            start_response("200 OK", [("Content-Type", "text/xml")])
            return [_NO_FEATURES]
        if operation == "AssumeRole":  # the member's cost: attribute it to the member
            arn = form.get("RoleArn", [""])[0].split(":")
            account = arn[4] if len(arn) > 4 else account
        with self._lock:
            self.counts[(account, f"{service}:{operation}")] += 1
        return self.app(environ, start_response)

    def _no_analyzers(self, key: str, environ: dict[str, Any], start_response: Any) -> Any:
        from moto.iam.models import get_account_id_from

        path = environ.get("PATH_INFO", "")
        with self._lock:
            self.counts[(get_account_id_from(key), f"access-analyzer:{path}")] += 1
        if environ.get("REQUEST_METHOD") == "GET" and path == "/analyzer":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"analyzers": []}']
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"message": "not in this bench"}']

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self.counts)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[str, CountingApp, Callable[[], None]]:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = CountingApp(DomainDispatcherApplication(create_backend_app))
    port = _free_port()
    server = make_server("127.0.0.1", port, app, True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()

    return f"http://127.0.0.1:{port}", app, stop


# --- planting -------------------------------------------------------------------------------


def plant_account(account_id: str, users: int, management_id: str, peer: str) -> None:
    """A member like a real one, straight into its moto IAM backend (see the module)."""
    from moto.iam.models import iam_backends

    from audit.collect.demo_org import add_aws_policies, trust_document

    add_aws_policies(account_id, ("AdministratorAccess", "ReadOnlyAccess", "SecurityAudit"))
    iam = iam_backends[account_id]["aws"]
    if account_id != management_id:
        reader = iam.create_role(
            READER_ROLE,
            trust_document(f"arn:aws:iam::{management_id}:root"),
            "/",
            None,
            "",
            [],
            None,
        )
        iam.attach_role_policy(f"{AWS}/SecurityAudit", reader.name)
    iam.create_role(
        "ci-deploy", trust_document(f"arn:aws:iam::{peer}:root"), "/", None, "", [], None
    )
    iam.put_role_policy("ci-deploy", "deploy", _allow("cloudformation:*"))
    iam.create_role(
        "vendor-monitoring",
        trust_document(OUTSIDE_ACCOUNT, StringEquals={"sts:ExternalId": "bench"}),
        "/",
        None,
        "",
        [],
        None,
    )
    iam.attach_role_policy(f"{AWS}/ReadOnlyAccess", "vendor-monitoring")
    deploy = iam.create_policy("deploy", "/", _allow("s3:PutObject"), "deploy-app", [])
    for group, arn in (
        ("admins", f"{AWS}/AdministratorAccess"),
        ("developers", f"{AWS}/ReadOnlyAccess"),
        ("auditors", f"{AWS}/SecurityAudit"),
    ):
        iam.create_group(group)
        iam.attach_group_policy(arn, group)
    iam.put_group_policy("developers", "logs", _allow("logs:*"))
    for i in range(users):
        name = f"user-{i:03d}"
        iam.create_user(REGION, name)
        iam.add_user_to_group(("admins", "developers", "auditors")[i % 3], name)
        if i % 5 == 0:
            iam.add_user_to_group("developers", name)
        if i % 2 == 0:
            iam.create_access_key(name)
        if i % 10 == 0:
            iam.create_access_key(name)
        if i % 3 != 2:
            iam.create_login_profile(name, "Bench-passw0rd-not-real!")
            if i % 4 != 0:  # some console users without MFA
                device = iam.create_virtual_mfa_device(name, "/")
                iam.enable_mfa_device(name, device.serial_number, "123456", "654321")
        if i % 7 == 0:
            iam.put_user_policy(name, "inline", _allow("ec2:Describe*"))
        if i % 6 == 0:
            iam.attach_user_policy(deploy.arn, name)


def plant_organization(endpoint: str, accounts: int, users: int) -> tuple[str, list[str]]:
    """The organization through the server; each account's IAM in its backend."""
    import boto3

    orgs = boto3.client("organizations", region_name=REGION, endpoint_url=endpoint)
    management = orgs.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ous = {}
    for name in ("Prod", "Dev", "Sandbox"):
        made = orgs.create_organizational_unit(ParentId=root, Name=name)
        ous[name] = made["OrganizationalUnit"]["Id"]
    web = orgs.create_organizational_unit(ParentId=ous["Prod"], Name="Web")
    ous["Prod/Web"] = web["OrganizationalUnit"]["Id"]
    scp = orgs.create_policy(
        Name="SandboxNoIamChanges",
        Description="deny IAM changes",
        Type="SERVICE_CONTROL_POLICY",
        Content=_doc({"Effect": "Deny", "Action": ["iam:Create*", "iam:Put*"], "Resource": "*"}),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp, TargetId=ous["Sandbox"])
    targets = list(ous.values())
    members = []
    for i in range(accounts):
        made = orgs.create_account(AccountName=f"member-{i:03d}", Email=f"m{i}@example.com")
        account_id = made["CreateAccountStatus"]["AccountId"]
        orgs.move_account(
            AccountId=account_id, SourceParentId=root, DestinationParentId=targets[i % 4]
        )
        members.append(account_id)
    everyone = [management, *members]
    for i, account_id in enumerate(everyone):
        plant_account(account_id, users, management, everyone[i - 1])
    return management, members


# --- measuring ------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:  # a process may end while it is looked at
            for task in Path(f"/proc/{current}/task").glob("*/children"):
                todo += [int(c) for c in task.read_text().split()]
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(argv: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run ``argv``: wall and CPU seconds (os.wait4: the process and its children), peak RSS.

    ``rss_mib``: the largest single process (ru_maxrss); ``tree_rss_mib``: the largest sum
    over the process and its workers, sampled every 0.1 s.
    """
    started = time.perf_counter()
    peak = [0]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                peak[0] = max(peak[0], sum(_rss_kib(p) for p in _tree(proc.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
        "tree_rss_mib": peak[0] / 1024,
        "exit": proc.returncode,
    }


def per_account(counts: Counter[tuple[str, str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for (account, _op), n in counts.items():
        total[account] += n
    return total


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(FAKE_ENV)
    env.update(extra or {})
    return env


def run_org(endpoint: str, app: CountingApp, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    before = app.snapshot()
    server_cpu = time.process_time()
    workers = ["--workers", str(args.workers)] if args.workers else []
    got = timed(
        [
            *shlex.split(args.wrap),
            sys.executable,
            "-m",
            "audit",
            "org",
            "run",
            "--endpoint-url",
            endpoint,
            *_COMMON,
            "--out",
            str(out / "org"),
            "--format",
            FORMATS,
            "--concurrency",
            str(args.concurrency),
            *workers,
        ],
        _child_env(),
        out / "org.log",
    )
    got["server_cpu"] = time.process_time() - server_cpu
    got["counts"] = app.snapshot() - before
    return got


def run_loop(
    endpoint: str, app: CountingApp, out: Path, members: Iterable[str]
) -> list[dict[str, Any]]:
    import boto3

    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint)
    runs = []
    for account_id in members:
        before = app.snapshot()
        started = time.perf_counter()
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{READER_ROLE}", RoleSessionName="iam-audit"
        )["Credentials"]
        env = _child_env(
            {
                "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"],
            }
        )
        argv = [sys.executable, "-m", "audit", "run", "--endpoint-url", endpoint, *_COMMON]
        argv += ["--out", str(out / "loop" / account_id), "--format", FORMATS, "-q"]
        got = timed(argv, env, out / f"loop-{account_id}.log")
        got["wall"] = time.perf_counter() - started  # the AssumeRole included
        got["counts"] = app.snapshot() - before
        runs.append(got)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200, help="member accounts")
    parser.add_argument("--users", type=int, default=25, help="IAM users per account")
    parser.add_argument("--loop-sample", type=int, default=20, help="members run one by one")
    parser.add_argument("--concurrency", type=int, default=8, help="org run --concurrency")
    parser.add_argument("--workers", type=int, help="org run --workers (default: its own)")
    parser.add_argument(
        "--wrap",
        default="",
        help="prefix the org run's command, e.g. 'py-spy record -o org.svg --' (to profile it)",
    )
    parser.add_argument("--keep", type=Path, help="write the runs here (default: a temp dir)")
    args = parser.parse_args()
    os.environ.update(FAKE_ENV)
    os.environ.pop("AWS_PROFILE", None)
    # The server logs a traceback for each API moto lacks (Access Analyzer): expected, not news.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)

    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
    # mkdtemp creates the folder itself: without --keep there is nothing more to make.
    out = args.keep or Path(tempfile.mkdtemp(prefix="org-bench-"))
    endpoint, app, stop = start_server()
    try:
        started = time.perf_counter()
        management, members = plant_organization(endpoint, args.accounts, args.users)
        print(
            f"moto server {endpoint}: organization with {len(members)} members + management, "
            f"{args.users} users each, planted in {time.perf_counter() - started:.1f} s; "
            f"output {out}",
            flush=True,
        )
        print(f"load average before (1/5/15 min): {_loadavg()}", flush=True)
        org = run_org(endpoint, app, out, args)
        print(f"load average after org run: {_loadavg()}", flush=True)
        loop = run_loop(endpoint, app, out, members[: args.loop_sample])
        print(f"load average after loop: {_loadavg()}", flush=True)
    finally:
        stop()
    report(org, loop, management, members, args, out)


def report(
    org: dict[str, Any],
    loop: list[dict[str, Any]],
    management: str,
    members: list[str],
    args: argparse.Namespace,
    out: Path,
) -> None:
    accounts = len(members) + 1
    workers = f", --workers {args.workers}" if args.workers else ""
    print(
        f"\n(a) iam-audit org run, {accounts} accounts, --concurrency {args.concurrency}{workers}:"
    )
    print(
        f"    wall {org['wall']:.1f} s, CPU {org['cpu']:.1f} s (with its workers), peak RSS "
        f"{org['tree_rss_mib']:.0f} MiB (process and workers together; largest one "
        f"{org['rss_mib']:.0f} MiB), exit {org['exit']}; moto server CPU meanwhile "
        f"{org['server_cpu']:.1f} s"
    )
    by_account = per_account(org["counts"])
    member_counts = Counter(by_account[m] for m in members)
    print(
        f"    requests: {sum(by_account.values())} in all; management {by_account[management]}; "
        "per member (requests: members) "
        + ", ".join(f"{n}: {k}" for n, k in sorted(member_counts.items()))
    )
    if loop:
        walls = [r["wall"] for r in loop]
        mean = sum(walls) / len(walls)
        loop_counts = Counter(sum(per_account(r["counts"]).values()) for r in loop)
        print(f"\n(b) iam-audit run once per account, {len(loop)} members measured:")
        print(
            f"    per account: wall {mean:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
            f"CPU {sum(r['cpu'] for r in loop) / len(loop):.2f} s, peak RSS "
            f"{max(r['rss_mib'] for r in loop):.0f} MiB; requests per account "
            + ", ".join(f"{n}: {k}" for n, k in sorted(loop_counts.items()))
            + " (AssumeRole included)"
        )
        estimate = mean * accounts
        print(
            f"    extrapolated to {accounts} accounts: {estimate:.0f} s "
            f"({len(loop)} measured x {accounts / len(loop):.1f})"
        )
        print(f"\nspeed-up of org run over the loop: {estimate / org['wall']:.1f}x")
    operations: Counter[str] = Counter()
    member = members[0] if members else management
    for (account, operation), n in org["counts"].items():
        if account == member:
            operations[operation] += n
    print(f"\nrequests of one member ({member}) in the org run, by operation:")
    for operation, n in sorted(operations.items()):
        print(f"  {n:>4}  {operation}")
    failed = [r for r in loop if r["exit"] not in (0, 3)]
    if org["exit"] not in (0, 3) or failed:
        print(f"\nunexpected exit codes: see the logs in {out}")


if __name__ == "__main__":
    main()
