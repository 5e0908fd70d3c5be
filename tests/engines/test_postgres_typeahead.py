"""The PostgreSQL engine's bounded type-ahead: counts from the sample (schema.SAMPLE) are flagged
"about" and near the truth, every listed hit matches, a bounded page widens rather than comes up
short, and a version-1 database migrates to the sample's indexes and short GIN pending lists."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from pg_server import Server
from support import article_text

from reader.core import query_tree
from reader.core.library import open_archive
from reader.engines.postgres import schema, search
from reader.engines.postgres.translate import translate

COMMON = 900  # articles with the word "harbour" in the body
TITLED = 12  # of them, with "Harbour" in the title too


@pytest.fixture(scope="module")
def broad(tmp_path_factory: pytest.TempPathFactory, pg_server: Server) -> str:
    """A database of COMMON articles that all say "harbour", and 300 that do not."""
    folder = tmp_path_factory.mktemp("broad")
    for n in range(COMMON + 300):
        title = f"Harbour report {n}" if n < TITLED else f"Weekly note number {n}"
        body = f"The harbour wall was mended on day {n}." if n < COMMON else f"Nothing happened on day {n}."
        (folder / f"{n:06d}_{n:016x}.txt").write_text(article_text(title, [body]), encoding="utf-8")
    url = pg_server.new_database()
    with open_archive(folder, engine=url) as library:
        library.refresh()
    return url


def _matching(url: str, word: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute(
            "SELECT id FROM reader.articles WHERE body ILIKE %s OR title ILIKE %s", (f"%{word}%", f"%{word}%"))}


def test_a_broad_prefix_is_counted_on_the_sample_within_a_quarter(broad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    truth = _matching(broad, "harbo")
    monkeypatch.setattr(search, "SAMPLE_MIN", 20)  # the fixture's sample holds about 56 matches
    with open_archive(engine=broad) as library:
        page = library.search("harbo", limit=50, typeahead=True, snippets=0)
    assert page.total_is_estimate
    assert abs(page.total - len(truth)) <= 0.25 * len(truth)
    ids = [hit.id for hit in page.hits]
    assert len(ids) == 50 and len(set(ids)) == 50 and set(ids) <= truth
    # title matches first: the articles with the word in their title head the page
    assert {hit.title for hit in page.hits[:TITLED]} == {f"Harbour report {n}" for n in range(TITLED)}


def test_a_selective_query_is_counted_exactly(broad: str) -> None:
    with open_archive(engine=broad) as library:
        page = library.search("harbour rep", limit=50, typeahead=True, snippets=0)
        nothing = library.search("harbour nothin", limit=50, typeahead=True, snippets=0)
    assert not page.total_is_estimate
    assert page.total == len(page.hits) == TITLED
    assert {hit.title for hit in page.hits} == {f"Harbour report {n}" for n in range(TITLED)}
    assert nothing.total == 0 and not nothing.hits and not nothing.total_is_estimate


def test_a_page_the_sample_cannot_fill_widens_to_the_archive(broad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    truth = _matching(broad, "harbour")
    monkeypatch.setattr(search, "SAMPLE_MIN", 20)
    with open_archive(engine=broad) as library:
        page = library.search("harbour", limit=200, typeahead=True, snippets=0)  # more than the sample has
    ids = [hit.id for hit in page.hits]
    assert len(ids) == 200 and len(set(ids)) == 200 and set(ids) <= truth


def test_the_command_line_count_above_its_limit_is_the_sample_estimate(broad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    truth = _matching(broad, "harbour")
    monkeypatch.setattr(search, "COUNT_LIMIT", 100)
    with open_archive(engine=broad) as library:
        page = library.search("harbour", limit=20)
    assert page.total_is_estimate and abs(page.total - len(truth)) <= 0.25 * len(truth)
    assert len(page.hits) == 20


def test_a_version_1_database_migrates_to_the_sample_and_short_pending_lists(archive: Path, pg_url: str) -> None:
    (archive / "000001_0000000000000001.txt").write_text(article_text("Harbour walls", ["Mended."]), encoding="utf-8")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for extension in schema.EXTENSIONS:
            conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
        for statement in schema.MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute("UPDATE reader.schema_version SET version = 1")
    with open_archive(archive, engine=pg_url) as library:
        library.refresh()
        assert [hit.title for hit in library.search("harb", typeahead=True).hits] == ["Harbour walls"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM reader.schema_version").fetchone() == (schema.SCHEMA_VERSION,)
        options = dict(conn.execute(
            "SELECT c.relname, coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'reader' AND c.relkind = 'i'"
        ).fetchall())
    for name in (*schema.GIN_INDEXES, *schema.SAMPLE_INDEXES):
        assert f"gin_pending_list_limit={schema.PENDING_KB}" in options[name], name


@pytest.mark.parametrize("text", ["harbo", "harbour wal", "wall harbour mend", "harbour NOT wall", "title:harbour rep",
                                  "harbour OR nothing", '"harbour wall" mend'])
def test_the_sample_is_counted_as_the_query_says(broad: str, text: str) -> None:
    """Found condition by condition and intersected, or as one condition: the same articles."""
    with psycopg.connect(broad, autocommit=True) as conn:
        t = translate(conn, query_tree.parse(text, typing=True))
        for every in schema.SAMPLE_SIZES:
            sampled, ids = search._sampled(conn, t, 1000, every)
            plain = {row[0] for row in conn.execute(
                f"SELECT a.id FROM reader.articles a WHERE {schema.sample(every)} AND ({t.where})", t.params)}
            assert sampled == len(plain) == len(ids) and set(ids) == plain


def test_each_sample_stands_for_its_share_of_the_archive(broad: str) -> None:
    with psycopg.connect(broad, autocommit=True) as conn:
        ratios = search._ratios(conn)
        total = conn.execute("SELECT count(*) FROM reader.articles").fetchone()[0]
        for every in schema.SAMPLE_SIZES:
            size = conn.execute(f"SELECT count(*) FROM reader.articles a WHERE {schema.sample(every)}").fetchone()[0]
            assert ratios[every] == pytest.approx(total / size)
