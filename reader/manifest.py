"""The index's record of each archive file (size, time, id, title), to refresh without re-reading.

It is a cache beside the Whoosh index, written after each commit with the Whoosh generation it
matches; when the two disagree (a crash between them) the index rebuilds it from its stored fields.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "manifest.json"


@dataclass(slots=True)
class Entry:
    """What the index knows of one archive file."""

    mtime_ns: int
    size: int
    id: str = ""
    """The article id; empty when the file was skipped."""
    title: str = ""
    skipped: str = ""
    """Why the file is not indexed, when it is not."""


@dataclass(slots=True)
class Manifest:
    """All entries, by file name, plus the Whoosh generation they describe."""

    generation: int = -1
    entries: dict[str, Entry] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    """The index's own files and their sizes when this record was written: one that is later
    missing, emptied or cut short is noticed before Whoosh reads it (search._damage)."""

    def indexed(self) -> dict[str, Entry]:
        return {name: entry for name, entry in self.entries.items() if not entry.skipped}


def load(folder: Path) -> Manifest | None:
    """The manifest in `folder`, or None when it is missing or unreadable."""
    try:
        raw = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        entries = {name: Entry(*row) for name, row in raw["files"].items()}
        sizes = {str(name): int(size) for name, size in raw.get("index_files", {}).items()}
        return Manifest(int(raw["generation"]), entries, sizes)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(folder: Path, manifest: Manifest) -> None:
    """Write atomically: a crash leaves the old manifest or the new one, never half of one."""
    rows = {
        name: [e.mtime_ns, e.size, e.id, e.title, e.skipped] for name, e in manifest.entries.items()
    }
    temporary = folder / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        # ensure_ascii: a file name with undecodable bytes (lone surrogates) cannot be written as
        # UTF-8, and would have made every save fail; escaped, it loads back as the same name.
        json.dump(
            {"generation": manifest.generation, "files": rows, "index_files": manifest.files},
            stream,
            ensure_ascii=True,
        )
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, folder / MANIFEST_NAME)
