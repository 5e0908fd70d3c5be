"""The PostgreSQL engine as the faces get it: a `SearchEngine` over a shared database.

Readers need only the URL: titles, article text, links and snippets all come from the database,
so a machine without the archive folder reads it as well as the one that indexes it. Every method
is safe from worker threads: each borrows a connection of the engine's pool for its work.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from reader.core import paths
from reader.core.archive import check_archive, scan_folder
from reader.core.article import Article, Block, LinkSection, SkippedFile
from reader.core.engine import EngineError
from reader.core.links import TitleTable
from reader.core.types import (
    Freshness,
    Hit,
    IndexMissing,
    LinkRow,
    Progress,
    QueryError,
    RefreshSummary,
    SearchPage,
    Snippet,
)
from reader.engines.postgres import indexing, links, search, snippets
from reader.engines.postgres.connection import Database, EngineUnavailable, translate
from reader.engines.postgres.schema import (
    SCHEMA_VERSION,
    check_version,
    installed_version,
)

# A reader looks for another process's refresh at most this often (one tiny query).
RECHECK_SECONDS = 0.5
BODIES_KEPT = 1000


class PostgresEngine:
    """A `SearchEngine` over the `reader` schema of one PostgreSQL database."""

    def __init__(self, url: str, archive: Path | None) -> None:
        self.db = Database(url)
        self._archive = check_archive(archive) if archive is not None else None
        self._lexicon = snippets.Lexicon(self.db.connection)
        self._lock = threading.Lock()
        self._generation = -1
        self._seen = (-1e9, -1)  # (monotonic time, generation) of the last look at reader.state
        self._titles: tuple[TitleTable, list[str], dict[str, str]] | None = None
        self._schema_ok = False
        # Snippet text by article id, with the version of the row it is from (search.VERSION):
        # typing asks for the same rows again, and a refresh changes only a few of them.
        self._bodies: dict[str, tuple[int, str]] = {}
        self._versions: dict[str, int] = {}
        """The version of each article the last searches listed."""

    @property
    def archive(self) -> Path | None:
        return self._archive

    @property
    def location(self) -> str:
        return self.db.where

    # --- connections ----------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection]:
        """A pooled connection to a database that holds a reader index (`IndexMissing` if not)."""
        with self.db.connection() as conn:
            try:
                if not self._schema_ok:
                    version = installed_version(conn)
                    check_version(version)
                    if version is None or version < SCHEMA_VERSION:
                        raise IndexMissing(
                            f"no reader index in {self.db.where} yet"
                            + ("" if version is None else " of this version")
                            + "; run `reader --engine URL --archive DIR index` where the files are"
                        )
                    self._schema_ok = True
                yield conn
            except psycopg.errors.UndefinedTable:
                self._schema_ok = False
                raise IndexMissing(f"the reader index in {self.db.where} is gone; run `reader --engine URL "
                                   "--archive DIR index`") from None
            except psycopg.OperationalError:
                raise
            except psycopg.Error as error:
                raise translate(error, self.db.where) from None

    def _current(self, conn: psycopg.Connection) -> int:
        """The database's generation, read at most every RECHECK_SECONDS."""
        now = time.monotonic()
        with self._lock:
            if now - self._seen[0] < RECHECK_SECONDS:
                return self._seen[1]
        row = conn.execute("SELECT generation FROM reader.state").fetchone()
        generation = int(row[0]) if row else 0
        with self._lock:
            self._seen = (now, generation)
        return generation

    def _tables(self, conn: psycopg.Connection) -> tuple[TitleTable, list[str], dict[str, str]]:
        """The titles, archive order and file names of the current generation."""
        generation = self._current(conn)
        with self._lock:
            if self._titles is not None and generation == self._generation:
                return self._titles
        loaded = links.load_titles(conn)
        with self._lock:
            self._titles, self._generation = loaded, generation
        return loaded

    def _forget(self) -> None:
        with self._lock:
            self._titles, self._generation, self._seen = None, -1, (-1e9, -1)
            self._schema_ok = False

    # --- keeping it current ---------------------------------------------------------------------

    def freshness(self) -> Freshness:
        with self.db.connection() as conn:
            version = installed_version(conn)
            if version is None:
                return Freshness("missing", "no index yet")
            if version != SCHEMA_VERSION:
                return Freshness("outdated", "the index format changed")
            if self._archive is None:
                return Freshness("current")  # a reader without the files takes the database as it is
            saved = {name: (mtime, size) for name, mtime, size in
                     conn.execute("SELECT name, mtime_ns, size FROM reader.manifest")}
        files = scan_folder(self._archive).files
        if not saved and files:
            return Freshness("missing", "no index yet")
        if set(saved) != set(files):
            return Freshness("stale", "files were added or removed")
        if any(saved[name] != (stat.mtime_ns, stat.size) for name, stat in files.items()):
            return Freshness("stale", "files changed")
        return Freshness("current")

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0) -> RefreshSummary:
        try:
            return indexing.refresh(self.db, self._archive, rebuild, progress, wait)
        finally:
            self._forget()

    # --- searching ------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 20, offset: int = 0, typeahead: bool = False, snippets: int = 20,
               suggest: bool = True) -> SearchPage:
        with self._reading() as conn:
            try:
                page, versions = search.run(conn, text, limit, offset, typeahead)
            except QueryError as error:
                return SearchPage(text, error=str(error))
            except psycopg.errors.QueryCanceled:
                return SearchPage(text, error="the query took too long; make it more specific")
            except (psycopg.errors.ProgramLimitExceeded, psycopg.errors.StatementTooComplex) as error:
                return SearchPage(text, error=f"the query is too complex ({str(error).splitlines()[0][:120]})")
            suggestion = None
            if suggest and not page.hits and offset == 0:
                suggestion = self._suggest(conn, text)
            with self._lock:
                if len(self._versions) + len(versions) > BODIES_KEPT * 10:
                    self._versions.clear()
                self._versions.update(versions)
            hits = page.hits
            if snippets and hits:
                filled = self._snippets(conn, list(hits[:snippets]), page.terms)
                hits = tuple(filled) + hits[snippets:]
        return SearchPage(page.query, hits, page.total, page.total_is_estimate, suggestion, None, page.terms)

    def _suggest(self, conn: psycopg.Connection, text: str, typeahead: bool = False) -> str | None:
        try:
            return search.suggest(conn, text, typeahead)
        except psycopg.errors.QueryCanceled:
            return None

    def suggest(self, text: str, typeahead: bool = False) -> str | None:
        with self._reading() as conn:
            return self._suggest(conn, text, typeahead)

    def snippets(self, hits: Iterable[Hit], terms: Iterable[str]) -> list[Hit]:
        rows = list(hits)
        if all(hit.snippet is not None for hit in rows):
            return rows
        with self._reading() as conn:
            return self._snippets(conn, rows, tuple(terms))

    def _snippets(self, conn: psycopg.Connection, rows: list[Hit], words: tuple[str, ...]) -> list[Hit]:
        """The hits with their snippets, through the caller's connection."""
        wanted = [hit.id for hit in rows if hit.snippet is None]
        bodies: dict[str, tuple[int, str]] = {}
        if wanted:
            with self._lock:
                for i in wanted:
                    kept = self._bodies.get(i)
                    if kept is not None and kept[0] == self._versions.get(i):
                        bodies[i] = kept
            missing = [i for i in wanted if i not in bodies]
            if missing:
                fetched = snippets.snippet_rows(conn, missing)
                bodies.update(fetched)
                with self._lock:
                    if len(self._bodies) + len(fetched) > BODIES_KEPT:
                        self._bodies.clear()
                    self._bodies.update(fetched)
                    self._versions.update((i, version) for i, (version, _) in fetched.items())
        filled: list[Hit] = []
        with self._lexicon.lent(conn):
            for hit in rows:
                if hit.snippet is None:
                    body = bodies.get(hit.id)
                    # The places of each term in a body are kept by (database, article, version).
                    snippet = (snippets.make_snippet(body[1], words, self._lexicon, key=(self.db.url, hit.id, body[0]))
                               if body is not None else Snippet("(gone from the archive)"))
                    hit = Hit(hit.id, hit.title, hit.path, hit.score, snippet)
                filled.append(hit)
        return filled

    def highlight(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        return snippets.highlight(text, terms, self._lexicon)

    # --- articles -------------------------------------------------------------------------------

    def titles(self) -> TitleTable:
        with self._reading() as conn:
            return self._tables(conn)[0]

    def article_ids(self) -> list[str]:
        with self._reading() as conn:
            return list(self._tables(conn)[1])

    def path_of(self, article_id: str) -> Path | None:
        if self._archive is None:
            return None
        with self._reading() as conn:
            name = self._tables(conn)[2].get(article_id)
        return self._archive / name if name else None

    def read(self, article_id: str) -> Article:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT title, path, blocks, sections, warnings FROM reader.articles WHERE id = %s", (article_id,)
            ).fetchone()
        if row is None:
            raise SkippedFile(f"no article {article_id!r} in this archive")
        title, name, blocks, sections, warnings = row
        return Article(
            id=article_id,
            title=title,
            path=(self._archive / name) if self._archive is not None else Path(name),
            blocks=tuple(Block(kind, text, tuple(items)) for kind, text, items in blocks),
            sections=tuple(LinkSection(name, tuple(titles)) for name, titles in sections),
            warnings=tuple(warnings),
        )

    # Titles, links and backlinks: the library resolves links against titles() (reader.core.links).

    def backlinks(self, article_id: str) -> list[str]:
        with self._reading() as conn:
            table = self._tables(conn)[0]
            return links.backlinks(conn, article_id, table)

    def more_like_this(self, article_id: str, limit: int = 8) -> list[str]:
        with self._reading() as conn:
            return search.more_like_this(conn, article_id, limit)

    def link_report(self) -> Iterator[LinkRow]:
        with self._reading() as conn:
            table, order, _ = self._tables(conn)
            return links.link_report(conn, order, table)

    def close(self) -> None:
        self.db.close()


def open_engine(url: str | None, archive: Path | None, index_dir: Path | None) -> tuple[PostgresEngine, list[str]]:
    """The engine of a `postgresql://` URL; `archive` only where the files are (to index them),
    else `$READER_ARCHIVE` when set. Connects on first use, so the TUI paints first."""
    if not url:
        raise EngineError("the PostgreSQL engine needs a URL: postgresql://USER@HOST/DB")
    notices: list[str] = []
    if index_dir is not None:
        notices.append("--index is not used with a PostgreSQL engine (the index is the database)")
    if archive is None and os.environ.get(paths.ARCHIVE_ENV):
        archive = Path(os.environ[paths.ARCHIVE_ENV])
    return PostgresEngine(url, archive), notices


__all__ = ["EngineUnavailable", "PostgresEngine", "open_engine"]
