"""The TUI watches its archive folder (issue 13): a file written, renamed or removed while it runs
is found by search within seconds, with no key pressed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import wait_until
from textual.content import Content
from textual.widgets import Static

from reader.core.library import Library
from reader.core.watch import CHECK_SECONDS
from reader.engines.whoosh.index import ArchiveIndex
from reader.tui.app import ReaderApp
from reader.tui.widgets.index_status import IndexStatus
from reader.tui.widgets.result_list import ResultList


def _status(app: ReaderApp) -> str:
    rendered = app.screen.query_one("#index-status-text", Static).render()
    assert isinstance(rendered, Content)
    return rendered.plain


def _ids(app: ReaderApp) -> list[str]:
    results = app.screen.query_one(ResultList)
    return [results.hit_at(i).id for i in range(results.count)]


async def test_files_written_renamed_and_removed_are_found_while_the_app_runs(own_archive: tuple[Path, Path]) -> None:
    archive, index_dir = own_archive
    ArchiveIndex(archive, index_dir).refresh()
    app = ReaderApp(Library(ArchiveIndex(archive, index_dir)), [], watch=True)
    # The watch worker never ends: every wait here lets workers run without waiting for them.
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.index_state.phase == "ready", workers=False)
        await wait_until(pilot, lambda: any(w.group == "watch" and w.is_running for w in app.workers),
                         workers=False, what="the watch to start")
        await pilot.press(*"zeppelin")
        await wait_until(pilot, lambda: app.screen.shown_query == "zeppelin", workers=False)
        assert _ids(app) == []

        (archive / "008_zeppelin.txt").write_text("Zeppelin over the harbour\n\nA zeppelin was seen.\n", encoding="utf-8")
        await wait_until(pilot, lambda: _ids(app) == ["008_zeppelin"], timeout=15, workers=False,
                         what="the new file to be found")

        (archive / "008_zeppelin.txt").rename(archive / "009_zeppelin.txt")
        await wait_until(pilot, lambda: _ids(app) == ["009_zeppelin"], timeout=15, workers=False,
                         what="the renamed file to be found under its new name")

        (archive / "009_zeppelin.txt").unlink()
        await wait_until(pilot, lambda: _ids(app) == [], timeout=15, workers=False,
                         what="the removed file to be gone from the results")
    assert not any(w.group == "watch" and w.is_running for w in app.workers)


async def test_a_watched_change_updates_the_status_line_without_a_toast(
    own_archive: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The launch refresh toasts "Index ready"; a watched change says what it did in the status
    line; and while the watcher sees nothing, nothing looks at the archive again."""
    archive, index_dir = own_archive
    ArchiveIndex(archive, index_dir).refresh()
    (archive / "008_ferry.txt").write_text("Ferry at dawn\n\nThe ferry left.\n", encoding="utf-8")  # stale at launch
    library = Library(ArchiveIndex(archive, index_dir))
    checks: list[str] = []
    real_freshness, real_refresh = library.freshness, library.refresh
    monkeypatch.setattr(library, "freshness", lambda: (checks.append("freshness"), real_freshness())[1])
    monkeypatch.setattr(library, "refresh", lambda **kw: (checks.append("refresh"), real_refresh(**kw))[1])
    app = ReaderApp(library, [], watch=True)
    toasts: list[str] = []
    real_notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (toasts.append(message), real_notify(message, **kw))[1])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.index_state.phase == "ready" and app.index_state.changed, workers=False)
        assert toasts == ["Index ready: 8 articles indexed."]
        await wait_until(pilot, lambda: any(w.group == "watch" and w.is_running for w in app.workers),
                         workers=False, what="the watch to start")
        # A new watch's first answer is a check (changes made before it began have no event).
        await wait_until(pilot, lambda: len(checks) >= 3, timeout=10, workers=False, what="the watch's first check")
        assert checks == ["freshness", "refresh", "refresh"]  # a watched change is not checked twice
        await wait_until(pilot, lambda: app.index_state.phase == "ready", workers=False)
        settled = len(checks)
        await pilot.pause(CHECK_SECONDS * 2)  # events only: no look at the archive while nothing happens
        assert len(checks) == settled

        (archive / "009_zeppelin.txt").write_text("Zeppelin over the harbour\n\nA zeppelin was seen.\n", encoding="utf-8")
        (archive / "008_ferry.txt").write_text("Ferry at dusk\n\nThe ferry came back.\n", encoding="utf-8")
        status = app.screen.query_one(IndexStatus)
        await wait_until(pilot, lambda: status.has_class("-shown") and _status(app) == "1 article added, 1 changed · just now",
                         timeout=15, workers=False, what="the status line to tell of the change")
        assert toasts == ["Index ready: 8 articles indexed."]
        assert app.index_state.phase == "ready"


async def test_a_corpus_copied_again_is_ready_without_reading_it_again(
    own_archive: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file with a new time and the same bytes (a copy made again): the launch refresh
    records the times, and its toast says why it was quick."""
    import os

    archive, index_dir = own_archive
    ArchiveIndex(archive, index_dir).refresh()
    for path in archive.iterdir():
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    app = ReaderApp(Library(ArchiveIndex(archive, index_dir)), [], watch=False)
    toasts: list[str] = []
    real_notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (toasts.append(message), real_notify(message, **kw))[1])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.index_state.phase == "ready" and bool(toasts), workers=False)
        assert toasts == ["Index ready: 7 articles indexed, 7 with only a new time, not read again."]
    assert ArchiveIndex(archive, index_dir).needs_refresh() == ""
