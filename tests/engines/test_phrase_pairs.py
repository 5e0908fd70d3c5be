"""Phrases looked for among the documents with their word pairs' buckets (schema.PAIRS_FIELDS,
fast/phrases.py) equal Whoosh's own phrase matching by positions.

The archive is made of few words, so that most two words of a phrase share documents without
following each other there, and most pairs of a three-word phrase are found apart:
- a document's bucket terms are the buckets of each two stems that follow each other in the
  field, as Whoosh's own positions of the stemmed field say (read with Whoosh's postings, not
  reader's reader): a document with a phrase has the buckets of its pairs;
- phrases of two to four words (from the text, made up, across stop words, a word repeated, in
  `title:`, under NOT and OR, typed key by key) give the same hits, order, scores and counts as
  Whoosh's path, on one segment and on several with deletions; and the pairs were used;
- positions are read only among the documents with the buckets, fewer than those with the words;
- an article whose title or body is stop words only is indexed, and, the last of its segment,
  leaves the other articles' scores Whoosh's."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import article_text
from test_fast_shapes import _answer, whoosh_path  # noqa: F401  (the fixture)

from reader.engines.whoosh.fast import phrases
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.schema import PAIRS_FIELDS, pair_bucket

WORDS = ["harbour", "harbours", "council", "councils", "nursing", "nurse", "ferry", "ferries", "budget",
         "review", "reviews", "review", "safety", "children", "child", "winter", "plans", "planning"]
GLUE = ["the", "of", "and", "a", "to", "in", "is"]


def _sentence(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(GLUE) if rng.random() < 0.25 else rng.choice(WORDS) for _ in range(count))


def _write(archive: Path, rng: random.Random, number: int) -> None:
    title = _sentence(rng, rng.randint(2, 6)).capitalize()
    body = [_sentence(rng, rng.randint(6, 24)).capitalize() + "." for _ in range(rng.randint(1, 3))]
    (archive / f"{number:04d}_p.txt").write_text(article_text(title, body), encoding="utf-8")


def _indexed(root: Path, rng: random.Random, count: int) -> tuple[ArchiveIndex, Path]:
    """`count` generated articles, then two of stop words only (in the title or the body: no
    pair, no failure; the last of the segment), indexed."""
    archive = root / "archive"
    archive.mkdir()
    for number in range(count):
        _write(archive, rng, number)
    (archive / "9000_p.txt").write_text(article_text("The", ["Of the and a."]), encoding="utf-8")
    (archive / "9001_p.txt").write_text(article_text("Ferry review", ["The."]), encoding="utf-8")
    index = ArchiveIndex(archive, root / "index")
    index.refresh()
    return index, archive


@pytest.fixture(scope="module")
def paired(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArchiveIndex, Path, random.Random]:
    rng = random.Random(3003)
    index, archive = _indexed(tmp_path_factory.mktemp("pairs"), rng, 300)
    return index, archive, rng


def _phrases(rng: random.Random, texts: list[str]) -> Iterator[str]:
    """Phrases of 2-4 words: windows of the text (often found), made-up word runs (often their
    words found apart), a window with a stop word inside or a word repeated."""
    while True:
        words = rng.choice(texts).split()
        length = rng.randint(2, 4)
        start = rng.randrange(max(1, len(words) - length + 1))
        kind = rng.randrange(4)
        if kind == 0:
            chosen = words[start:start + length]
        elif kind == 1:
            chosen = [rng.choice(WORDS) for _ in range(length)]
        elif kind == 2:
            chosen = [rng.choice(WORDS), rng.choice(GLUE), rng.choice(WORDS)]
        else:
            word = rng.choice(WORDS)
            chosen = [word, word] + ([rng.choice(WORDS)] if rng.random() < 0.5 else [])
        phrase = '"' + " ".join(chosen).strip(".,") + '"'
        shape = rng.randrange(5)
        if shape == 0:
            yield "title:" + phrase
        elif shape == 1:
            yield f"{phrase} NOT {rng.choice(WORDS)}"
        elif shape == 2:
            yield f"{phrase} OR {rng.choice(WORDS)}"
        else:
            yield phrase


def _both(index: ArchiveIndex, switch: object, text: str, limit: int, typeahead: bool = False) -> tuple[object, object]:
    """The fast scorer's answer and Whoosh's own path's, to the same search."""
    switch(False)  # type: ignore[operator]
    fast = _answer(index, text, limit, typeahead)
    switch(True)  # type: ignore[operator]
    return fast, _answer(index, text, limit, typeahead)


def _texts(archive: Path) -> list[str]:
    return [path.read_text(encoding="utf-8").lower() for path in sorted(archive.glob("*.txt"))]


def test_the_buckets_are_those_of_each_two_stems_that_follow_each_other(paired) -> None:
    index, _archive, _rng = paired
    with index._searching() as searcher:
        for leaf, _offset in searcher.reader().leaf_readers():
            for field, pairs_field in PAIRS_FIELDS.items():
                # Whoosh's own positions of the stemmed field: each document's terms in order.
                at: dict[int, dict[int, bytes]] = {}
                for term in leaf.lexicon(field):
                    for docnum, positions in leaf.postings(field, term).items_as("positions"):
                        for position in positions:
                            at.setdefault(docnum, {})[position] = term
                expected = {(docnum, bucket) for docnum, places in at.items() if not leaf.is_deleted(docnum)
                            for p in places if p + 1 in places for bucket in pair_bucket(places[p], places[p + 1])}
                found = {(docnum, term.decode()) for term in leaf.lexicon(pairs_field)
                         for docnum in leaf.postings(pairs_field, term).all_ids() if not leaf.is_deleted(docnum)}
                assert expected, field
                assert found == expected, field


def test_phrases_from_pairs_equal_whooshs_positions_on_one_segment_and_several(
        paired, whoosh_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    index, archive, rng = paired
    used = [0]
    with_pairs = phrases._with_pairs

    def counted(*args: object) -> object:
        used[0] += 1
        return with_pairs(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(phrases, "_with_pairs", counted)
    made = _phrases(rng, _texts(archive))
    for segments in ("one", "several"):
        with index._searching() as searcher:
            assert (len(list(searcher.reader().leaf_readers())) > 1) == (segments == "several")
        matched = empty = 0
        for _ in range(300):
            text = next(made)
            for limit in (400, 10):
                fast, slow = _both(index, whoosh_path, text, limit)
                assert fast == slow, (segments, text)
            matched += bool(fast[1])
            empty += not fast[1]
        assert matched >= 100 and empty >= 20, (matched, empty)  # both kinds of answer were asked
        if segments == "one":  # a second segment, with deletions, for the next round
            for number in range(300, 340):
                _write(archive, rng, number)
            for number in range(0, 30, 3):
                (archive / f"{number:04d}_p.txt").unlink()
            _write(archive, rng, 40)  # a changed article: its old document deleted
            index.refresh()
    assert used[0] >= 300


def test_typing_a_phrase_key_by_key_equals_whooshs_pages(paired, whoosh_path) -> None:  # noqa: F811
    index, archive, rng = paired
    texts = _texts(archive)
    for _ in range(10):
        words = [word.strip(".,") for word in rng.choice(texts).split()[1:]]
        start = rng.randrange(max(1, len(words) - 4))
        text = '"' + " ".join(words[start:start + 4])
        for cut in range(1, len(text) + 1):
            fast, slow = _both(index, whoosh_path, text[:cut], 20, typeahead=True)
            assert fast == slow, text[:cut]


def test_positions_are_read_only_among_the_documents_with_the_buckets(paired, monkeypatch: pytest.MonkeyPatch) -> None:
    index, _archive, _rng = paired
    read_in: list[int] = []
    places = phrases._places

    def counted(scorer: object, term: object, candidates: set[int], every: bool) -> object:
        read_in.append(len(candidates))
        return places(scorer, term, candidates, every)  # type: ignore[arg-type]

    monkeypatch.setattr(phrases, "_places", counted)
    both = index.search("body:council AND body:review", limit=1000, snippets=0, suggest=False)
    page = index.search('body:"council review"', limit=1000, snippets=0, suggest=False)
    assert page.error is None and 0 < len(page.hits) < len(both.hits)
    # Positions read in the documents with the bucket: the phrase's and a few, not all with both words.
    assert read_in and max(read_in) < len(both.hits) / 2, (read_in, len(both.hits))


def test_stop_words_only_are_indexed(paired) -> None:
    index, _archive, _rng = paired
    assert [hit.id for hit in index.search('"ferry review"', limit=500, snippets=0, suggest=False).hits
            if hit.id == "9001_p"] == ["9001_p"]
    assert "9000_p" in index.article_ids()


def test_a_segment_ending_in_articles_without_body_words_scores_as_whoosh(tmp_path: Path, whoosh_path) -> None:  # noqa: F811
    # The segment's last two articles have no body word: Whoosh stores no body length for them,
    # and the fast scorer read the shorter column as no lengths at all (every length 1).
    index, _archive = _indexed(tmp_path, random.Random(5), 60)
    with index._searching() as searcher:
        reader = searcher.reader()
        last = searcher.document_number(id="9001_p")
        assert not reader.doc_field_length(last, "body") and last == reader.doc_count_all() - 1
    for text in ("council", "ferry OR review", "children NOT winter", "title:ferry budget", '"council review"'):
        fast, slow = _both(index, whoosh_path, text, 50)
        assert fast == slow, text
