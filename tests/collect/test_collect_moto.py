"""collect_snapshot against an in-process moto account: every part, normalised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit import __version__
from audit.collect import identity_center
from audit.model import ALL_PARTS, PART_LAST_ACCESSED, PART_UNUSED_FINDINGS, OutcomeStatus
from tests.collect.conftest import ACCOUNT, REGION, collect


@pytest.mark.usefixtures("moto_account")
def test_full_collection_fills_every_part() -> None:
    before = datetime.now(UTC)
    snap = collect()
    meta = snap.meta
    assert (meta.account_id, meta.partition, meta.tool_version) == (ACCOUNT, "aws", __version__)
    assert meta.caller_arn.startswith(f"arn:aws:sts::{ACCOUNT}:")
    assert before <= meta.collected_at <= datetime.now(UTC)
    assert meta.credential_report_generated_at is not None
    assert meta.regions == (REGION,)
    assert meta.source == "aws"
    assert {o.part for o in snap.outcomes} == set(ALL_PARTS)
    assert not snap.failed_outcomes
    for outcome in snap.outcomes:
        # No call: service last accessed not asked for (opt-in), and no unused-access
        # analyzer among those ListAnalyzers returned (nothing to list findings of).
        no_call = {PART_LAST_ACCESSED, PART_UNUSED_FINDINGS}
        assert outcome.calls >= 1 or outcome.part in no_call
        if outcome.status is OutcomeStatus.OK:
            assert outcome.payload_sha256 is not None
            assert len(outcome.payload_sha256) == 64


@pytest.mark.usefixtures("moto_account")
def test_identities_and_policies() -> None:
    snap = collect()
    users = {u.name: u for u in snap.users}
    assert sorted(users) == ["alice", "bob", "null"]
    bob = users["bob"]
    assert bob.groups == ("readers",)
    assert [p.name for p in bob.inline_policies] == ["inline"]
    assert bob.inline_policies[0].document["Statement"][0]["Action"] == "s3:GetObject"
    assert [p.name for p in bob.attached_policies] == ["ReadObjects"]
    assert bob.tags == {"team": "t"}
    assert bob.create_date is not None and bob.create_date.tzinfo is UTC
    (group,) = snap.groups
    assert [p.name for p in group.inline_policies] == ["g-inline"]
    (role,) = snap.roles
    assert role.assume_role_policy["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert role.permissions_boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/ReadObjects"
    (policy,) = snap.policies  # no AWS managed policy is in use here
    assert policy.name == "ReadObjects"
    assert policy.document["Statement"][0]["Resource"] == "*"
    assert policy.attachment_count == 2


@pytest.mark.usefixtures("moto_account")
def test_account_settings() -> None:
    snap = collect()
    assert snap.password_policy is not None
    assert snap.password_policy.minimum_password_length == 12
    assert snap.password_policy.require_symbols is True
    assert snap.account_summary["Users"] == 3
    (device,) = snap.virtual_mfa_devices
    assert device.user_name == "alice"
    assert snap.account_aliases == ("collect-tests",)
    assert snap.saml_providers == (f"arn:aws:iam::{ACCOUNT}:saml-provider/corp-idp",)
    assert snap.oidc_providers == (
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
    )
    rows = {r.user: r for r in snap.credential_report}
    assert rows["alice"].password_enabled is True
    assert rows["alice"].mfa_active is True
    assert rows["bob"].active_keys[0].last_rotated is not None
    assert "null" in rows  # a user literally named "null" survives the CSV


@pytest.mark.usefixtures("aws_env")
def test_no_password_policy_is_ok_and_none() -> None:
    from moto import mock_aws

    with mock_aws():
        snap = collect()
    outcome = next(o for o in snap.outcomes if o.api == "iam:GetAccountPasswordPolicy")
    assert outcome.status is OutcomeStatus.OK
    assert outcome.message == "NoSuchEntity"
    assert snap.password_policy is None
    assert snap.users == ()


@pytest.mark.usefixtures("moto_account")
def test_access_analyzer_unsupported_on_moto_is_recorded_not_raised() -> None:
    snap = collect(analyzer_regions=("us-east-1", "eu-west-1"))
    analyzer = [o for o in snap.outcomes if o.api == "access-analyzer:ListAnalyzers"]
    assert [o.region for o in analyzer] == ["us-east-1", "eu-west-1"]
    assert all(o.status is OutcomeStatus.NOT_SUPPORTED for o in analyzer)
    assert not snap.failed_outcomes  # nothing the operator could grant would fix it


@pytest.mark.usefixtures("moto_account")
def test_enabled_regions_come_from_describe_regions() -> None:
    snap = collect(analyzer_regions=None)
    described = next(o for o in snap.outcomes if o.api == "ec2:DescribeRegions")
    assert described.status is OutcomeStatus.OK
    assert "us-east-1" in snap.meta.regions
    assert "ap-east-1" not in snap.meta.regions  # an opt-in region that is not enabled
    assert len(snap.meta.regions) > 10


@pytest.mark.usefixtures("moto_account")
def test_payload_hash_is_stable_across_runs() -> None:
    # GenerateCredentialReport answers STARTED, then COMPLETE: its payload differs by design.
    def hashes() -> dict[str, str | None]:
        got = {o.api: o.payload_sha256 for o in collect().outcomes}
        assert got.pop("iam:GenerateCredentialReport")
        return got

    first = hashes()
    # one outcome per API, + ListFindingsV2 and service last accessed
    assert len(first) == 12 + len(identity_center.ACTIONS)
    assert first == hashes()
