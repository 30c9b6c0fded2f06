"""E-mail the PDF report over SMTP, with a short plain-text summary in the body.

The password only ever comes from the environment (IAM_AUDIT_SMTP_PASSWORD), never from a
flag, so it stays out of shell history and process listings. Delivery happens after the
reports are written: an SMTP failure is one line and exit 4, and the files on disk stay.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from audit.errors import EXIT_FAILURE, AuditError, InputError
from audit.findings import AuditResult, Severity, Status
from audit.model import Snapshot
from audit.scoring import score

PASSWORD_ENV = "IAM_AUDIT_SMTP_PASSWORD"
TOP_RISKS = 5


class DeliveryError(AuditError):
    """The report could not be e-mailed (the reports on disk are kept)."""

    exit_code = EXIT_FAILURE


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    starttls: bool = False
    user: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class EmailRequest:
    to: tuple[str, ...]
    sender: str
    smtp: SmtpSettings


def _address(text: str, what: str) -> str:
    name, addr = parseaddr(text)
    # parseaddr is lenient: insist on local@domain and no header-breaking characters.
    if not addr or "@" not in addr or any(c in text for c in "\r\n") or addr.startswith("@"):
        raise InputError(f"{what}: {text!r} is not an e-mail address")
    return text.strip()


def parse_recipients(text: str) -> tuple[str, ...]:
    addrs = tuple(_address(a.strip(), "--email-to") for a in text.split(",") if a.strip())
    if not addrs:
        raise InputError("--email-to: no address given")
    return addrs


def default_sender() -> str:
    return f"iam-audit@{socket.getfqdn() or 'localhost'}"


def email_request(
    to: str | None,
    sender: str | None,
    host: str | None,
    port: int | None,
    starttls: bool,
    user: str | None,
) -> EmailRequest | None:
    """Validate the e-mail options up front (before collecting): None when not asked for."""
    if not to:
        if host or sender or user:
            raise InputError("--smtp-host, --email-from and --smtp-user need --email-to")
        return None
    if not host:
        raise InputError("--email-to needs --smtp-host")
    if user and not starttls and not _is_loopback(host):
        raise InputError(
            "--smtp-user needs --smtp-starttls: the password would cross the network in clear"
        )
    if user and not os.environ.get(PASSWORD_ENV):
        raise InputError(f"--smtp-user {user} needs the password in ${PASSWORD_ENV}")
    return EmailRequest(
        to=parse_recipients(to),
        sender=_address(sender, "--email-from") if sender else default_sender(),
        smtp=SmtpSettings(
            host=host, port=port or (587 if starttls else 25), starttls=starttls, user=user
        ),
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- the message ----------------------------------------------------------------------------


def top_risks(result: AuditResult, limit: int = TOP_RISKS) -> list[str]:
    """The most severe failing findings, one line each."""
    worst = sorted(result.failing, key=lambda f: (-f.severity, f.rule_id, f.resource_name))
    return [f"[{f.severity.label}] {f.title}: {f.message}" for f in worst[:limit]]


def summary_body(
    snapshot: Snapshot,
    result: AuditResult,
    changes: Sequence[str] = (),
    attachment: Path = Path("report.pdf"),
    manifest_sha256: str = "",
) -> str:
    """The plain-text body: scores, counts by severity, top risks, changes since last review.

    ``changes`` are the lines of the "changes since the last review" summary; empty when there
    was no earlier review of this account.
    """
    scores = score(result)
    alias = f" ({snapshot.account_aliases[0]})" if snapshot.account_aliases else ""
    counts: Mapping[Severity, int] = result.failing_counts()
    total = sum(counts.values())
    accepted = len(result.by_status(Status.SUPPRESSED))
    posture = "n/a" if scores.posture is None else f"{scores.posture:.0f}%"
    lines = [
        f"IAM audit of AWS account {snapshot.meta.account_id}{alias} "
        f"as of {result.as_of:%Y-%m-%d %H:%M} UTC",
        "",
        f"Posture score: {posture}",
    ]
    for fw in scores.frameworks:
        pct = "" if fw.percent is None else f" ({fw.percent:.0f}%)"
        lines.append(f"{fw.framework}: {fw.passed} of {fw.assessed} assessed controls pass{pct}")
    by_sev = ", ".join(f"{sev.label} {n}" for sev, n in counts.items())
    lines += ["", f"Failing findings: {total} ({by_sev}); accepted risks: {accepted}"]
    if snapshot.failed_outcomes:
        lines.append(
            f"Collection INCOMPLETE: {len(snapshot.failed_outcomes)} API call(s) denied or "
            "failed; see the coverage section of the report."
        )
    risks = top_risks(result)
    if risks:
        lines += ["", "Top risks:"] + [f"  {i}. {r}" for i, r in enumerate(risks, 1)]
    lines += ["", "Changes since the last review:"]
    lines += [f"  {c}" for c in changes] if changes else ["  (no earlier review of this account)"]
    lines += [
        "",
        f"The full report is attached ({attachment.name}). Every finding, and the evidence "
        f"(snapshot.json.gz), is in {attachment.parent.resolve()}/ where it was written.",
    ]
    if manifest_sha256:
        lines.append(
            f"Evidence manifest (manifest.json) SHA-256: {manifest_sha256}; check the folder "
            "with: iam-audit verify RUN_DIR"
        )
    lines += [
        "-- ",
        "iam-audit (read-only AWS IAM audit)",
    ]
    return "\n".join(lines) + "\n"


def build_message(
    pdf: Path, *, subject: str, body: str, sender: str, to: Sequence[str]
) -> EmailMessage:
    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise DeliveryError(f"cannot attach {pdf}: {exc.strerror or exc}") from None
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)
    msg.set_content(body)
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=pdf.name)
    return msg


def deliver(pdf: Path, *, subject: str, body: str, email: EmailRequest) -> DeliveryError | None:
    """Attach the PDF and send it; the failure, if any, as data (the run still writes its files)."""
    try:
        send(
            build_message(pdf, subject=subject, body=body, sender=email.sender, to=email.to),
            email.smtp,
        )
    except DeliveryError as exc:
        return exc
    return None


def subject_line(snapshot: Snapshot, result: AuditResult) -> str:
    counts = result.failing_counts()
    worst = next((f"{n} {sev.label}" for sev, n in counts.items() if n), "no failing findings")
    return (
        f"IAM audit {snapshot.meta.account_id} {result.as_of:%Y-%m-%d}: "
        f"{sum(counts.values())} failing ({worst})"
    )


# --- delivery -------------------------------------------------------------------------------


def send(msg: EmailMessage, smtp: SmtpSettings, password: str | None = None) -> None:
    """Deliver ``msg``; every SMTP or network failure becomes one DeliveryError line."""
    where = f"{smtp.host}:{smtp.port}"
    secret = password if password is not None else os.environ.get(PASSWORD_ENV)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as conn:
            if smtp.starttls:
                conn.starttls(context=ssl.create_default_context())
            if smtp.user:
                if not secret:
                    raise DeliveryError(f"SMTP login as {smtp.user} needs ${PASSWORD_ENV}")
                conn.login(smtp.user, secret)
            refused = conn.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP {where}: login refused ({_reply(exc)})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        bad = ", ".join(exc.recipients)
        raise DeliveryError(f"SMTP {where}: every recipient refused ({bad})") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"SMTP {where}: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {where}: {_reply(exc)}") from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP {where}: {exc}") from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"SMTP {where}: TLS failed: {exc.reason or exc}") from None
    except OSError as exc:  # refused, unreachable, unknown host, timeout
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise DeliveryError(f"cannot reach SMTP server {where}: {reason}") from None
    if refused:
        bad = ", ".join(sorted(refused))
        raise DeliveryError(f"SMTP {where}: sent, but these recipient(s) were refused: {bad}")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(text.split())}"
