"""Collecting the chosen accounts of an organization, several at a time, as they finish.

Each account is :func:`~audit.collect.org_accounts.collect_account` (which never raises for that
account's problems) in a pool of ``concurrency`` threads; results come back in the order they
finish, so the caller evaluates and writes each account while others are still being read and
memory holds only the accounts in flight. Ctrl-C cancels what has not started.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from audit.collect.org_accounts import AccountResult, OrgAccess, collect_account
from audit.model_org import OrgAccount, OrgSnapshot

DEFAULT_CONCURRENCY = 8


def collect_accounts(
    access: OrgAccess,
    org: OrgSnapshot,
    accounts: Sequence[OrgAccount],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Iterator[AccountResult]:
    """Each account's result as soon as it is collected (at most ``concurrency`` in flight)."""
    pending = list(accounts)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="org-account")
    running: set[Future[AccountResult]] = set()
    try:
        while pending or running:
            # Submit only what may run now: a queue of 200 finished snapshots would hold them
            # all in memory if the caller is slower than the collection.
            while pending and len(running) < max(1, concurrency):
                running.add(pool.submit(collect_account, access, org, pending.pop(0)))
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
