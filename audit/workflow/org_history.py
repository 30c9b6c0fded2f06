"""The history of an organization: ``reports/org-<org-id>/<UTC timestamp>/``, one folder a run.

An organization run folder is complete when its summary.json (written last) is there; each
account's folder in it, ``accounts/<id>/``, holds that account's snapshot and findings. The next
run compares each account with its folder in the last complete earlier run (audit.org_run).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from audit.org_folder import ACCOUNTS_DIR, COLLECTION_FILE
from audit.snapshot_io import ORGANIZATION_FILE_NAME
from audit.workflow.history import SNAPSHOT_FILE, SUMMARY_FILE, Warn, list_runs


def org_history_name(organization_id: str) -> str:
    """The folder under reports/ that holds the organization's runs."""
    return f"org-{organization_id}"


def is_org_run(folder: Path) -> bool:
    """A complete organization run (or `org report`) folder."""
    return (folder / ORGANIZATION_FILE_NAME).is_file() and (folder / SUMMARY_FILE).is_file()


def previous_org_run(
    reports_dir: Path, organization_id: str, current: Path, when: datetime, *, warn: Warn
) -> Path | None:
    """The last complete run of the organization read before ``when`` (this run's organization
    collection time, to the second), other than ``current`` (this run's folder); or None.

    An incomplete run (no summary.json: interrupted) is passed over with a warning.
    """
    resolved = current.resolve()
    stamp = when.replace(microsecond=0)
    for run in reversed(list_runs(reports_dir, org_history_name(organization_id))):
        if run.path.resolve() == resolved or run.when >= stamp:
            continue
        if not is_org_run(run.path):
            warn(f"skipped {run.path}: an incomplete organization run (no {SUMMARY_FILE})")
            continue
        return run.path
    return None


def previous_account_dir(previous: Path, account_id: str) -> Path | None:
    """The account's folder in an earlier organization run, when it was audited there."""
    where = previous / ACCOUNTS_DIR / account_id
    if (where / SNAPSHOT_FILE).is_file() and (where / COLLECTION_FILE).is_file():
        return where
    return None
