"""The article screen: layout of the body, hits and find, and every kind of link."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, OptionList

from reader.tui.app import ReaderApp
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.chooser import ChooserScreen
from reader.tui.screens.missing import MissingScreen
from reader.tui.screens.search import SearchScreen
from reader.core.library import Library
from reader.engines.whoosh.index import ArchiveIndex
from reader.tui.widgets.article_body import ArticleBody
from reader.tui.widgets.find_bar import FindBar
from reader.tui.widgets.link_item import LinkItem
from pilot_helpers import lines_of, settle, wait_until


async def open_article(pilot, article_id: str, terms: tuple[str, ...] = ()) -> ArticleScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await settle(pilot)
    from reader.tui.messages import OpenArticle

    app.post_message(OpenArticle(article_id, terms))
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, ArticleScreen)
        and app.screen.article_id == article_id
        and app.screen.article is not None
        and app.screen._related_done,
        what=f"article {article_id}",
    )
    return app.screen


def link_texts(screen: ArticleScreen, container: str) -> list[str]:
    return [item.target.text for item in screen.query_one(container).query(LinkItem)]


async def test_body_is_laid_out_with_title_heading_bullets_and_wrapping(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        body = screen.query_one(ArticleBody)
        lines = lines_of(body)
        assert lines[0] == "Harbour bridge reopens after repairs"
        assert lines[1] == "001_bridge  ·  archive/001_bridge.txt"
        assert "What was repaired" in lines
        bullets = [line for line in lines if line.startswith("• ")]
        assert [line[2:12] for line in bullets] == ["The deck j", "New lighti", "The toll b"]
        # A bullet that wraps continues under its text, not under the bullet.
        second = lines.index(bullets[1])
        assert lines[second + 1].startswith("  ") and lines[second + 1].strip()
        width = body.size.width
        assert all(len(line) <= width for line in lines)
        # The link sections are there as in the article, numbered.
        assert link_texts(screen, "#links") == [
            "Ferry timetable changes for the winter",
            "Harbour bridge closure: announced",
            "Council budget vote",
            "The lost lighthouse of Port Ellen",
            "Notes from the ferry",
        ]
        titles = [str(static.render()) for static in screen.query("#links .section-title")]
        assert titles == ["Related articles", "Blogs"]


async def test_search_words_are_highlighted_and_n_p_step_through_them(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        terms = app.index.search("bridge").terms
        screen = await open_article(pilot, "001_bridge", terms)
        body = screen.query_one(ArticleBody)
        assert body.hit_count == 4  # the title once, the body three times
        assert body.current_hit is None
        await pilot.press("n")
        assert body.current_hit == 0
        await pilot.press("n", "n")
        assert body.current_hit == 2
        await pilot.press("p")
        assert body.current_hit == 1
        await pilot.press("p", "p")  # wraps round to the last
        assert body.current_hit == 3


async def test_next_hit_scrolls_the_hit_into_view(app: ReaderApp) -> None:
    async with app.run_test(size=(40, 12)) as pilot:
        terms = app.index.search("town").terms
        screen = await open_article(pilot, "001_bridge", terms)
        scroll = screen.query_one("#article")
        body = screen.query_one(ArticleBody)
        assert body.hit_count == 1 and scroll.scroll_y == 0
        await pilot.press("n")
        await settle(pilot)
        line = body.line_of_hit(0)
        assert line is not None
        top = body.virtual_region.y + line
        assert scroll.scroll_y <= top < scroll.scroll_y + scroll.scrollable_content_region.height
        assert scroll.scroll_y > 0


async def test_find_box_finds_text_and_escape_closes_it_before_going_back(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        await pilot.press("slash")
        bar = screen.query_one(FindBar)
        assert bar.is_open and isinstance(app.focused, Input)
        await pilot.press(*"DECK")
        body = screen.query_one(ArticleBody)
        assert body.hit_count == 2  # "deck" twice, any case
        assert "2 found" in str(bar.query_one("#find-count").render())
        await pilot.press("enter")
        assert body.current_hit == 0
        assert "1 of 2" in str(bar.query_one("#find-count").render())
        assert app.focused is screen.query_one("#article")
        await pilot.press("n")
        assert body.current_hit == 1
        await pilot.press("escape")
        assert not bar.is_open and body.hit_count == 0
        assert isinstance(app.screen, ArticleScreen)
        # Keys bound on the article (n, p, digits) type into the box while it has the focus.
        await pilot.press("ctrl+f", *"new 1p")
        assert screen.query_one("#find-input", Input).value == "new 1p"
        assert body.hit_count == 0 and body.current_hit is None
        await pilot.press("ctrl+u", *"new")
        assert body.hit_count == 2  # "New lighting", "the news"
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_tab_reaches_the_links_and_enter_follows(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot, "001_bridge")
        await pilot.press("tab")
        assert isinstance(app.focused, LinkItem)
        assert app.focused.target.text == "Ferry timetable changes for the winter"
        await pilot.press("tab", "shift+tab")
        assert app.focused.target.text == "Ferry timetable changes for the winter"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "002_ferry")


async def test_number_key_follows_an_approximate_link_with_a_notice(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        assert screen.query(LinkItem)[1].note == "closest match"
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "003_closure")
        notice = app.screen.query_one("#notice")
        assert notice.display
        assert "closest match" in str(notice.render())
        assert "Harbour bridge closure: announced" in str(notice.render())


async def test_several_targets_open_a_chooser(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        assert screen.query(LinkItem)[2].note == "2 articles"
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        options = app.screen.query_one(OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["004_budget", "005_budget"]
        await pilot.press("escape")  # cancel: stays on the article
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "005_budget")


async def test_dangling_link_says_so_and_offers_a_search_for_its_title(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        lighthouse = screen.query(LinkItem)[3]
        assert lighthouse.note == "not in this archive"
        await pilot.press("4")
        await wait_until(pilot, lambda: isinstance(app.screen, MissingScreen))
        assert "is not in this archive" in str(app.screen.query_one(".dialog-title").render())
        assert isinstance(app.focused, Button) and app.focused.id == "search-title"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("4")
        await wait_until(pilot, lambda: isinstance(app.screen, MissingScreen))
        await pilot.press("enter")
        query = "The lost lighthouse of Port Ellen"
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == query)
        assert app.screen.query_one("#query", Input).value == query
        assert isinstance(app.focused, Input)


async def test_linked_from_lists_backlinks_and_they_are_followable(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        assert link_texts(screen, "#linked-from") == ["Ferry timetable changes for the winter", "Notes from the ferry"]
        notes = screen.query_one("#linked-from").query(LinkItem)[1]
        screen.query_one("#article").scroll_to_widget(notes, animate=False, immediate=True)
        await settle(pilot)
        await pilot.click(notes)
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "006_notes")
        # The closure article is linked to only approximately; that still counts.
        screen = await open_article(pilot, "003_closure")
        assert link_texts(screen, "#linked-from") == ["Harbour bridge reopens after repairs"]
        # An article nothing links to says so.
        screen = await open_article(pilot, "004_budget")  # named by a link with two targets
        assert link_texts(screen, "#linked-from") == ["Harbour bridge reopens after repairs"]
        screen = await open_article(pilot, "007_markup")
        assert link_texts(screen, "#linked-from") == []
        status = screen.query_one("#linked-from .related-status")
        assert "No article in this archive links here." in str(status.render())


async def test_more_like_this_lists_similar_articles_and_they_are_followable(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "003_closure")
        similar = [item.target.targets[0] for item in screen.query_one("#more-like-this").query(LinkItem)]
        assert similar and "003_closure" not in similar
        assert similar == app.index.similar("003_closure", limit=8)
        item = screen.query_one("#more-like-this").query(LinkItem)[0]
        item.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == similar[0])


async def test_markup_in_archive_text_is_shown_literally(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "007_markup")
        lines = lines_of(screen.query_one(ArticleBody))
        assert lines[0] == "Markup [bold]look-alikes[/] in a title"
        text = " ".join(lines)
        assert "[link=https://example.com]not a link[/link] and [/] and [red]plain words[/red]" in text
        link = screen.query_one(LinkItem)
        assert "[b]Bracketed[/b] story that is not here" in str(link.render())
        # The link opens no terminal hyperlink: nothing drawn carries a link style.
        body = screen.query_one(ArticleBody)
        for y in range(body.size.height):
            assert all(segment.style is None or not segment.style.link for segment in body.render_line(y))


async def test_an_article_whose_file_vanished_says_so_instead_of_crashing(own_archive: tuple[Path, Path]) -> None:
    archive, index_dir = own_archive
    ArchiveIndex(archive, index_dir).refresh()
    app = ReaderApp(Library(ArchiveIndex(archive, index_dir)), [])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        (archive / "002_ferry.txt").unlink()  # after the start-up check: the index still names it
        from reader.tui.messages import OpenArticle

        app.post_message(OpenArticle("002_ferry"))
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and "cannot be shown" in str(app.screen.query_one("#problem").render()))
        assert "Ferry timetable changes for the winter" in str(app.screen.query_one("#title").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
