"""``iam-audit review export|import`` (the quarterly access review) and ``iam-audit verify``.

The command line only parses, calls and prints: the review's steps are audit.workflow's
(access_items, owners, access_review), the workbook is audit.report.review_workbook's and the
manifest audit.manifest's.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import click

from audit.config import DEFAULT_CONFIG, load_settings, read_config
from audit.console import printable
from audit.errors import EXIT_FAIL_ON, EXIT_OK, InputError
from audit.manifest import MANIFEST_FILE, verify_run
from audit.model import Snapshot
from audit.output import atomic_write_bytes
from audit.report.review_workbook import csv_bytes, read_csv, read_workbook, workbook_bytes
from audit.snapshot_io import read_snapshot
from audit.workflow.access_items import AccessItem, access_items
from audit.workflow.access_review import (
    DECISIONS,
    UNDECIDED,
    build_export,
    check_rows,
    decisions_document,
    read_export_record,
    review_dir,
    write_decisions,
    write_export_record,
)
from audit.workflow.history import SNAPSHOT_FILE, run_findings
from audit.workflow.owners import (
    DEFAULT_REVIEWER,
    OwnerEntry,
    assign,
    load_owners,
    ou_names,
    parse_owners,
)


def _say(text: str = "", err: bool = False) -> None:
    click.echo(printable(text), err=err)


def run_snapshot_dirs(run_dir: Path) -> list[Path]:
    """The folders holding a snapshot: the run folder itself, or each account's in an
    organization run folder (one sub-folder per account)."""
    if not run_dir.is_dir():
        raise InputError(f"not a run folder: {run_dir}")
    if (run_dir / SNAPSHOT_FILE).is_file():
        return [run_dir]
    found = sorted(p for p in run_dir.iterdir() if (p / SNAPSHOT_FILE).is_file())
    if not found:
        raise InputError(f"{run_dir}: no {SNAPSHOT_FILE} (not an iam-audit run folder)")
    return found


def _owners(owners: Path | None, config: Path | None) -> tuple[OwnerEntry, ...]:
    if owners is not None:
        return load_owners(owners)
    path = config or (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    return parse_owners(read_config(path), source=str(path)) if path is not None else ()


@click.group()
def review() -> None:
    """The quarterly user access review: export a workbook, import the decisions."""


@review.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--owners",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file of [[owners]] (reviewer per group, account, OU, tag or principal glob); "
    "default: audit.toml's [[owners]].",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Workbook to write (default: RUN_DIR/review/access-review.xlsx or .csv).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    default="xlsx",
    show_default=True,
    help="xlsx (sheets per reviewer, drop-downs) or one csv for teams without Excel.",
)
@click.option(
    "--default-reviewer",
    default=DEFAULT_REVIEWER,
    show_default=True,
    help="Reviewer of items no [[owners]] entry or owner tag matches.",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="audit.toml ([[owners]], settings for runs without findings.json).",
)
def export(
    run_dir: Path,
    owners: Path | None,
    out: Path | None,
    fmt: str,
    default_reviewer: str,
    config: Path | None,
) -> int:
    """Write the access-review workbook of a run folder (reports/<account>/<time>/)."""
    entries = _owners(owners, config)
    settings = load_settings(config)
    folders = run_snapshot_dirs(run_dir)
    snapshots: list[Snapshot] = []
    digests: list[str] = []
    items: list[AccessItem] = []
    ous: list[str] = []
    for folder in folders:
        snapshot, digest = read_snapshot(folder / SNAPSHOT_FILE)
        snapshots.append(snapshot)
        digests.append(digest)
        items += access_items(snapshot, run_findings(folder, settings))
        ous += ou_names(snapshot)
    assignment = assign(items, entries, ous, default_reviewer)
    digest = digests[0] if len(digests) == 1 else ", ".join(digests)
    as_of = max(s.meta.collected_at for s in snapshots)
    export_ = build_export(
        run_dir.resolve(), snapshots, digest, items, assignment, default_reviewer, as_of
    )
    target = out or review_dir(run_dir) / f"access-review.{fmt}"
    data = workbook_bytes(export_) if fmt == "xlsx" else csv_bytes(export_)
    atomic_write_bytes(target, data)
    record = write_export_record(export_)
    _say(
        f"{len(items)} access item(s) for {len(export_.reviewers)} reviewer(s); "
        f"{assignment.unmatched} unmatched (sent to {default_reviewer})"
    )
    _say(f"  wrote {target}")
    _say(f"  wrote {record}")
    return EXIT_OK


@review.command("import")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--run",
    "run_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The run folder the workbook was exported from (default: the one on its cover; "
    "required for a csv).",
)
def import_(workbook: Path, run_dir: Path | None) -> int:
    """Read the decisions back, check every row, store RUN_DIR/review/decisions.json."""
    if workbook.suffix.lower() == ".csv":
        if run_dir is None:
            raise InputError("a csv review has no cover: give --run RUN_DIR")
        facts: dict[str, str] = {}
        rows = read_csv(workbook)
    else:
        facts, rows = read_workbook(workbook)
    run_dir = run_dir or (Path(facts["Run folder"]) if facts.get("Run folder") else None)
    if run_dir is None:
        raise InputError("the workbook names no run folder: give --run RUN_DIR")
    record = read_export_record(run_dir)
    sha = facts.get("Snapshot SHA-256")
    if sha and sha != record.get("snapshot_sha256"):
        raise InputError(
            f"unusable workbook: it was exported from snapshot {sha[:12]}..., not from "
            f"{run_dir} (snapshot {str(record.get('snapshot_sha256'))[:12]}...)"
        )
    check = check_rows(rows, record)
    if not check.usable:
        for problem in check.problems:
            _say(f"iam-audit: {problem}", err=True)
        raise InputError(
            f"unusable workbook {workbook}: {len(check.problems)} problem(s) above; "
            "nothing was stored"
        )
    data = workbook.read_bytes()
    doc = decisions_document(
        record,
        check,
        hashlib.sha256(data).hexdigest(),
        workbook.name,
        datetime.now(UTC),
    )
    path = write_decisions(run_dir, doc)
    counts = doc["counts"]
    state = "complete" if doc["complete"] else f"PARTIAL: {counts[UNDECIDED]} item(s) undecided"
    _say(
        f"Access review {state}: "
        + ", ".join(f"{counts[d]} {d}" for d in DECISIONS)
        + f" of {len(check.decisions)} item(s)"
    )
    for reviewer, progress in doc["reviewers"].items():
        _say(f"  {reviewer}: {progress['decided']}/{progress['items']} decided")
    _say(f"  wrote {path}")
    return EXIT_OK


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def verify(run_dir: Path) -> int:
    """Recompute the SHA-256 of every file in a run folder's manifest.json.

    Exit 0: every file matches; 1: a file changed or is missing; 2: not a run folder.
    """
    check = verify_run(run_dir)
    for line in check.lines():
        _say(line, err=not check.ok)
    if check.ok:
        _say(f"{run_dir}: {len(check.matching)} file(s) match {MANIFEST_FILE}")
        return EXIT_OK
    return EXIT_FAIL_ON
