"""Fixtures of the contract suite: a throwaway PostgreSQL server for the session (skipped with the
reason where there is none), a fresh database per test, and a `Library` over either engine."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # `support` (the archive layout), also when run alone
    sys.path.insert(0, str(TESTS))

from contract_archive import library_over
from pg_server import Server, find_binaries

from reader.core.library import Library

OpenLibrary = Callable[[Path], Library]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """A PostgreSQL server of its own in a temporary folder, stopped and deleted after the run."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[test]'")
    binaries = find_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine: "
                    "apt-get install postgresql to run the PostgreSQL tests")
    server = Server(binaries)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_url(pg_server: Server) -> str:
    """A new, empty database for one test."""
    return pg_server.new_database()


@pytest.fixture(scope="module", params=["whoosh", "postgres"])
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_library(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenLibrary]:
    """open_library(archive) -> a Library over the engine of the module's parameter, refreshed."""
    opened: list[Library] = []
    make = library_over(engine_name, request, tmp_path / "index")

    def _open(archive: Path) -> Library:
        opened.append(make(archive))
        return opened[-1]

    yield _open
    for library in opened:
        library.close()
