"""How the CLI shows a refresh under way: a Rich bar on a terminal, a plain line every few seconds
on stderr when it is piped (a log, a CI job), from the core's `ProgressModel`. Piped, nothing of
Rich is imported, and no thread started, before the first report (a refresh with nothing to do
sends none).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from reader.cli import output
from reader.core.progress import ProgressModel, Throttle
from reader.core.types import Progress, ProgressReport

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

# A piped run writes a line this often: enough to see it is alive, few enough for a log
# (READER_PROGRESS_SECONDS changes it; the tests want a line before a small build ends).
PLAIN_INTERVAL_SECONDS = 3.0


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("READER_PROGRESS_SECONDS", PLAIN_INTERVAL_SECONDS)))
    except ValueError:
        return PLAIN_INTERVAL_SECONDS


def _line_column(model: ProgressModel) -> ProgressColumn:
    """A Rich column drawing the model's line at each of Rich's refreshes, so 'so far' and 'left'
    keep moving. Made here: rich.progress is imported only for a bar (a piped `reader index`
    with nothing to do would spend a tenth of its time importing it)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class LineColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            return Text(model.line() or "Checking the archive…")

    return LineColumn()


@contextmanager
def _plain(err: Console, label: str, model: ProgressModel) -> Iterator[Progress]:
    """Lines on a piped stderr: as reports come, and from a thread while a phase is silent (the
    merge of a big build sends none for a minute)."""
    throttle = Throttle(_interval())
    lock = threading.Lock()  # the model and the throttle, between the caller and the thread
    stop = threading.Event()

    ticker: list[threading.Thread] = []  # started at the first report: before it there is nothing to repeat

    def write() -> None:
        output.say(err, f"reader: {label}: {model.plain()}")

    def plain(report: ProgressReport) -> None:
        with lock:
            model.update(report)
            if throttle.due(report.phase):
                write()
            if not ticker and not stop.is_set():
                ticker.append(threading.Thread(target=tick, name="reader-progress", daemon=True))
                ticker[0].start()

    def tick() -> None:
        while not stop.wait(max(throttle.interval, 0.1) / 2):
            with lock:
                if throttle.quiet_due():
                    write()

    try:
        yield plain
    finally:
        with lock:  # no thread is started after this
            stop.set()
        for thread in ticker:
            thread.join()


@contextmanager
def shown(err: Console, label: str = "indexing") -> Iterator[Progress]:
    """A progress callback for one refresh, shown on `err` (one of `output.consoles()`, or a Rich
    console); the bar is gone when it ends."""
    model = ProgressModel()
    if not output.is_terminal(err):
        with _plain(err, label, model) as plain:
            yield plain
        return
    from rich.progress import BarColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(BarColumn(), _line_column(model), console=output.made(err), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(report: ProgressReport) -> None:
            model.update(report)
            # No total outside the reading phase: Rich's bar then moves to and fro.
            bar.update(task, completed=report.done, total=report.total or None)

        yield update
