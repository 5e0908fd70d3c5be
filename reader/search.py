"""The Whoosh full-text index of an archive: building, refreshing, searching, snippets, similar
articles and backlinks. Every Whoosh call of reader is in this module.

Settings chosen from measurements (see benchmarks/ and the README's Performance section):
- a full build uses two processes and keeps their two segments (`procs=2, multisegment=True`);
- segments are not packed into one compound file, so opening a searcher maps files instead of
  copying the whole index into memory;
- the prefix words that search-as-you-type sends expand to a bounded set of index terms, scored
  with Whoosh's preloading union, instead of every term with that prefix.
"""

from __future__ import annotations

import ctypes
import fnmatch
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import StemmingAnalyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, Formatter, highlight
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.writing import SegmentWriter

from . import manifest as manifest_file
from .archive import FileStat, check_archive, scan
from .article import Article, Link, SkippedFile, read_article
from .links import (
    MIN_FUZZY_LENGTH,

    Resolution,
    TitleTable,
    loose_key,
    resolve,
    title_key,
)
from .store import IndexStore

# Bump when the schema or what goes into it changes: an index of another version is rebuilt.
SCHEMA_VERSION = 1
_VERSION_FILE = "reader-schema"

# Whoosh drops tokens outside these lengths; the cap keeps a 10 MB "word" from becoming a term.
_ANALYZER = StemmingAnalyzer(minsize=1, maxsize=64, cachesize=50000)

SEARCH_FIELDS = ("title", "body")
QUERY_FIELDS = ("title", "body", "id")
MAX_QUERY_CHARS = 1000

# Type-ahead: the prefix of the word being typed expands to at most this many index terms, and
# stops adding terms once their postings add up to this many; the commonest come first.
PREFIX_MAX_TERMS = 24
PREFIX_POSTINGS_BUDGET = 8000
MIN_PREFIX = 2
# Below this many files one process builds faster than two (process start, merging).
PARALLEL_BUILD_MIN = 2000


class _LoadedLengths:
    """A segment's field-length column (one byte a document) held in memory: BM25 asks for it at
    every posting it scores, and reading it from the file each time was half of a query's time."""

    __slots__ = ("_bytes",)

    def __init__(self, reader: object) -> None:
        count = getattr(reader, "_count", 0)
        self._bytes = reader._dbfile.get(reader._basepos, count) if count else b""  # type: ignore[attr-defined]

    def __getitem__(self, docnum: int) -> int:
        return self._bytes[docnum] if docnum < len(self._bytes) else 0


def _cached_length_reader(self: W3PerDocReader, fieldname: str, column: object) -> object:
    """W3PerDocReader._cached_reader, with the length column loaded whole, and remembering a
    missing column too: Whoosh asked the file system again for every posting of a field without
    lengths (ids, keywords, spellings), which was 40% of a build's time here."""
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        if reader is not None and column is LENGTHS_COLUMN:
            reader = _LoadedLengths(reader)
        self._readers[fieldname] = reader
        return reader


W3PerDocReader._cached_reader = _cached_length_reader


def _key_term(key: str) -> str:
    """Index terms for whole titles: a digest, so titles of any length and punctuation fit."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()


class SearchSchema(Schema):
    """What the index holds for each article."""

    def __init__(self) -> None:
        super().__init__(
            # The article id (file stem): unique, shown in every row.
            id=ID(stored=True, unique=True),
            # The file name inside the archive: how refresh finds a changed or removed file.
            path=ID(stored=True, unique=True),
            # The title, searched with a boost so a title hit ranks first; stored for result rows.
            title=TEXT(analyzer=_ANALYZER, stored=True, field_boost=3.0, spelling=True),
            # The body text; not stored (snippets come from the file), no term vectors.
            body=TEXT(analyzer=_ANALYZER, spelling=True),
            # Digest of title_key(title): exact link resolution is one term lookup.
            title_key=ID,
            # Digest of loose_key(title): the approximate fallback.
            title_loose=ID,
            # Digests of title_key of every link title: backlinks are one term query.
            link_keys=KEYWORD(scorable=False),
            # Digests of loose_key of every link title.
            link_loose=KEYWORD(scorable=False),
            # The words of every link title: candidates for links spelt slightly differently.
            link_words=TEXT(analyzer=_ANALYZER, phrase=False),
            # The link sections as JSON [[section, text], ...], to resolve backlinks without parsing.
            links=STORED,
            # Size and modification time of the file when indexed, to rebuild a lost manifest.
            mtime=STORED,
            size=NUMERIC(stored=True),
        )


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snippet:
    """A line of an article around the words that matched; `spans` index into `text`."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result."""

    id: str
    title: str
    path: str
    """File name inside the archive."""
    score: float
    snippet: Snippet | None = None
    """Filled for the rows asked for; the TUI asks only for those on screen."""


@dataclass(frozen=True, slots=True)
class SearchPage:
    """The answer to one query."""

    query: str
    hits: tuple[Hit, ...] = ()
    total: int = 0
    """Number of matching articles (a lower bound when `total_is_estimate`)."""
    total_is_estimate: bool = False
    suggestion: str | None = None
    """A corrected query when nothing matched."""
    error: str | None = None
    """Why the query could not be run, in one line."""
    terms: tuple[str, ...] = ()
    """The words the query matched on, for highlighting the article it opens."""


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One link of the archive's link report."""

    source: str
    """Id of the article the link is in."""
    link: Link
    resolution: Resolution


class QueryError(ValueError):
    """A query the user must change; the message is one line."""


@dataclass(slots=True)
class RefreshSummary:
    """What one `refresh` did."""

    indexed: int = 0
    """Files read and added (new or changed)."""
    unchanged: int = 0
    removed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    """File name -> reason, for every file that is not an article (old and new)."""
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rebuilt: bool = False
    rebuild_reason: str = ""
    total: int = 0
    """Articles in the index afterwards."""

    @property
    def changed(self) -> bool:
        return self.rebuilt or bool(self.indexed or self.removed)


Progress = Callable[[int, int], None]
"""progress(done, total): called as files are read."""


# --- the index ------------------------------------------------------------------------------------


class ArchiveIndex:
    """The index of one archive folder: refresh it, then search and follow links through it.

    Thread-safe: the TUI searches from worker threads while another worker refreshes.
    """

    def __init__(self, archive: Path, index_dir: Path) -> None:
        self.archive = check_archive(archive)
        self.store = IndexStore(index_dir)
        self._lock = threading.RLock()
        self._opened: tuple[str, object] | None = None  # (generation name, whoosh index)
        self._searcher: object | None = None
        self._titles: tuple[int, TitleTable] | None = None
        self._entries: dict[str, str] = {}  # id -> file name, from the last manifest read

    @property
    def index_dir(self) -> Path:
        return self.store.root

    # --- refresh ----------------------------------------------------------------------------------

    def needs_refresh(self) -> str:
        """Why the index does not match the archive ('' when it does), without taking the lock."""
        folder = self.store.current()
        if folder is None:
            return "no index yet"
        if _schema_version(folder) != SCHEMA_VERSION:
            return "the index format changed"
        saved = manifest_file.load(folder)
        if saved is None:
            return "the index record is missing"
        files = scan(self.archive)
        if files.keys() != saved.entries.keys():
            return "files were added or removed"
        for name, stat in files.items():
            entry = saved.entries[name]
            if (entry.mtime_ns, entry.size) != (stat.mtime_ns, stat.size):
                return "files changed"
        return ""

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0) -> RefreshSummary:
        """Bring the index up to date with the archive: only added, changed and removed files are
        read, unless `rebuild` (or a missing, damaged or outdated index) starts over."""
        with self.store.writing(wait=wait):
            files = scan(self.archive)
            folder = self.store.current()
            reason = "asked to rebuild" if rebuild else _rebuild_reason(folder)
            if not reason and folder is not None:
                try:
                    summary = self._update(folder, files, progress)
                except _Damaged as damage:
                    reason = f"the index was damaged ({damage})"
                else:
                    self._forget()
                    return summary
            summary = self._build(files, progress)
            summary.rebuild_reason = reason
            self._forget()
            return summary

    def _build(self, files: dict[str, FileStat], progress: Progress | None) -> RefreshSummary:
        building = self.store.new_generation()
        ix = whoosh_index.create_in(str(building), SearchSchema())
        (building / _VERSION_FILE).write_text(str(SCHEMA_VERSION), encoding="ascii")
        parallel = len(files) >= PARALLEL_BUILD_MIN and (os.cpu_count() or 1) > 1
        writer = (
            _MpWriter(ix, procs=2, multisegment=True, limitmb=96, compound=False)
            if parallel
            else ix.writer(limitmb=96, compound=False)
        )
        summary = RefreshSummary(rebuilt=True)
        saved = manifest_file.Manifest()
        try:
            self._add_files(writer, files, sorted(files), saved, summary, progress)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        saved.generation = ix.latest_generation()
        manifest_file.save(building, saved)
        self.store.publish(building)
        summary.total = len(saved.indexed())
        return summary

    def _update(self, folder: Path, files: dict[str, FileStat], progress: Progress | None) -> RefreshSummary:
        try:
            ix = whoosh_index.open_dir(str(folder))
            generation = ix.latest_generation()
        except Exception as error:  # Whoosh raises many kinds on damaged files
            raise _Damaged(_describe(error)) from None
        saved = manifest_file.load(folder)
        if saved is None or saved.generation != generation:
            saved = _manifest_from_index(ix)  # a crash between the commit and the manifest
        summary = RefreshSummary()
        removed = [name for name in saved.entries if name not in files]
        changed = [
            name
            for name, stat in files.items()
            if name not in saved.entries
            or (saved.entries[name].mtime_ns, saved.entries[name].size) != (stat.mtime_ns, stat.size)
        ]
        summary.unchanged = len(files) - len(changed)
        for name, entry in saved.entries.items():
            if entry.skipped and name in files and name not in changed:
                summary.skipped[name] = entry.skipped
                summary.unchanged -= 1
        if not removed and not changed:
            summary.total = len(saved.indexed())
            if saved.generation != generation or manifest_file.load(folder) is None:
                saved.generation = generation
                manifest_file.save(folder, saved)
            return summary
        try:
            writer = ix.writer(limitmb=64, compound=False)
        except Exception as error:
            raise _Damaged(_describe(error)) from None
        try:
            for name in removed + changed:
                old = saved.entries.pop(name, None)
                if old is not None and not old.skipped:
                    writer.delete_by_term("path", name)
            summary.removed = sum(1 for name in removed)
            self._add_files(writer, files, sorted(changed), saved, summary, progress)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        saved.generation = ix.latest_generation()
        manifest_file.save(folder, saved)
        summary.total = len(saved.indexed())
        return summary

    def _add_files(
        self,
        writer: SegmentWriter,
        files: dict[str, FileStat],
        names: list[str],
        saved: manifest_file.Manifest,
        summary: RefreshSummary,
        progress: Progress | None,
    ) -> None:
        seen_ids = {entry.id: name for name, entry in saved.entries.items() if entry.id}
        total = len(names)
        for done, name in enumerate(names, 1):
            stat = files[name]
            try:
                article = read_article(self.archive / name)
                if article.id in seen_ids and seen_ids[article.id] != name:
                    raise SkippedFile(f"duplicate id {article.id!r} (also {seen_ids[article.id]})")
            except SkippedFile as skip:
                saved.entries[name] = manifest_file.Entry(stat.mtime_ns, stat.size, skipped=skip.reason)
                summary.skipped[name] = skip.reason
            else:
                writer.add_document(**_document(article, name, stat))
                saved.entries[name] = manifest_file.Entry(stat.mtime_ns, stat.size, article.id, article.title)
                seen_ids[article.id] = name
                summary.indexed += 1
                if article.warnings:
                    summary.warnings[name] = article.warnings
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)

    # --- opening --------------------------------------------------------------------------------

    def _forget(self) -> None:
        with self._lock:
            self._opened = None
            self._searcher = None
            self._titles = None

    @contextmanager
    def _searching(self) -> Iterator[object]:
        """The shared searcher, reopened when another process (or a refresh) changed the index."""
        with self._lock:
            name = self.store.current_name()
            if name is None:
                raise IndexMissing(f"no index at {self.index_dir}; run `reader index`")
            try:
                if self._opened is None or self._opened[0] != name:
                    ix = whoosh_index.open_dir(str(self.index_dir / name))
                    self._opened = (name, ix)
                    self._searcher = ix.searcher()
                    self._load_titles()
                elif not self._searcher.up_to_date():  # type: ignore[union-attr]
                    self._searcher = self._searcher.refresh()  # type: ignore[union-attr]
                    self._load_titles()
            except IndexMissing:
                raise
            except Exception as error:
                self._forget()
                raise IndexDamaged(f"the index at {self.index_dir} cannot be read ({_describe(error)}); run `reader index --rebuild`") from None
            yield self._searcher

    def _load_titles(self) -> None:
        """Id/title pairs of every article, from the manifest (or the index after a crash)."""
        name, ix = self._opened  # type: ignore[misc]
        generation = self._searcher.reader().generation()  # type: ignore[union-attr]
        saved = manifest_file.load(self.index_dir / name)
        if saved is None or saved.generation != generation:
            saved = _manifest_from_index(ix)
        table = TitleTable()
        entries: dict[str, str] = {}
        for file_name, entry in sorted(saved.entries.items(), key=lambda item: item[1].id):
            if entry.id:
                table.add(entry.id, entry.title)
                entries[entry.id] = file_name
        self._titles = (generation, table)
        self._entries = entries

    def titles(self) -> TitleTable:
        """Every stored article's id and title."""
        with self._searching():
            return self._titles[1]  # type: ignore[index]

    def article_ids(self) -> list[str]:
        """Every stored article id, in file-name order (the order of the archive)."""
        with self._searching():
            return sorted(self._entries, key=self._entries.__getitem__)

    def path_of(self, article_id: str) -> Path | None:
        with self._searching():
            name = self._entries.get(article_id)
        return self.archive / name if name else None

    def read(self, article_id: str) -> Article:
        """Parse a stored article from its file (it may have changed or gone since indexing:
        `SkippedFile` then says so)."""
        path = self.path_of(article_id)
        if path is None:
            raise SkippedFile(f"no article {article_id!r} in this archive")
        return read_article(path)

    def find(self, id_or_title: str) -> list[str]:
        """Ids of the articles with this id, else this title (exactly, then approximately)."""
        table = self.titles()
        if table.title_of(id_or_title) is not None:
            return [id_or_title]
        return list(resolve(id_or_title, table).targets)

    # --- links ----------------------------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        return resolve(text, self.titles())

    def resolve_links(self, article: Article) -> list[tuple[Link, Resolution]]:
        table = self.titles()
        return [(link, resolve(link.text, table)) for link in article.links]

    def link_report(self) -> Iterator[LinkRow]:
        """Every link of every stored article with its resolution, in archive order."""
        table = self.titles()
        with self._searching() as searcher:
            stored = {fields["id"]: fields.get("links") or "[]" for fields in searcher.all_stored_fields()}  # type: ignore[attr-defined]
        for article_id in self.article_ids():
            for position, (section, text) in enumerate(json.loads(stored.get(article_id, "[]"))):
                yield LinkRow(article_id, Link(section, text, position), resolve(text, table))

    def backlinks(self, article_id: str) -> list[str]:
        """Ids of the stored articles with a link that resolves to this one."""
        table = self.titles()
        title = table.title_of(article_id)
        if title is None:
            return []
        key, loose = title_key(title), loose_key(title)
        with self._searching() as searcher:
            reader = searcher.reader()  # type: ignore[attr-defined]
            candidates: set[int] = set()
            queries = [wq.Term("link_keys", _key_term(key))]
            if loose:
                queries.append(wq.Term("link_loose", _key_term(loose)))
            for q in queries:
                candidates.update(q.docs(searcher))
            stored = [reader.stored_fields(n) for n in candidates]
        sources: set[str] = set()
        for fields in stored:
            for _, text in json.loads(fields.get("links") or "[]"):
                if article_id in resolve(text, table).targets:
                    sources.add(fields["id"])
                    break
        sources.update(self._fuzzy_backlinks(article_id, title, table, candidates))
        return sorted(sources)

    def _fuzzy_backlinks(self, article_id: str, title: str, table: TitleTable, seen: set[int]) -> set[str]:
        """Links spelt a few letters away from this title (see `links.is_close`): their articles
        are found through the words of their link texts, then each link is resolved for real."""
        key = title_key(title)
        if len(key) < MIN_FUZZY_LENGTH:
            return set()
        with self._searching() as searcher:
            words = {token.text for token in _ANALYZER(title)}
            if not words:
                return set()
            q = wq.Or([wq.Term("link_words", word) for word in words])
            results = searcher.search(q, limit=30)  # type: ignore[attr-defined]
            stored = [hit.fields() for hit in results if hit.docnum not in seen]
        sources: set[str] = set()
        for fields in stored:
            for _, text in json.loads(fields.get("links") or "[]"):
                if article_id in resolve(text, table).targets:
                    sources.add(fields["id"])
                    break
        return sources

    # --- searching ------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 20, offset: int = 0, typeahead: bool = False, snippets: int = 20) -> SearchPage:
        """Run a query in Whoosh's language; `typeahead` treats the word being typed as a prefix.

        The first `snippets` hits get a highlighted snippet; never raises for a bad query.
        """
        try:
            return self._search(text, limit, offset, typeahead, snippets)
        except QueryError as error:
            return SearchPage(text, error=str(error))

    def _search(self, text: str, limit: int, offset: int, typeahead: bool, snippets: int) -> SearchPage:
        parsed = _parse(text, typeahead)
        with self._searching() as searcher:
            q = _bounded(parsed.query, searcher.reader())  # type: ignore[attr-defined]
            if parsed.prefix:
                prefix_q = _prefix_query(parsed.prefix, searcher.reader())  # type: ignore[attr-defined]
                q = prefix_q if q is None else wq.And([q, prefix_q])
            if q is None:
                raise QueryError("nothing to search for: the query has only operators or very common words")
            results = searcher.search(q, limit=offset + limit, terms=True)  # type: ignore[attr-defined]
            rows = [results[i] for i in range(offset, min(len(results.top_n), offset + limit))]
            terms = _query_words(q)
            hits = tuple(
                Hit(row["id"], row["title"], row["path"], float(row.score)) for row in rows
            )
            total = results.estimated_min_length() if not results.has_exact_length() else len(results)
            exact = results.has_exact_length()
            suggestion = None
            if not hits and not parsed.prefix and offset == 0:
                suggestion = self._suggest(searcher, parsed.text)
        if snippets:
            hits = tuple(
                self._with_snippet(hit, terms) if i < snippets else hit for i, hit in enumerate(hits)
            )
        return SearchPage(text, hits, total, not exact, suggestion, None, tuple(sorted(terms)))

    def _suggest(self, searcher: object, text: str) -> str | None:
        parser = _parser()
        try:
            corrected = searcher.correct_query(parser.parse(text), text)  # type: ignore[attr-defined]
        except Exception:
            return None
        if corrected.query != corrected.original_query and corrected.string.strip():
            return corrected.string
        return None

    def snippets(self, hits: Iterable[Hit], terms: Iterable[str]) -> list[Hit]:
        """The same hits with their snippets, for rows that come into view."""
        words = frozenset(terms)
        return [self._with_snippet(hit, words) for hit in hits]

    def _with_snippet(self, hit: Hit, terms: Iterable[str]) -> Hit:
        if hit.snippet is not None:
            return hit
        try:
            body = body_text(self.archive / hit.path)
        except SkippedFile as skip:
            return _replace(hit, Snippet(f"(file {skip.reason})"))
        return _replace(hit, make_snippet(body, terms))

    def more_like_this(self, article_id: str, limit: int = 8) -> list[str]:
        """Ids of the articles whose bodies share this one's most telling words."""
        try:
            article = self.read(article_id)
        except SkippedFile:
            return []
        with self._searching() as searcher:
            docnum = searcher.document_number(id=article_id)  # type: ignore[attr-defined]
            if docnum is None:
                return []
            results = searcher.more_like(docnum, "body", text=article.body_text(), top=limit, numterms=10)  # type: ignore[attr-defined]
            return [hit["id"] for hit in results]

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()  # type: ignore[attr-defined]
            self._forget()


class IndexMissing(Exception):
    """There is no index yet."""


class IndexDamaged(Exception):
    """The index files cannot be read."""


class _Damaged(Exception):
    pass


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__


def _replace(hit: Hit, snippet: Snippet) -> Hit:
    return Hit(hit.id, hit.title, hit.path, hit.score, snippet)


def _schema_version(folder: Path) -> int:
    try:
        return int((folder / _VERSION_FILE).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return -1


def _rebuild_reason(folder: Path | None) -> str:
    if folder is None:
        return "no index yet"
    if _schema_version(folder) != SCHEMA_VERSION:
        return "the index format changed"
    if not whoosh_index.exists_in(str(folder)):
        return "the index files are missing"
    return ""


def _document(article: Article, name: str, stat: FileStat) -> dict[str, object]:
    links = article.links
    return {
        "id": article.id,
        "path": name,
        "title": article.title,
        "body": article.body_text(),
        "title_key": _key_term(title_key(article.title)),
        "title_loose": _key_term(loose_key(article.title) or "-"),
        "link_keys": " ".join({_key_term(title_key(link.text)) for link in links}),
        "link_loose": " ".join({_key_term(loose_key(link.text)) for link in links if loose_key(link.text)}),
        "link_words": " ".join(link.text for link in links),
        "links": json.dumps([[link.section, link.text] for link in links], ensure_ascii=False),
        "mtime": stat.mtime_ns,
        "size": stat.size,
    }


def _manifest_from_index(ix: object) -> manifest_file.Manifest:
    """Rebuild the manifest from the stored fields (after a crash between commit and manifest)."""
    saved = manifest_file.Manifest(ix.latest_generation())  # type: ignore[attr-defined]
    with ix.searcher() as searcher:  # type: ignore[attr-defined]
        for fields in searcher.all_stored_fields():
            saved.entries[fields["path"]] = manifest_file.Entry(
                int(fields.get("mtime") or 0), int(fields.get("size") or 0), fields["id"], fields["title"]
            )
    return saved


# --- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    text: str
    """The query text without the word being typed."""
    query: wq.Query | None
    prefix: str = ""
    """The word being typed, lower-cased, when type-ahead treats it as a prefix."""


_FIELD_NAME = re.compile(r"(?<![\w\\])(\w+):")
_TYPING_WORD = re.compile(r"(?:^|(?<=\s))([^\W_]{%d,})$" % MIN_PREFIX)


def _parser() -> MultifieldParser:
    parser = MultifieldParser(list(SEARCH_FIELDS), SearchSchema())
    parser.add_plugin(FuzzyTermPlugin())
    return parser


def _check_syntax(text: str) -> str:
    """The query with unknown `field:` prefixes made plain words, or `QueryError`."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    outside_quotes = re.sub(r'"[^"]*"', " ", text)
    if text.count('"') % 2:
        raise QueryError('unclosed quote: add the closing "')
    depth = 0
    for char in outside_quotes:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise QueryError("unbalanced parentheses: a ) has no (")
    if depth:
        raise QueryError("unbalanced parentheses: a ( is not closed")
    if outside_quotes.count("[") != outside_quotes.count("]") or outside_quotes.count("{") != outside_quotes.count("}"):
        raise QueryError("unclosed range: [a TO b] needs both brackets")

    def plain(match: re.Match[str]) -> str:
        # `Baby P: Ed Balls` is a title, not a search in a field called `P`.
        return match.group() if match.group(1).lower() in QUERY_FIELDS else f"{match.group(1)} "

    return _FIELD_NAME.sub(plain, text)


_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def plain_query(text: str) -> str:
    """A query for the words of `text` (e.g. a link title) with none of it read as query syntax:
    quotes, brackets, `field:`, wildcards and operators become plain words."""
    words = re.findall(r"[^\W_]+", text)
    return " ".join(word.lower() if word in _OPERATORS else word for word in words)


def _parse(text: str, typeahead: bool) -> _Parsed:
    cleaned = _check_syntax(text.strip())
    prefix = ""
    if typeahead:
        typing = _TYPING_WORD.search(cleaned)
        if typing and typing.group(1).upper() not in ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"):
            prefix = typing.group(1).lower()
            cleaned = cleaned[: typing.start()].rstrip()
    if not cleaned:
        if prefix:
            return _Parsed("", None, prefix)
        raise QueryError("nothing to search for")
    try:
        query = _parser().parse(cleaned)
    except Exception as error:  # the parser is lenient, but its plugins can raise on odd input
        raise QueryError(f"cannot read the query: {_describe(error)}") from None
    if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
        if prefix:
            return _Parsed(cleaned, None, prefix)
        raise QueryError("nothing to search for: the query has only operators or very common words")
    return _Parsed(cleaned, query, prefix)


class _PreloadedOr(wq.Or):
    """A union that loads its terms' postings into an array: Whoosh's fast path for many terms,
    which it otherwise gives up on above 5,000 documents."""

    matcher_type = wq.Or.ARRAY_MATCHER


def _expand(fieldname: str, found: Iterable[tuple[int, str]], exact: Iterable[str] = ()) -> wq.Query | None:
    """A bounded query for (doc frequency, term) candidates of a prefix: the commonest terms while
    their postings fit the budget, scored with the preloading union. When even the commonest term
    is over the budget it stands alone, where Whoosh's block-max skipping finds the top hits
    without scoring every posting."""
    ranked = sorted(found, key=lambda pair: (-pair[0], pair[1]))
    chosen: list[str] = list(dict.fromkeys(exact))
    budget = PREFIX_POSTINGS_BUDGET
    for frequency, term in ranked:
        if len(chosen) >= PREFIX_MAX_TERMS or frequency > budget:
            if not chosen:
                chosen.append(term)
            break
        if term not in chosen:
            chosen.append(term)
            budget -= frequency
    if not chosen:
        return None
    if len(chosen) == 1:
        return wq.Term(fieldname, chosen[0])
    return _PreloadedOr([wq.Term(fieldname, term) for term in chosen])


def _prefix_candidates(reader: object, fieldname: str, prefix: str, pattern: re.Pattern[str] | None = None) -> Iterator[tuple[int, str]]:
    """(doc frequency, term) for the terms of a field that start with `prefix`."""
    try:
        for raw, info in reader.iter_prefix(fieldname, prefix):  # type: ignore[attr-defined]
            term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if pattern is None or pattern.fullmatch(term):
                yield info.doc_frequency(), term
    except (KeyError, TypeError):  # a field the index does not have
        return


def _fuzzy_candidates(reader: object, fieldname: str, text: str, maxdist: int, prefix: int) -> Iterator[tuple[int, str]]:
    """(doc frequency, term) for the indexed terms within `maxdist` edits of `text`.

    Whoosh's own FuzzyTerm looks in the spelling word list, whose words are unstemmed, and then
    searches them in the stemmed field, where they are not: "motorcyle~" found nothing. This walks
    the field's own terms with the same automaton."""
    seen: set[str] = set()
    for leaf, _ in reader.leaf_readers():  # type: ignore[attr-defined]
        try:
            automata = leaf._codec.automata(leaf._storage, leaf._segment)
            words = automata.terms_within(leaf.cursor(fieldname), text, maxdist, prefix)
        except (KeyError, TypeError, AttributeError):
            continue
        seen.update(w.decode("utf-8") if isinstance(w, bytes) else w for w in words)
    for term in seen:
        yield reader.doc_frequency(fieldname, term), term  # type: ignore[attr-defined]


def _prefix_query(prefix: str, reader: object) -> wq.Query:
    """The word being typed: index terms starting with it, and the stem it has already passed
    ("safeguardi" has passed the stem "safeguard", which a plain prefix would miss)."""
    branches: list[wq.Query] = []
    for fieldname in SEARCH_FIELDS:
        stems = [
            prefix[:cut]
            for cut in range(len(prefix) - 1, max(3, len(prefix) - 4) - 1, -1)
            if (fieldname, prefix[:cut]) in reader  # type: ignore[operator]
        ]
        expanded = _expand(fieldname, _prefix_candidates(reader, fieldname, prefix), exact=stems[:1])
        if expanded is not None:
            branches.append(expanded)
    if not branches:
        return wq.NullQuery
    return branches[0] if len(branches) == 1 else wq.Or(branches)


def _bounded(query: wq.Query | None, reader: object) -> wq.Query | None:
    """The parsed query with every explicit prefix* and wild*card bounded like type-ahead."""
    if query is None:
        return None

    def bound(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.FuzzyTerm):
            found = _fuzzy_candidates(reader, node.fieldname, node.text, node.maxdist, node.prefixlength)
        elif isinstance(node, wq.Prefix):
            found = _prefix_candidates(reader, node.fieldname, node.text)
        elif isinstance(node, wq.Wildcard):
            pattern = re.compile(fnmatch.translate(node.text))
            found = _prefix_candidates(reader, node.fieldname, node.prefix, pattern)
        else:
            return node
        return _expand(node.fieldname, found) or wq.NullQuery

    return query.accept(bound)


def _query_words(query: wq.Query) -> frozenset[str]:
    """The indexed words a query looks for in titles and bodies, for highlighting."""
    words: set[str] = set()
    for fieldname, text in query.iter_all_terms():
        if fieldname in SEARCH_FIELDS:
            words.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return frozenset(words)


# --- snippets -------------------------------------------------------------------------------------


def body_text(path: Path) -> str:
    """An article's body, parsed once per version of the file (result rows ask again and again)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise SkippedFile(f"unreadable ({error.strerror or error})") from None
    return _cached_body(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _cached_body(path: str, mtime_ns: int, size: int) -> str:
    return read_article(Path(path)).body_text()


_MARK_START, _MARK_END = "\x02", "\x03"  # article text never holds control characters (article.safe_text)


class _MarkFormatter(Formatter):
    between = " … "

    def format_token(self, text: str, token: object, replace: bool = False) -> str:
        return f"{_MARK_START}{text[token.startchar:token.endchar]}{_MARK_END}"  # type: ignore[attr-defined]


def make_snippet(text: str, terms: Iterable[str], width: int = 160) -> Snippet:
    """The part of `text` richest in `terms` (indexed word forms), with their places marked."""
    termset = frozenset(terms)
    marked = ""
    if termset:
        marked = highlight(
            text,
            termset,
            _ANALYZER,
            ContextFragmenter(maxchars=width, surround=width // 3),
            _MarkFormatter(),
            top=1,
        )
    if not marked:
        return Snippet(" ".join(text[: width * 2].split())[:width])
    return _unmark(" ".join(marked.split()))


def highlight_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where `terms` (indexed word forms) occur in `text`: for highlighting a whole article."""
    termset = frozenset(terms)
    if not termset:
        return []
    return [
        (token.startchar, token.endchar)
        for token in _ANALYZER(text, chars=True, mode="query", removestops=False)
        if token.text in termset
    ]


def _unmark(marked: str) -> Snippet:
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for part in re.split(f"([{_MARK_START}{_MARK_END}])", marked):
        if part == _MARK_START:
            start = length
        elif part == _MARK_END:
            spans.append((start, length))
        else:
            plain.append(part)
            length += len(part)
    return Snippet("".join(plain), tuple(spans))


# --- parallel build -------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies, so a killed build leaves no orphans."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


class _SubWriterTask(SubWriterTask):
    def run(self) -> None:
        _die_with_parent()
        super().run()


class _MpWriter(MpWriter):
    def _new_task(self) -> SubWriterTask:
        task = _SubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        self.tasks.append(task)
        task.start()
        return task
