"""`reader index --watch`: after the first refresh, refresh again each time the archive folder
settles after changes, one summary line each, until Ctrl+C (exit 130, like any interrupted run)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.text import Text

from reader.core.archive import ArchiveError
from reader.core.types import IndexBusy, RefreshSummary
from reader.core.watch import archive_changes


def watch_index(
    folder: Path, out: Console, err: Console, refresh: Callable[[], RefreshSummary],
    summary_line: Callable[[RefreshSummary], str],
) -> int:
    """Watch `folder` and `refresh` after each burst of changes; never returns but by Ctrl+C
    (KeyboardInterrupt, which the CLI turns into its one line and 130)."""
    err.print(Text(f"reader: watching {folder} for changes (Ctrl+C to stop)", style="dim"))
    for kind in archive_changes(folder, threading.Event()):
        if kind == "gone":
            err.print(Text("reader: the archive folder is gone; waiting for it to come back", style="yellow"))
            continue
        try:
            summary = refresh()
        except IndexBusy:
            err.print(Text("reader: another process is updating the index; trying again at the next change",
                           style="yellow"))
            continue
        except ArchiveError as error:  # it went again while being read
            err.print(Text(f"reader: {error}", style="yellow"))
            continue
        if summary.changed:
            stamp = datetime.now().strftime("%H:%M:%S")
            out.print(Text(f"{stamp} refreshed: {summary_line(summary)}; {summary.total:,} articles"))
            out.file.flush()  # piped stdout is buffered: a log or a script reads each line as it comes
    return 0
