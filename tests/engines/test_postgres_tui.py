"""The TUI over PostgreSQL, on a machine without the files: it lists, searches and opens articles
from the database, and when the server goes away and comes back it shows a message instead of a
traceback and answers again."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_archive import write_archive
from pg_server import Server, find_binaries
from pilot_helpers import wait_until

from reader.core.library import open_archive
from reader.tui.app import ReaderApp
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.search import SearchScreen
from reader.tui.widgets.result_list import ResultList


def _ids(app: ReaderApp) -> list[str]:
    results = app.screen.query_one(ResultList)
    return [hit.id for index in range(results.count) if (hit := results.hit_at(index)) is not None]


async def _search(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Clear the search box and type `text`, then wait for its results (without waiting for every
    worker: the ones that failed while the server was away are the TUI's to report)."""
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    await pilot.press(*["backspace"] * len(screen.query_text), *text)
    await wait_until(pilot, lambda: screen.shown_query == text, what=f"results for {text!r}", workers=False)


async def test_the_tui_reads_a_shared_archive_and_outlives_a_server_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    monkeypatch.delenv("READER_ARCHIVE", raising=False)
    server = Server(binaries)
    try:
        server.start()
        url = server.new_database()
        (tmp_path / "archive").mkdir()
        articles = write_archive(tmp_path / "archive")
        with open_archive(tmp_path / "archive", engine=url) as writer:
            writer.refresh()
        library = open_archive(engine=url)  # no files on this machine
        app = ReaderApp(library, [])
        async with app.run_test(size=(100, 30)) as pilot:
            # No waiting for every worker here or below: the TUI cancels and replaces its
            # exclusive search workers as it goes, and reports those that fail itself.
            await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == ""
                             and app.screen.query_one(ResultList).count > 0, workers=False)
            assert app.screen.query_one(ResultList).count == len(articles)
            await _search(pilot, "lagoon")
            expected = {a.id for a in articles if "lagoon" in a.title_words | a.body_words}
            assert set(_ids(app)) == expected

            server.stop()
            # Answered with a message, not a traceback: the search shows none, and the index
            # state (which the TUI's footer shows) names the server it cannot reach.
            await _search(pilot, "river")
            await wait_until(pilot, lambda: app.index_state.phase == "reconnecting", what="reconnecting", workers=False)
            assert "reconnecting" in app.index_state.text and "PostgreSQL" in app.index_state.text
            assert app.is_running and not _ids(app)

            server.start()
            # It comes back by itself: the app asks again every few seconds, then searches again.
            await wait_until(pilot, lambda: app.index_state.phase == "ready", timeout=30, what="reconnected",
                             workers=False)
            await wait_until(pilot, lambda: bool(_ids(app)), what="the search asked again", workers=False)
            assert set(_ids(app)) == {a.id for a in articles if "river" in a.title_words | a.body_words}
            await _search(pilot, "canyon")
            assert set(_ids(app)) == {a.id for a in articles if "canyon" in a.title_words | a.body_words}
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen), what="the article screen",
                             workers=False)
        library.close()
    finally:
        server.close()
