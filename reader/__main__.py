"""`reader` and `python -m reader`: the command line, handing over to the TUI when no command is
given (the one place that knows both faces)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reader.cli.main import main as cli_main

if TYPE_CHECKING:
    from reader.core.config import Config
    from reader.core.library import Library


def run_tui(library: Library, notices: list[str], config: Config | None = None) -> int:
    from reader.tui.app import run_tui as run  # Textual is imported only for the TUI

    return run(library, notices, config)


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, tui=run_tui)


if __name__ == "__main__":
    sys.exit(main())
