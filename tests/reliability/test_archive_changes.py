"""The archive changes under the reader, and places it cannot write: an open article's file deleted
or rewritten (no crash, the view says so, the next refresh picks it up); a read-only archive; an
index location that is missing, cannot be created or cannot be written (a clear message, and the
index goes to a fallback the message names)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.engines.whoosh.index import ArchiveIndex
from reliability_support import (
    archive_hashes,
    assert_clean_failure,
    check_index,
    record,
    reader_env,
    run_reader,
)

WORD = "blupaftzo"
FIRST = "000000_2946347108780900"  # the first generated article: its title holds WORD


# --- the TUI, with the article open ----------------------------------------------------------------


async def _open(pilot, article_id: str):  # type: ignore[no-untyped-def]
    from reader.tui.messages import OpenArticle
    from reader.tui.screens.article import ArticleScreen
    from pilot_helpers import settle, wait_until

    app = pilot.app
    await settle(pilot)
    app.post_message(OpenArticle(article_id))
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None,
        what=f"article {article_id}",
    )
    return app.screen


async def test_open_article_file_deleted(copy: tuple[Path, Path]) -> None:
    from reader.tui.app import ReaderApp
    from pilot_helpers import screen_lines, wait_until

    archive, index_dir = copy
    index = ArchiveIndex(archive, index_dir)
    app = ReaderApp(Library(index), [])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot, FIRST)
        path = archive / f"{FIRST}.txt"
        path.unlink()
        await wait_until(
            pilot,
            lambda: "The file of this article was deleted" in " ".join(screen_lines(pilot)),
            what="the view to say the file was deleted",
            workers=False,
        )
        assert app.screen is screen  # still open, still showing the copy read before
        await wait_until(pilot, lambda: app.index_state.phase == "ready" and index.freshness().current, what="the refresh")
        assert FIRST not in [hit.id for hit in index.search(WORD).hits]
    check_index(archive, index_dir)
    record("archive changes: open article's file deleted, survived")


async def test_open_article_file_rewritten(copy: tuple[Path, Path]) -> None:
    from reader.tui.app import ReaderApp
    from pilot_helpers import screen_lines, wait_until

    archive, index_dir = copy
    index = ArchiveIndex(archive, index_dir)
    app = ReaderApp(Library(index), [])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot, FIRST)
        (archive / f"{FIRST}.txt").write_text("A rewritten title wombatz\n\nA new body.\n", encoding="utf-8")
        await wait_until(
            pilot,
            lambda: "changed on disk" in " ".join(screen_lines(pilot)) and "wombatz" in " ".join(screen_lines(pilot)),
            what="the view to say the file changed and show it again",
            workers=False,
        )
        assert app.screen is screen
        assert screen.article is not None and screen.article.title == "A rewritten title wombatz"
        await wait_until(pilot, lambda: app.index_state.phase == "ready" and index.freshness().current, what="the refresh")
        assert [hit.id for hit in index.search("wombatz").hits] == [FIRST]
    check_index(archive, index_dir)
    record("archive changes: open article's file rewritten, survived")


async def test_opening_an_article_whose_file_is_gone(copy: tuple[Path, Path]) -> None:
    """Deleted after indexing, before opening: the view says it cannot be shown, no crash."""
    from reader.tui.app import ReaderApp
    from reader.tui.messages import OpenArticle
    from reader.tui.screens.article import ArticleScreen
    from pilot_helpers import screen_lines, settle, wait_until

    archive, index_dir = copy
    app = ReaderApp(Library(ArchiveIndex(archive, index_dir)), [])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        (archive / f"{FIRST}.txt").unlink()
        app.post_message(OpenArticle(FIRST))
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen), what="the article screen")
        await wait_until(pilot, lambda: "cannot be shown" in " ".join(screen_lines(pilot)), what="the message")
    record("archive changes: open article's file deleted, survived")


def test_show_after_the_file_was_deleted(copy: tuple[Path, Path]) -> None:
    archive, index_dir = copy
    (archive / f"{FIRST}.txt").unlink()
    result = run_reader("--archive", str(archive), "--index", str(index_dir), "show", FIRST)
    assert_clean_failure(result, code=1)
    check_index(archive, index_dir)


# --- places that cannot be written ------------------------------------------------------------------


def test_read_only_archive(copy: tuple[Path, Path], tmp_path: Path) -> None:
    archive, _ = copy
    before = archive_hashes(archive)
    names = sorted(os.listdir(archive))
    for path in [*archive.iterdir(), archive]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        index_dir = tmp_path / "fresh-index"
        result = run_reader("--archive", str(archive), "--index", str(index_dir), "index")
        assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
        search = run_reader("--archive", str(archive), "--index", str(index_dir), "search", WORD)
        assert search.returncode == 0 and FIRST.encode() in search.stdout
        check_index(archive, index_dir)
    finally:
        for path in [archive, *archive.iterdir()]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert archive_hashes(archive) == before and sorted(os.listdir(archive)) == names
    record("archive changes: read-only archive indexed, nothing written")


def _unwritable_locations(tmp_path: Path) -> list[tuple[str, Path]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    places = [("below a file", blocker / "index"), ("in /proc", Path("/proc/reader-test-index"))]
    if os.geteuid() != 0:  # root writes whatever the mode says
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        places.append(("read-only folder", locked / "index"))
    return places


@pytest.mark.parametrize("where", ["below a file", "in /proc", "read-only folder"])
def test_unwritable_index_location_falls_back(copy: tuple[Path, Path], tmp_path: Path, where: str) -> None:
    archive, _ = copy
    places = dict(_unwritable_locations(tmp_path))
    if where not in places:
        pytest.skip("running as root: a read-only folder is writable")
    chosen = places[where]
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = reader_env(TMPDIR=str(temp))
    result = run_reader("--archive", str(archive), "--index", str(chosen), "search", WORD, env=env)
    assert result.returncode == 0, result.stderr
    # One line says where the index went; on a busy machine the build there may take long
    # enough for the piped progress lines (every 2 s) to follow it, and nothing else may.
    lines = result.stderr.decode().strip().splitlines()
    assert lines[0].startswith("reader: cannot write the index folder"), lines
    assert all(line.startswith("reader: indexing: ") for line in lines[1:]), lines
    fallback = next(temp.glob(f"reader-{os.getuid()}/*"))
    assert str(fallback) in lines[0]  # the message names where the index went
    assert FIRST.encode() in result.stdout
    check_index(archive, fallback)
    record("archive changes: unwritable index locations, fell back")


def test_missing_index_location_is_created(copy: tuple[Path, Path], tmp_path: Path) -> None:
    archive, _ = copy
    index_dir = tmp_path / "not" / "there" / "yet"
    result = run_reader("--archive", str(archive), "--index", str(index_dir), "search", WORD)
    # Nothing but the build's progress, which a slow or busy machine shows after 3 s.
    said = [line for line in result.stderr.decode().splitlines() if not line.startswith("reader: indexing: ")]
    assert result.returncode == 0 and not said, result.stderr
    check_index(archive, index_dir)


def test_no_writable_place_at_all(
    copy: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither the index folder nor the fallback can be written: a clear line, exit 2. (The real
    fallback is in the temporary folder, which root can always write: it is moved here.)"""
    from reader.cli import main as cli
    from reader.core import paths

    archive, _ = copy
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(paths, "fallback_index", lambda archive: blocker / "fallback")
    code = cli.main(["--archive", str(archive), "--index", str(blocker / "index"), "search", WORD])
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err
    assert lines[0].startswith("reader: cannot write the index folder") and "using" in lines[0], lines
    assert lines[-1].startswith("reader: cannot write the index folder") and "fallback" in lines[-1], lines
    assert len(lines) == 2  # the fallback notice, then why even that failed


async def test_tui_names_the_fallback(copy: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reader.tui.app import ReaderApp
    from reader.core.library import open_archive
    from pilot_helpers import screen_lines, wait_until

    archive, _ = copy
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    index = open_archive(archive, blocker / "index")
    notices = index.notices
    assert len(notices) == 1 and index.location in notices[0]
    app = ReaderApp(index, notices)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:

        def shown() -> str:
            return " ".join(" ".join(screen_lines(pilot)).split())

        await wait_until(pilot, lambda: "cannot write the index folder" in shown(), what="the notice", workers=False)
        assert Path(index.location).name in shown() and "instead" in shown()  # names where the index goes (wrapped)
        await wait_until(pilot, lambda: app.index_state.phase == "ready", timeout=300, what="the index")
    check_index(archive, Path(index.location))
    record("archive changes: unwritable index locations, fell back")
