"""The fuzzy words found by rapidfuzz (fast/terms.py) are exactly Whoosh's: those its Levenshtein
automaton accepts (FuzzyTerm, `word~2`), and those its Damerau-Levenshtein `distance` admits (its
corrector on an index of several segments), for words as written with letters beyond ASCII too."""

from __future__ import annotations

import random

from whoosh.automata.lev import levenshtein_automaton
from whoosh.support.levenshtein import distance

from reader.engines.whoosh.fast.terms import (
    ByLength,
    close_terms,
    close_words,
    walk_automaton,
)

LETTERS = "aeionrstlké"  # "é" is two bytes in UTF-8: lengths and prefixes in letters, not bytes


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 9)))


def _lists(rng: random.Random) -> list[list[bytes]]:
    """Two segments' sorted term lists, overlapping."""
    words = {_word(rng) for _ in range(3000)}
    first, second = set(rng.sample(sorted(words), 2000)), set(rng.sample(sorted(words), 2000))
    return [sorted(word.encode("utf-8") for word in part) for part in (first, second)]


def _typo(rng: random.Random, word: str) -> str:
    letters = list(word)
    for _ in range(rng.randint(0, 3)):
        at = rng.randrange(len(letters) + 1)
        kind = rng.choice(("insert", "delete", "replace", "swap"))
        if kind == "insert" or not letters:
            letters.insert(at, rng.choice(LETTERS))
        elif kind == "delete":
            del letters[min(at, len(letters) - 1)]
        elif kind == "replace":
            letters[min(at, len(letters) - 1)] = rng.choice(LETTERS)
        elif len(letters) > 1:
            at = min(at, len(letters) - 2)
            letters[at], letters[at + 1] = letters[at + 1], letters[at]
    return "".join(letters) or "a"


def test_close_terms_are_what_whooshs_automaton_accepts() -> None:
    rng = random.Random(5)
    lists = _lists(rng)
    words = sorted({term.decode("utf-8") for terms in lists for term in terms})
    found_some = 0
    for _ in range(60):
        text = _typo(rng, rng.choice(words))
        for maxdist in (1, 2):
            for prefix in (0, 1, 2):
                if prefix > len(text):
                    continue
                theirs = walk_automaton(levenshtein_automaton(text, maxdist, prefix).to_dfa(), lists)
                assert close_terms(lists, text, maxdist, prefix) == theirs, (text, maxdist, prefix)
                found_some += bool(theirs)
    assert found_some > 100


def test_terms_by_length_are_what_whooshs_automaton_accepts() -> None:
    # Distinct terms of every segment by length, ASCII ones kept as bytes: the same words, for
    # words typed with letters beyond ASCII and without, with a kept prefix and without.
    rng = random.Random(7)
    lists = _lists(rng)
    lists.append(sorted({b"ab", b"abc", "ab\u00e9".encode("utf-8"), b"\x61"}))  # a third, small segment
    by_length = ByLength(lists)
    words = sorted({term.decode("utf-8") for terms in lists for term in terms})
    found_some = beyond_ascii = 0
    for _ in range(80):
        text = _typo(rng, rng.choice(words))
        for maxdist in (1, 2):
            for prefix in (0, 1, 2):
                if prefix > len(text):
                    continue
                theirs = walk_automaton(levenshtein_automaton(text, maxdist, prefix).to_dfa(), lists)
                mine = by_length.within(text, maxdist, prefix)
                assert mine == theirs, (text, maxdist, prefix)
                assert all(type(word) is str for word in mine)
                found_some += bool(theirs)
                beyond_ascii += any(not word.isascii() for word in theirs)
    assert found_some > 150 and beyond_ascii > 20


def test_close_words_with_transpositions_are_what_whooshs_distance_admits() -> None:
    rng = random.Random(6)
    words = sorted({_word(rng) for _ in range(3000)})
    found_some = 0
    for _ in range(100):
        text = _typo(rng, rng.choice(words))
        for maxdist in (1, 2):
            theirs = {word for word in words
                      if abs(len(word) - len(text)) <= maxdist and distance(word, text, limit=maxdist) <= maxdist}
            assert close_words(words, text, maxdist, transpositions=True) == theirs, (text, maxdist)
            found_some += bool(theirs)
    # A swap of two letters is one edit here, two for plain Levenshtein: the two differ.
    assert close_words(["stop"], "tsop", 1, transpositions=True) == {"stop"}
    assert close_words(["stop"], "tsop", 1) == set()
    assert found_some > 100
