"""'Who is an administrator and why': direct admins (with the conditional badge the admin rule
now writes) and administrators by escalation, built from the findings."""

from __future__ import annotations

from audit.engine import evaluate
from audit.report.charts import render_charts
from audit.report.html import render_html
from audit.report.options import ReportOptions
from audit.report.view import build_view
from tests.fixtures.snapshots import ADMIN, T0, allow, doc, group, policy, snapshot, user

MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def _view():  # type: ignore[no-untyped-def]
    keys = policy("Keys", doc(allow("iam:CreateAccessKey", Condition=MFA_ONLY)))
    snap = snapshot(
        users=(
            user("boss", groups=("admins",)),
            user("vpn-admin", inline={"p": doc(allow("*", Condition=MFA_ONLY))}),
            user("minter", inline={"p": doc(allow("iam:CreateAccessKey"))}),
            user("maybe", attached=(keys,)),
            user("reader", inline={"p": doc(allow("s3:GetObject"))}),
        ),
        groups=(group("admins", attached=(ADMIN,)),),
        policies=(ADMIN, keys),
    )
    return build_view(snap, "0" * 64, evaluate(snap, as_of=T0))


def test_direct_admins_carry_the_conditional_flag() -> None:
    view = _view()
    flags = {a.user: a.conditional for a in view.admin_paths}
    assert flags == {"boss": False, "vpn-admin": True}


def test_admins_by_escalation_are_listed_separately_plain_first() -> None:
    view = _view()
    got = [(a.principal, a.conditional) for a in view.escalated_admins]
    assert got[0] == ("user minter", ())
    assert ("user maybe", ("needs MFA",)) in got
    assert all(a.principal != "user reader" for a in view.escalated_admins)
    minter = view.escalated_admins[0]
    assert minter.steps[0] == "user minter -[iam:CreateAccessKey]-> user boss"


def test_html_shows_both_lists() -> None:
    view = _view()
    html = render_html(view, render_charts(view.charts), ReportOptions()).decode()
    direct, _, by_escalation = html.partition('id="sec-admins-escalation"')
    assert "vpn-admin" in direct and "st-not_assessed" in direct
    assert "user minter -[iam:CreateAccessKey]-&gt; user boss" in by_escalation
    assert "only if: needs MFA" in by_escalation
