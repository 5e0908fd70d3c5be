"""Phrases' position check (fast/phrases.py _follow: keys of (document, start) in sets) against the
plain reading of it, a document at a time, on made-up positions: one term a slot and several, a
word twice, positions at 0 (a start before the document's first word for later slots), long gaps;
and the garbage collector paused while a shape is answered (fast/shapes.py), turned on again after,
also when the answer raises, and left off when it was off."""

from __future__ import annotations

import gc
import random
from itertools import accumulate

import pytest

from reader.engines.whoosh.fast import shapes
from reader.engines.whoosh.fast.phrases import Places, _follow


def _places(positions: dict[int, list[int]]) -> Places:
    made = Places()
    for docnum, spots in sorted(positions.items()):
        made.docnums.append(docnum)
        made.gaps.append([b - a for a, b in zip([0] + spots, spots)])  # Positions' gaps
        made.weights[docnum] = float(len(spots))
    return made


def _expected(slots: list[list[dict[int, list[int]]]]) -> set[int]:
    """Documents where a position of each next slot follows one of the slot before (a slot: any of
    its terms), checked document by document."""
    found = set()
    docs = set().union(*(term.keys() for slot in slots for term in slot))
    for docnum in docs:
        starts: set[int] | None = None
        for shift, slot in enumerate(slots):
            moved = {spot - shift for term in slot for spot in term.get(docnum, ())}
            starts = moved if starts is None else starts & moved
        if starts:
            found.add(docnum)
    return found


def _random_term(rng: random.Random, docs: list[int], span: int) -> dict[int, list[int]]:
    return {docnum: sorted(rng.sample(range(span), rng.randint(1, min(6, span))))
            for docnum in docs if rng.random() < 0.7}


def test_follow_keeps_the_documents_a_plain_check_keeps() -> None:
    rng = random.Random(11)
    kept_some = 0
    for _ in range(400):
        docs = rng.sample(range(200_000), rng.randint(1, 40))
        span = rng.choice((3, 8, 40, 70_000))
        slots = [[_random_term(rng, docs, span) for _ in range(rng.choice((1, 1, 2, 3)))]
                 for _ in range(rng.randint(2, 4))]
        if rng.random() < 0.2:  # a word twice: the same term's places in two slots
            slots[1] = slots[0]
        each = [[_places(term) for term in slot] for slot in slots]
        assert _follow(each) == _expected(slots), slots
        kept_some += bool(_expected(slots))
    assert kept_some > 100


def test_follow_at_the_first_positions_and_far_ones() -> None:
    # Position 0 of a later slot would start the phrase before the document: never a match.
    first, second = _places({5: [0, 9]}), _places({5: [0, 10], 6: [1]})
    assert _follow([[first], [second]]) == {5}
    assert _follow([[second], [first]]) == set()
    far = 2**31 + 7  # positions past 32 bits keep to their own document
    assert _follow([[_places({1: [far]})], [_places({1: [far + 1], 2: [far + 1]})]]) == {1}
    assert list(accumulate(_places({3: [4, 8, 8000]}).gaps[0])) == [4, 8, 8000]


class _Stub:
    """Just what Shapes.top reads of a scorer before answering: no term has postings."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self.answers: dict[object, object] = {}

    def frequency(self, fieldname: str, term: bytes) -> int:
        return 0


def test_a_shape_is_answered_with_the_collector_paused_and_it_is_turned_on_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import query as wq

    seen: list[bool] = []

    def scores(self: shapes.Shapes, node: object, only: object) -> dict[int, float]:
        seen.append(gc.isenabled())
        if getattr(node, "text", "") == "fails":
            raise RuntimeError("a failing read")
        return {3: 1.5, 1: 2.5}

    monkeypatch.setattr(shapes.Shapes, "scores", scores)
    shaped = shapes.Shapes(_Stub())
    was = gc.isenabled()
    try:
        gc.enable()
        assert shaped.top(wq.Term("body", "word"), 10) == ([(1, 2.5), (3, 1.5)], 2)
        assert gc.isenabled()
        with pytest.raises(RuntimeError):
            shaped.top(wq.Term("body", "fails"), 10)
        assert gc.isenabled()
        gc.disable()
        shaped.top(wq.Term("body", "other"), 10)
        assert not gc.isenabled()  # left as it was
        assert seen == [False, False, False]
    finally:
        if was:
            gc.enable()
