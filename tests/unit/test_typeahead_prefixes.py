"""What a prefix stands for (prefixes.py) is the same set and order as the plain rule says: the
stems of the words written with the prefix (each segment's list repeating them), and the prefix
itself as a word, commonest first, ties by term, at most PREFIX_MAX_CANDIDATES, across fields."""

from __future__ import annotations

import random

from reader.engines.whoosh import prefixes
from reader.engines.whoosh.prefixes import PREFIX_MAX_CANDIDATES, candidates, expansion
from reader.engines.whoosh.schema import ANALYZER, stem


def _plain(prefix: str, written: list[str], stemmed: list[str], frequency) -> list[tuple[int, str]]:
    terms = {stem(word) for word in written} or set(stemmed)
    terms.update(token.text for token in ANALYZER(prefix))
    found = [(frequency(term), term) for term in terms if frequency(term) > 0]
    found.sort(key=lambda pair: (-pair[0], pair[1]))
    return found[:PREFIX_MAX_CANDIDATES]


def _counter(counts: dict[str, int]):
    return lambda term: counts.get(term, 0)


def _words(rng: random.Random, prefix: str, count: int) -> list[str]:
    endings = ["", "s", "ing", "ed", "er", "ers", "ation", "ly", "ness"]
    return [prefix + "".join(rng.choice("aeioulnrst") for _ in range(rng.randint(0, 5))) + rng.choice(endings)
            for _ in range(count)]


def test_candidates_are_the_plain_rules(monkeypatch) -> None:
    rng = random.Random(31)
    for round_ in range(60):
        prefix = rng.choice(["st", "co", "trad", "fer", "q"])
        words = _words(rng, prefix, rng.choice((0, 3, 40, 400)))
        written = words * rng.choice((1, 3))  # the segments' lists repeat their words
        rng.shuffle(written)
        stemmed = sorted({stem(word) for word in _words(rng, prefix, 20)})
        counts = {term: rng.choice((0, 1, 1, 2, 5, 40)) for term in {stem(w) for w in words + stemmed} | {prefix}}
        frequency = _counter(counts)
        if round_ % 10 == 0:
            monkeypatch.setattr(prefixes, "PREFIX_MAX_CANDIDATES", 7)  # the cut falls among ties
        else:
            monkeypatch.setattr(prefixes, "PREFIX_MAX_CANDIDATES", PREFIX_MAX_CANDIDATES)
        expected = _plain(prefix, written, stemmed, frequency)[: prefixes.PREFIX_MAX_CANDIDATES]
        assert candidates(prefix, iter(written), iter(stemmed), frequency) == expected


def test_expansion_ranks_both_fields_together() -> None:
    rng = random.Random(32)
    words = {"title": _words(rng, "st", 50), "body": _words(rng, "st", 300)}
    counts = {(field, stem(word)): rng.choice((1, 2, 3, 9)) for field in words for word in words[field]}
    found = expansion("st", ["title", "body"], lambda field, prefix: iter(words.get(field.removeprefix("spell_"), [])),
                      lambda field, term: counts.get((field, term), 0))
    expected = sorted(((count, field, term) for (field, term), count in counts.items()), key=lambda item: (-item[0], item[1], item[2]))
    assert found == expected[:PREFIX_MAX_CANDIDATES] and len(found) > 100
