"""A few pictures of the main screens at a fixed size, compared with the accepted ones in
__snapshots__/ (update with `pytest --snapshot-update` after looking at the differences)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from reader.core.library import Library
from reader.core.state import ReadingState
from reader.tui.app import ReaderApp
from reader.tui.screens.bookmarks import BookmarksScreen
from reader.tui.screens.toc import TocScreen
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.chooser import ChooserScreen
from reader.tui.screens.search import SearchScreen
from reader.tui.widgets.result_list import ResultList
from pilot_helpers import settle, wait_until


async def _steady(pilot: Pilot) -> None:
    """No blinking cursor, no worker still running: the same picture every run."""
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await settle(pilot)


def _rows_filled(app: ReaderApp) -> bool:
    screen = app.screen
    if not isinstance(screen, SearchScreen) or screen.shown_query != screen.query_text:
        return False
    results = screen.query_one(ResultList)
    visible = min(results.count, results.scrollable_content_region.height // 2)
    return all((hit := results.hit_at(i)) is not None and hit.snippet is not None for i in range(visible))


async def _search(pilot: Pilot, text: str) -> None:
    await settle(pilot)
    await pilot.press(*text)
    await wait_until(pilot, lambda: _rows_filled(pilot.app))
    await _steady(pilot)


def _article_ready(app: ReaderApp) -> bool:
    screen = app.screen
    return isinstance(screen, ArticleScreen) and screen.article is not None and screen._related_done


def test_search_screen_lists_the_archive(snap_compare, app: ReaderApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await _search(pilot, "")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_search_results_with_highlighted_snippets(snap_compare, app: ReaderApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await _search(pilot, "bridge")
        await pilot.press("down")
        await _steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_article_with_hits_links_and_related(snap_compare, app: ReaderApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await _search(pilot, "repairs")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: _article_ready(pilot.app))
        await pilot.press("n", "n")
        await _steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_chooser_for_a_link_with_several_targets(snap_compare, app: ReaderApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        pilot.app.open_article("001_bridge")
        await wait_until(pilot, lambda: _article_ready(pilot.app))
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChooserScreen))
        await _steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_search_at_40x12(snap_compare, app: ReaderApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await _search(pilot, "ferry")

    assert snap_compare(app, terminal_size=(40, 12), run_before=run_before)


def test_bookmarks_screen(snap_compare, index: Library) -> None:  # type: ignore[no-untyped-def]
    state = ReadingState()  # in memory: the same picture every run
    state.toggle_bookmark("002_ferry", "Ferry timetable changes for the winter")
    state.toggle_bookmark("007_markup", "Markup [bold]look-alikes[/] in a title")
    state.toggle_bookmark("001_bridge", "Harbour bridge reopens after repairs")
    state.mark_read("002_ferry")  # read: dimmed
    app = ReaderApp(index, [], None, state)

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, BookmarksScreen))
        await _steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_table_of_contents(snap_compare, app: ReaderApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        pilot.app.open_article("001_bridge")
        await wait_until(pilot, lambda: _article_ready(pilot.app))
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TocScreen))
        await _steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
