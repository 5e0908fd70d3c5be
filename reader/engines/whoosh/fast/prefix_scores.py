"""The scores a short prefix gives every document that has one of its completions, made once per
searcher generation and kept (memory-bounded), so that `word pr` is "the word's documents, looked
up in the prefix's scores" rather than every completion's postings read again.

Type-ahead's slow keys were a whole word followed by a one- or two-letter prefix (`space sh`): the
prefix stands for up to 2,000 terms, and each was read among the word's documents, at every such
key (a few hundred ms on 10k articles, the blocks decoded again each time: they do not fit the
scorer's block cache). The prefix is not scored as a constant here (Whoosh's `pr*` is; reader's
type-ahead ranks the completions by BM25F, tests/engines/test_golden_whoosh.py), so membership is
not enough: each document's sum of its completions' scores is kept, added in the order of the
completions, as the scorer's own reading adds them. The rankings are the same (the 733 keys of a
word and a prefix the benchmark types on 10k articles: the same hits in the same order; scores
within 2e-14 where the reading had sorted its blocks, so added in another order); where the
reading ran out of its budget (a lower bound, flagged), these are every completion's.

They are made when a prefix is asked for among a second set of words' documents (Scorer.
completions_among); the first time, and for prefixes past PREFIX_SCORES_POSTINGS, the completions
are read among the words' documents only (prefix_among.py), which costs less than scoring them all."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection

# Completions' postings (the sum of their document frequencies) a prefix's scores are made from at
# most, on its first use: a two-letter prefix of 10k articles has 50-100k (about 150 ms, the
# cost of reading them among a word's documents once, before); past it the scorer reads the
# completions among the word's documents, bounded (TYPEAHEAD_AMONG_BUDGET), at every use.
PREFIX_SCORES_POSTINGS = 200_000


# Entries (a document and its score: 12 bytes) kept for every prefix of one generation: ~24 MB.
PREFIX_SCORES_KEPT = 2_000_000


# Postings (12 bytes each) whose scores are kept term by term, so that the next letter's prefix
# (`sta` after `st`, its completions among the last one's) adds them up without decoding its
# blocks again: ~18 MB.
TERM_SCORES_KEPT = 1_500_000


class PrefixScores:
    """Docnum -> the summed BM25F scores of a prefix's completions, for every document with one,
    as two sorted arrays (a dict cost ten times the memory)."""

    __slots__ = ("docs", "scores")

    def __init__(self, scores: dict[int, float]) -> None:
        ordered = sorted(scores)
        self.docs = array("i", ordered)
        self.scores = array("d", [scores[docnum] for docnum in ordered])

    def __len__(self) -> int:
        return len(self.docs)

    def among(self, candidates: Collection[int]) -> dict[int, float]:
        """The scores of the `candidates` that have a completion."""
        docs, scores = self.docs, self.scores
        found: dict[int, float] = {}
        if len(candidates) * 8 > len(docs):  # many candidates: walk the prefix's documents
            wanted = candidates if isinstance(candidates, (set, frozenset, dict)) else set(candidates)
            for docnum, score in zip(docs, scores):
                if docnum in wanted:
                    found[docnum] = score
            return found
        end = len(docs)
        for docnum in candidates:
            at = bisect_left(docs, docnum)
            if at < end and docs[at] == docnum:
                found[docnum] = scores[at]
        return found


class TermScores:
    """One term's postings as documents and their (unboosted) scores, in document order."""

    __slots__ = ("docs", "scores")

    def __init__(self) -> None:
        self.docs = array("i")
        self.scores = array("d")

    def __len__(self) -> int:
        return len(self.docs)


def add_up(terms: list[TermScores], scores: dict[int, float] | None = None) -> dict[int, float]:
    """Each document's scores of `terms` added, in their order, into `scores` (as the scorer adds
    a posting's blocks, term after term, into its dict of scores)."""
    scores = {} if scores is None else scores
    get = scores.get
    for term in terms:
        for docnum, score in zip(term.docs, term.scores):
            scores[docnum] = get(docnum, 0.0) + score
    return scores


class Kept:
    """Prefix scores or term scores of one generation, the least recently used dropped past
    `kept` entries."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._held: OrderedDict[object, PrefixScores | TermScores] = OrderedDict()
        self._entries = 0

    def get(self, key: object) -> PrefixScores | TermScores | None:
        found = self._held.get(key)
        if found is not None:
            self._held.move_to_end(key)
        return found

    def put(self, key: object, value: PrefixScores | TermScores) -> None:
        if key in self._held or len(value) > self.kept:
            return
        self._held[key] = value
        self._entries += len(value)
        while self._entries > self.kept:
            _, oldest = self._held.popitem(last=False)
            self._entries -= len(oldest)

    @property
    def entries(self) -> int:
        return self._entries

    def __len__(self) -> int:
        return len(self._held)
