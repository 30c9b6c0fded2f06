"""Benchmark privilege escalation on a synthetic account: 10,000 users, 2,000 roles, 300 policies.

    .venv/bin/python bench/escalation_bench.py
    .venv/bin/python bench/escalation_bench.py --users 2000 --roles 400 --policies 60

The account mixes what makes the graph work hard: groups sharing policies, inline policies,
boundaries, roles trusting services, the account or named principals, and escalation actions
scattered with and without resource limits (PassRole on ``role/app-*``, AssumeRole on ``*``,
CreatePolicyVersion on ``policy/team-*``, credentials on ``user/${aws:username}``, takeover of
existing compute). Prints the time of the three escalation rules together (target 10 s), of
the whole engine (target 15 s), the findings they give and the peak RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit.engine import evaluate  # noqa: E402 - after the path set-up
from audit.findings import Status  # noqa: E402
from audit.model import (  # noqa: E402
    ALL_PARTS,
    ApiOutcome,
    AttachedPolicy,
    Group,
    InlinePolicy,
    ManagedPolicy,
    OutcomeStatus,
    Role,
    Snapshot,
    SnapshotMeta,
    User,
)
from audit.rules.registry import REGISTRY  # noqa: E402

ACCOUNT = "111122223333"
AS_OF = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SERVICES = ("s3", "ec2", "dynamodb", "lambda", "sqs", "sns", "logs", "kms", "rds", "glue")
TRUSTED = ("ec2", "lambda", "codebuild", "ecs-tasks", "glue", "cloudformation", "sagemaker")
ESCALATION_RULES = (
    "user-privilege-escalation",
    "role-privilege-escalation",
    "policy-privilege-escalation",
)


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _risky(rng: random.Random, i: int) -> dict[str, Any]:
    """One statement with an escalation action, limited or not."""
    role = f"arn:aws:iam::{ACCOUNT}:role"
    choices = [
        _allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "*"),
        _allow("iam:PassRole", f"{role}/app-*"),
        _allow(["ec2:RunInstances", "codebuild:CreateProject", "codebuild:StartBuild"]),
        _allow("sts:AssumeRole", "*"),
        _allow("sts:AssumeRole", f"{role}/team-{i % 50}-*"),
        _allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/team-*"),
        _allow("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/*"),
        _allow(
            ["iam:CreateAccessKey", "iam:UpdateLoginProfile"],
            f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
        ),
        _allow("lambda:UpdateFunctionCode", "*"),
        _allow("ssm:SendCommand", "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        _allow(
            "iam:AttachUserPolicy",
            "*",
            Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        ),
        _allow("iam:PutRolePolicy", f"{role}/app-*"),
    ]
    return rng.choice(choices)


def build(users: int, roles: int, policies: int, seed: int = 11) -> Snapshot:
    rng = random.Random(seed)
    admin = ManagedPolicy(
        "AdministratorAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "ANPAADMIN",
        "/",
        "v1",
        _doc(_allow("*")),
        attachment_count=5,
    )
    managed = [admin]
    for i in range(policies - 1):
        svc = rng.choice(SERVICES)
        statements = [_allow([f"{svc}:Get*", f"{svc}:List*", f"{svc}:Describe*"])]
        if i % 9 == 0:
            statements.append(_allow(f"{svc}:*", f"arn:aws:{svc}:::team-{i}-*"))
        if i % 6 == 0:
            statements.append(_risky(rng, i))
        managed.append(
            ManagedPolicy(
                f"team-{svc}-{i:03d}",
                f"arn:aws:iam::{ACCOUNT}:policy/team-{svc}-{i:03d}",
                f"ANPA{i:012d}",
                "/",
                "v1",
                _doc(*statements),
                attachment_count=10,
            )
        )
    boundary = ManagedPolicy(
        "DevBoundary",
        f"arn:aws:iam::{ACCOUNT}:policy/DevBoundary",
        "ANPABOUND",
        "/",
        "v1",
        _doc(_allow(["s3:*", "lambda:*", "iam:PassRole", "sts:AssumeRole"])),
        permissions_boundary_usage_count=100,
    )
    managed.append(boundary)

    def attach(p: ManagedPolicy) -> AttachedPolicy:
        return AttachedPolicy(p.name, p.arn)

    groups = [
        Group(
            f"g-{g:03d}",
            f"arn:aws:iam::{ACCOUNT}:group/g-{g:03d}",
            f"AGPA{g:08d}",
            "/",
            None,
            attached_policies=tuple(attach(p) for p in rng.sample(managed[1:-1], 3)),
        )
        for g in range(100)
    ]
    groups.append(
        Group(
            "admins",
            f"arn:aws:iam::{ACCOUNT}:group/admins",
            "AGPAADMINS",
            "/",
            None,
            attached_policies=(attach(admin),),
        )
    )
    user_list = []
    for u in range(users):
        name = f"user{u:05d}"
        member = tuple(g.name for g in rng.sample(groups[:-1], rng.randint(1, 3)))
        if u % 500 == 0:
            member += ("admins",)
        inline: tuple[InlinePolicy, ...] = ()
        if u % 10 == 0:
            inline = (InlinePolicy("own", _doc(_allow("s3:GetObject"), _risky(rng, u))),)
        user_list.append(
            User(
                name,
                f"arn:aws:iam::{ACCOUNT}:user/{name}",
                f"AIDA{u:012d}",
                "/",
                None,
                groups=member,
                inline_policies=inline,
                permissions_boundary_arn=boundary.arn if u % 7 == 0 else None,
                tags={"team": f"t{u % 20}"},
            )
        )
    role_list = []
    for r in range(roles):
        kind = r % 5
        name = f"app-{r:04d}" if r % 3 == 0 else f"team-{r % 50}-{r:04d}"
        if kind in (0, 1):
            principal: Any = {"Service": f"{rng.choice(TRUSTED)}.amazonaws.com"}
        elif kind in (2, 3):
            principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        else:
            principal = {
                "AWS": [
                    f"arn:aws:iam::{ACCOUNT}:user/user{rng.randrange(users):05d}",
                    f"arn:aws:iam::{ACCOUNT}:role/app-{rng.randrange(roles):04d}",
                ]
            }
        trust = _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
        attached = tuple(attach(p) for p in rng.sample(managed[1:-1], rng.randint(1, 2)))
        if r % 97 == 0:
            attached += (attach(admin),)
        inline = ()
        if r % 5 == 0:
            inline = (InlinePolicy("extra", _doc(_allow("dynamodb:*"), _risky(rng, r))),)
        role_list.append(
            Role(
                name,
                f"arn:aws:iam::{ACCOUNT}:role/{name}",
                f"AROA{r:012d}",
                "/",
                None,
                assume_role_policy=trust,
                inline_policies=inline,
                attached_policies=attached,
            )
        )
    meta = SnapshotMeta(ACCOUNT, "aws", AS_OF, "bench")
    outcomes = tuple(ApiOutcome(p, p, OutcomeStatus.OK) for p in ALL_PARTS)
    return Snapshot(
        meta=meta,
        outcomes=outcomes,
        users=tuple(user_list),
        groups=tuple(groups),
        roles=tuple(role_list),
        policies=tuple(managed),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--roles", type=int, default=2_000)
    parser.add_argument("--policies", type=int, default=300)
    args = parser.parse_args()
    started = time.perf_counter()
    snap = build(args.users, args.roles, args.policies)
    print(
        f"built {args.users} users, {args.roles} roles, {args.policies} policies "
        f"in {time.perf_counter() - started:.1f} s"
    )

    started, cpu = time.perf_counter(), time.process_time()
    result = evaluate(snap, as_of=AS_OF, rules=[REGISTRY[r] for r in ESCALATION_RULES])
    esc, esc_cpu = time.perf_counter() - started, time.process_time() - cpu
    for rule_id in ESCALATION_RULES:
        mine = [f for f in result.findings if f.rule_id == rule_id]
        failed = [f for f in mine if f.status is Status.FAIL]
        to_admin = [f for f in failed if f.details.get("to_admin")]
        print(f"  {rule_id}: {len(mine)} judged, {len(failed)} fail ({len(to_admin)} to an admin)")
    # CPU time too: on a shared machine the wall clock also counts other processes' turns.
    print(f"escalation rules together: {esc:.1f} s wall, {esc_cpu:.1f} s CPU (target 10 s)")

    started, cpu = time.perf_counter(), time.process_time()
    whole = evaluate(snap, as_of=AS_OF)
    total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"whole engine: {total:.1f} s wall, {total_cpu:.1f} s CPU for {len(whole.findings)} "
        "findings (target 15 s)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
