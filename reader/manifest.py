"""The index's record of each archive file (size, time, id, title), to refresh without re-reading.

It is a cache beside the Whoosh index, written after each commit with the Whoosh generation it
matches; when the two disagree (a crash between them) the index rebuilds it from its stored fields.

The file holds one column per attribute rather than one object per file, and entries are plain
tuples made when first asked for: at 100k files, decoding 100k small JSON objects and making an
object of each was most of a refresh's time. A refresh with nothing changed only compares
(time, size) pairs, straight from the columns.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

MANIFEST_NAME = "manifest.json"
FORMAT = 2

Stamp = tuple[int, int]
"""A file's (modification time in ns, size): what says it changed."""


class Entry(NamedTuple):
    """What the index knows of one archive file."""

    mtime_ns: int
    size: int
    id: str = ""
    """The article id; empty when the file was skipped."""
    title: str = ""
    skipped: str = ""
    """Why the file is not indexed, when it is not."""


_as_entry = partial(tuple.__new__, Entry)  # a tuple of the five fields as an Entry, in C
_stamp_of = itemgetter(0, 1)  # an Entry's (mtime_ns, size), in C
_id_of = itemgetter(2)
_skipped_of = itemgetter(4)


@dataclass(slots=True)
class _Columns:
    names: list[str]
    mtimes: list[int]
    sizes: list[int]
    ids: list[str]
    titles: list[str]
    skipped: dict[str, str]


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
        c = self._columns
        if c is not None:  # made whole before the columns go: another thread may be reading
            skipped = [c.skipped.get(name, "") for name in c.names] if c.skipped else [""] * len(c.names)
            self._entries = dict(zip(c.names, map(_as_entry, zip(c.mtimes, c.sizes, c.ids, c.titles, skipped))))
            self._columns = None
        return self._entries

    def copy(self) -> Manifest:
        """A copy whose entries can be changed (a loaded manifest may be shared)."""
        copied = Manifest(self.generation, dict(self.entries), dict(self.files))
        copied.outdated = self.outdated
        return copied

    def stamps(self) -> dict[str, Stamp]:
        """Every file's (time, size), by name, without making the entries."""
        c = self._columns
        if c is not None:
            return dict(zip(c.names, zip(c.mtimes, c.sizes)))
        return dict(zip(self._entries, map(_stamp_of, self._entries.values())))

    def skipped(self) -> dict[str, str]:
        """Why each skipped file is not indexed, by name."""
        c = self._columns
        if c is not None:
            return dict(c.skipped)
        return {name: e.skipped for name, e in self._entries.items() if e.skipped}

    def indexed_count(self) -> int:
        c = self._columns
        if c is not None:
            return len(c.names) - len(c.skipped)
        return len(self._entries) - sum(map(bool, map(_skipped_of, self._entries.values())))

    def articles(self) -> list[tuple[str, str, str]]:
        """(file name, id, title) of every indexed file."""
        c = self._columns
        if c is not None:
            return [row for row in zip(c.names, c.ids, c.titles) if row[1]]
        return [(name, e.id, e.title) for name, e in self._entries.items() if e.id]

    def ids(self) -> dict[str, str]:
        """File name by article id, for every indexed file."""
        c = self._columns
        if c is not None:
            found = dict(zip(c.ids, c.names))
        else:
            found = dict(zip(map(_id_of, self._entries.values()), self._entries))
        found.pop("", None)  # skipped files have no id
        return found

    def indexed(self) -> dict[str, Entry]:
        return {name: entry for name, entry in self.entries.items() if not entry.skipped}


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
    names = list(entries)
    # One C-level pass turns the entries into columns.
    mtimes, sizes, ids, titles, skipped = map(list, zip(*entries.values())) if entries else ([], [], [], [], [])
    record = {
        "format": FORMAT,
        "generation": manifest.generation,
        "index_files": manifest.files,
        "names": names,
        "mtimes": mtimes,
        "sizes": sizes,
        "ids": ids,
        "titles": titles,
        "skipped": {name: reason for name, reason in zip(names, skipped) if reason},
    }
    # ensure_ascii: a file name with undecodable bytes (lone surrogates) cannot be written as
    # UTF-8, and would have made every save fail; escaped, it loads back as the same name.
    # dumps, not dump: json.dump encodes in Python, piece by piece, ten times slower.
    text = json.dumps(record, ensure_ascii=True, separators=(",", ":"))
    temporary = folder / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, folder / MANIFEST_NAME)
