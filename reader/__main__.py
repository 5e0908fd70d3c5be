"""`reader` and `python -m reader`: the command line, handing over to the TUI when no command is
given (the one place that knows both faces)."""

from __future__ import annotations

import atexit
import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reader.core.config import Config
    from reader.core.library import Library


def run_tui(library: Library, notices: list[str], config: Config | None = None) -> int:
    from reader.tui.running import (
        run_tui as run,  # Textual is imported only for the TUI
    )

    return run(library, notices, config)


def main(argv: Sequence[str] | None = None) -> int:
    # A command is one short process: the collector's passes over the objects of every module it
    # imports (60 passes in `reader search WORD`, a twentieth of its time) free nothing that exit
    # would not. The command line turns it back on for what runs long (the TUI, `reader index`).
    gc.disable()
    try:
        from reader.cli.main import main as cli_main

        return cli_main(argv, tui=run_tui)
    finally:
        if not gc.isenabled():  # a short command: the collector stayed off to the end
            # At exit the interpreter still runs full passes over every object (25 ms of
            # `reader search WORD`'s 200), to free what the process's end frees anyway: they
            # are skipped by freezing the objects first. Nothing of a command is left to a
            # finalizer: its files are written and closed, and stdout and stderr are flushed
            # at exit as always.
            atexit.unregister(gc.freeze)  # once, however many commands run in this process
            atexit.register(gc.freeze)
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
