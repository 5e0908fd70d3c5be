"""The one interface every search engine gives the faces (`SearchEngine`), and the factory that
picks an engine by name or URL and imports it only then.

An engine holds an archive's articles for searching: the embedded Whoosh index beside the files
(reader.engines.whoosh), or a shared PostgreSQL database (reader.engines.postgres). The faces never
see more of an engine than this Protocol; `reader.core.library.Library` wraps it for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

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


@runtime_checkable
class SearchEngine(Protocol):
    """What a face needs of an engine. Every method is safe to call from worker threads."""

    @property
    def archive(self) -> Path | None:
        """The archive folder the engine indexes, when this machine has it (None for a shared
        database read from another machine)."""
        ...

    @property
    def location(self) -> str:
        """Where the index is, for messages: a folder, or a database named without credentials."""
        ...

    def freshness(self) -> Freshness:
        """Whether the index matches the archive, cheaply (no full open of the index)."""
        ...

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0) -> RefreshSummary:
        """Bring the index up to date: only added, changed and removed files are read, unless
        `rebuild`. Raises `IndexBusy` when another writer holds it past `wait` seconds."""
        ...

    def search(self, text: str, limit: int = 20, offset: int = 0, typeahead: bool = False, snippets: int = 20,
               suggest: bool = True) -> SearchPage:
        """A page of hits for a query in reader's query language; never raises for a bad query
        (the page's `error` says why). `typeahead`: the last word is being typed (a prefix)."""
        ...

    def suggest(self, text: str, typeahead: bool = False) -> str | None:
        """A "did you mean" for a query that found nothing (`typeahead`: its last word is being
        typed, corrected only when no word of the archive starts with it)."""
        ...

    def snippets(self, hits: Iterable[Hit], terms: Iterable[str]) -> list[Hit]:
        """The same hits with their snippets filled (for rows that come into view)."""
        ...

    def highlight(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        """Where a page's `terms` (the engine's indexed word forms) occur in `text`."""
        ...

    def titles(self) -> TitleTable:
        """Every stored article's id and title."""
        ...

    def article_ids(self) -> list[str]:
        """Every stored article id, in the archive's order."""
        ...

    def path_of(self, article_id: str) -> Path | None:
        """The article's file on this machine, when there is one."""
        ...

    def read(self, article_id: str) -> Article:
        """The parsed article; `SkippedFile` when it is gone or unreadable."""
        ...

    def backlinks(self, article_id: str) -> list[str]:
        """Ids of the stored articles with a link that resolves to this one."""
        ...

    def more_like_this(self, article_id: str, limit: int = 8) -> list[str]:
        """Ids of the articles most like this one."""
        ...

    def link_report(self) -> Iterator[LinkRow]:
        """Every link of every stored article with its resolution, in archive order."""
        ...

    def close(self) -> None:
        """Let go of open files and connections."""
        ...


# Engines by the scheme of their URL; each package has `open_engine(url, archive, index_dir)`
# returning the engine and notices for the user.
ENGINES = {
    "whoosh": "reader.engines.whoosh",
    "postgresql": "reader.engines.postgres",
    "postgres": "reader.engines.postgres",
}


class EngineError(Exception):
    """An engine that cannot be used: unknown name, missing driver, unreachable server (one line)."""


def engine_scheme(url: str | None) -> str:
    """The engine a URL names: `whoosh` (also for no URL), `postgresql`, …"""
    if not url:
        return "whoosh"
    scheme = url.split(":", 1)[0].lower() if ":" in url else url.lower()
    if scheme not in ENGINES:
        known = ", ".join(sorted({"whoosh", "postgresql://USER@HOST/DB"}))
        raise EngineError(f"unknown engine {scheme!r}: use one of {known}")
    return scheme


def without_password(url: str) -> str:
    """The URL as it may be shown: a password in it replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    user = f"{parts.username}:***@" if parts.username else ":***@"
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))


def load_engine(url: str | None, archive: Path | None, index_dir: Path | None) -> tuple[SearchEngine, list[str]]:
    """The engine a URL names and notices for the user. Its package is imported only now, and is
    light: the Whoosh engine imports Whoosh on first search (the TUI paints before that)."""
    module = importlib.import_module(ENGINES[engine_scheme(url)])
    engine, notices = module.open_engine(url, archive, index_dir)
    return engine, notices
