"""Choosing terms without Whoosh's term iterators: fuzzy completions by walking Levenshtein
automata over sorted term lists, and the key terms of a text as Whoosh's `more_like` weighs them
(the Bo1 model)."""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import groupby

from reader.core.snippets import MAX_TOKEN, TOKEN
from reader.engines.whoosh.schema import STEMS, STOP_WORDS, stem


def walk_automaton(dfa: object, lists: list[list[bytes]]) -> set[str]:
    """The terms of sorted `lists` (one per segment) that `dfa` accepts, in one walk over them all
    at once (the next term is the least of theirs): the automaton's steps, not the lookups, are
    what cost."""
    found: set[str] = set()
    match = dfa.next_valid_string("\0")  # type: ignore[attr-defined]
    while match:
        wanted = match.encode("utf-8")
        least = None
        for terms in lists:
            at = bisect_left(terms, wanted)
            if at < len(terms) and (least is None or terms[at] < least):
                least = terms[at]
        if least is None:
            break
        term = least.decode("utf-8")
        if match == term:
            found.add(term)
            term += "\0"
        match = dfa.next_valid_string(term)  # type: ignore[attr-defined]
    return found


def close_terms(lists: Iterable[Sequence[bytes]], text: str, maxdist: int, prefix: int,
                transpositions: bool = False) -> set[str]:
    """The terms of sorted `lists` that start with the first `prefix` letters of `text` and are
    within `maxdist` edits of it: Levenshtein's distance (what Whoosh's automaton for FuzzyTerm
    accepts: the same prefix, then at most `maxdist` insertions, deletions and substitutions;
    a shared prefix never changes the distance), or with `transpositions` the restricted
    Damerau-Levenshtein distance of Whoosh's `distance` (its corrector on several segments).
    Measured by rapidfuzz in C over the terms sharing the prefix, each decoded: for two edits and
    a prefix, 2 ms a field on 10k articles where walking the automaton cost 6 (walk_automaton is
    the quicker for one edit, or no prefix); Whoosh's distance in Python cost 0.1-0.3 s a
    suggestion."""
    start = text[:prefix].encode("utf-8")
    found: set[str] = set()
    for terms in lists:
        low = bisect_left(terms, start) if start else 0
        high = bisect_left(terms, start + b"\xff", low) if start else len(terms)  # 0xff never occurs in UTF-8
        found |= close_words((raw.decode("utf-8") for raw in terms[low:high]), text, maxdist, transpositions)
    return found


class ByLength:
    """The distinct terms of one field over every segment, by length in letters: a fuzzy word
    with no kept prefix is compared only with the terms of a length within its edits. ASCII terms
    stay bytes (rapidfuzz compares a byte as the letter it is); the few others are decoded.
    `word~2` on 100k articles: 5-25 ms, where walking the automaton over each segment's list cost
    50-150 (the same term is in most segments)."""

    __slots__ = ("terms",)

    def __init__(self, lists: Iterable[Sequence[bytes]]) -> None:
        # Made in C but for the few terms beyond ASCII: 40-70 ms a field of 100k articles, once.
        self.terms: dict[int, list[bytes | str]] = {}
        terms = self.terms
        for size, group in groupby(sorted(set().union(*lists), key=len), key=len):
            same: list[bytes | str] = list(group)
            if b"".join(same).isascii():  # type: ignore[arg-type]
                terms.setdefault(size, []).extend(same)
                continue
            for term in same:
                if term.isascii():
                    terms.setdefault(size, []).append(term)
                else:
                    word = term.decode("utf-8")  # type: ignore[union-attr]
                    terms.setdefault(len(word), []).append(word)

    def within(self, text: str, maxdist: int, prefix: int) -> set[str]:
        """The terms within `maxdist` edits of `text` that start with its first `prefix` letters
        (what close_terms finds)."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        size = len(text)
        near: list[bytes | str] = []
        for length in range(max(0, size - maxdist), size + maxdist + 1):
            near += self.terms.get(length, ())
        found = process.extract(text, near, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None)
        words = {word if isinstance(word, str) else word.decode("ascii") for word, _distance, _at in found}
        start = text[:prefix]
        return {word for word in words if word.startswith(start)} if start else words


def close_words(words: Iterable[str], text: str, maxdist: int, transpositions: bool = False) -> set[str]:
    """The `words` within `maxdist` edits of `text` (see close_terms)."""
    # Imported here: a search without a fuzzy word never loads rapidfuzz (10 ms at every start).
    from rapidfuzz import process
    from rapidfuzz.distance import OSA, Levenshtein

    size = len(text)
    scorer = OSA.distance if transpositions else Levenshtein.distance
    near = [word for word in words if abs(len(word) - size) <= maxdist]  # never closer than that
    return {word for word, _distance, _at in process.extract(text, near, scorer=scorer, score_cutoff=maxdist, limit=None)}


def word_counts(text: str) -> dict[str, int]:
    """Indexed term -> occurrences in `text`, stop words left out: the words found and counted in
    C, then each distinct one stemmed (half the time of a loop over every word)."""
    occurrences: dict[str, int] = {}
    for word, times in Counter(map(str.lower, TOKEN.findall(text))).items():
        if word in STOP_WORDS or len(word) > MAX_TOKEN:
            continue
        term = STEMS.get(word) or stem(word)
        occurrences[term] = occurrences.get(term, 0) + times
    return occurrences


def bo1(weight: float, collection: float, doccount: int) -> float:
    """Whoosh's Bo1 weight of a term found `weight` times in the text and `collection` times in
    the `doccount` documents."""
    f = collection / doccount
    # Whoosh's expression: math.log2 may differ in the last bit.
    return weight * math.log((1.0 + f) / f, 2) + math.log(1.0 + f, 2)  # noqa: FURB163


def best_key_terms(scored: list[tuple[float, bytes, int]], count: int) -> list[tuple[bytes, float, int]]:
    """The `count` best of (negated weight, term, documents), weights made relative to the best,
    ties by term, as a sort would give them."""
    if not scored:
        return []
    highest = -min(scored)[0] or 1.0
    return [(term, -score / highest, docs) for score, term, docs in heapq.nsmallest(count, scored)]
