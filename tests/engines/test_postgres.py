"""What only the PostgreSQL engine has: one writer at a time, a refresh that fails leaving the
previous state, readers on machines without the files, a read-only role, credentials that never
show, a server that goes away and comes back, the schema's version, and the command line."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
import pytest
from contract_archive import write_archive
from pg_server import Server, find_binaries
from support import article_text

from reader.cli.main import main
from reader.core.engine import EngineError
from reader.core.library import open_archive
from reader.core.types import IndexBusy, IndexMissing, ProgressReport
from reader.engines.postgres.connection import EngineUnavailable
from reader.engines.postgres.schema import SCHEMA_VERSION, WRITER_LOCK


@pytest.fixture
def indexed(archive: Path, pg_url: str) -> str:
    write_archive(archive)
    with open_archive(archive, engine=pg_url) as library:
        library.refresh()
    return pg_url


def test_a_second_writer_waits_then_gets_the_busy_message(archive: Path, indexed: str) -> None:
    with psycopg.connect(indexed, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
        with open_archive(archive, engine=indexed) as library:
            started = time.monotonic()
            with pytest.raises(IndexBusy, match="another reader is updating the index in database"):
                library.refresh(wait=0.5)
            assert time.monotonic() - started >= 0.5
            # Once the other writer is done, a waiting one goes ahead.
            threading.Timer(0.3, lambda: other.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))).start()
            (archive / "700_new.txt").write_text(article_text("A late story"), encoding="utf-8")
            assert library.refresh(wait=5).indexed == 1


def test_a_refresh_that_fails_leaves_the_previous_state_and_readers_answer_throughout(archive: Path, indexed: str) -> None:
    for n in range(5):
        (archive / f"800_{n}.txt").write_text(article_text(f"Tundra story {n}", ["The tundra froze."]), encoding="utf-8")
    seen_during: list[int] = []
    with open_archive(archive, engine=indexed) as library, open_archive(engine=indexed) as reader:
        before = len(reader.article_ids())

        def progress(report: ProgressReport) -> None:
            if report.phase != "reading":
                return
            # Inside the writer's transaction: a reader still sees the previous state, unblocked.
            seen_during.append(reader.search("tundra").total)
            raise RuntimeError("killed")

        with pytest.raises(RuntimeError):
            library.refresh(progress=progress)
        assert seen_during == [0]
        assert len(reader.article_ids()) == before
        assert reader.search("tundra").total == 0
        assert library.refresh().indexed == 5
        assert reader.search("tundra").total == 5


def test_a_reader_without_the_files_reads_everything_from_the_database(indexed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READER_ARCHIVE", raising=False)
    with open_archive(engine=indexed) as library:
        assert library.archive is None and library.freshness().current
        ids = library.article_ids()
        article = library.read(ids[0])
        assert article.links and library.path_of(ids[0]) is None
        assert library.backlinks(ids[0]) and library.similar(ids[0])
        page = library.search("river", limit=3)
        assert page.hits and page.hits[0].snippet is not None
        with pytest.raises(EngineError, match="give --archive"):
            library.refresh()


def test_a_read_only_role_is_enough_to_read(pg_server: Server, archive: Path, indexed: str) -> None:
    database = indexed.rsplit("/", 1)[1]
    for statement in _read_only_role_sql(database):
        pg_server.sql(statement, database)
    url = pg_server.url(database, user="reader_ro")
    with open_archive(engine=url) as library:
        ids = library.article_ids()
        assert library.search("river").hits and library.read(ids[0]).title
        assert library.backlinks(ids[0]) is not None and list(library.link_report())
        assert library.similar(ids[0]) is not None and library.suggest("rivre") == "river"
    (archive / "900_new.txt").write_text(article_text("A story to write"), encoding="utf-8")
    with open_archive(archive, engine=url) as library, pytest.raises(EngineError) as refused:
        library.refresh()
    assert "\n" not in str(refused.value)


def _read_only_role_sql(database: str) -> list[str]:
    """The statements the README gives for a read-only role."""
    return [
        "DO $$ BEGIN CREATE ROLE reader_ro LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"GRANT CONNECT ON DATABASE {database} TO reader_ro",
        "GRANT USAGE ON SCHEMA reader TO reader_ro",
        "GRANT SELECT ON ALL TABLES IN SCHEMA reader TO reader_ro",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA reader GRANT SELECT ON TABLES TO reader_ro",
    ]


def test_a_database_without_an_index_says_how_to_make_one(pg_url: str) -> None:
    with open_archive(engine=pg_url) as library:
        assert library.freshness().state == "missing"
        with pytest.raises(IndexMissing, match="reader --engine URL --archive DIR index"):
            library.search("river")


def test_a_newer_schema_is_refused_in_one_line(archive: Path, indexed: str) -> None:
    with psycopg.connect(indexed, autocommit=True) as conn:
        conn.execute("UPDATE reader.schema_version SET version = 99")
    with open_archive(archive, engine=indexed) as library, \
            pytest.raises(EngineError, match=f"version 99; this reader knows version {SCHEMA_VERSION}: upgrade reader"):
        library.refresh()


def test_credentials_never_show(pg_server: Server, indexed: str) -> None:
    secret = indexed.replace("reader@", "reader:s3cret-pw@")
    with open_archive(engine=secret) as library:
        assert "s3cret" not in library.location and "reader@" not in library.location
        assert library.search("river").hits
    wrong_port = secret.replace(f":{pg_server.port}/", ":1/")
    with open_archive(engine=wrong_port) as library, pytest.raises(EngineUnavailable) as lost:
        library.search("river")
    assert "s3cret" not in str(lost.value) and "\n" not in str(lost.value)
    assert "on 127.0.0.1:1" in str(lost.value)


def test_a_server_that_goes_away_gives_one_line_and_comes_back(tmp_path: Path) -> None:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    server = Server(binaries)
    try:
        server.start()
        url = server.new_database()
        (tmp_path / "a").mkdir()
        write_archive(tmp_path / "a")
        with open_archive(tmp_path / "a", engine=url) as library:
            library.refresh()
            assert library.search("river").hits
            server.stop()  # fast: "immediate" would lose the commits of a synchronous_commit=off server
            with pytest.raises(EngineUnavailable) as lost:
                library.search("river")
            assert "\n" not in str(lost.value) and "database" in str(lost.value)
            server.start()
            deadline = time.monotonic() + 20
            while True:
                try:
                    assert library.search("river").hits
                    break
                except EngineUnavailable:
                    assert time.monotonic() < deadline, "the engine did not reconnect"
                    time.sleep(0.2)
    finally:
        server.close()


def test_the_command_line_indexes_searches_shows_and_lists_links(archive: Path, pg_url: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    articles = write_archive(archive)
    assert main(["--engine", pg_url, "--archive", str(archive), "index", "--json"]) == 0
    indexed = json.loads(capsys.readouterr().out)
    assert indexed["indexed"] == len(articles)
    assert main(["--engine", pg_url, "search", "river", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert main(["--engine", pg_url, "show", articles[0].id, "--json"]) == 0
    assert articles[0].title in capsys.readouterr().out
    assert main(["--engine", pg_url, "links", "--json"]) == 0
    postgres_links = json.loads(capsys.readouterr().out)
    assert main(["--archive", str(archive), "--index", str(archive.parent / "index"), "index"]) == 0
    capsys.readouterr()
    assert main(["--archive", str(archive), "--index", str(archive.parent / "index"), "links", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == postgres_links


def test_an_unreachable_server_is_one_line_in_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--engine", "postgresql://someone:pw@127.0.0.1:1/newsroom", "search", "river"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "newsroom" in err and "pw" not in err.replace("PostgreSQL", "")


def test_every_hostile_query_of_the_whoosh_run_is_answered_in_one_line(indexed: str) -> None:
    """The query lists of benchmarks/hostile_queries.py (punctuation, brackets, fields,
    wildcards, fuzzy, operators, 10,000 characters, Unicode, controls) against PostgreSQL: a
    page or a one-line error each, and the tables as they were."""
    import sys

    repo = Path(__file__).resolve().parents[2]
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    from benchmarks.hostile_queries import hostile_queries

    with open_archive(engine=indexed) as library:
        before = library.article_ids()
        count = 0
        for queries in hostile_queries().values():
            for query in queries:
                for typeahead in (False, True):
                    page = library.search(query, limit=20, typeahead=typeahead, snippets=20)
                    assert page.error is None or "\n" not in page.error, query
                    count += 1
                library.suggest(query)
        assert count > 1000
        assert library.article_ids() == before and library.search("river").hits
