"""Snippets and highlighting: where a query's indexed word forms occur in an article's text, and
the window of a result row richest in them. The engine gives its stemmer (`stem`: a word, lower
case, to its indexed form), so the words marked are the words it matched."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from reader.core.types import Snippet

Stem = Callable[[str], str]

MARK_START, MARK_END = "\x02", "\x03"  # article text never holds control characters (article.safe_text)


# The analyzer's own tokens, lower-casing, length limit and (cached) stemmer, applied with one regex
# pass over the text: Whoosh's highlighter builds a Token object through five generator filters
# for every word, which made a snippet cost 2-3 ms on a long article.
TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")  # whoosh.analysis.tokenizers.default_pattern


MAX_TOKEN = 64


PREFIX = "*"
"""A page's term ending so stands for the words that start with the rest ("pr*"), in every engine:
one that looks a prefix up as one term has no list of its completions to give (no index term
holds a `*`)."""


@lru_cache(maxsize=64)
def _prefixes(termset: frozenset[str]) -> tuple[str, ...]:
    """The prefixes among a query's terms: the rows of one page share them."""
    return tuple(term[:-1] for term in termset if term.endswith(PREFIX))


def _term_places(text: str, termset: frozenset[str], stem: Stem) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word of `text` whose indexed form is in `termset`, or that
    starts with one of its prefixes (PREFIX)."""
    if not termset:
        return []
    places: list[tuple[int, int, str]] = []
    lowered = text.lower()
    starts = _prefixes(termset)
    if len(lowered) != len(text):  # a letter whose lower case is longer: offsets would drift
        for match in TOKEN.finditer(text):
            word = match.group().lower()
            if len(word) <= MAX_TOKEN and (stem(word) in termset or (starts and word.startswith(starts))):
                places.append((match.start(), match.end(), stem(word)))
        return places
    # Stemming keeps a word's first two letters, so only words starting like a term are stemmed;
    # a pattern of literal beginnings lets the regex engine skip the rest of the text in C.
    for match in _pattern_for(termset).finditer(lowered):
        start = match.start()
        if start and _inside_word(lowered, start):
            continue
        word = match.group()
        if len(word) <= MAX_TOKEN:
            term = stem(word)
            if term in termset or (starts and word.startswith(starts)):
                places.append((start, match.end(), term))
    return places


def _inside_word(text: str, at: int) -> bool:
    """Whether `at` is inside one of the analyzer's tokens (`\\w+(\\.?\\w+)*`) rather than at its start."""
    before = text[at - 1]
    if before.isalnum() or before in "_*":
        return True
    return before == "." and at > 1 and (text[at - 2].isalnum() or text[at - 2] in "_*")


@lru_cache(maxsize=64)
def _pattern_for(termset: frozenset[str]) -> re.Pattern[str]:
    """The `_beginnings` pattern of a query's terms: the rows of one page share it, and a prefix
    typed brings thousands of completions, whose beginnings cost more to gather than to match."""
    return _beginnings(frozenset(term[:2] for term in termset))


@lru_cache(maxsize=256)
def _beginnings(beginnings: frozenset[str]) -> re.Pattern[str]:
    """Lower-case words starting with one of `beginnings`, to the end of the token."""
    alternatives = "|".join(re.escape(b) for b in sorted(beginnings, key=lambda b: (-len(b), b)) if b)
    return re.compile(r"(?:%s)[\w*]*(?:\.?[\w*]+)*" % alternatives)


def make_snippet(text: str, terms: Iterable[str], stem: Stem, width: int = 160) -> Snippet:
    """The part of `text` richest in `terms` (indexed word forms), with their places marked."""
    return snippet_around(text, _term_places(text, frozenset(terms), stem), width)


def snippet_around(text: str, places: list[tuple[int, int, str]], width: int = 160) -> Snippet:
    """The window of `width` characters of `text` holding the most different terms (then the
    most places) of `places` — (start, end, term), in order — begun and ended at word breaks,
    whitespace collapsed, the places marked. Every engine's snippets are cut here."""
    if not places:
        return Snippet(" ".join(text[: width * 2].split())[:width])
    best = (0, 0, 0)  # (distinct terms, places, -index of the first place)
    best_first = best_last = 0
    last = 0
    for first in range(len(places)):
        limit = places[first][0] + width
        last = max(last, first)
        while last + 1 < len(places) and places[last + 1][1] <= limit:
            last += 1
        inside = places[first : last + 1]
        score = (len({place[2] for place in inside}), len(inside), -first)
        if score > best:
            best, best_first, best_last = score, first, last
    chosen = places[best_first : best_last + 1]
    used = chosen[-1][1] - chosen[0][0]
    lead = max(0, (width - used) // 3)
    start = max(0, chosen[0][0] - lead)
    if start:  # begin at a word
        space = text.find(" ", start, chosen[0][0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + max(width, used))
    if end < len(text):
        space = text.rfind(" ", chosen[-1][1], end)
        end = space if space >= 0 else max(end, chosen[-1][1])
    pieces: list[str] = []
    cursor = start
    for place_start, place_end, _ in chosen:
        pieces += [text[cursor:place_start], MARK_START, text[place_start:place_end], MARK_END]
        cursor = place_end
    pieces.append(text[cursor:end])
    return _unmark(" ".join("".join(pieces).split()))


def highlight_spans(text: str, terms: Iterable[str], stem: Stem) -> list[tuple[int, int]]:
    """Where `terms` (indexed word forms) occur in `text`: for highlighting a whole article."""
    return [(start, end) for start, end, _ in _term_places(text, frozenset(terms), stem)]


def _unmark(marked: str) -> Snippet:
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for part in re.split(f"([{MARK_START}{MARK_END}])", marked):
        if part == MARK_START:
            start = length
        elif part == MARK_END:
            spans.append((start, length))
        else:
            plain.append(part)
            length += len(part)
    return Snippet("".join(plain), tuple(spans))
