"""Choosing the archive and the index folder for a run, including the fallback for a read-only one."""

from __future__ import annotations

from pathlib import Path

from . import paths
from .archive import ArchiveError, check_archive
from .search import ArchiveIndex
from .store import IndexLocationError, IndexStore


def open_index(archive: Path | None = None, index_dir: Path | None = None) -> tuple[ArchiveIndex, list[str]]:
    """The index of `archive` (default: `$READER_ARCHIVE` or the bundled one) and notices for the
    user. Raises `archive.ArchiveError` for an unusable archive.

    An index folder that cannot be written is replaced by a fallback folder the notice names,
    unless it already holds an index (which is then read as it is).
    """
    archive = check_archive(archive if archive is not None else paths.default_archive())
    chosen = index_dir if index_dir is not None else paths.default_index(archive)
    if chosen.expanduser().resolve().is_relative_to(archive):
        # Indexing never writes into the archive folder.
        raise ArchiveError(f"the index folder {chosen} is inside the archive; choose another with --index")
    notices: list[str] = []
    store = IndexStore(chosen)
    try:
        store.ensure_writable()
    except IndexLocationError as error:
        if store.current() is None:
            fallback = paths.fallback_index(archive)
            notices.append(f"{error}; using {fallback} instead")
            chosen = fallback
        else:
            notices.append(f"{error}; reading the index there as it is")
    return ArchiveIndex(archive, chosen), notices
