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
import heapq
import json
import math
import os
import pickle
import re
import struct
import threading
import time
import unicodedata
import zlib
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from itertools import accumulate
from operator import itemgetter
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import StemFilter, StemmingAnalyzer, StopFilter
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PerDocReader,
    W3TermInfo,
    _lenfield,
)
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from reader.core import manifest as manifest_file
from reader.core.archive import FileStat, Scan, check_archive, scan_folder
from reader.core.article import (
    LINK_SECTIONS,
    MAX_FILE_BYTES,
    Article,
    Link,
    SkippedFile,
    _looks_binary,
    decode,
    read_article,
    safe_text,
)
from reader.engines.whoosh import freshness
from reader.engines.whoosh.freshness import (
    classify,
    DAMAGED,
    VERSION_FILE,
    damage,
    index_files,
    load_manifest,
    no_index_reason,
    schema_version,
    stale_reason,
    unchanged_summary,
    version_reason,
)
from reader.core.links import (
    MIN_FUZZY_LENGTH,
    Resolution,
    TitleTable,
    is_close,
    loose_key,
    loose_of_key,
    resolve,
    title_key,
)
from reader.engines.whoosh.merging import merge_tiers
from reader.core.types import (
    REBUILD_HINT,
    Freshness,
    Hit,
    IndexDamaged,
    IndexMissing,
    LinkRow,
    Progress,
    QueryError,
    RefreshSummary,
    SearchPage,
    Snippet,
)
from reader.engines.whoosh.store import IndexStore


def _clear_stem_cache(self: StemFilter) -> None:
    """StemFilter.clear with functools' cache, in C: Whoosh's own is a Python wrapper that counts
    every use, 4 µs a word, a fifth of analysing an article (when building and refreshing)."""
    if self.lang:
        from whoosh.lang import stemmer_for_language

        stemfn = stemmer_for_language(self.lang)
    else:
        stemfn = self.stemfn
    size = self.cachesize if isinstance(self.cachesize, int) else 0
    self._stem = lru_cache(maxsize=None if size < 0 else size)(stemfn) if size < 0 or size > 1 else stemfn


# Also where Whoosh unpickles an index's schema (its __setstate__ calls clear).
StemFilter.clear = _clear_stem_cache


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
# An explicit `word~N` asks for at most this many edits (more is slow and finds noise).
MAX_FUZZY_EDITS = 2
# A `[a TO b]` range may span at most this many index terms.
RANGE_MAX_TERMS = 2000
# Words with * ? ~ or ranges in one query, and fuzzy~ ones among them (see _bounded).
MAX_EXPANDING_WORDS = 16
MAX_FUZZY_WORDS = 4
# Below this many files one process builds faster than two (process start, merging).
PARALLEL_BUILD_MIN = 2000
# A refresh keeps posting lists shorter than this inside the term's info instead of writing a
# block for each: in the small segment of a few changed files most terms have one posting, and
# their blocks (a pickle, zlib, a header each) were half of writing it.
INLINE_POSTINGS = 16


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


# Whoosh 2.7.5 can keep a short posting list inside its term's info, but its postings writer calls
# that by a name the term info lacks (`set_inlined`), so the path never worked (its default limit of
# one posting keeps it off). Refreshes use it: INLINE_POSTINGS.
W3TermInfo.set_inline = W3TermInfo.set_inlined
_whoosh_postings_reader = W3Codec.postings_reader


def _postings_reader(self: W3Codec, dbfile: object, terminfo: W3TermInfo, format_: object, term: object = None,
                     scorer: object = None) -> object:
    """W3Codec.postings_reader, giving the inlined postings of a field without values (ids,
    keywords) an empty value each: Whoosh's list matcher gives "" (text) for them, which its merge
    refuses."""
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        if not values:
            terminfo.set_inlined(ids, weights, (b"",) * len(ids))
    return _whoosh_postings_reader(self, dbfile, terminfo, format_, term=term, scorer=scorer)


W3Codec.postings_reader = _postings_reader


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
        self._scorer_state: _Scorer | None = None  # the fast scorer of the searcher in use
        self._lexicons: dict[tuple[str, str], _Lexicon] = {}  # (segment id, field): segments never change
        self._checked = (-math.inf, -1)
        """(monotonic time, _COMMITS) when the searcher was last found current (see _searching)."""

    @property
    def index_dir(self) -> Path:
        return self.store.root

    # --- refresh ----------------------------------------------------------------------------------

    def needs_refresh(self) -> str:
        """Why the index does not match the archive ('' when it does), without taking the lock."""
        return stale_reason(self.archive, self.store)

    def freshness(self) -> Freshness:
        return classify(self.needs_refresh())

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0,
                scanned: Scan | None = None) -> RefreshSummary:
        """Bring the index up to date with the archive: only added, changed and removed files are
        read, unless `rebuild` (or a missing, damaged or outdated index) starts over. `scanned` is
        a scan of the archive the caller has just made (a 100k-file scan is half a second)."""
        with self.store.writing(wait=wait):
            files = scanned if scanned is not None else scan_folder(self.archive)
            folder = self.store.current()
            loaded = load_manifest(folder) if folder is not None else None
            saved = loaded.copy() if loaded is not None else None  # _update changes it
            if rebuild:
                reason = "asked to rebuild"
            elif folder is None:
                reason = no_index_reason(self.store)  # none yet, or its CURRENT pointer damaged
            else:
                reason = _rebuild_reason(folder, saved)  # includes files found missing or cut short
            if not reason and folder is not None:
                try:
                    summary = self._update(folder, files, progress, saved)
                except _Damaged as damage:
                    reason = f"the index was damaged ({damage})"
                else:
                    self._forget()
                    return summary
            summary = self._build(files, progress)
            summary.rebuild_reason = reason
            self._forget()
            return summary

    def _build(self, found: Scan, progress: Progress | None) -> RefreshSummary:
        building = self.store.new_generation()
        ix = whoosh_index.create_in(str(building), SearchSchema())
        (building / VERSION_FILE).write_text(str(freshness.SCHEMA_VERSION), encoding="ascii")
        files = found.files
        parallel = len(files) >= PARALLEL_BUILD_MIN and (os.cpu_count() or 1) > 1
        writer = (
            _MpWriter(ix, procs=2, multisegment=True, limitmb=96, compound=False)
            if parallel
            else ix.writer(limitmb=96, compound=False)
        )
        summary = RefreshSummary(rebuilt=True)
        saved = manifest_file.Manifest()
        _commit(writer, lambda: self._add_files(writer, files, sorted(files), saved, summary, progress))
        _record(building, saved, ix.latest_generation(), found.names)
        self.store.publish(building)
        _COMMITS[0] += 1
        summary.total = saved.indexed_count()
        return summary

    def _update(
        self, folder: Path, files: Scan, progress: Progress | None,
        saved: manifest_file.Manifest | None = None,
    ) -> RefreshSummary:
        try:
            ix = whoosh_index.open_dir(str(folder))
            generation = ix.latest_generation()
        except Exception as error:  # Whoosh raises many kinds on damaged files
            raise _Damaged(_describe(error)) from None
        recovered = saved is None or saved.generation != generation
        if recovered:
            try:
                saved = _manifest_from_index(ix)  # a crash between the commit and the manifest
            except Exception as error:  # its stored fields cannot be read either
                raise _Damaged(_describe(error)) from None
        removed, changed = saved.compare(files)  # changed: added or changed, with their stamps
        if not removed and not changed:
            # Write the record only when it was rebuilt from the index (or is in an older format):
            # reading the 100k-entry file again to see whether it is there was a second of every
            # `reader index`.
            if recovered or saved.outdated:
                _record(folder, saved, generation, files.names)
            return unchanged_summary(files, saved)
        summary = RefreshSummary(unchanged=len(files) - len(changed))
        gone = set(removed)
        for name, reason in saved.skipped().items():
            if name not in gone and name not in changed:
                summary.skipped[name] = reason
                summary.unchanged -= 1
        try:
            writer = ix.writer(codec=W3Codec(inlinelimit=INLINE_POSTINGS), limitmb=64, compound=False)
        except Exception as error:
            raise _Damaged(_describe(error)) from None

        def write() -> None:
            for name in removed + list(changed):
                old = saved.remove(name)
                if old is not None and not old.skipped:
                    writer.delete_by_term("path", name)
            self._add_files(writer, changed, sorted(changed), saved, summary, progress)

        summary.removed = len(removed)
        _commit(writer, write, mergetype=merge_tiers)
        _record(folder, saved, ix.latest_generation(), files.names)
        summary.total = saved.indexed_count()
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
        seen_ids = saved.ids()
        total = len(names)
        for done, name in enumerate(names, 1):
            stat = files[name]
            try:
                article = read_article(self.archive / name)
                if article.id in seen_ids and seen_ids[article.id] != name:
                    raise SkippedFile(f"duplicate id {article.id!r} (also {seen_ids[article.id]})")
            except SkippedFile as skip:
                saved.put(name, manifest_file.Entry(stat.mtime_ns, stat.size, skipped=skip.reason))
                summary.skipped[name] = skip.reason
            else:
                writer.add_document(**_document(article, name, stat))
                saved.put(name, manifest_file.Entry(stat.mtime_ns, stat.size, article.id, article.title))
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
            self._scorer_state = None

    @contextmanager
    def _searching(self) -> Iterator[object]:
        """The shared searcher, reopened when another process (or a refresh) changed the index.

        Another process's commit is looked for at most every _RECHECK_SECONDS (reading CURRENT and
        listing the generation took 0.13 ms, and opening an article asks five times); a commit in
        this process is seen at once."""
        with self._lock:
            now = time.monotonic()
            if self._searcher is not None and now - self._checked[0] < _RECHECK_SECONDS and self._checked[1] == _COMMITS[0]:
                yield self._searcher
                return
            name = self.store.current_name()
            if name is None:
                raise IndexMissing(f"no index at {self.index_dir}; run `reader index`")
            try:
                if self._opened is None or self._opened[0] != name:
                    ix = whoosh_index.open_dir(str(self.index_dir / name))
                    self._opened = (name, ix)
                    self._searcher = ix.searcher()
                    self._titles = None  # read when first asked for: a search does not need them
                elif not self._searcher.up_to_date():  # type: ignore[union-attr]
                    self._searcher = self._searcher.refresh()  # type: ignore[union-attr]
                    self._titles = None
            except IndexMissing:
                raise
            except Exception as error:
                self._forget()
                raise IndexDamaged(f"the index at {self.index_dir} cannot be read ({_describe(error)}){REBUILD_HINT}") from None
            self._checked = (now, _COMMITS[0])
            yield self._searcher

    def _load_titles(self) -> None:
        """Id/title pairs of every article, from the manifest (or the index after a crash); call
        while searching."""
        if self._titles is not None:
            return
        name, ix = self._opened  # type: ignore[misc]
        generation = self._searcher.reader().generation()  # type: ignore[union-attr]
        saved = load_manifest(self.index_dir / name)
        if saved is None or saved.generation != generation:
            saved = _manifest_from_index(ix)
        table = TitleTable()
        entries: dict[str, str] = {}
        for file_name, article_id, title in sorted(saved.articles(), key=itemgetter(1)):
            table.add(article_id, title)
            entries[article_id] = file_name
        self._titles = (generation, table)
        self._entries = entries

    def titles(self) -> TitleTable:
        """Every stored article's id and title."""
        with self._searching():
            self._load_titles()
            return self._titles[1]  # type: ignore[index]

    def article_ids(self) -> list[str]:
        """Every stored article id, in file-name order (the order of the archive)."""
        with self._searching():
            self._load_titles()
            return sorted(self._entries, key=self._entries.__getitem__)

    def path_of(self, article_id: str) -> Path | None:
        with self._searching():
            self._load_titles()
            name = self._entries.get(article_id)
        return self.archive / name if name else None

    def read(self, article_id: str) -> Article:
        """Parse a stored article from its file (it may have changed or gone since indexing:
        `SkippedFile` then says so)."""
        path = self.path_of(article_id)
        if path is None:
            raise SkippedFile(f"no article {article_id!r} in this archive")
        return _read_cached(path)

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
            terms = [("link_keys", _key_term(key))] + ([("link_loose", _key_term(loose))] if loose else [])
            try:
                scorer = self._scorer(searcher)
            except _Unsupported:
                for fieldname, text in terms:
                    candidates.update(wq.Term(fieldname, text).docs(searcher))
            else:
                for fieldname, text in terms:
                    candidates |= scorer.term_docs(fieldname, text.encode("utf-8"))
            stored = [reader.stored_fields(n) for n in candidates]
        sources: set[str] = set()
        for fields in stored:
            for _, text in json.loads(fields.get("links") or "[]"):
                # Only a link that can name this article is resolved: resolving a dangling one
                # looks up similar titles.
                if _may_name(text, key, loose) and article_id in resolve(text, table).targets:
                    sources.add(fields["id"])
                    break
        sources.update(self._fuzzy_backlinks(article_id, title, table, candidates))
        return sorted(sources)

    def _fuzzy_backlinks(self, article_id: str, title: str, table: TitleTable, seen: set[int]) -> set[str]:
        """Links spelt a few letters away from this title (see `links.is_close`): their articles
        are found through the words of their link texts, then each link is resolved for real."""
        key = title_key(title)
        loose_title = loose_key(title)
        if len(key) < MIN_FUZZY_LENGTH:
            return set()
        with self._searching() as searcher:
            words = {token.text for token in _ANALYZER(title)}
            if not words:
                return set()
            try:
                scorer = self._scorer(searcher)
            except _Unsupported:
                q = wq.Or([wq.Term("link_words", word) for word in words])
                results = searcher.search(q, limit=30)  # type: ignore[attr-defined]
                stored = [hit.fields() for hit in results if hit.docnum not in seen]
            else:
                # The rarest words first: a very common one is left out when over the budget.
                terms = sorted((("link_words", word.encode("utf-8")) for word in words), key=lambda t: (scorer.frequency(*t), t))
                scores, _ = scorer.clause(terms, None, 30, LINK_WORDS_BUDGET)
                fields_of = searcher.stored_fields  # type: ignore[attr-defined]
                stored = [fields_of(number) for number, _ in _best(scores, 30) if number not in seen]
        sources: set[str] = set()
        for fields in stored:
            for _, text in json.loads(fields.get("links") or "[]"):
                if _may_name(text, key, loose_title) and article_id in resolve(text, table).targets:
                    sources.add(fields["id"])
                    break
        return sources

    # --- searching ------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 20, offset: int = 0, typeahead: bool = False, snippets: int = 20,
               suggest: bool = True) -> SearchPage:
        """Run a query in Whoosh's language; `typeahead` treats the word being typed as a prefix.

        The first `snippets` hits get a highlighted snippet; never raises for a bad query. With
        `suggest`, a query that finds nothing gets a "did you mean" (the TUI turns it off and asks
        `suggest` once the empty page is shown).
        """
        try:
            return self._search(text, limit, offset, typeahead, snippets, suggest)
        except QueryError as error:
            return SearchPage(text, error=str(error))

    def suggest(self, text: str) -> str | None:
        """A "did you mean" for a query that found nothing (the TUI asks after showing that:
        Whoosh's spelling correction takes a few tenths of a second on a big archive)."""
        try:
            parsed = _parse(text, typeahead=False)
        except QueryError:
            return None
        with self._searching() as searcher:
            return self._suggest(searcher, parsed.text)

    def _search(self, text: str, limit: int, offset: int, typeahead: bool, snippets: int, suggest: bool) -> SearchPage:
        parsed = _parse(text, typeahead)
        with self._searching() as searcher:
            clauses = _plain_words(parsed.query) if parsed.prefix else None
            if clauses is not None:
                try:
                    hits, total, exact, terms = self._typeahead(searcher, clauses, parsed.prefix, offset, limit)
                except _Unsupported:
                    pass
                else:
                    suggestion = None
                    if suggest and not hits and offset == 0:
                        suggestion = self._suggest(searcher, f"{parsed.text} {parsed.prefix}".strip())
                    return self._page(text, hits, total, exact, suggestion, terms, snippets)
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
            if suggest and not hits and not parsed.prefix and offset == 0:
                suggestion = self._suggest(searcher, parsed.text)
        return self._page(text, hits, total, exact, suggestion, terms, snippets)

    def _page(self, text: str, hits: tuple[Hit, ...], total: int, exact: bool, suggestion: str | None,
              terms: frozenset[str], snippets: int) -> SearchPage:
        if snippets:
            hits = tuple(
                self._with_snippet(hit, terms) if i < snippets else hit for i, hit in enumerate(hits)
            )
        return SearchPage(text, hits, total, not exact, suggestion, None, tuple(sorted(terms)))

    def _scorer(self, searcher: object) -> _Scorer:
        """The fast scorer of `searcher` (call while searching); `_Unsupported` when it cannot be."""
        state = self._scorer_state
        if state is None or state.searcher is not searcher:
            live = {leaf.segment().segment_id() for leaf, _ in searcher.reader().leaf_readers() if leaf.segment()}  # type: ignore[attr-defined]
            for key in [key for key in self._lexicons if key[0] not in live]:
                del self._lexicons[key]
            state = self._scorer_state = _Scorer(searcher, self._lexicons)
        return state

    def _typeahead(self, searcher: object, clauses: list[list[tuple[str, str]]], prefix: str, offset: int,
                   limit: int) -> tuple[tuple[Hit, ...], int, bool, frozenset[str]]:
        """Words and the word being typed, ranked by the fast scorer (see _Scorer)."""
        scorer = self._scorer(searcher)
        words = [tuple((name, word.encode("utf-8")) for name, word in clause) for clause in clauses]
        completions = scorer.expand(prefix)
        if not completions:  # no indexed word starts so: nothing matches every word typed
            return (), 0, True, frozenset()
        terms = frozenset(term.decode("utf-8") for clause in [*words, completions] for _, term in clause)
        ranked, count, estimate = scorer.conjunction(words, completions, offset + limit)
        stored = searcher.stored_fields  # type: ignore[attr-defined]
        hits = []
        for docnum, score in ranked[offset:]:
            fields = stored(docnum)
            hits.append(Hit(fields["id"], fields["title"], fields["path"], float(score)))
        return tuple(hits), count, not estimate, terms

    def _suggest(self, searcher: object, text: str) -> str | None:
        parser = _parser()
        try:
            # prefix=1: candidates share the first letter (typos rarely hit it). Whoosh's default of 0
            # compares every word with every index term: 2-7 s on 10k articles for a query
            # that finds nothing, against 0.01-0.4 s, with the same suggestions for real typos.
            corrected = searcher.correct_query(parser.parse(text), text, prefix=1)  # type: ignore[attr-defined]
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
            body = snippet_text(self.archive / hit.path)
        except SkippedFile as skip:
            return _replace(hit, Snippet(f"(file {skip.reason})"))
        return _replace(hit, make_snippet(body, terms))

    def highlight(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        return highlight_spans(text, terms)

    def more_like_this(self, article_id: str, limit: int = 8) -> list[str]:
        """Ids of the articles whose bodies share this one's most telling words."""
        try:
            article = self.read(article_id)
        except SkippedFile:
            return []
        with self._searching() as searcher:
            try:
                scorer = self._scorer(searcher)
            except _Unsupported:
                scorer = None
            if scorer is not None:  # Whoosh's lookup walks every segment's matchers
                docnum = min(scorer.term_docs("id", article_id.encode("utf-8")), default=None)
            else:
                docnum = searcher.document_number(id=article_id)  # type: ignore[attr-defined]
            if docnum is None:
                return []
            # Whoosh's more_like() picks the rarest words, and a word found in this article alone
            # (a signature, an address) can only match itself: keep words that other articles share.
            if scorer is not None:  # the same key terms and ranking, scored by the fast scorer
                weighted = scorer.key_terms(article.body_text(), "body", 40)
                shared = [("body", term) for term, _, docs in weighted if docs > 1][:SIMILAR_TERMS]
                boosts = {("body", term): weight for term, weight, _ in weighted}
                scores, _ = scorer.clause(shared, None, limit + 1, SIMILAR_POSTINGS_BUDGET, boosts)
                stored = searcher.stored_fields  # type: ignore[attr-defined]
                return [stored(number)["id"] for number, _ in _best(scores, limit, leave_out=docnum)]
            reader = searcher.reader()  # type: ignore[attr-defined]
            weighted = searcher.key_terms_from_text("body", article.body_text(), numterms=40)  # type: ignore[attr-defined]
            shared = [(term, weight) for term, weight in weighted if reader.doc_frequency("body", term) > 1][:SIMILAR_TERMS]
            if not shared:
                return []
            q = wq.Or([wq.Term("body", term, boost=weight) for term, weight in shared])
            results = searcher.search(q, limit=limit, mask={docnum})  # type: ignore[attr-defined]
            return [hit["id"] for hit in results]

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()  # type: ignore[attr-defined]
            self._forget()


class _Damaged(Exception):
    pass


def _may_name(text: str, key: str, loose: str) -> bool:
    """Whether a link written `text` can resolve to the article titled with `key` (its title_key)
    and `loose` (its loose_key): the same key, the same loose key, or close (links.is_close).
    Resolving every link of a candidate in full looked up similar titles for each dangling one:
    most of the time of `backlinks` on 100k articles."""
    link_key = title_key(text)
    return link_key == key or loose_of_key(link_key) == loose or is_close(link_key, key)


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__


def _replace(hit: Hit, snippet: Snippet) -> Hit:
    return Hit(hit.id, hit.title, hit.path, hit.score, snippet)


def _rebuild_reason(folder: Path | None, saved: manifest_file.Manifest | None = None) -> str:
    if folder is None:
        return "no index yet"
    if schema_version(folder) != freshness.SCHEMA_VERSION:
        return version_reason(folder)
    problem = damage(folder, saved)
    if problem:
        return f"{DAMAGED} ({problem})"
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


def _commit(writer: SegmentWriter, write: Callable[[], None], **commit: object) -> None:
    """Run `write` with the writer, then commit; on any failure (a KeyboardInterrupt too) cancel,
    so the index stays as it was."""
    try:
        write()
        writer.commit(**commit)
    except BaseException:
        writer.cancel()
        raise
    finally:
        _COMMITS[0] += 1  # every searcher of this process looks again (see _searching)


def _record(folder: Path, saved: manifest_file.Manifest, generation: int, order: list[str] | None = None) -> None:
    """Save the manifest of a committed generation, with the sizes of its files (to spot damage),
    in the archive folder's `order` when it is written whole."""
    saved.generation = generation
    saved.files = index_files(folder)
    manifest_file.save(folder, saved, order)


def _manifest_from_index(ix: object) -> manifest_file.Manifest:
    """Rebuild the manifest from the stored fields (after a crash between commit and manifest)."""
    saved = manifest_file.Manifest(ix.latest_generation())  # type: ignore[attr-defined]
    with ix.searcher() as searcher:  # type: ignore[attr-defined]
        for fields in searcher.all_stored_fields():
            entry = manifest_file.Entry(int(fields.get("mtime") or 0), int(fields.get("size") or 0), fields["id"], fields["title"])
            saved.put(fields["path"], entry)
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


def _parse(text: str, typeahead: bool) -> _Parsed:
    cleaned = _check_syntax(text.strip())
    prefix = ""
    if typeahead and not text[-1:].isspace():  # after a space no word is being typed
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


def _plain_words(query: wq.Query | None) -> list[list[tuple[str, str]]] | None:
    """A query of plain words (all must match) as one list of (field, term) a word, or None when
    it is anything else (phrases, OR, NOT, fields, wildcards, fuzzy terms, boosts)."""
    if query is None:
        return []
    clauses: list[list[tuple[str, str]]] = []
    for node in query.subqueries if type(query) is wq.And else [query]:
        alternatives: list[tuple[str, str]] = []
        for term in node.subqueries if type(node) is wq.Or else [node]:
            if type(term) is not wq.Term or term.fieldname not in SEARCH_FIELDS or term.boost != 1:
                return None
            alternatives.append((term.fieldname, term.text if isinstance(term.text, str) else term.text.decode("utf-8")))
        clauses.append(alternatives)
    return clauses


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
    # The word as typed may already be whole: "ferry" is indexed as "ferri", which no prefix finds.
    whole = [token.text for token in _ANALYZER(prefix)]
    for fieldname in SEARCH_FIELDS:
        stems = [
            prefix[:cut]
            for cut in range(len(prefix) - 1, max(3, len(prefix) - 4) - 1, -1)
            if (fieldname, prefix[:cut]) in reader  # type: ignore[operator]
        ]
        exact = [term for term in whole[:1] if (fieldname, term) in reader] + stems[:1]  # type: ignore[operator]
        expanded = _expand(fieldname, _prefix_candidates(reader, fieldname, prefix), exact=exact)
        if expanded is not None:
            branches.append(expanded)
    if not branches:
        return wq.NullQuery
    return branches[0] if len(branches) == 1 else wq.Or(branches)


def _bounded(query: wq.Query | None, reader: object) -> wq.Query | None:
    """The parsed query with every explicit prefix* and wild*card bounded like type-ahead."""
    if query is None:
        return None
    # Each word that expands into many terms costs a walk over the term list (a fuzzy~2 word up
    # to a second on 10k articles): a query of hundreds of them ran for minutes, holding the searcher.
    expanding: set[tuple[str, object, object]] = set()
    fuzzy: set[tuple[str, object, object]] = set()

    def bound(node: wq.Query) -> wq.Query:
        if isinstance(node, (wq.FuzzyTerm, wq.Prefix, wq.Wildcard, wq.TermRange)):
            if isinstance(node, wq.TermRange):
                word = ("range", node.start, node.end)
            else:
                word = (type(node).__name__, node.text, None)  # type: ignore[attr-defined]
            expanding.add(word)
            if isinstance(node, wq.FuzzyTerm):
                fuzzy.add(word)
            if len(expanding) > MAX_EXPANDING_WORDS or len(fuzzy) > MAX_FUZZY_WORDS:
                raise QueryError(
                    f"too many words with * ? ~ or ranges: at most {MAX_EXPANDING_WORDS}, "
                    f"of which {MAX_FUZZY_WORDS} fuzzy~"
                )
        if isinstance(node, wq.Every):
            # `*` or `body:*`: Whoosh reads every posting of every term of a field for Every(field)
            # (30 s on 10k articles); every article has a title, so all documents is the same answer.
            return wq.Every(boost=node.boost)
        if isinstance(node, wq.FuzzyTerm):
            # `word~9` is allowed by the syntax, but more than 2 edits is a minute of automaton walking.
            maxdist = min(node.maxdist, MAX_FUZZY_EDITS)
            # `ab~2/9`: a kept prefix longer than the word made Whoosh's automaton raise IndexError.
            prefixlength = min(node.prefixlength, len(node.text))
            found = _fuzzy_candidates(reader, node.fieldname, node.text, maxdist, prefixlength)
        elif isinstance(node, wq.Prefix):
            if len(node.text) < MIN_PREFIX:  # `s*`: thousands of terms to weigh (1.4 s on 10k articles)
                raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters, as in ab*")
            found = _prefix_candidates(reader, node.fieldname, node.text)
        elif isinstance(node, wq.Wildcard):
            pattern = re.compile(fnmatch.translate(node.text))
            # Whoosh's Wildcard has no `prefix` attribute (`?` raised AttributeError): the literal
            # start before the first wildcard character bounds the terms walked. Without one (`?`,
            # `*a*`) every term of the field is matched against the pattern: 10 s on 10k articles.
            literal = node._find_prefix(node.text)
            if len(literal) < MIN_PREFIX:
                raise QueryError(f"a wildcard needs at least {MIN_PREFIX} letters before it, as in ab*")
            found = _prefix_candidates(reader, node.fieldname, literal, pattern)
        elif isinstance(node, wq.TermRange):
            # `[a TO z]` made Whoosh score every word of the field at once (over 5 minutes on 10k
            # articles); a range with no words in it raised ValueError. Bounded like a prefix.
            found = _range_candidates(reader, node)
        else:
            return node
        return _expand(node.fieldname, found) or wq.NullQuery

    return query.accept(bound)


def _range_candidates(reader: object, node: wq.TermRange) -> list[tuple[int, str]]:
    """(doc frequency, term) for the terms of a `[a TO b]` range, or `QueryError` when it spans
    more than RANGE_MAX_TERMS of them."""
    found: list[tuple[int, str]] = []
    for raw in node._btexts(reader):  # Whoosh's own walk over the range, in term order
        if len(found) >= RANGE_MAX_TERMS:
            raise QueryError(f"range too wide: it spans more than {RANGE_MAX_TERMS:,} words; narrow it")
        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        found.append((reader.doc_frequency(node.fieldname, term), term))  # type: ignore[attr-defined]
    return found


def _query_words(query: wq.Query) -> frozenset[str]:
    """The indexed words a query looks for in titles and bodies, for highlighting."""
    words: set[str] = set()
    for fieldname, text in query.iter_all_terms():
        if fieldname in SEARCH_FIELDS:
            words.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return frozenset(words)


# --- fast scoring ---------------------------------------------------------------------------------
#
# Search-as-you-type sends a conjunction of plain words and a prefix (the word being typed); an
# opened article asks for similar articles (an OR of its key terms) and for links spelt like its
# title. Whoosh scores a posting through a chain of Python matcher objects (about 6 µs each), so a
# common word or a short prefix over 100k articles took hundreds of milliseconds. These queries
# are scored here instead, straight from the postings blocks with the same BM25F formula and
# statistics Whoosh uses (the same ranking): Whoosh's codec decodes a block's ids and weights,
# one loop scores them. Words are intersected rarest first, later ones only over the blocks that
# can hold a candidate; a prefix expands through an in-memory list of each segment's terms.
# Anything else (phrases, OR, NOT, fields, fuzzy terms) goes to Whoosh as before.

_K1, _B = 1.2, 0.75  # Whoosh's BM25F defaults, which reader searches with
# Postings scored for the word being typed at most. Past it the commonest completions that fit are
# kept, or the best blocks of one very common word: about 10 ms of scoring here.
TYPEAHEAD_POSTINGS_BUDGET = 8_000
# Postings read for a whole word of a type-ahead query that is the rarest of its words: past it,
# a very common word gives its best-scoring blocks only.
WORD_POSTINGS_BUDGET = 12_000
# Postings scored for "more like this" at most (its key terms are mostly rare; one that would go
# past the budget is left out). Against no budget, for 200 articles (CPU p95, share of the same
# articles): 20newsgroups 6,000: 17.6 ms, 96%; 4,000: 13.1 ms, 94%. Synthetic 100k 6,000: 19.7 ms,
# 92%; 4,000: 14.0 ms, 86%. Opening an article (this, backlinks, links, layout) has 30 ms at p95.
SIMILAR_POSTINGS_BUDGET = 4_000
# Key terms of an article that "more like this" looks for (of the 40 that tell it apart best).
SIMILAR_TERMS = 12
# Postings scored when looking for links spelt like a title: its rarer words, which tell the most.
# 2,000 found the same backlinks as 5,000 for 100 articles each of 100k and of 20newsgroups.
LINK_WORDS_BUDGET = 2_000
# The prefix of the word being typed expands to at most this many terms a field, commonest first.
TYPEAHEAD_MAX_TERMS = 32
_RECHECK_SECONDS = 0.05
_COMMITS = [0]  # commits (and cancelled ones) made by this process
_REMEMBERED = 512  # prefix expansions and rankings kept per index generation
_COLLECTION_KEPT = 200_000  # terms whose total occurrences are remembered per field
# Segments of at most this many documents (a refresh's) have their term lists of every field read
# whole when first searched; in larger ones a field of many unique terms (link keys) is looked up in
# Whoosh's hash table instead.
_SMALL_SEGMENT = 4096
_BLOCKS_KEPT = 3000  # decoded posting blocks kept per index generation (up to 128 postings each)
_INT_PAIR = struct.Struct("!ii")
_INFO_HEAD = W3TermInfo._struct  # a term info's statistics; then, when not inlined, where its postings are
_LONG_INT = struct.Struct("!qi")  # that place: offset and length in the postings file
_BLOCK_LENGTH = struct.Struct("!i")  # before each block; negative for the last
_SHORT_POSTINGS = 32_768  # bytes of postings read whole, in one read (a few blocks)
_TERM_STATS = struct.Struct("!BfI")  # the start of a W3TermInfo: flags, total weight, doc frequency


class _Lexicon:
    """The terms of one field of one segment, sorted (as UTF-8 bytes), with their statistics and
    where their term info is in the terms file."""

    __slots__ = ("terms", "freqs", "weights", "places", "sizes", "table", "_where")

    def __init__(self, table: object) -> None:
        # Arrays rather than lists of Python numbers: a 100k-article index has ~200k terms here.
        self.terms: list[bytes] = []
        self.freqs = array("I")
        """Doc frequency of each term."""
        self.weights = array("f")
        """Total weight (occurrences) of each term."""
        self.places = array("q")
        self.sizes = array("I")
        """Position and length of each term's info in the terms file: read without a hash lookup."""
        self.table = table
        self._where: dict[bytes, int] | None = None
        """Term -> its place, made on the first lookup: opening an article looks up a few hundred
        words in every segment, and a binary search of 50k terms cost 2 µs a word."""

    def prefixed(self, prefix: bytes) -> Iterator[tuple[bytes, int]]:
        low = bisect_left(self.terms, prefix)
        high = bisect_left(self.terms, prefix + b"\xff", low)  # 0xff never occurs in UTF-8
        return zip(self.terms[low:high], self.freqs[low:high])

    def find(self, term: bytes) -> int:
        where = self._where
        if where is None:
            where = self._where = dict(zip(self.terms, range(len(self.terms))))
        return where.get(term, -1)

    def frequency(self, term: bytes) -> int:
        at = self.find(term)
        return self.freqs[at] if at >= 0 else 0

    def info(self, at: int) -> bytes:
        """The term's info as stored (W3TermInfo's bytes)."""
        return self.table.dbfile.get(self.places[at], self.sizes[at])  # type: ignore[attr-defined, no-any-return]


def _read_lexicon(leaf: object, fieldname: str) -> _Lexicon:
    """A segment's terms of one field, read in one pass over its terms file (Whoosh's own term
    iterator costs 20 µs a term; this about 1). `_Unsupported` for another codec."""
    try:
        terms_reader = leaf._terms  # type: ignore[attr-defined]
        table = terms_reader._tindex
        fieldkey = terms_reader._keycoder(fieldname, b"")
        lexicon = _Lexicon(table)
        start = table.closest_key_pos(fieldkey)
        if start is None:
            return lexicon
        data = table.dbfile.get(start, table.endofdata - start)
        unpack_pair, unpack_stats = _INT_PAIR.unpack_from, _TERM_STATS.unpack_from
        terms, freqs, weights, places, sizes = lexicon.terms, lexicon.freqs, lexicon.weights, lexicon.places, lexicon.sizes
        position, end, keystart = 0, len(data), len(fieldkey)
        while position < end:
            keylen, datalen = unpack_pair(data, position)
            key = position + 8
            if data[key : key + keystart] != fieldkey:
                break
            _flags, weight, freq = unpack_stats(data, key + keylen)
            terms.append(data[key + keystart : key + keylen])
            freqs.append(freq)
            weights.append(weight)
            places.append(start + key + keylen)
            sizes.append(datalen)
            position = key + keylen + datalen
        return lexicon
    except (AttributeError, TypeError, struct.error) as error:
        raise _Unsupported(f"cannot read the terms of {fieldname}: {_describe(error)}") from None


class _Unsupported(Exception):
    """The index is not in the format the fast scorer reads: Whoosh answers instead."""


@dataclass(slots=True)
class _Leaf:
    """One segment as the fast scorer reads it."""

    reader: object
    name: str
    offset: int
    """Its first document's number in the whole index."""
    size: int
    """Documents in the segment, deleted ones included."""
    deleted: frozenset[int]
    lengths: dict[str, bytes] = field(default_factory=dict)
    """Field -> one length byte a document (Whoosh's length column)."""
    lexicons: dict[str, _Lexicon] = field(default_factory=dict)


class _Blocks:
    """What has been read of one term's postings in one segment: its block headers and decoded
    blocks. Typing a query letter by letter asks for the same words at every key, and decoding a
    block (zlib, then unpickling positions the scorer never uses) was half of a key's time."""

    __slots__ = ("headers", "complete", "decoded", "raw", "tally")

    def __init__(self, tally: list[int]) -> None:
        self.tally = tally
        """Blocks decoded by every term of the scorer (one shared counter; approximate under threads)."""
        self.headers: list[tuple[float, int, int, int]] = []
        """(highest weight, shortest length, highest id, position) of the blocks read so far."""
        self.complete = False
        """Whether `headers` reaches the last block."""
        self.decoded: dict[int, tuple[list[int], Sequence[float]]] = {}
        self.raw: dict[int, tuple[bytes, int, int]] = {}
        """Blocks of a short list read but not yet decoded: (data, compression, postings)."""


class _Posting:
    """One term's postings in one segment, read a block at a time."""

    __slots__ = ("leaf", "term", "fmt", "info", "matcher", "cache", "lengths", "norm", "factor", "average", "count", "at")

    def __init__(self, leaf: _Leaf, term: Term, fmt: object, info: bytes, cache: _Blocks, lengths: bytes,
                 norm: list[float], factor: float, average: float, count: int) -> None:
        self.leaf = leaf
        self.term = term
        self.fmt = fmt
        """The field's Whoosh format."""
        self.info = info
        """The term's info as stored in the terms file (W3TermInfo's bytes)."""
        self.matcher: object | None = None
        """Whoosh's matcher, made when a block not yet in `cache` is read."""
        self.cache = cache
        self.lengths = lengths
        self.norm = norm
        self.factor = factor
        """boost * idf * (K1 + 1)."""
        self.average = average
        self.count = count
        self.at = -1
        """Where the matcher's current block starts."""

    def _matcher(self) -> object:
        if self.matcher is None:
            reader = self.leaf.reader
            self.matcher = reader._codec.postings_reader(  # type: ignore[attr-defined]
                reader._terms._postfile, W3TermInfo.from_bytes(self.info), self.fmt, term=self.term  # type: ignore[attr-defined]
            )
        return self.matcher

    def blocks(self) -> Iterator[tuple[float, int, int]]:
        """(best possible score, highest id, position) of each block, reading only its header
        (and only as far as the caller goes: a common word has thousands of blocks)."""
        cache = self.cache
        done = 0
        while True:
            headers = cache.headers
            if done == len(headers):
                if cache.complete:
                    return
                self._read_header(headers[-1][3] if headers else None)
                continue
            weight, shortest, highest, position = headers[done]
            done += 1
            if position < 0:  # one posting, kept in the term's info
                yield math.inf, highest, position
                continue
            norm = _K1 * ((1 - _B) + _B * max(shortest, 1) / self.average)
            yield self.factor * weight / (weight + norm), highest, position

    def _read_header(self, after: int | None) -> None:
        """Add the header of the block after the one at `after` (the first when None)."""
        cache = self.cache
        if after is None and self._read_short():
            return
        if self._inlined():  # one block, at position -1, which `read` takes from the info
            cache.headers.append((math.inf, 0, 2**62, -1))
            cache.complete = True
            return
        matcher = self._matcher()  # a W3LeafMatcher: the blocks are in the postings file
        if after is None:
            position = matcher._baseoffset
        else:
            if self.at != after:
                matcher._goto(after)
                self.at = after
            position = matcher._nextoffset
        if self.at != position:
            matcher._goto(position)
            self.at = position
        cache.headers.append((matcher._maxweight, matcher._minlength, matcher._maxid, position))
        cache.complete = matcher._lastblock

    def _inlined(self) -> bool:
        """Whether the postings are kept in the term's info (its first byte is Whoosh's flag)."""
        return self.info[:1] == b"\x01"

    def _read_short(self) -> bool:
        """Read a short posting list whole, from one read of the postings file: its headers, and
        its blocks to decode when asked for. Most terms that "more like this" and backlinks look
        for have a block or two, and opening Whoosh's matcher for them (its seeks and small reads)
        cost more than decoding them. False for a long list, or one kept in the term's info."""
        info = self.info
        if self._inlined() or len(info) < _INFO_HEAD.size + _LONG_INT.size:
            return False
        offset, length = _LONG_INT.unpack_from(info, _INFO_HEAD.size)
        if length > _SHORT_POSTINGS:
            return False
        data = self.leaf.reader._terms._postfile.get(offset, length)  # type: ignore[attr-defined]
        if data[:4] != WHOOSH3_HEADER_MAGIC:
            return False
        cache = self.cache
        stream = BytesIO(data)
        at, last = 4, False
        while not last and at < len(data):
            size = _BLOCK_LENGTH.unpack_from(data, at)[0]
            last = size < 0
            stream.seek(at + 4)
            count, highest, weight, compression, shortest, _longest = pickle.load(stream)
            end = at + 4 + abs(size)
            position = offset + at
            cache.headers.append((weight, byte_to_length(shortest), highest, position))
            cache.raw[position] = (data[stream.tell() : end], compression, count)
            cache.tally[0] += 1
            at = end
        cache.complete = True
        return True

    def read(self, position: int) -> tuple[Iterable[int], Sequence[float]]:
        """The ids and weights of the block at `position`."""
        known = self.cache.decoded.get(position)
        if known is not None:
            return known
        raw = self.cache.raw.pop(position, None)
        if raw is not None:  # of a short list (_read_short)
            data, compression, count = raw
            ids, weights, _values = pickle.loads(zlib.decompress(data) if compression else data)
            if weights is None or isinstance(weights, float):  # the same weight for all
                weights = [weights or 1.0] * count
            block = self.cache.decoded[position] = (list(accumulate(ids)), weights)  # ids are stored as gaps
            return block
        if position < 0:
            # Postings kept in the term's info (most terms of a refresh's small segment): the
            # pickle Whoosh wrote there, read without making its matcher, which cost more.
            ids, weights, _values = pickle.loads(self.info[_INFO_HEAD.size :])
            if not weights:
                weights = (1.0,) * len(ids)  # as Whoosh's ListMatcher reads them
            self.cache.decoded[position] = block = (ids, weights)
            self.cache.tally[0] += 1
            return block
        matcher = self._matcher()
        if self.at != position:
            matcher._goto(position)  # type: ignore[attr-defined]
            self.at = position
        if matcher._data is None:  # type: ignore[attr-defined]
            matcher._read_data()  # type: ignore[attr-defined]
        ids = matcher._data[0]  # type: ignore[attr-defined]
        if not matcher._byteids:  # type: ignore[attr-defined]
            ids = list(accumulate(ids))  # stored as gaps
        matcher._read_weights()  # type: ignore[attr-defined]
        block = (ids, matcher._weights)  # type: ignore[attr-defined]
        self.cache.decoded[position] = block
        self.cache.tally[0] += 1
        return block

    def add(self, ids: Iterable[int], weights: Sequence[float], scores: dict[int, float],
            only: set[int] | None) -> int:
        """Add the block's BM25F scores into `scores` (only for documents in `only`, when given);
        how many postings it had."""
        lengths, norm, factor = self.lengths, self.norm, self.factor
        offset, deleted = self.leaf.offset, self.leaf.deleted
        get = scores.get
        # Most blocks of a segment with deletions hold none of them: those take the short loop.
        if only is None and (not deleted or deleted.isdisjoint(ids)):
            for local, weight in zip(ids, weights):
                docnum = local + offset
                scores[docnum] = get(docnum, 0.0) + factor * weight / (weight + norm[lengths[local]])
            return len(weights)
        for local, weight in zip(ids, weights):
            docnum = local + offset
            if (only is not None and docnum not in only) or local in deleted:
                continue
            scores[docnum] = get(docnum, 0.0) + factor * weight / (weight + norm[lengths[local]])
        return len(weights)


Term = tuple[str, bytes]
"""(field, indexed term)."""


class _Scorer:
    """The fast scorer for one searcher generation: term lists and length norms (read per field
    on first use), statistics, and the prefix expansions and rankings already made."""

    def __init__(self, searcher: object, lexicons: dict[tuple[str, str], _Lexicon]) -> None:
        self.searcher = searcher
        reader = searcher.reader()  # type: ignore[attr-defined]
        self.doccount = reader.doc_count_all()
        self.leaves: list[_Leaf] = []
        for leaf, offset in reader.leaf_readers():
            if not hasattr(leaf, "_perdoc") or not hasattr(leaf, "_terms"):
                raise _Unsupported("not a Whoosh 3 segment")
            deleted = frozenset(leaf.deleted_docs_set) if leaf.has_deletions() else frozenset()
            segment = leaf.segment()
            name = segment.segment_id() if segment is not None else f"leaf-{id(leaf)}"
            self.leaves.append(_Leaf(leaf, name, offset, leaf.doc_count_all(), deleted))
        self._shared_lexicons = lexicons
        self._norms: dict[str, tuple[float, list[float]]] = {}
        self._lock = threading.Lock()
        self._expansions: dict[str, tuple[Term, ...]] = {}
        self.answers: dict[object, tuple[list[tuple[int, float]], int, bool]] = {}
        """Rankings already made (typing back and forth asks for them again)."""
        self._read: OrderedDict[tuple[str, str, bytes], _Blocks] = OrderedDict()
        """Blocks read, by (segment, field, term); the oldest terms go past _BLOCKS_KEPT blocks."""
        self._read_blocks = [0]
        self._collection: dict[str, dict[bytes, float]] = {}
        """Field -> term -> its occurrences in every segment, as "more like this" looked them up."""

    # --- per-field data, read on first use ------------------------------------------------------

    def _blocks(self, leaf: _Leaf, fieldname: str, term: bytes) -> _Blocks:
        key = (leaf.name, fieldname, term)
        with self._lock:
            found = self._read.get(key)
            if found is None:
                found = self._read[key] = _Blocks(self._read_blocks)
                while len(self._read) > 1 and self._read_blocks[0] > _BLOCKS_KEPT:
                    _, oldest = self._read.popitem(last=False)  # the least recently used go first
                    self._read_blocks[0] -= len(oldest.decoded) + len(oldest.raw)
            else:
                self._read.move_to_end(key)
            return found

    def lexicon(self, leaf: _Leaf, fieldname: str) -> _Lexicon:
        found = leaf.lexicons.get(fieldname)
        if found is None:
            key = (leaf.name, fieldname)  # segments never change: their term lists outlive generations
            found = self._shared_lexicons.get(key)
            if found is None:
                found = self._shared_lexicons[key] = _read_lexicon(leaf.reader, fieldname)
            leaf.lexicons[fieldname] = found
        return found

    def lengths(self, leaf: _Leaf, fieldname: str) -> bytes:
        found = leaf.lengths.get(fieldname)
        if found is None:
            column = leaf.reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)  # type: ignore[attr-defined]
            found = getattr(column, "_bytes", b"")
            if len(found) < leaf.size:  # no lengths stored: Whoosh reads them as 1
                found = bytes(leaf.size)
            leaf.lengths[fieldname] = found
        return found

    def norms(self, fieldname: str) -> tuple[float, list[float]]:
        """The field's average length and BM25's length normalisation for each length byte."""
        found = self._norms.get(fieldname)
        if found is None:
            average = self.searcher.avg_field_length(fieldname) or 1  # type: ignore[attr-defined]
            norm = [_K1 * ((1 - _B) + _B * (byte_to_length(b) if b else 1) / average) for b in range(256)]
            found = self._norms[fieldname] = (average, norm)
        return found

    def frequency(self, fieldname: str, term: bytes) -> int:
        return sum(self.lexicon(leaf, fieldname).frequency(term) for leaf in self.leaves)

    def term_docs(self, fieldname: str, term: bytes) -> set[int]:
        """The documents with `term`, looked up in each segment's own hash table: for the fields
        of many unique terms (every link's title key), whose term lists are never read whole."""
        found: set[int] = set()
        fmt = self.searcher.schema[fieldname].format  # type: ignore[attr-defined]
        for leaf in self.leaves:
            if leaf.size <= _SMALL_SEGMENT:  # its term list is short: read once, then a dict lookup
                lexicon = self.lexicon(leaf, fieldname)
                at = lexicon.find(term)
                info = lexicon.info(at) if at >= 0 else None
            else:
                terms = leaf.reader._terms  # type: ignore[attr-defined]
                info = terms._tindex.get(terms._keycoder(fieldname, term))
            if info is None:
                continue
            posting = _Posting(leaf, (fieldname, term), fmt, info, _Blocks([0]), b"", [], 0.0, 1.0, 0)
            for _best, _highest, position in posting.blocks():
                ids, _weights = posting.read(position)
                found.update(local + leaf.offset for local in ids if local not in leaf.deleted)
        return found

    # --- choosing terms -------------------------------------------------------------------------

    def expand(self, prefix: str) -> tuple[Term, ...]:
        """(field, term) for the word being typed, those to keep first first: the word itself when
        already whole ("ferry" is indexed as "ferri"), the stem it has passed ("safeguardi" ->
        "safeguard"), then the terms starting with it, commonest first."""
        with self._lock:
            known = self._expansions.get(prefix)
        if known is not None:
            return known
        whole = [token.text.encode("utf-8") for token in _ANALYZER(prefix)][:1]
        encoded = prefix.encode("utf-8")
        exact: list[Term] = []
        counted: list[tuple[int, str, bytes]] = []
        for fieldname in SEARCH_FIELDS:
            counts: dict[bytes, int] = {}
            for leaf in self.leaves:
                for term, freq in self.lexicon(leaf, fieldname).prefixed(encoded):
                    counts[term] = counts.get(term, 0) + freq
            exact += [(fieldname, term) for term in whole if self.frequency(fieldname, term)]
            for cut in range(len(prefix) - 1, max(3, len(prefix) - 4) - 1, -1):
                stem = prefix[:cut].encode("utf-8")
                if self.frequency(fieldname, stem):
                    exact.append((fieldname, stem))
                    break
            ranked = sorted(counts, key=lambda term: (-counts[term], term))[:TYPEAHEAD_MAX_TERMS]
            counted += [(counts[term], fieldname, term) for term in ranked]
        counted.sort(key=lambda item: (-item[0], item[1], item[2]))
        result = tuple(dict.fromkeys(exact + [(fieldname, term) for _, fieldname, term in counted]))
        with self._lock:
            if len(self._expansions) >= _REMEMBERED:
                self._expansions.pop(next(iter(self._expansions)))
            self._expansions[prefix] = result
        return result

    def key_terms(self, text: str, fieldname: str, count: int) -> list[tuple[bytes, float, int]]:
        """The `count` terms that best tell `text` apart, weighted as Whoosh's `more_like` does
        (Bo1 model, not normalised), from one fast pass over the text; with how many documents
        have each."""
        occurrences: dict[str, int] = {}
        stems, stops = _STEMS, _STOP_WORDS
        # Words found and counted in C; then each distinct one stemmed (half the time of a loop
        # over every word).
        for word, times in Counter(map(str.lower, _TOKEN.findall(text))).items():
            if word in stops or len(word) > _MAX_TOKEN:
                continue
            term = stems.get(word) or _stem(word)
            occurrences[term] = occurrences.get(term, 0) + times
        scored: list[tuple[float, bytes, int]] = []
        known = self._collection.setdefault(fieldname, {})
        if len(known) > _COLLECTION_KEPT:
            known.clear()
        lexicons = [self.lexicon(leaf, fieldname) for leaf in self.leaves]
        for word, weight in occurrences.items():
            term = word.encode("utf-8")
            totals = known.get(term)
            if totals is None:
                collection, docs = 0.0, 0
                for lexicon in lexicons:
                    at = lexicon.find(term)
                    if at >= 0:
                        collection += lexicon.weights[at]
                        docs += lexicon.freqs[at]
                totals = known[term] = (collection, docs)
            collection, docs = totals
            if collection:
                f = collection / self.doccount
                scored.append((-(weight * math.log((1.0 + f) / f, 2) + math.log(1.0 + f, 2)), term, docs))
        if not scored:
            return []
        highest = -min(scored)[0] or 1.0
        # Negated scores: the best first, ties by term, as a sort would give them.
        return [(term, -score / highest, docs) for score, term, docs in heapq.nsmallest(count, scored)]

    # --- scoring --------------------------------------------------------------------------------

    def postings(self, alternatives: Iterable[Term], boosts: dict[Term, float] | None = None) -> list[_Posting]:
        found: list[_Posting] = []
        for fieldname, term in alternatives:
            lexicons = [self.lexicon(leaf, fieldname) for leaf in self.leaves]
            places = [lexicon.find(term) for lexicon in lexicons]
            counts = [lexicon.freqs[at] if at >= 0 else 0 for lexicon, at in zip(lexicons, places)]
            if not any(counts):
                continue
            boost = boosts.get((fieldname, term), 1.0) if boosts else 1.0
            factor = boost * (math.log(self.doccount / (sum(counts) + 1)) + 1) * (_K1 + 1)  # Whoosh's idf
            fmt = self.searcher.schema[fieldname].format  # type: ignore[attr-defined]
            average, norm = self.norms(fieldname)
            for leaf, lexicon, at, count in zip(self.leaves, lexicons, places, counts):
                if count:
                    found.append(_Posting(leaf, (fieldname, term), fmt, lexicon.info(at), self._blocks(leaf, fieldname, term),
                                          self.lengths(leaf, fieldname), norm, factor, average, count))
        return found

    def clause(self, alternatives: Sequence[Term], only: set[int] | None, keep: int, budget: int | None,
               boosts: dict[Term, float] | None = None, drop: bool = True) -> tuple[dict[int, float], bool]:
        """BM25F scores of the documents with any of `alternatives` (a word in the title or the
        body, the completions of a prefix, key terms), among `only` when given.

        With a `budget`, alternatives are taken in order while their postings fit it (the first
        always; all of them when not `drop`); when those are still over it, their blocks that can
        score highest are read until the budget is spent or none left can beat the `keep`-th best
        score. The flag says whether anything was left out (the count of matches is then a lower
        bound)."""
        taken: list[Term] = []
        left_out = False
        used = 0
        for fieldname, term in alternatives:
            count = self.frequency(fieldname, term)
            if not count:
                continue
            if drop and budget is not None and taken and used + count > budget:
                left_out = True
                continue
            taken.append((fieldname, term))
            used += count
        postings = self.postings(taken, boosts)
        scores: dict[int, float] = {}
        if only is not None:
            # Later words of a conjunction: only the blocks whose id range holds a candidate; when
            # those hold more postings than the budget, the ones that can score highest.
            wanted = {
                id(leaf): sorted(d - leaf.offset for d in only if leaf.offset <= d < leaf.offset + leaf.size)
                for leaf in self.leaves
            }
            hits: list[tuple[float, int, int]] = []
            for number, posting in enumerate(postings):
                mine = wanted[id(posting.leaf)]
                if not mine:
                    continue
                low = -1
                for best, highest, position in posting.blocks():
                    at = bisect_left(mine, low + 1)
                    if at < len(mine) and mine[at] <= highest:
                        hits.append((best, number, position))
                    low = highest
                    if low >= mine[-1]:
                        break
            if budget is not None and len(hits) * 128 > budget:  # a block holds up to 128 postings
                hits.sort(key=lambda block: -block[0])
            left = budget if budget is not None else math.inf
            for best, number, position in hits:
                if left <= 0:
                    return scores, True
                left -= postings[number].add(*postings[number].read(position), scores, only)
            return scores, left_out
        if budget is None or used <= budget:
            for posting in postings:
                for _best, _highest, position in posting.blocks():
                    posting.add(*posting.read(position), scores, None)
            return scores, left_out
        # Over the budget (a very common word): the best blocks first.
        blocks = sorted(((best, number, position) for number, posting in enumerate(postings)
                         for best, _highest, position in posting.blocks()), key=lambda block: -block[0])
        left = budget
        for done, (best, number, position) in enumerate(blocks):
            if left <= 0 or (done % 16 == 15 and len(scores) >= keep and heapq.nlargest(keep, scores.values())[-1] >= best):
                return scores, True
            left -= postings[number].add(*postings[number].read(position), scores, None)
        return scores, left_out

    def conjunction(self, words: Sequence[tuple[Term, ...]], completions: tuple[Term, ...],
                    keep: int) -> tuple[list[tuple[int, float]], int, bool]:
        """The best `keep` (docnum, score) with every word and one of the completions, how many
        match, and whether that count is only a lower bound (remembered per generation)."""
        key = (tuple(words), completions, keep)
        with self._lock:
            known = self.answers.get(key)
        if known is not None:
            return known
        # (terms, postings budget, whether alternatives may be left out): a word is looked for in
        # the title and the body; the word being typed in its commonest completions.
        clauses = [(word, WORD_POSTINGS_BUDGET, False) for word in words]
        if completions:
            clauses.append((completions, TYPEAHEAD_POSTINGS_BUDGET, True))

        def cost(clause: tuple[tuple[Term, ...], int, bool]) -> int:
            return min(sum(self.frequency(*term) for term in clause[0]), clause[1])

        # Rarest first: it is read whole (or its best blocks when very common), the others only
        # in the blocks where it matched.
        clauses.sort(key=cost)
        scores: dict[int, float] | None = None
        estimate = False
        for alternatives, budget, drop in clauses:
            if scores is None:
                scores, estimate = self.clause(alternatives, None, keep, budget, drop=drop)
            else:
                more, left_out = self.clause(alternatives, set(scores), keep, budget, drop=drop)
                scores = {docnum: scores[docnum] + score for docnum, score in more.items()}
                estimate = estimate or left_out
            if not scores:
                break
        answer = (_best(scores or {}, keep), len(scores or {}), estimate)
        with self._lock:
            if len(self.answers) >= _REMEMBERED:
                self.answers.pop(next(iter(self.answers)))
            self.answers[key] = answer
        return answer


def _best(scores: dict[int, float], keep: int, leave_out: int = -1) -> list[tuple[int, float]]:
    """The `keep` highest scores, ties in document order (as Whoosh ranks them)."""
    top = heapq.nlargest(keep + (leave_out >= 0), scores.items(), key=itemgetter(1))
    return sorted((item for item in top if item[0] != leave_out), key=lambda item: (-item[1], item[0]))[:keep]


# --- snippets -------------------------------------------------------------------------------------


def body_text(path: Path) -> str:
    """An article's body, parsed once per version of the file (result rows ask again and again)."""
    return _read_cached(path).body_text()


def snippet_text(path: Path) -> str:
    """The text snippets are cut from: the file after its title line, up to its first link
    section, decoded and made terminal-safe as the parser does, without parsing the layout
    (a fifth of the cost: result rows ask for a dozen files a keystroke)."""
    try:
        stat = path.stat()
    except OSError:
        return body_text(path)  # raises SkippedFile with the reason
    return _cached_snippet_text(str(path), stat.st_mtime_ns, stat.st_size)


_SECTION_STARTS = tuple("\n" + name.casefold() for name in LINK_SECTIONS)
_BULLETS = "•◦▪‣"
# Every character safe_text changes (controls, tab, CR, NEL, line and paragraph separators): a text
# without any is already terminal-safe, and not binary.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@lru_cache(maxsize=1024)
def _cached_snippet_text(path: str, mtime_ns: int, size: int) -> str:
    if size > MAX_FILE_BYTES:
        return body_text(Path(path))
    try:
        data = Path(path).read_bytes()
    except OSError:
        return body_text(Path(path))
    text, _ = decode(data)  # SkippedFile for binary files, as the parser says
    if _UNSAFE.search(text):
        if _looks_binary(text):
            return body_text(Path(path))
        text = safe_text(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    _, _, body = text.lstrip().partition("\n")  # the title line
    lowered = body.casefold() if not body.isascii() else body.lower()
    if len(lowered) == len(body):
        ends = [at for at in (lowered.find(start) for start in _SECTION_STARTS) if at >= 0]
        if ends:
            body = body[: min(ends)]
    for bullet in _BULLETS:  # str.replace: translate() walks a non-ASCII text a character at a time
        if bullet in body:
            body = body.replace(bullet, "")
    return body


def _read_cached(path: Path) -> Article:
    """`read_article`, parsed once per version of the file: opening an article, its similar
    articles and the snippets of result rows all read the same few files again and again."""
    try:
        stat = path.stat()
    except OSError:
        return read_article(path)  # raises SkippedFile with the reason
    return _cached_article(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _cached_article(path: str, mtime_ns: int, size: int) -> Article:
    return read_article(Path(path))


_MARK_START, _MARK_END = "\x02", "\x03"  # article text never holds control characters (article.safe_text)

# The analyzer's own tokens, lower-casing, length limit and (cached) stemmer, applied with one regex
# pass over the text: Whoosh's highlighter builds a Token object through five generator filters
# for every word, which made a snippet cost 2-3 ms on a long article.
_TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")  # whoosh.analysis.tokenizers.default_pattern
_MAX_TOKEN = 64
_STEM_WORD = next(item for item in _ANALYZER.items if isinstance(item, StemFilter)).stemfn
_STEMS: dict[str, str] = {}  # word -> stem; a plain dict (Whoosh's cache wrapper cost 4 µs a word)
_STEMS_KEPT = 200_000


def _stem(word: str) -> str:
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) >= _STEMS_KEPT:
            _STEMS.clear()
        found = _STEMS[word] = _STEM_WORD(word)
    return found
_STOP_WORDS = next(item for item in _ANALYZER.items if isinstance(item, StopFilter)).stops


def _term_places(text: str, termset: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word of `text` whose indexed form is in `termset`."""
    if not termset:
        return []
    stem = _stem
    places: list[tuple[int, int, str]] = []
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer: offsets would drift
        for match in _TOKEN.finditer(text):
            word = match.group().lower()
            if len(word) <= _MAX_TOKEN and stem(word) in termset:
                places.append((match.start(), match.end(), stem(word)))
        return places
    # Stemming keeps a word's first two letters, so only words starting like a term are stemmed;
    # a pattern of literal beginnings lets the regex engine skip the rest of the text in C.
    for match in _beginnings(frozenset(term[:2] for term in termset)).finditer(lowered):
        start = match.start()
        if start and _inside_word(lowered, start):
            continue
        word = match.group()
        if len(word) <= _MAX_TOKEN:
            term = stem(word)
            if term in termset:
                places.append((start, match.end(), term))
    return places


def _inside_word(text: str, at: int) -> bool:
    """Whether `at` is inside one of the analyzer's tokens (`\\w+(\\.?\\w+)*`) rather than at its start."""
    before = text[at - 1]
    if before.isalnum() or before in "_*":
        return True
    return before == "." and at > 1 and (text[at - 2].isalnum() or text[at - 2] in "_*")


@lru_cache(maxsize=256)
def _beginnings(beginnings: frozenset[str]) -> re.Pattern[str]:
    """Lower-case words starting with one of `beginnings`, to the end of the token."""
    alternatives = "|".join(re.escape(b) for b in sorted(beginnings, key=lambda b: (-len(b), b)) if b)
    return re.compile(r"(?:%s)[\w*]*(?:\.?[\w*]+)*" % alternatives)


def make_snippet(text: str, terms: Iterable[str], width: int = 160) -> Snippet:
    """The part of `text` richest in `terms` (indexed word forms), with their places marked."""
    places = _term_places(text, frozenset(terms))
    if not places:
        return Snippet(" ".join(text[: width * 2].split())[:width])
    # The window of `width` characters holding the most different terms (then the most places).
    best = (0, 0, 0)  # (distinct terms, places, -index of the first place)
    best_first = best_last = 0
    last = 0
    for first in range(len(places)):
        limit = places[first][0] + width
        last = max(last, first)
        while last + 1 < len(places) and places[last + 1][1] <= limit:
            last += 1
        inside = places[first : last + 1]
        score = (len({place[2] for place in inside}), len(inside), -first)
        if score > best:
            best, best_first, best_last = score, first, last
    chosen = places[best_first : best_last + 1]
    used = chosen[-1][1] - chosen[0][0]
    lead = max(0, (width - used) // 3)
    start = max(0, chosen[0][0] - lead)
    if start:  # begin at a word
        space = text.find(" ", start, chosen[0][0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + max(width, used))
    if end < len(text):
        space = text.rfind(" ", chosen[-1][1], end)
        end = space if space >= 0 else max(end, chosen[-1][1])
    pieces: list[str] = []
    cursor = start
    for place_start, place_end, _ in chosen:
        pieces += [text[cursor:place_start], _MARK_START, text[place_start:place_end], _MARK_END]
        cursor = place_end
    pieces.append(text[cursor:end])
    return _unmark(" ".join("".join(pieces).split()))


def highlight_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where `terms` (indexed word forms) occur in `text`: for highlighting a whole article."""
    return [(start, end) for start, end, _ in _term_places(text, frozenset(terms))]


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


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies, so a killed build leaves no orphans."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect: nobody will send it
        os._exit(1)


class _SubWriterTask(SubWriterTask):
    parent_pid = 0
    """The building process (set before start; the child is forked with it)."""

    def run(self) -> None:
        _die_with_parent(self.parent_pid)
        super().run()


class _MpWriter(MpWriter):
    def _new_task(self) -> SubWriterTask:
        task = _SubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        task.parent_pid = os.getpid()
        self.tasks.append(task)
        task.start()
        return task
