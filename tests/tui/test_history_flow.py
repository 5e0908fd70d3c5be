"""Back and forward through searches and articles, coming back to each as it was left."""

from __future__ import annotations

from textual.widgets import Input

from reader.tui.app import ReaderApp
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.search import SearchScreen
from reader.tui.widgets.link_item import LinkItem
from reader.tui.widgets.result_list import ResultList
from pilot_helpers import settle, wait_until


def on_article(app: ReaderApp, article_id: str) -> bool:
    screen = app.screen
    return isinstance(screen, ArticleScreen) and screen.article_id == article_id and screen.article is not None


async def test_back_and_forward_restore_query_selection_and_scroll(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        await pilot.press(*"bridge")
        await wait_until(pilot, lambda: app.screen.shown_query == "bridge")
        search = app.screen
        await pilot.press("down", "down")
        chosen = search.query_one(ResultList).hit_at(2)
        assert chosen is not None and chosen.id == "006_notes"
        await pilot.press("enter")
        await wait_until(pilot, lambda: on_article(app, "006_notes"))
        first = app.screen
        scroll = first.query_one("#article")
        scroll.scroll_to(y=3, animate=False, immediate=True)
        await settle(pilot)
        assert scroll.scroll_y == 3
        await pilot.press("tab", "enter")  # the first link: back to the bridge
        await wait_until(pilot, lambda: on_article(app, "001_bridge"))

        await pilot.press("escape")
        await wait_until(pilot, lambda: on_article(app, "006_notes"), what="back to the notes")
        await wait_until(pilot, lambda: app.screen.query_one("#article").scroll_y == 3, what="its scroll")

        await pilot.press("backspace")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen), what="back to the search")
        assert app.screen is search
        assert search.query_one("#query", Input).value == "bridge"
        assert search.shown_query == "bridge"
        assert search.query_one(ResultList).highlighted == 2
        assert isinstance(app.focused, Input)
        assert not app.history.can_go_back

        await pilot.press("alt+right")
        await wait_until(pilot, lambda: on_article(app, "006_notes"), what="forward to the notes")
        await pilot.press("l")
        await wait_until(pilot, lambda: on_article(app, "001_bridge"), what="forward to the bridge")
        assert not app.history.can_go_forward
        await pilot.press("l")  # nothing ahead: stays
        await settle(pilot)
        assert on_article(app, "001_bridge")
        await pilot.press("h")
        await wait_until(pilot, lambda: on_article(app, "006_notes"))
        await pilot.press("alt+left")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))


async def test_a_search_from_a_dangling_link_is_a_place_of_its_own(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"repairs")
        await wait_until(pilot, lambda: app.screen.shown_query == "repairs")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        first_id = app.screen.article_id
        from reader.tui.messages import OpenSearch

        app.post_message(OpenSearch("lighthouse"))
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "lighthouse")
        await pilot.press("escape")
        await wait_until(pilot, lambda: on_article(app, first_id))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "repairs")
        await pilot.press("alt+right")  # (l would type into the search box)
        await wait_until(pilot, lambda: on_article(app, first_id))
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "lighthouse")


async def test_going_back_from_a_followed_link_keeps_focus_usable(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_article("002_ferry")
        await wait_until(pilot, lambda: on_article(app, "002_ferry") and bool(app.screen.query(LinkItem)))
        await pilot.press("1")
        await wait_until(pilot, lambda: on_article(app, "001_bridge"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: on_article(app, "002_ferry"))
        await pilot.press("tab")
        assert isinstance(app.focused, LinkItem)


async def test_s_on_an_article_returns_to_the_search_as_it_was(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"budget")
        await wait_until(pilot, lambda: app.screen.shown_query == "budget")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert app.screen.query_one("#query", Input).value == "budget"
        assert app.screen.query_one(ResultList).highlighted == 1
        assert isinstance(app.focused, Input)
        await pilot.press("escape")  # a place of its own: back goes to the article
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen))
