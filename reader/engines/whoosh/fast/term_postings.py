"""The documents of a query's terms, with or without their BM25F scores, for the query shapes
(shapes.py): the postings of the fast scorer (scorer.py) read through blockread.py, which leaves a
block's positions packed; a restricted read visits only the blocks that can hold a wanted
document. The scores are the fast scorer's (Scorer.clause reading every term whole), to the bit."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from reader.engines.whoosh.fast.blockread import read
from reader.engines.whoosh.fast.bm25 import add_some
from reader.engines.whoosh.fast.format import Term

Only = set[int] | range | None
"""The documents (index-wide numbers) a read is restricted to, or None for every one."""


def per_leaf(leaves: Iterable[object], only: Only) -> dict[int, Sequence[int]] | None:
    """For each segment (by id), the numbers within it of the documents in `only`, in order: one
    sort of `only`, then each segment's slice of it."""
    if only is None:
        return None
    wanted: dict[int, Sequence[int]] = {}
    if isinstance(only, range):  # a part of the index (see Shapes.count)
        for leaf in leaves:
            offset, size = leaf.offset, leaf.size  # type: ignore[attr-defined]
            wanted[id(leaf)] = range(max(only.start - offset, 0), max(0, min(only.stop - offset, size)))
        return wanted
    ordered = sorted(only)
    for leaf in leaves:
        offset, size = leaf.offset, leaf.size  # type: ignore[attr-defined]
        low = bisect_left(ordered, offset)
        high = bisect_left(ordered, offset + size, low)
        wanted[id(leaf)] = [docnum - offset for docnum in ordered[low:high]] if offset else ordered[low:high]
    return wanted


def wanted_blocks(posting: object, mine: Sequence[int] | None) -> Iterable[int]:
    """The positions of the blocks of `posting` that can hold one of `mine` (a segment's wanted
    documents, in order; every block when None)."""
    if mine is None:
        for _best, _highest, position in posting.blocks():  # type: ignore[attr-defined]
            yield position
        return
    if not mine:
        return
    low, last = -1, mine[-1]
    for _best, highest, position in posting.blocks():  # type: ignore[attr-defined]
        at = bisect_left(mine, low + 1)
        if at < len(mine) and mine[at] <= highest:
            yield position
        low = highest
        if low >= last:
            return


def term_scores(scorer: object, terms: Sequence[Term], only: Only, boost: float) -> dict[int, float]:
    """Docnum -> the summed scores of `terms` (boosted) of each document with any of them among
    `only`: what Scorer.clause(terms, only, 0, None, boosts, drop=False) gives."""
    frequency = scorer.frequency  # type: ignore[attr-defined]
    taken = [term for term in terms if frequency(*term)]
    boosts = {term: boost for term in taken} if boost != 1 else None
    postings = scorer.postings(taken, boosts)  # type: ignore[attr-defined]
    wanted = per_leaf(scorer.leaves, only)  # type: ignore[attr-defined]
    scores: dict[int, float] = {}
    for posting in postings:
        leaf = posting.leaf
        mine = wanted[id(leaf)] if wanted is not None else None
        for position in wanted_blocks(posting, mine):
            ids, weights = read(posting, position)
            if mine is not None and ids:
                # A few wanted documents in the block: each looked up (add_some), not every posting.
                span = mine[bisect_left(mine, ids[0]):bisect_right(mine, ids[-1])]  # type: ignore[index]
                if len(span) * 8 < len(ids):  # type: ignore[arg-type]
                    add_some(ids, weights, span, posting.lengths, posting.norm, posting.idf, posting.boost,  # type: ignore[arg-type]
                             leaf.offset, leaf.deleted, scores)
                    continue
            posting.add(ids, weights, scores, only)  # type: ignore[arg-type]
    return scores


def term_docs(scorer: object, terms: Sequence[Term], only: Only) -> set[int]:
    """The documents with any of `terms` among `only`, unscored (for counts and NOTs): each
    segment's ids gathered in a set, in C, then its deletions and the documents not wanted taken
    out, each left then made the index's number (where each id was looked at before)."""
    found: set[int] = set()
    wanted = per_leaf(scorer.leaves, only)  # type: ignore[attr-defined]
    by_leaf: dict[int, tuple[object, set[int]]] = {}
    for posting in scorer.postings(terms):  # type: ignore[attr-defined]
        leaf = posting.leaf
        mine = wanted[id(leaf)] if wanted is not None else None
        local = by_leaf.setdefault(id(leaf), (leaf, set()))[1]
        for position in wanted_blocks(posting, mine):
            local.update(read(posting, position)[0])
    for leaf, local in by_leaf.values():
        local -= leaf.deleted  # type: ignore[attr-defined]
        if wanted is not None:
            local.intersection_update(wanted[id(leaf)])
        offset = leaf.offset  # type: ignore[attr-defined]
        found.update([docnum + offset for docnum in local] if offset else local)
    return found


def term_count(scorer: object, terms: Sequence[Term], only: range | None) -> int:
    """How many documents have any of `terms` (among the part `only` of the index): the size of
    term_docs's answer, counted a segment at a time on its own numbers (sets filled in C, no
    document number made)."""
    total = 0
    by_leaf: dict[int, tuple[object, set[int]]] = {}
    wanted = per_leaf(scorer.leaves, only)  # type: ignore[attr-defined]
    for posting in scorer.postings(terms):  # type: ignore[attr-defined]
        leaf = posting.leaf
        mine = wanted[id(leaf)] if wanted is not None else None
        found = by_leaf.setdefault(id(leaf), (leaf, set()))[1]
        for position in wanted_blocks(posting, mine):
            found.update(read(posting, position)[0])
    for leaf, found in by_leaf.values():
        found -= leaf.deleted  # type: ignore[attr-defined]
        mine = wanted[id(leaf)] if wanted is not None else None
        if isinstance(mine, range):
            found.intersection_update(mine)
        total += len(found)
    return total
