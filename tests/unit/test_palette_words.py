"""Ctrl+O "open by title" finds a title from its words in any order (palette.match_title)."""

from __future__ import annotations

from reader.tui.palette import best_titles, match_title


def test_words_in_any_order_find_the_title() -> None:
    found = match_title("bridge harbour", "Harbour bridge reopens")
    assert found is not None
    assert found[1] == list(range(7)) + list(range(8, 14))
    found = match_title("reop harb", "Harbour bridge reopens")
    assert found is not None and found[1] == list(range(4)) + list(range(15, 19))
    assert match_title("bridge ferry", "Harbour bridge reopens") is None


def test_words_in_the_titles_order_rank_first() -> None:
    in_order = match_title("harbour bridge", "Harbour bridge reopens")
    swapped = match_title("bridge harbour", "Harbour bridge reopens")
    assert in_order is not None and swapped is not None and in_order[0] > swapped[0]
    best = best_titles("vote council", [("a", "Council budget vote"), ("b", "Budget"), ("c", "Council vote")], limit=5)
    assert [article_id for _, article_id, _, _ in best] == ["c", "a"]


def test_a_word_is_not_found_twice_in_one_place() -> None:
    assert match_title("bridge bridge", "Harbour bridge reopens") is None
