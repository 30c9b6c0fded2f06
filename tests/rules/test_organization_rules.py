"""The organization rules: pass, fail and not assessed, in members, the management account and
single-account runs."""

from __future__ import annotations

from dataclasses import replace

from audit.findings import Finding, Severity, Status
from audit.model import OutcomeStatus
from audit.model_org import PART_ORGANIZATIONS_FEATURES
from tests.fixtures.snapshots import cred_row, role, root_row, snapshot, without
from tests.rules.builders import by_name, run, statuses
from tests.rules.org_builders import (
    ACCOUNTS,
    MANAGEMENT,
    WEB_ACCOUNT,
    in_org,
    ok_outcomes,
    org_snapshot,
)

OUTSIDE = "999988887777"


def _trust(principal: str | list[str], **condition: object) -> dict[str, object]:
    st: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


# --- org-member-iam-users --------------------------------------------------------------------

PEOPLE = snapshot(
    credential_report=(
        root_row(),
        cred_row("console", mfa=True),
        cred_row("keys-only", password=False, key_ages=(30,)),
        cred_row("retired", password=False),
    )
)


def test_member_users_with_credentials_fail_and_the_ou_is_named() -> None:
    findings = by_name(run("org-member-iam-users", in_org(PEOPLE, account_id=WEB_ACCOUNT)))
    assert {n: f.status for n, f in findings.items()} == {
        "console": Status.FAIL,
        "keys-only": Status.FAIL,
        "retired": Status.PASS,
    }
    assert findings["console"].message == (
        f"IAM user console in member account {WEB_ACCOUNT} (Root/Prod/Web) has a console "
        "password: people should come through IAM Identity Center or federation."
    )
    assert "has 1 active access key:" in findings["keys-only"].message
    assert "CIS v5.0 1.20" in findings["console"].controls
    assert "CIS v6.0 2.20" in findings["console"].controls


def test_a_member_without_iam_users_passes() -> None:
    findings = run("org-member-iam-users", in_org(snapshot(credential_report=(root_row(),))))
    assert [f.status for f in findings] == [Status.PASS]  # nothing to judge


def test_the_management_account_is_judged_by_the_user_rules_instead() -> None:
    (finding,) = run("org-member-iam-users", in_org(PEOPLE, account_id=MANAGEMENT))
    assert finding.status is Status.PASS and finding.resource_type == "account"
    assert finding.message.startswith("Management account: CIS 1.20 judges the member accounts")


def test_member_users_not_assessed_in_a_single_account_run() -> None:
    (finding,) = run("org-member-iam-users", PEOPLE)
    assert finding.status is Status.NOT_ASSESSED
    assert "single-account run" in finding.message


# --- org-root-access-centralised --------------------------------------------------------------


def _management(features: tuple[str, ...] | None) -> list[Finding]:
    org = org_snapshot(root_features=features)
    return run("org-root-access-centralised", in_org(snapshot(), org, account_id=MANAGEMENT))


def test_root_access_centralised_passes_when_root_credentials_management_is_on() -> None:
    (finding,) = _management(("RootCredentialsManagement", "RootSessions"))
    assert finding.status is Status.PASS
    assert "privileged root sessions: enabled" in finding.message


def test_root_access_centralised_fails_when_off() -> None:
    (finding,) = _management(())
    assert finding.status is Status.FAIL
    assert finding.message.startswith("Centralised root access is not enabled for o-exampleorg1")


def test_root_access_centralised_not_assessed_when_the_features_could_not_be_read() -> None:
    denied = tuple(
        replace(o, status=OutcomeStatus.ACCESS_DENIED, message="AccessDenied: no")
        if o.part == PART_ORGANIZATIONS_FEATURES
        else o
        for o in ok_outcomes()
    )
    org = org_snapshot(root_features=None, outcomes=denied)
    (finding,) = run("org-root-access-centralised", in_org(snapshot(), org, account_id=MANAGEMENT))
    assert finding.status is Status.NOT_ASSESSED
    assert "organizations_features access_denied: AccessDenied: no" in finding.message


def test_root_access_centralised_is_judged_only_on_the_management_account() -> None:
    (member,) = run(
        "org-root-access-centralised", in_org(snapshot(), org_snapshot(root_features=()))
    )
    assert member.status is Status.PASS
    assert (
        member.message
        == f"Organization-wide setting: judged on the management account {MANAGEMENT}."
    )
    (single,) = run("org-root-access-centralised", snapshot())
    assert single.status is Status.NOT_ASSESSED and "single-account run" in single.message


# --- role-trust-external-account --------------------------------------------------------------

ROLES = snapshot(
    roles=(
        role("partner", trust=_trust(f"arn:aws:iam::{OUTSIDE}:root")),
        role("vendor", trust=_trust(OUTSIDE, StringEquals={"sts:ExternalId": "abc-123"})),
        role("sibling", trust=_trust(f"arn:aws:iam::{WEB_ACCOUNT}:role/deployer")),
        role(
            "ec2",
            trust={
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            },
        ),
        role(
            "mixed",
            trust=_trust(
                [f"arn:aws:iam::{MANAGEMENT}:root", f"arn:aws:sts::{OUTSIDE}:assumed-role/x/y"],
                ArnLike={"aws:SourceArn": f"arn:aws:s3:::{OUTSIDE}-bucket"},
            ),
        ),
    )
)


def test_trust_to_an_account_outside_the_organization() -> None:
    findings = by_name(run("role-trust-external-account", in_org(ROLES)))
    assert statuses(list(findings.values())) == {
        "partner": Status.FAIL,
        "vendor": Status.FAIL,
        "sibling": Status.PASS,
        "ec2": Status.PASS,
        "mixed": Status.FAIL,
    }
    partner, vendor, mixed = findings["partner"], findings["vendor"], findings["mixed"]
    assert partner.severity is Severity.HIGH
    assert partner.message == (
        f"Role partner trusts account(s) outside the organization: {OUTSIDE} "
        "(no ExternalId or source condition)."
    )
    assert vendor.severity is Severity.LOW
    assert f"{OUTSIDE} (requires sts:ExternalId)" in vendor.message
    # The management account is in the organization; the outside one needs a source ARN.
    assert mixed.severity is Severity.LOW and MANAGEMENT not in mixed.message
    assert f"{OUTSIDE} (requires aws:SourceArn)" in mixed.message
    assert (
        findings["sibling"].message
        == "Role sibling trusts no account outside the organization o-exampleorg1."
    )


def test_in_a_single_account_run_every_other_account_counts_and_the_rule_says_so() -> None:
    findings = by_name(run("role-trust-external-account", ROLES))
    assert findings["sibling"].status is Status.FAIL  # another account, ours or not
    assert (
        "in another account (a single-account run cannot tell which are in your organization)"
        in findings["sibling"].message
    )
    assert findings["ec2"].message == "Role ec2 trusts no account outside this account."


def test_an_incomplete_account_list_leaves_unknown_accounts_not_assessed() -> None:
    partial = tuple(
        replace(o, status=OutcomeStatus.ACCESS_DENIED, message="AccessDenied")
        if o.part == "organization"
        else o
        for o in ok_outcomes()
    )
    known = tuple(a for a in ACCOUNTS if a.id != WEB_ACCOUNT)  # the OU holding it was not listed
    org = org_snapshot(accounts=known, outcomes=partial)
    findings = by_name(run("role-trust-external-account", in_org(ROLES, org)))
    assert findings["sibling"].status is Status.NOT_ASSESSED
    assert (
        "not in the organization's account list, which was not read completely"
        in findings["sibling"].message
    )
    assert findings["partner"].status is Status.NOT_ASSESSED  # the same holds for any unknown id


def test_role_trust_external_account_not_assessed_without_roles() -> None:
    (finding,) = run("role-trust-external-account", without(in_org(ROLES), "authorization_details"))
    assert finding.status is Status.NOT_ASSESSED
