"""BM25F as Whoosh computes it (the same ranking), and nothing else: no files, no Whoosh.

A posting of weight w (occurrences, times the field's boost) in a document whose field length
byte is l scores  idf * ((w * (K1 + 1)) / (w + norm[l])) * boost,  with  idf = ln(N / (df + 1)) + 1
and  norm[l] = K1 * ((1 - B) + B * length(l) / average length): Whoosh's own expression
(scoring.bm25, then WrappingMatcher's boost), in its order, so that scores are Whoosh's to the last
bit and ties fall as Whoosh breaks them (by document number).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, MutableSequence, Sequence

K1, B = 1.2, 0.75  # Whoosh's BM25F defaults, which reader searches with


def best_scores(scores: dict[int, float], keep: int, leave_out: int = -1) -> list[tuple[int, float]]:
    """The `keep` highest scores, ties in document order (as Whoosh ranks them): also at the cut,
    where Whoosh's collector keeps the first documents of a tie."""
    if keep <= 0 or not scores:
        return []
    wanted = keep + (leave_out in scores)
    if wanted < len(scores):
        lowest = heapq.nsmallest(1, heapq.nlargest(wanted, scores.values()))[0]
        items = [item for item in scores.items() if item[1] >= lowest]
    else:
        items = list(scores.items())
    return sorted((item for item in items if item[0] != leave_out), key=lambda item: (-item[1], item[0]))[:keep]


def term_idf(doccount: int, docfreq: int) -> float:
    """Whoosh's idf of a term found in `docfreq` of `doccount` documents."""
    return math.log(doccount / (docfreq + 1)) + 1


def length_norms(average: float, byte_to_length: Callable[[int], float]) -> list[float]:
    """BM25's length normalisation for each of the 256 length bytes of a field."""
    return [K1 * ((1 - B) + B * (byte_to_length(b) if b else 1) / average) for b in range(256)]


def block_bound(idf: float, boost: float, weight: float, shortest: float, average: float) -> float:
    """The best score a block can give: its highest weight in its shortest document."""
    return weight_bound(idf, boost, weight, K1 * ((1 - B) + B * max(shortest, 1) / average))


_K1_1 = K1 + 1


def weight_bound(idf: float, boost: float, weight: float, norm: float) -> float:
    """The best score a posting of at most `weight` can give in a document of length norm `norm`:
    add_block's expression, which rises with the weight (so never below a posting's score)."""
    return idf * ((weight * _K1_1) / (weight + norm)) * boost


def add_block(ids: Iterable[int], weights: Sequence[float], lengths: bytes, norm: list[float], idf: float,
              boost: float, offset: int, deleted: frozenset[int], scores: dict[int, float],
              only: set[int] | None) -> int:
    """Add a block's scores into `scores` (ids are a segment's, `offset` makes them the index's;
    `deleted` documents and those outside `only` left out); how many postings it had."""
    get = scores.get
    k1_1 = _K1_1
    # Most blocks of a segment with deletions hold none of them: those take the short loop.
    if only is None and boost == 1 and (not deleted or deleted.isdisjoint(ids)):
        for local, weight in zip(ids, weights):
            docnum = local + offset
            scores[docnum] = get(docnum, 0.0) + idf * ((weight * k1_1) / (weight + norm[lengths[local]]))
        return len(weights)
    for local, weight in zip(ids, weights):
        docnum = local + offset
        if (only is not None and docnum not in only) or local in deleted:
            continue
        scores[docnum] = get(docnum, 0.0) + idf * ((weight * k1_1) / (weight + norm[lengths[local]])) * boost
    return len(weights)


def add_some(ids: Sequence[int], weights: Sequence[float], wanted: Sequence[int], lengths: bytes, norm: list[float],
             idf: float, boost: float, offset: int, deleted: frozenset[int], scores: dict[int, float]) -> None:
    """Add into `scores` what add_block adds for the documents `wanted` (a segment's sorted ids,
    few of the block's): each looked up in the block's sorted ids, where add_block looks at every
    posting."""
    get = scores.get
    k1_1 = _K1_1
    size = len(ids)
    for local in wanted:
        at = bisect_left(ids, local)
        if at < size and ids[at] == local and local not in deleted:
            weight = weights[at]
            docnum = local + offset
            scores[docnum] = get(docnum, 0.0) + idf * ((weight * k1_1) / (weight + norm[lengths[local]])) * boost


def posting_scores(ids: Iterable[int], weights: Sequence[float], lengths: bytes, norm: list[float], idf: float,
                   offset: int, deleted: frozenset[int], docs: MutableSequence[int],
                   scores: MutableSequence[float], total: dict[int, float]) -> None:
    """Append each posting's score (unboosted, add_block's expression) and its document to `docs`
    and `scores`, and add it into `total` as add_block does, leaving out `deleted` documents: a
    term's scores kept to be added up again."""
    k1_1 = _K1_1
    get = total.get
    for local, weight in zip(ids, weights):
        if local in deleted:
            continue
        docnum = local + offset
        score = idf * ((weight * k1_1) / (weight + norm[lengths[local]]))
        docs.append(docnum)
        scores.append(score)
        total[docnum] = get(docnum, 0.0) + score
