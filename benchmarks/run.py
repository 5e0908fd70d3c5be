"""reader's performance benchmark: one command, a table per archive, every figure in JSON.

    python -m benchmarks.run --sizes 1k,10k,100k     # the full run (100k takes a while)
    python -m benchmarks.run --quick                 # a smoke run on 1k in about a minute

For each archive (synthetic archives of the given sizes, generated once into the work folder, and
every real corpus under ../shared/corpora/ when present) it measures, side by side in one run:
- the full index build: the real `reader index --rebuild` command against a bare Whoosh writer fed
  the same documents from memory with the best settings found (benchmarks/floor.py), and SQLite FTS5;
- refreshing the index with nothing changed and with 10 files changed (the real command);
- type-ahead (each query typed key by key, as the TUI asks: `ArchiveIndex.search(text,
  typeahead=True, limit=PAGE_SIZE, snippets=FIRST_SNIPPETS, suggest=False)`), phrase, boolean and fuzzy queries,
  against `rg -i -l` over the files and SQLite FTS5 over the same texts;
- opening an article: read and parse, lay out, resolve links, backlinks, more like this;
- cold start to the TUI's first painted screen (headless) and `reader search WORD` end to end;
- the peak memory of a scripted TUI session (search, open, follow a link, back);
- indexing as it is lived (benchmarks/live.py): a fresh archive's time to first results, and a
  file written into a watched archive's time to being found.

The work folder ($READER_BENCH_DIR, default /tmp/reader-bench) keeps the archives, reader's index,
the FTS5 database and the build figures; they are reused while the archive and reader's source are
unchanged (`--fresh-build` measures the builds again). Figures go to benchmarks/results/latest.json
and a Markdown table to benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import gen_archive, queries
from benchmarks.live import bench_live
from benchmarks.measure import folder_bytes, machine, mb, run_process, summary
from benchmarks.references import Fts5Ref, ReferenceUnavailable, RipgrepRef
from reader.core import collector

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
RESULTS = REPO / "benchmarks" / "results"
BENCH_VERSION = 1  # bump when what is measured changes, so cached build figures are measured again

# What the TUI asks for, when its modules cannot be imported (they are read from it otherwise).
DEFAULT_PAGE_SIZE = 50
DEFAULT_FIRST_SNIPPETS = 12
DEFAULT_MORE_LIKE_THIS = 8
LAYOUT_WIDTH = 100  # columns the article body is laid out in

# Every row a run writes for each archive (the smoke test checks them all).
ROW_KEYS = (
    "build.reader", "build.floor", "build.fts5",
    "refresh.unchanged", "refresh.changed10",
    "open_index", "open_typeahead", "typeahead.reader", "typeahead.fts5", "typeahead.rg", "typeahead.reader_rg_sample",
    "phrase.reader", "phrase.fts5", "boolean.reader", "boolean.fts5", "fuzzy.reader", "field.reader",
    "didyoumean.reader",
    "open.read", "open.layout", "open.resolve_links", "open.backlinks", "open.more_like_this", "open.total",
    "start.python", "start.tui_first_paint", "start.search_command", "start.rg_word",
    "tui.session", "memory.query_process",
    "live.first_results", "live.file_searchable",
)
TARGET_KEYS = (
    "typeahead_p95", "phrase_p95", "boolean_p95", "field_p95", "fuzzy_p95", "didyoumean_p95",
    "search_command", "search_command_vs_rg", "typeahead_vs_rg",
    "first_results", "file_searchable", "refresh_unchanged", "refresh_changed10", "build_vs_floor",
    "cold_start", "open_p95", "tui_peak_rss",
)


@dataclass
class Settings:
    quick: bool
    work: Path
    rows: int
    page: int
    queries: int
    sequences: int
    rg_sample: int
    opens: int
    starts: int
    refresh_rounds: int
    fresh_build: bool
    sections: set[str]
    class_seconds: float = 180.0
    """Time allowed to one class of queries (fuzzy ones can take seconds each at 100k)."""
    keep_build: bool = False
    python: str = sys.executable


@dataclass
class ArchiveSpec:
    name: str
    kind: str  # "synthetic" or "corpus"
    path: Path
    size: int | None = None  # synthetic only


@dataclass
class Result:
    """The figures of one archive."""

    spec: ArchiveSpec
    articles: int = 0
    rows: dict[str, dict[str, object]] = field(default_factory=dict)
    targets: dict[str, dict[str, object]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    note_sections: dict[str, str] = field(default_factory=dict)
    """The section that wrote each note: a --merge run drops the notes of the sections it measures again."""

    def note(self, section: str, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
        self.note_sections[text] = section

    def row(self, key: str, label: str, **values: object) -> dict[str, object]:
        row: dict[str, object] = {"label": label, **values}
        self.rows[key] = row
        return row

    def missing(self, key: str, label: str, reason: str) -> None:
        self.rows[key] = {"label": label, "n": 0, "unavailable": reason}

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.spec.kind,
            "path": str(self.spec.path),
            "articles": self.articles,
            "rows": self.rows,
            "targets": self.targets,
            "notes": self.notes,
            "note_sections": self.note_sections,
        }


# --- helpers --------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = 1
    if text.endswith("k"):
        factor, text = 1000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    return int(float(text) * factor)


def size_name(count: int) -> str:
    if count >= 1000 and count % 1000 == 0:
        return f"{count // 1000}k"
    return str(count)


def ms_summary(seconds: Sequence[float], cpu: Sequence[float] | None = None) -> dict[str, object]:
    """Median, p95, mean and max in ms of wall times, and of CPU times when given."""
    s = summary(seconds)
    row: dict[str, object] = {"n": s["n"], "median_ms": s["median"] * 1000, "p95_ms": s["p95"] * 1000,
                              "mean_ms": s["mean"] * 1000, "max_ms": s["max"] * 1000}
    if cpu:
        c = summary(cpu)
        row.update({"cpu_median_ms": c["median"] * 1000, "cpu_p95_ms": c["p95"] * 1000})
    return row


def source_digest() -> str:
    """A digest of the code that decides what a build writes and how fast: reader's parsing,
    linking, archive scanning and storing modules, the build half of reader.engines.whoosh.index (schema,
    documents, writers) and this benchmark's floor. Query-side changes keep cached builds."""
    import inspect

    from reader.engines.whoosh import freshness, parallel, patches, schema, writing

    digest = hashlib.sha256(f"bench{BENCH_VERSION}".encode())
    for name in ("core/article.py", "core/links.py", "core/archive.py", "core/manifest.py", "engines/whoosh/store.py"):
        digest.update((REPO / "reader" / name).read_bytes())
    for module in (schema, writing, parallel, patches):
        digest.update(inspect.getsource(module).encode())
    digest.update(repr((freshness.SCHEMA_VERSION, writing.PARALLEL_BUILD_MIN)).encode())
    digest.update((REPO / "benchmarks" / "floor.py").read_bytes())
    try:
        from importlib.metadata import version

        digest.update(version("Whoosh-Reloaded").encode())
    except Exception:
        pass
    return digest.hexdigest()[:16]


def archive_fingerprint(path: Path) -> str:
    """Names, sizes and times of the article files: changes when the archive does."""
    digest = hashlib.sha256()
    count = 0
    with os.scandir(path) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith(".txt") and not entry.name.startswith("."):
                stat = entry.stat()
                digest.update(f"{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
                count += 1
    return f"{count}-{digest.hexdigest()[:16]}"


def reader_cmd(settings: Settings, archive: Path, index_dir: Path, *args: str) -> list[str]:
    return [settings.python, "-m", "reader", "--archive", str(archive), "--index", str(index_dir), *args]


def clean_env() -> dict[str, str]:
    """The environment for timed commands: no archive or index override, and Python allowed to
    keep compiled bytecode (an installed package has it; some shells here turn it off, which
    made every start compile reader's source again)."""
    env = dict(os.environ)
    for name in ("READER_ARCHIVE", "READER_INDEX", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- archives -------------------------------------------------------------------------------------


def archive_specs(sizes: Sequence[int], corpora: Sequence[Path], work: Path) -> list[ArchiveSpec]:
    specs = [ArchiveSpec(f"synthetic-{size_name(n)}", "synthetic", work / "archives" / size_name(n), n) for n in sizes]
    specs += [ArchiveSpec(path.name, "corpus", path) for path in corpora]
    return specs


def ensure_archive(spec: ArchiveSpec) -> None:
    if spec.size is None:
        return
    if not gen_archive.is_complete(spec.path, spec.size):
        say(f"generating {spec.size:,} articles into {spec.path}")
        gen_archive.generate(spec.path, spec.size)


# --- build ----------------------------------------------------------------------------------------


def bench_build(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    """reader's rebuild, the bare-Whoosh floor and FTS5: measured once per archive and source
    version, then read back from the cache."""
    index_dir = place / "index"
    cache_file = place / "build.json"
    key = {"archive": archive_fingerprint(spec.path), "source": source_digest()}
    cached: dict[str, object] | None = None
    if not settings.fresh_build and cache_file.is_file() and (index_dir / "CURRENT").is_file():
        try:
            saved = json.loads(cache_file.read_text())
            if saved.get("key") == key:
                cached = saved
            elif settings.keep_build and saved.get("key", {}).get("archive") == key["archive"]:
                cached = saved
                result.note("build", f"build figures measured {saved['measured']} with reader's build code as it was "
                                     "then (--keep-build)")
        except ValueError:
            pass
    if cached is not None:
        say(f"{spec.name}: build figures from the cache ({cached['measured']})")
        rows = cached["rows"]  # type: ignore[assignment]
        for name, row in rows.items():  # type: ignore[union-attr]
            row["cached_from"] = cached["measured"]
            result.rows[name] = row
        return

    say(f"{spec.name}: building reader's index (reader index --rebuild)")
    shutil.rmtree(index_dir, ignore_errors=True)
    run = run_process(reader_cmd(settings, spec.path, index_dir, "index", "--rebuild", "--json"), env=clean_env())
    if run.returncode != 0:
        raise RuntimeError(f"reader index --rebuild failed: {run.stderr.strip()[-2000:]}")
    info = json.loads(run.stdout)
    docs = int(info["total"])
    result.row("build.reader", "full build: reader index --rebuild", n=1, seconds=run.seconds, cpu_seconds=run.cpu_seconds,
               docs=docs, docs_per_s=docs / run.seconds, peak_rss_mb=mb(run.peak_rss_total),
               peak_rss_single_mb=mb(run.peak_rss_single), index_mb=mb(folder_bytes(index_dir)))

    say(f"{spec.name}: building the bare-Whoosh floor")
    procs = 2 if docs >= _parallel_min() and (os.cpu_count() or 1) > 1 else 1
    floor_dir = place / "floor-index"
    floor = run_process([settings.python, "-m", "benchmarks.floor", str(spec.path), str(floor_dir),
                         "--procs", str(procs)], env=clean_env(), cwd=str(REPO))
    if floor.returncode != 0:
        raise RuntimeError(f"floor build failed: {floor.stderr.strip()[-2000:]}")
    fl = json.loads(floor.stdout)
    result.row("build.floor", "full build: bare Whoosh floor (same schema and documents, from memory)", n=1,
               seconds=fl["seconds"], cpu_seconds=fl.get("cpu_seconds"), docs=fl["docs"], docs_per_s=fl["docs_per_s"],
               peak_rss_mb=mb(fl["peak_rss_total"]), peak_rss_writers_mb=mb(fl["peak_rss_writers"]),
               documents_in_memory_mb=mb(fl["rss_with_documents"]), index_mb=mb(fl["index_bytes"]),
               settings=fl["settings"])

    say(f"{spec.name}: building the SQLite FTS5 reference")
    try:
        ref = Fts5Ref(spec.path, place / "fts5.db")
        seconds = ref.build()
        ref.close()
        result.row("build.fts5", "full build: SQLite FTS5 (reference)", n=1, seconds=seconds,
                   docs=docs, docs_per_s=docs / seconds, index_mb=mb((place / "fts5.db").stat().st_size))
    except ReferenceUnavailable as error:
        result.missing("build.fts5", "full build: SQLite FTS5 (reference)", str(error))
    measured = dt.datetime.now().isoformat(timespec="seconds")
    rows = {name: result.rows[name] for name in ("build.reader", "build.floor", "build.fts5")}
    cache_file.write_text(json.dumps({"key": key, "measured": measured, "rows": rows}, indent=1))


def _parallel_min() -> int:
    from reader.engines.whoosh.writing import PARALLEL_BUILD_MIN

    return PARALLEL_BUILD_MIN


# --- refresh --------------------------------------------------------------------------------------


def bench_refresh(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    """`reader index` with nothing changed, then with 10 files edited (and again restored)."""
    index_dir = place / "index"
    env = clean_env()
    cmd = reader_cmd(settings, spec.path, index_dir, "index", "--json")
    first = run_process(cmd, env=env, sample_rss=False)  # settles anything left from an earlier run
    if first.returncode != 0:
        raise RuntimeError(f"reader index failed: {first.stderr.strip()[-2000:]}")
    unchanged: list[float] = []
    unchanged_cpu: list[float] = []
    for _ in range(max(3, settings.refresh_rounds * 2)):
        run = run_process(cmd, env=env, sample_rss=False)
        if json.loads(run.stdout)["indexed"] != 0:
            result.note("refresh", "refresh with nothing changed indexed files")
        unchanged.append(run.seconds)
        unchanged_cpu.append(run.cpu_seconds)
    result.row("refresh.unchanged", "refresh, nothing changed: reader index", **ms_summary(unchanged, unchanged_cpu))

    names = sorted(n for n in os.listdir(spec.path) if n.endswith(".txt") and not n.startswith("."))
    rng = random.Random(f"refresh:{spec.name}")
    changed: list[float] = []
    changed_cpu: list[float] = []
    indexed: list[int] = []
    for round_number in range(settings.refresh_rounds):
        picked = [spec.path / name for name in rng.sample(names, min(10, len(names)))]
        originals = [(path, path.read_bytes(), path.stat()) for path in picked]
        try:
            for path, data, _ in originals:
                title, _, rest = data.partition(b"\n")
                path.write_bytes(title + b"\n\nA benchmark edit, round %d.\n" % round_number + rest)
            run = run_process(cmd, env=env, sample_rss=False)
            changed.append(run.seconds)
            changed_cpu.append(run.cpu_seconds)
            indexed.append(json.loads(run.stdout)["indexed"])
        finally:
            for path, data, stat in originals:
                path.write_bytes(data)
                os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        run = run_process(cmd, env=env, sample_rss=False)  # the originals back: 10 changed again
        changed.append(run.seconds)
        changed_cpu.append(run.cpu_seconds)
        indexed.append(json.loads(run.stdout)["indexed"])
    result.row("refresh.changed10", "refresh, 10 files changed: reader index", files_indexed=indexed,
               **ms_summary(changed, changed_cpu))


# --- queries --------------------------------------------------------------------------------------


def tui_constants() -> tuple[int, int, int]:
    """(hits per search request, snippets made with them, more-like-this count) as the TUI uses."""
    page, first, similar = DEFAULT_PAGE_SIZE, DEFAULT_FIRST_SNIPPETS, DEFAULT_MORE_LIKE_THIS
    try:
        from reader.tui.screens import search as search_screen

        page = int(getattr(search_screen, "PAGE_SIZE", page))
        first = int(getattr(search_screen, "FIRST_SNIPPETS", first))
    except Exception:  # the TUI is optional for these figures
        pass
    try:
        from reader.tui.screens import article as article_screen

        similar = int(getattr(article_screen, "MORE_LIKE_THIS", similar))
    except Exception:
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
    index.search("qz", limit=page, typeahead=True, snippets=0)
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
    except Exception:
        import textwrap

        def layout(article: object) -> object:
            return sum(len(textwrap.wrap(block.text or " ".join(block.items), LAYOUT_WIDTH))  # type: ignore[attr-defined]
                       for block in article.blocks)  # type: ignore[attr-defined]

    return layout


# --- start-up and the TUI -------------------------------------------------------------------------


def bench_start(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    index_dir = place / "index"
    env = clean_env()
    runs = [run_process([settings.python, "-c", "pass"], env=env, sample_rss=False) for _ in range(settings.starts)]
    result.row("start.python", "start: python -c pass (the interpreter alone)",
               **ms_summary([r.seconds for r in runs], [r.cpu_seconds for r in runs]))

    words = [q.split()[0] for q in queries.typeahead_queries(spec.path, n=settings.starts)]
    # One untimed run of each command first: bytecode compiled, files in the page cache.
    run_process(reader_cmd(settings, spec.path, index_dir, "search", words[0]), env=env, sample_rss=False)
    times: list[float] = []
    cpu: list[float] = []
    for word in words:
        run = run_process(reader_cmd(settings, spec.path, index_dir, "search", word), env=env, sample_rss=False)
        if run.returncode != 0:
            raise RuntimeError(f"reader search failed: {run.stderr.strip()[-2000:]}")
        times.append(run.seconds)
        cpu.append(run.cpu_seconds)
    result.row("start.search_command", "start: reader search WORD, end to end", **ms_summary(times, cpu))
    try:
        rg = RipgrepRef(spec.path)
        rg_runs = [run_process([rg.rg, "-i", "-l", "-F", "--glob", "*.txt", word, str(spec.path)], env=env,
                               sample_rss=False) for word in words]
        result.row("start.rg_word", "start: rg -i -l WORD over the files, the same words (reference)",
                   **ms_summary([r.seconds for r in rg_runs], [r.cpu_seconds for r in rg_runs]))
    except ReferenceUnavailable as error:
        result.missing("start.rg_word", "start: rg -i -l WORD (reference)", str(error))

    probe = [settings.python, "-m", "benchmarks.tui_probe", "start", "--archive", str(spec.path),
             "--index", str(index_dir)]
    times = []
    cpu = []
    error = ""
    run_process(probe, env=env, sample_rss=False, timeout=120)
    for _ in range(settings.starts):
        env["READER_PROBE_T0"] = repr(time.time())  # the probe measures from here to its first frame
        run = run_process(probe, env=env, sample_rss=False, timeout=120)
        painted = _probe_value(run.stdout, "wall_to_paint_s")
        if run.returncode != 0 or painted is None:
            error = (run.stderr.strip().splitlines() or ["no output"])[-1][:300]
            break
        times.append(painted)
        cpu.append(_probe_value(run.stdout, "cpu_to_paint_s") or math.nan)
    if times:
        result.row("start.tui_first_paint", "start: reader (TUI, headless) to its first painted screen",
                   **ms_summary(times, cpu))
    else:
        result.missing("start.tui_first_paint", "start: reader (TUI) to its first painted screen", error)


def _probe_value(stdout: str, name: str) -> float | None:
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                value = json.loads(line).get(name)
            except ValueError:
                continue
            if value is not None:
                return float(value)
    return None


def bench_session(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    cmd = [settings.python, "-m", "benchmarks.tui_probe", "session", "--archive", str(spec.path),
           "--index", str(place / "index")]
    run = run_process(cmd, env=clean_env(), timeout=600)
    report: dict[str, object] = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            try:
                report = json.loads(line)
            except ValueError:
                pass
    if run.returncode != 0 or not report.get("ok"):
        reason = str(report.get("error") or (run.stderr.strip().splitlines() or ["no output"])[-1])[:300]
        result.missing("tui.session", "TUI session (search, open, follow, back): peak memory", reason)
        return
    result.row("tui.session", "TUI session (search, open, follow, back): peak memory", n=1,
               peak_rss_mb=mb(run.peak_rss_total), maxrss_mb=float(report.get("maxrss_mb", 0)),
               seconds=run.seconds, steps=report.get("steps", []))


# --- targets --------------------------------------------------------------------------------------


def judge(result: Result) -> None:
    """The issue's targets (set for 100k synthetic articles on a 2-core machine)."""
    rows = result.rows

    def get(key: str, name: str) -> float | None:
        value = rows.get(key, {}).get(name)
        return float(value) if isinstance(value, (int, float)) and not math.isnan(value) else None

    def target(key: str, label: str, value: float | None, limit: float, unit: str, ratio: float | None = None,
               higher_is_better: bool = False, detail: str = "") -> None:
        if value is None:
            result.targets[key] = {"label": label, "limit": limit, "unit": unit, "value": None, "met": None,
                                   "detail": detail or "not measured"}
            return
        met = value >= limit if higher_is_better else value <= limit
        result.targets[key] = {"label": label, "limit": limit, "unit": unit, "value": value, "ratio": ratio,
                               "met": met, "detail": detail}

    def cpu_detail(key: str, name: str = "cpu_median_ms", ms: bool = False) -> str:
        value = get(key, name)
        if not value:
            return ""
        return f"CPU {value:.0f} ms" if ms else f"CPU {value / 1000:.2f} s"

    def p95_target(key: str, row: str, label: str, limit: float) -> None:
        cpu = get(row, "cpu_p95_ms")
        target(key, label, get(row, "p95_ms"), limit, "ms", detail=f"CPU p95 {cpu:.1f} ms" if cpu else "")

    # Issue 12: every query class fast, snippets for the visible rows included.
    p95_target("typeahead_p95", "typeahead.reader", "type-ahead p95, snippets included", 15)
    p95_target("phrase_p95", "phrase.reader", "phrase p95", 50)
    p95_target("boolean_p95", "boolean.reader", "boolean (AND, OR, NOT) p95", 50)
    p95_target("field_p95", "field.reader", "field (title:) p95", 50)
    p95_target("fuzzy_p95", "fuzzy.reader", "fuzzy (word~, word~2) p95", 100)
    p95_target("didyoumean_p95", "didyoumean.reader", "did you mean p95", 100)
    search, grep = get("start.search_command", "median_ms"), get("start.rg_word", "median_ms")
    target("search_command", "reader search WORD end to end (median; the limit is set for 10k)",
           search, 150, "ms", detail=cpu_detail("start.search_command", ms=True))
    target("search_command_vs_rg", "reader search WORD vs rg -i -l WORD (medians; faster at 100k)",
           grep / search if search and grep else None, 1, "x faster", higher_is_better=True,
           detail=f"rg {grep:.0f} ms, reader {search:.0f} ms" if search and grep else "")
    rg, ours = get("typeahead.rg", "median_ms"), get("typeahead.reader_rg_sample", "median_ms")
    target("typeahead_vs_rg", "type-ahead median vs rg -i -l, same searches", rg / ours if rg and ours else None,
           20, "x faster", higher_is_better=True,
           detail=f"rg {rg:.0f} ms, reader {ours:.1f} ms" if rg and ours else "")
    build, floor = get("build.reader", "seconds"), get("build.floor", "seconds")
    build_cpu, floor_cpu = get("build.reader", "cpu_seconds"), get("build.floor", "cpu_seconds")
    detail = f"reader {build:.1f} s, floor {floor:.1f} s" if build and floor else ""
    if build_cpu and floor_cpu:
        detail += f"; CPU {build_cpu:.0f} s vs {floor_cpu:.0f} s = {build_cpu / floor_cpu:.2f}x"
    target("build_vs_floor", "full build vs bare-Whoosh floor (no slower)", build / floor if build and floor else None,
           1.0, "x floor", detail=detail)
    # Issue 13: searchable in seconds, live while reader runs.
    target("first_results", "fresh archive: launch to first results (median)",
           _seconds(get("live.first_results", "median_ms")), 3.0, "s", detail=cpu_detail("live.first_results"))
    target("file_searchable", "file written to searchable in a running reader (median)",
           _seconds(get("live.file_searchable", "median_ms")), 2.0, "s")

    target("refresh_unchanged", "refresh, nothing changed (median)", _seconds(get("refresh.unchanged", "median_ms")),
           0.5, "s", detail=cpu_detail("refresh.unchanged"))
    target("refresh_changed10", "refresh, 10 files changed (median)", _seconds(get("refresh.changed10", "median_ms")),
           2.0, "s", detail=cpu_detail("refresh.changed10"))
    target("cold_start", "cold start to first paint (median)", _seconds(get("start.tui_first_paint", "median_ms")),
           0.6, "s", detail=cpu_detail("start.tui_first_paint"))
    open_cpu = get("open.total", "cpu_p95_ms")
    target("open_p95", "open an article with links, backlinks, more like this (p95)", get("open.total", "p95_ms"),
           30, "ms", detail=f"CPU p95 {open_cpu:.1f} ms" if open_cpu else "")
    target("tui_peak_rss", "TUI session peak memory", get("tui.session", "peak_rss_mb"), 300, "MB")


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


# --- output ---------------------------------------------------------------------------------------


def _fmt_ms(value: object) -> str:
    if not isinstance(value, (int, float)) or math.isnan(value):
        return "—"
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def _row_cells(row: dict[str, object]) -> tuple[str, str, str, str, str]:
    """(n, median, p95, CPU median / p95, other figures) of a row, as text."""
    if "unavailable" in row:
        return "0", "n/a", "n/a", "", str(row["unavailable"])
    extra: list[str] = []
    cpu = ""
    if "seconds" in row and "median_ms" not in row:
        median = f"{row['seconds']:,.1f} s"
        p95 = ""
        if isinstance(row.get("cpu_seconds"), (int, float)):
            cpu = f"{row['cpu_seconds']:,.0f} s"
    else:
        median, p95 = _fmt_ms(row.get("median_ms")), _fmt_ms(row.get("p95_ms"))
        if "cpu_median_ms" in row:
            cpu = f"{_fmt_ms(row.get('cpu_median_ms'))} / {_fmt_ms(row.get('cpu_p95_ms'))}"
    for name, fmt in (("docs_per_s", "{:,.0f} docs/s"), ("peak_rss_mb", "peak RSS {:,.0f} MB"),
                      ("peak_rss_writers_mb", "writers {:,.0f} MB"), ("documents_in_memory_mb", "documents held {:,.0f} MB"),
                      ("maxrss_mb", "largest process {:,.0f} MB"),
                      ("index_mb", "index {:,.0f} MB"), ("rss_mb", "{:,.0f} MB"), ("empty_share", "{:.0%} with no hit")):
        value = row.get(name)
        if isinstance(value, (int, float)):
            extra.append(fmt.format(value))
    if "settings" in row and isinstance(row["settings"], dict):
        extra.append(", ".join(f"{k}={v}" for k, v in row["settings"].items()))
    if row.get("cached_from"):
        extra.append(f"measured {row['cached_from']}")
    return str(row.get("n", "")), median, p95, cpu, "; ".join(extra)


def _target_cells(t: dict[str, object]) -> tuple[str, str, str, str]:
    value, unit = t.get("value"), str(t["unit"])
    if value is None:
        shown = "—"
    elif unit in ("ms",):
        shown = f"{value:.1f} ms"
    elif unit == "s":
        shown = f"{value:.2f} s"
    elif unit == "MB":
        shown = f"{value:.0f} MB"
    else:
        shown = f"{value:.2f}{unit[0]}" + unit[1:]
    limit = f"{'≥' if unit == 'x faster' else '≤'} {t['limit']:g} {unit}"
    status = "not measured" if t.get("met") is None else ("met" if t["met"] else "NOT MET")
    return limit, shown, status, str(t.get("detail") or "")


def print_tables(results: Sequence[Result], meta: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False, highlight=False)
    for result in results:
        table = Table(title=f"{result.spec.name}: {result.articles:,} articles", title_justify="left")
        for name, justify in (("measure", "left"), ("n", "right"), ("median", "right"), ("p95", "right"),
                              ("CPU median / p95", "right"), ("also", "left")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for key in ROW_KEYS:
            if key in result.rows:
                row = result.rows[key]
                table.add_row(str(row["label"]), *_row_cells(row))
        console.print(table)
        targets = Table(title=f"{result.spec.name}: targets (set for 100k synthetic articles)", title_justify="left")
        for name in ("target", "limit", "measured", "status", "detail"):
            targets.add_column(name)
        for key in TARGET_KEYS:
            if key in result.targets:
                t = result.targets[key]
                limit, shown, status, detail = _target_cells(t)
                style = "green" if t.get("met") else ("red" if t.get("met") is False else "yellow")
                targets.add_row(str(t["label"]), limit, shown, f"[{style}]{status}[/]", detail)
        console.print(targets)
        for note in result.notes:
            console.print(f"note: {note}")
    console.print(f"machine: {_machine_line(meta)}")


def _machine_line(meta: dict[str, object]) -> str:
    m = meta["machine"]  # type: ignore[index]
    return (f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, Python {m['python']}, "  # type: ignore[index]
            f"load average at start {m['load_average_at_start']}")  # type: ignore[index]


def markdown(results: Sequence[Result], meta: dict[str, object]) -> str:
    lines = [f"Measured {meta['date']} with `{meta['command']}` on {_machine_line(meta)}."]
    for earlier in meta.get("merged_from", []) or []:  # type: ignore[union-attr]
        lines.append(f"Rows not measured by it come from `{earlier['command']}` ({earlier['date']}, load average "
                     f"at start {earlier['load_average_at_start']}).")
    lines.append("")
    for result in results:
        lines += [f"### {result.spec.name} ({result.articles:,} articles)", "",
                  "| measure | n | median | p95 | CPU median / p95 | also |", "|---|---:|---:|---:|---:|---|"]
        for key in ROW_KEYS:
            if key in result.rows:
                row = result.rows[key]
                lines.append("| " + " | ".join([str(row["label"]), *_row_cells(row)]).replace("\n", " ") + " |")
        lines += ["", "| target (set for 100k) | limit | measured | status | detail |", "|---|---|---:|---|---|"]
        for key in TARGET_KEYS:
            if key in result.targets:
                t = result.targets[key]
                limit, shown, status, detail = _target_cells(t)
                lines.append(f"| {t['label']} | {limit} | {shown} | {'**' + status + '**' if status == 'NOT MET' else status} | {detail} |")
        lines += [f"- note: {note}" for note in result.notes]
        lines.append("")
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------


SECTIONS = ("build", "refresh", "queries", "start", "session", "live")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="synthetic archive sizes, e.g. 1k,10k,100k (default: 1k,10k,100k; 1k with --quick)")
    parser.add_argument("--corpora", nargs="*", type=Path, default=None,
                        help="real corpora to include (default: every folder under ../shared/corpora)")
    parser.add_argument("--no-corpora", action="store_true", help="synthetic archives only")
    parser.add_argument("--quick", action="store_true", help="fewer queries and repeats: a smoke run")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("READER_BENCH_DIR", "/tmp/reader-bench")),
                        help="where archives, indexes and cached build figures are kept ($READER_BENCH_DIR)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.json and latest.md")
    parser.add_argument("--fresh-build", action="store_true", help="measure the builds again even when cached")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of the last latest.json that this run does not measure")
    parser.add_argument("--keep-build", action="store_true",
                        help="use cached build figures and index even if reader's build code changed since (noted in the output)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"what to measure ({','.join(SECTIONS)})")
    parser.add_argument("--queries", type=int, default=None, help="queries per class (default 200; 40 quick)")
    args = parser.parse_args(argv)

    sizes = [parse_size(s) for s in (args.sizes or ("1k" if args.quick else "1k,10k,100k")).split(",") if s.strip()]
    if args.no_corpora:
        corpora: list[Path] = []
    elif args.corpora is not None:
        corpora = list(args.corpora)
    else:
        corpora = sorted(p for p in CORPORA.iterdir() if p.is_dir()) if CORPORA.is_dir() and not args.quick else []
    page, first, _ = tui_constants()
    n = args.queries or (40 if args.quick else 200)
    settings = Settings(
        quick=args.quick, work=args.work.resolve(), rows=first, page=page, queries=n,
        sequences=max(5, n // 8) if args.quick else n, rg_sample=20 if args.quick else 200, opens=n,
        starts=3 if args.quick else 10, refresh_rounds=1 if args.quick else 5, fresh_build=args.fresh_build,
        sections=set(args.sections.split(",")), keep_build=args.keep_build,
    )
    settings.work.mkdir(parents=True, exist_ok=True)
    meta: dict[str, object] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "versions": _versions(),
        "settings": {"page_size": page, "snippets": first, "queries_per_class": n, "typeahead_queries": settings.sequences,
                     "rg_sample": settings.rg_sample, "work": str(settings.work)},
    }
    results: list[Result] = []
    for spec in archive_specs(sizes, corpora, settings.work):
        ensure_archive(spec)
        place = settings.work / spec.name
        place.mkdir(parents=True, exist_ok=True)
        result = Result(spec)
        if args.merge:
            _merge_previous(result, args.out / "latest.json", meta, settings.sections)
        result.articles = sum(1 for name in os.listdir(spec.path) if name.endswith(".txt") and not name.startswith("."))
        steps: list[tuple[str, Callable[[], None]]] = [
            ("build", lambda: bench_build(spec, settings, result, place)),
            ("refresh", lambda: bench_refresh(spec, settings, result, place)),
            ("queries", lambda: bench_queries(spec, settings, result, place)),
            ("start", lambda: bench_start(spec, settings, result, place)),
            ("session", lambda: bench_session(spec, settings, result, place)),
            ("live", lambda: bench_live(spec, settings, result, place)),
        ]
        for name, step in steps:
            if name in settings.sections:
                say(f"{spec.name}: {name}")
                step()
        judge(result)
        results.append(result)
        _write(results, meta, args.out, args.merge)  # after each archive, so a long run leaves figures behind
    print_tables(results, meta)
    say(f"figures written to {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    return 0


def _merge_previous(result: Result, path: Path, meta: dict[str, object], sections: set[str]) -> None:
    """Start from the rows an earlier run wrote for this archive (--merge), and its notes of the
    sections this run does not measure again (a note without its section, from an older file, is
    left out: it may no longer hold)."""
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
        archive = earlier["archives"][result.spec.name]
    except (OSError, ValueError, KeyError):
        return
    result.rows.update(archive.get("rows", {}))
    sections_of = archive.get("note_sections", {})
    for text in archive.get("notes", []):
        section = sections_of.get(text)
        if section is not None and section not in sections:
            result.note(section, text)
    commands = meta.setdefault("merged_from", [])
    assert isinstance(commands, list)
    commands.append({"date": earlier["meta"].get("date"), "command": earlier["meta"].get("command"),
                     "load_average_at_start": earlier["meta"].get("machine", {}).get("load_average_at_start")})


def _versions() -> dict[str, str]:
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    from benchmarks.references import find_rg

    versions: dict[str, str] = {}
    for name, distributions in (("whoosh", ("Whoosh-Reloaded", "Whoosh")), ("textual", ("textual",)), ("rich", ("rich",))):
        for distribution in distributions:
            try:
                versions[name] = f"{distribution} {version(distribution)}"
                break
            except PackageNotFoundError:
                continue
    versions["sqlite"] = sqlite3.sqlite_version
    rg = find_rg()
    versions["rg"] = (subprocess.run([rg, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
                      if rg else "not found")
    return versions


def _write(results: Sequence[Result], meta: dict[str, object], out: Path, merge: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    archives = {r.spec.name: r.as_json() for r in results}
    if merge:  # keep the archives an earlier run measured and this one did not
        try:
            earlier = json.loads((out / "latest.json").read_text(encoding="utf-8"))["archives"]
        except (OSError, ValueError, KeyError):
            earlier = {}
        archives = {**{k: v for k, v in earlier.items() if k not in archives}, **archives}
    data = {"meta": meta, "row_keys": list(ROW_KEYS), "target_keys": list(TARGET_KEYS), "archives": archives}
    (out / "latest.json").write_text(json.dumps(_finite(data), indent=1, default=str) + "\n", encoding="utf-8")
    everything = [_result_of(name, archive) for name, archive in archives.items()]
    (out / "latest.md").write_text(markdown(everything, meta) + "\n", encoding="utf-8")


def _result_of(name: str, archive: dict[str, object]) -> Result:
    spec = ArchiveSpec(name, str(archive.get("kind", "")), Path(str(archive.get("path", ""))))
    result = Result(spec, int(archive.get("articles", 0)), dict(archive.get("rows", {})),  # type: ignore[arg-type]
                    dict(archive.get("targets", {})), list(archive.get("notes", [])),  # type: ignore[arg-type]
                    dict(archive.get("note_sections", {})))  # type: ignore[arg-type]
    return result


def _finite(value: object) -> object:
    """`value` with NaN and infinities as null: JSON has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
