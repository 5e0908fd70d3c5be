"""The completions of the word being typed read among the other words' documents with the block
scan of fast/postings_scan.py (a block of one posting decoded only for its own id; the first piece
inflated sized by the header's highest weight) give what the scorer's own reading gives: the same
hits, order, scores to the last bit and counts, typed after one word and then after others,
across segments and deletions; the scan decodes every block that holds a candidate, and says
rightly whether it decoded them all."""

from __future__ import annotations

import pickle
import random
import zlib
from collections.abc import Callable

import pytest

from reader.engines.whoosh.fast import prefix_among
from reader.engines.whoosh.fast import scorer as fast_scorer
from reader.engines.whoosh.fast.format import INLINED, SHORT_POSTINGS, list_place
from reader.engines.whoosh.fast.postings_scan import blocks, ids_weights, scan
from reader.engines.whoosh.fast.scorer import Scorer
from reader.engines.whoosh.index import ArchiveIndex

STARTS = ["st", "sp", "tr", "co"]


LETTERS = "aeioulnrstkm"


def _archive(write: Callable[..., object], count: int, seed: int, start: int = 0) -> list[str]:
    """Articles of made-up words sharing their first letters: common words (lists of several
    blocks) and rare ones (one short block, often of one posting). The common words."""
    rng = random.Random(seed)
    words = [first + "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 6))) for first in STARTS for _ in range(80)]
    common = words[::25]
    for number in range(start, start + count):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 5)))
        body = " ".join(rng.choice(common if rng.random() < 0.4 else words) for _ in range(rng.randint(20, 90)))
        write(f"{number:04d}_a", title.capitalize(), [body + "."])
    return common


def _every_completion(self: Scorer, chosen_by: object, completions: tuple, candidates: dict) -> dict:
    """The reference: every completion read among the candidates by the scorer's own clause."""
    more, left_out = self.clause(completions, set(candidates), 50, None, drop=False)
    assert not left_out
    return more


def _answers(index: ArchiveIndex, asks: list[tuple[list[str], str]], reference: bool,
             monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[list[tuple[int, float]], int, bool]], int]:
    """The answers of `asks` on one scorer, and how many terms were read without a hit."""
    used = [0]
    reading = prefix_among._read

    def counted(*args: object) -> int:
        read = reading(*args)  # type: ignore[arg-type]
        used[0] += sum(hits is prefix_among.NO_HITS for hits in args[3].values())  # type: ignore[attr-defined]
        return read

    with monkeypatch.context() as patch:
        # Never the scorer's own prefix scores: every candidate set is read among (prefix_among).
        patch.setattr(fast_scorer, "PREFIX_SCORES_POSTINGS", 0)
        patch.setattr(prefix_among, "_read", counted)
        if reference:
            patch.setattr(Scorer, "completions_among", _every_completion)
        found = []
        with index._searching() as searcher:
            scorer = Scorer(searcher, {})
            for words, prefix in asks:
                clauses = [tuple((field, word.encode()) for field in ("title", "body")) for word in words]
                found.append(scorer.conjunction(clauses, scorer.expand(prefix), 50))
            if not reference:
                assert len(scorer._hits), "the completions' hits were never kept"
    return found, used[0]


def _asks(common: list[str], seed: int) -> list[tuple[list[str], str]]:
    """Each prefix typed after one word, then after others (new candidates, the same lists)."""
    rng = random.Random(seed)
    asks = []
    for _ in range(30):
        prefix = rng.choice(STARTS) + rng.choice(("", rng.choice(LETTERS)))
        for word in rng.sample(common, 3):
            asks.append(([word], prefix))
    return asks


def test_the_scan_ranks_as_reading_the_blocks(make_index, write, archive, monkeypatch) -> None:
    common = _archive(write, 600, seed=21)
    index = make_index()
    _archive(write, 150, seed=22, start=600)  # a second segment, with the same words
    for number in range(0, 600, 9):  # and deletions in the first
        (archive / f"{number:04d}_a.txt").unlink()
    index.refresh()
    asks = _asks(common, seed=23)
    theirs, _ = _answers(index, asks, True, monkeypatch)
    ours, used = _answers(index, asks, False, monkeypatch)
    assert used > 200  # terms without a hit among their candidates: the shared empty hits
    compared = 0
    for (ranked, count, estimate), (mine, my_count, my_estimate) in zip(theirs, ours, strict=True):
        assert mine == ranked  # the same documents, in the same order, with the same scores
        assert (my_count, my_estimate) == (count, estimate)
        compared += bool(ranked)
    assert compared >= 60
    with index._searching() as searcher:
        scorer = Scorer(searcher, {})
        assert len(scorer.leaves) >= 2 and any(leaf.deleted for leaf in scorer.leaves)


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
    return found


def test_the_scan_decodes_every_block_with_a_candidate(make_index, write) -> None:
    _archive(write, 400, seed=24)
    index = make_index()
    lists = _lists(index)
    rng = random.Random(25)
    single = skipped = partial = 0
    for data, short in lists:
        every = [(count, ids_weights(data[start:end], compression, count, short)) for count, _highest, compression, start, end
                 in blocks(data)]
        ids = [posting for _, (block_ids, _) in every for posting in block_ids]
        for _ in range(3):
            # candidates: a few of the list's own ids, ids near them, and others
            mine = sorted({*rng.sample(ids, min(len(ids), rng.choice((0, 1, 2)))), *(rng.randrange(450) for _ in range(rng.choice((1, 3, 30))))})
            found, complete = scan(data, short, mine)
            members = set(mine)
            wanted = [block for _, block in every if not members.isdisjoint(block[0])]
            got = iter(found)
            for block in wanted:  # every block with a candidate, in order, decoded as whole
                for other in got:
                    if other[0] == block[0]:
                        assert list(other[1]) == list(block[1]) and type(other[1]) is type(block[1])
                        break
                else:
                    raise AssertionError("a block with a candidate was not decoded")
            assert complete == (len(found) == len(every))
            assert all(any(b[0] == f[0] for _, b in every) for f in found)
            single += any(count == 1 for count, _ in every)
            skipped += not complete and len(found) < len(every)
            partial += 0 < len(found) < len(every)
    assert single and skipped and partial


def test_a_block_of_one_posting_is_decoded_only_for_its_id() -> None:
    gaps, weights = (41,), None
    data = zlib.compress(pickle.dumps((gaps, weights, None), 2))
    header = pickle.dumps((1, 41, 1.0, 1, 3, 3), 2)
    block = header + data
    posting_list = b"W3Bl" + (-len(block)).to_bytes(4, "big", signed=True) + block
    assert scan(posting_list, True, [3, 40, 42]) == ([], False)  # 41 is in range, but not a candidate
    assert scan(posting_list, True, [41]) == ([([41], [1.0])], True)
