"""Decoding a posting block of Whoosh 3 for the query shapes (shapes.py, phrases.py): its ids and
weights without unpickling its positions, and the positions of only the postings asked for.

A block is one zlib-compressed pickle (protocol 2) of (ids, weights, values), and a value (a
posting's encoded positions) is pickled as a call of `_codecs.encode` for each posting: unpickling
a block of 128 postings cost 40-130 µs, nine tenths of it the values, which scoring never uses.
Here the block is decompressed only as far as the values begin and the pickle cut there (its ids
and weights, then a TUPLE2 and a STOP): 5-10 µs. The result is what Posting.read gives (format.py),
kept in the same cache of decoded blocks; anything unexpected is decoded whole, as it does. A
phrase's candidates' positions are cut out of the pickle the same way (Packed)."""

from __future__ import annotations

import pickle
import re
import zlib
from array import array
from collections.abc import Sequence
from itertools import accumulate

from reader.engines.whoosh.fast.format import Posting

# Where the values tuple of a block's pickle starts: its first value, a GLOBAL of _codecs.encode.
# No opcode of the ids and weights before it (ints, floats, tuples, memo puts) can hold these bytes.
_VALUES = b"c_codecs\nencode\n"


_MARK = 0x28  # "(": a tuple of more than 3 items starts with one


_PROTOCOL_2 = b"\x80\x02"


_CUT_END = b"\x86."  # TUPLE2 and STOP: (ids, weights) of the pickle's first two items


_CHUNK = 4096  # decompressed bytes looked through at a time for where the values start


Block = tuple[Sequence[int], Sequence[float]]


def head(data: bytes, compressed: bool, count: int, chunk: int = _CHUNK) -> tuple[object, object] | None:
    """The (ids, weights) as pickled in a block's `data`, decompressed (`chunk` bytes at a time)
    only up to where its values start; None when the pickle is not of that shape."""
    if compressed:
        inflate = zlib.decompressobj()
        out = inflate.decompress(data, chunk)
        cut = out.find(_VALUES)
        while cut < 0 and inflate.unconsumed_tail:
            out += inflate.decompress(inflate.unconsumed_tail, _CHUNK)
            cut = out.find(_VALUES, max(0, len(out) - _CHUNK - len(_VALUES)))
    else:
        out = data
        cut = out.find(_VALUES)
    if cut < 2 or not out.startswith(_PROTOCOL_2):
        return None
    if count > 3:  # a longer tuple opens with a MARK; up to three items, TUPLE1-3 close it
        if out[cut - 1] != _MARK:
            return None
        cut -= 1
    try:
        ids, weights = pickle.loads(out[:cut] + _CUT_END)
    except Exception:  # noqa: BLE001 - not the shape looked for: decoded whole instead
        return None
    if not isinstance(ids, tuple) or len(ids) != count:
        return None
    if not (weights is None or isinstance(weights, float) or (isinstance(weights, tuple) and len(weights) == count)):
        return None
    return ids, weights


def _keep(posting: Posting, position: int, found: tuple[object, object], count: int, short: bool) -> Block:
    """Keep and give the ids and weights of a block as Posting.read makes them: of a short list
    read whole (`short`), or as Whoosh's W3LeafMatcher reads them."""
    gaps, weights = found
    if short:
        if weights is None or isinstance(weights, float):  # the same weight for all
            weights = [weights or 1.0] * count
        block = posting.cache.decoded[position] = (list(accumulate(gaps)), weights)  # type: ignore[call-overload]
        return block  # type: ignore[return-value]
    ids = gaps if posting.matcher._byteids else list(accumulate(gaps))  # type: ignore[attr-defined, call-overload]
    if weights is None:  # as W3LeafMatcher._read_weights makes them
        weights = array("f", (1.0 for _ in range(count)))
    elif isinstance(weights, float):
        weights = array("f", (weights for _ in range(count)))
    block = posting.cache.decoded[position] = (ids, weights)  # type: ignore[assignment]
    posting.cache.tally[0] += 1
    return block  # type: ignore[return-value]


def _matcher_at(posting: Posting, position: int) -> object:
    matcher = posting._matcher()
    if posting.at != position:
        matcher._goto(position)  # type: ignore[attr-defined]
        posting.at = position
    return matcher


def read(posting: Posting, position: int) -> Block:
    """The ids and weights of the block at `position`, as Posting.read gives them (and kept where
    it keeps them)."""
    cache = posting.cache
    known = cache.decoded.get(position)
    if known is not None:
        return known
    if position < 0:  # kept in the term's info: small, Posting.read's own decoding
        return posting.read(position)
    raw = cache.raw.get(position)
    if raw is not None:  # of a short list read whole (Posting._read_short)
        data, compression, count = raw
        found = head(data, bool(compression), count)
        if found is None:
            return posting.read(position)
        del cache.raw[position]
        return _keep(posting, position, found, count, True)
    matcher = _matcher_at(posting, position)
    if matcher._data is not None:  # type: ignore[attr-defined]
        return posting.read(position)
    count = matcher._blocklength  # type: ignore[attr-defined]
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)  # type: ignore[attr-defined]
    found = head(data, bool(matcher._compression), count)  # type: ignore[attr-defined]
    if found is None:
        return posting.read(position)
    return _keep(posting, position, found, count, False)


# The first value: the GLOBAL of _codecs.encode, its memo put, the BINUNICODE of its text.
_FIRST = re.compile(rb"c_codecs\nencode\n(q.|r....)X(....)", re.DOTALL)


_LATIN1 = b"X\x06\x00\x00\x00latin1"


_TUPLE2 = 0x86


class Packed:
    """The values (packed positions) of a block's postings, each cut out of the block's pickle when
    asked for, as text: a phrase needs those of its candidate documents only, and unpacks each
    distinct one once (`unpack`).

    A value is pickled as codecs.encode(text, "latin1"): its text in UTF-8 (a BINUNICODE) between
    a BINGET of _codecs.encode and one of "latin1". The pickle is split, in C, at each BINGET of
    "latin1" and the TUPLE2 after it; each piece then holds a value's memo puts, the BINGET of
    _codecs.encode, "X", the text's length and the text. A piece not of that shape has the whole
    pickle unpickled instead, as Whoosh reads it."""

    __slots__ = ("first", "marker", "out", "pieces", "whole")

    def __init__(self, out: bytes, count: int) -> None:
        self.out = out
        self.whole: list[bytes] | None = None
        self.first = self.marker = b""
        self.pieces: list[bytes] = []
        if not self._split(count):
            self._unpickle()

    def _unpickle(self) -> None:
        self.whole = [value.decode("latin-1").encode("utf-8") for value in pickle.loads(self.out)[2]]

    def _split(self, count: int) -> bool:
        out = self.out
        cut = out.find(_VALUES)
        found = _FIRST.match(out, cut) if cut > 0 else None
        if found is None:
            return False
        put = found.group(1)  # _codecs.encode's memo: each later value gets it with a BINGET
        self.marker = (b"h" + put[1:] if put[:1] == b"q" else b"j" + put[1:]) + b"X"
        start = found.end()
        end = start + int.from_bytes(found.group(2), "little")
        self.first = out[start:end]
        at = end + (2 if out[end] == 0x71 else 5)  # the text's memo put (BINPUT or LONG_BINPUT)
        if out[at:at + len(_LATIN1)] != _LATIN1:
            return False
        at += len(_LATIN1)
        if out[at] == 0x71:  # "latin1"'s memo put: each later value ends with its BINGET
            delimiter = b"h" + out[at + 1:at + 2] + b"\x86"
            at += 2
        else:
            delimiter = b"j" + out[at + 1:at + 5] + b"\x86"
            at += 5
        if out[at] != _TUPLE2:
            return False
        self.pieces = out[at + 1:].split(delimiter)
        return len(self.pieces) == count  # the values after the first, then the pickle's end

    def texts(self, ats: Sequence[int]) -> list[bytes]:
        """The texts of the values of the block's postings at `ats` (see `unpack`)."""
        if self.whole is None:
            pieces, marker, skip = self.pieces, self.marker, len(self.marker)
            found: list[bytes] = []
            for at in ats:
                if not at:
                    found.append(self.first)
                    continue
                piece = pieces[at - 1]
                start = piece.find(marker) + skip  # the first: no memo put holds these bytes
                end = start + 4 + int.from_bytes(piece[start:start + 4], "little")
                if start < skip or len(piece) - end not in (2, 5):  # then its memo put
                    break
                found.append(piece[start + 4:end])
            else:
                return found
            self._unpickle()
        whole = self.whole
        assert whole is not None
        return [whole[at] for at in ats]


def unpack(text: bytes) -> bytes:
    """The value (as Whoosh stored it) of a text of `Packed.texts`."""
    return text.decode("utf-8").encode("latin-1")


def read_packed(posting: Posting, position: int) -> tuple[Sequence[int], Sequence[float], Packed | Sequence[bytes]]:
    """The ids, weights and values of the block at `position` from one decompression (values as a
    Packed, or a sequence for a block kept in the term's info), the ids and weights kept as `read`
    keeps them."""
    if position < 0:
        ids, weights = posting.read(position)
        return ids, weights, posting.values(position)
    cache = posting.cache
    raw = cache.raw.get(position)
    if raw is not None:
        data, compression, count = raw
        out = zlib.decompress(data) if compression else data
    else:
        matcher = _matcher_at(posting, position)
        count = matcher._blocklength  # type: ignore[attr-defined]
        data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)  # type: ignore[attr-defined]
        out = zlib.decompress(data) if matcher._compression else data  # type: ignore[attr-defined]
    block = cache.decoded.get(position)
    if block is None:
        found = head(out, False, count) if out.startswith(_PROTOCOL_2) else None
        if found is None:
            ids, weights = posting.read(position)
            return ids, weights, posting.values(position)
        if raw is not None:
            del cache.raw[position]
        block = _keep(posting, position, found, count, raw is not None)
    return block[0], block[1], Packed(out, count)
