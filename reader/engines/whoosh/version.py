"""The Whoosh version reader's patches and fast scorer were written for, and the installed one,
found without importing Whoosh (the TUI's first paint does not wait for it)."""

from __future__ import annotations

from importlib import metadata

# Checked against Whoosh's own scoring by tests/engines/test_golden_whoosh.py.
SUPPORTED = (2, 7, 5)


def installed_version() -> tuple[int, ...] | None:
    """The installed Whoosh's version (whoosh-reloaded, or the original package), or None."""
    for name in ("Whoosh-Reloaded", "Whoosh"):
        try:
            text = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())
    return None


def notice(found: tuple[int, ...] | None) -> str:
    """One line for the user when `found` is not the SUPPORTED version ('' when it is)."""
    if found == SUPPORTED:
        return ""
    wanted = ".".join(map(str, SUPPORTED))
    have = ".".join(map(str, found)) if found else "an unknown version"
    return f"Whoosh {have} is not {wanted}, which reader's fast search was written for; searching with Whoosh's own scoring"
