"""Identity Center changes between two snapshots: people, assignments, permission sets."""

from __future__ import annotations

from dataclasses import replace

from audit.model_sso import PART_IDENTITY_STORE
from audit.workflow.identity_changes import identity_changes
from audit.workflow.sso_changes import sso_changes
from tests.fixtures.identity_center import (
    center,
    person,
    pset,
    sso_snapshot,
    team,
    to_group,
    to_user,
)
from tests.fixtures.snapshots import allow, doc, snapshot, without

READ = pset("Read", inline=doc(allow("s3:GetObject")))
ADMIN = pset("Admin")


def test_people_assignments_and_sets() -> None:
    old = center(
        sets=(READ, ADMIN),
        users=(person("ana"), person("ben")),
        groups=(team("devs"),),
        assignments=(to_group(READ, "devs"), to_user(ADMIN, "ben")),
    )
    edited = replace(READ, session_duration="PT12H", inline_policy=doc(allow("s3:*")))
    new = center(
        sets=(edited, pset("Billing")),
        users=(person("ana"), person("cy")),
        groups=(team("devs"),),
        assignments=(to_group(edited, "devs"), to_user(edited, "cy")),
    )
    changes = {
        (kind, name): detail
        for kind, _type, name, detail in sso_changes(sso_snapshot(old), sso_snapshot(new))
    }
    assert changes == {
        ("person-added", "cy"): "Identity Center user cy added",
        ("person-removed", "ben"): "Identity Center user ben removed",
        (
            "assignment-granted",
            "user cy -> Read in 123456789012",
        ): "granted: user cy -> Read in 123456789012",
        (
            "assignment-revoked",
            "user ben -> Admin in 123456789012",
        ): "revoked: user ben -> Admin in 123456789012",
        ("permission-set-created", "Billing"): "permission set Billing created",
        ("permission-set-deleted", "Admin"): "permission set Admin deleted",
        (
            "permission-set-edited",
            "Read",
        ): "permission set Read: session duration, inline policy changed",
    }


def test_nothing_changed_and_instance_appearing() -> None:
    c = center(sets=(READ,), users=(person("ana"),))
    assert sso_changes(sso_snapshot(c), sso_snapshot(c)) == []
    assert sso_changes(snapshot(), snapshot()) == []
    (found,) = sso_changes(snapshot(), sso_snapshot(c))
    assert found[0] == "sso-instance-added"


def test_the_review_diff_lists_them_or_says_why_not() -> None:
    old = sso_snapshot(center(sets=(READ,), users=(person("ana"),)))
    new = sso_snapshot(center(sets=(READ,), users=(person("ana"), person("bo"))))
    changes, notes = identity_changes(old, new)
    assert [c.kind for c in changes] == ["person-added"] and notes == ()
    changes, notes = identity_changes(without(old, PART_IDENTITY_STORE), new)
    assert changes == ()
    assert notes == ("Identity Center not compared: not collected completely in both snapshots",)
