"""A short prefix's scores, made once per generation (fast/prefix_scores.py), rank `word pr`
exactly as reading the completions among the word's documents does: the same hits, order, counts
and scores (to the last bits but for the order of additions), also when a refresh removed
documents; and what is kept stays within its bounds."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from reader.engines.whoosh.fast import scorer as fast_scorer
from reader.engines.whoosh.fast.prefix_scores import (
    Kept,
    PrefixScores,
    TermScores,
    add_up,
)
from reader.engines.whoosh.fast.scorer import Scorer
from reader.engines.whoosh.index import ArchiveIndex

STARTS = ["st", "sp", "sh", "tr", "co", "pr", "ba", "ma"]


def _words(rng: random.Random) -> list[str]:
    """Made-up words, many sharing their first two or three letters."""
    letters = "aeioulnrstkm"
    words = []
    for start in STARTS:
        for _ in range(40):
            words.append(start + "".join(rng.choice(letters) for _ in range(rng.randint(1, 6))))
    return words


def _archive(write: Callable[..., object], count: int = 160, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = _words(rng)
    common = words[:: len(words) // 12]  # a few words in many articles, for the whole words typed
    for number in range(count):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 5)))
        body = " ".join(rng.choice(common if rng.random() < 0.3 else words) for _ in range(rng.randint(20, 80)))
        write(f"{number:03d}_a", title.capitalize(), [body + "."])
    return common


def _answers(index: ArchiveIndex, asks: list[tuple[list[str], str]], use_prefix_scores: bool,
             monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[tuple[int, float]], int, bool]]:
    """Each (words, prefix) of `asks` on one scorer of the index, in order (as typed: a prefix's
    shorter prefixes first), with or without prefix scores."""
    monkeypatch.setattr(fast_scorer, "PREFIX_SCORES_POSTINGS", 10**9 if use_prefix_scores else 0)
    found = []
    with index._searching() as searcher:
        scorer = Scorer(searcher, {})
        for words, prefix in asks:
            clauses = [tuple((field, word.encode()) for field in ("title", "body")) for word in words]
            found.append(scorer.conjunction(clauses, scorer.expand(prefix), 20))
        if use_prefix_scores:
            assert len(scorer._prefix_scores), "the prefix scores were never used"
    return found


def _asks(common: list[str], seed: int) -> list[tuple[list[str], str]]:
    rng = random.Random(seed)
    asks = []
    for _ in range(60):
        words = rng.sample(common, rng.choice((1, 1, 2)))
        start = rng.choice(STARTS)
        typed = start + rng.choice("aeioulnrstkm") + rng.choice("aeioulnrstkm")
        asks += [(words, typed[:2]), (words, typed[:3]), (words, typed)]  # letter by letter
    return asks


def _assert_same(theirs: list, ours: list) -> None:
    checked = 0
    for (ranked, count, estimate), (mine, my_count, my_estimate) in zip(theirs, ours, strict=True):
        if estimate:  # a bounded read: ours reads all of the prefix's terms (exact, never fewer hits)
            assert my_count >= len(ranked)
            continue
        assert (count, estimate) == (my_count, my_estimate)
        assert [docnum for docnum, _ in ranked] == [docnum for docnum, _ in mine]
        for (_, score), (_, my_score) in zip(ranked, mine):
            assert my_score == pytest.approx(score, rel=1e-12, abs=0.0)
        checked += 1
    assert checked >= 100


def test_word_and_prefix_rank_as_reading_the_completions(make_index, write, monkeypatch) -> None:
    common = _archive(write)
    index = make_index()
    asks = _asks(common, 3)
    theirs = _answers(index, asks, False, monkeypatch)
    ours = _answers(index, asks, True, monkeypatch)
    assert sum(bool(ranked) for ranked, _, _ in theirs) >= 60  # most asks find something
    _assert_same(theirs, ours)


def test_prefix_scores_leave_out_what_a_refresh_removed(make_index, write, archive, monkeypatch) -> None:
    common = _archive(write)
    index = make_index()
    asks = _asks(common, 5)
    before = _answers(index, asks, True, monkeypatch)
    with index._searching() as searcher:
        stored = searcher.stored_fields
        removed = {stored(docnum)["id"] for ranked, _, _ in before[:30] for docnum, _ in ranked[:2]}
    assert removed
    for article_id in removed:
        (archive / f"{article_id}.txt").unlink()
    index.refresh()
    theirs = _answers(index, asks, False, monkeypatch)
    ours = _answers(index, asks, True, monkeypatch)
    _assert_same(theirs, ours)
    with index._searching() as searcher:
        stored = searcher.stored_fields
        listed = {stored(docnum)["id"] for ranked, _, _ in ours for docnum, _ in ranked}
        scorer = Scorer(searcher, {})
        deleted = {leaf.offset + local for leaf in scorer.leaves for local in leaf.deleted}
        assert len(deleted) == len(removed)
        for start in STARTS:  # the prefix scores themselves hold no removed document
            made = scorer.prefix_scores(scorer.expand(start))
            assert made is not None and len(made) and not deleted & set(made.docs)
    assert not listed & removed


def test_type_ahead_pages_are_the_same_with_and_without(make_index, write, monkeypatch) -> None:
    common = _archive(write)
    typed = [f"{word} {start}" for word in common[:4] for start in STARTS]
    pages = {}
    for use in (False, True):
        monkeypatch.setattr(fast_scorer, "PREFIX_SCORES_POSTINGS", 10**9 if use else 0)
        index = make_index()
        pages[use] = [index.search(text, typeahead=True, limit=20, snippets=0) for text in typed]
    for without, with_scores in zip(pages[False], pages[True], strict=True):
        assert [hit.id for hit in with_scores.hits] == [hit.id for hit in without.hits], without.query
        assert (with_scores.total, with_scores.total_is_estimate) == (without.total, without.total_is_estimate)


def test_among_finds_exactly_the_members() -> None:
    rng = random.Random(1)
    scores = {docnum: rng.random() + 0.1 for docnum in rng.sample(range(5000), 700)}
    made = PrefixScores(scores)
    assert len(made) == 700
    for size in (0, 5, 60, 3000):  # few candidates (looked up) and many (the members walked)
        candidates = set(rng.sample(range(5000), size))
        assert made.among(candidates) == {docnum: scores[docnum] for docnum in candidates if docnum in scores}
    assert made.among({docnum: 0.0 for docnum in range(10)}) == {d: scores[d] for d in range(10) if d in scores}


def test_add_up_adds_in_the_order_of_the_terms() -> None:
    first, second = TermScores(), TermScores()
    first.docs.extend([1, 4]), first.scores.extend([0.1, 0.2])
    second.docs.extend([4, 9]), second.scores.extend([0.7, 0.3])
    assert add_up([first, second]) == {1: 0.1, 4: 0.2 + 0.7, 9: 0.3}
    assert add_up([second], {4: 1.0}) == {4: 1.0 + 0.7, 9: 0.3}


def test_kept_is_bounded_and_drops_the_least_recently_used() -> None:
    kept = Kept(10)

    def sized(count: int) -> PrefixScores:
        return PrefixScores({docnum: 1.0 for docnum in range(count)})

    kept.put("a", sized(4))
    kept.put("b", sized(4))
    assert kept.get("a") is not None  # "b" is now the least recently used
    kept.put("c", sized(4))
    assert kept.get("b") is None and kept.get("a") is not None and kept.get("c") is not None
    assert kept.entries == 8
    kept.put("huge", sized(11))  # larger than everything kept: not kept, nothing dropped for it
    assert kept.get("huge") is None and len(kept) == 2

