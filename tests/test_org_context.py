"""Organization snapshots: file round trip, and the pure merge into an account snapshot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from audit.engine import evaluate
from audit.errors import SnapshotError
from audit.model import OutcomeStatus
from audit.model_org import (
    PART_ORGANIZATION,
    PART_ORGANIZATIONS_FEATURES,
    PART_SERVICE_CONTROL_POLICIES,
    DelegatedAdministrator,
    TargetType,
)
from audit.org_context import account_context, attach_organization
from audit.snapshot_io import (
    ORGANIZATION_FILE_NAME,
    decode_organization,
    decode_snapshot,
    encode_organization,
    encode_snapshot,
    read_organization,
    read_snapshot,
    write_organization,
    write_snapshot,
)
from tests.rules.builders import T0, deny, doc, snapshot
from tests.rules.org_builders import (
    MANAGEMENT,
    PROD_OU,
    ROOT_ID,
    WEB_ACCOUNT,
    WEB_OU,
    ok_outcomes,
    org_snapshot,
    scp,
)

DENY_IAM = scp("DenyIAM", doc(deny("iam:*")), PROD_OU)


def test_organization_snapshot_round_trips_through_its_own_file(tmp_path: Path) -> None:
    org = replace(
        org_snapshot(scps=[DENY_IAM], root_features=("RootCredentialsManagement",)),
        delegated_administrators=(
            DelegatedAdministrator(WEB_ACCOUNT, "web", services=("sso.amazonaws.com",)),
        ),
    )
    path = tmp_path / ORGANIZATION_FILE_NAME
    sha = write_organization(org, path)
    back, read_sha = read_organization(path)
    assert back == org and sha == read_sha
    assert encode_organization(back) == encode_organization(org)  # deterministic bytes
    # Each reader refuses the other's file and says what it is.
    with pytest.raises(SnapshotError, match="it is an iam-audit organization snapshot"):
        decode_snapshot(path.read_bytes())
    with pytest.raises(SnapshotError, match="^not an iam-audit organization snapshot"):
        decode_organization(encode_snapshot(snapshot()))


def test_account_snapshot_with_its_organization_round_trips(tmp_path: Path) -> None:
    merged = attach_organization(
        replace(snapshot(), meta=replace(snapshot().meta, account_id=WEB_ACCOUNT)),
        org_snapshot(scps=[DENY_IAM]),
    )
    write_snapshot(merged, tmp_path / "s.json.gz")
    back, _ = read_snapshot(tmp_path / "s.json.gz")
    assert back == merged
    assert back.organization is not None and back.organization.ou_path_text == "Root/Prod/Web"


def test_an_older_snapshot_without_the_field_reads_as_single_account() -> None:
    # A file written before issue 9 has no "organization" key at all.
    assert decode_snapshot(encode_snapshot(snapshot())).organization is None


def test_context_of_a_member_names_its_path_and_scp_chain() -> None:
    context = account_context(org_snapshot(scps=[DENY_IAM]), WEB_ACCOUNT)
    assert not context.is_management and context.account_name == "web"
    assert [(n.id, n.type) for n in context.ou_path] == [
        (ROOT_ID, TargetType.ROOT),
        (PROD_OU, TargetType.ORGANIZATIONAL_UNIT),
        (WEB_OU, TargetType.ORGANIZATIONAL_UNIT),
    ]
    levels = [(lv.node.label, [p.name for p in lv.policies]) for lv in context.scps.levels]
    assert levels == [
        ("root", ["FullAWSAccess"]),
        ("OU Prod", ["FullAWSAccess", "DenyIAM"]),
        ("OU Web", ["FullAWSAccess"]),
        ("account 333333333333 (web)", ["FullAWSAccess"]),
    ]
    assert context.scps.applies and context.scps.gaps == ()
    assert MANAGEMENT in context.organization_account_ids and context.accounts_complete


def test_context_of_the_management_account_has_no_scps() -> None:
    context = account_context(org_snapshot(scps=[DENY_IAM]), MANAGEMENT)
    assert context.is_management and not context.scps.applies
    assert context.scps.not_applicable_reason == "SCPs never apply to the management account"


def test_an_account_the_organization_does_not_list_gets_an_unknown_chain() -> None:
    context = account_context(org_snapshot(), "999999999999")
    assert context.account_status == "" and context.ou_path == ()
    assert context.scps.gaps == ("the account's place in the organization is unknown",)


def test_organization_gaps_reach_the_account_as_outcomes_and_attach_is_idempotent() -> None:
    denied = tuple(
        replace(o, status=OutcomeStatus.ACCESS_DENIED, message="AccessDeniedException: no")
        if o.part == PART_SERVICE_CONTROL_POLICIES
        else o
        for o in ok_outcomes()
    )
    org = org_snapshot(outcomes=denied)
    member = replace(snapshot(), meta=replace(snapshot().meta, account_id=WEB_ACCOUNT))
    once = attach_organization(member, org)
    assert attach_organization(once, org) == once
    parts = [o.part for o in once.outcomes]
    assert parts.count(PART_SERVICE_CONTROL_POLICIES) == 1
    assert PART_ORGANIZATIONS_FEATURES not in parts  # judged on the management account only
    assert not once.has_part(PART_SERVICE_CONTROL_POLICIES)
    assert once.organization is not None
    assert once.organization.scps.gaps == (
        "service_control_policies access_denied: AccessDeniedException: no",
    )
    mgmt = attach_organization(
        replace(member, meta=replace(member.meta, account_id=MANAGEMENT)), org
    )
    assert {o.part for o in mgmt.outcomes} >= {PART_ORGANIZATION, PART_ORGANIZATIONS_FEATURES}
    assert PART_SERVICE_CONTROL_POLICIES not in {o.part for o in mgmt.outcomes}


def test_single_account_runs_say_why_organization_parts_are_missing() -> None:
    (gap,) = snapshot().part_gaps(PART_ORGANIZATION)
    assert gap.status is OutcomeStatus.NOT_SUPPORTED
    assert gap.message.startswith("single-account run")
    assert snapshot().failed_outcomes == ()  # and the run is not "incomplete" for it
    # Not counted as a failure of the run once attached either, when the organization is fine.
    merged = attach_organization(snapshot(), org_snapshot())
    assert merged.failed_outcomes == ()
    assert evaluate(merged, as_of=T0).findings  # evaluates without errors
