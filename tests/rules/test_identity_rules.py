"""How access is granted: users through groups, groups with managed policies, roles' trust."""

from __future__ import annotations

from audit.findings import Status
from audit.model import Role
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import ADMIN, allow, doc, group, policy, role, snapshot, user
from tests.rules.builders import by_name, run, statuses

READ = policy("Read", doc(allow("s3:Get*")))


def test_user_inline_and_attached_policy() -> None:
    snap = snapshot(
        users=(
            user("inline", inline={"p1": doc(allow("s3:*"))}),
            user("attached", attached=(READ,)),
            user("clean", groups=("g",)),
        ),
        policies=(READ,),
    )
    inline = run("user-inline-policy", snap)
    assert statuses(inline) == {
        "inline": Status.FAIL,
        "attached": Status.PASS,
        "clean": Status.PASS,
    }
    assert by_name(inline)["inline"].message == "inline has inline policy: p1"
    attached = run("user-attached-policy", snap)
    assert statuses(attached) == {
        "inline": Status.PASS,
        "attached": Status.FAIL,
        "clean": Status.PASS,
    }
    assert "Read" in by_name(attached)["attached"].message


def test_user_not_in_group() -> None:
    got = run("user-not-in-group", snapshot(users=(user("a", groups=("g",)), user("b"))))
    assert statuses(got) == {"a": Status.PASS, "b": Status.FAIL}
    assert by_name(got)["b"].message == "b is not in any group."


def test_user_no_permissions_boundary() -> None:
    bound = f"arn:aws:iam::{ACCOUNT_ID}:policy/Boundary"
    got = run(
        "user-no-permissions-boundary", snapshot(users=(user("a", boundary=bound), user("b")))
    )
    assert statuses(got) == {"a": Status.PASS, "b": Status.FAIL}
    assert bound in by_name(got)["a"].message


def test_group_inline_policy() -> None:
    snap = snapshot(groups=(group("g1", inline={"extra": doc(allow("s3:*"))}), group("g2")))
    got = run("group-inline-policy", snap)
    assert statuses(got) == {"g1": Status.FAIL, "g2": Status.PASS}
    assert "extra" in by_name(got)["g1"].message


def test_group_empty() -> None:
    snap = snapshot(
        users=(user("a", groups=("used",)),),
        groups=(group("used"), group("idle", attached=(ADMIN,))),
    )
    got = run("group-empty", snap)
    assert statuses(got) == {"used": Status.PASS, "idle": Status.FAIL}
    assert (
        by_name(got)["idle"].message == "Group idle has no members (carries AdministratorAccess)."
    )


def _role(name: str, trust: dict[str, object]) -> Role:
    return role(name, trust=trust)


def test_role_trust_any_principal() -> None:
    assume = "sts:AssumeRole"
    snap = snapshot(
        roles=(
            _role("open", doc({"Effect": "Allow", "Principal": "*", "Action": assume})),
            _role(
                "open-aws",
                {"Statement": {"Sid": "Any", "Effect": "Allow", "Principal": {"AWS": ["*"]}}},
            ),
            _role(
                "conditioned",
                doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": assume,
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}},
                    }
                ),
            ),
            _role(
                "service",
                doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}),
            ),
        )
    )
    got = run("role-trust-any-principal", snap)
    assert statuses(got) == {
        "open": Status.FAIL,
        "open-aws": Status.FAIL,
        "conditioned": Status.PASS,
        "service": Status.PASS,
    }
    assert "(Any)" in by_name(got)["open-aws"].message
    assert "(statement 1)" in by_name(got)["open"].message
