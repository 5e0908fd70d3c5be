"""Choosing the archive and the index folder for a run, including the fallback for a read-only one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import paths
from .archive import ArchiveError, Scan, check_archive
from .freshness import nothing_to_do, stale_reason
from .results import Progress, RefreshSummary
from .store import IndexLocationError, IndexStore

if TYPE_CHECKING:
    from .search import ArchiveIndex


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
    return cast("ArchiveIndex", DeferredIndex(archive, chosen)), notices


class DeferredIndex:
    """An `ArchiveIndex` made when first used. The TUI paints its first screen, and `reader index`
    finds that nothing changed, without importing Whoosh (a fifth of a second); anything else
    makes the real index and hands the call on to it."""

    def __init__(self, archive: Path, index_dir: Path) -> None:
        self.archive = archive
        self.store = IndexStore(index_dir)
        self._index: ArchiveIndex | None = None
        self._lock = threading.Lock()

    @property
    def index_dir(self) -> Path:
        return self.store.root

    def loaded(self) -> ArchiveIndex:
        with self._lock:
            if self._index is None:
                from .search import ArchiveIndex

                self._index = ArchiveIndex(self.archive, self.store.root)
            return self._index

    def needs_refresh(self) -> str:
        return stale_reason(self.archive, self.store)

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0,
                scanned: Scan | None = None) -> RefreshSummary:
        if not rebuild and scanned is None:
            # Without the writer lock: a writer at work has changed files to write, which this
            # sees, and then waits for it below like any refresh.
            quiet, scanned = nothing_to_do(self.archive, self.store)
            if quiet is not None:
                return quiet
        return self.loaded().refresh(rebuild, progress, wait, scanned)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loaded(), name)
