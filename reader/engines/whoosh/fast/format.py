"""Whoosh 3's on-disk format as the fast scorer reads it: a segment's term list, a term's info,
its posting blocks. All reading of Whoosh's private bytes and classes is here, for the version
patches.SUPPORTED; anything unexpected raises `Unsupported` and Whoosh answers instead."""

from __future__ import annotations

import math
import pickle
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from itertools import accumulate

from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3TermInfo,
)
from whoosh.util.numeric import byte_to_length

from reader.core.types import describe
from reader.engines.whoosh.fast.bm25 import add_block, block_bound

# Segments of at most this many documents (a refresh's) have their term lists of every field read
# whole when first searched; in larger ones a field of many unique terms (link keys) is looked up in
# Whoosh's hash table instead.
SMALL_SEGMENT = 4096


_INT_PAIR = struct.Struct("!ii")


_INFO_HEAD = W3TermInfo._struct  # a term info's statistics; then, when not inlined, where its postings are


_LONG_INT = struct.Struct("!qi")  # that place: offset and length in the postings file


_BLOCK_LENGTH = struct.Struct("!i")  # before each block; negative for the last


SHORT_POSTINGS = 32_768  # bytes of postings read whole, in one read (a few blocks)


# A longer posting list is read whole too, up to this: its block headers parsed from memory, where
# Whoosh's matcher seeks and reads each (20-30 µs a block: a common word of 100k articles has 600).
WHOLE_POSTINGS = 8 << 20


_TERM_STATS = struct.Struct("!BfI")  # the start of a W3TermInfo: flags, total weight, doc frequency


class Lexicon:
    """The terms of one field of one segment, sorted (as UTF-8 bytes), with their statistics and
    where their term info is in the terms file."""

    __slots__ = ("_where", "freqs", "places", "sizes", "table", "terms", "weights")

    def __init__(self, table: object) -> None:
        # Arrays rather than lists of Python numbers: a 100k-article index has ~200k terms here.
        self.terms: list[bytes] = []
        self.freqs = array("I")
        """Doc frequency of each term."""
        self.weights = array("f")
        """Total weight (occurrences) of each term."""
        self.places = array("q")
        self.sizes = array("I")
        """Position and length of each term's info in the terms file: read without a hash lookup."""
        self.table = table
        self._where: dict[bytes, int] | None = None
        """Term -> its place, made on the first lookup: opening an article looks up a few hundred
        words in every segment, and a binary search of 50k terms cost 2 µs a word."""

    def prefixed(self, prefix: bytes) -> Iterator[tuple[bytes, int]]:
        low = bisect_left(self.terms, prefix)
        high = bisect_left(self.terms, prefix + b"\xff", low)  # 0xff never occurs in UTF-8
        return zip(self.terms[low:high], self.freqs[low:high])

    def find(self, term: bytes) -> int:
        return self.places_by_term().get(term, -1)

    def places_by_term(self) -> dict[bytes, int]:
        """Term -> its place in the lists (made on first use)."""
        where = self._where
        if where is None:
            where = self._where = dict(zip(self.terms, range(len(self.terms))))
        return where

    def frequency(self, term: bytes) -> int:
        at = self.find(term)
        return self.freqs[at] if at >= 0 else 0

    def info(self, at: int) -> bytes:
        """The term's info as stored (W3TermInfo's bytes)."""
        return self.table.dbfile.get(self.places[at], self.sizes[at])  # type: ignore[attr-defined, no-any-return]


def read_lexicon(leaf: object, fieldname: str) -> Lexicon:
    """A segment's terms of one field, read in one pass over its terms file (Whoosh's own term
    iterator costs 20 µs a term; this about 1). `Unsupported` for another codec."""
    try:
        terms_reader = leaf._terms  # type: ignore[attr-defined]
        table = terms_reader._tindex
        fieldkey = terms_reader._keycoder(fieldname, b"")
        lexicon = Lexicon(table)
        start = table.closest_key_pos(fieldkey)
        if start is None:
            return lexicon
        data = table.dbfile.get(start, table.endofdata - start)
        unpack_pair, unpack_stats = _INT_PAIR.unpack_from, _TERM_STATS.unpack_from
        terms, freqs, weights, places, sizes = lexicon.terms, lexicon.freqs, lexicon.weights, lexicon.places, lexicon.sizes
        position, end, keystart = 0, len(data), len(fieldkey)
        while position < end:
            keylen, datalen = unpack_pair(data, position)
            key = position + 8
            if data[key : key + keystart] != fieldkey:
                break
            _flags, weight, freq = unpack_stats(data, key + keylen)
            terms.append(data[key + keystart : key + keylen])
            freqs.append(freq)
            weights.append(weight)
            places.append(start + key + keylen)
            sizes.append(datalen)
            position = key + keylen + datalen
        return lexicon
    except (AttributeError, TypeError, struct.error) as error:
        raise Unsupported(f"cannot read the terms of {fieldname}: {describe(error)}") from None


INFO_HEAD = _INFO_HEAD.size  # bytes of a term info's statistics


INLINED = b"\x01"  # a term info's first byte when its postings are kept in it


def list_place(info: bytes) -> tuple[int, int]:
    """(offset, length) in the postings file of the posting list of a term info not inlined."""
    if len(info) < _INFO_HEAD.size + _LONG_INT.size:
        raise Unsupported("a term info too short for its postings' place")
    return _LONG_INT.unpack_from(info, _INFO_HEAD.size)  # type: ignore[return-value]


def term_frequency(info: bytes) -> int:
    """The doc frequency in a term's info (W3TermInfo's bytes)."""
    return _TERM_STATS.unpack_from(info, 0)[2]  # type: ignore[no-any-return]


def term_weight(info: bytes) -> float:
    """The total weight in a term's info (W3TermInfo's bytes)."""
    return _TERM_STATS.unpack_from(info, 0)[1]  # type: ignore[no-any-return]


def read_range(leaf: object, fieldname: str, prefix: bytes) -> list[tuple[bytes, int, bytes]]:
    """(term, doc frequency, info as stored) of a segment's terms of one field that start with
    `prefix`, read from where they start in the terms file (which is in key order): a prefix's
    terms without reading the field's whole list. `Unsupported` for another codec."""
    try:
        terms_reader = leaf._terms  # type: ignore[attr-defined]
        table = terms_reader._tindex
        fieldkey = terms_reader._keycoder(fieldname, b"")
        wanted = fieldkey + prefix
        position = table.closest_key_pos(wanted)
        found: list[tuple[bytes, int, bytes]] = []
        if position is None:
            return found
        end, chunk = table.endofdata, _RANGE_CHUNK
        unpack_pair, unpack_stats = _INT_PAIR.unpack_from, _TERM_STATS.unpack_from
        keystart, size = len(fieldkey), len(wanted)
        while position < end:
            data = table.dbfile.get(position, min(chunk, end - position))
            at = 0
            while at + 8 <= len(data):
                keylen, datalen = unpack_pair(data, at)
                key = at + 8
                if key + keylen + datalen > len(data):
                    break  # the entry goes on past this chunk: read again from it
                if data[key : key + size] != wanted:
                    return found
                info = data[key + keylen : key + keylen + datalen]
                found.append((data[key + keystart : key + keylen], unpack_stats(info, 0)[2], info))
                at = key + keylen + datalen
            if at == 0:
                chunk *= 2  # one entry longer than the chunk
            position += at
        return found
    except (AttributeError, TypeError, struct.error) as error:
        raise Unsupported(f"cannot read the terms of {fieldname}: {describe(error)}") from None


_RANGE_CHUNK = 16_384


class Unsupported(Exception):
    """The index is not in the format the fast scorer reads: Whoosh answers instead."""


@dataclass(slots=True)
class Leaf:
    """One segment as the fast scorer reads it."""

    reader: object
    name: str
    offset: int
    """Its first document's number in the whole index."""
    size: int
    """Documents in the segment, deleted ones included."""
    deleted: frozenset[int]
    lengths: dict[str, bytes] = field(default_factory=dict)
    """Field -> one length byte a document (Whoosh's length column)."""
    lexicons: dict[str, Lexicon] = field(default_factory=dict)
    infos: dict[tuple[str, bytes], bytes | None] = field(default_factory=dict)
    """(field, term) -> its info as stored, or None: the terms looked up one by one."""


class Blocks:
    """What has been read of one term's postings in one segment: its block headers and decoded
    blocks. Typing a query letter by letter asks for the same words at every key, and decoding a
    block (zlib, then unpickling positions the scorer never uses) was half of a key's time."""

    __slots__ = ("complete", "decoded", "headers", "long", "raw", "tally")

    def __init__(self, tally: list[int]) -> None:
        self.tally = tally
        """Blocks decoded by every term of the scorer (one shared counter; approximate under threads)."""
        self.headers: list[tuple[float, int, int, int]] = []
        """(highest weight, shortest length, highest id, position) of the blocks read so far."""
        self.complete = False
        """Whether `headers` reaches the last block."""
        self.decoded: dict[int, tuple[list[int], Sequence[float]]] = {}
        self.raw: dict[int, tuple[bytes, int, int]] = {}
        """Blocks of a list read whole but not yet decoded: (data, compression, postings)."""
        self.long = False
        """Whether that list is longer than SHORT_POSTINGS: its blocks' weights are then decoded as
        Whoosh's matcher decodes them (a constant weight as an array of float32), as for blocks
        read through the matcher; a short list's as a list of floats, as Whoosh's ListMatcher."""


class Posting:
    """One term's postings in one segment, read a block at a time."""

    __slots__ = (
        "at",
        "average",
        "boost",
        "cache",
        "count",
        "fmt",
        "idf",
        "info",
        "leaf",
        "lengths",
        "matcher",
        "norm",
        "term",
    )

    def __init__(self, leaf: Leaf, term: Term, fmt: object, info: bytes, cache: Blocks, lengths: bytes,
                 norm: list[float], idf: float, average: float, count: int, boost: float = 1.0) -> None:
        self.leaf = leaf
        self.term = term
        self.fmt = fmt
        """The field's Whoosh format."""
        self.info = info
        """The term's info as stored in the terms file (W3TermInfo's bytes)."""
        self.matcher: object | None = None
        """Whoosh's matcher, made when a block not yet in `cache` is read."""
        self.cache = cache
        self.lengths = lengths
        self.norm = norm
        self.idf = idf
        self.boost = boost
        """The query's boost of the term."""
        self.average = average
        self.count = count
        self.at = -1
        """Where the matcher's current block starts."""

    def _matcher(self) -> object:
        if self.matcher is None:
            reader = self.leaf.reader
            self.matcher = reader._codec.postings_reader(  # type: ignore[attr-defined]
                reader._terms._postfile, W3TermInfo.from_bytes(self.info), self.fmt, term=self.term  # type: ignore[attr-defined]
            )
        return self.matcher

    def blocks(self) -> Iterator[tuple[float, int, int]]:
        """(best possible score, highest id, position) of each block, reading only its header
        (and only as far as the caller goes: a common word has thousands of blocks)."""
        cache = self.cache
        done = 0
        while True:
            headers = cache.headers
            if done == len(headers):
                if cache.complete:
                    return
                self._read_header(headers[-1][3] if headers else None)
                continue
            weight, shortest, highest, position = headers[done]
            done += 1
            if position < 0:  # one posting, kept in the term's info
                yield math.inf, highest, position
                continue
            yield block_bound(self.idf, self.boost, weight, shortest, self.average), highest, position

    def _read_header(self, after: int | None) -> None:
        """Add the header of the block after the one at `after` (the first when None)."""
        cache = self.cache
        if after is None and self._read_short(WHOLE_POSTINGS):
            return
        if self._inlined():  # one block, at position -1, which `read` takes from the info
            cache.headers.append((math.inf, 0, 2**62, -1))
            cache.complete = True
            return
        matcher = self._matcher()  # a W3LeafMatcher: the blocks are in the postings file
        if after is None:
            position = matcher._baseoffset
        else:
            if self.at != after:
                matcher._goto(after)
                self.at = after
            position = matcher._nextoffset
        if self.at != position:
            matcher._goto(position)
            self.at = position
        cache.headers.append((matcher._maxweight, matcher._minlength, matcher._maxid, position))
        cache.complete = matcher._lastblock

    def _inlined(self) -> bool:
        """Whether the postings are kept in the term's info (its first byte is Whoosh's flag)."""
        return self.info[:1] == b"\x01"

    def _read_short(self, longest: int = SHORT_POSTINGS) -> bool:
        """Read a posting list of at most `longest` bytes whole, from one read of the postings
        file: its headers, and its blocks to decode when asked for. Most terms that "more like
        this" and backlinks look for have a block or two, and opening Whoosh's matcher for them
        (its seeks and small reads) cost more than decoding them. False for a longer list, or one
        kept in the term's info."""
        place = self.short_place(longest)
        if place is None:
            return False
        offset, length = place
        return self.take_short(self.leaf.reader._terms._postfile.get(offset, length), offset)  # type: ignore[attr-defined]

    def short_place(self, longest: int = SHORT_POSTINGS) -> tuple[int, int] | None:
        """(offset, length) in the postings file of a posting list of at most `longest` bytes (a
        short one, read whole), or None."""
        info = self.info
        if self._inlined() or len(info) < _INFO_HEAD.size + _LONG_INT.size:
            return None
        offset, length = _LONG_INT.unpack_from(info, _INFO_HEAD.size)
        return (offset, length) if length <= longest else None

    def take_short(self, data: bytes, offset: int) -> bool:
        """Take the headers and blocks of a short posting list from its bytes (read at `offset`)."""
        if data[:4] != WHOOSH3_HEADER_MAGIC:
            return False
        cache = self.cache
        cache.long = len(data) > SHORT_POSTINGS
        stream = BytesIO(data)
        at, last = 4, False
        while not last and at < len(data):
            size = _BLOCK_LENGTH.unpack_from(data, at)[0]
            last = size < 0
            stream.seek(at + 4)
            count, highest, weight, compression, shortest, _longest = pickle.load(stream)
            end = at + 4 + abs(size)
            position = offset + at
            cache.headers.append((weight, byte_to_length(shortest), highest, position))
            cache.raw[position] = (data[stream.tell() : end], compression, count)
            cache.tally[0] += 1
            at = end
        cache.complete = True
        return True

    def read(self, position: int) -> tuple[Iterable[int], Sequence[float]]:
        """The ids and weights of the block at `position`."""
        known = self.cache.decoded.get(position)
        if known is not None:
            return known
        raw = self.cache.raw.pop(position, None)
        if raw is not None:  # of a list read whole (_read_short)
            data, compression, count = raw
            ids, weights, _values = pickle.loads(zlib.decompress(data) if compression else data)
            if weights is None or isinstance(weights, float):  # the same weight for all
                weights = constant_weights(weights, count, self.cache.long)
            block = self.cache.decoded[position] = (list(accumulate(ids)), weights)  # ids are stored as gaps
            return block
        if position < 0:
            # Postings kept in the term's info (most terms of a refresh's small segment): the
            # pickle Whoosh wrote there, read without making its matcher, which cost more.
            ids, weights, _values = pickle.loads(self.info[_INFO_HEAD.size :])
            if not weights:
                weights = (1.0,) * len(ids)  # as Whoosh's ListMatcher reads them
            self.cache.decoded[position] = block = (ids, weights)
            self.cache.tally[0] += 1
            return block
        matcher = self._matcher()
        if self.at != position:
            matcher._goto(position)  # type: ignore[attr-defined]
            self.at = position
        if matcher._data is None:  # type: ignore[attr-defined]
            matcher._read_data()  # type: ignore[attr-defined]
        ids = matcher._data[0]  # type: ignore[attr-defined]
        if not matcher._byteids:  # type: ignore[attr-defined]
            ids = list(accumulate(ids))  # stored as gaps
        matcher._read_weights()  # type: ignore[attr-defined]
        block = (ids, matcher._weights)  # type: ignore[attr-defined]
        self.cache.decoded[position] = block
        self.cache.tally[0] += 1
        return block

    def values(self, position: int) -> Sequence[bytes]:
        """The values (encoded positions) of the block at `position`, in the order of its ids:
        for phrases, which read them for a few candidate documents (not kept: they are large)."""
        if position < 0:
            return pickle.loads(self.info[_INFO_HEAD.size :])[2]  # type: ignore[no-any-return]
        matcher = self._matcher()
        if self.at != position:
            matcher._goto(position)  # type: ignore[attr-defined]
            self.at = position
        matcher._read_values()  # type: ignore[attr-defined]
        return matcher._values  # type: ignore[attr-defined, no-any-return]

    def add(self, ids: Iterable[int], weights: Sequence[float], scores: dict[int, float],
            only: set[int] | None) -> int:
        """Add the block's BM25F scores into `scores` (only for documents in `only`, when given);
        how many postings it had."""
        return add_block(ids, weights, self.lengths, self.norm, self.idf, self.boost, self.leaf.offset,
                         self.leaf.deleted, scores, only)


Term = tuple[str, bytes]
"""(field, indexed term)."""


def constant_weights(weight: float | None, count: int, long: bool) -> Sequence[float]:
    """A block's weights when its pickle holds one for all (or None: 1.0), as Whoosh reads them:
    of a `long` list (Whoosh's W3LeafMatcher) an array of float32, of a short one (its ListMatcher
    over the list read whole) a list."""
    if long:
        return array("f", [1.0 if weight is None else weight]) * count
    return [weight or 1.0] * count


# Bytes between two wanted places read through rather than read apart (see read_spans), and the
# longest single read.
_SPAN_GAP = 16_384


_SPAN_MAX = 4 << 20


def read_spans(file: object, places: Sequence[tuple[int, int]]) -> Iterator[tuple[int, bytes]]:
    """(index in `places`, its bytes) of every (offset, length), neighbours read in one read of
    `file` (a Whoosh StructFile): the thousands of completions of a short prefix have their term
    infos, and their postings, next to each other, and a seek and read each cost more than
    decoding them."""
    order = sorted(range(len(places)), key=lambda at: places[at][0])
    at = 0
    while at < len(order):
        start = places[order[at]][0]
        end = start + places[order[at]][1]
        last = at + 1
        while last < len(order):
            offset, length = places[order[last]]
            if offset - end > _SPAN_GAP or max(end, offset + length) - start > _SPAN_MAX:
                break
            end = max(end, offset + length)
            last += 1
        data = file.get(start, end - start)  # type: ignore[attr-defined]
        for index in order[at:last]:
            offset, length = places[index]
            yield index, data[offset - start : offset - start + length]
        at = last


def prefetch(postings: Sequence[Posting], longest: int = SHORT_POSTINGS) -> None:
    """Read the posting lists of `postings` not read yet of at most `longest` bytes (short ones;
    longer when nearly every block will be wanted), neighbours together (read_spans)."""
    by_leaf: dict[int, list[tuple[Posting, tuple[int, int]]]] = {}
    for posting in postings:
        if posting.cache.headers or posting.cache.complete:
            continue
        place = posting.short_place(longest)
        if place is not None:
            by_leaf.setdefault(id(posting.leaf), []).append((posting, place))
    for wanted in by_leaf.values():
        postfile = wanted[0][0].leaf.reader._terms._postfile  # type: ignore[attr-defined]
        for index, data in read_spans(postfile, [place for _, place in wanted]):
            posting, (offset, _length) = wanted[index]
            posting.take_short(data, offset)
