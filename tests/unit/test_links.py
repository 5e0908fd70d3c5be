"""Link resolution against an in-memory title table: normalisation, duplicates, approximate, dangling."""

from __future__ import annotations

import pytest

from reader.core.links import (
    TitleTable,
    edit_distance_at_most,
    is_close,
    loose_key,
    resolve,
    title_key,
)

TITLES = {
    "a1": "Baby P: Poor practice caused protection failures",
    "a2": "Baby P verdict: Haringey abuse case 'worse than Climbie'",
    "a3": "Beverley Hughes invites Laming to review Climbié progress",
    "a4": "Baby P: Lost confidence",
    "a5": "Baby P: Recruitment impact",
    "d1": "News round up: The case of Baby P",
    "d2": "News round up: the case of Baby P",
    "p1": "Council budget report part 1",
    "p2": "Council budget report part 2",
    "re1": "Re: Accident report",
    "re2": "RE: Accident report",
}


@pytest.fixture
def table() -> TitleTable:
    return TitleTable(TITLES.items())


def test_key_folds_case_quotes_dashes_and_spaces() -> None:
    assert title_key("Baby\u00a0P  verdict – ‘worse’ “than”") == title_key("baby p verdict - 'worse' \"than\"")
    assert title_key("Ｆｕｌｌwidth") == "fullwidth"  # NFKC


def test_exact_after_normalisation_nbsp(table: TitleTable) -> None:
    result = resolve("Baby\u00a0P: Poor practice caused protection failures", table)
    assert result.targets == ("a1",) and not result.approximate


def test_exact_after_normalisation_curly_quotes(table: TitleTable) -> None:
    result = resolve("Baby\u00a0P verdict: Haringey abuse case ‘worse than Climbie’", table)
    assert result.targets == ("a2",) and not result.approximate


def test_several_matches_are_all_offered(table: TitleTable) -> None:
    result = resolve("NEWS ROUND UP: THE CASE OF BABY P", table)
    assert result.targets == ("d1", "d2") and not result.approximate


def test_exact_spelling_wins_among_normalised_matches(table: TitleTable) -> None:
    assert resolve("RE: Accident report", table).targets == ("re2",)
    assert resolve("Re: Accident report", table).targets == ("re1",)


def test_accents_and_punctuation_resolve_approximately(table: TitleTable) -> None:
    result = resolve("Baby P verdict - Haringey abuse case, worse than Climbié", table)
    assert result.targets == ("a2",) and result.approximate


def test_one_letter_typo_resolves_approximately(table: TitleTable) -> None:
    result = resolve("Baby P: Poor practise caused protection failures", table)
    assert result.targets == ("a1",) and result.approximate


def test_no_false_friends_sharing_a_prefix(table: TitleTable) -> None:
    assert resolve("Baby P: Lost interest", table).dangling
    assert resolve("Baby P: Recruitment", table).dangling
    assert resolve("Council budget report part 3", table).dangling


def test_numbered_parts_are_different_stories() -> None:
    assert not is_close(title_key(TITLES["p1"]), title_key(TITLES["p2"]))


def test_short_titles_never_match_fuzzily() -> None:
    assert not is_close("cats", "bats")
    assert not is_close("baby p: lost", "baby p: last")


def test_dangling(table: TitleTable) -> None:
    result = resolve("A story nobody stored", table)
    assert result.dangling and result.targets == () and not result.approximate


def test_loose_key_drops_punctuation_and_accents() -> None:
    assert loose_key("Climbié: ‘worse’!") == "climbieworse"
    assert loose_key("!!!") == ""


def test_edit_distance_bound() -> None:
    assert edit_distance_at_most("kitten", "sitting", 3)
    assert not edit_distance_at_most("kitten", "sitting", 2)
    assert edit_distance_at_most("same", "same", 0)
    assert not edit_distance_at_most("short", "much longer text", 2)


def test_table_adds_titles_later() -> None:
    table = TitleTable()
    assert resolve("Later story", table).dangling
    table.add("x9", "Later story")
    assert resolve("Later story", table).targets == ("x9",)
