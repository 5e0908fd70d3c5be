"""The fast scorer's answers for the shapes Whoosh's matchers used to answer (AND, OR, NOT,
`title:`, phrases, boosts, and the terms a fuzzy word, wildcard or prefix stands for; fast/shapes.py)
and its "did you mean" (fast/spelling.py) equal Whoosh's own, on the seeded archive of
test_search_semantics and on an index of several segments with deletions:
- the same hits in the same order with the same scores, and the same count, exact;
- the same typed pages, key by key (an open phrase too);
- the same suggestions, for an index of one segment (Whoosh walks an automaton) and of several
  (Whoosh computes a Damerau-Levenshtein distance).
Whoosh's path is the one `ArchiveIndex` takes when the fast one raises Unsupported."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import article_text
from test_search_semantics import ARTICLES, Fixture, fixture, queries  # noqa: F401  (the fixture)

from reader.engines.whoosh.fast import shapes, spelling
from reader.engines.whoosh.fast.format import Unsupported
from reader.engines.whoosh.index import ArchiveIndex


@pytest.fixture
def whoosh_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A switch: `whoosh_path(True)` sends searches and suggestions to Whoosh's own matchers and
    corrector, `whoosh_path(False)` back to the fast scorer."""
    # `_suggest` imports `correctors` from the spelling module when first asked: switch it there.
    fast_shaped, fast_correctors = ArchiveIndex._shaped, spelling.correctors

    def unsupported(*args: object, **kwargs: object) -> object:
        raise Unsupported("testing Whoosh's path")

    def switch(whoosh: bool) -> None:
        monkeypatch.setattr(ArchiveIndex, "_shaped", unsupported if whoosh else fast_shaped)
        monkeypatch.setattr(spelling, "correctors", (lambda *args: {}) if whoosh else fast_correctors)

    yield switch


def _answer(index: ArchiveIndex, text: str, limit: int, typeahead: bool = False) -> tuple[object, ...]:
    page = index.search(text, limit=limit, typeahead=typeahead, snippets=0, suggest=False)
    return (page.error, [hit.id for hit in page.hits], [round(hit.score, 9) for hit in page.hits], page.total,
            page.total_is_estimate, page.terms)


def _shapes(fx: Fixture, rng: random.Random) -> Iterator[str]:
    """The seeded shapes of test_search_semantics and more: boosts, nesting, longer phrases, fuzzy
    words, wildcards."""
    made = queries(fx, rng)
    common, rare = fx.vocabulary[:40], fx.vocabulary[40:]
    pick = rng.choice

    def phrase(length: int) -> str:
        words = pick(fx.docs).written["body"]
        start = rng.randrange(max(1, len(words) - length + 1))
        return '"' + " ".join(words[start:start + length]) + '"'

    extra = [
        lambda: f"{pick(common)}^2 {pick(common)}",
        lambda: f"({pick(common)} OR {pick(rare)}) AND ({pick(common)} OR {pick(common)}) NOT {pick(common)}",
        lambda: f"{pick(common)} NOT {pick(common)} NOT {pick(rare)}",
        lambda: f"{pick(common)} AND NOT ({pick(common)} OR {pick(rare)})",
        lambda: phrase(3),
        lambda: f"title:{phrase(2)}",
        lambda: f"{phrase(2)} OR {pick(rare)}",
        lambda: f"{phrase(2)} NOT {pick(common)}",
        lambda: f"{pick(common)}~ {pick(common)}",
        lambda: f"{pick(common + rare)}~2",
        lambda: f"{pick(common)[:3]}*{pick(common)[-1]}",
        lambda: f"{pick(common)} {pick(common)} {pick(common)}",
    ]
    while True:
        yield next(made) if rng.random() < 0.5 else pick(extra)()


def test_fast_shapes_equal_whooshs_answers(fixture: Fixture, whoosh_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    answered = [0]
    top = shapes.Shapes.top

    def counted(self: shapes.Shapes, query: object, keep: int) -> object:
        found = top(self, query, keep)  # type: ignore[arg-type]
        answered[0] += 1
        return found

    monkeypatch.setattr(shapes.Shapes, "top", counted)
    rng = random.Random(2026)
    made = _shapes(fixture, rng)
    compared = 0
    for _ in range(400):
        text = next(made)
        for limit in (ARTICLES, 20):
            whoosh_path(False)
            fast = _answer(fixture.index, text, limit)
            whoosh_path(True)
            slow = _answer(fixture.index, text, limit)
            assert fast == slow, text
            compared += 1
    assert compared == 800
    assert answered[0] >= 500  # most of them did take the fast path


def test_typing_the_shapes_key_by_key_equals_whooshs_pages(fixture: Fixture, whoosh_path) -> None:  # noqa: F811
    rng = random.Random(44)
    common = fixture.vocabulary[:40]
    texts = [f"{rng.choice(common)} NOT {rng.choice(common)}" for _ in range(6)]
    texts += [f"{rng.choice(common)} OR {rng.choice(common)}" for _ in range(6)]
    texts += [f"title:{rng.choice(common)} {rng.choice(common)}" for _ in range(6)]
    for _ in range(8):  # an open phrase: its last word a prefix (a Sequence)
        words = rng.choice(fixture.docs).written["body"]
        start = rng.randrange(max(1, len(words) - 3))
        texts.append('"' + " ".join(words[start:start + 3]))
    for text in texts:
        for cut in range(1, len(text) + 1):
            whoosh_path(False)
            fast = _answer(fixture.index, text[:cut], 20, typeahead=True)
            whoosh_path(True)
            slow = _answer(fixture.index, text[:cut], 20, typeahead=True)
            assert fast == slow, text[:cut]


def _typos(words: list[str], rng: random.Random, count: int) -> list[str]:
    found = []
    for _ in range(count):
        word = rng.choice(words)
        at = rng.randrange(1, len(word))
        kind = rng.randrange(3)
        if kind == 0:
            word = word[:at] + word[at + 1:]
        elif kind == 1:
            word = word[:at] + rng.choice("aeioulnrst") + word[at:]
        elif at < len(word) - 1:
            word = word[:at] + word[at + 1] + word[at] + word[at + 2:]  # a transposition
        found.append(word)
    return found


def test_did_you_mean_equals_whooshs_on_one_segment_and_on_several(tmp_path: Path, whoosh_path) -> None:
    rng = random.Random(8)
    words = sorted({"".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
                    for _ in range(300)})
    archive = tmp_path / "archive"
    archive.mkdir()

    def write(number: int) -> None:
        title = " ".join(rng.choices(words, k=4)).capitalize()
        body = [" ".join(rng.choices(words, k=30)).capitalize() + "."]
        (archive / f"{number:04d}_x.txt").write_text(article_text(title, body), encoding="utf-8")

    for number in range(150):
        write(number)
    index = ArchiveIndex(archive, tmp_path / "index")
    index.refresh()
    typos = _typos(words, rng, 60) + [f"{a} {b}" for a, b in zip(_typos(words, rng, 20), words)]
    for segments in ("one", "several"):
        with index._searching() as searcher:
            several = len(list(searcher.reader().leaf_readers())) > 1
        assert several == (segments == "several")
        suggested = 0
        for typo in typos:
            whoosh_path(False)
            fast = index.suggest(typo)
            whoosh_path(True)
            slow = index.suggest(typo)
            assert fast == slow, (segments, typo)
            suggested += fast is not None
        assert suggested >= 20
        # A second segment, and a deleted article, for the next round.
        if segments == "one":
            for number in range(150, 170):
                write(number)
            (archive / "0003_x.txt").unlink()
            index.refresh()


def test_a_long_count_is_walked_in_parts_and_estimated_past_its_time(fixture: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    with fixture.index._searching() as searcher:
        shaped = shapes.Shapes(fixture.index._scorer(searcher))
        from reader.engines.whoosh.queries import parse

        query = parse(f"{fixture.vocabulary[0]} OR {fixture.vocabulary[1]} NOT {fixture.vocabulary[2]}", False).query
        everything = len(shaped.scores(query, None))
        assert shaped.count(query) == (everything, True)
        monkeypatch.setattr(shapes, "COUNT_POSTINGS", 0)
        assert shaped.count(query) == (everything, True)  # in parts, all within the time
        monkeypatch.setattr(shapes, "COUNT_SECONDS", -1.0)
        estimate, exact = shaped.count(query)
        assert not exact and abs(estimate - everything) <= 0.5 * everything
