"""Back and forward like a browser, and the recent articles: pure data, no terminal."""

from __future__ import annotations

import pytest

from reader.core.history import ArticlePlace, History, Recent, SearchPlace


def test_empty_history_goes_nowhere() -> None:
    history: History[str] = History()
    assert history.current is None
    assert not history.can_go_back and not history.can_go_forward
    assert history.back() is None and history.forward() is None


def test_back_and_forward_walk_the_visited_places() -> None:
    history: History[str] = History()
    for place in "abc":
        history.visit(place)
    assert history.current == "c"
    assert history.back() == "b"
    assert history.back() == "a"
    assert history.back() is None and history.current == "a"
    assert history.forward() == "b"
    assert history.forward() == "c"
    assert history.forward() is None and history.current == "c"


def test_visiting_after_going_back_drops_the_forward_places() -> None:
    history: History[str] = History()
    for place in "abc":
        history.visit(place)
    history.back()
    history.back()
    history.visit("d")
    assert list(history) == ["a", "d"]
    assert not history.can_go_forward
    assert history.back() == "a"


def test_replace_updates_the_current_place_only() -> None:
    history: History[ArticlePlace] = History()
    history.visit(ArticlePlace("a"))
    history.visit(ArticlePlace("b"))
    history.back()
    history.replace(ArticlePlace("a", scroll_y=12.0))
    assert history.current == ArticlePlace("a", scroll_y=12.0)
    assert history.forward() == ArticlePlace("b")


def test_replace_on_an_empty_history_visits() -> None:
    history: History[str] = History()
    history.replace("a")
    assert history.current == "a" and len(history) == 1


def test_the_oldest_places_are_forgotten_past_the_limit() -> None:
    history: History[int] = History(limit=3)
    for place in range(5):
        history.visit(place)
    assert list(history) == [2, 3, 4]
    assert history.back() == 3 and history.back() == 2 and history.back() is None


def test_a_history_holds_at_least_one_place() -> None:
    with pytest.raises(ValueError):
        History(limit=0)


def test_places_keep_what_a_screen_needs_to_come_back() -> None:
    search = SearchPlace("bridge", highlighted=3, scroll_y=4.0)
    article = ArticlePlace("001", terms=("bridg",), scroll_y=20.0, notice="approximate")
    history: History[SearchPlace | ArticlePlace] = History()
    history.visit(search)
    history.visit(article)
    assert history.back() == SearchPlace("bridge", 3, 4.0)
    assert history.forward() == article


def test_recent_is_most_recent_first_without_repeats_and_bounded() -> None:
    recent = Recent(limit=3)
    for article_id in ["a", "b", "a", "c", "d"]:
        recent.add(article_id)
    assert list(recent) == ["d", "c", "a"]
    assert len(recent) == 3
