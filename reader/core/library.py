"""The one façade of reader: what the TUI, the command line and scripts use, over any engine.

    >>> from reader import open_archive
    >>> library = open_archive("seeds")          # the embedded Whoosh index beside it
    >>> page = library.search("safeguarding", limit=5)
    >>> [(hit.id, hit.title, round(hit.score, 2)) for hit in page.hits]

`open_archive(archive=None, index=None, engine=None)`: `engine` is a URL (`postgresql://…`) or None
for the embedded index. The façade is kept stable: new engines and faces change behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.engine import SearchEngine, load_engine

if TYPE_CHECKING:  # annotations only: a search never loads the link resolver
    from types import TracebackType
    from typing import Self

    from reader.core.article import Article, Link
    from reader.core.links import Resolution, TitleTable
    from reader.core.types import (
        Freshness,
        Hit,
        LinkRow,
        Progress,
        RefreshSummary,
        SearchPage,
    )

# A prefix of no word (q is never followed by z in English), longer than the beginnings an engine
# may index as terms (whose answer reads no term list): warm() searches it.
WARMING_PREFIX = "qzqz"


class Library:
    """An archive opened for reading and searching, through one engine."""

    def __init__(self, engine: SearchEngine, notices: Iterable[str] = ()) -> None:
        self.engine = engine
        self.notices: list[str] = list(notices)
        """What the user should be told about how it was opened (a fallback index folder, …)."""

    # --- where ----------------------------------------------------------------------------------

    @property
    def archive(self) -> Path | None:
        """The archive folder, when this machine has it."""
        return self.engine.archive

    @property
    def location(self) -> str:
        """Where the index is: a folder, or a database named without credentials."""
        return self.engine.location

    # --- keeping it current ---------------------------------------------------------------------

    def freshness(self) -> Freshness:
        return self.engine.freshness()

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0) -> RefreshSummary:
        return self.engine.refresh(rebuild=rebuild, progress=progress, wait=wait)

    # --- searching ------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 20, *, offset: int = 0, typeahead: bool = False,
               snippets: int | None = None, suggest: bool = True) -> SearchPage:
        """A page of hits (`id`, `title`, `score`, `snippet`) for a query in reader's language
        (words, AND/OR/NOT, "phrases", prefix*, fuzzy~, title:word). `snippets`: how many of the
        hits get a snippet (default: all of them). Never raises for a bad query: `page.error`."""
        count = limit if snippets is None else snippets
        page = self.engine.search(text, limit=limit, offset=offset, typeahead=typeahead, snippets=count, suggest=suggest)
        if page.suggestion is not None and not self._finds(page.suggestion, typeahead):
            page = replace(page, suggestion=None)
        return page

    def suggest(self, text: str, typeahead: bool = False) -> str | None:
        """A "did you mean" for a query that found nothing, offered only when it finds something
        (`typeahead`: the last word is being typed, and the suggestion is searched so too)."""
        found = self.engine.suggest(text, typeahead)
        return found if found is not None and self._finds(found, typeahead) else None

    def _finds(self, text: str, typeahead: bool) -> bool:
        # A correction of one word can leave the query empty all the same ("space shut" AND
        # title:nas -> title:new): a dead end is not offered.
        return bool(self.engine.search(text, limit=1, typeahead=typeahead, snippets=0, suggest=False).hits)

    def snippets(self, hits: Iterable[Hit], terms: Iterable[str]) -> list[Hit]:
        return self.engine.snippets(hits, terms)

    def highlight(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        return self.engine.highlight(text, terms)

    # --- articles -------------------------------------------------------------------------------

    def titles(self) -> TitleTable:
        return self.engine.titles()

    def article_ids(self) -> list[str]:
        return self.engine.article_ids()

    def path_of(self, article_id: str) -> Path | None:
        return self.engine.path_of(article_id)

    def read(self, article_id: str) -> Article:
        """The parsed article (`SkippedFile` when it is gone or unreadable)."""
        return self.engine.read(article_id)

    def find(self, id_or_title: str) -> list[str]:
        """Ids of the articles with this id, else this title (exactly, then approximately)."""
        table = self.engine.titles()
        if table.title_of(id_or_title) is not None:
            return [id_or_title]
        return list(_resolve(id_or_title, table).targets)

    # --- links ----------------------------------------------------------------------------------

    # Links name their targets by title: they are resolved here, against the titles the engine
    # stores now, the same way for every engine (reader.core.links).

    def resolve(self, text: str) -> Resolution:
        """Where a link written `text` leads."""
        return _resolve(text, self.engine.titles())

    def links(self, article: Article | str) -> list[tuple[Link, Resolution]]:
        """Every link of an article (or of the article with this id) with where it leads."""
        found = self.read(article) if isinstance(article, str) else article
        table = self.engine.titles()
        return [(link, _resolve(link.text, table)) for link in found.links]

    def backlinks(self, article_id: str) -> list[str]:
        return self.engine.backlinks(article_id)

    def similar(self, article_id: str, limit: int = 8) -> list[str]:
        """Ids of the articles most like this one."""
        return self.engine.more_like_this(article_id, limit)

    def link_report(self) -> Iterator[LinkRow]:
        return self.engine.link_report()

    # --- ahead of the first key -----------------------------------------------------------------

    def warm(self) -> None:
        """Read ahead what the first key typed and the first link followed would wait for, while
        the reader is still looking at the first screen: on 100k articles the first type-ahead
        key read every term list (0.8 s of CPU) and the first link resolved keyed every title
        (0.2 s). A type-ahead search for a prefix no word starts with reads the term lists as any
        key would and finds nothing; an engine without such costs answers it at once."""
        self.engine.titles().ids_for_key("")
        self.engine.search(WARMING_PREFIX, limit=1, typeahead=True, snippets=0, suggest=False)

    # --- closing --------------------------------------------------------------------------------

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def _resolve(text: str, table: TitleTable) -> Resolution:
    # Imported when first used: a search never resolves a link (difflib and the title keys).
    from reader.core.links import resolve

    return resolve(text, table)


def open_archive(archive: str | Path | None = None, index: str | Path | None = None, engine: str | None = None) -> Library:
    """Open an archive: `archive` a folder of articles (default `$READER_ARCHIVE`, else the bundled
    one), `index` where the embedded index is kept (default a folder per archive), `engine` a URL
    of another engine (`postgresql://USER@HOST/DB`). Raises `ArchiveError` for an unusable archive,
    `EngineError` for an unusable engine."""
    chosen, notices = load_engine(
        engine,
        Path(archive).expanduser() if archive is not None else None,
        Path(index).expanduser() if index is not None else None,
    )
    return Library(chosen, notices)
