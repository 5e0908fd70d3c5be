"""Whoosh's "did you mean" suggestions from the fast scorer's in-memory term lists.

Whoosh's ReaderCorrector asks its reader for the words of a field's spelling list within so many
edits (`terms_within`): on an index of one segment by walking a Levenshtein automaton over the
terms file, on an index of several (a MultiReader) by computing Whoosh's Damerau-Levenshtein
distance to every word that shares the kept prefix, read through its term cursor. Both cost
0.1-1.4 s on 10k articles. This corrector finds the same words, the same way for each kind of
reader, over the term lists in memory, and ranks them as ReaderCorrector does."""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.reading import SegmentReader
from whoosh.spelling import Corrector

from reader.engines.whoosh.fast.format import Unsupported
from reader.engines.whoosh.fast.terms import close_words


class FastCorrector(Corrector):
    """ReaderCorrector for one field, its words from `scorer`'s term lists."""

    def __init__(self, scorer: object, fieldname: str) -> None:
        self.scorer = scorer
        self.fieldname = fieldname
        reader = scorer.searcher.reader()  # type: ignore[attr-defined]
        self.spellfield = reader.schema[fieldname].spelling_fieldname(fieldname)
        self.automaton = isinstance(reader, SegmentReader)  # Whoosh's SegmentReader.terms_within

    def terms_within(self, text: str, maxdist: int, prefix: int) -> set[str]:
        """The words of the spelling list within `maxdist` edits of `text`, as the reader's own
        `terms_within` finds them."""
        scorer = self.scorer
        if self.automaton:
            return scorer.within(self.spellfield, text, maxdist, prefix)  # type: ignore[attr-defined, no-any-return]
        # IndexReader.terms_within: every word starting with text[:prefix] whose distance is at
        # most maxdist (a distance is never below the difference in length).
        # Whoosh's distance is the restricted Damerau-Levenshtein one, measured here by rapidfuzz
        # (terms.close_words: 0.1-0.3 s a suggestion in Python, a few ms in C).
        words = set(scorer.prefixed(self.spellfield, text[:prefix]))  # type: ignore[attr-defined]
        return close_words(words, text, maxdist, transpositions=True)

    def _suggestions(self, text: str, maxdist: int, prefix: int) -> Iterator[tuple[float, str]]:
        weight = self.scorer.weight  # type: ignore[attr-defined]
        for word in self.terms_within(text, maxdist, prefix):
            # ReaderCorrector's ranking: the frequency of the word in the field itself.
            frequency = weight(self.fieldname, word.encode("utf-8")) or 1
            yield 0 - (maxdist + (1.0 / frequency * 0.5)), word


def correctors(scorer: object, fieldnames: tuple[str, ...]) -> dict[str, Corrector]:
    """A FastCorrector for each of `fieldnames` that has a spelling list; `Unsupported` when the
    scorer cannot read one."""
    found: dict[str, Corrector] = {}
    schema = scorer.searcher.schema  # type: ignore[attr-defined]
    for fieldname in fieldnames:
        if fieldname not in schema:
            raise Unsupported(f"no field {fieldname}")
        found[fieldname] = FastCorrector(scorer, fieldname)
    return found
