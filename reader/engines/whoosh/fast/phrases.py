"""Phrases for the query shapes (shapes.py): the documents where a term of each slot follows one of
the slot before, position after position, scored as Whoosh scores a phrase.

A phrase is a word a slot; the phrase being typed (a Sequence) has the terms of a prefix in its
last slot. First the documents with every slot (term_postings: ids only, the rarest slot first,
each next one only in the blocks that can hold a candidate); then, only in the blocks that hold a
candidate, the candidates' packed positions (blockread.Packed cuts out just those), unpacked until
a slot rules the document out; only the documents kept are scored. Whoosh's answer (its SpanNear2
over the IntersectionMatcher of the slots' matchers, a slot's UnionMatcher adding the scores of
the terms the document has): the sum, slot by slot, of the scores of the slot's terms in the
document (in Whoosh's binary tree of the slots: tree_sum), times the boost."""

from __future__ import annotations

import pickle
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate

from reader.engines.whoosh.fast.blockread import Packed, read_packed, unpack
from reader.engines.whoosh.fast.bm25 import K1
from reader.engines.whoosh.fast.format import Posting, Term
from reader.engines.whoosh.fast.term_postings import (
    Only,
    per_leaf,
    term_docs,
    term_scores,
    wanted_blocks,
)

_K1_1 = K1 + 1


_ONE = b"\x00\x00\x00\x01"  # a value's count: one position


_LIST_HEAD = b"]q\x00"  # after PROTO 2 in a value: an empty list, memo 0, then its items


class Places:
    """One term's postings in the candidate documents: their packed positions (Packed.texts) and
    weights, by document, and each segment's posting (for a kept document's score)."""

    __slots__ = ("postings", "texts", "weights")

    def __init__(self) -> None:
        self.texts: dict[int, bytes] = {}
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


def positions(value: bytes) -> Sequence[int]:
    """The positions in a posting's value (Whoosh's Positions format: a count, then a pickled
    list of gaps): one position read from its bytes, more through the pickle, as
    Positions.decode_positions reads them."""
    if value.startswith(_ONE) and value[6:9] == _LIST_HEAD:
        op = value[9]
        if op == 0x4B and value[11:12] == b"a":  # BININT1, APPEND
            return (value[10],)
        if op == 0x4D and value[12:13] == b"a":  # BININT2, APPEND
            return (value[10] | value[11] << 8,)
    packed = value[4:]
    if not packed.endswith(b"."):
        packed += b"."
    return list(accumulate(pickle.loads(packed)))


def _places(scorer: object, term: Term, candidates: set[int]) -> Places:
    """The candidates' postings of `term`: read only in the blocks that hold one."""
    found = Places()
    texts, weights_of = found.texts, found.weights
    wanted = per_leaf(scorer.leaves, candidates)  # type: ignore[attr-defined]
    assert wanted is not None
    for posting in scorer.postings([term]):  # type: ignore[attr-defined]
        found.postings.append(posting)
        leaf = posting.leaf
        offset, deleted = leaf.offset, leaf.deleted
        mine = wanted[id(leaf)]
        for position in wanted_blocks(posting, mine):
            ids, weights, values = read_packed(posting, position)
            where = dict(zip(ids, range(len(ids))))  # made in C: the block's candidates looked up
            span = mine[bisect_left(mine, ids[0]):bisect_right(mine, ids[-1])]
            here = [local for local in span if local in where]
            if deleted:
                here = [local for local in here if local not in deleted]
            if not here:
                continue
            ats = [where[local] for local in here]
            if isinstance(values, Packed):
                block_texts = values.texts(ats)
            else:  # kept in the term's info: its values as Whoosh reads them
                block_texts = [values[at].decode("latin-1").encode("utf-8") for at in ats]
            docnums = [local + offset for local in here] if offset else here
            texts.update(zip(docnums, block_texts))
            weights_of.update(zip(docnums, [weights[at] for at in ats]))
    return found


def _follow(each: list[list[Places]], candidates: set[int]) -> list[int]:
    """The candidates where a position of the first slot is followed, one after another, by a
    position of each next slot (each slot: the terms the document has)."""
    unpacked: dict[bytes, Sequence[int]] = {}  # one position at the same place repeats in many documents

    def unpacked_of(text: bytes) -> Sequence[int]:
        found = unpacked.get(text)
        if found is None:
            found = unpacked[text] = positions(unpack(text))
        return found

    if len(each) == 2 and len(each[0]) == 1 and len(each[1]) == 1:  # two words: most phrases
        first, second = each[0][0].texts, each[1][0].texts
        kept = []
        for docnum in candidates:
            starts, ends = unpacked_of(first[docnum]), unpacked_of(second[docnum])
            if len(starts) == 1 and len(ends) == 1:
                if starts[0] + 1 == ends[0]:
                    kept.append(docnum)
            elif not set(ends).isdisjoint([spot + 1 for spot in starts]):
                kept.append(docnum)
        return kept
    kept = []
    for docnum in candidates:
        starts: set[int] | None = None
        for shift, terms in enumerate(each):
            moved: set[int] = set()
            for places in terms:
                text = places.texts.get(docnum)
                if text is not None:
                    moved.update([spot - shift for spot in unpacked_of(text)])
            starts = moved if starts is None else starts & moved
            if not starts:
                break
        if starts:
            kept.append(docnum)
    return kept


def consecutive(scorer: object, slots: list[list[Term]], only: Only, boost: float) -> dict[int, float]:
    """Docnum -> score of the documents (among `only`) where the slots follow each other."""
    frequency = scorer.frequency  # type: ignore[attr-defined]
    if len(slots) == 1:  # no positions to compare: the slot's scores (its terms' sum)
        found = term_scores(scorer, slots[0], only, 1.0)
        return {docnum: score * boost for docnum, score in found.items()} if boost != 1 else found
    # The documents with every slot, the rarest slot first: its ids only, then each next slot's
    # postings (their positions still packed) in the blocks that hold a candidate.
    order = sorted(range(len(slots)), key=lambda at: sum(frequency(*term) for term in slots[at]))
    of_term: dict[Term, Places] = {}
    candidates: Only = only
    for number, at in enumerate(order):
        slot = [term for term in slots[at] if frequency(*term)]
        if number == 0:
            candidates = term_docs(scorer, slot, candidates)
        else:
            docs: set[int] = set()
            for term in slot:
                if term not in of_term:
                    of_term[term] = _places(scorer, term, candidates)  # type: ignore[arg-type]
                docs.update(of_term[term].texts)
            candidates = docs & candidates  # type: ignore[operator]  # a word twice: read for more
        if not candidates:
            return {}
    assert isinstance(candidates, set)
    for slot in slots:  # the rarest slot's postings, in the documents left
        for term in slot:
            if term not in of_term and frequency(*term):
                of_term[term] = _places(scorer, term, candidates)
    each = [[of_term[term] for term in slot if term in of_term] for slot in slots]
    kept: dict[int, float] = {}
    for docnum in sorted(_follow(each, candidates)):
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
