"""Small terminals: every screen stays usable and crash-free down to 40x12; themes apply."""

from __future__ import annotations

from textual.command import CommandPalette

from reader.tui.app import ReaderApp
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.chooser import ChooserScreen
from reader.tui.screens.search import SearchScreen
from reader.tui.widgets.article_body import ArticleBody
from reader.tui.widgets.result_list import ResultList
from pilot_helpers import lines_of, settle, wait_until


async def test_every_screen_works_when_resized_down_to_40x12(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(40, 12)
        await pilot.press(*"bridge")
        await wait_until(pilot, lambda: app.screen.shown_query == "bridge")
        results = app.screen.query_one(ResultList)
        assert results.size.height >= 2  # at least one row shows
        drawn = lines_of(results)
        assert all(len(line) <= 40 for line in drawn)
        assert drawn[0].strip().startswith("Harbour bridge")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        body = app.screen.query_one(ArticleBody)
        assert body.size.width <= 40
        assert all(len(line) <= body.size.width for line in lines_of(body))
        for size in ((40, 12), (30, 8), (120, 40), (40, 12)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
        app.open_article("001_bridge")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "001_bridge" and app.screen.article is not None)
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await pilot.press("escape", "slash", *"deck", "enter", "n", "escape", "question_mark")
        await settle(pilot)
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        await settle(pilot)
        assert not app.screen.query("HelpPanel")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")  # closes the palette
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen))
        here = app.screen
        await pilot.press("escape")  # back to the article opened from the search
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen is not here)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))


async def test_themes_apply_to_the_result_list(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        results = app.screen.query_one(ResultList)
        app.theme = "textual-dark"
        await settle(pilot)
        dark = results.render_line(0)
        app.theme = "textual-light"
        await settle(pilot)
        light = results.render_line(0)
        assert dark.text == light.text
        assert [s.style for s in dark] != [s.style for s in light]
