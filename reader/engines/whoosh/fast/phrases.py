"""Phrases for the query shapes (shapes.py): the documents where a term of each slot follows one of
the slot before, position after position, scored as Whoosh scores a phrase.

A phrase is a word a slot; the phrase being typed (a Sequence) has the terms of a prefix in its
last slot. First the documents with every slot but the commonest (term_postings: ids only, the
rarest slot first, each next one only in the blocks that can hold a candidate), then the
commonest slot's positions in those; then, only in the blocks that hold a candidate, the other
terms' positions of the documents left (blockread: the values of just those unpickled, then their
positions all at once); the slots' places meet in sets (_follow); only the documents kept are
scored. Where the index holds the buckets of word pairs (schema.PAIRS_FIELDS), all of this is
done only among the documents with the bucket of every two whole words that follow each other in
the phrase (a superset of the phrase's documents: positions still decide). Whoosh's answer
(its SpanNear2
over the IntersectionMatcher of the slots' matchers, a slot's UnionMatcher adding the scores of
the terms the document has): the sum, slot by slot, of the scores of the slot's terms in the
document (in Whoosh's binary tree of the slots: tree_sum), times the boost."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate, pairwise

from reader.engines.whoosh.fast.blockread import Packed, gap_lists, read_packed
from reader.engines.whoosh.fast.bm25 import K1
from reader.engines.whoosh.fast.format import Posting, Term
from reader.engines.whoosh.fast.term_postings import (
    Only,
    per_leaf,
    term_docs,
    term_scores,
    wanted_blocks,
)
from reader.engines.whoosh.schema import PAIRS_FIELDS, pair_bucket

_K1_1 = K1 + 1


class Places:
    """One term's postings in the candidate documents: the gaps between their positions and their
    weights, by document, and each segment's posting (for a kept document's score)."""

    __slots__ = ("docnums", "gaps", "postings", "weights")

    def __init__(self) -> None:
        self.docnums: list[int] = []
        self.gaps: list[list[int]] = []
        """The gaps between the positions of each of `docnums` (Positions' encoding)."""
        self.weights: dict[int, float] = {}
        self.postings: list[Posting] = []

    def score(self, docnum: int) -> float:
        """The document's unboosted score of the term, as add_block adds it (bm25.py)."""
        for posting in self.postings:
            offset = posting.leaf.offset
            if offset <= docnum < offset + posting.leaf.size:
                weight = self.weights[docnum]
                return posting.idf * ((weight * _K1_1) / (weight + posting.norm[posting.lengths[docnum - offset]]))  # type: ignore[no-any-return]
        raise KeyError(docnum)


def _places(scorer: object, term: Term, candidates: set[int], every: bool) -> Places:
    """The candidates' postings of `term` (`every`: each candidate has it): read only in the
    blocks that hold one, their values cut out of the blocks' pickles and unpickled together
    (blockread)."""
    found = Places()
    docnums_of, weights_of = found.docnums, found.weights
    strings: list[str] = []
    wanted = per_leaf(scorer.leaves, candidates)  # type: ignore[attr-defined]
    assert wanted is not None
    for posting in scorer.postings([term]):  # type: ignore[attr-defined]
        found.postings.append(posting)
        offset = posting.leaf.offset
        mine = wanted[id(posting.leaf)]
        for position in wanted_blocks(posting, mine):
            ids, weights, values = read_packed(posting, position)
            span = mine[bisect_left(mine, ids[0]):bisect_right(mine, ids[-1])]
            if not span:
                continue
            where = dict(zip(ids, range(len(ids))))  # made in C: the block's candidates looked up
            if not every or len(span) != len(ids):  # else the block holds only candidates
                span = sorted(where.keys() & span)  # type: ignore[operator]
            ats = list(map(where.__getitem__, span))  # the candidates not deleted: all in the block
            if isinstance(values, Packed):
                strings += values.strings(ats)
            else:  # kept in the term's info: its values as Whoosh reads them
                strings += [values[at].decode("latin-1")[4:] for at in ats]
            docnums = [local + offset for local in span] if offset else span
            docnums_of += docnums
            weights_of.update(zip(docnums, map(weights.__getitem__, ats)))
    found.gaps = gap_lists(strings)
    return found


_SHIFT = 40  # a document's number above its positions in a key of _follow (no text has 2**40 words)


def _follow(each: list[list[Places]]) -> set[int]:
    """The candidates where a position of the first slot is followed, one after another, by a
    position of each next slot (each slot: the terms the document has). Each slot's places are
    keys (document, start of the phrase there) in a set, made in one pass over its positions; the
    documents of the keys every slot has are kept (the sets met in C), where comparing each
    document's positions apart cost 2-4 µs a document."""
    count = len(each)
    common: set[int] | None = None
    for shift, terms in enumerate(each):
        keys: set[int] = set()
        for places in terms:
            # A start of the phrase: the position less the slot's place (plus `count`, above 0).
            bases = [(docnum << _SHIFT) + count - shift for docnum in places.docnums]
            keys.update([base + spot for base, gaps in zip(bases, places.gaps) for spot in accumulate(gaps)])
        common = keys if common is None else common & keys
        if not common:
            return set()
    return {key >> _SHIFT for key in common} if common else set()


# A slot pair of more terms than this (a prefix's completions after a word: `"managers yi`) has
# no buckets looked up: each is a lookup in every segment, and the positions read are few anyway.
PAIR_ALTERNATIVES = 16


def _pairs(scorer: object, slots: list[list[Term]]) -> list[list[Term]]:
    """Bucket terms a document with the phrase has one of each list of: for each two slots that
    follow each other in one field, where the index has that field's pairs (an index of schema 2
    has none), the low buckets of their terms two by two, and the high ones (schema.pair_bucket)."""
    schema = scorer.searcher.schema  # type: ignore[attr-defined]
    found: list[list[Term]] = []
    for before, after in pairwise(slots):
        fields = {field for field, _term in before + after}
        field = PAIRS_FIELDS.get(next(iter(fields))) if len(fields) == 1 else None
        if field is None or field not in schema or len(before) * len(after) > PAIR_ALTERNATIVES:
            continue
        buckets = [pair_bucket(first, second) for _field, first in before for _same, second in after]
        for half in (0, 1):
            found.append([(field, term.encode()) for term in dict.fromkeys(bucket[half] for bucket in buckets)])
    return found


def _with_pairs(scorer: object, pairs: list[list[Term]], only: Only) -> set[int]:
    """The documents (among `only`) with a term of each list, the rarest list read first."""
    frequency = scorer.frequency  # type: ignore[attr-defined]
    found = only
    for buckets in sorted(pairs, key=lambda buckets: sum(frequency(*bucket) for bucket in buckets)):
        found = term_docs(scorer, [bucket for bucket in buckets if frequency(*bucket)], found)
        if not found:
            return set()
    assert isinstance(found, set)
    return found


def consecutive(scorer: object, slots: list[list[Term]], only: Only, boost: float) -> dict[int, float]:
    """Docnum -> score of the documents (among `only`) where the slots follow each other."""
    frequency = scorer.frequency  # type: ignore[attr-defined]
    if len(slots) == 1:  # no positions to compare: the slot's scores (its terms' sum)
        found = term_scores(scorer, slots[0], only, 1.0)
        return {docnum: score * boost for docnum, score in found.items()} if boost != 1 else found
    pairs = _pairs(scorer, slots)
    if pairs:
        only = _with_pairs(scorer, pairs, only)
        if not only:
            return {}
    # The documents with every slot, the rarest slot first, ids only (each next slot in the blocks
    # that hold a candidate), but for the commonest: its positions in the documents of the others
    # (reading its ids too cost more than the positions of the documents they would leave out);
    # then the other terms' positions in the documents left only.
    order = sorted(range(len(slots)), key=lambda at: sum(frequency(*term) for term in slots[at]))
    candidates: Only = only
    for at in order[:-1]:
        candidates = term_docs(scorer, [term for term in slots[at] if frequency(*term)], candidates)
        if not candidates:
            return {}
    assert isinstance(candidates, set)
    of_term: dict[Term, Places] = {}
    last = [term for term in slots[order[-1]] if frequency(*term)]
    docs: set[int] = set()
    for term in last:
        if term not in of_term:
            of_term[term] = _places(scorer, term, candidates, False)
        docs.update(of_term[term].docnums)
    candidates &= docs
    if not candidates:
        return {}
    for slot in slots:
        for term in slot:
            if term not in of_term and frequency(*term):
                of_term[term] = _places(scorer, term, candidates, len(slot) == 1)
    each = [[of_term[term] for term in slot if term in of_term] for slot in slots]
    kept: dict[int, float] = {}
    for docnum in sorted(_follow(each)):
        slot_scores = []
        for terms in each:
            slot_score = 0.0  # as Scorer.clause adds a slot's terms, in their order
            for places in terms:
                if docnum in places.weights:
                    slot_score += places.score(docnum)
            slot_scores.append(slot_score)
        score = tree_sum(slot_scores)
        kept[docnum] = score * boost if boost != 1 else score
    return kept


def tree_sum(scores: Sequence[float]) -> float:
    """The slots' scores added as Whoosh adds them: its phrase (SpanNear2) and sequence matchers
    are a binary tree of the slots' matchers, in order (util.make_binary_tree), each node the sum
    of its two halves; added left to right, a phrase of 3 words or more differed in the last bit."""
    if len(scores) == 1:
        return 0.0 + scores[0]
    half = len(scores) // 2
    return tree_sum(scores[:half]) + tree_sum(scores[half:])
