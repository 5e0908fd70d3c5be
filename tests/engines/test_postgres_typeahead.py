"""The PostgreSQL engine's bounded type-ahead: counts from the samples are flagged "about" and near
the truth, every listed hit matches, a bounded page widens rather than comes up short; the key
vectors (schema 3) select exactly what the query's condition on the articles' own text vectors
selects; older databases migrate in place."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from pg_server import Server
from support import article_text

from reader.core import query_tree
from reader.core.library import open_archive
from reader.engines.postgres import schema, search
from reader.engines.postgres.translate import matches_sql, translate

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


def _index_options(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(
            "SELECT c.relname, coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'reader' AND c.relkind = 'i'"
        ).fetchall())


def test_a_version_1_database_migrates_to_the_key_indexes_and_short_pending_lists(archive: Path, pg_url: str) -> None:
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
    options = _index_options(pg_url)
    for name in (*schema.KEY_INDEXES, "links_title_key_trgm", "words_trgm"):
        assert f"gin_pending_list_limit={schema.PENDING_KB}" in options[name], name
    # The text vectors' own indexes are gone: the key vectors answer every query.
    assert not {"articles_tsv", "articles_stv", "articles_ttv", "articles_tstv", *schema.OLD_SAMPLE_INDEXES} & set(options)


def test_a_version_2_database_migrates_in_place(archive: Path, pg_url: str) -> None:
    """The articles a version-2 database holds get their key vectors from the migration, without
    reading the files again."""
    (archive / "000001_0000000000000001.txt").write_text(article_text("Harbour walls", ["Mended by the council."]),
                                                          encoding="utf-8")
    with open_archive(archive, engine=pg_url) as library:
        library.refresh()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # back to how version 2 left it
        conn.execute("DROP TABLE reader.keys, reader.sample_keys")
        conn.execute("ALTER TABLE reader.articles DROP COLUMN kt")
        conn.execute("ALTER TABLE reader.state DROP COLUMN articles, DROP COLUMN samples")
        conn.execute("DROP FUNCTION reader.search_keys")
        conn.execute("ALTER TABLE reader.manifest DROP COLUMN digest")
        conn.execute("UPDATE reader.schema_version SET version = 2")
    with open_archive(archive, engine=pg_url) as library:
        summary = library.refresh()
        assert summary.indexed == 0  # nothing read again
        assert [hit.title for hit in library.search("harbour cou", typeahead=True).hits] == ["Harbour walls"]
        assert library.search("counc").total == 0 and library.search("counc*").total == 1
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM reader.schema_version").fetchone() == (schema.SCHEMA_VERSION,)
        assert conn.execute("SELECT articles, samples FROM reader.state").fetchone()[0] == 1


# Words of every kind the parser and the configurations treat apart: stems that are not prefixes
# of their words (story → stori), accents, hyphens, apostrophes, digits, two-letter words.
VARIED = [
    ("Story of the stories", "A storied storyteller told stories of Zürich and the café."),
    ("Co-operation works", "The co-op worked with coworkers; co and cooperative workers cooperated."),
    ("Naïve résumé", "Her résumé was naive; naïveté is a word, resume another, résumés many."),
    ("Council's decision", "The council decided; councillors' decisions were decisive in 2024 and 2025."),
    ("Two letter ox", "An ox, an ax, an ex and an ix walked; oxen axes exes."),
    ("Harbour walls", "The harbour wall was mended by the council on the quay."),
]
QUERIES = ["st", "sto", "stor", "stori", "story", "stories", "co", "coo", "co-o", "co-op", "cow", "work",
           "resu", "résu", "naï", "nai", "naive", "ca", "caf", "café", "zu", "zür", "council'", "councils",
           "decis", "202", "2024", "ox", "oxe", "ax", "e", "x", "title:sto", "body:sto", "title:co body:wor",
           '"the council', '"council decided"', "NOT stor", "council NOT decis", "ox OR harb", "harbour -wall",
           "(st OR co) AND wo", "stori~", "councl~ dec", "id:000003", "council NOT \"mended by", "NOT co NOT harbour",
           "NOT (st OR ox)", "body:council", "body:co title:wor", "NOT \"the council\"",
           '"wall harbour"', '"harbour wall was mended"', '"mended by the council"', '"co-op worked"',
           'title:"harbour walls"', '"oxen axes" OR "naive her"', '"council decided" -"the quay"']


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory, pg_server: Server) -> str:
    folder = tmp_path_factory.mktemp("varied")
    for n, (title, body) in enumerate(VARIED):
        (folder / f"{n:06d}_{n:016x}.txt").write_text(article_text(title, [body]), encoding="utf-8")
    url = pg_server.new_database()
    with open_archive(folder, engine=url) as library:
        library.refresh()
    return url


@pytest.mark.parametrize("text", QUERIES)
def test_the_keys_select_what_the_text_vectors_select(varied: str, text: str) -> None:
    """The key vectors (one index) and the query's condition on the article's own vectors (no
    index) agree, for every kind of word, while typing and not."""
    with psycopg.connect(varied, autocommit=True) as conn:
        for typing in (True, False):
            try:
                t = translate(conn, query_tree.parse(text, typing=typing))
            except Exception as error:  # noqa: BLE001 (nothing left to search for)
                assert "nothing to search for" in str(error) or "quote" in str(error)
                continue
            sql, params = matches_sql(t)
            by_keys = {row[0] for row in conn.execute(sql, params)}
            by_text = {row[0] for row in conn.execute(
                f"SELECT a.id FROM reader.articles a WHERE {t.condition}", t.condition_params)}
            assert by_keys == by_text, (text, typing)
            if t.has_titles:
                by_title = {row[0] for row in conn.execute(
                    "SELECT a.id FROM reader.articles a WHERE " + search.title_matches_sql(t)[0],
                    search.title_matches_sql(t)[1])}
                assert by_title <= by_keys


@pytest.mark.parametrize(("text", "holding"), [('"harbour wall"', 1), ('"wall harbour"', 0), ('"harbour mended"', 0),
                                              ('"harbour wall was mended"', 1), ('"storied storyteller told"', 1)])
def test_a_phrase_s_keys_hold_its_pairs(varied: str, text: str, holding: int) -> None:
    """The key vectors alone (no article's text read) let through only the articles where the
    phrase's words stand next to each other: its pair keys (schema version 4)."""
    with psycopg.connect(varied) as conn:
        t = translate(conn, query_tree.parse(text))
        assert schema.KEY_PAIR in t.keys
        found = conn.execute("SELECT count(*) FROM reader.keys WHERE kv @@ %s::tsquery", (t.keys,)).fetchone()
        assert found == (holding,)


def test_a_version_3_database_gets_its_pair_keys_in_place(archive: Path, pg_url: str) -> None:
    """Version 3's key vectors (no pair keys) get them from the migration, without reading the
    files again; the titles' keys too."""
    (archive / "000001_0000000000000001.txt").write_text(
        article_text("Harbour walls mended", ["The wall of the harbour was mended by the council."]), encoding="utf-8")
    with open_archive(archive, engine=pg_url) as library:
        library.refresh()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # back to how version 3 left it
        conn.execute(f"UPDATE reader.keys k SET kv = {schema.keys_of('a.tsv', 'tsvector_to_array(a.stv)', pairs=False)} "
                     "FROM reader.articles a WHERE a.id = k.id")
        conn.execute("UPDATE reader.articles SET kt = " + schema.keys_of("ttv", "tsvector_to_array(tstv)", pairs=False))
        conn.execute("ALTER TABLE reader.manifest DROP COLUMN digest")
        conn.execute("UPDATE reader.schema_version SET version = 3")
        assert conn.execute("SELECT count(*) FROM reader.keys WHERE kv @@ %s::tsquery",
                            (f"'{schema.KEY_PAIR}wall{schema.KEY_PAIR}mend'",)).fetchone() == (0,)
    with open_archive(archive, engine=pg_url) as library:
        assert library.refresh().indexed == 0  # nothing read again
        assert [hit.title for hit in library.search('"wall of the harbour"').hits] == ["Harbour walls mended"]
        assert [hit.title for hit in library.search('title:"walls mended"').hits] == ["Harbour walls mended"]
        assert library.search('"council harbour"').total == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM reader.schema_version").fetchone() == (schema.SCHEMA_VERSION,)
        pair = f"'{schema.KEY_PAIR}wall{schema.KEY_PAIR}mend'"  # of the title, in both vectors
        for table, column in (("keys", "kv"), ("articles", "kt")):
            assert conn.execute(f"SELECT count(*) FROM reader.{table} WHERE {column} @@ %s::tsquery",
                                (pair,)).fetchone() == (1,), table


def test_a_version_4_database_gets_digests_as_its_files_are_read(archive: Path, pg_url: str) -> None:
    """Version 4 kept no digests: the migration reads nothing, a touched file is read once more,
    and from then on a touch only records the new time."""
    path = archive / "000001_0000000000000001.txt"
    path.write_text(article_text("Harbour walls", ["Mended by the council."]), encoding="utf-8")
    with open_archive(archive, engine=pg_url) as library:
        library.refresh()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # back to how version 4 left it
        conn.execute("ALTER TABLE reader.manifest DROP COLUMN digest")
        conn.execute("UPDATE reader.schema_version SET version = 4")

    def touch() -> None:
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))

    with open_archive(archive, engine=pg_url) as library:
        assert library.refresh().indexed == 0  # nothing read again
        touch()
        first = library.refresh()
        assert (first.indexed, first.touched) == (1, 0)  # no digest yet: read as before
        touch()
        second = library.refresh()
        assert (second.indexed, second.touched) == (0, 1)
        assert library.freshness().current
        assert [hit.title for hit in library.search("harbour").hits] == ["Harbour walls"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM reader.schema_version").fetchone() == (schema.SCHEMA_VERSION,)
        assert conn.execute("SELECT mtime_ns FROM reader.manifest").fetchone() == (path.stat().st_mtime_ns,)


@pytest.mark.parametrize("text", ["harbo", "harbour wal", "wall harbour mend", "harbour NOT wall", "title:harbour rep",
                                  "harbour OR nothing", '"harbour wall" mend', "NOT harbour", "NOT wall NOT mend"])
def test_the_samples_are_counted_as_the_query_says(broad: str, text: str) -> None:
    with psycopg.connect(broad, autocommit=True) as conn:
        t = translate(conn, query_tree.parse(text, typing=True))
        for every in schema.SAMPLE_SIZES:
            plain = {row[0] for row in conn.execute(
                f"SELECT a.id FROM reader.articles a WHERE {schema.sample(every)} AND ({t.condition})",
                t.condition_params)}
            assert search.sample_count(conn, t, every) == len(plain)


def test_the_state_holds_the_sizes_of_the_archive_and_its_samples(broad: str) -> None:
    with psycopg.connect(broad, autocommit=True) as conn:
        articles, samples = conn.execute("SELECT articles, samples FROM reader.state").fetchone()
        assert articles == conn.execute("SELECT count(*) FROM reader.articles").fetchone()[0]
        for every, size in zip(schema.SAMPLE_SIZES, samples, strict=True):
            assert size == conn.execute(
                f"SELECT count(*) FROM reader.articles a WHERE {schema.sample(every)}").fetchone()[0]


def test_a_refresh_keeps_the_keys_and_sizes(archive: Path, pg_url: str) -> None:
    for n in range(30):
        (archive / f"{n:06d}_{n:016x}.txt").write_text(article_text(f"Quay note {n}", [f"Day {n}."]), encoding="utf-8")
    with open_archive(archive, engine=pg_url) as library:
        library.refresh()
        (archive / "000003_0000000000000003.txt").unlink()
        (archive / "000004_0000000000000004.txt").write_text(article_text("Pier note", ["Changed."]), encoding="utf-8")
        library.refresh()
        assert library.search("quay", typeahead=True).total == 28
        assert [hit.title for hit in library.search("pie", typeahead=True).hits] == ["Pier note"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM reader.keys").fetchone()[0] == 29
        assert conn.execute("SELECT articles FROM reader.state").fetchone()[0] == 29
        assert conn.execute("SELECT count(*) FROM reader.keys k LEFT JOIN reader.articles a ON a.id = k.id "
                            "WHERE a.id IS NULL").fetchone()[0] == 0


@pytest.mark.parametrize("text", ["harbo", "harbour", "wall harbour mend", "harbour NOT wall", "we", "nothi", "NOT wall"])
def test_a_later_page_begins_with_the_rows_of_the_first(broad: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The TUI fetches rows further down by offset: the candidates never depend on how many rows
    are asked for, so rows 0-49 of a 150-row page are the first page (also where the samples and
    the title sample decide)."""
    monkeypatch.setattr(search, "SAMPLE_MIN", 20)
    monkeypatch.setattr(search, "TITLE_SAMPLE_MIN", 2)
    with open_archive(engine=broad) as library:
        first = library.search(text, limit=50, typeahead=True, snippets=0)
        more = library.search(text, limit=100, offset=50, typeahead=True, snippets=0)
        both = library.search(text, limit=150, typeahead=True, snippets=0)
    ids = [hit.id for hit in both.hits]
    assert [hit.id for hit in first.hits] == ids[:50]
    assert [hit.id for hit in more.hits] == ids[50:150]
    assert len(set(ids)) == len(ids)


def test_the_title_typed_in_full_comes_first_among_many_title_matches(broad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """However many titles match, the one that is the query itself is ranked (it may be outside
    the title candidates, or outside the sample of titles)."""
    monkeypatch.setattr(search, "TYPEAHEAD_TITLE_CANDIDATES", 3)
    monkeypatch.setattr(search, "TITLE_SAMPLE_MIN", 1)
    with open_archive(engine=broad) as library:
        for n in (0, 7, 11):
            page = library.search(f"Harbour report {n}", limit=50, typeahead=True, snippets=0)
            assert page.hits[0].title == f"Harbour report {n}"


def test_a_one_letter_prefix_is_a_key_of_its_own(varied: str) -> None:
    """`co-o` is `co` and the prefix `o`; an explicit `x*` too: one key, not every word."""
    with psycopg.connect(varied, autocommit=True) as conn:
        t = translate(conn, query_tree.parse("co-o", typing=True))
        assert schema.KEY_PREFIX + "o'" in t.keys and ":*" not in t.keys
        t = translate(conn, query_tree.parse("counc", typing=True))
        assert t.keys == "'" + schema.KEY_WORD + "counc':*"


def test_a_reader_shows_the_snippet_of_the_changed_article(archive: Path, pg_url: str) -> None:
    """Snippet bodies and their places are kept by the row's version: a refresh that rewrites an
    article shows its new text to a reader that listed it before."""
    path = archive / "000001_0000000000000001.txt"
    path.write_text(article_text("Quay walls", ["The quay wall was old."]), encoding="utf-8")
    with open_archive(archive, engine=pg_url) as writer, open_archive(engine=pg_url) as reader:
        writer.refresh()
        before = reader.search("quay wal", typeahead=True).hits[0].snippet
        path.write_text(article_text("Quay walls", ["The quay wall was mended with new stone."]), encoding="utf-8")
        writer.refresh()
        after = reader.search("quay wal", typeahead=True).hits[0].snippet
    assert before is not None and after is not None
    assert "old" in before.text and "stone" in after.text
