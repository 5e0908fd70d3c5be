"""The completions of the word being typed read among the other words' documents
(fast/prefix_among.py, fast/postings_scan.py) give exactly what reading every completion through
the scorer's own posting reader gives: the same hits, order, scores to the last bit and counts,
typed letter by letter (each term's hits kept and reused), across segments and deletions; and the
lean block decoding equals unpickling the blocks whole."""

from __future__ import annotations

import pickle
import random
import zlib
from array import array
from collections.abc import Callable
from itertools import accumulate

import pytest

from reader.engines.whoosh.fast import scorer as fast_scorer
from reader.engines.whoosh.fast.format import (
    INFO_HEAD,
    INLINED,
    SHORT_POSTINGS,
    list_place,
)
from reader.engines.whoosh.fast.postings_scan import blocks, ids_weights
from reader.engines.whoosh.fast.prefix_among import HitsKept, TermHits
from reader.engines.whoosh.fast.scorer import Scorer
from reader.engines.whoosh.index import ArchiveIndex

STARTS = ["st", "sp", "tr", "co", "pr", "ba"]


LETTERS = "aeioulnrstkm"


def _archive(write: Callable[..., object], count: int, seed: int, start: int = 0) -> list[str]:
    """Articles of made-up words sharing their first letters; a few common words (in hundreds of
    articles: posting lists of several blocks) and many rare ones. The common words."""
    rng = random.Random(seed)
    words = [first + "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 6))) for first in STARTS for _ in range(60)]
    common = words[::30]
    for number in range(start, start + count):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 5)))
        body = " ".join(rng.choice(common if rng.random() < 0.35 else words) for _ in range(rng.randint(20, 90)))
        write(f"{number:04d}_a", title.capitalize(), [body + "."])
    return common


def _typed(common: list[str], seed: int, sessions: int = 50) -> list[tuple[list[str], str]]:
    """(words, prefix) as typed: each session's prefix letter by letter after the same words."""
    rng = random.Random(seed)
    asks = []
    for _ in range(sessions):
        words = rng.sample(common, rng.choice((1, 1, 2)))
        typed = rng.choice(STARTS) + "".join(rng.choice(LETTERS) for _ in range(3))
        asks += [(words, typed[:length]) for length in range(2, len(typed) + 1)]
    return asks


def _every_completion(self: Scorer, chosen_by: object, completions: tuple, candidates: dict) -> dict:
    """The reference: every completion read among the candidates by the scorer's own clause."""
    more, left_out = self.clause(completions, set(candidates), 50, None, drop=False)
    assert not left_out
    return more


def _answers(index: ArchiveIndex, asks: list[tuple[list[str], str]], reference: bool,
             monkeypatch: pytest.MonkeyPatch, keep: int = 20) -> list[tuple[list[tuple[int, float]], int, bool]]:
    with monkeypatch.context() as patch:
        if reference:
            patch.setattr(Scorer, "completions_among", _every_completion)
        found = []
        with index._searching() as searcher:
            scorer = Scorer(searcher, {})
            for words, prefix in asks:
                clauses = [tuple((field, word.encode()) for field in ("title", "body")) for word in words]
                found.append(scorer.conjunction(clauses, scorer.expand(prefix), keep))
            if not reference:
                assert len(scorer._hits), "the completions' hits were never kept"
    return found


def _assert_equal(theirs: list, ours: list) -> int:
    compared = 0
    for (ranked, count, estimate), (mine, my_count, my_estimate) in zip(theirs, ours, strict=True):
        assert mine == ranked  # the same documents, in the same order, with the same scores
        assert (my_count, my_estimate) == (count, estimate)
        compared += bool(ranked)
    return compared


def test_typed_prefixes_rank_as_reading_every_completion(make_index, write, monkeypatch) -> None:
    common = _archive(write, 700, seed=3)
    index = make_index()
    asks = _typed(common, seed=4)
    theirs = _answers(index, asks, True, monkeypatch)
    ours = _answers(index, asks, False, monkeypatch)
    assert _assert_equal(theirs, ours) >= 120
    # Without prefix scores (never made) and with them made at once: the same again.
    monkeypatch.setattr(fast_scorer, "PREFIX_SCORES_POSTINGS", 0)
    assert _answers(index, asks, False, monkeypatch) == theirs
    monkeypatch.setattr(fast_scorer, "PREFIX_SCORES_POSTINGS", 10**9)
    assert _answers(index, asks, False, monkeypatch) == theirs


def test_typed_prefixes_across_segments_and_deletions(make_index, write, archive, monkeypatch) -> None:
    common = _archive(write, 500, seed=5)
    index = make_index()
    _archive(write, 120, seed=6, start=500)  # a second segment, with the same words
    for number in range(0, 500, 7):  # and deletions in the first
        (archive / f"{number:04d}_a.txt").unlink()
    index.refresh()
    asks = _typed(common, seed=8)
    theirs = _answers(index, asks, True, monkeypatch, keep=50)
    ours = _answers(index, asks, False, monkeypatch, keep=50)
    assert _assert_equal(theirs, ours) >= 100
    with index._searching() as searcher:
        scorer = Scorer(searcher, {})
        assert len(scorer.leaves) >= 2 and any(leaf.deleted for leaf in scorer.leaves)
        deleted = {leaf.offset + local for leaf in scorer.leaves for local in leaf.deleted}
    assert not deleted & {docnum for ranked, _, _ in ours for docnum, _ in ranked}


def test_type_ahead_pages_count_every_match(make_index, write) -> None:
    # `word pr`: the count is exact (not an estimate) and equals the documents with the word and
    # any completion, counted here from the postings' own lists.
    common = _archive(write, 400, seed=9)
    index = make_index()
    for word in common[:4]:
        for start in STARTS:
            page = index.search(f"{word} {start}", typeahead=True, limit=10, snippets=0)
            with index._searching() as searcher:
                scorer = Scorer(searcher, {})
                with_word = set().union(*(scorer.term_docs(field, word.encode()) for field in ("title", "body")))
                with_prefix = set().union(*(scorer.term_docs(field, term) for field, term in scorer.expand(start)))
            assert not page.total_is_estimate
            assert page.total == len(with_word & with_prefix), (word, start)


def _lists(index: ArchiveIndex) -> list[tuple[bytes, bool]]:
    """Every posting list of the index's title and body terms, as bytes (and whether short)."""
    found = []
    with index._searching() as searcher:
        scorer = Scorer(searcher, {})
        for leaf in scorer.leaves:
            postfile = leaf.reader._terms._postfile
            for field in ("title", "body"):
                lexicon = scorer.lexicon(leaf, field)
                for at in range(len(lexicon.terms)):
                    info = lexicon.info(at)
                    if info[:1] != INLINED:
                        offset, length = list_place(info)
                        found.append((postfile.get(offset, length), length <= SHORT_POSTINGS))
                    elif len(info) <= INFO_HEAD:
                        raise AssertionError("an inlined info without postings")
    return found


def test_blocks_decode_as_unpickled_whole(make_index, write) -> None:
    _archive(write, 300, seed=10)
    index = make_index()
    lists = _lists(index)
    assert len(lists) > 500
    decoded = 0
    for data, short in lists:
        at = 4
        for count, highest, compression, start, end in blocks(data):
            # The header as Whoosh unpickles it, then the block whole.
            header = pickle.loads(data[at + 4 : start])
            assert (header[0], header[1], header[3]) == (count, highest, compression)
            gaps, weights, _values = pickle.loads(zlib.decompress(data[start:end]) if compression else data[start:end])
            ids, my_weights = ids_weights(data[start:end], compression, count, short)
            assert ids == list(accumulate(gaps)) and ids[-1] == highest
            if isinstance(weights, tuple):
                assert my_weights == weights
            else:
                expected = [weights or 1.0] * count if short else array("f", [1.0 if weights is None else weights]) * count
                assert list(my_weights) == list(expected) and type(my_weights) is type(expected)
            decoded += 1
            at = end
    assert decoded >= len(lists)


def test_a_block_of_another_shape_is_decoded_whole() -> None:
    # No positions (so no values to cut at), and a header whose weight is not a float.
    gaps, weights = (3, 4, 1, 9), (2.0, 1.0, 1.0, 5.0)
    data = zlib.compress(pickle.dumps((gaps, weights, None), 2))
    assert ids_weights(data, 1, 4, True) == ([3, 7, 8, 17], weights)
    header = pickle.dumps((4, 17, 5, 1, 3, 9), 2)  # weight pickled as an int
    block = header + data
    posting_list = b"W3Bl" + (-len(block)).to_bytes(4, "big", signed=True) + block
    assert list(blocks(posting_list)) == [(4, 17, 1, 8 + len(header), len(posting_list))]


def test_hits_kept_are_bounded() -> None:
    kept = HitsKept(sets=2, hits=10)

    def hits(count: int) -> TermHits:
        made = TermHits()
        made.docs.extend(range(count))
        made.scores.extend([1.0] * count)
        return made

    kept.of("a")[("body", b"x")] = hits(4)
    kept.added("a", 4)
    kept.of("b")[("body", b"y")] = hits(4)
    kept.added("b", 4)
    assert len(kept) == 2 and kept.entries == 8
    kept.of("a")  # now "b" is the least recently used
    kept.of("c")[("body", b"z")] = hits(5)
    kept.added("c", 5)
    assert len(kept) == 2 and ("body", b"x") in kept.of("a") and kept.entries <= 10


def test_counts_with_words_after_the_prefix_are_exact(make_index, write, monkeypatch) -> None:
    # With small budgets a common word comes after the prefix: its blocks are read among the
    # candidates whole, so when the first clause was read whole the count is the true one, and
    # every listed hit has each word and a completion.
    common = _archive(write, 400, seed=12)
    index = make_index()
    monkeypatch.setattr(fast_scorer, "TYPEAHEAD_POSTINGS_BUDGET", 300)
    monkeypatch.setattr(fast_scorer, "WORD_POSTINGS_BUDGET", 400)
    rng = random.Random(13)
    exact = 0
    with index._searching() as searcher:
        scorer = Scorer(searcher, {})
        for _ in range(40):
            words = rng.sample(common, 2)
            start = rng.choice(STARTS) + rng.choice(("", rng.choice(LETTERS)))
            clauses = [tuple((field, word.encode()) for field in ("title", "body")) for word in words]
            completions = scorer.expand(start)
            ranked, count, estimate = scorer.conjunction(clauses, completions, 400)
            docs = [set().union(*(scorer.term_docs(field, term) for field, term in clause)) for clause in clauses]
            docs.append(set().union(*(scorer.term_docs(field, term) for field, term in completions)))
            truth = set.intersection(*docs)
            assert {docnum for docnum, _ in ranked} <= truth
            if not estimate:
                assert count == len(truth) and {docnum for docnum, _ in ranked} == truth
                exact += 1
    assert exact >= 20
