"""The credential report parser on the real AWS format, moto's variant and broken input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit.collect.credential_report import CredentialReportError, parse_credential_report
from audit.model import Sentinel
from tests.fixtures.credential_reports import (
    ALL_REPORTS,
    AWS_REPORT,
    COLUMNS,
    EXTRA_COLUMNS_REPORT,
    MISSING_COLUMNS_REPORT,
    MOTO_REPORT,
    NOT_SUPPORTED_REPORT,
    ONLY_ROOT_REPORT,
    make_report_csv,
)


@pytest.mark.parametrize("name", sorted(ALL_REPORTS))
def test_every_fixture_parses_with_aware_utc_datetimes(name: str) -> None:
    rows = parse_credential_report(ALL_REPORTS[name])
    assert rows
    for row in rows:
        stamps = [row.user_creation_time, row.password_last_used, row.password_last_changed]
        stamps += [k.last_rotated for k in row.access_keys] + [k.last_used for k in row.access_keys]
        for stamp in stamps:
            assert stamp is None or stamp.utcoffset() is not None


def test_root_row() -> None:
    rows = parse_credential_report(AWS_REPORT)
    root = rows[0]
    assert root.is_root
    assert root.arn == "arn:aws:iam::123456789012:root"
    assert root.password_enabled is None
    assert root.sentinel("password_enabled") == Sentinel.NOT_SUPPORTED
    assert root.password_last_used == datetime(2024, 11, 2, 8, 15, tzinfo=UTC)
    assert root.mfa_active is True
    assert root.active_keys == ()
    assert not any(k.exists for k in root.access_keys)


def test_console_user_with_key() -> None:
    rows = {r.user: r for r in parse_credential_report(AWS_REPORT)}
    alice = rows["alice"]
    assert alice.password_enabled is True
    assert alice.mfa_active is True
    assert alice.password_next_rotation is None
    assert alice.sentinel("password_next_rotation") == "N/A"
    key1, key2 = alice.access_keys
    assert (key1.slot, key1.active, key1.last_used_region, key1.last_used_service) == (
        1,
        True,
        "eu-west-1",
        "s3",
    )
    assert key1.last_rotated == datetime(2024, 10, 1, tzinfo=UTC)
    assert not key2.exists


def test_never_used_is_kept_apart_from_no_password() -> None:
    rows = {r.user: r for r in parse_credential_report(AWS_REPORT)}
    assert rows["bob"].password_last_used is None
    assert rows["bob"].sentinel("password_last_used") == Sentinel.NO_INFORMATION
    assert rows["ci-deploy"].password_last_used is None
    assert rows["ci-deploy"].sentinel("password_last_used") == Sentinel.NOT_APPLICABLE


def test_second_key_never_used_and_global_service_region() -> None:
    rows = {r.user: r for r in parse_credential_report(AWS_REPORT)}
    ci = rows["ci-deploy"]
    assert [k.active for k in ci.access_keys] == [True, True]
    assert ci.access_keys[1].last_used is None
    assert ci.sentinel("access_key_2_last_used_date") == "N/A"
    assert ci.certificates[0].active is True
    reader = rows["iam-reader"].access_keys[0]
    assert reader.last_used_region is None
    assert reader.last_used_service == "iam"


def test_user_names_null_and_na_survive() -> None:
    users = [r.user for r in parse_credential_report(AWS_REPORT)]
    assert "null" in users
    assert "NA" in users


def test_only_root() -> None:
    rows = parse_credential_report(ONLY_ROOT_REPORT)
    assert len(rows) == 1
    assert rows[0].is_root
    assert rows[0].password_last_used is None
    assert rows[0].sentinel("password_last_used") == Sentinel.NO_INFORMATION


def test_not_supported_partition() -> None:
    rows = {r.user: r for r in parse_credential_report(NOT_SUPPORTED_REPORT)}
    gov = rows["gov-user"]
    assert gov.password_last_used is None
    assert gov.sentinel("password_last_used") == Sentinel.NOT_SUPPORTED
    assert gov.access_keys[0].last_used is None
    assert gov.sentinel("access_key_1_last_used_date") == Sentinel.NOT_SUPPORTED


@pytest.mark.parametrize("column", ["access_key_1_active", "mfa_active", "cert_2_last_rotated"])
def test_a_missing_documented_column_makes_the_report_unreadable(column: str) -> None:
    # Read as blank, a missing access_key_1_active made every key "inactive": rules passed on
    # data that is not there. Every column AWS documents is required, by name.
    content = make_report_csv([{"user": "alice"}], columns=tuple(c for c in COLUMNS if c != column))
    with pytest.raises(CredentialReportError, match=f"lacks the column {column} "):
        parse_credential_report(content)


def test_a_renamed_column_is_a_missing_one() -> None:
    content = make_report_csv([{"user": "alice"}]).replace(b"mfa_active", b"mfa_enabled", 1)
    with pytest.raises(CredentialReportError) as info:
        parse_credential_report(content)
    assert "lacks the column mfa_active " in str(info.value)
    assert "\n" not in str(info.value)


def test_an_older_report_lacking_columns_is_refused_naming_them() -> None:
    with pytest.raises(CredentialReportError) as info:
        parse_credential_report(MISSING_COLUMNS_REPORT)
    message = str(info.value)
    assert "lacks the columns access_key_1_last_used_region, access_key_1_last_used_service" in (
        message
    )
    assert "cert_2_last_rotated" in message


def test_a_short_row_is_unreadable_from_where_it_stops() -> None:
    lines = make_report_csv([{"user": "alice"}, {"user": "bob", "mfa_active": "true"}]).split(b"\n")
    # alice's line stops after password_enabled: 4 of 22 cells.
    lines[1] = b",".join(lines[1].split(b",")[:4])
    alice, bob = parse_credential_report(b"\n".join(lines))
    assert set(alice.unreadable) == set(COLUMNS[4:])
    assert alice.unreadable["mfa_active"] == "missing (line 2 has 4 of 22 cells)"
    assert alice.password_enabled is False  # the cells that are there are read
    assert alice.access_keys[0].active is False  # a value only: rules check unreadable first
    reason = alice.unreadable_reason(("password_enabled", "mfa_active", "access_key_1_active"))
    assert reason == "mfa_active, access_key_1_active missing (line 2 has 4 of 22 cells)"
    assert alice.unreadable_reason(("password_enabled",)) is None
    assert bob.unreadable == {} and bob.mfa_active is True


def test_dates_after_the_bound_are_impossible_not_negative_ages() -> None:
    bound = datetime(2026, 9, 30, 12, tzinfo=UTC)
    content = make_report_csv(
        [
            {
                "user": "alice",
                "password_enabled": "true",
                "password_last_used": "2026-09-30T11:00:00+00:00",
                "password_next_rotation": "2026-12-29T00:00:00+00:00",  # the future by design
                "access_key_1_active": "true",
                "access_key_1_last_rotated": "2099-01-01T00:00:00+00:00",
            }
        ]
    )
    (alice,) = parse_credential_report(content, not_after=bound)
    assert set(alice.unreadable) == {"access_key_1_last_rotated"}
    assert alice.unreadable["access_key_1_last_rotated"] == (
        "2099-01-01T00:00:00+00:00 is after the report was received (2026-09-30T12:00:00+00:00)"
    )
    assert alice.access_keys[0].last_rotated is None
    assert alice.password_last_used == datetime(2026, 9, 30, 11, tzinfo=UTC)
    assert alice.password_next_rotation == datetime(2026, 12, 29, tzinfo=UTC)
    assert parse_credential_report(content)[0].unreadable == {}  # no bound, nothing checked


def test_extra_columns_kept_verbatim() -> None:
    rows = {r.user: r for r in parse_credential_report(EXTRA_COLUMNS_REPORT)}
    assert rows["dave"].extra == {"mfa_device_type": "virtual", "passkey_count": "2"}
    assert rows["<root_account>"].extra == {"mfa_device_type": "hardware", "passkey_count": "0"}
    assert rows["dave"].mfa_active is True


def test_moto_variant() -> None:
    rows = {r.user: r for r in parse_credential_report(MOTO_REPORT)}
    assert not any(r.is_root for r in rows.values())
    erin = rows["erin"]
    assert erin.password_enabled is False
    assert erin.sentinel("password_last_used") == Sentinel.NOT_SUPPORTED
    assert erin.access_keys[0].active is True
    assert erin.access_keys[0].last_used_region is None
    assert rows["frank"].sentinel("password_last_used") == Sentinel.NO_INFORMATION


def test_make_report_csv_round_trip() -> None:
    content = make_report_csv(
        [
            {
                "user": "<root_account>",
                "access_key_1_active": "true",
                "access_key_1_last_rotated": "2020-01-01T00:00:00+00:00",
            },
            {
                "user": "=1+2",
                "password_enabled": "true",
                "mfa_active": "false",
                "password_last_used": "2024-02-02T02:02:02+00:00",
                "new_col": "x,y",
            },
        ]
    )
    root, odd = parse_credential_report(content)
    assert root.is_root and root.active_keys[0].slot == 1
    assert root.password_enabled is None
    assert odd.user == "=1+2"
    assert odd.arn.endswith(":user/=1+2")
    assert odd.password_last_used == datetime(2024, 2, 2, 2, 2, 2, tzinfo=UTC)
    assert odd.extra == {"new_col": "x,y"}
    assert root.extra == {"new_col": ""}


def test_offsets_and_naive_times_normalised_to_utc() -> None:
    content = make_report_csv(
        [
            {
                "user": "tz",
                "user_creation_time": "2024-01-01T02:00:00+02:00",
                "password_enabled": "true",
                "password_last_used": "2024-01-02T00:00:00",
            }
        ]
    )
    (row,) = parse_credential_report(content)
    assert row.user_creation_time == datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    assert row.user_creation_time is not None and row.user_creation_time.tzinfo is UTC
    assert row.password_last_used == datetime(2024, 1, 2, tzinfo=UTC)


def test_bom_is_tolerated() -> None:
    rows = parse_credential_report(b"\xef\xbb\xbf" + ONLY_ROOT_REPORT)
    assert rows[0].is_root


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"name,arn\nx,y\n", "lacks the columns user, user_creation_time, "),
        (make_report_csv([{"user": "x", "mfa_active": "yes"}]), "mfa_active is 'yes'"),
        (make_report_csv([{"user": "x", "user_creation_time": "yesterday"}]), "ISO 8601"),
        (make_report_csv([{"user": "x", "arn": ""}]), "user or arn is empty"),
        (make_report_csv([{"user": "x"}]).rstrip() + b",extra\n", "more cells"),
    ],
)
def test_bad_reports_raise_one_line_error(content: bytes, fragment: str) -> None:
    with pytest.raises(CredentialReportError) as info:
        parse_credential_report(content)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_header_only_report_has_no_rows() -> None:
    assert parse_credential_report(make_report_csv([])) == ()


def test_unquoted_commas_in_a_user_name_are_rejoined() -> None:
    # IAM user names may hold commas; a report that does not quote them has extra cells in
    # the user column and, since the ARN ends with the name, in the arn column too.
    quoted = make_report_csv([{"user": "ops,team,a", "mfa_active": "true"}])
    assert b'"ops,team,a"' in quoted
    name_only = quoted.replace(b'"ops,team,a"', b"ops,team,a", 1)
    both = quoted.replace(b'"', b"")
    for variant in (name_only, both):
        (row,) = [r for r in parse_credential_report(variant) if not r.is_root]
        assert row.user == "ops,team,a"
        assert row.arn.endswith("user/ops,team,a")
        assert row.mfa_active is True
        assert parse_credential_report(variant) == parse_credential_report(quoted)


def test_extra_cells_that_are_not_a_comma_name_are_refused() -> None:
    report = make_report_csv([{"user": "alice"}]).replace(b"user/alice,", b"user/alice,x,", 1)
    with pytest.raises(CredentialReportError, match="more cells than header columns"):
        parse_credential_report(report)
