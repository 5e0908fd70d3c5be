"""Shared fixtures: small archives written by the tests themselves, and where the shared corpora are."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.engines.whoosh.index import ArchiveIndex
from support import NEWSGROUPS, article_text

WriteArticle = Callable[..., Path]


def pytest_configure(config: pytest.Config) -> None:
    # A suite started in the background of a script (`… &`, nohup, some CI runners) inherits
    # SIGINT ignored, and so would every `reader` it starts: the tests of Ctrl+C would then wait
    # for ever. Caught here, it is the default again in each program the tests run.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    return folder


@pytest.fixture
def write(archive: Path) -> WriteArticle:
    """write(name, title, paragraphs=..., related=..., blogs=..., more=...) -> path of the new file."""

    def _write(name: str, title: str, *args: object, **kwargs: object) -> Path:
        path = archive / (name if name.endswith(".txt") else f"{name}.txt")
        path.write_text(article_text(title, *args, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
        return path

    return _write


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def make_index(archive: Path, index_dir: Path) -> Callable[[], ArchiveIndex]:
    """Refresh and return the index of the `archive` fixture."""

    def _make() -> ArchiveIndex:
        index = ArchiveIndex(archive, index_dir)
        index.refresh()
        return index

    return _make


@pytest.fixture(scope="session")
def newsgroups_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The index of the 20 Newsgroups corpus, built once for the whole run (minutes on two cores);
    `$READER_TEST_NEWSGROUPS_INDEX` may name a ready one to reuse."""
    if not NEWSGROUPS.is_dir():
        pytest.skip(f"the shared corpora are not here ({NEWSGROUPS} is absent)")
    given = os.environ.get("READER_TEST_NEWSGROUPS_INDEX")
    index_dir = Path(given) if given else tmp_path_factory.mktemp("newsgroups-index")
    index = ArchiveIndex(NEWSGROUPS, index_dir)
    if index.needs_refresh():
        summary = index.refresh()
        assert summary.total == 9962 and not summary.skipped
    return index_dir
