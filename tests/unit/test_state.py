"""Reading state (reader.core.state): one JSON file per archive in the data folder, written
atomically, keyed by article id; never inside the archive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from reader.core.state import DATA_ENV, ReadingState, data_dir, state_path


@dataclass
class FakeLibrary:
    archive: Path | None
    location: str = "postgresql://db.example/news"


def test_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "data"))
    assert data_dir() == tmp_path / "data"


def test_marks_bookmarks_positions_and_recent_survive_a_reload(tmp_path: Path) -> None:
    library = FakeLibrary(tmp_path / "news")
    library.archive.mkdir()
    state = ReadingState.for_library(library, tmp_path / "data")
    state.mark_read("001_a")
    assert state.toggle_bookmark("002_b", "Second story") is True
    state.set_position("001_a", 42.0)
    state.add_recent("001_a")
    state.add_recent("002_b")
    state.save()
    again = ReadingState.for_library(library, tmp_path / "data")
    assert again.is_read("001_a") and not again.is_read("002_b")
    assert [(b.id, b.title) for b in again.bookmarks] == [("002_b", "Second story")]
    assert again.position("001_a") == 42.0 and again.position("002_b") == 0.0
    assert again.recent == ["002_b", "001_a"]
    assert again.toggle_bookmark("002_b", "Second story") is False and again.bookmarks == []


def test_one_file_per_archive_outside_it(tmp_path: Path) -> None:
    first, second = FakeLibrary(tmp_path / "one"), FakeLibrary(tmp_path / "two")
    for library in (first, second):
        library.archive.mkdir()
    data = tmp_path / "data"
    assert state_path(first, data) != state_path(second, data)
    assert state_path(first, data).parent == data / "state"
    # The same archive named another way (a relative path, a trailing dot) is the same file.
    assert state_path(FakeLibrary(tmp_path / "one" / "."), data) == state_path(first, data)
    state = ReadingState.for_library(first, data)
    state.mark_read("x")
    state.save()
    assert list(first.archive.iterdir()) == []  # nothing written into the archive
    saved = json.loads(state_path(first, data).read_text(encoding="utf-8"))
    assert saved["archive"] == str(first.archive.resolve()) and "x" in saved["read"]


def test_a_library_without_an_archive_is_keyed_by_its_location(tmp_path: Path) -> None:
    remote = FakeLibrary(None)
    other = FakeLibrary(None, "postgresql://db.example/other")
    assert state_path(remote, tmp_path) != state_path(other, tmp_path)
    state = ReadingState.for_library(remote, tmp_path)
    state.toggle_bookmark("a", "A")
    state.save()
    assert ReadingState.for_library(remote, tmp_path).is_bookmarked("a")


def test_a_data_folder_inside_the_archive_is_never_written(tmp_path: Path) -> None:
    library = FakeLibrary(tmp_path / "news")
    library.archive.mkdir()
    state = ReadingState.for_library(library, library.archive / "inside")
    state.mark_read("x")
    state.save()
    assert "inside the archive" in state.problem
    assert list(library.archive.iterdir()) == []


def test_saving_is_atomic_and_a_damaged_file_starts_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = FakeLibrary(tmp_path / "news")
    library.archive.mkdir()
    state = ReadingState.for_library(library, tmp_path / "data")
    state.mark_read("kept")
    state.save()
    path = state_path(library, tmp_path / "data")
    before = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("reader.core.state.os.replace", crash)
    state.mark_read("lost")
    state.save()
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old file whole, no temporary left beside it
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert "cannot be saved" in state.problem

    path.write_text("{not json", encoding="utf-8")
    damaged = ReadingState.for_library(library, tmp_path / "data")
    assert not damaged.is_read("kept") and "could not be read" in damaged.problem
