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
from collections.abc import Sequence
from itertools import accumulate

from reader.engines.whoosh.fast.format import Posting, constant_weights

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


def _first_chunk(count: int) -> int:
    """Bytes inflated at first for a block's ids and weights (up to 5 bytes an id gap, 9 a
    weight, and their marks): most of a block is its positions, which inflating cost too."""
    return 64 + 14 * count


def _keep(posting: Posting, position: int, found: tuple[object, object], count: int, whole: bool) -> Block:
    """Keep and give the ids and weights of a block as Posting.read makes them: of a list read
    whole (`whole`: already counted in the tally), or as Whoosh's W3LeafMatcher reads them."""
    gaps, weights = found
    cache = posting.cache
    if whole:
        if weights is None or isinstance(weights, float):  # the same weight for all
            weights = constant_weights(weights, count, cache.long)  # type: ignore[arg-type]
        block = cache.decoded[position] = (list(accumulate(gaps)), weights)  # type: ignore[call-overload]
        return block  # type: ignore[return-value]
    ids = gaps if posting.matcher._byteids else list(accumulate(gaps))  # type: ignore[attr-defined, call-overload]
    if weights is None or isinstance(weights, float):  # as W3LeafMatcher._read_weights makes them
        weights = constant_weights(weights, count, True)
    block = cache.decoded[position] = (ids, weights)  # type: ignore[assignment]
    cache.tally[0] += 1
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
    if raw is not None:  # of a list read whole (Posting._read_short)
        data, compression, count = raw
        found = head(data, bool(compression), count, _first_chunk(count))
        if found is None:
            return posting.read(position)
        del cache.raw[position]
        return _keep(posting, position, found, count, True)
    matcher = _matcher_at(posting, position)
    if matcher._data is not None:  # type: ignore[attr-defined]
        return posting.read(position)
    count = matcher._blocklength  # type: ignore[attr-defined]
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)  # type: ignore[attr-defined]
    found = head(data, bool(matcher._compression), count, _first_chunk(count))  # type: ignore[attr-defined]
    if found is None:
        return posting.read(position)
    return _keep(posting, position, found, count, False)


# The first value: the GLOBAL of _codecs.encode, its memo put, the BINUNICODE of its text.
_FIRST = re.compile(rb"c_codecs\nencode\n(q.|r....)X(....)", re.DOTALL)


_LATIN1 = b"X\x06\x00\x00\x00latin1"


_TUPLE2 = 0x86


class Packed:
    """The values (packed positions) of a block's postings, those asked for unpickled as text: a
    phrase needs those of its candidate documents only (then gap_lists unpickles them all at once).

    A value is pickled as codecs.encode(text, "latin1"): its text (its bytes as latin-1 letters,
    in UTF-8: a BINUNICODE) between a BINGET of _codecs.encode and one of "latin1", then TUPLE2
    and REDUCE. The pickle is split, in C, at each "BINGET of _codecs.encode, BINUNICODE"; each
    piece after the first value then holds a value's text's length, its text and what makes it a
    value (memo puts, the BINGET of "latin1", TUPLE2, REDUCE). A block not of that shape has its
    whole pickle unpickled instead, as Whoosh reads it."""

    __slots__ = ("first", "latin1", "marker", "out", "pieces", "whole")

    def __init__(self, out: bytes, count: int) -> None:
        self.out = out
        self.whole: list[bytes] | None = None
        self.first = self.marker = self.latin1 = b""
        self.pieces: list[bytes] = []
        if not self._split(out, count):
            self.whole = list(pickle.loads(out)[2])

    def _split(self, out: bytes, count: int) -> bool:
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
        if out[at] == 0x71:  # "latin1"'s memo put: each later value has its BINGET
            self.latin1 = b"h" + out[at + 1:at + 2]
            at += 2
        else:
            self.latin1 = b"j" + out[at + 1:at + 5]
            at += 5
        if out[at] != _TUPLE2:
            return False
        pieces = out[at + 1:].split(self.marker)  # the first value's end, then one a value
        if len(pieces) != count:
            return False
        if count > 1:
            end = _tail(pieces[-1])
            if end is None:
                return False
            pieces[-1] = pieces[-1][:end]
        self.pieces = pieces
        return True

    def strings(self, ats: Sequence[int]) -> list[str]:
        """The values of the block's postings at `ats` (in increasing order) as Whoosh stored them
        (their bytes as latin-1 letters) less their first 4 bytes, the count: each a pickle of the
        gaps between positions (see gap_lists). One unpickling of just those values' pieces of the
        block's pickle, `codecs.encode(text, "latin1")` made `text[4:]` (operator.getitem with
        a slice): cutting each text out in Python cost a microsecond more a value."""
        if self.whole is None:
            head = bool(ats) and ats[0] == 0
            pieces = self.pieces
            chosen = [pieces[at] for at in (ats[1:] if head else ats)]
            found: list[str] | None = []
            if chosen:
                marker, latin1 = self.marker, self.latin1
                data = b"".join((_STRINGS_HEAD, _put(marker[:-1]), b"0", _SLICE_4, _put(latin1), b"0(",
                                 marker, marker.join(chosen), b"l."))
                try:
                    found = pickle.loads(data)
                except Exception:  # noqa: BLE001 - not the shape looked for: unpickled whole instead
                    found = None
                if type(found) is not list or len(found) != len(chosen):
                    found = None
            if found is not None:
                if head:
                    found.insert(0, self.first.decode("utf-8")[4:])
                return found
            self.whole = list(pickle.loads(self.out)[2])
        whole = self.whole
        assert whole is not None
        return [whole[at].decode("latin-1")[4:] for at in ats]


# A pickle's start that memoises operator.getitem where the block has _codecs.encode, and
# slice(4, None) where it has "latin1": its values then unpickle as their texts less 4 letters.
_STRINGS_HEAD = b"\x80\x02coperator\ngetitem\n"


_SLICE_4 = b"cbuiltins\nslice\nK\x04N\x86R"


def _put(get: bytes) -> bytes:
    """The memo put (BINPUT, LONG_BINPUT) of the place a BINGET or LONG_BINGET reads."""
    return (b"q" if get[:1] == b"h" else b"r") + get[1:]


def _tail(last: bytes) -> int | None:
    """Where the last value's piece ends: before the TUPLE of the values, its memo put, TUPLE3,
    a memo put and STOP that end the block's pickle; None for another ending."""
    at = len(last) - 1
    if at < 0 or last[at] != 0x2E:  # STOP
        return None
    for expected in (0x87, 0x74):  # TUPLE3 before the last memo put, TUPLE before the one before
        if at >= 3 and last[at - 2] == 0x71:  # BINPUT and its byte
            at -= 2
        elif at >= 6 and last[at - 5] == 0x72:  # LONG_BINPUT and its 4 bytes
            at -= 5
        else:
            return None
        at -= 1
        if last[at] != expected:
            return None
    return at


def gap_lists(strings: Sequence[str]) -> list[list[int]]:
    """The gaps between the positions of each value of `strings` (Packed.strings): one unpickling
    for them all, their pickles joined into a list of them (each value's PROTO kept, its STOP
    dropped), else each value's as Whoosh's Positions.decode_positions unpickles it."""
    if not strings:
        return []
    joined = "".join(strings)
    if joined.startswith("\x80\x02") and joined.endswith(".") and joined.count(".\x80\x02") == len(strings) - 1:
        # ".", PROTO 2 only between two values: a gap's byte is never followed by PROTO's.
        try:
            found = pickle.loads(("\x80\x02(" + joined[:-1].replace(".\x80\x02", "\x80\x02") + "l.").encode("latin-1"))
        except Exception:  # noqa: BLE001 - decoded one by one instead
            found = None
        if type(found) is list and len(found) == len(strings) and all(type(gaps) is list for gaps in found):
            return found
    made = []
    for text in strings:
        value = text.encode("latin-1")
        made.append(pickle.loads(value if value.endswith(b".") else value + b"."))
    return made


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
