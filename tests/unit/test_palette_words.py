"""Ctrl+O "open by title" matching (reader.tui.title_matching, rapidfuzz): words in any order,
prefixes while typing, typos, and the tiers (exact, every word, typos, all but one)."""

from __future__ import annotations

from reader.tui.title_matching import TitleIndex, match_spans, normalise

TITLES = [
    ("001", "Harbour bridge reopens"),
    ("002", "Bridge over the harbour"),
    ("003", "Ferry timetable changes for the winter"),
    ("004", "Council budget vote"),
    ("005", "Budget"),
    ("006", "Council vote"),
    ("007", "Coffee from Brazil"),
    ("008", "Brazil coffee prices"),
    ("009", "Brazil"),
    ("010", "Council budget vote"),
    ("011", "COUNCIL  budget, vote!"),
]


def ids(index: TitleIndex, query: str, limit: int = 20) -> list[str]:
    return [match.article_id for match in index.search(query, limit)]


def test_words_in_any_order_find_the_title_and_highlight_each_word() -> None:
    index = TitleIndex(TITLES)
    assert set(ids(index, "coffee brazil")[:2]) == set(ids(index, "brazil coffee")[:2]) == {"007", "008"}
    found = {m.article_id: m for m in index.search("bridge harbour", 5)}
    assert match_spans("Harbour bridge reopens", found["001"].words) == [(0, 7), (8, 14)]
    found = {m.article_id: m for m in index.search("reop harb", 5)}
    assert match_spans("Harbour bridge reopens", found["001"].words) == [(0, 4), (15, 19)]


def test_the_words_in_the_titles_order_rank_first() -> None:
    index = TitleIndex(TITLES)
    assert ids(index, "harbour bridge")[0] == "001"
    assert ids(index, "bridge over harb")[0] == "002"
    assert ids(index, "brazil coffee")[0] == "008"
    assert ids(index, "coffee brazil")[0] == "007"


def test_an_exact_title_comes_first_then_titles_with_every_word() -> None:
    index = TitleIndex(TITLES)
    assert ids(index, "brazil")[:1] == ["009"]
    assert ids(index, "budget")[0] == "005"
    # "Council vote" (every word, nothing else) before "Council budget vote"; "Budget" lacks both.
    found = ids(index, "vote council")
    assert found[0] == "006" and set(found[1:4]) == {"004", "010", "011"} and "005" not in found


def test_each_prefix_while_typing_keeps_the_title_near_the_top() -> None:
    index = TitleIndex(TITLES)
    typed = "ferry timetable"
    for end in range(2, len(typed) + 1):
        assert ids(index, typed[:end])[:1] == ["003"], typed[:end]


def test_a_typo_still_finds_the_title_below_titles_with_every_word() -> None:
    index = TitleIndex(TITLES)
    assert ids(index, "fery tmtable")[0] == "003"
    assert ids(index, "harbuor bridge")[:2] == ["001", "002"]
    scores = {m.article_id: m.score for m in index.search("brige", 10)}
    assert set(scores) >= {"001", "002"}
    assert max(scores.values()) < 0.75  # the typo tier: below every title holding the words as typed
    assert min(m.score for m in index.search("bridge", 10)) > 0.5


def test_all_but_one_word_is_the_last_resort() -> None:
    index = TitleIndex(TITLES)
    found = index.search("harbour bridge zebra", 10)
    assert {m.article_id for m in found} == {"001", "002"}
    assert all(m.score < 0.25 for m in found)
    assert index.search("zzzz qqqq", 10) == []
    assert index.search("  ", 10) == [] and index.search("?!", 10) == []


def test_scores_are_ordered_between_0_and_1_and_the_limit_holds() -> None:
    index = TitleIndex(TITLES + [(f"x{n}", f"Council budget vote {n}") for n in range(100)])
    found = index.search("council", 7)
    assert len(found) == 7
    assert all(0 <= m.score <= 1 for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert found[0].article_id == "006"  # the fewest other words


def test_repeated_titles_are_the_same_normalised_title() -> None:
    index = TitleIndex(TITLES)
    assert normalise("COUNCIL  budget, vote!") == "council budget vote"
    assert index.shares_title("004") and index.shares_title("010") and index.shares_title("011")
    assert not index.shares_title("006") and not index.shares_title("missing")
    exact = index.search("council budget vote", 5)
    assert {m.article_id for m in exact[:3]} == {"004", "010", "011"}
    assert all(m.score > 0.75 for m in exact[:3])


def test_highlighting_follows_the_title_as_written() -> None:
    assert match_spans("Brazil: coffee (prices)", {"coffee": 3, "prices": 6}) == [(8, 11), (16, 22)]
    assert match_spans("Straße", {"straße": 6}) == [(0, 6)]
    assert match_spans("Nothing here", {}) == []
