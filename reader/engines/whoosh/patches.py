"""Every change reader makes to Whoosh's classes, in one place, installed by `install()` and only
on the Whoosh version they were written for (`SUPPORTED`). On another version nothing is patched,
and reader searches with Whoosh's own code (`fast_path_available()` is False).

The patches are for speed (a cached stemmer in C, length columns held in memory) and one repair
(Whoosh's own inlining of short posting lists, which refreshes use).
"""

from __future__ import annotations

from functools import lru_cache

import whoosh
from whoosh.analysis import StemFilter
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3PerDocReader,
    W3TermInfo,
)

from reader.engines.whoosh.version import SUPPORTED


def _clear_stem_cache(self: StemFilter) -> None:
    """StemFilter.clear with functools' cache, in C: Whoosh's own is a Python wrapper that counts
    every use, 4 µs a word, a fifth of analysing an article (when building and refreshing)."""
    if self.lang:
        from whoosh.lang import stemmer_for_language

        stemfn = stemmer_for_language(self.lang)
    else:
        stemfn = self.stemfn
    size = self.cachesize if isinstance(self.cachesize, int) else 0
    self._stem = lru_cache(maxsize=None if size < 0 else size)(stemfn) if size < 0 or size > 1 else stemfn




class _LoadedLengths:
    """A segment's field-length column (one byte a document) held in memory: BM25 asks for it at
    every posting it scores, and reading it from the file each time was half of a query's time."""

    __slots__ = ("_bytes",)

    def __init__(self, reader: object) -> None:
        count = getattr(reader, "_count", 0)
        self._bytes = reader._dbfile.get(reader._basepos, count) if count else b""  # type: ignore[attr-defined]

    def __getitem__(self, docnum: int) -> int:
        return self._bytes[docnum] if docnum < len(self._bytes) else 0


def _cached_length_reader(self: W3PerDocReader, fieldname: str, column: object) -> object:
    """W3PerDocReader._cached_reader, with the length column loaded whole, and remembering a
    missing column too: Whoosh asked the file system again for every posting of a field without
    lengths (ids, keywords, spellings), which was 40% of a build's time here."""
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        if reader is not None and column is LENGTHS_COLUMN:
            reader = _LoadedLengths(reader)
        self._readers[fieldname] = reader
        return reader


_whoosh_postings_reader = W3Codec.postings_reader


def _postings_reader(self: W3Codec, dbfile: object, terminfo: W3TermInfo, format_: object, term: object = None,
                     scorer: object = None) -> object:
    """W3Codec.postings_reader, giving the inlined postings of a field without values (ids,
    keywords) an empty value each: Whoosh's list matcher gives "" (text) for them, which its merge
    refuses."""
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        if not values:
            terminfo.set_inlined(ids, weights, (b"",) * len(ids))
    return _whoosh_postings_reader(self, dbfile, terminfo, format_, term=term, scorer=scorer)


_installed: bool | None = None


def install() -> bool:
    """Patch Whoosh (once a process) when it is the SUPPORTED version; whether it is patched.
    Call before making an analyzer: its stemmer cache is made then."""
    global _installed
    if _installed is None:
        _installed = tuple(whoosh.__version__[:3]) == SUPPORTED
        if _installed:
            # Also where Whoosh unpickles an index's schema (its __setstate__ calls clear).
            StemFilter.clear = _clear_stem_cache
            W3PerDocReader._cached_reader = _cached_length_reader
            # Whoosh 2.7.5 can keep a short posting list inside its term's info, but its postings
            # writer calls that by a name the term info lacks (`set_inlined`), so the path never
            # worked (its default limit of one posting keeps it off). Refreshes use it (writing.py).
            W3TermInfo.set_inline = W3TermInfo.set_inlined
            W3Codec.postings_reader = _postings_reader
    return _installed


def installed() -> bool:
    """Whether `install()` patched Whoosh: the fast scorer and inlined postings are used only then."""
    return bool(_installed)
