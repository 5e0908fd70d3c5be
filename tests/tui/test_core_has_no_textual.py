"""The core (parsing, linking, indexing, searching, history) must never import Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = ["article", "archive", "links", "manifest", "paths", "search", "store", "opening", "history", "results", "freshness"]


def test_core_modules_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module('reader.' + name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_check_would_see_textual() -> None:
    # The same check on the TUI does find Textual: the test above can fail.
    code = "import sys, reader.app; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


def test_the_tui_and_the_command_line_load_whoosh_only_when_asked_to_search() -> None:
    # Whoosh's import is a fifth of a second of start-up: the TUI's modules, the command line
    # and the no-change check of `reader index` must not need it (reader.opening.DeferredIndex).
    code = (
        "import sys, reader.cli, reader.app, reader.screens.search, reader.freshness\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'whoosh' or m == 'reader.search'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
