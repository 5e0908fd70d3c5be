"""The Whoosh engine as the faces get it: the index folder chosen (with a fallback for a read-only
one), and Whoosh imported only when first needed.

The TUI paints its first screen, and `reader index` finds that nothing changed, without importing
Whoosh (a fifth of a second); anything else makes the real `ArchiveIndex` and hands the call to it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core import paths
from reader.core.archive import ArchiveError, check_archive
from reader.core.types import IndexLocationError
from reader.engines.whoosh import patches
from reader.engines.whoosh.freshness import classify, nothing_to_do, stale_reason
from reader.engines.whoosh.store import IndexStore
from reader.engines.whoosh.version import installed_version, notice

if TYPE_CHECKING:  # annotations only: a search never loads the link resolver
    from reader.core.article import Article
    from reader.core.links import TitleTable
    from reader.core.types import (
        Freshness,
        Hit,
        LinkRow,
        Progress,
        RefreshSummary,
        SearchPage,
    )
    from reader.engines.whoosh.index import ArchiveIndex


def open_engine(url: str | None, archive: Path | None, index_dir: Path | None) -> tuple[DeferredIndex, list[str]]:
    """The index of `archive` (default: `$READER_ARCHIVE` or the bundled one) and notices for the
    user. Raises `ArchiveError` for an unusable archive.

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
    mismatch = notice(installed_version())
    if mismatch:
        notices.append(mismatch)
    return DeferredIndex(archive, chosen), notices


class DeferredIndex:
    """A `SearchEngine` over an `ArchiveIndex` made when first used."""

    def __init__(self, archive: Path, index_dir: Path) -> None:
        self._archive = archive
        self.store = IndexStore(index_dir)
        self._index: ArchiveIndex | None = None
        self._lock = threading.Lock()

    @property
    def archive(self) -> Path:
        return self._archive

    @property
    def location(self) -> str:
        return str(self.store.root)

    @property
    def index_dir(self) -> Path:
        return self.store.root

    def loaded(self) -> ArchiveIndex:
        with self._lock:
            if self._index is None:
                patches.import_lean()  # before Whoosh's first import, on the supported version
                from reader.engines.whoosh.index import ArchiveIndex

                self._index = ArchiveIndex(self._archive, self.store.root)
            return self._index

    def freshness(self) -> Freshness:
        return classify(stale_reason(self._archive, self.store))

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0) -> RefreshSummary:
        scanned = None
        if not rebuild:
            # Without the writer lock: a writer at work has changed files to write, which this
            # sees, and then waits for it below like any refresh.
            quiet, scanned = nothing_to_do(self._archive, self.store)
            if quiet is not None:
                return quiet
        return self.loaded().refresh(rebuild, progress, wait, scanned)

    def search(self, text: str, limit: int = 20, offset: int = 0, typeahead: bool = False, snippets: int = 20,
               suggest: bool = True) -> SearchPage:
        return self.loaded().search(text, limit, offset, typeahead, snippets, suggest)

    def suggest(self, text: str, typeahead: bool = False) -> str | None:
        return self.loaded().suggest(text, typeahead)

    def snippets(self, hits: Iterable[Hit], terms: Iterable[str]) -> list[Hit]:
        return self.loaded().snippets(hits, terms)

    def highlight(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        return self.loaded().highlight(text, terms)

    def titles(self) -> TitleTable:
        return self.loaded().titles()

    def article_ids(self) -> list[str]:
        return self.loaded().article_ids()

    def path_of(self, article_id: str) -> Path | None:
        return self.loaded().path_of(article_id)

    def read(self, article_id: str) -> Article:
        return self.loaded().read(article_id)

    def backlinks(self, article_id: str) -> list[str]:
        return self.loaded().backlinks(article_id)

    def more_like_this(self, article_id: str, limit: int = 8) -> list[str]:
        return self.loaded().more_like_this(article_id, limit)

    def link_report(self) -> Iterator[LinkRow]:
        return self.loaded().link_report()

    def close(self) -> None:
        with self._lock:
            index, self._index = self._index, None
        if index is not None:
            index.close()
