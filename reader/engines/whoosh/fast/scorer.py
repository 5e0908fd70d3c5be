"""The fast scorer: plans a type-ahead conjunction, an OR of key terms or the documents of a term,
and scores them from posting blocks (fast/format.py) with BM25F (fast/bm25.py), remembering
expansions, rankings and decoded blocks per index generation.

Search-as-you-type sends a conjunction of plain words and a prefix (the word being typed); an
opened article asks for similar articles (an OR of its key terms) and for links spelt like its
title. Whoosh scores a posting through a chain of Python matcher objects (about 6 µs each), so a
common word or a short prefix over 100k articles took hundreds of milliseconds. These queries are
scored here instead, with the same formula and statistics Whoosh uses. Words are intersected
rarest first, later ones only over the blocks that can hold a candidate; a prefix expands through
an in-memory list of each segment's terms, and when other words chose the documents every one of
its completions is looked for among them, exactly (fast/prefix_among.py); the last word over
many candidates is read only where it can change the page (fast/bounded.py)."""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from whoosh.automata.lev import levenshtein_automaton

from reader.engines.whoosh.fast.blockread import read as read_block
from reader.engines.whoosh.fast.bm25 import best_scores, posting_scores, term_idf
from reader.engines.whoosh.fast.bounded import bounded_last
from reader.engines.whoosh.fast.format import (
    Lexicon,
    Posting,
    Term,
    Unsupported,
    prefetch,
    term_frequency,
)
from reader.engines.whoosh.fast.prefix_among import HitsKept, among
from reader.engines.whoosh.fast.prefix_scores import (
    PREFIX_SCORES_KEPT,
    PREFIX_SCORES_POSTINGS,
    TERM_SCORES_KEPT,
    Kept,
    PrefixScores,
    TermScores,
    add_up,
)
from reader.engines.whoosh.fast.statistics import SegmentData
from reader.engines.whoosh.fast.terms import (
    ByLength,
    best_key_terms,
    bo1,
    close_terms,
    walk_automaton,
    word_counts,
)
from reader.engines.whoosh.prefixes import choose, expansion, spelling_field
from reader.engines.whoosh.schema import (
    SEARCH_FIELDS,
)

# Postings scored for the word being typed at most. Past it the commonest completions that fit are
# kept, or the best blocks of one very common word: about 10 ms of scoring here.
TYPEAHEAD_POSTINGS_BUDGET = 8_000


# Postings read for a whole word of a type-ahead query that is the rarest of its words: past it,
# a very common word gives its best-scoring blocks only.
WORD_POSTINGS_BUDGET = 12_000


# Postings scored for "more like this" at most (its key terms are mostly rare; one that would go
# past the budget is left out). Against no budget, for 200 articles (CPU p95, share of the same
# articles): 20newsgroups 6,000: 17.6 ms, 96%; 4,000: 13.1 ms, 94%. Synthetic 100k 6,000: 19.7 ms,
# 92%; 4,000: 14.0 ms, 86%. Opening an article (this, backlinks, links, layout) has 30 ms at p95.
SIMILAR_POSTINGS_BUDGET = 4_000


# Key terms of an article that "more like this" looks for (of the 40 that tell it apart best).
SIMILAR_TERMS = 12


# Postings scored when looking for links spelt like a title: its rarer words, which tell the most.
# 2,000 found the same backlinks as 5,000 for 100 articles each of 100k and of 20newsgroups.
LINK_WORDS_BUDGET = 2_000


REMEMBERED = 512  # prefix expansions and rankings kept per index generation


_COLLECTION_KEPT = 200_000  # terms whose total occurrences are remembered per field


class Scorer(SegmentData):
    """The fast scorer for one searcher generation: on the segments' data (statistics.py), the
    prefix expansions, fuzzy terms and rankings already made, and the scoring itself."""

    def __init__(self, searcher: object, lexicons: dict[tuple[str, str], Lexicon]) -> None:
        super().__init__(searcher, lexicons)
        self._expansions: dict[str, tuple[Term, ...]] = {}
        self._expansion_words: dict[str, frozenset[str]] = {}
        """The terms of each kept expansion as text: what its page's snippets mark."""
        self._within: dict[tuple[str, str, int, int], tuple[str, ...]] = {}
        """Fuzzy words' terms (see within)."""
        self._by_length: dict[str, ByLength] = {}
        """Field -> its distinct terms by length (see within)."""
        self.answers: dict[object, tuple[list[tuple[int, float]], int, bool]] = {}
        """Rankings already made (typing back and forth asks for them again)."""
        self._collection: dict[str, dict[bytes, float]] = {}
        """Field -> term -> its occurrences in every segment, as "more like this" looked them up."""
        self._prefix_scores = Kept(PREFIX_SCORES_KEPT)
        """Completions -> every document's summed scores of them (prefix_scores.py)."""
        self._term_scores = Kept(TERM_SCORES_KEPT)
        """(field, term) -> its postings' scores, as the prefix scores were made of them."""
        self._hits = HitsKept()
        """Candidate sets -> their completions' hits (prefix_among.py)."""
        self._asked: dict[tuple[Term, ...], object] = {}
        """Completions -> the first candidate set they were looked for among (completions_among)."""

    # --- choosing terms -------------------------------------------------------------------------

    def expand(self, prefix: str) -> tuple[Term, ...]:
        """(field, term) for every index term the word being typed stands for (prefixes.py: the
        stems of the words as written that start with it), commonest first."""
        with self._lock:
            known = self._expansions.get(prefix)
        if known is not None:
            return known
        # Typing goes on: the term lists are read whole once, and every key's terms then come
        # from memory (a key's p95 was a third higher from the terms file, each time).
        for fieldname in SEARCH_FIELDS:
            for name in (fieldname, spelling_field(fieldname)):
                for leaf in self.leaves:
                    try:
                        self.lexicon(leaf, name)
                    except (KeyError, Unsupported):  # a field this segment does not have
                        pass
        found = expansion(prefix, SEARCH_FIELDS, self.prefixed,
                          lambda fieldname, term: self.frequency(fieldname, term.encode("utf-8")))
        result = tuple((fieldname, term.encode("utf-8")) for _, fieldname, term in found)
        words = frozenset(term for _, _, term in found)
        with self._lock:
            if len(self._expansions) >= REMEMBERED:
                dropped = next(iter(self._expansions))
                self._expansions.pop(dropped)
                self._expansion_words.pop(dropped, None)
            self._expansions[prefix] = result
            self._expansion_words[prefix] = words
        return result

    def expansion_words(self, prefix: str) -> frozenset[str]:
        """The terms `expand(prefix)` gives, as text (decoding thousands at every key cost ms)."""
        with self._lock:
            known = self._expansion_words.get(prefix)
        if known is not None:
            return known
        return frozenset(term.decode("utf-8") for _, term in self.expand(prefix))

    def within(self, fieldname: str, text: str, maxdist: int, prefix: int) -> set[str]:
        """The terms of a field within `maxdist` edits of `text` sharing its first `prefix`
        letters: what Whoosh's Levenshtein automaton (its FuzzyTerm's) accepts, from the in-memory
        term lists (terms.ByLength, close_terms), where Whoosh walks its terms file (1.2-4 s for a
        `word~2` on 10k articles)."""
        key = (fieldname, text, maxdist, prefix)
        with self._lock:
            known = self._within.get(key)
        if known is not None:
            return set(known)
        lists: list[list[bytes]] = []
        for leaf in self.leaves:
            try:
                lists.append(self.lexicon(leaf, fieldname).terms)
            except (KeyError, Unsupported):  # a field this segment does not have
                continue
        if not prefix:  # rapidfuzz over the field's distinct terms of a length in reach (terms.py)
            with self._lock:
                by_length = self._by_length.get(fieldname)
            if by_length is None:
                by_length = ByLength(lists)
                with self._lock:
                    self._by_length[fieldname] = by_length
            found = by_length.within(text, maxdist, prefix)
        elif maxdist >= 2:  # rapidfuzz over the terms with the prefix
            found = close_terms(lists, text, maxdist, prefix)
        else:  # the automaton's few steps
            found = walk_automaton(levenshtein_automaton(text, maxdist, prefix).to_dfa(), lists)
        with self._lock:
            if len(self._within) >= REMEMBERED:
                self._within.pop(next(iter(self._within)))
            self._within[key] = tuple(found)
        return found

    def key_terms(self, text: str, fieldname: str, count: int) -> list[tuple[bytes, float, int]]:
        """The `count` terms that best tell `text` apart, weighted as Whoosh's `more_like` does
        (Bo1 model, not normalised), from one fast pass over the text; with how many documents
        have each."""
        occurrences = word_counts(text)
        scored: list[tuple[float, bytes, int]] = []
        known = self._collection.setdefault(fieldname, {})
        if len(known) > _COLLECTION_KEPT:
            known.clear()
        lexicons = [self.lexicon(leaf, fieldname) for leaf in self.leaves]
        for word, weight in occurrences.items():
            term = word.encode("utf-8")
            totals = known.get(term)
            if totals is None:
                collection, docs = 0.0, 0
                for lexicon in lexicons:
                    at = lexicon.find(term)
                    if at >= 0:
                        collection += lexicon.weights[at]
                        docs += lexicon.freqs[at]
                totals = known[term] = (collection, docs)
            collection, docs = totals
            if collection:
                scored.append((-bo1(weight, collection, self.doccount), term, docs))
        return best_key_terms(scored, count)

    # --- scoring --------------------------------------------------------------------------------

    def postings(self, alternatives: Iterable[Term], boosts: dict[Term, float] | None = None) -> list[Posting]:
        found: list[Posting] = []
        for fieldname, term in alternatives:
            infos = [self.info(leaf, fieldname, term) for leaf in self.leaves]
            counts = [term_frequency(info) if info is not None else 0 for info in infos]
            if not any(counts):
                continue
            boost = boosts.get((fieldname, term), 1.0) if boosts else 1.0
            idf = term_idf(self.doccount, sum(counts))
            fmt = self.searcher.schema[fieldname].format  # type: ignore[attr-defined]
            average, norm = self.norms(fieldname)
            for leaf, info, count in zip(self.leaves, infos, counts):
                if count:
                    found.append(Posting(leaf, (fieldname, term), fmt, info, self._blocks(leaf, fieldname, term),  # type: ignore[arg-type]
                                          self.lengths(leaf, fieldname), norm, idf, average, count, boost))
        return found

    def clause(self, alternatives: Sequence[Term], only: set[int] | None, keep: int, budget: int | None,
               boosts: dict[Term, float] | None = None, drop: bool = True,
               made: list[Posting] | None = None) -> tuple[dict[int, float], bool]:
        """BM25F scores of the documents with any of `alternatives` (a word in the title or the
        body, the completions of a prefix, key terms), among `only` when given.

        With a `budget`, alternatives are taken in order while their postings fit it (the first
        always; all of them when not `drop`); when those are still over it, their blocks that can
        score highest are read until the budget is spent or none left can beat the `keep`-th best
        score. The flag says whether anything was left out (the count of matches is then a lower
        bound)."""
        taken: list[Term] = []
        left_out = False
        used = 0
        for fieldname, term in alternatives:
            count = self.frequency(fieldname, term)
            if not count:
                continue
            if drop and budget is not None and taken and used + count > budget:
                left_out = True
                continue
            taken.append((fieldname, term))
            used += count
        # `made`: the postings of every alternative, already made by the caller (no budget, none dropped).
        postings = made if made is not None else self.postings(taken, boosts)
        scores: dict[int, float] = {}
        if only is not None:
            # Later words of a conjunction: only the blocks whose id range holds a candidate; when
            # those hold more postings than the budget, the ones that can score highest.
            wanted = {
                id(leaf): sorted(d - leaf.offset for d in only if leaf.offset <= d < leaf.offset + leaf.size)
                for leaf in self.leaves
            }
            hits: list[tuple[float, int, int]] = []
            for number, posting in enumerate(postings):
                mine = wanted[id(posting.leaf)]
                if not mine:
                    continue
                low = -1
                for best, highest, position in posting.blocks():
                    at = bisect_left(mine, low + 1)
                    if at < len(mine) and mine[at] <= highest:
                        hits.append((best, number, position))
                    low = highest
                    if low >= mine[-1]:
                        break
            if budget is not None and len(hits) * 128 > budget:  # a block holds up to 128 postings
                hits.sort(key=lambda block: -block[0])
            left = budget if budget is not None else math.inf
            for best, number, position in hits:
                if left <= 0:
                    return scores, True
                left -= postings[number].add(*read_block(postings[number], position), scores, only)
            return scores, left_out
        if budget is None or used <= budget:
            for posting in postings:
                for _bound, _highest, position in posting.blocks():
                    posting.add(*read_block(posting, position), scores, None)
            return scores, left_out
        # Over the budget (a very common word): the best blocks first.
        blocks = sorted(((best, number, position) for number, posting in enumerate(postings)
                         for best, _highest, position in posting.blocks()), key=lambda block: -block[0])
        left = budget
        for done, (best, number, position) in enumerate(blocks):
            if left <= 0 or (done % 16 == 15 and len(scores) >= keep and heapq.nlargest(keep, scores.values())[-1] >= best):
                return scores, True
            left -= postings[number].add(*read_block(postings[number], position), scores, None)
        return scores, left_out

    def conjunction(self, words: Sequence[tuple[Term, ...]], completions: tuple[Term, ...],
                    keep: int) -> tuple[list[tuple[int, float]], int, bool]:
        """The best `keep` (docnum, score) with every word and one of the completions, how many
        match, and whether that count is only a lower bound (remembered per generation)."""
        key = (tuple(words), completions, keep)
        with self._lock:
            known = self.answers.get(key)
        if known is not None:
            return known
        answer, chose = self._conjunction(words, completions, keep, prefix_last=False)
        if chose and answer[2] and len(answer[0]) < keep and words:
            # The prefix chose its commonest completions and the page came up short: the rare
            # completion the other words need may be among those left out. Let the words choose
            # the documents and look for every completion among them.
            answer, _ = self._conjunction(words, completions, keep, prefix_last=True)
        with self._lock:
            if len(self.answers) >= REMEMBERED:
                self.answers.pop(next(iter(self.answers)))
            self.answers[key] = answer
        return answer

    def _conjunction(self, words: Sequence[tuple[Term, ...]], completions: tuple[Term, ...], keep: int,
                     prefix_last: bool) -> tuple[tuple[list[tuple[int, float]], int, bool], bool]:
        """The answer of `conjunction`, and whether the prefix chose the documents from only some
        of its terms (the page may then be missing documents the other words need)."""
        # (terms, postings budget, whether it is the prefix): a word is looked for in the title
        # and the body; the word being typed in the terms it stands for.
        clauses = [(word, WORD_POSTINGS_BUDGET, False) for word in words]
        if completions:
            clauses.append((completions, TYPEAHEAD_POSTINGS_BUDGET, True))

        def cost(clause: tuple[tuple[Term, ...], int, bool]) -> tuple[bool, int]:
            return (prefix_last and clause[2], min(sum(self.frequency(*term) for term in clause[0]), clause[1]))

        # Rarest first: it is read whole (or its best blocks when very common), the others only
        # in the blocks where it matched.
        clauses.sort(key=cost)
        scores: dict[int, float] | None = None
        estimate = chose = False
        scale = 1.0  # matches in all of the first clause's documents for each in those read
        before: list[tuple[Term, ...]] = []  # the clauses that chose the documents so far
        counted: int | None = None  # the matches, when the last word counted them (bounded.py)
        for place, (alternatives, budget, is_prefix) in enumerate(clauses):
            if scores is None:
                everything = alternatives
                if is_prefix:  # the prefix chooses the documents: its commonest terms (prefixes.py)
                    ranked = [(self.frequency(*term), term) for term in alternatives]
                    chosen, complete = choose(ranked, budget)
                    alternatives, estimate = tuple(chosen), not complete  # type: ignore[assignment]
                    chose = estimate
                scores, left_out = self.clause(alternatives, None, keep, budget, drop=False)
                if left_out and scores:  # its best blocks only
                    scale = max(1.0, self._share(everything) * self.doccount / len(scores))
                elif chose:  # all of its commonest terms' documents
                    scale = self._share(everything) / max(self._share(alternatives), 1e-12)
                estimate = estimate or left_out
            elif is_prefix:  # every completion among the documents the words chose, exactly
                more, left_out = self.completions_among((tuple(before), keep), alternatives, scores), False
                scores = {docnum: scores[docnum] + score for docnum, score in more.items()}
            else:
                bounded = made = None
                if place == len(clauses) - 1:  # the last word: only its blocks that can reach the page
                    made = self.postings(alternatives)
                    bounded = bounded_last(made, scores, keep)
                if bounded is not None:
                    scores, counted, sampled = bounded
                    estimate = estimate or sampled
                else:  # every block of it that can hold a candidate
                    more, left_out = self.clause(alternatives, set(scores), keep, None, drop=False, made=made)
                    scores = {docnum: scores[docnum] + score for docnum, score in more.items()}
                    estimate = estimate or left_out
            before.append(alternatives)
            if not scores:
                break
        found = len(scores or {}) if counted is None else counted
        # Past a budget the count is of the documents read; the estimate assumes the same share
        # of the unread ones matches (within 25% on 20 Newsgroups' 2-letter prefixes).
        count = max(found, round(found * scale)) if estimate else found
        return (best_scores(scores or {}, keep), count, estimate), chose

    def completions_among(self, chosen_by: object, completions: tuple[Term, ...],
                          candidates: dict[int, float]) -> dict[int, float]:
        """Each candidate's summed scores of the `completions` it has, every completion read (no
        budget): from the prefix's kept scores when made, else from the completions' hits among
        the same candidates (`chosen_by`: the clauses and page size that chose them) kept from
        the letters before, the other completions read among them (prefix_among.py)."""
        with self._lock:
            known = self._prefix_scores.get(completions)
            first = self._asked.get(completions)
            if first is None:
                if len(self._asked) >= REMEMBERED:
                    self._asked.pop(next(iter(self._asked)))
                first = self._asked[completions] = chosen_by
        with self._lock:
            held = self._hits.get(chosen_by)
            # Typing on (`yift fre` after `yift fr`): the same candidates' hits of every completion
            # are kept from the letter before, and adding them up costs no reading at all, where
            # making the prefix's scores reads every posting of its completions.
            covered = held is not None and all(term in held for term in completions)
        if known is None and not covered and first != chosen_by \
                and sum(self.frequency(*term) for term in completions) <= PREFIX_SCORES_POSTINGS:
            # Asked for after other words before: likely again, so made whole once and kept (it
            # scores every posting, dearer than reading among one set of candidates; a lookup after).
            known = self.prefix_scores(completions)
        if known is not None:  # the words' documents looked up in the prefix's scores
            return known.among(candidates)  # type: ignore[union-attr]
        with self._lock:
            kept = self._hits.of(chosen_by)
        more, read = among(self, completions, candidates, kept)
        with self._lock:
            self._hits.added(chosen_by, read)
        return more

    def prefix_scores(self, completions: tuple[Term, ...]) -> PrefixScores | None:
        """Every document's summed scores of a prefix's `completions` (made on first use, then
        kept for the generation), or None when their postings are too many to read whole: the
        same sums, in the same order, as reading them among a word's documents (clause)."""
        with self._lock:
            known = self._prefix_scores.get(completions)
        if known is not None:
            return known
        if sum(self.frequency(*term) for term in completions) > PREFIX_SCORES_POSTINGS:
            return None
        # What clause(completions, None, ...) adds up, term after term: each term's scores kept
        # (the next letter's completions are among these), the others read with their term
        # infos and short posting lists each in one read with their neighbours (4,000 seeks and
        # reads were about a third of the time).
        taken = [term for term in completions if self.frequency(*term)]
        with self._lock:
            terms: dict[Term, TermScores] = {}
            for term in taken:
                kept = self._term_scores.get(term)
                if kept is not None:
                    terms[term] = kept  # type: ignore[assignment]
        missing = [term for term in taken if term not in terms]
        of_term: dict[Term, list[Posting]] = {}
        if missing:
            self.prefetch_infos(missing)
            postings = self.postings(missing)
            prefetch(postings)
            for posting in postings:
                of_term.setdefault(posting.term, []).append(posting)
        scores: dict[int, float] = {}
        for term in taken:
            known_term = terms.get(term)
            if known_term is not None:
                add_up([known_term], scores)
                continue
            made_term = TermScores()
            for posting in of_term.get(term, ()):
                leaf = posting.leaf
                for _bound, _highest, position in posting.blocks():
                    ids, weights = read_block(posting, position)
                    posting_scores(ids, weights, posting.lengths, posting.norm, posting.idf, leaf.offset,
                                   leaf.deleted, made_term.docs, made_term.scores, scores)
            with self._lock:
                self._term_scores.put(term, made_term)
        made = PrefixScores(scores)
        with self._lock:
            self._prefix_scores.put(completions, made)
        return made

    def _share(self, alternatives: Iterable[Term]) -> float:
        """The share of documents with any of `alternatives`, were the terms independent."""
        none = 1.0
        for term in alternatives:
            none *= 1.0 - min(1.0, self.frequency(*term) / max(1, self.doccount))
        return 1.0 - none
