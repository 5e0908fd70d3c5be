"""BM25F as Whoosh computes it (the same ranking), and nothing else: no files, no Whoosh.

A posting of weight w (occurrences, times the field's boost) in a document whose field length
byte is l scores  factor * w / (w + norm[l]),  with  factor = boost * idf * (K1 + 1),
idf = ln(N / (df + 1)) + 1  and  norm[l] = K1 * ((1 - B) + B * length(l) / average length).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter

K1, B = 1.2, 0.75  # Whoosh's BM25F defaults, which reader searches with


def best_scores(scores: dict[int, float], keep: int, leave_out: int = -1) -> list[tuple[int, float]]:
    """The `keep` highest scores, ties in document order (as Whoosh ranks them)."""
    top = heapq.nlargest(keep + (leave_out >= 0), scores.items(), key=itemgetter(1))
    return sorted((item for item in top if item[0] != leave_out), key=lambda item: (-item[1], item[0]))[:keep]


def term_factor(doccount: int, docfreq: int, boost: float = 1.0) -> float:
    """boost * idf * (K1 + 1) for a term found in `docfreq` of `doccount` documents (Whoosh's idf)."""
    return boost * (math.log(doccount / (docfreq + 1)) + 1) * (K1 + 1)


def length_norms(average: float, byte_to_length: Callable[[int], float]) -> list[float]:
    """BM25's length normalisation for each of the 256 length bytes of a field."""
    return [K1 * ((1 - B) + B * (byte_to_length(b) if b else 1) / average) for b in range(256)]


def block_bound(factor: float, weight: float, shortest: float, average: float) -> float:
    """The best score a block can give: its highest weight in its shortest document."""
    norm = K1 * ((1 - B) + B * max(shortest, 1) / average)
    return factor * weight / (weight + norm)


def add_block(ids: Iterable[int], weights: Sequence[float], lengths: bytes, norm: list[float], factor: float,
              offset: int, deleted: frozenset[int], scores: dict[int, float], only: set[int] | None) -> int:
    """Add a block's scores into `scores` (ids are a segment's, `offset` makes them the index's;
    `deleted` documents and those outside `only` left out); how many postings it had."""
    get = scores.get
    # Most blocks of a segment with deletions hold none of them: those take the short loop.
    if only is None and (not deleted or deleted.isdisjoint(ids)):
        for local, weight in zip(ids, weights):
            docnum = local + offset
            scores[docnum] = get(docnum, 0.0) + factor * weight / (weight + norm[lengths[local]])
        return len(weights)
    for local, weight in zip(ids, weights):
        docnum = local + offset
        if (only is not None and docnum not in only) or local in deleted:
            continue
        scores[docnum] = get(docnum, 0.0) + factor * weight / (weight + norm[lengths[local]])
    return len(weights)
