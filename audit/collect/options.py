"""How and where to collect: the knobs the CLI and the demo pass to :func:`collect_snapshot`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CollectOptions:
    profile: str | None = None
    region: str | None = None  # home region for STS/IAM calls; default from the chain or us-east-1
    endpoint_url: str | None = None  # e.g. a moto server http://127.0.0.1:PORT (every service)
    # None: the enabled regions (ec2 DescribeRegions), falling back to the home region
    analyzer_regions: tuple[str, ...] | None = None
    max_attempts: int = 10  # botocore adaptive retry mode, attempts per call
    report_wait_seconds: float = 120.0  # bound on polling the credential report
    # Where the IAM Identity Center instance lives (sso-admin is regional); None: home region.
    sso_region: str | None = None
    # Accounts whose Identity Center assignments are listed even where no permission set is
    # provisioned: an organization run passes its members (the owner account always counts).
    sso_accounts: tuple[str, ...] = ()
    quiet: bool = False  # progress display on stderr off
    # Service last accessed (audit.collect.last_accessed): opt-in, 2+ calls per principal.
    last_accessed: bool = False
    last_accessed_budget_seconds: float = 600.0  # then the rest are not assessed
    # Jobs in flight at once. A job mostly waits for AWS between polls, so more than a few pay
    # off; IAM's API rate is account-wide, and adaptive retries slow down when it pushes back.
    last_accessed_workers: int = 8
