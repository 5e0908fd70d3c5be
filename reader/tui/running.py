"""Running the TUI from the command line: the app on an event loop of its own, the reading state
saved on the way out, and a quit that never waits for an index batch still being written."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING

from reader.core.state import ReadingState
from reader.tui.app import ReaderApp

if TYPE_CHECKING:
    from reader.core.config import Config
    from reader.core.library import Library

# How long quitting waits for an index update still writing (a batch of a big first build can
# take a minute) before leaving it: its commit is all or nothing, so what was published stays.
QUIT_WAIT_SECONDS = 1.5


def run_tui(index: Library, notices: list[str], config: Config | None = None) -> int:
    """Run the TUI on `index` (the CLI calls this when `reader` has no subcommand); the exit code."""
    state = ReadingState.for_library(index)
    app = ReaderApp(index, notices, config, state, watch=True)
    # Our own loop, closed by us: asyncio.run would wait, on a blank screen, for the index
    # worker's thread to finish the batch it is writing.
    runner = asyncio.Runner()
    try:
        app.run(loop=runner.get_loop())
    finally:
        state.save()
    code = app.return_code or 0
    if not app.index_idle(QUIT_WAIT_SECONDS):
        from rich.console import Console

        Console(stderr=True, highlight=False).print(
            "reader: left the index update unfinished; what was indexed stays searchable, "
            "and the next start goes on from there.", markup=False)
        sys.stderr.flush()
        # A kill is what the index is built to survive (tests/reliability); the build's helper
        # processes die with this one.
        os._exit(code)
    runner.close()
    return code
