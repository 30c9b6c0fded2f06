"""The review-workflow options of ``run``, ``report`` and ``demo``, and what they print.

Accepted risks (``--suppressions`` and audit.toml's ``[[suppressions]]``), e-mailing the PDF and
the ``--fail-on`` gate; the steps themselves are audit.pipeline's. Every option is checked
before anything is collected, so a typo fails in a second, not after a long collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from audit.cli_options import option_group
from audit.config import DEFAULT_CONFIG, read_config
from audit.console import printable
from audit.findings import Severity
from audit.pipeline import RunOptions, RunOutcome, check_request
from audit.workflow.email_report import EmailRequest, email_request
from audit.workflow.suppressions import Suppression, load_suppressions, parse_suppressions

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
    return config or (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)


def _config_suppressions(config: Path | None) -> tuple[Suppression, ...]:
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
        email = email_request(
            params["email_to"],
            params["email_from"],
            params["smtp_host"],
            params["smtp_port"],
            params["smtp_starttls"],
            params["smtp_user"],
        )
        check_request(formats, RunOptions(email=email))
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


def print_review(outcome: RunOutcome, quiet: bool) -> None:
    """The changes since the last review, the gate's verdict and where the e-mail went.

    The gate's verdict is printed even with --quiet, and before an e-mail failure's line, so
    a CI log shows it whatever happens next.
    """
    if outcome.changes and not quiet:
        click.echo("Changes since the last review:")
        for line in outcome.changes:
            click.echo(printable(f"  {line}"))
    if outcome.gate_message:
        click.echo(f"iam-audit: {outcome.gate_message}", err=True)
    if outcome.emailed_to and not quiet:
        click.echo(f"  e-mailed report.pdf to {printable(', '.join(outcome.emailed_to))}")
