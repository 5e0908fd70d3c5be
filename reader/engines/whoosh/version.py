"""The Whoosh version reader's patches and fast scorer were written for, and the installed one,
found without importing Whoosh (the TUI's first paint does not wait for it)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

# Checked against Whoosh's own scoring by tests/engines/test_golden_whoosh.py.
SUPPORTED = (2, 7, 5)


_VERSION_LINE = re.compile(r"^__version__ = \(([\d, ]+)\)", re.MULTILINE)


@lru_cache(maxsize=1)
def installed_version() -> tuple[int, ...] | None:
    """The installed Whoosh's `__version__`, read from its `__init__.py` (importlib.metadata
    took 50-160 ms here, a third of the TUI's start), or None when it cannot be found. Read once
    a process (opening the engine and importing Whoosh both ask)."""
    try:
        spec = find_spec("whoosh")
        text = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    except (ImportError, OSError, ValueError):
        return None
    found = _VERSION_LINE.search(text)
    return tuple(int(part) for part in found.group(1).replace(" ", "").split(",") if part) if found else None


def notice(found: tuple[int, ...] | None) -> str:
    """One line for the user when `found` is not the SUPPORTED version ('' when it is)."""
    if found == SUPPORTED:
        return ""
    wanted = ".".join(map(str, SUPPORTED))
    have = ".".join(map(str, found)) if found else "an unknown version"
    return f"Whoosh {have} is not {wanted}, which reader's fast search was written for; searching with Whoosh's own scoring"
