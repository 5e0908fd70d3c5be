"""The Whoosh index of one archive folder as an engine: opening its searcher, titles, reading,
links, search pages and snippets. Building and refreshing are in writing.py."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import index as whoosh_index

from reader.core.archive import Scan, check_archive
from reader.core.article import (
    Article,
    Link,
    SkippedFile,
)
from reader.core.reading import (
    read_cached,
    snippet_text,
)
from reader.core.snippets import (
    PREFIX,
    highlight_spans,
    make_snippet,
)
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
    describe,
)
from reader.engines.whoosh import patches
from reader.engines.whoosh.fast.format import (
    Lexicon,
    Unsupported,
)
from reader.engines.whoosh.fast.scorer import (
    Scorer,
)
from reader.engines.whoosh.fast.shapes import Shapes
from reader.engines.whoosh.freshness import (
    classify,
    load_manifest,
    stale_reason,
)
from reader.engines.whoosh.prefixes import may_be_stop_word, starts_field
from reader.engines.whoosh.queries import (
    Bounded,
    Parsed,
    Terms,
    bound,
    parse,
    query_words,
)
from reader.engines.whoosh.schema import SEARCH_FIELDS, stem
from reader.engines.whoosh.store import IndexStore

if TYPE_CHECKING:  # the link resolver is imported when first used: a search never is (difflib)
    from reader.core.links import Resolution, TitleTable


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
        self._scorer_state: Scorer | None = None  # the fast scorer of the searcher in use
        self._lexicons: dict[tuple[str, str], Lexicon] = {}  # (segment id, field): segments never change
        self._checked = (-math.inf, -1)
        """(monotonic time, COMMITS) when the searcher was last found current (see _searching)."""

    @property
    def index_dir(self) -> Path:
        return self.store.root

    @property
    def location(self) -> str:
        return str(self.store.root)

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
        # Imported here: a search never writes (Whoosh's writer, shutil).
        from reader.engines.whoosh.writing import Writer

        try:
            return Writer(self.archive, self.store).refresh(rebuild, progress, wait, scanned)
        finally:
            self._forget()

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
            if self._searcher is not None and now - self._checked[0] < _RECHECK_SECONDS and self._checked[1] == _commits():
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
                    # A new searcher, not Searcher.refresh(): Whoosh's reader reuse keeps the old
                    # segments' readers, with their old deletions (another process's removals
                    # stayed findable) and segments merged away. The old one is not closed: the
                    # fast scorer's term lists (kept per segment, which never changes) read its files.
                    self._searcher = self._opened[1].searcher()  # type: ignore[attr-defined]
                    self._titles = None
            except IndexMissing:
                raise
            except Exception as error:  # noqa: BLE001 - Whoosh raises every kind on damaged files

                self._forget()
                raise IndexDamaged(f"the index at {self.index_dir} cannot be read ({describe(error)}){REBUILD_HINT}") from None
            self._checked = (now, _commits())
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
            # A record lost in a crash: read from the index itself (imported only then).
            from reader.engines.whoosh.writing import manifest_from_index

            saved = manifest_from_index(ix)
        from reader.core.links import TitleTable

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
        return read_cached(path)

    def find(self, id_or_title: str) -> list[str]:
        """Ids of the articles with this id, else this title (exactly, then approximately)."""
        table = self.titles()
        if table.title_of(id_or_title) is not None:
            return [id_or_title]
        return list(_resolve(id_or_title, table).targets)

    # --- links ----------------------------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        return _resolve(text, self.titles())

    def resolve_links(self, article: Article) -> list[tuple[Link, Resolution]]:
        table = self.titles()
        return [(link, _resolve(link.text, table)) for link in article.links]

    def link_report(self) -> Iterator[LinkRow]:
        """Every link of every stored article with its resolution, in archive order."""
        table = self.titles()
        with self._searching() as searcher:
            stored = {fields["id"]: fields.get("links") or "[]" for fields in searcher.all_stored_fields()}  # type: ignore[attr-defined]
        for article_id in self.article_ids():
            for position, (section, text) in enumerate(json.loads(stored.get(article_id, "[]"))):
                yield LinkRow(article_id, Link(section, text, position), _resolve(text, table))

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

    def suggest(self, text: str, typeahead: bool = False) -> str | None:
        """A "did you mean" for a query that found nothing (the TUI asks after showing that:
        Whoosh's spelling correction takes a few tenths of a second on a big archive).
        `typeahead`: the last word is being typed, and is corrected only if no word starts so."""
        try:
            parsed = parse(text, typeahead=typeahead)
        except QueryError:
            return None
        if parsed.query is None:
            return None
        with self._searching() as searcher:
            return self._suggest(searcher, parsed.text, parsed.prefix)

    def _search(self, text: str, limit: int, offset: int, typeahead: bool, snippets: int, suggest: bool) -> SearchPage:
        parsed = parse(text, typeahead)
        if parsed.query is None:  # only an operator or a stop word typed so far: nothing yet
            return SearchPage(text)
        stop = bool(parsed.prefix) and may_be_stop_word(parsed.prefix)
        page = self._answer(text, parsed, limit, offset, snippets, suggest and not stop)
        if stop and not page.total and not page.error:
            # "trading of th" may be "trading of the" being typed, which no index holds: rather
            # than nothing, the answer without the word being typed (under the text as typed,
            # which the TUI compares with its input and asks for more rows of).
            typed = text.lower().rfind(parsed.prefix)
            shorter = self._search(f"{text[:typed]} ", limit, offset, typeahead, snippets, suggest)
            return dataclasses.replace(shorter, query=text)
        return page

    def _answer(self, text: str, parsed: Parsed, limit: int, offset: int, snippets: int, suggest: bool) -> SearchPage:
        """The page of a parsed query, every word that expands bounded: plain words and a prefix
        on the fast scorer's conjunction; words, AND, OR, NOT, fields and phrases on its shapes
        (fast/shapes.py, Whoosh's answer from the same postings); anything else on Whoosh's
        matchers."""
        with self._searching() as searcher:
            if parsed.words is not None:
                try:
                    found = self._typeahead(searcher, parsed.words, parsed.prefix, offset, limit)
                except Unsupported:
                    pass
                else:
                    hits, total, exact, terms = found
                    suggestion = None
                    if suggest and not hits and offset == 0:
                        suggestion = self._suggest(searcher, parsed.text, parsed.prefix)
                    return self._page(text, hits, total, exact, suggestion, terms, snippets)
            fast = self._fast(searcher)
            source = Terms(searcher.reader(), fast)  # type: ignore[attr-defined]
            made = bound(parsed.query, source)
            if fast is not None:
                try:
                    found = self._shaped(searcher, fast, parsed, made, source, offset, limit)
                except Unsupported:
                    pass
                else:
                    hits, total, exact, terms = found
                    suggestion = None
                    if suggest and not hits and not parsed.prefix and offset == 0:
                        suggestion = self._suggest(searcher, parsed.text)
                    return self._page(text, hits, total, exact, suggestion, terms, snippets)
            # Whoosh's own matchers, for what the fast scorer does not answer (imported only then).
            from reader.engines.whoosh.collecting import count_matches, top_hits

            q = made.query
            results = top_hits(searcher, q, offset + limit)
            everything = made.query
            if not made.complete:
                # Every term of each prefix, for the count, and for the page when it came up
                # short: the one rare completion the other words need may be among those left out.
                everything = bound(parsed.query, source, widen=True).query
                if len(results.top_n) < offset + limit:
                    q = everything  # type: ignore[assignment]
                    results = top_hits(searcher, q, offset + limit)
            rows = [results[i] for i in range(offset, min(len(results.top_n), offset + limit))]
            terms = query_words(q)
            hits = tuple(
                Hit(row["id"], row["title"], row["path"], float(row.score)) for row in rows
            )
            if q is everything and results.has_exact_length() and len(results) == len(results.top_n):
                total, exact = len(results), True  # all of them are on the page
            else:
                # Counted apart: Whoosh's own count of a limited search is not always exact,
                # whatever has_exact_length says (71 for the 68 matches of `a AND NOT b`).
                total, exact = count_matches(searcher, everything)  # type: ignore[arg-type]
            total = max(total, offset + len(hits))
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

    def _shaped(self, searcher: object, fast: Scorer, parsed: Parsed, made: Bounded, source: Terms, offset: int,
                limit: int) -> tuple[tuple[Hit, ...], int, bool, frozenset[str]]:
        """The hits, exact count and highlighted words of a bounded query on the fast scorer
        (fast/shapes.py: Whoosh's answer, from the same postings); `Unsupported` for a shape it
        does not answer. As on Whoosh's path: a prefix bounded to some of its terms gives the page
        of those unless it comes up short, and the count of all of them."""
        shapes = Shapes(fast)
        q = made.query
        ranked, total = shapes.top(q, offset + limit)  # type: ignore[arg-type]
        exact = True
        if not made.complete:
            everything = bound(parsed.query, source, widen=True).query
            if len(ranked) < offset + limit:
                q = everything
                ranked, total = shapes.top(q, offset + limit)  # type: ignore[arg-type]
            else:
                total, exact = shapes.count(everything)  # type: ignore[arg-type]
        stored = searcher.stored_fields  # type: ignore[attr-defined]
        hits = []
        for docnum, score in ranked[offset:]:
            fields = stored(docnum)
            hits.append(Hit(fields["id"], fields["title"], fields["path"], float(score)))
        return tuple(hits), max(total, offset + len(hits)), exact, query_words(q)  # type: ignore[arg-type]

    def _scorer(self, searcher: object) -> Scorer:
        """The fast scorer of `searcher` (call while searching); `Unsupported` when it cannot be
        (on a Whoosh other than the one it reads: Whoosh's own scoring answers)."""
        if not patches.installed():
            raise Unsupported("not the Whoosh version the fast scorer reads")
        state = self._scorer_state
        if state is None or state.searcher is not searcher:
            live = {leaf.segment().segment_id() for leaf, _ in searcher.reader().leaf_readers() if leaf.segment()}  # type: ignore[attr-defined]
            for key in [key for key in self._lexicons if key[0] not in live]:
                del self._lexicons[key]
            state = self._scorer_state = Scorer(searcher, self._lexicons)
        return state

    def _typeahead(self, searcher: object, clauses: list[list[tuple[str, str]]], prefix: str, offset: int,
                   limit: int) -> tuple[tuple[Hit, ...], int, bool, frozenset[str]]:
        """Words and the word being typed, ranked by the fast scorer (see Scorer)."""
        scorer = self._scorer(searcher)
        words = [tuple((name, word.encode("utf-8")) for name, word in clause) for clause in clauses]
        schema = searcher.schema  # type: ignore[attr-defined]
        starts = [starts_field(name, prefix, schema) for name in SEARCH_FIELDS]
        typed = frozenset(word for clause in clauses for _, word in clause)
        if None not in starts:  # a short prefix: one term of the words' beginnings, as a word is read
            words.append(tuple((name, prefix.encode("utf-8")) for name in starts if name))
            completions: tuple[tuple[str, bytes], ...] = ()
            terms = typed | {prefix + PREFIX}  # the words starting so are marked
        else:
            completions = scorer.expand(prefix)
            if not completions:  # no indexed word starts so: nothing matches every word typed
                return (), 0, True, frozenset()
            terms = scorer.expansion_words(prefix) | typed
        ranked, count, estimate = scorer.conjunction(words, completions, offset + limit)
        stored = searcher.stored_fields  # type: ignore[attr-defined]
        hits = []
        for docnum, score in ranked[offset:]:
            fields = stored(docnum)
            hits.append(Hit(fields["id"], fields["title"], fields["path"], float(score)))
        return tuple(hits), count, not estimate, terms

    def _suggest(self, searcher: object, text: str, typed: str = "") -> str | None:
        # Imported only for a query that found nothing.
        from reader.engines.whoosh.suggesting import correction

        try:
            return correction(searcher, self._fast(searcher), text, typed)
        except Exception:  # noqa: BLE001 - no suggestion is the answer to anything odd
            return None

    def snippets(self, hits: Iterable[Hit], terms: Iterable[str]) -> list[Hit]:
        """The same hits with their snippets, for rows that come into view."""
        words = frozenset(terms)
        return [self._with_snippet(hit, words) for hit in hits]

    def _with_snippet(self, hit: Hit, terms: Iterable[str]) -> Hit:
        if hit.snippet is not None:
            return hit
        try:
            snippet = make_snippet(snippet_text(self.archive / hit.path), terms, stem)
        except SkippedFile as skip:
            snippet = Snippet(f"(file {skip.reason})")
        return Hit(hit.id, hit.title, hit.path, hit.score, snippet)

    def backlinks(self, article_id: str) -> list[str]:
        """Ids of the stored articles with a link that resolves to this one."""
        # Imported here: a search needs none of it.
        from reader.engines.whoosh.backlinks import find_backlinks

        table = self.titles()
        with self._searching() as searcher:
            return find_backlinks(article_id, table, searcher, self._fast(searcher))

    def more_like_this(self, article_id: str, limit: int = 8) -> list[str]:
        """Ids of the articles whose bodies share this one's most telling words."""
        try:
            article = self.read(article_id)
        except SkippedFile:
            return []
        # Imported here: a search needs none of it.
        from reader.engines.whoosh.similar import similar_articles

        with self._searching() as searcher:
            return similar_articles(article, searcher, self._fast(searcher), limit)

    def _fast(self, searcher: object) -> Scorer | None:
        """The fast scorer of `searcher`, or None where Whoosh must answer itself."""
        try:
            return self._scorer(searcher)
        except Unsupported:
            return None

    def highlight(self, text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
        return highlight_spans(text, terms, stem)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()  # type: ignore[attr-defined]
            self._forget()


def _resolve(text: str, table: TitleTable) -> Resolution:
    from reader.core.links import resolve

    return resolve(text, table)


_RECHECK_SECONDS = 0.05


def _commits() -> int:
    """`writing.COMMITS[0]`, the commits this process made: none before writing.py is imported,
    which a search has no use for."""
    writing = sys.modules.get("reader.engines.whoosh.writing")
    return writing.COMMITS[0] if writing is not None else 0
