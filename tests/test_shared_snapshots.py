"""The shared snapshot factory (tests/fixtures/snapshots.py): what the benches measure is valid."""

from __future__ import annotations

from pathlib import Path

from audit.engine import evaluate
from audit.model import PART_PASSWORD_POLICY, OutcomeStatus
from audit.snapshot_io import read_snapshot, write_snapshot
from tests.fixtures.snapshots import SYNTHETIC_AT, snapshot, synthetic_snapshot


def test_synthetic_snapshot_is_seeded_and_survives_the_snapshot_file(tmp_path: Path) -> None:
    snap = synthetic_snapshot(300)
    assert snap == synthetic_snapshot(300)
    assert snap != synthetic_snapshot(300, seed=8)
    assert len(snap.users) == 300 and len(snap.credential_report) == 301  # + root
    assert len({u.name for u in snap.users}) == 300
    write_snapshot(snap, tmp_path / "s.json.gz")
    assert read_snapshot(tmp_path / "s.json.gz")[0] == snap
    result = evaluate(snap, SYNTHETIC_AT)
    failing_rules = {f.rule_id for f in result.failing}
    # a bench account exercises many rules, not one
    assert {"user-console-mfa", "access-key-rotation", "user-not-in-group"} <= failing_rules


def test_snapshot_routes_meta_fields_and_denies_missing_parts() -> None:
    snap = snapshot(regions=("eu-west-1",), source="demo", missing=(PART_PASSWORD_POLICY,))
    assert snap.meta.regions == ("eu-west-1",) and snap.meta.source == "demo"
    assert not snap.has_part(PART_PASSWORD_POLICY)
    denied = [o for o in snap.outcomes if o.status is OutcomeStatus.ACCESS_DENIED]
    assert [o.part for o in denied] == [PART_PASSWORD_POLICY]
