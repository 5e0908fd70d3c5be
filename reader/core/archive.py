"""Which files of an archive folder are articles, and what changed since the index last saw them."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import NamedTuple

ARTICLE_SUFFIX = ".txt"


class ArchiveError(Exception):
    """The archive folder cannot be used (missing, not a folder, unreadable)."""


class FileStat(NamedTuple):
    """An article file as the index remembers it, to notice when it changes. A plain pair, so a
    scan of 100k files compares with the manifest's stamps in one dict comparison."""

    mtime_ns: int
    size: int


_NOT_ARTICLE_STARTS = (".", "#", "~")
_new_stat = partial(tuple.__new__, FileStat)  # FileStat(mtime, size), made in C: once per file per scan


def is_article_name(name: str) -> bool:
    """Article files end in `.txt`; hidden files and editor leftovers (`.#x.txt`, `x.txt~`,
    `x.txt.swp`, `#x.txt#`) do not count."""
    return name.endswith(ARTICLE_SUFFIX) and not name.startswith(_NOT_ARTICLE_STARTS)


def check_archive(archive: Path) -> Path:
    """The archive as an absolute path, or `ArchiveError` saying what is wrong with it."""
    path = archive.expanduser()
    if not path.exists():
        raise ArchiveError(f"archive folder not found: {path}")
    if not path.is_dir():
        raise ArchiveError(f"archive is not a folder: {path}")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ArchiveError(f"archive folder is not readable: {path}")
    return path.resolve()


class Scan:
    """The article files of an archive folder as one scan found them, in the folder's own order
    (stable while no file is added or removed): three parallel columns. A refresh compares them
    with the index's record, kept in the same order, as whole lists in C; a dict of 100k
    (time, size) pairs cost more to make and compare than the scan's system calls."""

    __slots__ = ("names", "mtimes", "sizes", "_files")

    def __init__(self, names: list[str], mtimes: list[int], sizes: list[int]) -> None:
        self.names = names
        self.mtimes = mtimes
        self.sizes = sizes
        self._files: dict[str, FileStat] | None = None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def files(self) -> dict[str, FileStat]:
        """Each file's (time, size), by name (made when first asked for)."""
        if self._files is None:
            self._files = dict(zip(self.names, map(_new_stat, zip(self.mtimes, self.sizes))))
        return self._files


def scan_folder(archive: Path) -> Scan:
    """The article files directly inside `archive`. Sub-folders are not searched."""
    names: list[str] = []
    mtimes: list[int] = []
    sizes: list[int] = []
    try:
        folder = os.open(archive, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        raise ArchiveError(f"cannot list the archive folder {archive}: {error.strerror}") from None
    # A stat per file is most of a scan. Listed through a descriptor, each stat looks up one name
    # in the folder instead of walking the whole path again (a tenth less at 100k files). The
    # loop is written out (no helper calls) because it runs once per file at every start; and
    # keeps no stat results: holding 100k of them made the garbage collector walk them, slower.
    try:
        entries = os.scandir(folder)
        with entries:
            for entry in entries:
                name = entry.name
                if not name.endswith(ARTICLE_SUFFIX) or name.startswith(_NOT_ARTICLE_STARTS):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    stat = entry.stat()
                except OSError:  # vanished or a broken link: not an article any more
                    continue
                names.append(name)
                mtimes.append(stat.st_mtime_ns)
                sizes.append(stat.st_size)
    except OSError as error:
        raise ArchiveError(f"cannot list the archive folder {archive}: {error.strerror}") from None
    finally:
        os.close(folder)
    return Scan(names, mtimes, sizes)


def scan(archive: Path) -> dict[str, FileStat]:
    """The article files directly inside `archive`, by name. Sub-folders are not searched."""
    return scan_folder(archive).files
