"""Benchmark Identity Center collection: requests and seconds as sets, accounts and users grow.

Starts moto's ThreadedMotoServer on 127.0.0.1, plants P permission sets, U users in G groups
(each group assigned every set in every account), then runs the real Identity Center collector
over HTTP and prints the requests sent (a botocore ``before-send`` hook), the requests the
README's formula predicts, and the seconds. moto provisions a set only to the calling account,
so the other A-1 accounts are passed as member accounts (what an organization run does), and
lacks GetPermissionsBoundaryForPermissionSet, which is patched in to answer "no boundary".

    .venv/bin/python bench/identity_center_bench.py
    .venv/bin/python bench/identity_center_bench.py --cases 10x5x1000,50x20x100
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.collect_bench import _free_port, _reset  # noqa: E402 - after the path is set

REGION = "us-east-1"
OWNER = "123456789012"
GROUPS = 10
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _accounts(n: int) -> list[str]:
    return [OWNER] + [f"{200000000000 + i:012d}" for i in range(1, n)]


def plant(endpoint: str, sets: int, accounts: int, users: int) -> None:
    import boto3

    sso = boto3.client("sso-admin", region_name=REGION, endpoint_url=endpoint)
    store = boto3.client("identitystore", region_name=REGION, endpoint_url=endpoint)
    instance = sso.list_instances()["Instances"][0]
    arn, store_id = instance["InstanceArn"], instance["IdentityStoreId"]
    groups = [
        store.create_group(IdentityStoreId=store_id, DisplayName=f"team-{g}")["GroupId"]
        for g in range(GROUPS)
    ]
    for u in range(users):
        uid = store.create_user(
            IdentityStoreId=store_id,
            UserName=f"person{u:05d}",
            DisplayName=f"Person {u}",
            Name={"GivenName": "P", "FamilyName": str(u)},
        )["UserId"]
        store.create_group_membership(
            IdentityStoreId=store_id, GroupId=groups[u % GROUPS], MemberId={"UserId": uid}
        )
    for s in range(sets):
        ps = sso.create_permission_set(InstanceArn=arn, Name=f"set-{s}", SessionDuration="PT4H")[
            "PermissionSet"
        ]["PermissionSetArn"]
        sso.attach_managed_policy_to_permission_set(
            InstanceArn=arn,
            PermissionSetArn=ps,
            ManagedPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
        )
        sso.provision_permission_set(
            InstanceArn=arn, PermissionSetArn=ps, TargetType="AWS_ACCOUNT", TargetId=OWNER
        )
        for account in _accounts(accounts):
            sso.create_account_assignment(
                InstanceArn=arn,
                TargetId=account,
                TargetType="AWS_ACCOUNT",
                PermissionSetArn=ps,
                PrincipalType="GROUP",
                PrincipalId=groups[s % GROUPS],
            )


def predicted(sets: int, accounts: int, users: int) -> int:
    """The README's formula: 2 + 6P + P*A + 2A + ceil(U/100) + ceil(G/100) + G."""
    pages = max(1, math.ceil(users / 100)) + max(1, math.ceil(GROUPS / 100))
    return 2 + 6 * sets + sets * accounts + 2 * accounts + pages + GROUPS


def measure(endpoint: str, sets: int, accounts: int, users: int) -> tuple[int, float, int]:
    import boto3

    from audit.collect import identity_center
    from audit.collect.options import CollectOptions
    from audit.collect.session import open_clients

    session = boto3.session.Session()
    sent: list[str] = []
    session.events.register("before-send", lambda request, **_: sent.append(request.url))
    members = tuple(_accounts(accounts)[1:])
    options = CollectOptions(region=REGION, endpoint_url=endpoint, sso_accounts=members)
    clients = open_clients(options, session)
    started = time.perf_counter()
    center, _outcomes = identity_center.collect(clients, OWNER, members)
    seconds = time.perf_counter() - started
    assert center is not None
    return len(sent), seconds, len(center.assignments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases",
        default="5x1x100,5x1x1000,20x1x100,20x10x100,50x20x100",
        help="comma-separated PxAxU: permission sets x accounts x users",
    )
    args = parser.parse_args()
    os.environ.update(FAKE_ENV)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(key, None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer
    from moto.ssoadmin.responses import SSOAdminResponse

    # moto lacks GetPermissionsBoundaryForPermissionSet (the collector would then ask it once,
    # not once per set): answer as AWS does for a set without a boundary, so the requests
    # counted are the ones an AWS account costs. The server runs in this process.
    SSOAdminResponse.get_permissions_boundary_for_permission_set = lambda _self: "{}"  # type: ignore[attr-defined]

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        print("| sets | accounts | users | groups | requests | formula | assignments | seconds |")
        print("|---|---|---|---|---|---|---|---|")
        for case in args.cases.split(","):
            sets, accounts, users = (int(x) for x in case.split("x"))
            _reset(endpoint)
            plant(endpoint, sets, accounts, users)
            requests, seconds, assignments = measure(endpoint, sets, accounts, users)
            formula = predicted(sets, accounts, users)
            print(
                f"| {sets} | {accounts} | {users:,} | {GROUPS} | {requests} | {formula} | "
                f"{assignments} | {seconds:.2f} |",
                flush=True,
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
