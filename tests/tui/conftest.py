"""Fixtures for the TUI tests: a small invented archive, indexed once, and helpers to wait on the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.tui.app import ReaderApp
from reader.core.library import Library
from reader.engines.whoosh import DeferredIndex
from reader.engines.whoosh.index import ArchiveIndex

from tui_archive import write_archive


@pytest.fixture(autouse=True)
def _private_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading state and the config file in a temporary folder: no test touches the real home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("READER_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("READER_CONFIG", str(home / "config.toml"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(archive, index folder) of the test archive, indexed once for the session."""
    root = tmp_path_factory.mktemp("tui")
    archive = write_archive(root / "archive")
    index_dir = root / "index"
    ArchiveIndex(archive, index_dir).refresh()
    return archive, index_dir


@pytest.fixture
def index(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Library:
    """A fresh handle on the session's index, as the `reader` command makes it (Whoosh loaded when
    first used); the working folder is the archive's parent, so the article screen shows the path
    as `archive/<file>` in every run (snapshots stay the same)."""
    archive, index_dir = built
    monkeypatch.chdir(archive.parent)
    return Library(DeferredIndex(archive, index_dir))


@pytest.fixture
def own_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A private copy of the archive (tests that change files) and an index folder not built yet."""
    archive = write_archive(tmp_path / "archive")
    monkeypatch.chdir(tmp_path)
    return archive, tmp_path / "index"


@pytest.fixture
def app(index: ArchiveIndex) -> ReaderApp:
    return ReaderApp(index, [])
