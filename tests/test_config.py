"""audit.toml loading: every key checked, mistakes named, defaults when there is no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import load_settings
from audit.errors import InputError
from audit.findings import Severity
from audit.settings import Settings, Thresholds

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "audit.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'disabled_rules = ["password-expiry", "identity-federation"]\n'
        "[thresholds]\naccess_key_max_age_days = 60\ncredentials_unused_days = 30\n"
        '[severity]\nuser-hardware-mfa = "Medium"\n'
        '[[suppressions]]\nrule = "user-console-mfa"\nresource = "bob"\n',
    )
    settings = load_settings(path)
    assert settings.thresholds == Thresholds(access_key_max_age_days=60, credentials_unused_days=30)
    assert settings.severity_overrides == {"user-hardware-mfa": Severity.MEDIUM}
    assert settings.disabled_rules == {"password-expiry", "identity-federation"}


def test_example_file_holds_the_defaults() -> None:
    assert load_settings(REPO / "audit.example.toml") == Settings()


def test_example_file_documents_every_threshold() -> None:
    text = (REPO / "audit.example.toml").read_text(encoding="utf-8")
    for name in Thresholds.__dataclass_fields__:
        assert f"\n{name} = " in text


def test_no_path_reads_audit_toml_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(None) == Settings()
    write(tmp_path, "[thresholds]\nroot_use_window_days = 30\n")
    assert load_settings(None).thresholds.root_use_window_days == 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "colour: unknown setting"),
        ("[thresholds]\nkey_age = 3\n", "thresholds.key_age: unknown threshold"),
        ('[thresholds]\naccess_key_max_age_days = "90"\n', "thresholds.access_key_max_age_days"),
        ("[thresholds]\npassword_min_length = -1\n", "thresholds.password_min_length"),
        ("[thresholds]\npassword_min_length = true\n", "thresholds.password_min_length"),
        (
            "[thresholds]\nserver_certificate_expiry_days = 99999999999\n",
            "thresholds.server_certificate_expiry_days: must be a whole number from 0 to 36500",
        ),
        ("thresholds = 5\n", "thresholds: must be a table"),
        ('[severity]\nno-such-rule = "low"\n', "severity.no-such-rule: unknown rule id"),
        ('[severity]\nroot-mfa = "urgent"\n', "severity.root-mfa: unknown severity 'urgent'"),
        ("[severity]\nroot-mfa = 3\n", "severity.root-mfa: must be a severity name"),
        ('disabled_rules = "root-mfa"\n', "disabled_rules: must be a list"),
        ('disabled_rules = ["root-mfa", "nope"]\n', "disabled_rules: unknown rule id 'nope'"),
        ("[thresholds\n", "not valid TOML"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}: ")
    assert "\n" not in str(err.value)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_config_option_reaches_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from audit.cli import main
    from audit.model import PasswordPolicy
    from audit.snapshot_io import write_snapshot
    from tests.fixtures.snapshots import snapshot

    snap_path = tmp_path / "snap.json.gz"
    write_snapshot(snapshot(password_policy=PasswordPolicy(minimum_password_length=8)), snap_path)
    config = write(
        tmp_path,
        'disabled_rules = ["password-expiry"]\n'
        "[thresholds]\npassword_min_length = 8\n"
        '[severity]\npassword-reuse = "critical"\n',
    )
    out = tmp_path / "out"
    args = ["report", str(snap_path), "--format", "json", "--out", str(out), "-q"]
    with pytest.raises(SystemExit) as done:
        main([*args, "--config", str(config)])
    assert done.value.code == 0
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    by_rule = {f["rule_id"]: f for f in findings}
    assert "password-expiry" not in by_rule
    assert by_rule["password-min-length"]["status"] == "pass"
    assert by_rule["password-reuse"]["severity"] == "critical"

    bad = write(tmp_path, "[thresholds]\nnope = 1\n")
    with pytest.raises(SystemExit) as done:
        main([*args, "--config", str(bad)])
    assert done.value.code == 2
    assert "thresholds.nope: unknown threshold" in capsys.readouterr().err


def test_file_that_is_not_utf8_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # TOML is UTF-8; a file saved in Latin-1 used to end as "failed: UnicodeDecodeError", exit 4.
    path = tmp_path / "audit.toml"
    path.write_bytes('[[suppressions]]\nowner = "Bj\xf6rn"\n'.encode("latin-1"))
    with pytest.raises(InputError, match=r"not valid TOML: not UTF-8 text"):
        load_settings(path)

    from audit.cli import main

    monkeypatch.chdir(tmp_path)  # ./audit.toml is read without --config too
    with pytest.raises(SystemExit) as exc:
        main(["report", str(tmp_path / "none.json.gz")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("iam-audit: error: audit.toml: ") and err.count("\n") == 1
