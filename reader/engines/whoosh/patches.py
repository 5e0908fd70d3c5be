"""Every change reader makes to Whoosh, in one place, and only on the Whoosh version it was
written for (`SUPPORTED`). On another version nothing is patched, and reader searches with
Whoosh's own code (`installed()` is False).

`install()` patches Whoosh's classes, for speed (a cached stemmer in C, length columns held in
memory) and one repair (Whoosh's own inlining of short posting lists, which refreshes use).
`import_lean()` imports Whoosh without modules it pulls in at import time and a search never
runs: a third of the Whoosh part of `reader search WORD`'s start.

This module imports no Whoosh itself, so that `import_lean()` can run before the first import.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reader.engines.whoosh.version import SUPPORTED, installed_version

if TYPE_CHECKING:
    from whoosh.analysis import StemFilter
    from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader, W3TermInfo


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
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        if reader is not None and column is LENGTHS_COLUMN:
            reader = _LoadedLengths(reader)
        self._readers[fieldname] = reader
        return reader


_whoosh_postings_reader: Callable[..., object] | None = None  # W3Codec's own, kept by install()


def _postings_reader(self: W3Codec, dbfile: object, terminfo: W3TermInfo, format_: object, term: object = None,
                     scorer: object = None) -> object:
    """W3Codec.postings_reader, giving the inlined postings of a field without values (ids,
    keywords) an empty value each: Whoosh's list matcher gives "" (text) for them, which its merge
    refuses."""
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        if not values:
            terminfo.set_inlined(ids, weights, (b"",) * len(ids))
    return _whoosh_postings_reader(self, dbfile, terminfo, format_, term=term, scorer=scorer)  # type: ignore[misc]


_installed: bool | None = None


def install() -> bool:
    """Patch Whoosh (once a process) when it is the SUPPORTED version; whether it is patched.
    Call before making an analyzer: its stemmer cache is made then."""
    global _installed, _whoosh_postings_reader
    if _installed is None:
        import whoosh
        from whoosh.analysis import StemFilter
        from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader, W3TermInfo

        _installed = tuple(whoosh.__version__[:3]) == SUPPORTED
        if _installed:
            # Also where Whoosh unpickles an index's schema (its __setstate__ calls clear).
            StemFilter.clear = _clear_stem_cache
            W3PerDocReader._cached_reader = _cached_length_reader
            # Whoosh 2.7.5 can keep a short posting list inside its term's info, but its postings
            # writer calls that by a name the term info lacks (`set_inlined`), so the path never
            # worked (its default limit of one posting keeps it off). Refreshes use it (writing.py).
            W3TermInfo.set_inline = W3TermInfo.set_inlined
            _whoosh_postings_reader = W3Codec.postings_reader
            W3Codec.postings_reader = _postings_reader
    return _installed


def installed() -> bool:
    """Whether `install()` patched Whoosh: the fast scorer and inlined postings are used only then."""
    return bool(_installed)


# --- importing Whoosh lean -------------------------------------------------------------------------


class _CachedProperty:
    """What Whoosh 2.7.5 uses from the `cached_property` package, for a plain method: computed on
    first access, then kept in the instance's __dict__ (the package's own code, without the
    coroutine case, whose check needs asyncio)."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.__doc__ = func.__doc__
        self.func = func

    def __get__(self, obj: object, cls: type) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.func.__name__] = self.func(obj)
        return value


def _forwarding(module: str, name: str) -> Callable[..., Any]:
    """A stand-in for `module.name` that imports the real module when first called."""

    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    forward.__name__ = name
    return forward


try:
    from _md5 import md5 as _builtin_md5
except ImportError:  # an interpreter without the built-in module: hashlib's, when first called
    _builtin_md5 = None


def _stand_in(module: str, *names: str) -> types.ModuleType:
    """A stand-in for `module` while Whoosh is imported: `names` (what Whoosh takes from it with
    `from module import name`) forward their calls, and any other attribute (what Whoosh reads
    from the module it kept, `module.name`) is the real module's, imported when first asked for."""
    stand_in = types.ModuleType(module, "reader's stand-in while Whoosh is imported")
    for name in names:
        setattr(stand_in, name, _forwarding(module, name))

    def real_attribute(name: str) -> Any:
        if sys.modules.get(module) is stand_in:  # asked while Whoosh is imported: not a name it uses
            raise AttributeError(f"reader's stand-in for {module} has no {name!r}")
        return getattr(importlib.import_module(module), name)

    stand_in.__getattr__ = real_attribute  # type: ignore[method-assign]
    return stand_in


def _stand_ins() -> dict[str, types.ModuleType]:
    """Modules Whoosh 2.7.5 imports as it loads, by the names it takes from them:
    - `cached_property` (one decorator, on SegmentReader.deleted_docs_set) imports asyncio, a
      third of Whoosh's import time here, to check for coroutines Whoosh does not have;
    - `urllib.request` (with http.client, email and ssl) for whoosh.compat's `urlretrieve`,
      which no code of Whoosh calls;
    - `whoosh.lang.morph_en` (hundreds of regular expressions compiled) for the `Variations`
      query, which reader never makes;
    - `html` (with html.entities' tables) for whoosh.compat's `htmlescape`, used by highlighting
      formats reader does not use;
    - `hashlib` (which loads OpenSSL) for the `md5` of whoosh.filedb.filetables' hash tables:
      given the interpreter's own MD5 instead, the same digests;
    - `calendar` (with locale) for whoosh.util.times' date arithmetic, `queue` for the
      multiprocessing writer, `tempfile` for temporary storage, `random` for new segments' names
      and `shutil` (with bz2 and lzma) for writing compound files: none of them runs in a search."""
    made: dict[str, types.ModuleType] = {}
    cached = types.ModuleType("cached_property", "reader's stand-in while Whoosh is imported")
    cached.cached_property = _CachedProperty  # type: ignore[attr-defined]
    made["cached_property"] = cached
    made["urllib.request"] = _stand_in("urllib.request", "urlretrieve")
    made["whoosh.lang.morph_en"] = _stand_in("whoosh.lang.morph_en", "variations")
    made["html"] = _stand_in("html", "escape")
    made["hashlib"] = _stand_in("hashlib", "md5")
    if _builtin_md5 is not None:
        made["hashlib"].md5 = _builtin_md5  # type: ignore[attr-defined]
    made["calendar"] = _stand_in("calendar")
    made["queue"] = _stand_in("queue")
    made["tempfile"] = _stand_in("tempfile")
    made["random"] = _stand_in("random")
    made["shutil"] = _stand_in("shutil", "copyfileobj")
    return made


# The Whoosh modules that import those: once these are loaded, nothing else does.
_IMPORTERS = ("whoosh.compat", "whoosh.reading", "whoosh.query", "whoosh.codec.whoosh3", "whoosh.filedb.filestore",
              "whoosh.externalsort", "whoosh.searching")


def import_lean() -> bool:
    """Import Whoosh's core with the stand-ins of `_stand_ins` in place of the modules it would
    otherwise load and not use, then take them away (a later `import urllib.request` gets the real
    one). Whether it did: only on the SUPPORTED Whoosh (whose imports these are), before Whoosh is
    first imported, and when no other thread runs (one could import a module meanwhile and get a
    stand-in). Otherwise nothing happens and Whoosh imports as it always does."""
    if "whoosh" in sys.modules or threading.active_count() > 1 or installed_version() != SUPPORTED:
        return False
    stand_ins = {name: module for name, module in _stand_ins().items() if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        for name in _IMPORTERS:
            importlib.import_module(name)
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return True
