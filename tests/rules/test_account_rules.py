"""Server certificates, Access Analyzer and identity federation."""

from __future__ import annotations

from audit.findings import Severity, Status
from audit.model import AccessAnalyzer, ServerCertificate
from audit.settings import Settings, Thresholds
from tests.fixtures.credential_reports import ACCOUNT_ID
from tests.fixtures.snapshots import ago, snapshot
from tests.rules.builders import by_name, run, statuses


def cert(name: str, days_left: int | None) -> ServerCertificate:
    return ServerCertificate(
        name=name,
        arn=f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/{name}",
        certificate_id=f"ASCA{name}",
        path="/",
        upload_date=ago(700),
        expiration=None if days_left is None else ago(-days_left),
    )


def test_server_certificate_expired() -> None:
    certs = (cert("old", -10), cert("soon", 20), cert("later", 200), cert("odd", None))
    got = run("server-certificate-expired", snapshot(server_certificates=certs))
    assert statuses(got) == {
        "old": Status.FAIL,
        "soon": Status.PASS,
        "later": Status.PASS,
        "odd": Status.NOT_ASSESSED,
    }
    assert "expired on 2026-09-20, 10 days ago" in by_name(got)["old"].message
    ahead = Settings(thresholds=Thresholds(server_certificate_expiry_days=30))
    warned = by_name(run("server-certificate-expired", snapshot(server_certificates=certs), ahead))
    assert warned["soon"].status is Status.FAIL and warned["soon"].severity is Severity.LOW
    assert "within 30 days" in warned["soon"].message
    assert run("server-certificate-expired", snapshot())[0].status is Status.PASS  # none at all


def analyzer(region: str, status: str = "ACTIVE") -> AccessAnalyzer:
    arn = f"arn:aws:access-analyzer:{region}:{ACCOUNT_ID}:analyzer/a"
    return AccessAnalyzer(region, "a", arn, "ACCOUNT", status)


def test_access_analyzer_per_region() -> None:
    snap = snapshot(
        regions=("us-east-1", "eu-west-1", "ap-south-1"),
        access_analyzers=(analyzer("us-east-1"), analyzer("eu-west-1", "DISABLED")),
    )
    got = run("access-analyzer-enabled", snap)
    assert statuses(got) == {
        "us-east-1": Status.PASS,
        "eu-west-1": Status.FAIL,
        "ap-south-1": Status.FAIL,
    }
    none = run("access-analyzer-enabled", snapshot())
    assert [f.status for f in none] == [Status.FAIL]
    assert none[0].resource_type == "account"


def test_identity_federation() -> None:
    none = run("identity-federation", snapshot())
    assert [f.status for f in none] == [Status.FAIL]
    assert none[0].severity is Severity.INFO
    saml = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/Okta"
    ok = run("identity-federation", snapshot(saml_providers=(saml,)))
    assert [f.status for f in ok] == [Status.PASS]
