"""Progress bars on stderr for commands that can take more than a couple of seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(label: str, total: int | None, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` steps on stderr; yields ``advance(n)``. A no-op when not enabled."""
    if not enabled:
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ipledger.cli._common import err_console, err_line

    if not err_console.is_terminal:
        # Forced on a pipe (IPLEDGER_PROGRESS=1): a live bar would not show; say start and end.
        import time

        done = [0]
        t0 = time.monotonic()
        err_line(f"{label}: {total} to do" if total is not None else f"{label} ...")

        def step(n: int) -> None:
            done[0] += n

        yield step
        count = f"{done[0]} done" if total is not None else "done"
        err_line(f"{label}: {count} in {time.monotonic() - t0:.1f} s")
        return
    with Progress(
        TextColumn(f"{label:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def spinner(label: str, enabled: bool) -> Iterator[None]:
    """A spinner with elapsed time on stderr while a step of unknown length runs."""
    with progress_bar(label, None, enabled):
        yield
