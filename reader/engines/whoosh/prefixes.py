"""What a prefix stands for, one policy for Whoosh's queries and the fast scorer: the index terms
(stems) of the words as written that start with it, and which of them a bounded search reads.

The title and body are indexed as stems, so a prefix of the stems alone misses words whose stem
is not a prefix of them ("instabi" is the start of "instability", indexed "instabl"; "tradin" of
"trading", indexed "trade"). Whoosh keeps the words as written in a spelling field beside each
stemmed field (`spell_title`, `spell_body`, from `spelling=True`); a prefix walks those and stands
for their stems, which is how a word typed whole already searches.

A prefix of two or three letters (schema.STARTS_LENGTHS) is not expanded at all: the index holds
each word's beginnings as terms of their own (`title_starts`, `body_starts`), so `st` is one term
read as a word is, where its 2,000 completions were 7,900 posting lists to read at 100k articles.
Its documents are those with a word as written (no stop word) that starts so, as the expansion's
are, but for a stem shorter than the prefix ("ti" of "ties" made `tie` find "Ti"); it is scored as
one term (BM25F of how many words start so)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from reader.engines.whoosh.schema import (
    ANALYZER,
    STARTS_FIELDS,
    STARTS_LENGTHS,
    STOP_WORDS,
    stem,
)

# A bounded prefix reads its commonest terms, at most this many, while their postings fit the
# budget (the first always); past that the count of matches is only a lower bound.
PREFIX_MAX_TERMS = 32


PREFIX_POSTINGS_BUDGET = 8000


# The terms a prefix may stand for at most, commonest first, when every one is looked for among
# the few documents the other words of a query allow (a 2-letter prefix of 20 Newsgroups has
# about 1,300 stems; a rare one is what the other words need, so the cap is generous).
PREFIX_MAX_CANDIDATES = 2000


SPELLING_PREFIX = "spell_"


T = TypeVar("T")


def starts_field(fieldname: str, prefix: str, names: Iterable[str]) -> str | None:
    """The field of word beginnings that holds `prefix` as one term (schema.STARTS_FIELDS) for a
    prefix of `fieldname`, when the index (its field `names`) has it; else None, and the prefix
    stands for its completions. The two agree: a beginning is a word as written (no stop word)
    cut short, and a document with a word as written that starts so has its stem."""
    starts = STARTS_FIELDS.get(fieldname)
    if starts is None or len(prefix) not in STARTS_LENGTHS or starts not in names:
        return None
    return starts


def spelling_field(fieldname: str) -> str:
    """The field of the words of `fieldname` as written (Whoosh's name for it)."""
    return SPELLING_PREFIX + fieldname


def candidates(prefix: str, written: Iterable[str], stemmed: Iterable[str],
               frequency: Callable[[str], int]) -> list[tuple[int, str]]:
    """(doc frequency, index term) of every term `prefix` stands for in one field, commonest first:
    the stems of the `written` words that start with it, or, for a field with no spelling list,
    the `stemmed` terms that do; and the prefix's own term, as a whole word. Terms no live document has (the spelling list keeps the words of
    deleted articles) are left out."""
    # Each segment lists its words: a word is stemmed once, however many segments have it.
    terms = {stem(word) for word in set(written)}
    if not terms:
        terms = set(stemmed)
    # The word as typed may be whole: "ferries" finds "ferry" (both "ferri"), as the word would.
    terms.update(token.text for token in ANALYZER(prefix))
    # Sorted as (-frequency, term) tuples, commonest first: the order of a key of those, sooner.
    ranked = sorted((-count, term) for count, term in ((frequency(term), term) for term in terms) if count > 0)
    return [(-negative, term) for negative, term in ranked[:PREFIX_MAX_CANDIDATES]]


def choose(ranked: Sequence[tuple[int, T]], budget: int | None = None) -> tuple[list[T], bool]:
    """The terms a bounded search reads for a prefix's `ranked` candidates (commonest first):
    the commonest while their postings fit `budget` (PREFIX_POSTINGS_BUDGET), at most
    PREFIX_MAX_TERMS, the first always; and whether all were."""
    chosen: list[T] = []
    left = PREFIX_POSTINGS_BUDGET if budget is None else budget
    max_terms = PREFIX_MAX_TERMS
    for frequency, term in ranked:
        if chosen and (len(chosen) >= max_terms or frequency > left):
            return chosen, False
        chosen.append(term)
        left -= frequency
    return chosen, True


def may_be_stop_word(prefix: str) -> bool:
    """Whether `prefix` may be the start of a stop word (which no index holds) being typed."""
    return any(word.startswith(prefix) for word in STOP_WORDS)


def expansion(prefix: str, fieldnames: Iterable[str], prefixed: Callable[[str, str], Iterable[str]],
              frequency: Callable[[str, str], int]) -> list[tuple[int, str, str]]:
    """(doc frequency, field, term) of every term `prefix` stands for in `fieldnames`, commonest
    first; `prefixed(field, prefix)` lists a field's terms that start with it, `frequency(field,
    term)` counts the documents with a term."""
    found: list[tuple[int, str, str]] = []
    for fieldname in fieldnames:
        ranked = candidates(
            prefix,
            prefixed(spelling_field(fieldname), prefix),
            prefixed(fieldname, prefix),
            lambda term, name=fieldname: frequency(name, term),  # type: ignore[misc]
        )
        found += [(-count, fieldname, term) for count, term in ranked]
    found.sort()  # (-frequency, field, term): commonest first
    return [(-negative, fieldname, term) for negative, fieldname, term in found[:PREFIX_MAX_CANDIDATES]]
