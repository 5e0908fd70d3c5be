"""The block reading and phrases of the query shapes (fast/blockread.py, fast/phrases.py,
fast/term_postings.py) against Whoosh's own, on an index of several segments with deletions whose
common words have posting lists long enough for Whoosh's matcher (over 32 KB) and blocks whose
pickles need long memo puts:
- every block's ids, weights and values equal Posting.read's and Whoosh's matcher's;
- values cut out of a block, and their positions unpickled together, equal Whoosh's
  (Positions.decode_positions), for one and many positions; a long list read whole decodes as
  Whoosh's matcher decodes it;
- term documents equal Whoosh's postings less deletions; a sum of terms pruned (fast/topk.py)
  equals it with every posting scored;
- phrases, open phrases, AND/OR/NOT and fuzzy words give Whoosh's pages: the same hits in the same
  order, the same count, and the same scores: to the bit for phrases and words; for compounds of
  three scored parts or more to the last bit or so (they are added in another order than Whoosh's
  tree of matchers, as on the path before, so a near tie may be ordered otherwise)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from itertools import accumulate

import pytest
from support import article_text
from whoosh.formats import Positions

from reader.engines.whoosh.fast import blockread, term_postings
from reader.engines.whoosh.fast.bm25 import best_scores as bm25_best
from reader.engines.whoosh.fast.format import Unsupported
from reader.engines.whoosh.index import ArchiveIndex

_RNG = random.Random(77)
WORDS = sorted({"".join(_RNG.choice("bdfgklmnprstvz") + _RNG.choice("aeiou") for _ in range(_RNG.randint(2, 3)))
                for _ in range(60)})
COMMON, RARE = WORDS[:12], WORDS[12:]
ARTICLES = 1200


def _body(rng: random.Random) -> str:
    # Common words in most articles (long posting lists), repeated (values of several positions).
    words = rng.choices(COMMON, k=240) + rng.choices(RARE, k=40)
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ArchiveIndex, list[list[str]]]]:
    root = tmp_path_factory.mktemp("blocks")
    archive = root / "archive"
    archive.mkdir()
    rng = random.Random(5)
    bodies: list[list[str]] = []

    def write(number: int) -> None:
        title = " ".join(rng.choices(COMMON + RARE, k=4)).capitalize()
        body = _body(rng)
        bodies.append(body.lower().rstrip(".").split())
        (archive / f"{number:04d}_x.txt").write_text(article_text(title, [body]), encoding="utf-8")

    for number in range(ARTICLES):
        write(number)
    index = ArchiveIndex(archive, root / "index")
    index.refresh()
    for number in range(ARTICLES, ARTICLES + 60):  # a second segment, and deletions in the first
        write(number)
    for number in range(0, ARTICLES, 37):
        (archive / f"{number:04d}_x.txt").unlink()
    index.refresh()
    yield index, bodies
    index.close()


def _postings(index: ArchiveIndex) -> Iterator[tuple[object, object, object]]:
    """(posting, the same posting on a second scorer with its own caches, field) of every term."""
    with index._searching() as searcher:
        first = index._scorer(searcher)
        second = type(first)(searcher, {})
        for fieldname in ("title", "body"):
            for leaf in first.leaves:
                try:
                    terms = first.lexicon(leaf, fieldname).terms
                except (KeyError, Unsupported):
                    continue
                for term in terms:
                    for a, b in zip(first.postings([(fieldname, term)]), second.postings([(fieldname, term)]), strict=True):
                        if a.leaf is leaf:
                            yield a, b, fieldname


def test_every_block_reads_as_whoosh_reads_it(built: tuple[ArchiveIndex, list[list[str]]]) -> None:
    index, _ = built
    rng = random.Random(1)
    fmt = Positions()
    matched = 0
    blocks = long_lists = full = 0
    for ours, theirs, _field in _postings(index):
        long_lists += ours.short_place() is None and not ours._inlined()
        for (_, highest, position), (_, highest2, position2) in zip(ours.blocks(), theirs.blocks(), strict=True):
            assert (highest, position) == (highest2, position2)
            ids, weights = blockread.read(ours, position)
            expected_ids, expected_weights = theirs.read(position)
            assert list(ids) == list(expected_ids) and list(weights) == list(expected_weights)
            assert type(weights) is type(expected_weights)
            if position >= 0 and ours.short_place() is None:  # a long list, read whole: as Whoosh's matcher
                matcher = ours._matcher()
                matcher._goto(position)
                matcher._read_ids()
                matcher._read_weights()
                assert list(ids) == list(matcher._ids) and type(weights) is type(matcher._weights)
                assert list(weights) == list(matcher._weights)
                matched += 1
            values = theirs.values(position)
            ours.cache.decoded.pop(position, None)  # read again, with the values
            ids, weights, packed = blockread.read_packed(ours, position)
            assert list(ids) == list(expected_ids) and list(weights) == list(expected_weights)
            if isinstance(packed, blockread.Packed):
                assert packed.whole is None  # cut out of the pickle, not unpickled whole
                every = range(len(values))
                strings = packed.strings(every)
                assert [text.encode("latin-1") for text in strings] == [value[4:] for value in values]
                some = sorted(rng.sample(every, rng.randint(0, len(values))))
                assert packed.strings(some) == [strings[at] for at in some]
                assert packed.whole is None
                gaps = blockread.gap_lists(strings)
                assert [list(accumulate(each)) for each in gaps] == [fmt.decode_positions(value) for value in values]
                full += len(values) == 128
            else:
                assert list(packed) == list(values)
            blocks += 1
    assert blocks > 500 and long_lists >= 10 and full >= 300 and matched >= 100


def test_gap_lists_equal_whooshs_decoding_of_any_values() -> None:
    # Values of one position and many, gaps of one, two and four bytes, and values whose STOP
    # was dropped (as some are kept): the joined unpickling or, for those, one by one.
    fmt = Positions()
    rng = random.Random(4)
    cases = [[0], [46], [128], [255], [256], [640], [65535], [65536], [10**6], [3, 4], [0, 300, 70000]]
    cases += [sorted(rng.sample(range(rng.choice((50, 600, 100_000))), rng.randint(1, 9))) for _ in range(2000)]
    values = [fmt.encode(places) for places in cases]
    for chosen in (values, values[:1], [value.rstrip(b".") if at % 7 == 0 else value for at, value in enumerate(values)]):
        strings = [value.decode("latin-1")[4:] for value in chosen]
        assert [list(accumulate(gaps)) for gaps in blockread.gap_lists(strings)] == [fmt.decode_positions(v) for v in chosen]
    assert blockread.gap_lists([]) == []


@pytest.fixture
def whoosh_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    fast_shaped = ArchiveIndex._shaped

    def unsupported(*args: object, **kwargs: object) -> object:
        raise Unsupported("testing Whoosh's path")

    def switch(whoosh: bool) -> None:
        monkeypatch.setattr(ArchiveIndex, "_shaped", unsupported if whoosh else fast_shaped)

    yield switch


def _answer(index: ArchiveIndex, text: str, limit: int, typeahead: bool = False) -> tuple[object, ...]:
    page = index.search(text, limit=limit, typeahead=typeahead, snippets=0, suggest=False)
    return (page.error, [hit.id for hit in page.hits], [hit.score for hit in page.hits], page.total,
            page.total_is_estimate)


def _same_count(fast: tuple[object, ...], slow: tuple[object, ...], text: str) -> None:
    if slow[4] and not fast[4]:  # Whoosh's count ran out of its time (a busy machine): estimated
        assert abs(fast[3] - slow[3]) <= 0.25 * fast[3], text  # type: ignore[operator]
    else:
        assert fast[3:] == slow[3:], text


def _same(fast: tuple[object, ...], slow: tuple[object, ...], text: str) -> None:
    assert fast[:3] == slow[:3], text
    _same_count(fast, slow, text)


def _queries(bodies: list[list[str]], rng: random.Random) -> Iterator[str]:
    pick = rng.choice

    def phrase(length: int) -> str:
        words = pick(bodies)
        start = rng.randrange(len(words) - length)
        return '"' + " ".join(words[start:start + length]) + '"'

    made = [
        lambda: phrase(2), lambda: phrase(2), lambda: phrase(3), lambda: phrase(4),
        lambda: f'"{pick(COMMON)} {pick(COMMON)}"',  # common words: most documents are candidates
        lambda: f'"{(word := pick(COMMON))} {word}"',  # a word twice
        lambda: f'"{pick(COMMON)} {pick(RARE)} {pick(COMMON)}"',
        lambda: f"title:{phrase(2)}",
        lambda: f"{phrase(2)}^2 OR {pick(RARE)}",
        lambda: f"{phrase(2)} NOT {pick(COMMON)}",
        lambda: f"{phrase(2)} AND {phrase(2)}",
        lambda: f"{pick(COMMON)} OR {pick(COMMON)}",
        lambda: f"{pick(COMMON)} NOT {pick(COMMON)}",
        lambda: f"{pick(COMMON)} AND ({pick(RARE)} OR {pick(COMMON)})",
        lambda: f"({pick(COMMON)} OR {pick(RARE)}) AND {pick(COMMON)} NOT {pick(RARE)}",
        lambda: f"{pick(COMMON + RARE)}~",
        lambda: f"{pick(COMMON + RARE)}~2 {pick(COMMON)}",
    ]
    while True:
        yield pick(made)()


def test_phrases_and_booleans_equal_whooshs_answers(built: tuple[ArchiveIndex, list[list[str]]], whoosh_path) -> None:
    index, bodies = built
    rng = random.Random(2027)
    made = _queries(bodies, rng)
    compared = found = 0
    for _ in range(300):
        text = next(made)
        for limit in (2000, 20):
            whoosh_path(False)
            fast = _answer(index, text, limit)
            whoosh_path(True)
            slow = _answer(index, text, limit)
            if " OR " in text or " AND " in text or " NOT " in text:
                # Whoosh adds a compound's scores in a tree of its matchers (by their sizes): the
                # last bit may differ (as on the path before), and so the order of a near tie.
                assert fast[0] == slow[0], text
                mine, theirs = dict(zip(fast[1], fast[2], strict=True)), dict(zip(slow[1], slow[2], strict=True))
                if limit > len(mine):  # the whole answer: the same documents
                    assert mine.keys() == theirs.keys(), text
                assert all(math.isclose(score, theirs.get(doc, score), rel_tol=1e-13) for doc, score in mine.items()), text
                assert all(math.isclose(a, b, rel_tol=1e-13) for a, b in zip(fast[2], slow[2], strict=True)), text
            else:  # a phrase or a word: Whoosh's hits in its order, its scores to the bit
                assert fast[:3] == slow[:3], text
            _same_count(fast, slow, text)
            compared += 1
            found += bool(fast[1])
    assert compared == 600 and found >= 400


def test_open_phrases_typed_key_by_key_equal_whooshs_pages(built: tuple[ArchiveIndex, list[list[str]]], whoosh_path) -> None:
    index, bodies = built
    rng = random.Random(9)
    for _ in range(12):
        words = rng.choice(bodies)
        start = rng.randrange(len(words) - 3)
        text = '"' + " ".join(words[start:start + 3])
        for cut in range(2, len(text) + 1):
            whoosh_path(False)
            fast = _answer(index, text[:cut], 20, typeahead=True)
            whoosh_path(True)
            slow = _answer(index, text[:cut], 20, typeahead=True)
            _same(fast, slow, text[:cut])


def test_counting_terms_equals_the_size_of_their_documents(built: tuple[ArchiveIndex, list[list[str]]]) -> None:
    index, _ = built
    rng = random.Random(12)
    with index._searching() as searcher:
        scorer = index._scorer(searcher)
        size = scorer.doccount
        for _ in range(200):
            terms = [(rng.choice(("title", "body")), rng.choice(WORDS).encode()) for _ in range(rng.randint(1, 5))]
            start = rng.randrange(size)
            for only in (None, range(start, min(size, start + rng.randint(1, 400)))):
                assert term_postings.term_count(scorer, terms, only) == len(term_postings.term_docs(scorer, terms, only))


def test_term_documents_equal_whooshs_postings(built: tuple[ArchiveIndex, list[list[str]]]) -> None:
    # term_docs (each segment's ids in a set, its deletions and the unwanted taken out) against
    # Whoosh's own postings less its deleted documents, for every document, a set of them and a
    # part of the index.
    index, _ = built
    rng = random.Random(13)
    with index._searching() as searcher:
        scorer = index._scorer(searcher)
        reader = searcher.reader()
        size = scorer.doccount
        assert any(reader.is_deleted(docnum) for docnum in range(size))
        for _ in range(120):
            terms = [(rng.choice(("title", "body")), rng.choice(WORDS)) for _ in range(rng.randint(1, 3))]
            every: set[int] = set()
            for fieldname, text in terms:
                if reader.doc_frequency(fieldname, text):
                    every.update(d for d in reader.postings(fieldname, text).all_ids() if not reader.is_deleted(d))
            start = rng.randrange(size)
            asked = [(fieldname, text.encode()) for fieldname, text in terms]
            for only in (None, set(rng.sample(range(size), 300)), range(start, min(size, start + 500))):
                expected = every if only is None else every & set(only)
                assert term_postings.term_docs(scorer, asked, only) == expected, (terms, only)


def test_pruned_sums_of_terms_equal_every_posting_scored(built: tuple[ArchiveIndex, list[list[str]]],
                                                         monkeypatch: pytest.MonkeyPatch, whoosh_path) -> None:
    # fast/topk.py (MaxScore over the block bounds) against the same query with every posting
    # scored: the same page to the bit, ties in the same order, the same count; and, for some,
    # Whoosh's own page. Made to prune on this small index (no threshold, small samples).
    from reader.engines.whoosh.fast import shapes, topk
    from reader.engines.whoosh.queries import Terms, bound, parse

    index, _ = built
    rng = random.Random(31)
    pick = rng.choice
    made = [
        lambda: f"{pick(COMMON)} OR {pick(RARE)}",
        lambda: f"{pick(COMMON)} OR {pick(COMMON)} OR {pick(RARE)}",
        lambda: f"{pick(COMMON)} NOT {pick(RARE)}",
        lambda: f"{pick(COMMON)} NOT {pick(COMMON)} NOT {pick(RARE)}",
        lambda: f"{pick(COMMON)}^3 OR {pick(RARE)}^0.5",
        lambda: f"({pick(COMMON)} OR {pick(RARE)})^2 OR title:{pick(COMMON)}",
        lambda: f"{pick(COMMON + RARE)}~",
        lambda: f"{pick(COMMON + RARE)}~2",
        lambda: f"title:{pick(COMMON)} OR {pick(RARE)}",
    ]
    pruned = compared = 0
    with index._searching() as searcher:
        scorer = index._scorer(searcher)
        source = Terms(searcher.reader(), scorer)
        for _ in range(250):
            text = pick(made)()
            query = bound(parse(text, False).query, source).query
            for keep in (1, 5, 20):
                monkeypatch.setattr(topk, "TOPK_POSTINGS", 0)
                monkeypatch.setattr(topk, "SAMPLE_POSTINGS", pick((1, 50, 400)))
                scorer.answers.clear()
                fast = topk.top(shapes.Shapes(scorer), query, keep, shapes._text)
                if fast is None:
                    continue
                everything = shapes.Shapes(scorer).scores(query, None)
                assert fast == (bm25_best(everything, keep), len(everything)), (text, keep)
                pruned += 1
            compared += 1
    assert compared == 250 and pruned >= 200
    # Through the index: Whoosh's own pages for a few, the fast path pruning.
    monkeypatch.setattr(topk, "TOPK_POSTINGS", 0)
    for _ in range(40):
        text = pick(made)()
        whoosh_path(False)
        fast = _answer(index, text, 10)
        whoosh_path(True)
        slow = _answer(index, text, 10)
        assert fast[0] == slow[0] and fast[3:] == slow[3:], text
        assert all(math.isclose(a, b, rel_tol=1e-13) for a, b in zip(fast[2], slow[2], strict=True)), text
