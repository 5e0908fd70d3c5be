"""The last, commonest word of a type-ahead conjunction over many candidates (`plo st`: a word of
thousands of documents beside a short beginning nearly every document has): the page read from
only the blocks that can still reach it, the count from an even sample of the rest.

Reading every block of the common word that holds a candidate meant nearly all of its blocks
(hundreds at 100k articles). Here the word's postings with fewest blocks (its title's) are read
whole, and each candidate's best possible total is its score so far, plus its part of those, plus
for each other posting (the body's) what the highest weight of the block its id falls in would
score in a document of its length. Candidates are taken best bound first and their blocks read
until none left can beat the page's last score: the page is the one reading everything gives, to
the last bit (the same additions in the same order). The count is exact where every block got
read, else the share of matching candidates in evenly spread ranges of document numbers, times
the candidates ("about N")."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence

from reader.engines.whoosh.fast.blockread import read as read_block
from reader.engines.whoosh.fast.bm25 import weight_bound
from reader.engines.whoosh.fast.format import Posting

# Blocks holding candidates past which the bounds are used. A page of 50 takes about 120
# candidates evaluated, each in a block of its own: below four times a page, reading them all costs
# about as much, and keeps every block for the next keys (typed on, and other searches). Replaying
# the benchmark's 1,963 keys at 100k beside reading them all: at 48, p95 -5% and the median +15%;
# at 200, p95 25.5 and 26.1 ms against 32.6 and 36.0, the median 4.4 against 4.7 and 5.3 ms.
BOUNDED_BLOCKS = 200


# The share of the blocks holding candidates that postings with fewest blocks may be read whole in.
WHOLE_SHARE = 0.35


# Ranges of document numbers the index is cut into for the count's sample, taken in an order that
# spreads every first few over the whole index (documents of one kind are often filed together).
SAMPLE_RANGES = 256


# Matching candidates in the sample before the count is estimated: the share's relative error is
# then about 1/sqrt(this) at most (10%), well inside the 25% an "about N" may be off.
SAMPLE_MATCHES = 100


# A bound is a sum of floats as the score is: a margin against rounding in the stopping test.
_MARGIN = 1e-9


class _Blocks:
    """One posting's blocks that hold a candidate: their highest ids, bounds, highest weights and
    positions, and which of them have been read."""

    __slots__ = ("bounds", "highest", "lows", "positions", "posting", "read", "weights")

    def __init__(self, posting: Posting, mine: Sequence[int]) -> None:
        self.posting = posting
        self.highest: list[int] = []
        self.lows: list[int] = []  # the highest id of the block before (ids above it are its)
        self.bounds: list[float] = []
        self.weights: list[float] = []
        self.positions: list[int] = []
        self.read: set[int] = set()
        if not mine:
            return
        low = -1
        headers = posting.cache.headers
        for number, (best, highest, position) in enumerate(posting.blocks()):
            at = bisect_right(mine, low)
            if at < len(mine) and mine[at] <= highest:
                self.lows.append(low)
                self.highest.append(highest)
                self.bounds.append(best)
                self.weights.append(headers[number][0])
                self.positions.append(position)
            low = highest
            if low >= mine[-1]:
                break


def bounded_last(postings: Sequence[Posting], first: dict[int, float],
                 keep: int) -> tuple[dict[int, float], int, bool] | None:
    """For the candidates `first` (their scores so far) and the last word's `postings`: the
    totals of the candidates with the word that can reach the page (the `keep` best among them),
    how many candidates have it, and whether that count is estimated; None when the blocks holding
    candidates are too few for the bounds to pay (read them all: Scorer.clause)."""
    # A block holds up to 128 postings (Whoosh's block limit): too few blocks in all, and the
    # headers are not even walked (most later words; Scorer.clause reads them all).
    if keep <= 0 or not first or sum(posting.count // 128 + 1 for posting in postings) <= BOUNDED_BLOCKS:
        return None
    candidates = set(first)
    ordered = sorted(first)
    of_leaf: dict[int, list[int]] = {}  # a segment's candidates, by its own document numbers
    for posting in postings:
        leaf = posting.leaf
        if id(leaf) not in of_leaf:
            low, high = bisect_left(ordered, leaf.offset), bisect_left(ordered, leaf.offset + leaf.size)
            of_leaf[id(leaf)] = [docnum - leaf.offset for docnum in ordered[low:high]]
    lists = [_Blocks(posting, of_leaf[id(posting.leaf)]) for posting in postings]
    held = sum(len(blocks.highest) for blocks in lists)
    if held <= BOUNDED_BLOCKS:
        return None
    parts: list[dict[int, float]] = [{} for _ in lists]

    def read(number: int, at: int) -> None:
        blocks = lists[number]
        if at not in blocks.read:
            blocks.read.add(at)
            posting = blocks.posting
            posting.add(*read_block(posting, blocks.positions[at]), parts[number], candidates)

    # The postings with fewest blocks are read whole (a title's beside the body's): their bounds
    # would be loose (a short field, boosted), and the exact part makes the others' tell.
    whole: set[int] = set()
    spent = 0
    for number in sorted(range(len(lists)), key=lambda number: len(lists[number].highest)):
        spent += len(lists[number].highest)
        if spent > WHOLE_SHARE * held:
            break
        whole.add(number)
        for at in range(len(lists[number].highest)):
            read(number, at)
    # Each candidate's best possible part of the word: for each posting, its part of a posting
    # read whole, else the best its block's highest weight gives in a document of its length;
    # added in the order its score's parts are (posting after posting), so never below it.
    bounds = {key: [0.0] * len(mine) for key, mine in of_leaf.items()}
    for number, blocks in enumerate(lists):
        posting = blocks.posting
        key, offset = id(posting.leaf), posting.leaf.offset
        mine, acc = of_leaf[key], bounds[key]
        if number in whole:
            get = parts[number].get
            bounds[key] = [a + s if (s := get(local + offset)) is not None else a for a, local in zip(acc, mine)]
            continue
        lengths, norm, idf, boost = posting.lengths, posting.norm, posting.idf, posting.boost
        for at, highest in enumerate(blocks.highest):
            start, end = bisect_right(mine, blocks.lows[at]), bisect_right(mine, highest)
            best, weight = blocks.bounds[at], blocks.weights[at]
            acc[start:end] = [a + min(best, weight_bound(idf, boost, weight, norm[lengths[local]]))
                              for a, local in zip(acc[start:end], mine[start:end])]
    # Best possible totals first; a candidate no posting can hold (no bound) has not the word.
    order = [(-(first[local + offset] + a), local + offset)
             for key, offset in {id(p.leaf): p.leaf.offset for p in postings}.items()
             for a, local in zip(bounds[key], of_leaf[key]) if a]
    heapq.heapify(order)
    later = {key: [number for number, blocks in enumerate(lists) if id(blocks.posting.leaf) == key and number not in whole]
             for key in of_leaf}  # a segment's postings not read whole
    leaf_of = {id(p.leaf): p.leaf for p in postings}
    page: list[float] = []  # the `keep` best totals so far (a heap)
    totals: dict[int, float] = {}
    while order:
        best_total, docnum = heapq.heappop(order)
        if len(page) >= keep and -best_total * (1 + _MARGIN) < page[0]:
            break
        for key, leaf in leaf_of.items():
            if leaf.offset <= docnum < leaf.offset + leaf.size:
                local = docnum - leaf.offset
                for number in later[key]:
                    blocks = lists[number]
                    at = bisect_left(blocks.highest, local)
                    if at < len(blocks.highest) and blocks.lows[at] < local:
                        read(number, at)
                break
        more: float | None = None
        for part in parts:
            score = part.get(docnum)
            if score is not None:
                more = score if more is None else more + score
        if more is None:
            continue
        total = totals[docnum] = first[docnum] + more
        if len(page) < keep:
            heapq.heappush(page, total)
        elif total > page[0]:
            heapq.heapreplace(page, total)
    count, estimated = _count(lists, parts, first, read)
    return totals, count, estimated


def _count(lists: list[_Blocks], parts: list[dict[int, float]], first: dict[int, float],
           read: Callable[[int, int], None]) -> tuple[int, bool]:
    """How many candidates have the word: exact when every block holding one is read (on the
    way), else estimated from spread ranges of document numbers read whole."""
    total_blocks = sum(len(blocks.highest) for blocks in lists)
    if total_blocks == sum(len(blocks.read) for blocks in lists):
        return len(set().union(*parts)), False
    ranges = sorted(first)
    lowest, everything = ranges[0], ranges[-1] + 1
    width = max(1, -(-(everything - lowest) // SAMPLE_RANGES))
    seen = matched = 0
    for part_at in _spread(SAMPLE_RANGES):
        low = lowest + part_at * width
        high = low + width
        if low >= everything:
            continue
        for number, blocks in enumerate(lists):
            offset = blocks.posting.leaf.offset
            local_low, local_high = low - offset, high - offset  # the range in the segment's ids
            if local_high <= 0 or not blocks.highest:
                continue
            at = bisect_left(blocks.highest, local_low)
            while at < len(blocks.highest) and blocks.lows[at] < local_high:
                read(number, at)
                at += 1
        inside = ranges[bisect_left(ranges, low):bisect_left(ranges, high)]
        seen += len(inside)
        matched += sum(1 for docnum in inside if any(docnum in part for part in parts))
        if matched >= SAMPLE_MATCHES:
            break
    known = len(set().union(*parts))
    if total_blocks == sum(len(blocks.read) for blocks in lists):
        return known, False
    estimate = round(len(first) * matched / max(1, seen))
    return min(max(estimate, known), len(first)), True


def _spread(count: int) -> Iterator[int]:
    """0 .. count-1 (a power of two) in bit-reversed order: each first few spread over all."""
    bits = max(1, (count - 1).bit_length())
    for step in range(count):
        yield int(format(step, f"0{bits}b")[::-1], 2)
