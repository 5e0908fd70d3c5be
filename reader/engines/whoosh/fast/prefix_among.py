"""The completions of the word being typed looked for among the documents the other words chose,
every completion and exactly (no budget), each term's hits among them kept for the next letters.

`yift fr` at 100k articles: the 535 documents of `yift`, and 2,000 completions of `fr` with 439k
postings in 7,900 (term, segment) lists, nearly every block of which holds an id between two
candidates, so the blocks are read all the same. What this saves is the rest: the term infos and
posting lists are read in long sequential reads (read_spans), a block is decoded without its
positions (blockread.py), only the postings of candidates are scored, and each term's hits among
these candidates are kept: typing on (`yift fre`, `yift fres`) asks for a subset of the same terms
among the same documents, which then costs no reading at all.

The sums are the scorer's own: each document's completions' scores added in the order of the
completions (as Scorer.clause adds them, term after term, into its dict), from the same expression
(bm25.posting_scores), so the hits, their order and the counts equal reading the completions
among the candidates without a budget (tests/engines/test_prefix_among.py)."""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from reader.engines.whoosh.fast.bm25 import K1, term_idf
from reader.engines.whoosh.fast.format import (
    INFO_HEAD,
    INLINED,
    SHORT_POSTINGS,
    Leaf,
    Term,
    list_place,
    read_spans,
    term_frequency,
)
from reader.engines.whoosh.fast.postings_scan import inlined, scan
from reader.engines.whoosh.fast.prefix_scores import TermScores

if TYPE_CHECKING:  # the scorer's segment data is all it reads of the scorer
    from reader.engines.whoosh.fast.statistics import SegmentData as Scorer

# Candidate sets whose completions' hits are kept, and the hits kept in all (12 bytes each).
HITS_SETS_KEPT = 8


HITS_KEPT = 400_000


# One term's postings among a candidate set: documents and (unboosted) scores, in the order read
# (segment by segment, document order within each), as prefix_scores.py keeps a term's postings.
TermHits = TermScores


NO_HITS = TermHits()
"""The hits of every term read that has none among its candidates (never added to)."""


class HitsKept:
    """Candidate set key -> {term: its TermHits}, the least recently used set dropped past
    HITS_SETS_KEPT sets or HITS_KEPT hits."""

    def __init__(self, sets: int = HITS_SETS_KEPT, hits: int = HITS_KEPT) -> None:
        self.sets, self.hits = sets, hits
        self._held: OrderedDict[object, dict[Term, TermHits]] = OrderedDict()
        self._counts: dict[object, int] = {}

    def get(self, key: object) -> dict[Term, TermHits] | None:
        """The hits kept for a candidate set, if any (nothing made, nothing moved)."""
        return self._held.get(key)

    def of(self, key: object) -> dict[Term, TermHits]:
        found = self._held.get(key)
        if found is None:
            found = self._held[key] = {}
            self._counts[key] = 0
        self._held.move_to_end(key)
        return found

    def added(self, key: object, count: int) -> None:
        """`count` more hits were put in the set of `key`: drop the oldest sets past the bounds."""
        if key not in self._counts:
            return
        self._counts[key] += count
        while len(self._held) > 1 and (len(self._held) > self.sets or sum(self._counts.values()) > self.hits):
            oldest, _ = self._held.popitem(last=False)
            del self._counts[oldest]

    @property
    def entries(self) -> int:
        return sum(self._counts.values())

    def __len__(self) -> int:
        return len(self._held)


def among(scorer: Scorer, completions: Sequence[Term], candidates: Collection[int],
          kept: dict[Term, TermHits]) -> tuple[dict[int, float], int]:
    """Each candidate's summed scores of the `completions` it has (those with none left out), as
    reading every completion among the candidates adds them; the terms read are put in `kept`
    (the hits of the same candidates); and how many hits were read."""
    taken = [term for term in completions if scorer.frequency(*term)]
    missing = [term for term in taken if term not in kept]
    read = _read(scorer, missing, candidates, kept) if missing else 0
    scores: dict[int, float] = {}
    get = scores.get
    for term in taken:
        hits = kept[term]
        for docnum, score in zip(hits.docs, hits.scores):
            scores[docnum] = get(docnum, 0.0) + score
    return scores, read


def _read(scorer: Scorer, terms: list[Term], candidates: Collection[int], kept: dict[Term, TermHits]) -> int:
    """Read `terms` among `candidates` into `kept`; the hits found."""
    made = {term: TermHits() for term in terms}
    leaves = scorer.leaves
    ordered = sorted(candidates)
    wanted_ids: list[tuple[list[int], set[int]]] = []
    for leaf in leaves:
        low = bisect_left(ordered, leaf.offset)
        high = bisect_left(ordered, leaf.offset + leaf.size, low)
        mine = [docnum - leaf.offset for docnum in ordered[low:high]] if leaf.offset else ordered[low:high]
        wanted_ids.append((mine, set(mine)))
    scorer.prefetch_infos(terms)
    # (term, its idf, its info's place in the postings file) of each segment's lists to read
    lists: list[list[tuple[Term, float, int, int]]] = [[] for _ in leaves]
    for term in terms:
        fieldname, text = term
        infos = [scorer.info(leaf, fieldname, text) for leaf in leaves]
        counts = [term_frequency(info) if info is not None else 0 for info in infos]
        total = sum(counts)
        if not total:
            continue
        idf = term_idf(scorer.doccount, total)
        for number, (info, count) in enumerate(zip(infos, counts)):
            if not count or not wanted_ids[number][0]:
                continue
            if info[:1] == INLINED:  # a few postings kept in the info itself
                ids, weights = inlined(info, INFO_HEAD)
                _score(made[term], ids, weights, leaves[number], scorer, fieldname, idf, wanted_ids[number][1])
                continue
            offset, length = list_place(info)
            lists[number].append((term, idf, offset, length))
    for number, leaf in enumerate(leaves):
        mine, members = wanted_ids[number]
        if not lists[number]:
            continue
        postfile = leaf.reader._terms._postfile  # type: ignore[attr-defined]
        places = [(offset, length) for _, _, offset, length in lists[number]]
        for index, data in read_spans(postfile, places):
            term, idf, _offset, length = lists[number][index]
            blocks, _complete = scan(data, length <= SHORT_POSTINGS, mine)
            for ids, weights in blocks:
                _score(made[term], ids, weights, leaf, scorer, term[0], idf, members)
    # Terms without a hit share one empty TermHits: the 2,000 completions of `st` read among a
    # few candidates are mostly such, and each kept object (with its two arrays) is one more the
    # garbage collector walks at every full collection.
    made = {term: hits if len(hits) else NO_HITS for term, hits in made.items()}
    kept.update(made)  # whole, once read: another thread never sees a term half read
    return sum(len(hits) for hits in made.values())


def _score(hits: TermHits, ids: Sequence[int], weights: Sequence[float], leaf: Leaf, scorer: Scorer,
           fieldname: str, idf: float, members: set[int]) -> None:
    """Append the block's postings of `members` (not deleted) to `hits`, with their scores."""
    found = members.intersection(ids)
    if not found:  # most blocks hold no candidate
        return
    lengths = scorer.lengths(leaf, fieldname)
    _average, norm = scorer.norms(fieldname)
    offset, deleted = leaf.offset, leaf.deleted
    k1_1 = K1 + 1  # bm25's own constant
    docs, scores = hits.docs, hits.scores
    # A block's ids are in order: each found one's weight at its place, by bisection (a dict of
    # the block's 128 ids for a few found in it was a third of this function's time).
    for local in sorted(found):
        if deleted and local in deleted:
            continue
        weight = weights[bisect_left(ids, local)]
        # bm25.posting_scores's expression: the scorer's own, to the last bit
        docs.append(local + offset)
        scores.append(idf * ((weight * k1_1) / (weight + norm[lengths[local]])))
