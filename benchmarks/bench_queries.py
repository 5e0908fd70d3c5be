"""The query sections of the benchmark: type-ahead key by key, phrase, boolean, fuzzy, field and
did-you-mean queries against rg and SQLite FTS5, then opening articles as the article screen does."""

from __future__ import annotations

import gc
import os
import random
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import queries
from benchmarks.measure import mb
from benchmarks.references import Fts5Ref, ReferenceUnavailable, RipgrepRef
from benchmarks.settings import (
    DEFAULT_FIRST_SNIPPETS,
    DEFAULT_MORE_LIKE_THIS,
    DEFAULT_PAGE_SIZE,
    LAYOUT_WIDTH,
    ArchiveSpec,
    Result,
    Settings,
    ms_summary,
    say,
    size_name,
)
from reader.core import collector
from reader.core.library import WARMING_PREFIX


def tui_constants() -> tuple[int, int, int]:
    """(hits per search request, snippets made with them, more-like-this count) as the TUI uses."""
    page, first, similar = DEFAULT_PAGE_SIZE, DEFAULT_FIRST_SNIPPETS, DEFAULT_MORE_LIKE_THIS
    try:
        from reader.tui.screens import search as search_screen

        page = int(getattr(search_screen, "PAGE_SIZE", page))
        first = int(getattr(search_screen, "FIRST_SNIPPETS", first))
    # The TUI is optional for these figures: its defaults are used without it.
    except Exception:  # noqa: BLE001, S110
        pass
    try:
        from reader.tui.screens import article as article_screen

        similar = int(getattr(article_screen, "MORE_LIKE_THIS", similar))
    except Exception:  # noqa: BLE001, S110
        pass
    return page, first, similar


class Timed(list):  # type: ignore[type-arg]
    """Wall seconds of each call, with the thread's CPU seconds of each in `cpu`."""

    cpu: list[float]


def _time_each(items: Sequence[str], call: Callable[[str], object], limit: float | None = None) -> Timed:
    """Time `call` on each item; with `limit` (seconds), stop early once that much time is spent."""
    times = Timed()
    times.cpu = []
    began = time.perf_counter()
    for item in items:
        if limit is not None and time.perf_counter() - began > limit:
            break
        start, cpu = time.perf_counter(), time.thread_time()
        call(item)
        times.append(time.perf_counter() - start)
        times.cpu.append(time.thread_time() - cpu)
    return times


def _summary_of(times: Timed) -> dict[str, object]:
    return ms_summary(times, times.cpu)


def bench_queries(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    from reader.engines.whoosh.index import ArchiveIndex

    index = ArchiveIndex(spec.path, place / "index")
    rows, page = settings.rows, settings.page
    start = time.perf_counter()
    index.search("zzzz", limit=1, snippets=0)  # opens the searcher
    index.titles()  # the TUI lists the archive first
    seconds = time.perf_counter() - start
    result.row("open_index", "first query of a process: open the index, read the titles", n=1,
               median_ms=seconds * 1000, p95_ms=seconds * 1000)
    start = time.perf_counter()
    index.search(WARMING_PREFIX, limit=page, typeahead=True, snippets=0)
    seconds = time.perf_counter() - start
    result.row("open_typeahead", "first type-ahead key of a process: read the term lists", n=1,
               median_ms=seconds * 1000, p95_ms=seconds * 1000)
    collector.settle()  # as the TUI does once it has listed the archive and read ahead

    sequences = queries.typeahead_sequences(spec.path, n=settings.sequences)
    states = [state for sequence in sequences for state in sequence]
    say(f"{spec.name}: type-ahead, {len(sequences)} queries typed key by key ({len(states)} searches)")
    hits_shown: list[int] = []
    empty = 0

    def typeahead(text: str) -> None:
        nonlocal empty
        # As the TUI asks (screens/search.py); its "did you mean" for an empty page comes after.
        result_page = index.search(text, limit=page, typeahead=True, snippets=rows, suggest=False)
        hits_shown.append(len(result_page.hits))
        empty += not result_page.hits

    gc.collect()
    times = _time_each(states, typeahead)
    by_state: dict[str, list[float]] = {}
    cpu_by_state: dict[str, float] = {}
    for state, seconds, cpu in zip(states, times, times.cpu):
        by_state.setdefault(state, []).append(seconds)
        cpu_by_state.setdefault(state, cpu)
    result.row("typeahead.reader", f"type-ahead: reader, {page} hits + {rows} snippets per key", **_summary_of(times),
               queries=len(sequences), empty_share=empty / max(1, len(states)))

    try:
        fts = Fts5Ref(spec.path, _fts_db(spec, place))
        if not fts.db_path.is_file():
            fts.build()
        result.row("typeahead.fts5", "type-ahead: SQLite FTS5, top hits with snippets (reference)",
                   **_summary_of(_time_each(states, lambda text: fts.query(text, True, limit=page))))
    except ReferenceUnavailable as error:
        fts = None
        result.missing("typeahead.fts5", "type-ahead: SQLite FTS5 (reference)", str(error))

    picks = _spread(states, settings.rg_sample)
    try:
        rg = RipgrepRef(spec.path)
        say(f"{spec.name}: rg -i -l on {len(picks)} of those searches")
        rg_cpu: list[float] = []

        def grep(text: str) -> None:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            rg.query(text.split(), last_is_prefix=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            rg_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

        rg_times = _time_each(picks, grep)
        result.row("typeahead.rg", f"type-ahead: rg -i -l over the files, {len(picks)} of the searches (reference)",
                   **ms_summary(rg_times, rg_cpu), version=rg.version())
    except ReferenceUnavailable as error:
        result.missing("typeahead.rg", "type-ahead: rg -i -l (reference)", str(error))
    result.row("typeahead.reader_rg_sample", "type-ahead: reader on the searches given to rg",
               **ms_summary([by_state[text][0] for text in picks], [cpu_by_state[text] for text in picks]))

    for kind, make, label in (
        ("phrase", queries.phrase_queries, "phrase"),
        ("boolean", queries.boolean_queries, "boolean (AND / OR / NOT)"),
        ("fuzzy", queries.fuzzy_queries, "fuzzy (word~, word~2)"),
        ("field", queries.field_queries, "field (title:word)"),
    ):
        texts = make(spec.path, n=settings.queries)
        say(f"{spec.name}: {len(texts)} {kind} queries")
        timed = _time_each(texts, lambda text: index.search(text, limit=page, snippets=rows), settings.class_seconds)
        result.row(f"{kind}.reader", f"{label}: reader, {page} hits + {rows} snippets", **_summary_of(timed))
        if len(timed) < len(texts):
            result.note("queries", f"{kind}: stopped after {len(timed)} of {len(texts)} queries ({settings.class_seconds:.0f} s)")
        if kind in ("fuzzy", "field"):  # no like-for-like FTS5 query
            continue
        if fts is None:
            result.missing(f"{kind}.fts5", f"{label}: SQLite FTS5 (reference)", "FTS5 unavailable")
            continue
        result.row(f"{kind}.fts5", f"{label}: SQLite FTS5 (reference)",
                   **_summary_of(_time_each(texts, lambda text: fts.match(text, limit=page))))
    if fts is not None:
        fts.close()

    # What the search screen does when a page comes up empty: the page, then "did you mean".
    typos = queries.misspelt_words(spec.path, n=settings.queries)
    say(f"{spec.name}: {len(typos)} misspelt words (did you mean)")
    suggested = 0

    def did_you_mean(text: str) -> None:
        nonlocal suggested
        result_page = index.search(text, limit=page, snippets=rows, suggest=False)
        if not result_page.hits:
            suggested += index.suggest(text) is not None

    timed = _time_each(typos, did_you_mean, settings.class_seconds)
    result.row("didyoumean.reader", f"did you mean: a misspelt word, its page ({page} hits + {rows} snippets), "
               "then the suggestion when the page is empty", **_summary_of(timed), suggested=suggested)

    bench_open(index, spec, settings, result)
    try:
        import psutil

        result.row("memory.query_process", "memory of this benchmark process after the queries", n=1,
                   rss_mb=mb(psutil.Process().memory_info().rss))
    except ImportError:
        result.missing("memory.query_process", "memory of the query process", "psutil missing")
    index.close()


def _fts_db(spec: ArchiveSpec, place: Path) -> Path:
    """The FTS5 reference database: the build section's, else one built before into
    $READER_FTS_DIR (default /tmp/fts) as `<size>.db` or `<corpus>.db`, else a new one."""
    own = place / "fts5.db"
    if own.is_file():
        return own
    name = size_name(spec.size) if spec.size else spec.name
    shared = Path(os.environ.get("READER_FTS_DIR", "/tmp/fts")) / f"{name}.db"
    return shared if shared.is_file() else own


def _spread(items: Sequence[str], count: int) -> list[str]:
    """`count` items spread evenly over `items`, duplicates skipped."""
    if not items:
        return []
    step = max(1, len(items) / max(1, count))
    picked = list(dict.fromkeys(items[int(i * step)] for i in range(count) if int(i * step) < len(items)))
    return picked


def bench_open(index: object, spec: ArchiveSpec, settings: Settings, result: Result) -> None:
    """Open articles as the article screen does: read and parse, lay out the body, resolve its
    links (first worker), then backlinks and more-like-this (second worker)."""
    from reader.core.article import SkippedFile

    _, _, similar = tui_constants()
    layout = _layout_function()
    ids = index.article_ids()  # type: ignore[attr-defined]
    rng = random.Random(f"open:{spec.name}")
    # Articles that others link to first: they have backlinks to find.
    picked = rng.sample(ids, min(settings.opens, len(ids)))
    parts: dict[str, list[float]] = {name: [] for name in ("read", "layout", "resolve_links", "backlinks", "more_like_this")}
    cpu_parts: dict[str, list[float]] = {name: [] for name in parts}
    totals: list[float] = []
    cpu_totals: list[float] = []
    with_links = with_backlinks = 0
    gc.collect()
    for article_id in picked:
        marks = [(time.perf_counter(), time.thread_time())]
        try:
            article = index.read(article_id)  # type: ignore[attr-defined]
        except SkippedFile:
            continue
        marks.append((time.perf_counter(), time.thread_time()))
        layout(article)
        marks.append((time.perf_counter(), time.thread_time()))
        resolved = index.resolve_links(article)  # type: ignore[attr-defined]
        marks.append((time.perf_counter(), time.thread_time()))
        backlinks = index.backlinks(article_id)  # type: ignore[attr-defined]
        marks.append((time.perf_counter(), time.thread_time()))
        index.more_like_this(article_id, limit=similar)  # type: ignore[attr-defined]
        marks.append((time.perf_counter(), time.thread_time()))
        for number, name in enumerate(parts):
            parts[name].append(marks[number + 1][0] - marks[number][0])
            cpu_parts[name].append(marks[number + 1][1] - marks[number][1])
        totals.append(marks[-1][0] - marks[0][0])
        cpu_totals.append(marks[-1][1] - marks[0][1])
        with_links += bool(resolved)
        with_backlinks += bool(backlinks)
    labels = {"read": "open: read and parse the file", "layout": f"open: lay out the body ({LAYOUT_WIDTH} columns)",
              "resolve_links": "open: resolve its links", "backlinks": "open: backlinks",
              "more_like_this": f"open: more like this ({similar})"}
    for name, values in parts.items():
        result.row(f"open.{name}", labels[name], **ms_summary(values, cpu_parts[name]))
    result.row("open.total", "open an article: all of the above", **ms_summary(totals, cpu_totals),
               with_links=with_links, with_backlinks=with_backlinks)


def _layout_function() -> Callable[[object], object]:
    """The article screen's body layout when the TUI is importable, else a plain word wrap."""
    try:
        from reader.tui.widgets.article_body import units_of, wrap_offsets

        def layout(article: object) -> object:
            lines = 0
            for unit in units_of(article.title, article.blocks, article.id):  # type: ignore[attr-defined]
                for text_line in unit.text.split("\n"):
                    lines += len(wrap_offsets(text_line, LAYOUT_WIDTH))
            return lines
    # Without the TUI (or with its layout changed), a plain word wrap stands in.
    except Exception:  # noqa: BLE001
        import textwrap

        def layout(article: object) -> object:
            return sum(len(textwrap.wrap(block.text or " ".join(block.items), LAYOUT_WIDTH))  # type: ignore[attr-defined]
                       for block in article.blocks)  # type: ignore[attr-defined]

    return layout
