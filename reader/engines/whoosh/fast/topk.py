"""The best hits of a sum of terms (an OR of words, the terms of a fuzzy word, `a NOT b`) without
scoring every posting of its commonest terms: MaxScore, with Whoosh's block bounds.

A common word's postings each score little (its idf is low): in `neglected OR grisnosmen` no
document with "neglected" in its body only comes near the 50th best score. So: each term's highest
possible score (the best of its blocks' bounds, bm25.block_bound); a lower bound of the page's last
score from the terms that can score highest (their own scores, the others left at 0); the
"non-essential" terms are the weakest whose highest scores together stay below it, and only the
documents with another term can be on the page. Those documents are then scored exactly as
Shapes.scores scores them (the same sums in the same order, restricted to them), and the count is
of every document, from the posting lists' ids only. The page, its scores and the count are
Whoosh's, to the bit: a document left out scores below the last one on the page by a margin far
above any rounding (see _MARGIN)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from whoosh import query as wq

from reader.engines.whoosh.fast.blockread import read
from reader.engines.whoosh.fast.bm25 import best_scores
from reader.engines.whoosh.fast.format import Term
from reader.engines.whoosh.fast.term_postings import term_docs, term_scores

# Below this many postings in all, every one is scored (the bounds cost more than they save).
TOPK_POSTINGS = 20_000


# Postings of the strongest terms scored for the lower bound of the page's last score.
SAMPLE_POSTINGS = 5_000


# Relative room left for rounding: sums taken in another order differ by a few units in the 16th
# digit; a block's highest weight is a float64 of its float32 weights.
_MARGIN = 1e-9


_BOUND_ROOM = 1e-6


Leaf = tuple[Term, float, float]
"""(term, its boost, the product of the boosts of the unions above it)."""


def _leaves(node: wq.Query, multiplier: float, found: list[Leaf], text: Callable[[object], bytes]) -> bool:
    """Collect the terms of a tree of unions of terms (as Shapes.scores adds them up); False for any
    other shape, or a boost that is not above 0."""
    if type(node) is wq.Term:
        if not node.boost > 0:
            return False
        found.append(((node.fieldname, text(node.text)), node.boost, multiplier))
        return True
    if isinstance(node, wq.Or) and not node.minmatch and not node.scale and node.boost > 0 and node.subqueries:
        # A union of one child is that child, its boost dropped (Whoosh's CompoundQuery.matcher).
        inner = multiplier * node.boost if len(node.subqueries) > 1 else multiplier
        return all(_leaves(child, inner, found, text) for child in node.subqueries)
    return False


def _highest(scorer: object, term: Term, boost: float) -> float:
    """The highest score a posting of `term` can have (boosted): the best of its blocks' bounds, a
    block of one posting kept in the term's info scored (it has no bound)."""
    best = 0.0
    for posting in scorer.postings([term], {term: boost} if boost != 1 else None):  # type: ignore[attr-defined]
        for bound, _highest_id, position in posting.blocks():
            if bound == math.inf:
                scores: dict[int, float] = {}
                posting.add(*read(posting, position), scores, None)
                bound = max(scores.values(), default=0.0)
            best = max(best, bound)
    return best * (1 + _BOUND_ROOM)


def top(shapes: object, node: wq.Query, keep: int, text: Callable[[object], bytes]) -> tuple[list[tuple[int, float]], int] | None:
    """The best `keep` (docnum, score) and how many match, for a union of terms or one with NOTs
    beside it (an And of it and Nots); None for another shape, or when no term can be left out."""
    if keep <= 0:
        return None
    positive, negatives = node, []
    if type(node) is wq.And:
        kept = [child for child in node.subqueries if type(child) is not wq.Not]
        if len(kept) != 1 or len(node.subqueries) < 2:
            return None
        positive, negatives = kept[0], [child.query for child in node.subqueries if type(child) is wq.Not]
    leaves: list[Leaf] = []
    if not _leaves(positive, 1.0, leaves, text):
        return None
    scorer = shapes.scorer  # type: ignore[attr-defined]
    frequency = scorer.frequency
    leaves = [leaf for leaf in leaves if frequency(*leaf[0])]
    postings = [frequency(*leaf[0]) for leaf in leaves]
    if sum(postings) < TOPK_POSTINGS or len(leaves) < 2:
        return None
    highest = [_highest(scorer, term, boost) * multiplier for term, boost, multiplier in leaves]
    excluded: set[int] = set()
    for negative in negatives:
        excluded |= shapes.docs(negative, None)  # type: ignore[attr-defined]
    # A lower bound of the page's last score: the strongest terms' own scores of their documents.
    partial: dict[int, float] = {}
    taken = 0
    for at in sorted(range(len(leaves)), key=lambda at: -highest[at]):
        if taken and taken + postings[at] > SAMPLE_POSTINGS:
            break
        term, boost, multiplier = leaves[at]
        taken += postings[at]
        for docnum, score in term_scores(scorer, [term], None, boost).items():
            partial[docnum] = partial.get(docnum, 0.0) + score * multiplier
    counted = [score for docnum, score in partial.items() if docnum not in excluded]
    if len(counted) < keep:
        return None
    floor = heapq.nlargest(keep, counted)[-1] * (1 - _MARGIN)
    # The weakest terms whose highest scores add up to less: a document with none but those is
    # never on the page.
    weak: set[int] = set()
    together = 0.0
    for at in sorted(range(len(leaves)), key=lambda at: highest[at]):
        if (together + highest[at]) * (1 + _MARGIN) >= floor:
            break
        together += highest[at]
        weak.add(at)
    if not weak:
        return None
    strong = [leaves[at][0] for at in range(len(leaves)) if at not in weak]
    candidates = term_docs(scorer, strong, None) - excluded
    exact = shapes.scores(node, candidates)  # type: ignore[attr-defined]
    count = len(shapes.docs(positive, None) - excluded)  # type: ignore[attr-defined]
    return best_scores(exact, keep), count
