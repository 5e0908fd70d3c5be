"""Ctrl+O, "open by title", as a user meets it: words in any order, typos, an exact title first,
the typed words highlighted, and articles sharing a title told apart by id and first line. Also
the matcher on the real titles of the 20 Newsgroups corpus (skipped where it is absent)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pilot_helpers import settle, wait_until
from textual.command import CommandPalette
from textual.content import Content
from tui_archive import ARTICLES

from reader.tui.app import ReaderApp
from reader.tui.palette import FIRST_LINE_CHARS, MAX_TITLE_HITS
from reader.tui.screens.article import ArticleScreen
from reader.tui.title_matching import TitleIndex

NEWSGROUPS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "20newsgroups"


def options(app: ReaderApp) -> list[Content]:
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    listing = palette.query_one("CommandList")
    return [listing.get_option_at_index(i).prompt for i in range(listing.option_count)]


def rows(app: ReaderApp) -> list[tuple[str, str]]:
    """(title, help line) of each hit shown."""
    shown = []
    for prompt in options(app):
        lines = str(prompt).split("\n")
        shown.append((lines[0], lines[1] if len(lines) > 1 else ""))
    return shown


def titles(app: ReaderApp) -> list[str]:
    return [title for title, _ in rows(app)]


async def open_palette(pilot, app: ReaderApp, typed: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*typed)


async def test_words_in_another_order_find_the_title_with_each_word_highlighted(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_palette(pilot, app, "reopens harbour")
        await wait_until(pilot, lambda: titles(app)[:1] == ["Harbour bridge reopens after repairs"], what="the title")
        first = options(app)[0]
        marked = {first.plain[span.start:span.end] for span in first.spans}
        assert {"Harbour", "reopens"} <= marked  # Textual's match style on each typed word, in the title's order
        assert not marked & {"bridge", "after", "repairs"}
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "001_bridge")


async def test_articles_sharing_a_title_show_their_id_and_first_line(app: ReaderApp) -> None:
    async with app.run_test(size=(100, 24)) as pilot:
        await open_palette(pilot, app, "vote budget council")
        await wait_until(pilot, lambda: titles(app)[:2] == ["Council budget vote"] * 2, what="both articles")
        helps = sorted(help_line for _, help_line in rows(app)[:2])
        assert helps[0].startswith("004_budget · Councillors voted on the budget for the coming year.")
        assert helps[1].startswith("005_budget · A second report of the vote: the budget passed")
        for help_line in helps:  # a long first line is cut at a space, with an ellipsis
            assert help_line.endswith("…") and len(help_line) <= len("004_budget · ") + FIRST_LINE_CHARS
            assert help_line.removesuffix("…").split()[-1] in ARTICLES[help_line[:10]]
        # A title no other article has keeps the id alone.
        await pilot.press("ctrl+a", "ctrl+k", *"notes ferry")
        await wait_until(pilot, lambda: titles(app)[:1] == ["Notes from the ferry"], what="the single title")
        assert rows(app)[0][1] == "006_notes"
        # The row chosen opens that article, not the other one.
        await pilot.press("ctrl+a", "ctrl+k", *"council budget vote")
        await wait_until(pilot, lambda: titles(app)[:2] == ["Council budget vote"] * 2, what="both articles again")
        second = rows(app)[1][1].split(" · ")[0]
        listing = app.screen.query_one("CommandList")
        assert listing.highlighted == 0
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == second)


async def test_recent_articles_sharing_a_title_are_told_apart_in_an_empty_box(app: ReaderApp) -> None:
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        for article_id in ("004_budget", "005_budget"):
            app.open_article(article_id)
            await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and len(rows(app)) >= 2)
        assert [help_line.split(" · ")[0] for _, help_line in rows(app)[:2]] == ["005_budget", "004_budget"]
        assert rows(app)[0][1].startswith("005_budget · A second report of the vote")


async def test_a_typo_still_finds_the_title(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_palette(pilot, app, "timetabel fery")
        await wait_until(pilot, lambda: titles(app)[:1] == ["Ferry timetable changes for the winter"], what="the title")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "002_ferry")


async def test_an_exact_title_comes_first(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_palette(pilot, app, "harbour bridge closure announced")
        await wait_until(pilot, lambda: titles(app)[:1] == ["Harbour bridge closure announced"], what="the exact title")
        # Three words: the title with all of them, then the other bridge story (all but one).
        await pilot.press("ctrl+a", "ctrl+k", *"closure bridge harbour")
        await wait_until(pilot, lambda: titles(app)[:2] == ["Harbour bridge closure announced",
                                                            "Harbour bridge reopens after repairs"], what="both")
        # The exact title among longer ones holding its words: "Council budget vote" is a title.
        await pilot.press("ctrl+a", "ctrl+k", *"Council budget vote")
        await wait_until(pilot, lambda: titles(app)[:2] == ["Council budget vote"] * 2, what="the exact title")


# --- the real titles of a corpus ------------------------------------------------------------------


@pytest.fixture(scope="module")
def newsgroup_titles() -> list[tuple[str, str]]:
    if not NEWSGROUPS.is_dir():
        pytest.skip(f"the shared corpora are not here ({NEWSGROUPS} is absent)")
    pairs = []
    for path in sorted(NEWSGROUPS.glob("*.txt")):
        with path.open(encoding="utf-8", errors="replace") as file:
            pairs.append((path.stem, " ".join(file.readline().split())))
    return pairs


@pytest.mark.corpus
@pytest.mark.slow
def test_real_titles_are_found_from_shuffled_words_prefixes_and_a_typo(newsgroup_titles: list[tuple[str, str]]) -> None:
    index = TitleIndex(newsgroup_titles)
    title_of = dict(newsgroup_titles)
    rng = random.Random(12)
    sample = [(aid, title) for aid, title in rng.sample(newsgroup_titles, 300)
              if len([w for w in title.split() if w.isalpha() and len(w) > 5]) >= 2]
    misses: dict[str, list[str]] = {"shuffled": [], "prefixes": [], "typo": []}
    for article_id, title in sample:
        words = [w for w in title.split() if w.isalpha() and len(w) > 5][:3]
        rng.shuffle(words)
        long_word = max(words, key=len)
        typo = long_word[:2] + long_word[3:]  # one letter left out
        queries = {
            "shuffled": " ".join(words),
            "prefixes": " ".join(w[:4] for w in words),
            "typo": " ".join(typo if w == long_word else w for w in words),
        }
        for kind, query in queries.items():
            found = index.search(query, MAX_TITLE_HITS)
            # Found (the same title of another article counts too), or the palette is full of
            # titles matching as well (a thread's replies: the user types one more word).
            floor = 0.25 if kind == "typo" else 0.5
            full = len(found) == MAX_TITLE_HITS and found[-1].score >= floor
            if title not in [title_of[m.article_id] for m in found] and not full:
                misses[kind].append(f"{query!r} -> {title!r}")
    # Every title of the sample is found each way (a miss names the query and the title).
    assert len(sample) > 100
    assert misses == {"shuffled": [], "prefixes": [], "typo": []}
