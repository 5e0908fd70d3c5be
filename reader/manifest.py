"""The index's record of each archive file (size, time, id, title), to refresh without re-reading.

It is a cache beside the Whoosh index, written after each commit with the Whoosh generation it
matches; when the two disagree (a crash between them) the index rebuilds it from its stored fields.

The file holds one column per attribute rather than one object per file: a refresh with nothing
changed only compares (time, size) pairs, and at 100k files decoding 100k small objects, then
making an `Entry` of each, was most of its time. Entries are made when first asked for.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.json"
FORMAT = 2

Stamp = tuple[int, int]
"""A file's (modification time in ns, size): what says it changed."""


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


class Manifest:
    """All entries, by file name, plus the Whoosh generation they describe."""

    __slots__ = ("generation", "files", "outdated", "_entries", "_columns")

    def __init__(self, generation: int = -1, entries: dict[str, Entry] | None = None,
                 files: dict[str, int] | None = None) -> None:
        self.generation = generation
        self.files: dict[str, int] = files if files is not None else {}
        """The index's own files and their sizes when this record was written: one that is later
        missing, emptied or cut short is noticed before Whoosh reads it (search._damage)."""
        self._entries = entries if entries is not None else {}
        self._columns: _Columns | None = None
        self.outdated = False
        """Read from an earlier format: the next refresh writes it again in this one."""

    @property
    def entries(self) -> dict[str, Entry]:
        if self._columns is not None:
            c, self._columns = self._columns, None
            skipped = c.skipped
            self._entries = {
                name: Entry(mtime, size, doc_id, title, skipped.get(name, ""))
                for name, mtime, size, doc_id, title in zip(c.names, c.mtimes, c.sizes, c.ids, c.titles)
            }
        return self._entries

    def stamps(self) -> dict[str, Stamp]:
        """Every file's (time, size), by name, without making the entries."""
        if self._columns is not None:
            c = self._columns
            return dict(zip(c.names, zip(c.mtimes, c.sizes)))
        return {name: (e.mtime_ns, e.size) for name, e in self._entries.items()}

    def skipped(self) -> dict[str, str]:
        """Why each skipped file is not indexed, by name."""
        if self._columns is not None:
            return dict(self._columns.skipped)
        return {name: e.skipped for name, e in self._entries.items() if e.skipped}

    def indexed_count(self) -> int:
        if self._columns is not None:
            return len(self._columns.names) - len(self._columns.skipped)
        return sum(1 for e in self._entries.values() if not e.skipped)

    def articles(self) -> list[tuple[str, str, str]]:
        """(file name, id, title) of every indexed file."""
        if self._columns is not None:
            c = self._columns
            return [row for row in zip(c.names, c.ids, c.titles) if row[1]]
        return [(name, e.id, e.title) for name, e in self._entries.items() if e.id]

    def indexed(self) -> dict[str, Entry]:
        return {name: entry for name, entry in self.entries.items() if not entry.skipped}


@dataclass(slots=True)
class _Columns:
    names: list[str]
    mtimes: list[int]
    sizes: list[int]
    ids: list[str]
    titles: list[str]
    skipped: dict[str, str]


def load(folder: Path) -> Manifest | None:
    """The manifest in `folder`, or None when it is missing or unreadable."""
    try:
        raw = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        sizes = {str(name): int(size) for name, size in raw.get("index_files", {}).items()}
        manifest = Manifest(int(raw["generation"]), None, sizes)
        if raw.get("format") != FORMAT:  # the first format: an object per file
            manifest._entries = {name: Entry(*row) for name, row in raw["files"].items()}
            manifest.outdated = True
            return manifest
        columns = _Columns(raw["names"], raw["mtimes"], raw["sizes"], raw["ids"], raw["titles"], raw["skipped"])
        count = len(columns.names)
        lists = (columns.names, columns.mtimes, columns.sizes, columns.ids, columns.titles)
        if not all(isinstance(column, list) and len(column) == count for column in lists):
            return None
        if not isinstance(columns.skipped, dict):
            return None
        manifest._columns = columns
        return manifest
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(folder: Path, manifest: Manifest) -> None:
    """Write atomically: a crash leaves the old manifest or the new one, never half of one."""
    entries = manifest.entries
    record = {
        "format": FORMAT,
        "generation": manifest.generation,
        "index_files": manifest.files,
        "names": list(entries),
        "mtimes": [e.mtime_ns for e in entries.values()],
        "sizes": [e.size for e in entries.values()],
        "ids": [e.id for e in entries.values()],
        "titles": [e.title for e in entries.values()],
        "skipped": {name: e.skipped for name, e in entries.items() if e.skipped},
    }
    temporary = folder / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        # ensure_ascii: a file name with undecodable bytes (lone surrogates) cannot be written as
        # UTF-8, and would have made every save fail; escaped, it loads back as the same name.
        json.dump(record, stream, ensure_ascii=True, separators=(",", ":"))
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, folder / MANIFEST_NAME)
