"""The golden test of the Whoosh engine: reader's answers against Whoosh's own, unpatched.

A generated archive of a few thousand articles is indexed by reader (its patches installed, its
fast scorer on). A separate Python process that imports Whoosh and nothing of reader then opens
the same index and answers with Whoosh's parser and BM25F scoring. For a few hundred queries:
- words, AND/OR/NOT, fields, phrases and prefixes through `ArchiveIndex.search` (patched Whoosh,
  bounded expansion; prefixes chosen with few completions, so nothing is bounded away) give the
  same hit sets, and the same top 20 ids and scores within 1e-4 (prefixes: hit sets, since
  Whoosh gives every prefix hit the score 1.0);
- the fast scorer's conjunctions (words and the completions of a prefix, as type-ahead sends
  them) give the same hit sets and top 20 as Whoosh scoring the same terms as And/Or of Terms.
A change of Whoosh, or of the patches, that changed rankings fails here.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import article_text

from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.schema import ANALYZER

pytestmark = pytest.mark.slow

ARTICLES = 2500
TOLERANCE = 1e-4

# Whoosh alone: reads queries as JSON lines on stdin, answers one JSON line each.
_ORACLE = r'''
import json, sys
import whoosh.index
from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser
ix = whoosh.index.open_dir(sys.argv[1])
searcher = ix.searcher()
# The index's schema unpickles as Whoosh's own Schema: nothing of reader (and no patch) is loaded.
assert not any(name == "reader" or name.startswith("reader.") for name in sys.modules), "reader was imported"
parser = MultifieldParser(["title", "body"], ix.schema)
parser.add_plugin(FuzzyTermPlugin())
for line in sys.stdin:
    ask = json.loads(line)
    if ask["kind"] == "text":
        q = parser.parse(ask["query"])
    elif ask["kind"] == "prefix":  # Whoosh's parser would stem the prefix ("jes*" -> "je*")
        q = wq.Or([wq.Prefix(field, ask["prefix"]) for field in ("title", "body")])
    else:  # clauses of alternatives [[field, term], ...]: And of Or of Terms
        q = wq.And([wq.Or([wq.Term(f, t) for f, t in clause]) for clause in ask["clauses"]])
    results = searcher.search(q, limit=None)
    every = sorted(searcher.stored_fields(hit.docnum)["id"] for hit in results)
    top = [[hit["id"], hit.score] for hit in results[:20]]
    print(json.dumps({"all": every, "top": top}), flush=True)
'''


def _vocabulary(rng: random.Random) -> list[str]:
    """Made-up words with shared beginnings (prefixes have a few completions each)."""
    stems = ["".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(3)) for _ in range(400)]
    endings = ["", "er", "ing", "s", "ed", "ly"]
    return sorted({stem + rng.choice(endings) for stem in stems for _ in range(2)})


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArchiveIndex, list[str], Path]:
    rng = random.Random(20261201)
    vocabulary = _vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like
    root = tmp_path_factory.mktemp("golden")
    archive = root / "archive"
    archive.mkdir()
    for number in range(ARTICLES):
        title = " ".join(rng.choices(vocabulary, weights, k=rng.randint(3, 7))).capitalize()
        paragraphs = [
            " ".join(rng.choices(vocabulary, weights, k=rng.randint(8, 30))).capitalize() + "."
            for _ in range(rng.randint(1, 4))
        ]
        (archive / f"{number:05d}_{number:016x}.txt").write_text(article_text(title, paragraphs), encoding="utf-8")
    index = ArchiveIndex(archive, root / "index")
    index.refresh()
    folder = index.store.current()
    assert folder is not None
    return index, vocabulary, folder


def _oracle(folder: Path, asks: list[dict[str, object]]) -> list[dict[str, object]]:
    """Whoosh's answers, from a process that never imports reader (so Whoosh is unpatched)."""
    result = subprocess.run(
        [sys.executable, "-c", _ORACLE, str(folder)],
        input="".join(json.dumps(ask) + "\n" for ask in asks),
        capture_output=True, text=True, check=True, cwd="/",
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def _stem(word: str) -> str:
    return next(iter(token.text for token in ANALYZER(word)), word)


def _queries(vocabulary: list[str], rng: random.Random) -> list[str]:
    common, rare = vocabulary[:60], vocabulary[60:400]
    pick = rng.choice
    queries: list[str] = []
    for _ in range(60):
        queries.append(pick(common + rare))
    for _ in range(50):
        queries.append(f"{pick(common)} {pick(rare)}")
    for _ in range(30):
        queries.append(f"{pick(common)} AND {pick(common)}")
    for _ in range(30):
        queries.append(f"{pick(rare)} OR {pick(rare)}")
    for _ in range(30):
        queries.append(f"{pick(common)} NOT {pick(common)}")
    for _ in range(20):
        queries.append(f"title:{pick(common)}")
    for _ in range(20):
        queries.append(f"title:{pick(rare)} {pick(common)}")
    for _ in range(20):
        queries.append(f'"{pick(common)} {pick(common)}"')
    for _ in range(20):
        queries.append(f"({pick(rare)} OR {pick(common)}) NOT {pick(rare)}")
    return queries


def _prefixes(index: ArchiveIndex, vocabulary: list[str], rng: random.Random) -> list[str]:
    """Prefixes of three or four letters whose completions (in both fields) are few and short,
    so reader's bounded expansion takes all of them."""
    with index._searching() as searcher:
        reader = searcher.reader()
        chosen: list[str] = []
        for word in rng.sample(vocabulary, len(vocabulary)):
            prefix = word[: rng.choice((3, 4))]
            counts = [info.doc_frequency() for field in ("title", "body") for _, info in reader.iter_prefix(field, prefix)]
            if 0 < len(counts) <= 8 and sum(counts) <= 2000 and prefix not in chosen:
                chosen.append(prefix)
            if len(chosen) >= 40:
                break
    return chosen


def _compare(ours_all: list[str], ours_top: list[tuple[str, float]] | None, theirs: dict[str, object], what: str) -> None:
    assert sorted(ours_all) == theirs["all"], f"{what}: hit sets differ"
    if ours_top is None:
        return
    top = theirs["top"]
    assert [hit_id for hit_id, _ in ours_top] == [hit_id for hit_id, _ in top], f"{what}: top 20 differ"  # type: ignore[union-attr]
    for (hit_id, score), (_, expected) in zip(ours_top, top):  # type: ignore[arg-type]
        assert abs(score - expected) <= TOLERANCE, f"{what}: {hit_id} scores {score} against Whoosh's {expected}"


def test_searches_equal_unpatched_whooshs(golden: tuple[ArchiveIndex, list[str], Path]) -> None:
    index, vocabulary, folder = golden
    rng = random.Random(7)
    queries = _queries(vocabulary, rng) + [f"{prefix}*" for prefix in _prefixes(index, vocabulary, rng)]
    answers = _oracle(folder, [
        {"kind": "prefix", "prefix": query[:-1]} if query.endswith("*") else {"kind": "text", "query": query}
        for query in queries
    ])
    compared = 0
    for query, theirs in zip(queries, answers, strict=True):
        page = index.search(query, limit=ARTICLES, snippets=0, suggest=False)
        assert page.error is None, (query, page.error)
        # Whoosh scores a prefix* as a constant (1.0 for every hit); reader ranks its completions
        # by BM25F like words, so for prefixes only the hit sets are Whoosh's.
        top = None if query.endswith("*") else [(hit.id, hit.score) for hit in page.hits[:20]]
        _compare([hit.id for hit in page.hits], top, theirs, query)
        compared += 1
    assert compared >= 300


def test_fast_scorer_equals_unpatched_whoosh(golden: tuple[ArchiveIndex, list[str], Path]) -> None:
    index, vocabulary, folder = golden
    rng = random.Random(11)
    asks: list[dict[str, object]] = []
    ours: list[tuple[list[str], list[tuple[str, float]]]] = []
    with index._searching() as searcher:
        scorer = index._scorer(searcher)
        stored = searcher.stored_fields
        for prefix in _prefixes(index, vocabulary, rng):
            for extra in range(3):  # the prefix alone, then with one and two words before it
                words = [_stem(rng.choice(vocabulary[:80])) for _ in range(extra)]
                clauses = [tuple((field, word.encode()) for field in ("title", "body")) for word in words]
                completions = tuple(scorer.expand(prefix))
                ranked, count, estimate = scorer.conjunction(clauses, completions, ARTICLES)
                assert not estimate, prefix  # small lists: nothing left out, the count is exact
                assert count == len(ranked)
                _ask(ranked, stored, [*clauses, completions], ours, asks)
    _compare_with_oracle(folder, ours, asks)
    assert len(asks) >= 100


def _ask(ranked: list[tuple[int, float]], stored: Callable[[int], dict[str, object]], clauses: list[tuple[tuple[str, bytes], ...]],
         ours: list[tuple[list[str], list[tuple[str, float]]]], asks: list[dict[str, object]]) -> None:
    """Keep the scorer's ranking of `clauses` (ids, and the top 20 with scores) beside the
    question the oracle (unpatched Whoosh) is then asked."""
    ids = [str(stored(docnum)["id"]) for docnum, _ in ranked]
    ours.append((ids, [(str(stored(docnum)["id"]), score) for docnum, score in ranked[:20]]))
    asks.append({"kind": "terms", "clauses": [[[f, t.decode()] for f, t in clause] for clause in clauses]})


def _compare_with_oracle(folder: Path, ours: list[tuple[list[str], list[tuple[str, float]]]], asks: list[dict[str, object]]) -> None:
    answers = _oracle(folder, asks)
    for (ids, top), theirs, ask in zip(ours, answers, asks, strict=True):
        _compare(ids, top, theirs, json.dumps(ask["clauses"])[:120])


def test_another_whoosh_version_falls_back_to_whooshs_own_scoring(golden: tuple[ArchiveIndex, list[str], Path]) -> None:
    # In a process where Whoosh says it is another version: nothing is patched, the fast scorer
    # is off, the user is told once, and the answers are Whoosh's own.
    index, _, _ = golden
    code = (
        "import json, sys, whoosh\n"
        "whoosh.__version__ = (2, 7, 99)\n"
        "from pathlib import Path\n"
        "from reader.engines.whoosh import patches\n"
        "from reader.engines.whoosh.index import ArchiveIndex\n"
        "from reader.engines.whoosh.version import notice\n"
        "index = ArchiveIndex(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "page = index.search(sys.argv[3], limit=20, typeahead=True, snippets=0)\n"
        "print(json.dumps({'patched': patches.installed(), 'notice': notice(tuple(whoosh.__version__)),\n"
        "                  'hits': [[h.id, h.score] for h in page.hits]}))\n"
    )
    first = index.article_ids()[0]
    words = (index.titles().title_of(first) or "").lower().split()
    typed = " ".join(words[:2])[:-1]  # a word, and the next being typed
    result = subprocess.run(
        [sys.executable, "-c", code, str(index.archive), str(index.store.root), typed],
        capture_output=True, text=True, check=True,
    )
    answer = json.loads(result.stdout)
    assert answer["patched"] is False
    assert answer["notice"].startswith("Whoosh 2.7.99 is not 2.7.5")
    assert answer["hits"], typed
    fast = index.search(typed, limit=20, typeahead=True, snippets=0)
    assert [hit_id for hit_id, _ in answer["hits"]] == [hit.id for hit in fast.hits]


def test_short_prefixes_typed_after_words_equal_unpatched_whoosh(golden: tuple[ArchiveIndex, list[str], Path]) -> None:
    # Two-letter prefixes (8-16 words as written each) and their next letters after one or two words,
    # typed on one scorer (each completion's hits among the words' documents kept and reused):
    # every completion is looked for among those documents, so the hit sets, the top 20 and the
    # count are Whoosh's for the same terms, with nothing left out.
    index, vocabulary, folder = golden
    rng = random.Random(13)
    asks: list[dict[str, object]] = []
    ours: list[tuple[list[str], list[tuple[str, float]]]] = []
    with index._searching() as searcher:
        scorer = index._scorer(searcher)
        stored = searcher.stored_fields
        for _ in range(30):
            words = [_stem(rng.choice(vocabulary[20:200])) for _ in range(rng.choice((1, 2)))]
            clauses = [tuple((field, word.encode()) for field in ("title", "body")) for word in words]
            typed = rng.choice(vocabulary)
            for length in (2, 3, 4):
                completions = tuple(scorer.expand(typed[:length]))
                ranked, count, estimate = scorer.conjunction(clauses, completions, ARTICLES)
                if estimate:  # the prefix was the rarest clause: it chose the documents, bounded
                    continue
                assert count == len(ranked)
                _ask(ranked, stored, [*clauses, completions], ours, asks)
    _compare_with_oracle(folder, ours, asks)
    assert len(asks) >= 60 and sum(bool(ids) for ids, _ in ours) >= 40


def test_beginnings_typed_equal_unpatched_whoosh_on_their_terms(golden: tuple[ArchiveIndex, list[str], Path]) -> None:
    # A prefix of two or three letters is one term of the words' beginnings (title_starts,
    # body_starts): typed alone or after words, the page (top 20 with scores) and its hits are
    # Whoosh's for And of the words and Or of the beginning's two terms; a count past a budget
    # is flagged and within 25%.
    index, vocabulary, folder = golden
    rng = random.Random(17)
    texts: list[str] = []
    asks: list[dict[str, object]] = []
    for _ in range(40):
        words = [rng.choice(vocabulary[20:200]) for _ in range(rng.choice((0, 1, 1, 2)))]
        typed = rng.choice([word for word in vocabulary if len(word) >= 3])[: rng.choice((2, 3))]
        texts.append(" ".join([*words, typed]))
        clauses = [[[field, _stem(word)] for field in ("title", "body")] for word in words]
        clauses.append([[field, typed] for field in ("title_starts", "body_starts")])
        asks.append({"kind": "terms", "clauses": clauses})
    estimates = 0
    answers = _oracle(folder, asks)
    assert sum(bool(theirs["all"]) for theirs in answers) >= 30  # most find something
    for text, theirs in zip(texts, answers, strict=True):
        top = index.search(text, limit=20, typeahead=True, snippets=0, suggest=False)
        want_top = theirs["top"]
        assert [hit.id for hit in top.hits] == [hit_id for hit_id, _ in want_top], f"{text}: top 20 differ"
        for hit, (_, expected) in zip(top.hits, want_top):
            assert abs(hit.score - expected) <= TOLERANCE, f"{text}: {hit.id} scores {hit.score} against {expected}"
        page = index.search(text, limit=ARTICLES, typeahead=True, snippets=0, suggest=False)
        if page.total_is_estimate:
            estimates += 1
            assert abs(page.total - len(theirs["all"])) <= 0.25 * len(theirs["all"]), (text, page.total)
        else:
            assert sorted(hit.id for hit in page.hits) == theirs["all"], f"{text}: hit sets differ"
            assert page.total == len(theirs["all"])
    assert estimates < len(texts) // 2
