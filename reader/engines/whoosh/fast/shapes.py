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
  scored as the sum of its words' scores (Whoosh's SpanNear2 scores its IntersectionMatcher);
- a compound of one child is that child, its boost dropped, as Whoosh's `matcher` does.
Anything else raises `Unsupported`, and Whoosh answers. tests/engines/test_fast_shapes.py holds
this to Whoosh's own answers, hit sets, order and scores."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from whoosh import query as wq

from reader.engines.whoosh.fast.bm25 import best_scores
from reader.engines.whoosh.fast.format import Term, Unsupported
from reader.engines.whoosh.schema import SEARCH_FIELDS

# Postings a query may read at most here (every term, all its postings); past it Whoosh answers,
# which can skip blocks. 10k articles: the commonest word has 10,000.
SHAPE_POSTINGS_BUDGET = 400_000


# InverseMatcher's weight: the score Whoosh adds for each NOT of an And.
NOT_SCORE = 1.0


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


class Shapes:
    """Answers queries with the fast scorer `scorer` (one searcher generation)."""

    def __init__(self, scorer: object) -> None:
        self.scorer = scorer

    def check(self, query: wq.Query) -> None:
        """`Unsupported` unless every node of `query` is answered here within the budget."""
        terms = _leaf_terms(query)
        frequency = self.scorer.frequency  # type: ignore[attr-defined]
        if sum(frequency(*term) for term in set(terms)) > SHAPE_POSTINGS_BUDGET:
            raise Unsupported("too many postings: Whoosh's block skipping does better")

    def top(self, query: wq.Query, keep: int) -> tuple[list[tuple[int, float]], int]:
        """The best `keep` (docnum, score), ties in document order, and how many match."""
        scorer = self.scorer
        key = ("shape", query, keep)
        with scorer._lock:  # type: ignore[attr-defined]
            known = scorer.answers.get(key)  # type: ignore[attr-defined]
        if known is not None:
            return known[0], known[1]
        self.check(query)
        scores = self.scores(query, None)
        answer = (best_scores(scores, keep), len(scores), False)
        with scorer._lock:  # type: ignore[attr-defined]
            if len(scorer.answers) >= 512:  # type: ignore[attr-defined]
                scorer.answers.pop(next(iter(scorer.answers)))  # type: ignore[attr-defined]
            scorer.answers[key] = answer  # type: ignore[attr-defined]
        return answer[0], answer[1]

    def count(self, query: wq.Query) -> int:
        """How many documents match `query`."""
        self.check(query)
        return len(self.scores(query, None))

    # --- the nodes ----------------------------------------------------------------------------

    def cost(self, node: wq.Query) -> int:
        """About how many postings `node` reads (its rarest branch for an And)."""
        kind = type(node)
        frequency = self.scorer.frequency  # type: ignore[attr-defined]
        if kind is wq.Term:
            return frequency(node.fieldname, _text(node.text))  # type: ignore[no-any-return]
        if kind is wq.Phrase:
            return min(frequency(node.fieldname, _text(word)) for word in node.words)  # type: ignore[no-any-return]
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
            return self._phrase(node, only)
        if kind is wq.AndNot:
            found = self.scores(node.a, only)
            if found:
                for docnum in self.scores(node.b, set(found)):
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
            else:
                found = {}
                get = found.get
                for child in children:
                    for docnum, score in self.scores(child, only).items():
                        found[docnum] = get(docnum, 0.0) + score
        if node.boost != 1:
            found = {docnum: score * node.boost for docnum, score in found.items()}
        return found

    def _terms(self, terms: list[Term], only: set[int] | None, boost: float) -> dict[int, float]:
        boosts = {term: boost for term in terms} if boost != 1 else None
        found, _ = self.scorer.clause(terms, only, 0, None, boosts, drop=False)  # type: ignore[attr-defined]
        return found  # type: ignore[no-any-return]

    def _and(self, children: Iterable[wq.Query], only: set[int] | None) -> dict[int, float]:
        positive = sorted((child for child in children if type(child) is not wq.Not), key=self.cost)
        negative = [child.query for child in children if type(child) is wq.Not]
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
            for docnum in self.scores(child, set(found)):
                del found[docnum]
            found = {docnum: score + NOT_SCORE for docnum, score in found.items()}
        return found

    def _phrase(self, node: wq.Phrase, only: set[int] | None) -> dict[int, float]:
        fieldname = node.fieldname
        words = [_text(word) for word in node.words]
        scorer = self.scorer
        if any(not scorer.frequency(fieldname, word) for word in words):  # type: ignore[attr-defined]
            return {}  # Whoosh: a word the index lacks matches nothing
        # The And of the words, rarest first; each repeat of a word adds its score again.
        order = sorted(set(words), key=lambda word: scorer.frequency(fieldname, word))  # type: ignore[attr-defined]
        each: dict[bytes, dict[int, float]] = {}
        candidates = only
        for word in order:
            each[word] = found = self._terms([(fieldname, word)], candidates, 1.0)
            candidates = set(found) if candidates is None else candidates & set(found)
            if not candidates:
                return {}
        assert candidates is not None
        if len(words) > 1:
            positions = {word: self._positions(fieldname, word, candidates) for word in order}
            kept = set()
            for docnum in candidates:
                first, *rest = (positions[word][docnum] for word in words)
                sets = [set(places) for places in rest]
                if any(all(start + i + 1 in places for i, places in enumerate(sets)) for start in first):
                    kept.add(docnum)
            candidates = kept
        found = {}
        for docnum in sorted(candidates):
            score = 0.0
            for word in words:
                score += each[word][docnum]
            found[docnum] = score
        if node.boost != 1:
            found = {docnum: score * node.boost for docnum, score in found.items()}
        return found

    def _positions(self, fieldname: str, word: bytes, docs: set[int]) -> dict[int, list[int]]:
        """The positions of `word` in `fieldname` of each of `docs` that has it."""
        scorer = self.scorer
        fmt = scorer.searcher.schema[fieldname].format  # type: ignore[attr-defined]
        decode = fmt.decode_positions
        found: dict[int, list[int]] = {}
        for posting in scorer.postings([(fieldname, word)]):  # type: ignore[attr-defined]
            leaf = posting.leaf
            mine = sorted(docnum - leaf.offset for docnum in docs if leaf.offset <= docnum < leaf.offset + leaf.size)
            if not mine:
                continue
            low = -1
            for _best, highest, position in posting.blocks():
                start = bisect_left(mine, low + 1)
                end = bisect_right(mine, highest)
                if start < end:
                    ids = list(posting.read(position)[0])
                    values = posting.values(position)
                    for local in mine[start:end]:
                        at = bisect_left(ids, local)
                        if at < len(ids) and ids[at] == local:
                            found[local + leaf.offset] = decode(values[at])
                low = highest
                if low >= mine[-1]:
                    break
        return found
