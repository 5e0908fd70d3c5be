"""The index's record of each archive file (size, time, id, title), to refresh without re-reading.

It is a cache beside the Whoosh index, written after each commit with the Whoosh generation it
matches; when the two disagree (a crash between them) the index rebuilds it from its stored fields.

The file holds one column per attribute rather than one object per file, and entries are plain
tuples made when first asked for: at 100k files, decoding 100k small JSON objects and making an
object of each was most of a refresh's time. A refresh with nothing changed only compares
(time, size) pairs, straight from the columns. A file whose time changed is read again, but
indexed again only when its bytes differ from the digest recorded (reader/core/touched.py).

The full record is written in the order the archive folder lists its files, which stays the same
until a file is added: a refresh then compares its scan with the record as three lists, in C
(`Manifest.compare`), instead of making and comparing dicts of 100k entries.

A refresh that changes or removes a few files writes only those, to a second file beside the
first (`manifest-changes.json`, naming the generation of the full record it amends): writing the
100k rows again was a tenth of the time of refreshing 10 files. Past `CHANGES_KEPT` changed files,
or when a file was added (its row would be out of the folder's order), the full record is written
again and the changes file removed. Changes that name another full record
(a crash between writing the one and removing the other) are ignored: the record is then older
than the index, which rebuilds it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import partial
from itertools import compress, filterfalse
from operator import itemgetter, ne, or_
from pathlib import Path
from typing import NamedTuple

from reader.core.archive import FileStat, Scan

try:  # BLAKE2 itself: hashlib would load OpenSSL too (nothing else of a search uses it)
    from _blake2 import blake2b
except ImportError:  # an interpreter without the built-in module
    from hashlib import blake2b

MANIFEST_NAME = "manifest.json"
CHANGES_NAME = "manifest-changes.json"
FORMAT = 2
CHANGES_KEPT = 5_000

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
    digest: str = ""
    """`content_digest` of the bytes indexed; empty when not known (a skipped file, a record
    rebuilt from the index, or one written before digests were kept)."""


_as_entry = partial(tuple.__new__, Entry)  # a tuple of the six fields as an Entry, in C
_stamp_of = itemgetter(0, 1)  # an Entry's (mtime_ns, size), in C
_mtime_of, _size_of = itemgetter(0), itemgetter(1)
_id_of = itemgetter(2)
_skipped_of = itemgetter(4)


def content_digest(data: bytes) -> str:
    """What a file held when it was indexed, in brief: a file whose time changed but whose bytes
    did not (copied again, touched, checked out) is then not read and indexed again."""
    return blake2b(data, digest_size=16).hexdigest()


@dataclass(slots=True)
class _Columns:
    names: list[str]
    mtimes: list[int]
    sizes: list[int]
    ids: list[str]
    titles: list[str]
    skipped: dict[str, str]
    digests: list[str]


class Manifest:
    """All entries, by file name, plus the Whoosh generation they describe.

    Entries are held one of two ways: as a dict (a manifest made in memory, or read in the first
    format), or as the columns of the full record plus the changes made since, folded in when
    read. A refresh of 10 files out of 100k then changes 10 rows instead of making 100k entries,
    copying them, and taking them apart again to write them.
    """

    __slots__ = (
        "_base",
        "_changes",
        "_columns",
        "_entries",
        "_merged",
        "_rows",
        "_stamps",
        "files",
        "generation",
        "outdated",
    )

    def __init__(self, generation: int = -1, entries: dict[str, Entry] | None = None,
                 files: dict[str, int] | None = None) -> None:
        self.generation = generation
        self.files: dict[str, int] = files if files is not None else {}
        """The index's own files and their sizes when this record was written: one that is later
        missing, emptied or cut short is noticed before Whoosh reads it (search._damage)."""
        self._entries = entries if entries is not None else {}
        self._columns: _Columns | None = None
        """When set, the entries of the full record; never changed (a loaded manifest may be shared)."""
        self._base = -1
        """The generation of the full record `_columns` was read from (-1: not from a file)."""
        self._changes: dict[str, Entry | None] = {}
        """Name -> its new entry, or None when removed, since the full record."""
        self._merged: _Columns | None = None
        """`_columns` with `_changes` folded in, made when first read."""
        self._rows: dict[str, int] | None = None
        """Name -> its row in `_columns`, made when first needed."""
        self._stamps: dict[str, Stamp] | None = None
        """`stamps()`, kept: a refresh asks twice (the quick check, then the update)."""
        self.outdated = False
        """Read from an earlier format: the next refresh writes it again in this one."""

    # --- reading and changing entries -----------------------------------------------------------

    def get(self, name: str) -> Entry | None:
        c = self._columns
        if c is None:
            return self._entries.get(name)
        if name in self._changes:
            return self._changes[name]
        if self._rows is None:
            self._rows = dict(zip(c.names, range(len(c.names))))
        row = self._rows.get(name)
        if row is None:
            return None
        return Entry(c.mtimes[row], c.sizes[row], c.ids[row], c.titles[row], c.skipped.get(name, ""), c.digests[row])

    def put(self, name: str, entry: Entry) -> None:
        if self._columns is None:
            self._entries[name] = entry
        else:
            self._changes[name] = entry
            self._merged = self._stamps = None

    def remove(self, name: str) -> Entry | None:
        """Forget `name`; its entry, when it had one."""
        old = self.get(name)
        if self._columns is None:
            self._entries.pop(name, None)
        elif old is not None:
            self._changes[name] = None
            self._merged = self._stamps = None
        return old

    @property
    def entries(self) -> dict[str, Entry]:
        """Every entry, as a dict that may be changed (from then on the manifest holds a dict)."""
        c = self._current()
        if c is not None:  # made whole before the columns go: another thread may be reading
            skipped = [c.skipped.get(name, "") for name in c.names] if c.skipped else [""] * len(c.names)
            self._entries = dict(zip(c.names, map(_as_entry, zip(c.mtimes, c.sizes, c.ids, c.titles, skipped, c.digests))))
            self._columns = self._merged = None
            self._rows = self._stamps = None
            self._changes = {}
            self._base = -1
        return self._entries

    def copy(self) -> Manifest:
        """A copy whose entries can be changed (a loaded manifest may be shared)."""
        copied = Manifest(self.generation, dict(self._entries), dict(self.files))
        copied._columns, copied._base, copied._changes = self._columns, self._base, dict(self._changes)
        copied._merged, copied._rows, copied._stamps = self._merged, self._rows, self._stamps
        copied.outdated = self.outdated
        return copied

    def _current(self) -> _Columns | None:
        """The full record's columns with the changes folded in (None when the entries are a dict).

        A changed file keeps its row, a removed one loses it, an added one goes at the end: the
        rows stay in the archive folder's order (see `compare`) while no file is added."""
        c, changes = self._columns, self._changes
        if c is None or not changes:
            return c
        if self._merged is not None:
            return self._merged
        if self._rows is None:
            self._rows = dict(zip(c.names, range(len(c.names))))
        rows = self._rows
        names: list[str | None] = list(c.names)
        mtimes, sizes, ids, titles, digests = list(c.mtimes), list(c.sizes), list(c.ids), list(c.titles), list(c.digests)
        added: list[tuple[str, Entry]] = []
        for name, entry in changes.items():
            row = rows.get(name)
            if row is None:
                if entry is not None:
                    added.append((name, entry))
            elif entry is None:
                names[row] = None
            else:
                mtimes[row], sizes[row], ids[row], titles[row], digests[row] = (
                    entry.mtime_ns, entry.size, entry.id, entry.title, entry.digest)
        if None in names:  # removed rows go, each column cut down in C
            keep = [name is not None for name in names]
            names, mtimes, sizes, ids, titles, digests = (
                list(compress(column, keep)) for column in (names, mtimes, sizes, ids, titles, digests))
        self._merged = _Columns(
            names + [name for name, _ in added],  # type: ignore[operator]
            mtimes + [entry.mtime_ns for _, entry in added],
            sizes + [entry.size for _, entry in added],
            ids + [entry.id for _, entry in added],
            titles + [entry.title for _, entry in added],
            {name: reason for name, reason in c.skipped.items() if name not in changes}
            | {name: entry.skipped for name, entry in changes.items() if entry is not None and entry.skipped},
            digests + [entry.digest for _, entry in added],
        )
        return self._merged

    def __len__(self) -> int:
        c = self._current()
        return len(c.names) if c is not None else len(self._entries)

    def compare(self, found: Scan) -> tuple[list[str], dict[str, FileStat]]:
        """The files recorded that `found` lacks, and the files it has that were added or changed
        since (with their stamps).

        The full record is written in the order of the scan that made it, and a folder lists its
        files in the same order until one is added or removed: then three list comparisons in C
        find that nothing changed, or which rows did. Otherwise the two are compared by name."""
        c = self._current()
        if c is not None and c.names == found.names:
            if c.mtimes == found.mtimes and c.sizes == found.sizes:
                return [], {}
            differ = map(or_, map(ne, c.mtimes, found.mtimes), map(ne, c.sizes, found.sizes))
            return [], {
                found.names[row]: FileStat(found.mtimes[row], found.sizes[row])
                for row in compress(range(len(found.names)), differ)
            }
        stamps, files = self.stamps(), found.files
        # One pass each way, in C (at 100k: 0.03 s; the same as list comprehensions took 0.2 s).
        removed = list(filterfalse(files.__contains__, stamps))
        changed = compress(files, map(ne, map(stamps.get, files), files.values()))
        return removed, {name: files[name] for name in changed}

    # --- views ----------------------------------------------------------------------------------

    def stamps(self) -> dict[str, Stamp]:
        """Every file's (time, size), by name, without making the entries. Do not change it."""
        c = self._current()
        if c is not None:
            if self._stamps is None:
                self._stamps = dict(zip(c.names, zip(c.mtimes, c.sizes)))
            return self._stamps
        return dict(zip(self._entries, map(_stamp_of, self._entries.values())))

    def stamps_in(self, order: list[str]) -> tuple[list[int], list[int]] | None:
        """The recorded times and sizes in `order` (a scan's), or None unless the record holds
        exactly those files. Straight from the columns when they are in that order already."""
        c = self._current()
        if c is not None and c.names == order:
            return c.mtimes, c.sizes
        stamps = self.stamps()
        if len(stamps) != len(order):
            return None
        try:
            pairs = list(map(stamps.__getitem__, order))
        except KeyError:
            return None
        return list(map(_mtime_of, pairs)), list(map(_size_of, pairs))

    def skipped(self) -> dict[str, str]:
        """Why each skipped file is not indexed, by name."""
        c = self._current()
        if c is not None:
            return dict(c.skipped)
        return {name: e.skipped for name, e in self._entries.items() if e.skipped}

    def indexed_count(self) -> int:
        c = self._current()
        if c is not None:
            return len(c.names) - len(c.skipped)
        return len(self._entries) - sum(map(bool, map(_skipped_of, self._entries.values())))

    def articles(self) -> list[tuple[str, str, str]]:
        """(file name, id, title) of every indexed file."""
        c = self._current()
        if c is not None:
            return [row for row in zip(c.names, c.ids, c.titles) if row[1]]
        return [(name, e.id, e.title) for name, e in self._entries.items() if e.id]

    def ids(self) -> dict[str, str]:
        """File name by article id, for every indexed file."""
        c = self._current()
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
        count = len(raw["names"])
        # A record written before digests were kept has none: its files are compared by time alone.
        digests = raw.get("digests", [""] * count)
        columns = _Columns(raw["names"], raw["mtimes"], raw["sizes"], raw["ids"], raw["titles"], raw["skipped"], digests)
        lists = (columns.names, columns.mtimes, columns.sizes, columns.ids, columns.titles, columns.digests)
        if not all(isinstance(column, list) and len(column) == count for column in lists):
            return None
        if not isinstance(columns.skipped, dict):
            return None
        manifest._columns = columns
        manifest._base = manifest.generation
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    _add_changes(folder, manifest)
    return manifest


def _add_changes(folder: Path, manifest: Manifest) -> None:
    """Apply the changes file, when there is one for this full record. One that cannot be read is
    left out: the record is then older than the index, which rebuilds it."""
    try:
        raw = json.loads((folder / CHANGES_NAME).read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT or raw["base"] != manifest._base:
            return
        # Rows of five fields were written before digests were kept (Entry's default fills the sixth).
        changes = {
            str(name): None if row is None else Entry(*row) for name, row in raw["changes"].items()
        }
        if not all(entry is None or len(entry) == len(Entry._fields) for entry in changes.values()):
            return
        sizes = {str(name): int(size) for name, size in raw["index_files"].items()}
        generation = int(raw["generation"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return
    manifest.generation, manifest.files, manifest._changes = generation, sizes, changes


def save(folder: Path, manifest: Manifest, order: list[str] | None = None) -> None:
    """Write atomically: a crash leaves the old record or the new one, never half of one. Only
    the changes when they are few and the full record they amend is the one in `folder`. A full
    record is written in `order` (the archive folder's, from its scan) when that names each file
    once: `Manifest.compare` is quickest then. So the changes alone are written only while the
    rows they leave are in that order (no file added since the full record)."""
    few = manifest._columns is not None and manifest._base >= 0 and len(manifest._changes) <= CHANGES_KEPT
    if few and (order is None or manifest._current().names == order):  # type: ignore[union-attr]
        changes = {name: None if entry is None else list(entry) for name, entry in manifest._changes.items()}
        record: dict[str, object] = {
            "format": FORMAT,
            "base": manifest._base,
            "generation": manifest.generation,
            "index_files": manifest.files,
            "changes": changes,
        }
        _write(folder, CHANGES_NAME, record)
        return
    c = manifest._current()
    if c is None:  # one C-level pass turns the entries into columns
        entries = manifest.entries
        mtimes, sizes, ids, titles, reasons, digests = map(list, zip(*entries.values())) if entries else ([], [], [], [], [], [])
        names = list(entries)
        c = _Columns(names, mtimes, sizes, ids, titles, {name: why for name, why in zip(names, reasons) if why}, digests)
    if order is not None and order != c.names and len(order) == len(c.names):
        rows = dict(zip(c.names, range(len(c.names))))
        picked = [rows.get(name, -1) for name in order]
        if -1 not in picked and len(set(picked)) == len(picked):
            names, mtimes, sizes, ids, titles, digests = (
                list(map(column.__getitem__, picked)) for column in (c.names, c.mtimes, c.sizes, c.ids, c.titles, c.digests))
            c = _Columns(names, mtimes, sizes, ids, titles, c.skipped, digests)
    record = {
        "format": FORMAT,
        "generation": manifest.generation,
        "index_files": manifest.files,
        "names": c.names,
        "mtimes": c.mtimes,
        "sizes": c.sizes,
        "ids": c.ids,
        "titles": c.titles,
        "skipped": c.skipped,
        "digests": c.digests,
    }
    _write(folder, MANIFEST_NAME, record)
    (folder / CHANGES_NAME).unlink(missing_ok=True)  # it amended the record just replaced
    manifest._base = -1  # its columns are no longer the file's: a later save writes it whole


def _write(folder: Path, name: str, record: dict[str, object]) -> None:
    # ensure_ascii: a file name with undecodable bytes (lone surrogates) cannot be written as
    # UTF-8, and would have made every save fail; escaped, it loads back as the same name.
    # dumps, not dump: json.dump encodes in Python, piece by piece, ten times slower.
    text = json.dumps(record, ensure_ascii=True, separators=(",", ":"))
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, folder / name)
