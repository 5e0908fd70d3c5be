"""The command palette: open an article by title (fuzzy, recent first), and every action.

The matching itself: tests/unit/test_palette_words.py; words in any order, repeated titles, typos
in the palette: tests/tui/test_open_by_title.py."""

from __future__ import annotations

from pilot_helpers import settle, wait_until
from textual.command import CommandPalette
from textual.content import Content
from textual.style import Style

from reader.tui.app import ReaderApp
from reader.tui.palette import highlighted
from reader.tui.screens.article import ArticleScreen
from reader.tui.widgets.article_body import ArticleBody


def palette_prompts(app: ReaderApp) -> list[str]:
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    options = palette.query_one("CommandList")
    return [str(options.get_option_at_index(i).prompt).split("\n")[0] for i in range(options.option_count)]


async def test_open_article_by_title_with_fuzzy_matching(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"fery tmtable")
        await wait_until(pilot, lambda: "Ferry timetable changes for the winter" in palette_prompts(app), what="the title")
        assert palette_prompts(app)[0] == "Ferry timetable changes for the winter"
        await pilot.press("enter")  # the first hit is highlighted; "Notes from the ferry" follows (one word)
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "002_ferry")


async def test_recent_articles_come_first_in_an_empty_box(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for article_id in ("003_closure", "006_notes"):
            app.open_article(article_id)
            await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and len(palette_prompts(app)) >= 7)
        prompts = palette_prompts(app)
        assert prompts[:2] == ["Notes from the ferry", "Harbour bridge closure announced"]
        assert prompts[2] == "Harbour bridge reopens after repairs"  # then the archive from its start


async def test_the_palette_offers_the_screens_actions_and_runs_them(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_article("001_bridge")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"find")
        await wait_until(pilot, lambda: "Find" in palette_prompts(app))
        for _ in range(palette_prompts(app).index("Find")):
            await pilot.press("down")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.query_one("FindBar").is_open)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"open article by title")
        await wait_until(pilot, lambda: "Open article by title" in palette_prompts(app))
        prompts = palette_prompts(app)
        for name in ("Back", "Next hit", "Search", "Rebuild the index", "Follow link 1"):
            await pilot.press("ctrl+a", "ctrl+k", *name.lower())
            await wait_until(pilot, lambda name=name: name in palette_prompts(app), what=name)
        assert prompts


async def test_titles_with_markup_are_shown_literally_in_the_palette(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"markup")
        await wait_until(pilot, lambda: "Markup [bold]look-alikes[/] in a title" in palette_prompts(app))
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        assert app.screen.query_one(ArticleBody).plain_lines()[0] == "Markup [bold]look-alikes[/] in a title"


def test_highlighted_title_is_literal_content() -> None:
    content = highlighted("[b]not bold[/b]", [(3, 6)], Style(bold=True))
    assert isinstance(content, Content)
    assert content.plain == "[b]not bold[/b]"
    assert len(content.spans) == 1
