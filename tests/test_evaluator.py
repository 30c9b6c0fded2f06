"""The effective-permissions evaluator: IAM's evaluation logic on hand-written documents."""

from __future__ import annotations

import pytest

from audit.permissions import (
    ESCALATION_METHODS,
    Verdict,
    access,
    admin_access,
    document_permissions,
    escalations,
    parse_document,
    user_permissions,
    wildcard_match,
)
from tests.fixtures.snapshots import ADMIN, allow, deny, doc, group, policy, snapshot, user


def perms_of(*statements: dict[str, object]):  # type: ignore[no-untyped-def]
    return document_permissions("policy P", doc(*statements))


def test_statement_and_strings_are_normalised() -> None:
    single = {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    (st,) = parse_document(single)
    assert st.actions == ("s3:GetObject",) and st.resources == ("*",)
    listed = doc(allow(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::a/*", "arn:aws:s3:::b"]))
    (st,) = parse_document(listed)
    assert st.actions == ("s3:GetObject", "s3:PutObject")
    assert st.resources == ("arn:aws:s3:::a/*", "arn:aws:s3:::b")


def test_malformed_statement_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Effect must be Allow or Deny"):
        parse_document({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]})
    with pytest.raises(ValueError, match="Action must be a string or a list"):
        parse_document({"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]})


@pytest.mark.parametrize(
    ("glob", "action", "hit"),
    [
        ("iam:*", "iam:PassRole", True),
        ("IAM:passrole", "iam:PassRole", True),
        ("iam:Put*", "iam:PutUserPolicy", True),
        ("iam:put*", "IAM:PUTGROUPPOLICY", True),
        ("iam:Put*", "iam:PassRole", False),
        ("*", "lambda:UpdateFunctionCode", True),
        ("iam:?assRole", "iam:PassRole", True),
        ("s3:*", "iam:PassRole", False),
        ("iam:Pass", "iam:PassRole", False),  # no implicit prefix match
    ],
)
def test_wildcards_match_case_insensitively(glob: str, action: str, hit: bool) -> None:
    assert wildcard_match(glob, action) is hit


@pytest.mark.parametrize(
    "action",
    ["iam:PassRole", "IAM:PUTUSERPOLICY", "iam:Pass", "s3:GetObject", "ec2:DescribeRegions", "x"],
)
@pytest.mark.parametrize("not_action", [False, True])
def test_a_statement_matches_an_action_as_any_of_its_patterns_would(
    action: str, not_action: bool
) -> None:
    # A statement's list is matched as one pattern (speed): the answer must be the one of
    # matching each pattern in turn, Not* flipping it.
    globs = ["iam:Put*", "iam:?assRole", "s3:Get*", "iam:Pass", "ec2:Describe*"]
    key = "NotAction" if not_action else "Action"
    (st,) = parse_document(doc({"Effect": "Allow", key: globs, "Resource": "*"}))
    expected = any(wildcard_match(g, action) for g in globs) != not_action
    assert st.matches_action(action) is expected
    (empty,) = parse_document(doc({"Effect": "Allow", key: [], "Resource": "*"}))
    assert empty.matches_action(action) is not_action


def test_wildcard_case_grants_the_action() -> None:
    got = access(perms_of(allow("IAM:passROLE")), "iam:PassRole")
    assert got.verdict is Verdict.ALLOWED
    assert got.paths == ("policy P",)


def test_not_action_allows_everything_it_does_not_list() -> None:
    perms = perms_of({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert access(perms, "ec2:RunInstances").verdict is Verdict.ALLOWED
    assert access(perms, "iam:PassRole").verdict is Verdict.NOT_GRANTED
    # NotAction with every-action-but-IAM is not full admin
    assert admin_access(perms).verdict is Verdict.NOT_GRANTED


def test_explicit_deny_overrides_allow() -> None:
    perms = perms_of(allow("iam:*"), deny("iam:CreateAccessKey"))
    got = access(perms, "iam:CreateAccessKey")
    assert got.verdict is Verdict.DENIED
    assert got.paths == ("policy P",)
    assert access(perms, "iam:PassRole").verdict is Verdict.ALLOWED


def test_deny_on_specific_resources_or_under_condition_is_only_a_note() -> None:
    perms = perms_of(
        allow("iam:PassRole"),
        deny("iam:PassRole", "arn:aws:iam::123456789012:role/prod"),
        deny("iam:PassRole", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
    )
    got = access(perms, "iam:PassRole")
    assert got.verdict is Verdict.ALLOWED
    assert len(got.notes) == 2
    assert any("role/prod" in n for n in got.notes)
    assert any("under a condition" in n for n in got.notes)


def test_deny_from_another_path_removes_the_action() -> None:
    denier = policy("NoKeys", doc(deny("iam:CreateAccessKey")))
    snap = snapshot(
        users=(user("u", groups=("g",), inline={"keys": doc(allow("iam:CreateAccessKey"))}),),
        groups=(group("g", attached=(denier,)),),
        policies=(denier,),
    )
    got = access(user_permissions(snap, snap.users[0]), "iam:CreateAccessKey")
    assert got.verdict is Verdict.DENIED
    assert got.paths == ("via group g -> policy NoKeys",)


def test_conditional_allow_is_reported_as_conditional() -> None:
    cond = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    perms = perms_of(allow("*", Condition=cond))
    assert access(perms, "iam:PassRole").verdict is Verdict.CONDITIONAL
    assert admin_access(perms).verdict is Verdict.CONDITIONAL
    # a plain allow next to the conditional one wins
    both = perms_of(allow("*", Condition=cond), allow("iam:PassRole"))
    assert access(both, "iam:PassRole").verdict is Verdict.ALLOWED


def test_not_resource_and_specific_resources() -> None:
    role = "arn:aws:iam::123456789012:role/app"
    perms = perms_of(
        allow("iam:PassRole", role),
        {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"},
        {"Effect": "Allow", "Action": "ec2:*", "NotResource": "*"},
    )
    got = access(perms, "iam:PassRole")
    assert got.verdict is Verdict.ALLOWED and got.resources == (role,)
    s3 = access(perms, "s3:GetObject")
    assert s3.resources == ("every resource except arn:aws:s3:::secret/*",)
    # NotResource "*" matches no resource at all
    assert access(perms, "ec2:RunInstances").verdict is Verdict.NOT_GRANTED
    # specific resources never make * on *
    assert admin_access(perms_of(allow("*", role))).verdict is Verdict.NOT_GRANTED


def test_paths_name_group_and_policy() -> None:
    snap = snapshot(
        users=(user("alice", groups=("g-admins",), inline={"own": doc(allow("s3:*"))}),),
        groups=(group("g-admins", attached=(ADMIN,), inline={"extra": doc(allow("ec2:*"))}),),
        policies=(ADMIN,),
    )
    perms = user_permissions(snap, snap.users[0])
    assert [s.path for s in perms.sources] == [
        "via inline policy own",
        "via group g-admins -> inline policy extra",
        "via group g-admins -> policy AdministratorAccess",
    ]
    got = admin_access(perms)
    assert got.verdict is Verdict.ALLOWED
    assert got.paths == ("via group g-admins -> policy AdministratorAccess",)


def test_boundary_intersects() -> None:
    bound = policy("S3Only", doc(allow("s3:*")), attachments=0)
    snap = snapshot(
        users=(user("b", attached=(ADMIN,), boundary=bound.arn),),
        policies=(ADMIN, bound),
    )
    perms = user_permissions(snap, snap.users[0])
    assert perms.boundary is not None
    assert access(perms, "s3:GetObject").verdict is Verdict.ALLOWED
    outside = access(perms, "iam:PassRole")
    assert outside.verdict is Verdict.NOT_GRANTED
    assert "outside permissions boundary S3Only" in outside.notes
    assert admin_access(perms).verdict is Verdict.NOT_GRANTED
    # the boundary alone grants nothing
    alone = snapshot(users=(user("c", boundary=bound.arn),), policies=(bound,))
    assert access(user_permissions(alone, alone.users[0]), "s3:GetObject").verdict is (
        Verdict.NOT_GRANTED
    )


def test_boundary_deny_and_conditional_boundary() -> None:
    bound = policy("NoIam", doc(allow("*"), deny("iam:*")), attachments=0)
    cond = policy(
        "MfaOnly", doc(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    )
    snap = snapshot(
        users=(
            user("d", attached=(ADMIN,), boundary=bound.arn),
            user("e", attached=(ADMIN,), boundary=cond.arn),
        ),
        policies=(ADMIN, bound, cond),
    )
    d = user_permissions(snap, snap.users[0])
    assert access(d, "iam:PassRole").verdict is Verdict.NOT_GRANTED
    assert access(d, "ec2:RunInstances").verdict is Verdict.ALLOWED
    e = user_permissions(snap, snap.users[1])
    assert access(e, "iam:PassRole").verdict is Verdict.CONDITIONAL
    assert admin_access(e).verdict is Verdict.CONDITIONAL


def test_admin_with_broad_deny_is_not_admin() -> None:
    got = admin_access(perms_of(allow("*"), deny("iam:*")))
    assert got.verdict is Verdict.NOT_GRANTED
    assert "denied" in got.notes[0]


def test_missing_policy_and_group_are_unresolved() -> None:
    ghost = "arn:aws:iam::123456789012:policy/Gone"
    u = user("f", groups=("nowhere",), boundary=ghost)
    snap = snapshot(users=(u,))
    perms = user_permissions(snap, u)
    assert not perms.complete
    assert perms.unresolved == ("group nowhere", ghost)


@pytest.mark.parametrize("method", ESCALATION_METHODS, ids=lambda m: m.name)
def test_each_escalation_method_is_found_exactly_when_all_its_actions_are_held(method) -> None:  # type: ignore[no-untyped-def]
    perms = perms_of(allow(list(method.actions)))
    found = {e.method.name: e for e in escalations(perms)}
    assert method.name in found
    assert found[method.name].verdict is Verdict.ALLOWED
    assert found[method.name].paths == ("policy P",)
    if len(method.actions) > 1:
        # one action short: the combination is not a method
        partial = perms_of(allow(list(method.actions[1:])))
        assert method.name not in {e.method.name for e in escalations(partial)}
    # an explicit deny of the first action removes it
    denied = perms_of(allow(list(method.actions)), deny(method.actions[0]))
    assert method.name not in {e.method.name for e in escalations(denied)}


def test_escalation_through_wildcards_and_conditions() -> None:
    names = {e.method.name for e in escalations(perms_of(allow("iam:Put*")))}
    assert names == {"iam:PutUserPolicy", "iam:PutGroupPolicy"}
    cond = perms_of(
        allow("iam:CreateAccessKey", Condition={"Bool": {"aws:SecureTransport": "true"}})
    )
    (esc,) = escalations(cond)
    assert esc.verdict is Verdict.CONDITIONAL
    assert "(conditional)" in esc.describe()
    assert escalations(perms_of(allow(["s3:*", "ec2:Describe*"]))) == ()
    assert len(escalations(perms_of(allow("*")))) == len(ESCALATION_METHODS)


def test_combination_paths_come_from_different_policies() -> None:
    pass_role = policy("PassApp", doc(allow("iam:PassRole")))
    snap = snapshot(
        users=(user("g", groups=("ops",), inline={"ec2": doc(allow("ec2:RunInstances"))}),),
        groups=(group("ops", attached=(pass_role,)),),
        policies=(pass_role,),
    )
    found = {e.method.name: e for e in escalations(user_permissions(snap, snap.users[0]))}
    esc = found["iam:PassRole + ec2:RunInstances"]
    assert esc.paths == ("via group ops -> policy PassApp", "via inline policy ec2")


SELF = "arn:aws:iam::*:user/${aws:username}"


def test_own_credentials_are_not_escalation() -> None:
    # AWS's "manage your own credentials" policy: keys and password for yourself only.
    own = perms_of(
        allow(["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"], SELF)
    )
    assert escalations(own) == ()
    # The same actions on any user, or next to a grant on any user, still escalate.
    anyone = perms_of(allow("iam:CreateAccessKey", ["arn:aws:iam::*:user/*"]))
    assert {e.method.name for e in escalations(anyone)} == {"iam:CreateAccessKey"}
    both = perms_of(allow("iam:CreateAccessKey", SELF), allow("iam:CreateAccessKey", "*"))
    assert {e.method.name for e in escalations(both)} == {"iam:CreateAccessKey"}
    # Policies on yourself are escalation even when scoped to yourself.
    attach_self = perms_of(allow("iam:AttachUserPolicy", SELF))
    assert {e.method.name for e in escalations(attach_self)} == {"iam:AttachUserPolicy"}
    # The plain question "may this user create an access key?" still says yes.
    assert access(own, "iam:CreateAccessKey").granted
