"""TitleTable's maps: ids by key as a list per key gives them, close titles as the textbook edit distance finds them."""

from __future__ import annotations

import random
from collections import defaultdict

from reader.core.links import (
    MAX_EDITS,
    MIN_FUZZY_LENGTH,
    TitleTable,
    edit_distance_at_most,
    loose_of_key,
    title_key,
)
from reader.core.title_keys import KeyedIds

_PIECES = ["Re:", "re:", "RE:", "Budget", "budget", "vote", "Café", "cafe", "“quoted”", '"quoted"', "a\u00a0b", "x_y",
           "—", "-", "…", "...", "`tick`", "'tick'", "\t", "  ", "\x00", "Ünïcödé", "42", "4.2", "!?", "", "ＦＵＬＬ"]


def _titles(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 5))) for _ in range(count)]


def test_keyed_ids_equal_lists_per_key() -> None:
    rng = random.Random(7)
    for _ in range(50):
        keyed, reference = KeyedIds(), defaultdict(list)
        for _ in range(rng.randint(1, 4)):  # the first extend fills an empty map, later ones add to it
            keys = [rng.choice("abcdefgh") * rng.randint(1, 2) for _ in range(rng.randint(0, 30))]
            ids = [f"id{rng.randint(0, 99):02d}" for _ in keys]
            keyed.extend(keys, ids)
            for key, article_id in zip(keys, ids):
                reference[key].append(article_id)
        assert sorted(keyed.keys()) == sorted(reference)
        for key in "abcdefghz":
            assert keyed.get(key) == tuple(sorted(reference.get(key, ())))
            assert sorted(keyed.ids_of(key)) == sorted(reference.get(key, ()))


def test_title_table_lookups_equal_one_title_at_a_time() -> None:
    rng = random.Random(11)
    titles = _titles(rng, 2000)
    pairs = [(f"{number:05d}", title) for number, title in enumerate(titles)]
    table = TitleTable(pairs[:1500])
    assert table.ids_for_key("zzz") == ()  # keys the first 1,500
    for pair in pairs[1500:]:  # then titles added later, as a refresh does
        table.add(*pair)
    by_key: dict[str, list[str]] = defaultdict(list)
    by_loose: dict[str, list[str]] = defaultdict(list)
    for article_id, title in pairs:
        by_key[title_key(title)].append(article_id)
        if loose_of_key(title_key(title)):
            by_loose[loose_of_key(title_key(title))].append(article_id)
    assert any(len(ids) > 1 for ids in by_key.values())  # repeated titles are in the test
    for key, ids in by_key.items():
        assert table.ids_for_key(key) == tuple(sorted(ids))
    for loose, ids in by_loose.items():
        assert table.ids_for_loose(loose) == tuple(sorted(ids))
    assert table.ids_for_loose("") == ()
    # similar_titles: every stored title within MAX_EDITS edits of the key, nearest first
    long_titles = [f"The harbour bridge {word} report" for word in ("vote", "note", "voter", "votes", "boat", "vetoes")]
    table = TitleTable([*pairs, *((f"9{number:04d}", title) for number, title in enumerate(long_titles))])
    every = list(table.items())
    for text in [*long_titles, "the harbour bridge vote reports", "THE HARBOUR BRIDGE VOTE REPORT", "short"]:
        key = title_key(text)
        expected = sorted((_distance(key, title_key(title)), article_id) for article_id, title in every
                          if len(key) >= MIN_FUZZY_LENGTH and _distance(key, title_key(title)) <= MAX_EDITS)
        assert table.similar_titles(text, 12) == [(article_id, table.title_of(article_id)) for _, article_id in expected[:12]]
    assert [title for _, title in table.similar_titles("The harbour bridge vote report", 12)][:1] == [long_titles[0]]


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, the textbook way (the reference for rapidfuzz's)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def test_edit_distance_at_most_is_the_textbook_distance() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        a = "".join(rng.choice("abc é") for _ in range(rng.randint(0, 9)))
        b = "".join(rng.choice("abc é") for _ in range(rng.randint(0, 9)))
        limit = rng.randint(0, 3)
        assert edit_distance_at_most(a, b, limit) == (_distance(a, b) <= limit), (a, b, limit)
