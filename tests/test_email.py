"""E-mailing the PDF through a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from audit.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, InputError
from audit.snapshot_io import write_snapshot
from audit.workflow.email_report import (
    PASSWORD_ENV,
    DeliveryError,
    SmtpSettings,
    build_message,
    email_request,
    parse_recipients,
    send,
)
from tests.cli_helpers import run_cli
from tests.fixtures.review_snapshots import after, before

USER, PASSWORD = "auditor", "correct horse"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    port: int
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    # handled=False: aiosmtpd then answers a refusal with 535 itself.
    return AuthResult(success=ok, handled=False)


def _serve(**smtp_kwargs: Any) -> Iterator[Inbox]:
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **smtp_kwargs)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Inbox]:
    yield from _serve()


@pytest.fixture
def smtp_auth_server() -> Iterator[Inbox]:
    # Plain-text AUTH is allowed here only because the server is on loopback.
    yield from _serve(authenticator=_authenticate, auth_require_tls=False)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # ./audit.toml and ./reports of the repo stay out of it
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_the_pdf_arrives_byte_identical_with_a_summary(
    smtp_server: Inbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two reviews in the history layout, so the body carries the changes since the last one.
    old, new = tmp_path / "old.json.gz", tmp_path / "new.json.gz"
    write_snapshot(before(), old)
    write_snapshot(after(), new)
    code, _, err = run_cli(["report", str(old), "--format", "json,pdf", "-q"], capsys)
    assert code == EXIT_OK, err
    code, out, err = run_cli(
        [
            "report",
            str(new),
            "--format",
            "pdf,json",
            "--email-to",
            "ciso@example.com, auditors@example.com",
            "--email-from",
            "IAM audit <iam-audit@example.com>",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(smtp_server.port),
        ],
        capsys,
    )
    assert code == EXIT_OK, err
    assert "e-mailed report.pdf to ciso@example.com, auditors@example.com" in out
    (mail_from, rcpt, raw) = smtp_server.messages[0]
    assert len(smtp_server.messages) == 1
    assert mail_from == "iam-audit@example.com"
    assert rcpt == ["ciso@example.com", "auditors@example.com"]
    msg = parse(raw)
    assert msg["Subject"].startswith("IAM audit 123456789012 2026-09-30: ")
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "report.pdf"
    runs = sorted((tmp_path / "reports" / "123456789012").iterdir())
    assert len(runs) == 2
    on_disk = (runs[-1] / "report.pdf").read_bytes()
    assert attachment.get_content() == on_disk
    body_part = msg.get_body(preferencelist=("plain",))
    assert body_part is not None
    body = body_part.get_content()
    for expected in (
        "IAM audit of AWS account 123456789012",
        "Posture score: ",
        "Failing findings: ",
        "critical ",
        "Top risks:",
        "Changes since the last review:",
        "Since 2026-06-30",
        f"is in {runs[-1]}/ where it was written",
    ):
        assert expected in body, expected


def test_first_review_says_there_is_nothing_to_compare(smtp_server: Inbox) -> None:
    pdf = Path("report.pdf")
    pdf.write_bytes(b"%PDF-1.7 test")
    from audit.engine import evaluate
    from audit.workflow.email_report import summary_body

    snap = after()
    body = summary_body(snap, evaluate(snap))
    assert "(no earlier review of this account)" in body
    msg = build_message(pdf, subject="s", body=body, sender="a@example.com", to=["b@example.com"])
    send(msg, SmtpSettings("127.0.0.1", smtp_server.port))
    assert parse(smtp_server.messages[0][2]).get_body(("plain",)) is not None


def test_login_with_the_password_from_the_environment(
    smtp_auth_server: Inbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 test")
    msg = build_message(pdf, subject="s", body="b", sender="a@example.com", to=["b@example.com"])
    settings = SmtpSettings("127.0.0.1", smtp_auth_server.port, user=USER)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    send(msg, settings)
    assert len(smtp_auth_server.messages) == 1
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(DeliveryError, match=r"login refused \(535 "):
        send(msg, settings)
    assert len(smtp_auth_server.messages) == 1


def test_smtp_failure_is_one_line_exit_4_and_the_reports_stay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap.json.gz"
    write_snapshot(after(), snap)
    out_dir = tmp_path / "out"
    closed = free_port()  # nothing listens there
    code, _, err = run_cli(
        [
            "report",
            str(snap),
            "--out",
            str(out_dir),
            "--format",
            "pdf,json",
            "--email-to",
            "ciso@example.com",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(closed),
            "--fail-on",
            "info",
            "-q",
        ],
        capsys,
    )
    # Not delivered wins over the gate (exit 4, not 1), but the gate's verdict is logged first.
    assert code == EXIT_FAILURE
    gate, error = err.strip().splitlines()
    assert gate.startswith("iam-audit: --fail-on info: ")
    assert error == (
        f"iam-audit: error: cannot reach SMTP server 127.0.0.1:{closed}: Connection refused"
    )
    assert (out_dir / "report.pdf").stat().st_size > 0
    assert (out_dir / "findings.json").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--email-to", "ciso@example.com"], "--email-to needs --smtp-host"),
        (["--smtp-host", "127.0.0.1"], "need --email-to"),
        (["--email-to", "not-an-address", "--smtp-host", "h"], "is not an e-mail address"),
        (
            ["--email-to", "a@example.com", "--smtp-host", "mail.example.com", "--smtp-user", "u"],
            "--smtp-user needs --smtp-starttls",
        ),
        (
            ["--email-to", "a@example.com", "--smtp-host", "127.0.0.1", "--smtp-user", "u"],
            "needs the password in $IAM_AUDIT_SMTP_PASSWORD",
        ),
    ],
)
def test_bad_email_options_exit_2_before_any_work(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap.json.gz"
    write_snapshot(after(), snap)
    out_dir = tmp_path / "out"
    code, _, err = run_cli(["report", str(snap), "--out", str(out_dir), *extra], capsys)
    assert code == EXIT_USAGE
    assert message in err
    assert not out_dir.exists()  # rejected before any report was written


def test_email_needs_the_pdf_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "snap.json.gz"
    write_snapshot(after(), snap)
    args = ["report", str(snap), "--format", "json", "--email-to", "a@example.com"]
    code, _, err = run_cli([*args, "--smtp-host", "127.0.0.1"], capsys)
    assert code == EXIT_USAGE
    assert "add pdf to --format" in err


def test_addresses_are_checked_and_headers_cannot_be_injected() -> None:
    assert parse_recipients("a@example.com, B <b@example.com>") == (
        "a@example.com",
        "B <b@example.com>",
    )
    for bad in ("", " , ", "a@example.com\r\nBcc: x@evil.example", "@example.com"):
        with pytest.raises(InputError):
            parse_recipients(bad)
    request = email_request("a@example.com", None, "127.0.0.1", None, True, None)
    assert request is not None
    assert request.smtp.port == 587  # the submission port when STARTTLS is asked for
    assert request.sender.startswith("iam-audit@")
    assert email_request(None, None, None, None, False, None) is None


# --- STARTTLS: the path a real relay takes ---------------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (cryptography comes with moto)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iam-audit test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "relay.pem", tmp_path / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_relay(tmp_path: Path) -> Iterator[tuple[Inbox, Path]]:
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # The relay insists on STARTTLS and, by aiosmtpd's default, on TLS before AUTH.
    for inbox in _serve(tls_context=context, require_starttls=True, authenticator=_authenticate):
        yield inbox, cert


def test_starttls_login_and_delivery(
    tls_relay: tuple[Inbox, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, cert = tls_relay
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test relay's certificate
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 tls")
    msg = build_message(pdf, subject="s", body="b", sender="a@example.com", to=["b@example.com"])
    send(msg, SmtpSettings("127.0.0.1", inbox.port, starttls=True, user=USER))
    (attachment,) = list(parse(inbox.messages[0][2]).iter_attachments())
    assert attachment.get_content() == b"%PDF-1.7 tls"


def test_an_untrusted_certificate_is_one_clear_error(
    tls_relay: tuple[Inbox, Path], tmp_path: Path
) -> None:
    inbox, _cert = tls_relay
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 tls")
    msg = build_message(pdf, subject="s", body="b", sender="a@example.com", to=["b@example.com"])
    with pytest.raises(DeliveryError, match="TLS failed: CERTIFICATE_VERIFY_FAILED"):
        send(msg, SmtpSettings("127.0.0.1", inbox.port, starttls=True))
    assert inbox.messages == []


def test_a_relay_that_requires_starttls_refuses_plain_delivery(
    tls_relay: tuple[Inbox, Path], tmp_path: Path
) -> None:
    inbox, _cert = tls_relay
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    msg = build_message(pdf, subject="s", body="b", sender="a@example.com", to=["b@example.com"])
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1:\d+: 530 "):
        send(msg, SmtpSettings("127.0.0.1", inbox.port))
    assert inbox.messages == []
