"""Each account's audit in worker processes, handed back in the order the accounts arrived.

Judging and rendering one account (:func:`audit.pipeline.run_audit`: rules, the HTML report
with its charts, CSV, JSON) is pure Python: threads would share one core. An organization of
hundreds of accounts spreads it over ``workers`` processes instead, while the caller's
process keeps collecting (threads waiting on the network) and streams each outcome into the
organization's files. ``workers`` 1 runs each audit in this process, one after the other.

Memory: at most ``2 * workers`` accounts are submitted and not yet handed back, so a slow
caller holds back the collection rather than piling up snapshots. Each worker writes its
account's own files (atomically, as run_audit always does); the caller writes the account's
completion marker after handing it on. Ctrl-C reaches only this process (workers ignore it):
accounts not started are cancelled, running ones finish, and nothing is half-written.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_DEFAULT_WORKERS = 4  # each worker holds its own imports (~150 MB): 4 stay under 1 GB


def default_workers() -> int:
    """One worker per core this process may use, at most MAX_DEFAULT_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cores))


def _ignore_interrupt() -> None:
    # Ctrl-C goes to the whole process group: only the organization run decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def in_workers(
    items: Iterable[Item],
    job: Callable[[Item], Result],
    needs_job: Callable[[Item], bool],
    workers: int,
) -> Iterator[tuple[Item, Result | None]]:
    """Each item with ``job(item)`` (None where ``needs_job`` says no), in arrival order.

    ``job`` must be picklable (a module-level function or a functools.partial of one) when
    ``workers`` > 1; its exceptions reach the caller when that item is handed back.
    """
    if workers <= 1:
        for item in items:
            yield item, job(item) if needs_job(item) else None
        return
    pool = ProcessPoolExecutor(
        max_workers=workers,
        # spawn, not fork: this process runs the collection's threads (boto3, sockets).
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_ignore_interrupt,
    )
    queue: deque[tuple[Item, Future[Result] | None]] = deque()
    try:
        for item in items:
            queue.append((item, pool.submit(job, item) if needs_job(item) else None))
            while len(queue) > 2 * workers or (queue and _ready(queue[0][1])):
                item, future = queue.popleft()
                yield item, future.result() if future is not None else None
        while queue:
            item, future = queue.popleft()
            yield item, future.result() if future is not None else None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ready(future: Future[Result] | None) -> bool:
    return future is None or future.done()
