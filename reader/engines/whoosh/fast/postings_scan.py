"""A term's posting list scanned from its bytes (read whole, with its neighbours), for looking up
many terms among a few documents: each block's header parsed in place, and a block's ids and
weights decoded without unpickling its positions. Whoosh 3's private format, as fast/format.py
reads it (the same ids and weights as Posting.read gives); anything unexpected is read the slow
way (the header by pickle, the block decoded whole) or raises `Unsupported`.

A block is a 4-byte length (negative for the last), a pickled header (count, highest id, highest
weight, compression, shortest and longest length bytes), and one zlib-compressed pickle (protocol
2) of (id gaps, weights, values), each value (a posting's positions) pickled as a call of
`_codecs.encode`: nine tenths of unpickling a block, and never needed here."""

from __future__ import annotations

import pickle
import re
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from io import BytesIO
from itertools import accumulate

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

from reader.engines.whoosh.fast.blockread import head
from reader.engines.whoosh.fast.format import Unsupported

_LENGTH = struct.Struct("!i")


_J = 0x4A  # pickle's BININT, a signed int of 4 bytes


_INT = rb"(K.|M..|J....)"  # a pickled int: BININT1, BININT2 or BININT (signed)


# The header as Whoosh pickles it: a tuple of count, highest id, highest weight (a float),
# compression, shortest and longest length bytes.
_HEADER = re.compile(rb"\x80\x02\(" + _INT + _INT + rb"G(.{8})" + _INT + rb"(?:K.|M..|J....){2}tq\x00\.", re.DOTALL)


_ONE = struct.pack(">d", 1.0)  # a header's highest weight of 1.0, as pickled (BINFLOAT, big-endian)


def _integer(pickled: bytes) -> int:
    return int.from_bytes(pickled[1:], "little", signed=pickled[0] == _J)


def _header(data: bytes, start: int) -> tuple[int, int, int, int, bool]:
    """(count, highest id, compression, where its data starts, whether every weight is 1.0) of the
    block header at `start`."""
    found = _HEADER.match(data, start)
    if found is not None:
        return _integer(found[1]), _integer(found[2]), _integer(found[4]), found.end(), found[3] == _ONE
    stream = BytesIO(data)  # another shape of pickle: unpickled
    stream.seek(start)
    count, highest, weight, compression, _shortest, _longest = pickle.load(stream)
    return count, highest, compression, stream.tell(), weight == 1


def blocks(data: bytes) -> Iterator[tuple[int, int, int, int, int]]:
    """(count, highest id, compression, start, end) of each block of a posting list's bytes (its
    data is data[start:end])."""
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise Unsupported("not a Whoosh 3 posting list")
    at, end, last = 4, len(data), False
    while not last and at < end:
        size = _LENGTH.unpack_from(data, at)[0]
        last = size < 0
        following = at + 4 + abs(size)
        count, highest, compression, start, _ones = _header(data, at + 4)
        yield count, highest, compression, start, following
        at = following


def scan(data: bytes, short: bool, mine: Sequence[int]) -> tuple[list[tuple[list[int], Sequence[float]]], bool]:
    """The ids and weights (ids_weights) of the blocks of a posting list's bytes whose id range
    holds one of the sorted ids `mine` (not empty), the others not decoded; and whether that was
    every block. A block of one posting holds only its highest id, so it is decoded only when
    that is one of `mine` (rare terms' lists are one short block each: most of the blocks a few
    candidates would decode)."""
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise Unsupported("not a Whoosh 3 posting list")
    unpack, end, size_mine, last = _LENGTH.unpack_from, len(data), len(mine), mine[-1]
    at, low, found, complete = 4, -1, [], True
    while at < end:
        size = unpack(data, at)[0]
        following = at + 4 + (size if size >= 0 else -size)
        count, highest, compression, start, ones = _header(data, at + 4)
        first = bisect_left(mine, low + 1 if count > 1 else highest)
        if first < size_mine and mine[first] <= highest:
            found.append(ids_weights(data[start:following], compression, count, short, ones))
        else:
            complete = False
        if size < 0:
            return found, complete
        if highest >= last:
            return found, False
        low, at = highest, following
    return found, complete


def ids_weights(data: bytes, compression: int, count: int, short: bool,
                ones: bool = False) -> tuple[list[int], Sequence[float]]:
    """The ids and weights of a block's `data`, as Posting.read gives them: of a `short` list
    (read whole) a constant weight as a list of floats, of a longer one (read by Whoosh's
    matcher) as W3LeafMatcher makes it, an array of float32. `ones`: its header says no weight
    is over 1.0 (then none is pickled, most likely): a shorter first piece is decompressed."""
    # Decompressed as far as a block's ids and weights reach (5 bytes an id, 9 a weight, marks);
    # head() goes on when that was too short, so this only sets how much is inflated at first.
    found = head(data, bool(compression), count, (40 + 6 * count) if ones else (64 + 14 * count))
    if found is None:
        gaps, weights, _values = pickle.loads(zlib.decompress(data) if compression else data)
    else:
        gaps, weights = found
    ids = list(accumulate(gaps))  # stored as gaps
    if isinstance(weights, tuple):
        return ids, weights
    if short:
        return ids, [weights or 1.0] * count
    return ids, array("f", [1.0 if weights is None else weights]) * count


def inlined(info: bytes, head: int) -> tuple[Sequence[int], Sequence[float]]:
    """The ids and weights kept in a term's info past its `head` bytes, as Posting.read gives them."""
    ids, weights, _values = pickle.loads(info[head:])
    if not weights:
        weights = (1.0,) * len(ids)  # as Whoosh's ListMatcher reads them
    return ids, weights
