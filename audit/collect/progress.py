"""A progress display on stderr while collecting; silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

Announce = Callable[[str], None]


@contextmanager
def progress(total: int, *, quiet: bool) -> Iterator[Announce]:
    """Yield ``announce(label)``: call it as each step starts; the bar advances per step."""
    if quiet or not sys.stderr.isatty():
        yield lambda _label: None
        return
    console = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Collecting", total=total)
        started = False

        def announce(label: str) -> None:
            nonlocal started
            bar.update(task, description=f"Collecting {label}", advance=1 if started else 0)
            started = True

        yield announce
        bar.update(task, completed=total)
