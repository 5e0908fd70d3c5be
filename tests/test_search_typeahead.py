"""Type-ahead finds a word typed whole even when its indexed stem is not a prefix of it."""

from __future__ import annotations


def test_whole_word_whose_stem_is_not_its_prefix(make_index, write) -> None:
    write("001_a", "Ferry timetable", ["The ferry sails at noon from the city quay."])
    write("002_b", "Bridge repairs", ["The bridge is shut."])
    index = make_index()
    for typed in ["fer", "ferr", "ferry", "ferries"]:
        assert [h.id for h in index.search(typed, typeahead=True).hits] == ["001_a"], typed
    assert [h.id for h in index.search("city", typeahead=True).hits] == ["001_a"]


def test_a_trailing_space_ends_the_word_being_typed(make_index, write) -> None:
    write("001_a", "Harbour news", ["The harbour is busy."])
    index = make_index()
    assert index.search("harbo", typeahead=True).total == 1
    page = index.search("harbo ", typeahead=True)  # a whole word now: no prefix match
    assert page.total == 0
    assert page.suggestion == "harbour"
