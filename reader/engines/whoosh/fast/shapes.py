"""Whoosh queries of the shapes reader's parser makes (words, AND, OR, NOT, `title:`, phrases, and
the terms a bounded prefix, wildcard or fuzzy word stands for) answered by the fast scorer: every
matching document and its score, as Whoosh's matchers would give them.

Whoosh's matchers cost a few microseconds a posting, and NOT turned its block-quality skipping
off (an InverseMatcher cannot skip), so `a NOT b` walked every document of `a`, and counting the
matches walked them again. Here each node is answered as a dict of docnum -> score:
- a Term scores its postings with BM25F (scorer.py), boosted as Whoosh's WrappingMatcher does;
- Or adds its children's scores (Whoosh's UnionMatcher and ArrayUnionMatcher add them);
- And answers its rarest child first and the others only among those documents, adding the
  scores; each NOT child removes its documents and adds 1.0, the score Whoosh's InverseMatcher
  gives every document it matches;
- a Phrase is the And of its words in its field, kept where their positions follow each other,
  scored as the sum of its words' scores (Whoosh's SpanNear2 scores its IntersectionMatcher); a
  Sequence (the phrase being typed, its last word the terms of a prefix) the same, a place
  matched by any of its terms and scored by all the document has (phrases.py: positions unpacked
  for the documents with every word only, scores for those kept only);
- a compound of one child is that child, its boost dropped, as Whoosh's `matcher` does.
The page of a sum of terms (an OR of words, a fuzzy word's terms, `a NOT b`) leaves its weakest
terms unscored where they cannot reach it (topk.py), and the garbage collector rests meanwhile.
Scores are Whoosh's expression in its order (bm25.py), ties in document order. A count is exact,
or past COUNT_SECONDS an estimate as on Whoosh's path. Anything else raises `Unsupported`, and
Whoosh answers. tests/engines/test_fast_shapes.py holds this to Whoosh's own answers: hits,
order, scores and counts."""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Sequence

from whoosh import query as wq

from reader.engines.whoosh.fast.bm25 import best_scores
from reader.engines.whoosh.fast.format import Term, Unsupported
from reader.engines.whoosh.fast.phrases import consecutive
from reader.engines.whoosh.fast.term_postings import (
    Only,
    term_count,
    term_docs,
    term_scores,
)
from reader.engines.whoosh.fast.topk import top as top_of_sum
from reader.engines.whoosh.schema import SEARCH_FIELDS

# Postings a query may read at most here (every term, all its postings); past it Whoosh answers,
# which can skip blocks. 10k articles: the commonest word has 10,000.
SHAPE_POSTINGS_BUDGET = 400_000


# A count of more postings than this goes a part of the index at a time, for at most COUNT_SECONDS
# (then it is an estimate: see Shapes.count).
COUNT_POSTINGS = 20_000


COUNT_PARTS = 8


COUNT_SECONDS = 0.04


# InverseMatcher's weight: the score Whoosh adds for each NOT of an And.
NOT_SCORE = 1.0


def _pause_collection() -> bool:
    """Turn the cyclic garbage collector off while a query is answered, and whether it was on
    (to turn it on again after). A phrase or a common word makes tens of thousands of lists and
    dicts, none of them in a cycle (freed as they are dropped), and each thousand or so set off a
    collection that walked the process's objects: a fifth of a long query's time."""
    collecting = gc.isenabled()
    gc.disable()
    return collecting


def _text(term: object) -> bytes:
    return term if isinstance(term, bytes) else str(term).encode("utf-8")


def _leaf_terms(node: wq.Query) -> list[Term]:
    """(field, term) of every Term and Phrase word under `node`; `Unsupported` for any other shape."""
    found: list[Term] = []

    def walk(node: wq.Query) -> None:
        kind = type(node)
        if kind is wq.Term:
            if node.fieldname not in SEARCH_FIELDS:
                raise Unsupported(f"a term of field {node.fieldname}")
            found.append((node.fieldname, _text(node.text)))
        elif kind is wq.Phrase:
            if node.fieldname not in SEARCH_FIELDS or node.slop != 1 or not node.words:
                raise Unsupported("a phrase of another shape")
            found.extend((node.fieldname, _text(word)) for word in node.words)
        elif kind is wq.Sequence:
            if node.slop != 1 or not node.ordered:
                raise Unsupported("a sequence of another shape")
            for slot in _slots(node):
                found.extend(slot)
        elif isinstance(node, wq.Or):  # Whoosh's and reader's unions all add their children's scores
            if node.minmatch or node.scale:
                raise Unsupported("a union with minmatch or scale")
            for child in node.subqueries:
                walk(child)
        elif kind is wq.And:
            if not any(type(child) is not wq.Not for child in node.subqueries):
                raise Unsupported("an And of NOTs only")
            for child in node.subqueries:
                walk(child.query if type(child) is wq.Not else child)
        elif kind is wq.AndNot:
            if node.boost != 1:
                raise Unsupported("a boosted AndNot")
            walk(node.a)
            walk(node.b)
        else:
            raise Unsupported(f"a {kind.__name__} query")

    walk(node)
    return found


def _slots(node: wq.Sequence) -> list[list[Term]]:
    """The terms of each place of a sequence (the phrase being typed, its last word a prefix): a
    Term, or an Or of Terms, of a searched field; `Unsupported` for anything else."""
    slots: list[list[Term]] = []
    for part in node.subqueries:
        terms = part.subqueries if isinstance(part, wq.Or) and part.boost == 1 and not part.minmatch else [part]
        if not terms or any(type(term) is not wq.Term or term.boost != 1 or term.fieldname not in SEARCH_FIELDS
                            for term in terms):
            raise Unsupported("a sequence of other parts")
        slots.append([(term.fieldname, _text(term.text)) for term in terms])
    if not slots:
        raise Unsupported("an empty sequence")
    return slots


def _is_terms(node: wq.Query) -> bool:
    """Whether `node` is a term, or a union of terms (a word in every field, a prefix's terms)."""
    if type(node) is wq.Term:
        return True
    return isinstance(node, wq.Or) and bool(node.subqueries) and all(type(child) is wq.Term for child in node.subqueries)


class Shapes:
    """Answers queries with the fast scorer `scorer` (one searcher generation)."""

    def __init__(self, scorer: object) -> None:
        self.scorer = scorer

    def check(self, query: wq.Query, budget: int = SHAPE_POSTINGS_BUDGET) -> int:
        """The postings of every term of `query`; `Unsupported` unless every node of it is
        answered here and those fit `budget`."""
        terms = _leaf_terms(query)
        frequency = self.scorer.frequency  # type: ignore[attr-defined]
        postings = sum(frequency(*term) for term in set(terms))
        if postings > budget:
            raise Unsupported("too many postings: Whoosh's block skipping does better")
        return postings  # type: ignore[no-any-return]

    def top(self, query: wq.Query, keep: int) -> tuple[list[tuple[int, float]], int]:
        """The best `keep` (docnum, score), ties in document order, and how many match."""
        scorer = self.scorer
        key = ("shape", query, keep)
        with scorer._lock:  # type: ignore[attr-defined]
            known = scorer.answers.get(key)  # type: ignore[attr-defined]
        if known is not None:
            return known[0], known[1]
        self.check(query)
        collecting = _pause_collection()
        try:
            pruned = top_of_sum(self, query, keep, _text)  # a sum of terms: its weakest left unscored
            if pruned is not None:
                answer = (pruned[0], pruned[1], False)
            else:
                scores = self.scores(query, None)
                answer = (best_scores(scores, keep), len(scores), False)
        finally:
            if collecting:
                gc.enable()
        with scorer._lock:  # type: ignore[attr-defined]
            if len(scorer.answers) >= 512:  # type: ignore[attr-defined]
                scorer.answers.pop(next(iter(scorer.answers)))  # type: ignore[attr-defined]
            scorer.answers[key] = answer  # type: ignore[attr-defined]
        return answer[0], answer[1]

    def count(self, query: wq.Query) -> tuple[int, bool]:
        """How many documents match `query`, and whether that is exact. Past COUNT_POSTINGS
        postings (the count of every term of a prefix or fuzzy word bounded for the page) the
        documents are counted a part of the index at a time, and after COUNT_SECONDS the count is
        an estimate from the share walked, as on Whoosh's path (index.count_matches)."""
        postings = self.check(query, math.inf)  # type: ignore[arg-type]
        collecting = _pause_collection()
        try:
            return self._count_in_parts(query, postings)
        finally:
            if collecting:
                gc.enable()

    def _count_in_parts(self, query: wq.Query, postings: int) -> tuple[int, bool]:
        if postings <= COUNT_POSTINGS:
            return self._count(query, None), True
        doccount = self.scorer.doccount  # type: ignore[attr-defined]
        deadline = time.monotonic() + COUNT_SECONDS
        step = max(1, -(-doccount // COUNT_PARTS))
        found = 0
        for start in range(0, doccount, step):
            walked = min(doccount, start + step)
            found += self._count(query, range(start, walked))
            if walked < doccount and time.monotonic() > deadline:
                return round(found * doccount / walked), False
        return found, True

    def _count(self, node: wq.Query, only: range | None) -> int:
        """How many documents match `node` (in the part `only`): a term or a union of terms (a
        fuzzy word, a prefix) counted without making their documents' numbers."""
        if type(node) is wq.Term:
            return term_count(self.scorer, [(node.fieldname, _text(node.text))], only)
        if _is_terms(node):
            return term_count(self.scorer, [(child.fieldname, _text(child.text)) for child in node.subqueries], only)
        return len(self.docs(node, only))

    def docs(self, node: wq.Query, only: set[int] | range | None) -> set[int]:
        """The documents matching `node` (among `only`), unscored: for counts and NOTs."""
        kind = type(node)
        if kind is wq.Term:
            return self._term_docs([(node.fieldname, _text(node.text))], only)
        if _is_terms(node):
            return self._term_docs([(child.fieldname, _text(child.text)) for child in node.subqueries], only)
        if isinstance(node, wq.Or):
            found: set[int] = set()
            for child in node.subqueries:
                found |= self.docs(child, only)
            return found
        if kind is wq.And:
            positive = sorted((child for child in node.subqueries if type(child) is not wq.Not), key=self.cost)
            found = only  # type: ignore[assignment]
            for child in positive:
                found = self.docs(child, found)
                if not found:
                    return set()
            for child in node.subqueries:
                if type(child) is wq.Not and found:
                    found -= self.docs(child.query, found)
            return found
        if kind is wq.AndNot:
            found = self.docs(node.a, only)
            return found - self.docs(node.b, found) if found else found
        return set(self.scores(node, only))  # a phrase: positions decide

    def _term_docs(self, terms: list[Term], only: Only) -> set[int]:
        return term_docs(self.scorer, terms, only)

    # --- the nodes ----------------------------------------------------------------------------

    def cost(self, node: wq.Query) -> int:
        """About how many postings `node` reads (its rarest branch for an And)."""
        kind = type(node)
        frequency = self.scorer.frequency  # type: ignore[attr-defined]
        if kind is wq.Term:
            return frequency(node.fieldname, _text(node.text))  # type: ignore[no-any-return]
        if kind is wq.Phrase:
            return min(frequency(node.fieldname, _text(word)) for word in node.words)  # type: ignore[no-any-return]
        if kind is wq.Sequence:
            return min(sum(frequency(*term) for term in slot) for slot in _slots(node))
        if kind is wq.And:
            return min(self.cost(child) for child in node.subqueries if type(child) is not wq.Not)
        if kind is wq.AndNot:
            return self.cost(node.a)
        return sum(self.cost(child) for child in node.subqueries)

    def scores(self, node: wq.Query, only: set[int] | None) -> dict[int, float]:
        """Docnum -> Whoosh's score of every document matching `node` (among `only`, when given)."""
        kind = type(node)
        if kind is wq.Term:
            return self._terms([(node.fieldname, _text(node.text))], only, node.boost)
        if kind is wq.Phrase:
            words = [(node.fieldname, _text(word)) for word in node.words]
            if any(not self.scorer.frequency(*word) for word in words):  # type: ignore[attr-defined]
                return {}  # Whoosh: a word the index lacks matches nothing
            return self._consecutive([[word] for word in words], only, node.boost)
        if kind is wq.Sequence:
            if len(node.subqueries) == 1:  # CompoundQuery.matcher: the part's own matcher, unboosted
                return self.scores(node.subqueries[0], only)
            return self._consecutive(_slots(node), only, node.boost)
        if kind is wq.AndNot:
            found = self.scores(node.a, only)
            if found:
                for docnum in self.docs(node.b, set(found)):
                    del found[docnum]
            return found
        children = node.subqueries
        if len(children) == 1:  # Whoosh's CompoundQuery.matcher: the child's matcher, unboosted
            return self.scores(children[0], only)
        if kind is wq.And:
            found = self._and(children, only)
        else:  # Or (and the preloading union)
            if all(type(child) is wq.Term and child.boost == 1 for child in children):
                found = self._terms([(child.fieldname, _text(child.text)) for child in children], only, 1.0)
            else:  # each child's scores added to the first's (0.0 plus a score is that score)
                made = [self.scores(child, only) for child in children]
                if len(made) == 2 and len(made[1]) > len(made[0]):  # a + b is b + a: the few added
                    made.reverse()
                found = made[0]
                get = found.get
                for more in made[1:]:
                    for docnum, score in more.items():
                        found[docnum] = get(docnum, 0.0) + score
        if node.boost != 1:
            found = {docnum: score * node.boost for docnum, score in found.items()}
        return found

    def _terms(self, terms: list[Term], only: Only, boost: float) -> dict[int, float]:
        return term_scores(self.scorer, terms, only, boost)

    def _and(self, children: Sequence[wq.Query], only: set[int] | None) -> dict[int, float]:
        positive = sorted((child for child in children if type(child) is not wq.Not), key=self.cost)
        negative = [child.query for child in children if type(child) is wq.Not]
        narrowed = self._matching(positive, only)
        if narrowed is not None:
            if not narrowed:
                return {}
            only = narrowed
        found: dict[int, float] | None = None
        for child in positive:
            more = self.scores(child, only if found is None else set(found))
            found = more if found is None else {docnum: found[docnum] + score for docnum, score in more.items()}
            if not found:
                return {}
        assert found is not None
        for child in negative:
            if not found:
                return {}
            for docnum in self.docs(child, set(found)):
                del found[docnum]
            found = {docnum: score + NOT_SCORE for docnum, score in found.items()}
        return found

    def _matching(self, positive: Sequence[wq.Query], only: set[int] | None) -> set[int] | None:
        """The documents an And of two or more words (terms, or unions of terms) matches, found
        unscored first (sets filled in C) so that each word is scored only where all of them are:
        scoring the rarest word's every posting was most of `a AND b AND c` (100k articles, 105 ms
        for a word of 20,000 documents and 2,324 matches). None where it would not pay (phrases
        answer by positions: found twice would cost twice)."""
        cheap = [child for child in positive if _is_terms(child)]
        if len(cheap) < 2 or len(cheap) != len(positive):
            return None
        found: set[int] | None = only
        for child in cheap:
            found = self.docs(child, found)
            if not found:
                return set()
        return found

    def _consecutive(self, slots: list[list[Term]], only: Only, boost: float) -> dict[int, float]:
        """The documents where a term of each slot follows one of the slot before, position after
        position: a phrase (a word a slot) or the phrase being typed (its last slot the terms of
        the prefix), scored as Whoosh scores both (phrases.py)."""
        return consecutive(self.scorer, slots, only, boost)
