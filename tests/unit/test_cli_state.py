"""`reader bookmarks` and `reader config` (issue 14), run in-process on a tiny archive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from reader.cli.main import main
from reader.core.state import ReadingState


@dataclass
class Where:
    archive: Path
    location: str = ""


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "001_a.txt").write_text("First story\n\nBody.\n", encoding="utf-8")
    monkeypatch.setenv("READER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("READER_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("READER_INDEX", str(tmp_path / "index"))
    monkeypatch.delenv("READER_ARCHIVE", raising=False)
    return folder


def test_bookmarks_prints_what_the_reader_bookmarked(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--archive", str(archive), "bookmarks"]) == 0
    assert "No bookmarks yet" in capsys.readouterr().out
    state = ReadingState.for_library(Where(archive))
    state.toggle_bookmark("001_a", "First story")
    state.save()
    assert main(["--archive", str(archive), "bookmarks"]) == 0
    out = capsys.readouterr().out
    assert "1 bookmark\n" in out and "001_a  First story" in out
    assert main(["--archive", str(archive), "bookmarks", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["id"], row["title"], row["read"]) for row in rows] == [("001_a", "First story", False)]
    assert sorted(p.name for p in archive.iterdir()) == ["001_a.txt"]  # nothing written into the archive


def test_config_prints_its_path_and_the_settings(archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert f"config file: {config}" in out and "no such file" in out
    config.write_text(f'archive = "{archive}"\ntheme = "nord"\n[keymap]\n"reader.quit" = "x"\n', encoding="utf-8")
    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["archive"], data["theme"], data["keymap"], data["exists"]) == (str(archive), "nord", {"reader.quit": "x"}, True)
    # --config names another file; the config's archive is the default of last resort.
    other = tmp_path / "other.toml"
    other.write_text("snippet_length = 50\n", encoding="utf-8")
    assert main(["--config", str(other), "config"]) == 0
    assert "snippet_length = 50" in capsys.readouterr().out
    assert main(["bookmarks"]) == 0  # opens the config's archive, not the bundled one
    assert "No bookmarks yet" in capsys.readouterr().out


def test_a_bad_config_is_one_line_and_the_command_goes_on(archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.toml").write_text('theme = "nord"\nsnippet_length = "long"\n', encoding="utf-8")
    assert main(["--archive", str(archive), "bookmarks"]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line]
    assert len(lines) == 1 and "line 2: snippet_length must be a whole number" in lines[0]
    assert "Traceback" not in captured.err
