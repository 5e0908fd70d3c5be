"""Refreshing the database from an archive folder: only added, changed and removed files are read,
one writer at a time (an advisory lock), each refresh one transaction.

A refresh that is killed or loses its connection rolls back as a whole: readers see the previous
state until the commit, and go on answering from it throughout (MVCC; a rebuild deletes rows
instead of truncating, which would lock the readers out).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from reader.core.archive import FileStat, Scan, scan_folder
from reader.core.article import Article, SkippedFile, safe_line
from reader.core.engine import EngineError
from reader.core.links import loose_key, title_key
from reader.core.touched import read_for_index, same_bytes
from reader.core.types import IndexBusy, Progress, ProgressReport, RefreshSummary
from reader.engines.postgres.connection import Database, translate
from reader.engines.postgres.schema import (
    GIN_OPTIONS,
    INSERT_KEYS,
    KEY_INDEXES,
    STATE_SIZES,
    WRITER_LOCK,
    migrate,
)

# Articles are sent in batches of this many rows (a round trip each).
BATCH = 200
# tsvector holds at most 1 MB: the body is indexed up to this many characters (it is stored whole).
MAX_INDEXED_CHARS = 400_000

# A first build of at least this many files makes its text indexes at the end.
BULK_MIN = 500
BULK_INDEXES = {
    **KEY_INDEXES,
    "links_title_key_trgm": f"CREATE INDEX links_title_key_trgm ON reader.links USING gin (title_key gin_trgm_ops) "
                            f"{GIN_OPTIONS}",
    "words_trgm": f"CREATE INDEX words_trgm ON reader.words USING gin (word gin_trgm_ops) {GIN_OPTIONS}",
}

# Each text is unaccented once, then analysed with both configurations; the title's key vector
# comes from its two vectors (schema.KEYS_FUNCTION).
_INSERT_ARTICLE = """
INSERT INTO reader.articles (id, path, title, title_key, loose_key, blocks, sections, warnings, body,
                             size, mtime_ns, tsv, stv, ttv, tstv, kt)
SELECT %(id)s, %(path)s, %(title)s, %(title_key)s, %(loose_key)s, %(blocks)s, %(sections)s,
       %(warnings)s, %(body)s, %(size)s, %(mtime_ns)s,
       v.et || setweight(to_tsvector('english', u.b), 'B'),
       v.st || setweight(to_tsvector('simple', u.b), 'B'),
       v.et, v.st, reader.search_keys(v.et, v.st)
FROM (SELECT unaccent(%(title)s) AS t, unaccent(%(indexed)s) AS b) AS u,
     LATERAL (SELECT setweight(to_tsvector('english', u.t), 'A') AS et,
                     setweight(to_tsvector('simple', u.t), 'A') AS st) AS v
"""

_INSERT_LINK = """
INSERT INTO reader.links (source, position, section, text, title_key, loose_key)
VALUES (%s, %s, %s, %s, %s, %s)
"""
_INSERT_MANIFEST = ("INSERT INTO reader.manifest (name, mtime_ns, size, article_id, skipped, digest) "
                    "VALUES (%s, %s, %s, %s, %s, %s)")
# The words of articles about to go (or just come), counted into reader.words.
_WORDS_OF = """
SELECT w, count(*) FROM reader.articles a, unnest(tsvector_to_array(a.stv)) w
WHERE a.path = ANY(%s) GROUP BY w
"""


def busy_message(where: str) -> str:
    return f"another reader is updating the index in {where}; try again when it has finished"


def take_writer_lock(conn: psycopg.Connection, wait: float, where: str) -> None:
    """The writer's lock for the current transaction, waiting up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (WRITER_LOCK,)).fetchone()
        if row and row[0]:
            return
        if time.monotonic() >= deadline:
            raise IndexBusy(busy_message(where))
        time.sleep(0.1)


def refresh(db: Database, archive: Path | None, rebuild: bool = False, progress: Progress | None = None,
            wait: float = 10.0) -> RefreshSummary:
    """Bring the database up to date with `archive` (see the module's docstring)."""
    if archive is None:
        raise EngineError("indexing into PostgreSQL reads the article files: give --archive DIR")
    if progress is not None:
        progress(ProgressReport("scanning"))
    found = scan_folder(archive)
    conn = db.dedicated()
    try:
        migrate(conn)
        with conn.transaction():
            take_writer_lock(conn, wait, db.where)
            conn.execute("SET LOCAL statement_timeout = 0")
            summary = _refresh(conn, archive, found, rebuild, progress)
            if progress is not None and summary.changed:
                progress(ProgressReport("committing"))
        if summary.rebuilt or summary.indexed + summary.removed > max(1000, summary.total // 10):
            # The planner's statistics of the new text (autovacuum would take its time).
            for table in ("articles", "keys", "sample_keys", "links", "words"):
                conn.execute(f"ANALYZE reader.{table}")  # table names are constants
        return summary
    except psycopg.Error as error:
        raise translate(error, db.where) from None
    finally:
        conn.close()


def _refresh(conn: psycopg.Connection, archive: Path, found: Scan, rebuild: bool,
             progress: Progress | None) -> RefreshSummary:
    saved = {
        name: (mtime, size, article_id, skipped, digest)
        for name, mtime, size, article_id, skipped, digest in conn.execute(
            "SELECT name, mtime_ns, size, article_id, skipped, digest FROM reader.manifest")
    }
    files = found.files
    if rebuild:
        removed, changed = list(saved), sorted(files)
    else:
        removed = [name for name in saved if name not in files]
        changed = sorted(name for name, stat in files.items()
                         if name not in saved or saved[name][:2] != (stat.mtime_ns, stat.size))
    summary = RefreshSummary(rebuilt=rebuild, rebuild_reason="asked to rebuild" if rebuild else "")
    if changed and not rebuild:
        changed = _drop_touched(conn, archive, files, changed, saved, summary, progress)
    if not saved and not rebuild:
        summary.rebuilt, summary.rebuild_reason = True, "no index yet"
    redo = set(changed)
    for name, (_, _, _, skipped, _) in saved.items():
        if skipped and name in files and name not in redo:
            summary.skipped[name] = skipped
    summary.unchanged = len(files) - len(changed) - len(summary.skipped)
    if not removed and not changed:
        summary.total = _count(conn)
        return summary
    if not rebuild:  # a rebuild reports what it built, as the Whoosh engine's does
        summary.removed = len(removed)
    _forget(conn, removed + [name for name in changed if name in saved], everything=rebuild)
    # A first build fills empty tables: the text indexes are made once at the end (a GIN index
    # updated row by row was most of the time), and the words counted in one pass. No reader
    # can be using tables with nothing in them; a rebuild keeps its indexes so readers answer.
    bulk = not saved and _count(conn) == 0 and len(changed) >= BULK_MIN
    if bulk:
        for name in BULK_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS reader.{name}")  # this module's constants
    _add(conn, archive, files, changed, summary, progress, count_words=not bulk)
    if not summary.rebuilt:  # files the index did not have before (a build counts none)
        summary.added = sum(1 for name in changed if name not in saved and name not in summary.skipped)
    if bulk:
        if progress is not None:
            progress(ProgressReport("writing"))  # the indexes of every article: minutes at 100k
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in BULK_INDEXES.values():
            conn.execute(statement)
        conn.execute("""INSERT INTO reader.words (word, ndoc)
                        SELECT w, count(*) FROM reader.articles a, unnest(tsvector_to_array(a.stv)) w GROUP BY w""")
    conn.execute("UPDATE reader.state SET generation = generation + 1, refreshed = now()")
    conn.execute(STATE_SIZES)
    summary.total = _count(conn)
    return summary


def _drop_touched(conn: psycopg.Connection, archive: Path, files: dict[str, FileStat], changed: list[str],
                  saved: dict[str, tuple[int, int, str | None, str | None, str | None]], summary: RefreshSummary,
                  progress: Progress | None) -> list[str]:
    """`changed` without the files whose bytes are the ones indexed (a new time only), whose new
    times are recorded instead: the articles, links and words stay as they are."""

    def recorded(name: str) -> tuple[int, str] | None:
        row = saved.get(name)
        return (row[1], row[4] or "") if row is not None else None

    same = same_bytes(archive, {name: files[name] for name in changed}, recorded, progress)
    if not same:
        return changed
    with conn.cursor() as cursor:
        cursor.executemany("UPDATE reader.manifest SET mtime_ns = %s WHERE name = %s",
                           [(files[name].mtime_ns, name) for name in same])
        cursor.executemany("UPDATE reader.articles SET mtime_ns = %s WHERE path = %s",
                           [(files[name].mtime_ns, name) for name in same])
    summary.touched = len(same)
    kept = set(same)
    return [name for name in changed if name not in kept]


def _count(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM reader.articles").fetchone()
    return int(row[0]) if row else 0


def _forget(conn: psycopg.Connection, names: list[str], everything: bool) -> None:
    """Delete the articles (their links go with them), words and manifest rows of `names`."""
    if everything:
        for table in ("links", "keys", "sample_keys", "articles", "manifest", "words"):
            conn.execute(f"DELETE FROM reader.{table}")  # table names are constants
        return
    if not names:
        return
    conn.execute(
        f"""UPDATE reader.words SET ndoc = reader.words.ndoc - gone.n
            FROM ({_WORDS_OF}) AS gone (w, n) WHERE reader.words.word = gone.w""",
        (names,),
    )
    conn.execute("DELETE FROM reader.words WHERE ndoc <= 0")
    for table in ("keys", "sample_keys"):  # constants
        conn.execute(f"DELETE FROM reader.{table} WHERE id IN (SELECT id FROM reader.articles WHERE path = ANY(%s))",
                     (names,))
    conn.execute("DELETE FROM reader.articles WHERE path = ANY(%s)", (names,))
    conn.execute("DELETE FROM reader.manifest WHERE name = ANY(%s)", (names,))


Batch = tuple[list[dict[str, object]], list[tuple[object, ...]], list[tuple[object, ...]], int]
"""A batch's article rows, link rows, manifest rows, and how many files it covers."""


def _read(archive: Path, files: dict, names: list[str], ids: dict[str, str], summary: RefreshSummary,
          stop: threading.Event) -> Iterator[Batch]:
    """The rows of `names`, read and parsed, a batch at a time."""
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        articles: list[dict[str, object]] = []
        links: list[tuple[object, ...]] = []
        manifest: list[tuple[object, ...]] = []
        for name in batch:
            if stop.is_set():
                return
            stat = files[name]
            try:
                article, digest = read_for_index(archive / name)
                if article.id in ids and ids[article.id] != name:
                    raise SkippedFile(f"duplicate id {article.id!r} (also {ids[article.id]})")
            except SkippedFile as skip:
                manifest.append((name, stat.mtime_ns, stat.size, None, skip.reason, None))
                summary.skipped[name] = skip.reason
                continue
            ids[article.id] = name
            articles.append(_row(article, name, stat.mtime_ns, stat.size))
            links.extend(
                (article.id, link.position, link.section, link.text, title_key(link.text), loose_key(link.text))
                for link in article.links
            )
            manifest.append((name, stat.mtime_ns, stat.size, article.id, None, digest))
            summary.indexed += 1
            if article.warnings:
                summary.warnings[name] = article.warnings
        yield articles, links, manifest, len(batch)


def _ahead(batches: Iterator[Batch], stop: threading.Event) -> Iterator[Batch]:
    """`batches` read in a thread of their own, one batch ahead: the files of the next batch are
    parsed (Python, holding the GIL) while the server analyses this one (the driver waits
    without it), two cores at work instead of one after the other."""
    ready: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=2)

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        ready.put(("batch", batch), timeout=0.1)
                        break
                    except queue.Full:
                        continue
            item: tuple[str, object] = ("end", None)
        except BaseException as error:  # noqa: BLE001 (handed to the writing thread)
            item = ("error", error)
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    reader = threading.Thread(target=produce, name="reader-index-read", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        reader.join()


def _add(conn: psycopg.Connection, archive: Path, files: dict, names: list[str], summary: RefreshSummary,
         progress: Progress | None, count_words: bool = True) -> None:
    """Read `names` and insert their articles, links, key vectors and manifest rows, in batches."""
    # The articles already stored under the ids these files will have (an id is its file's stem):
    # another file of the same id is a duplicate. Not every stored id: 0.3 s at 100k.
    stems = [safe_line(Path(name).stem) for name in names]
    ids = {row[0]: row[1] for row in conn.execute("SELECT id, path FROM reader.articles WHERE id = ANY(%s)", (stems,))}
    total = len(names)
    done = 0
    stop = threading.Event()
    for articles, links, manifest, covered in _ahead(_read(archive, files, names, ids, summary, stop), stop):
        with conn.cursor() as cursor:
            if articles:
                cursor.executemany(_INSERT_ARTICLE, articles)
            if links:
                cursor.executemany(_INSERT_LINK, links)
            cursor.executemany(_INSERT_MANIFEST, manifest)
            added = [str(row["path"]) for row in articles]
            if added:
                cursor.execute(INSERT_KEYS, (added,))
            if added and count_words:  # not a first build, which counts them all at the end
                cursor.execute(
                    f"""INSERT INTO reader.words (word, ndoc) {_WORDS_OF}
                        ON CONFLICT (word) DO UPDATE SET ndoc = reader.words.ndoc + EXCLUDED.ndoc""",
                    (added,),
                )
        done += covered
        if progress is not None:
            progress(ProgressReport("reading", done, total))


def _row(article: Article, name: str, mtime_ns: int, size: int) -> dict[str, object]:
    body = article.body_text()
    return {
        "id": article.id,
        "path": name,
        "title": article.title,
        "title_key": title_key(article.title),
        "loose_key": loose_key(article.title),
        "blocks": json.dumps([[b.kind, b.text, list(b.items)] for b in article.blocks], ensure_ascii=False),
        "sections": json.dumps([[s.name, list(s.titles)] for s in article.sections], ensure_ascii=False),
        "warnings": json.dumps(list(article.warnings), ensure_ascii=False),
        "body": body,
        "indexed": body[:MAX_INDEXED_CHARS],
        "size": size,
        "mtime_ns": mtime_ns,
    }
