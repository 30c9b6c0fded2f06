"""The ``iam-audit`` command line: demo, run, collect, report, org.

Every failure the user can cause or fix ends as one line on stderr and an exit code
(audit.errors); tracebacks are only shown with IAM_AUDIT_DEBUG=1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from audit import __version__
from audit.cli_access_review import review, verify
from audit.cli_options import option_group
from audit.cli_org import (
    account_formats,
    org_gate_message,
    parse_ids,
    report_organization,
    status_line,
)
from audit.cli_review import ReviewRequest, print_review, review_options
from audit.config import load_settings
from audit.console import printable
from audit.errors import (
    EXIT_FAIL_ON,
    EXIT_FAILURE,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    AuditError,
    InputError,
)
from audit.explain import EXPLAIN_FORMATS
from audit.explain_sso import explain_anyone
from audit.model import Snapshot
from audit.org_email import email_organization
from audit.org_folder import read_org_folder, write_account
from audit.org_workers import default_workers
from audit.output import atomic_write_bytes
from audit.pipeline import DEFAULT_REPORTS_DIR, RunOptions, RunOutcome, run_audit
from audit.report import FORMATS, ReportOptions
from audit.rules.catalogue import render_catalogue
from audit.settings import Settings
from audit.snapshot_io import (
    ORGANIZATION_FILE_NAME,
    read_snapshot,
    write_organization,
    write_snapshot,
)
from audit.workflow.diff import diff_csv, diff_json, diff_paths, summary_text
from audit.workflow.org_diff import (
    is_org_folder,
    org_diff_csv,
    org_diff_json,
    org_diff_paths,
    org_summary_text,
)

F = TypeVar("F", bound=Callable[..., Any])


def _parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
        # OverflowError: an offset that moves the time past year 9999 in UTC.
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InputError(
            f"--as-of {value!r} is not an ISO 8601 date or time (e.g. 2026-09-30)"
        ) from None


def _check_writable_folder(folder: Path, what: str) -> None:
    """Refuse now, not after a long collection, a folder that cannot be created or written.

    Looks at the nearest part of ``folder`` that exists: it must be a folder we may write to.
    """
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{what}: cannot write under {existing}: it is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{what}: cannot write into {existing}: permission denied")


def _parse_formats(value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise InputError(
            f"--format {value!r}: unknown format {', '.join(unknown) or '(none)'} "
            f"(choose from {','.join(FORMATS)})"
        )
    return chosen


# Options shared by `run` and `collect`: where and how to reach AWS.
collection_options = option_group(
    click.option("--profile", help="AWS named profile (default: the standard chain)."),
    click.option("--region", help="Home region for STS/IAM calls (IAM is global)."),
    click.option(
        "--endpoint-url",
        help="Send every AWS call to this endpoint (e.g. a moto server).",
    ),
    click.option(
        "--analyzer-region",
        "analyzer_regions",
        multiple=True,
        help="Region to check for IAM Access Analyzer (repeatable; default: every enabled region).",
    ),
    click.option(
        "--max-attempts",
        type=click.IntRange(1, 50),
        default=10,
        show_default=True,
        help="Attempts per API call (adaptive retry on throttling).",
    ),
    click.option(
        "--report-wait",
        type=click.FloatRange(1, 3600),
        default=120.0,
        show_default=True,
        help="Seconds to wait for AWS to generate the credential report.",
    ),
    click.option(
        "--last-accessed/--no-last-accessed",
        default=None,
        help="Collect service last accessed for permissions-unused: 2+ calls per user and "
        "role, so off unless asked (or last_accessed = true in audit.toml).",
    ),
    click.option(
        "--last-accessed-budget",
        type=click.FloatRange(0.1, 1440),
        default=10.0,
        show_default=True,
        help="Minutes --last-accessed may take; principals not reached are not assessed.",
    ),
)


# Options shared by every command that writes reports.
report_options = option_group(
    click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        help="Write the reports into this folder (default: reports/<account-id>/<UTC timestamp>/).",
    ),
    click.option(
        "--format",
        "formats",
        default="html,pdf,csv,json",
        show_default=True,
        help="Comma-separated report formats: html, pdf, csv, json.",
    ),
    click.option(
        "--as-of",
        help="Judge the account as of this ISO 8601 time "
        "(default: the snapshot's collection time).",
    ),
    click.option(
        "--page-size",
        type=click.Choice(["A4", "Letter"], case_sensitive=False),
        default="A4",
        show_default=True,
        help="PDF page size.",
    ),
    click.option(
        "--pdf-max-resources",
        type=click.IntRange(1, 10_000),
        default=25,
        show_default=True,
        help="Affected resources listed per rule in the PDF (all are in the CSV).",
    ),
    click.option("--prepared-by", default="", help="Name printed on the PDF's sign-off page."),
    click.option(
        "--review-period",
        default="",
        help="Period the review covers, shown on the PDF cover (e.g. '2026 Q3'; "
        "default: 'up to <as-of date>').",
    ),
    click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        help="audit.toml: thresholds, severity overrides, disabled rules, accepted "
        "risks (default: ./audit.toml when present; see audit.example.toml).",
    ),
)


def quiet_option(func: F) -> F:
    return click.option("--quiet", "-q", is_flag=True, help="No progress or summary output.")(func)


def workers_option(func: F) -> F:
    return click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=default_workers(),
        show_default="one per core, at most 4",
        help="Organization runs: processes judging and rendering accounts side by side.",
    )(func)


@dataclass(frozen=True)
class ReportRequest:
    out: Path | None
    formats: tuple[str, ...]
    as_of: datetime | None
    page_size: str
    pdf_max_resources: int
    prepared_by: str
    review_period: str
    quiet: bool
    config: Path | None = None
    settings: Settings = field(default_factory=Settings)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ReportRequest:
        _check_writable_folder(
            params["out"] or DEFAULT_REPORTS_DIR, "--out" if params["out"] else "reports folder"
        )
        return cls(
            out=params["out"],
            formats=_parse_formats(params["formats"]),
            as_of=_parse_as_of(params["as_of"]),
            page_size=params["page_size"],
            pdf_max_resources=params["pdf_max_resources"],
            prepared_by=params["prepared_by"],
            review_period=params["review_period"],
            quiet=params["quiet"],
            config=params["config"],
            settings=load_settings(params["config"]),
        )

    def presentation(self) -> ReportOptions:
        return ReportOptions(
            page_size=self.page_size,
            pdf_max_resources=self.pdf_max_resources,
            prepared_by=self.prepared_by,
            review_period=self.review_period,
            # The cover tells when the document was made; findings stay a function of
            # the snapshot and as-of time alone.
            generated_at=datetime.now(UTC),
        )


def _collect_options(params: dict[str, Any], quiet: bool, settings: Settings) -> Any:
    # Lazy here and in the commands below, for start-up speed only: audit.collect imports
    # boto3 (the demo also moto), about a second that `report`, `diff` or `rules` never need.
    from audit.collect import CollectOptions

    # --last-accessed / --no-last-accessed win; without either, audit.toml decides.
    flag = params["last_accessed"]

    return CollectOptions(
        profile=params["profile"],
        region=params["region"],
        endpoint_url=params["endpoint_url"],
        analyzer_regions=tuple(params["analyzer_regions"]) or None,
        max_attempts=params["max_attempts"],
        report_wait_seconds=params["report_wait"],
        quiet=quiet,
        last_accessed=settings.last_accessed if flag is None else flag,
        last_accessed_budget_seconds=params["last_accessed_budget"] * 60,
    )


def _say(text: str = "", err: bool = False, nl: bool = True) -> None:
    """Print a line that may hold names from AWS or a snapshot (audit.console.printable)."""
    click.echo(printable(text), err=err, nl=nl)


def _echo(quiet: bool, text: str = "", err: bool = False) -> None:
    if not quiet:
        _say(text, err=err)


def _summarise(outcome: RunOutcome, quiet: bool) -> None:
    for warning in outcome.warnings:  # earlier runs passed over: shown even with --quiet
        _say(f"iam-audit: warning: {warning}", err=True)
    if quiet:
        return
    result, snapshot = outcome.result, outcome.snapshot
    counts = result.failing_counts()
    total = sum(counts.values())
    alias = f" ({snapshot.account_aliases[0]})" if snapshot.account_aliases else ""
    _say(
        f"Account {snapshot.meta.account_id}{alias} as of {result.as_of:%Y-%m-%d %H:%M} UTC: "
        f"{total} failing finding(s)"
    )
    _say("  " + "  ".join(f"{sev.label}: {n}" for sev, n in counts.items()))
    gaps = snapshot.failed_outcomes
    if gaps:
        _say(f"  collection incomplete: {len(gaps)} API call(s) denied or failed:", err=True)
        for gap in gaps:
            _say(f"    {gap.api}: {gap.status.value} {gap.message}".rstrip(), err=True)
    for path in outcome.written:
        _say(f"  wrote {path}")
    _say(f"  snapshot sha256 {outcome.snapshot_sha256}")


def _produce(
    snapshot: Snapshot,
    snapshot_sha256: str | None,
    request: ReportRequest,
    *,
    keep_snapshot: bool,
    review: ReviewRequest,
) -> int:
    """Run the audit pipeline on ``snapshot``, print what it did, return the exit code."""
    outcome = run_audit(
        snapshot,
        snapshot_sha256,
        request.settings,
        review.suppressions,
        reports_dir=DEFAULT_REPORTS_DIR,
        out_dir=request.out,
        formats=request.formats,
        options=RunOptions(
            as_of=request.as_of,
            presentation=request.presentation(),
            keep_snapshot=keep_snapshot,
            fail_on=review.fail_on,
            email=review.email,
        ),
    )
    _summarise(outcome, request.quiet)
    print_review(outcome, request.quiet)
    if outcome.email_error is not None:
        raise outcome.email_error  # one line, exit 4; every file is on disk
    return outcome.exit_code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iam-audit")
def cli() -> None:
    """Read-only AWS IAM audit: credentials, groups, policies, CIS and Security Hub controls.

    Exit codes: 0 done; 1 --fail-on threshold reached (wins over 3); 2 bad input or usage;
    3 the audit ran but collection was incomplete; 4 any other failure (SMTP included);
    130 interrupted (Ctrl-C; files already written stay as they were).
    """


@cli.command()
@report_options
@review_options
@click.option(
    "--org",
    "organization",
    is_flag=True,
    help="The demo organization instead: a management account and five members in two OUs.",
)
@click.option("--account-pdf", is_flag=True, help="With --org: a PDF for each account too.")
@workers_option
@quiet_option
def demo(organization: bool, account_pdf: bool, workers: int, **params: Any) -> int:
    """Audit the built-in demo account (in-process moto, planted problems); no AWS needed."""
    request = ReportRequest.from_params(params)
    review = ReviewRequest.from_params(params, request.formats, config=request.config)
    if organization:
        # lazy: moto, see _collect_options
        from audit.collect.demo_org import stream_demo_organization

        _echo(request.quiet, "Building the demo organization in-process (moto)...", True)
        org_snapshot, built = stream_demo_organization(quiet=True)
        pairs = ((r.collection, r.snapshot) for r in built)  # audited as each is collected
        return _produce_org(org_snapshot, pairs, request, review, account_pdf, workers)
    from audit.collect.demo import demo_snapshot  # lazy: moto and boto3, see _collect_options

    _echo(request.quiet, "Building the demo account in-process (moto) and collecting it...", True)
    snapshot = demo_snapshot(quiet=request.quiet)
    return _produce(snapshot, None, request, keep_snapshot=True, review=review)


@cli.command()
@collection_options
@report_options
@review_options
@quiet_option
def run(**params: Any) -> int:
    """Collect from a real account (or --endpoint-url) and write every report."""
    request = ReportRequest.from_params(params)
    review = ReviewRequest.from_params(params, request.formats, config=request.config)
    from audit.collect import collect_snapshot  # lazy: boto3, see _collect_options

    snapshot = collect_snapshot(_collect_options(params, request.quiet, request.settings))
    return _produce(snapshot, None, request, keep_snapshot=True, review=review)


@cli.command()
@collection_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Snapshot file to write (gzip JSON, e.g. snap.json.gz).",
)
@quiet_option
def collect(output: Path, quiet: bool, **params: Any) -> int:
    """Collect a snapshot only; build reports from it later with `iam-audit report`."""
    from audit.collect import collect_snapshot  # lazy: boto3, see _collect_options

    _check_writable_folder(output.parent, "--output")
    snapshot = collect_snapshot(_collect_options(params, quiet, load_settings(None)))
    digest = write_snapshot(snapshot, output)
    # The hash is the evidence anchor: printed even with --quiet.
    _say(f"{digest}  {output}")
    for gap in snapshot.failed_outcomes:
        _say(f"iam-audit: not collected: {gap.api}: {gap.status.value} {gap.message}", err=True)
    return EXIT_INCOMPLETE if snapshot.failed_outcomes else EXIT_OK


@cli.command()
@click.argument("snapshot_file", type=click.Path(dir_okay=False, path_type=Path))
@report_options
@review_options
@quiet_option
def report(snapshot_file: Path, **params: Any) -> int:
    """Rebuild reports from a stored snapshot, without AWS."""
    request = ReportRequest.from_params(params)
    review = ReviewRequest.from_params(params, request.formats, config=request.config)
    snapshot, digest = read_snapshot(snapshot_file)
    return _produce(snapshot, digest, request, keep_snapshot=False, review=review)


def _org_run_options(request: ReportRequest, review: ReviewRequest) -> RunOptions:
    # No e-mail per account: the organization's PDF is sent once, after every file is written.
    return RunOptions(
        as_of=request.as_of,
        presentation=request.presentation(),
        fail_on=review.fail_on,
    )


def _produce_org(
    org: Any,
    accounts: Any,
    request: ReportRequest,
    review: ReviewRequest,
    account_pdf: bool,
    workers: int,
) -> int:
    """Every account through the pipeline, then the organization's reports; the exit code."""
    outcome = report_organization(
        org,
        accounts,
        request.out,
        request.settings,
        review.suppressions,
        formats=account_formats(request.formats, account_pdf),
        options=_org_run_options(request, review),
        say=lambda line: _echo(request.quiet, line),
        warn=lambda line: _say(line, err=True),
        org_pdf="pdf" in request.formats,
        workers=workers,
    )
    if outcome.exit_code == EXIT_FAIL_ON and review.fail_on is not None:
        _say(f"iam-audit: {org_gate_message(outcome, review.fail_on)}", err=True)
    if review.email is not None:
        error = email_organization(outcome, review.email)
        if error is not None:
            raise error  # one line, exit 4; every file is on disk and the gate was printed
        _echo(request.quiet, f"  e-mailed report.pdf to {', '.join(review.email.to)}")
    return outcome.exit_code


@cli.group()
def org() -> None:
    """An AWS Organization: every account, one consolidated report.

    Run from the management account or a delegated administrator; each member is read through
    its reader role (docs/org-reader-role.yaml). See the README's organization section.
    """


org_scope_options = option_group(
    click.option(
        "--role-name",
        default="iam-audit-reader",
        show_default=True,
        help="The read-only role in each member account (a path prefix allowed: path/name).",
    ),
    click.option(
        "--external-id",
        envvar="IAM_AUDIT_EXTERNAL_ID",
        help="ExternalId the reader role requires (or env IAM_AUDIT_EXTERNAL_ID).",
    ),
    click.option("--accounts", help="Only these accounts: ID,ID,... or @FILE (one per line)."),
    click.option(
        "--ou",
        "ous",
        multiple=True,
        help="Only accounts in this OU or below it (repeatable; a root id means all).",
    ),
    click.option("--exclude", help="Never these accounts: ID,ID,... or @FILE."),
    click.option(
        "--concurrency",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Accounts collected at the same time.",
    ),
)


def _org_collection(params: dict[str, Any], quiet: bool) -> Any:
    """The organization snapshot and an iterator of its chosen accounts as they are read."""
    from audit.collect.org_accounts import (  # lazy: boto3, see _collect_options
        collect_org_snapshot,
        open_org_access,
        select_accounts,
    )
    from audit.collect.org_collection import collect_accounts
    from audit.collect.org_options import OrgOptions

    options = OrgOptions(
        collect=_collect_options(params, True, load_settings(params.get("config"))),
        role_name=params["role_name"],
        external_id=params["external_id"] or None,
        accounts=parse_ids(params["accounts"], "--accounts"),
        ous=tuple(params["ous"]),
        exclude=parse_ids(params["exclude"], "--exclude"),
    )
    access = open_org_access(options)
    organization = collect_org_snapshot(access)
    chosen = select_accounts(organization, options)
    if not chosen:
        raise InputError("no account of the organization matches --accounts/--ou/--exclude")
    _echo(quiet, f"Organization {organization.meta.organization_id}: {len(chosen)} account(s)")
    results = collect_accounts(access, organization, chosen, params["concurrency"])
    return organization, ((r.collection, r.snapshot) for r in results)


@org.command("collect")
@collection_options
@org_scope_options
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for organization.json.gz and accounts/<id>/ (snapshot, collection record).",
)
@quiet_option
def org_collect(output: Path, quiet: bool, **params: Any) -> int:
    """Collect the organization and one snapshot per account; report later with `org report`."""
    _check_writable_folder(output, "--output")
    organization, accounts = _org_collection(params, quiet)
    digest = write_organization(organization, output / ORGANIZATION_FILE_NAME)
    _say(f"{digest}  {output / ORGANIZATION_FILE_NAME}")
    incomplete = 0
    for collection, snapshot in accounts:
        write_account(output, collection, snapshot)
        _echo(quiet, status_line(collection))
        incomplete += collection.status.value != "collected"
    return EXIT_INCOMPLETE if incomplete else EXIT_OK


@org.command("report")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@report_options
@review_options
@click.option("--account-pdf", is_flag=True, help="A PDF for each account too.")
@workers_option
@quiet_option
def org_report(folder: Path, account_pdf: bool, workers: int, **params: Any) -> int:
    """Build every report from an `org collect` folder (slices merged in one folder work)."""
    request = ReportRequest.from_params(params)
    review = ReviewRequest.from_params(params, request.formats, config=request.config)
    organization, accounts = read_org_folder(folder)
    return _produce_org(organization, accounts, request, review, account_pdf, workers)


@org.command("run")
@collection_options
@org_scope_options
@report_options
@review_options
@click.option("--account-pdf", is_flag=True, help="A PDF for each account too.")
@workers_option
@quiet_option
def org_run(account_pdf: bool, workers: int, **params: Any) -> int:
    """Collect every account of the organization and write the consolidated reports."""
    request = ReportRequest.from_params(params)
    review = ReviewRequest.from_params(params, request.formats, config=request.config)
    organization, accounts = _org_collection(params, request.quiet)
    return _produce_org(organization, accounts, request, review, account_pdf, workers)


@cli.command()
def permissions() -> int:
    """Print the least-privilege IAM policy the auditor needs (JSON)."""
    from audit.collect.permissions import policy_json  # lazy: boto3, see _collect_options

    click.echo(policy_json(), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for diff.json and diff.csv (default: NEW if it is a run folder, else .).",
)
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="Lines per list."
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="audit.toml judging snapshot files, as `run` does: thresholds, severity overrides, "
    "disabled rules (default: ./audit.toml when present).",
)
@quiet_option
def diff(
    old: Path, new: Path, out: Path | None, limit: int, config: Path | None, quiet: bool
) -> int:
    """Compare two reviews: snapshot files or run folders (reports/<account>/<time>/), or two
    organization runs / `org collect` folders (accounts added, removed, changed; per account)."""
    settings = load_settings(config)
    out_dir = out or (new if new.is_dir() else Path("."))
    _check_writable_folder(out_dir, "--out")
    warnings: dict[str, None] = {}
    warn = warnings.setdefault
    if is_org_folder(old) or is_org_folder(new):
        # Two organization runs (or `org collect` folders): per account, then organization-wide.
        both = org_diff_paths(old, new, settings, warn=warn)
        files = (("diff.json", org_diff_json(both)), ("diff.csv", org_diff_csv(both)))
        text = org_summary_text(both, limit)
    else:
        result = diff_paths(old, new, settings, warn=warn)
        files = (("diff.json", diff_json(result)), ("diff.csv", diff_csv(result)))
        text = summary_text(result, limit)
    written = []
    for name, data in files:
        atomic_write_bytes(out_dir / name, data)
        written.append(out_dir / name)
    for warning in warnings:
        _say(f"iam-audit: warning: {warning}", err=True)
    _echo(quiet, text)
    for path in written:
        _echo(quiet, f"  wrote {path}")
    return EXIT_OK


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="audit.toml: titles name its thresholds, severities follow its overrides, disabled "
    "rules are left out, as `run` judges (default: ./audit.toml when present).",
)
def rules(fmt: str, config: Path | None) -> int:
    """List the rules catalogue: ids, severities, controls, the data each rule needs."""
    click.echo(render_catalogue(fmt, load_settings(config)), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("name")
@click.argument("snapshot_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPLAIN_FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
def explain(name: str, snapshot_file: Path, fmt: str) -> int:
    """Show NAME's effective permissions in SNAPSHOT_FILE, where each comes from, and its
    shortest privilege-escalation path.

    NAME is an IAM user or role (user/NAME or role/NAME when both exist), or an IAM Identity
    Center user name or e-mail: then every account the person reaches, through which group and
    permission set, admin or able to escalate (text only).
    """
    snapshot, _digest = read_snapshot(snapshot_file)
    _say(explain_anyone(snapshot, name, fmt), nl=False)
    return EXIT_OK


cli.add_command(review)
cli.add_command(verify)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: map every outcome to an exit code and at most one line on stderr."""
    try:
        code = cli.main(args=argv, prog_name="iam-audit", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("iam-audit: interrupted", err=True)
        code = 130
    except click.exceptions.NoArgsIsHelpError as exc:  # bare `iam-audit`: the help, exit 2
        exc.show()
        code = EXIT_USAGE
    except click.ClickException as exc:
        # One line like every other error (click would print usage, a hint and the error), and
        # always 2: a bad option is bad usage, and 1 means --fail-on.
        message = " ".join(exc.format_message().split())
        ctx = exc.ctx if isinstance(exc, click.UsageError) else None
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        _say(f"iam-audit: error: {message}{hint}", err=True)
        code = EXIT_USAGE
    except AuditError as exc:
        # Messages can carry another program's output (a credential_process's stderr): one line.
        _say(f"iam-audit: error: {' '.join(str(exc).split())}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("iam-audit: interrupted", err=True)
        code = 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, not a traceback
        if os.environ.get("IAM_AUDIT_DEBUG"):
            raise
        detail = str(exc).splitlines()[0] if str(exc) else ""
        _say(f"iam-audit: failed: {type(exc).__name__}: {detail}", err=True)
        code = EXIT_FAILURE
    sys.exit(code if isinstance(code, int) else EXIT_OK)
