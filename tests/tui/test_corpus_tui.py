"""The TUI on the real 20newsgroups corpus (9,962 articles): listing, search, open, follow, back."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.tui.app import ReaderApp
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.search import SearchScreen
from reader.core.library import Library
from reader.engines.whoosh.index import ArchiveIndex
from reader.tui.widgets.link_item import LinkItem
from reader.tui.widgets.result_list import ResultList
from pilot_helpers import settle, wait_until

NEWSGROUPS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "20newsgroups"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not NEWSGROUPS.is_dir(), reason=f"the shared corpora are not here ({NEWSGROUPS} is absent)"),
]


@pytest.fixture(scope="module")
def newsgroups_index(newsgroups_index_dir: Path) -> tuple[Path, Path]:
    """(archive, index folder): the session's one index of the corpus (tests/conftest.py)."""
    return NEWSGROUPS, newsgroups_index_dir


async def test_search_open_follow_and_back_on_the_corpus(newsgroups_index: tuple[Path, Path]) -> None:
    app = ReaderApp(Library(ArchiveIndex(*newsgroups_index)), [])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "", timeout=30)
        results = app.screen.query_one(ResultList)
        assert results.count == 9962
        await pilot.press("tab", "end")
        await wait_until(pilot, lambda: (hit := results.hit_at(9961)) is not None and hit.snippet is not None)
        await pilot.press("shift+tab", *"space shuttle")
        await wait_until(pilot, lambda: app.screen.shown_query == "space shuttle", timeout=30)
        assert results.count > 10
        # Open hits until one has a link that leads to a single article, and follow it.
        for row in range(10):
            results.highlighted = row
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen._related_done, timeout=30)
            followable = [item for item in app.screen.query(LinkItem) if len(item.target.targets) == 1]
            if followable:
                break
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        else:
            pytest.fail("none of the first ten hits has a followable link")
        article = app.screen
        target = followable[0].target.targets[0]
        followable[0].focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == target and app.screen.article is not None, timeout=30)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == article.article_id)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "space shuttle")
        await settle(pilot)
