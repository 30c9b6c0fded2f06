"""The review-workflow side of ``run``, ``report`` and ``demo``: options and the steps they add.

Accepted risks (``--suppressions`` and audit.toml's ``[[suppressions]]``), the comparison with
the account's earlier runs (diff.json, diff.csv, the report's "changes since the last review"),
e-mailing the PDF, and the ``--fail-on`` exit code. Every option is checked before anything is
collected, so a typo fails in a second, not after a long collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from audit.cli_options import option_group
from audit.errors import InputError
from audit.findings import AuditResult, Severity

if TYPE_CHECKING:
    from audit.model import Snapshot
    from audit.workflow.email_report import EmailRequest
    from audit.workflow.review import Review, ReviewSection
    from audit.workflow.suppressions import Suppression


SEVERITY_NAMES = tuple(s.label for s in sorted(Severity, reverse=True))


# Options shared by every command that evaluates and reports.
review_options = option_group(
    click.option(
        "--suppressions",
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML file of [[suppressions]] (accepted risks), in addition to those in audit.toml.",
    ),
    click.option(
        "--fail-on",
        type=click.Choice(SEVERITY_NAMES, case_sensitive=False),
        help="Exit 1 when a failing, unsuppressed finding at or above this "
        "severity exists (CI gate).",
    ),
    click.option(
        "--email-to",
        metavar="ADDR[,ADDR]",
        help="E-mail the PDF report to these addresses (needs --smtp-host).",
    ),
    click.option("--email-from", metavar="ADDR", help="Sender address."),
    click.option("--smtp-host", help="SMTP server for --email-to."),
    click.option(
        "--smtp-port",
        type=click.IntRange(1, 65535),
        help="SMTP port (default 25, or 587 with --smtp-starttls).",
    ),
    click.option("--smtp-starttls", is_flag=True, help="Upgrade to TLS with STARTTLS."),
    click.option(
        "--smtp-user",
        help="SMTP login; the password is read from $IAM_AUDIT_SMTP_PASSWORD.",
    ),
)


def _config_path(config: Path | None) -> Path | None:
    from audit.config import DEFAULT_CONFIG

    return config or (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)


def _config_suppressions(config: Path | None) -> tuple[Suppression, ...]:
    from audit.config import read_config
    from audit.workflow.suppressions import parse_suppressions

    path = _config_path(config)
    if path is None:
        return ()
    return parse_suppressions(read_config(path), source=str(path))


def _same_file(a: Path, b: Path | None) -> bool:
    try:
        return b is not None and a.samefile(b)
    except OSError:
        return False


@dataclass(frozen=True)
class ReviewRequest:
    suppressions: tuple[Suppression, ...]
    fail_on: Severity | None
    email: EmailRequest | None

    @classmethod
    def from_params(
        cls, params: dict[str, Any], formats: Sequence[str], config: Path | None = None
    ) -> ReviewRequest:
        """Validate the workflow options; ``config`` is --config (default ./audit.toml)."""
        from audit.workflow.email_report import email_request
        from audit.workflow.suppressions import load_suppressions

        email = email_request(
            params["email_to"],
            params["email_from"],
            params["smtp_host"],
            params["smtp_port"],
            params["smtp_starttls"],
            params["smtp_user"],
        )
        if email is not None and "pdf" not in formats:
            raise InputError("--email-to sends the PDF: add pdf to --format")
        extra = params["suppressions"]
        if extra and _same_file(extra, _config_path(config)):
            # --suppressions naming audit.toml itself: read once, or every entry would be
            # there twice and each copy that lost the match would be reported as stale.
            extra = None
        return cls(
            suppressions=_config_suppressions(config) + (load_suppressions(extra) if extra else ()),
            fail_on=Severity.parse(params["fail_on"]) if params["fail_on"] else None,
            email=email,
        )

    def apply(self, result: AuditResult) -> AuditResult:
        from audit.workflow.suppressions import apply_suppressions

        return apply_suppressions(result, self.suppressions, result.as_of)

    @staticmethod
    def past(
        reports_dir: Path, snapshot: Snapshot, result: AuditResult, out_dir: Path
    ) -> Review | None:
        from audit.workflow.review import build_review

        return build_review(reports_dir, snapshot, result, out_dir)

    @staticmethod
    def section(review: Review | None, formats: Sequence[str]) -> ReviewSection | None:
        if review is None or not {"html", "pdf"} & set(formats):
            return None
        from audit.workflow.review import review_section

        return review_section(review)

    @staticmethod
    def write_diff(review: Review | None, out_dir: Path) -> list[Path]:
        if review is None:
            return []
        from audit.workflow.review import write_diff_files

        return write_diff_files(review, out_dir)

    def finish(
        self,
        snapshot: Snapshot,
        result: AuditResult,
        review: Review | None,
        out_dir: Path,
        quiet: bool,
    ) -> int:
        """Print the changes, send the e-mail, and return the exit code.

        Called after every report is on disk: an SMTP failure raises DeliveryError (exit 4,
        which wins over 1 and 3: the review did not reach its readers) and the files stay.
        """
        from audit.workflow.gate import exit_code, gate_message
        from audit.workflow.review import change_lines

        lines = change_lines(review) if review else []
        if lines and not quiet:
            click.echo("Changes since the last review:")
            for line in lines:
                click.echo(f"  {line}")
        # The gate's verdict is logged first, so a CI log shows it even when e-mail fails.
        if self.fail_on is not None:
            message = gate_message(result, self.fail_on)
            if message:
                click.echo(f"iam-audit: {message}", err=True)
        if self.email is not None:
            from audit.workflow.email_report import build_message, send, subject_line, summary_body

            pdf = out_dir / "report.pdf"
            msg = build_message(
                pdf,
                subject=subject_line(snapshot, result),
                body=summary_body(snapshot, result, lines, attachment=pdf),
                sender=self.email.sender,
                to=self.email.to,
            )
            send(msg, self.email.smtp)
            if not quiet:
                click.echo(f"  e-mailed {pdf.name} to {', '.join(self.email.to)}")
        return exit_code(result, snapshot, self.fail_on)
