"""What the Whoosh index holds for each article: the analyzer, the schema, and the mapping from a
parsed article to its fields."""

from __future__ import annotations

import json
import sys
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from whoosh.analysis import NgramFilter, StemFilter, StemmingAnalyzer, StopFilter
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from reader.engines.whoosh import legacy, patches

if TYPE_CHECKING:
    from reader.core.archive import FileStat
    from reader.core.article import Article

try:  # BLAKE2 itself: hashlib would load OpenSSL too, which a search has no other use for
    from _blake2 import blake2b
except ImportError:  # an interpreter without the built-in module
    from hashlib import blake2b

# Indexes written before the engine package existed pickled their schema as reader.search's
# SearchSchema: they are read through this name (reader/engines/whoosh/legacy.py).
sys.modules.setdefault("reader.search", legacy)

# Before the analyzer is made: its stemmer's cache is the patched one (on the supported Whoosh).
patches.install()

# Whoosh drops tokens outside these lengths; the cap keeps a 10 MB "word" from becoming a term.
ANALYZER = StemmingAnalyzer(minsize=1, maxsize=64, cachesize=50000)


SEARCH_FIELDS = ("title", "body")


# The words' beginnings indexed as terms of their own (Elasticsearch's `index_prefixes`): a prefix
# of these lengths is one term, where its completions were thousands of posting lists to read
# among the other words' documents at every key (`zul st`: 0.75 s on 100k articles).
STARTS_LENGTHS = (2, 3)


# The field of each searched field's word beginnings.
STARTS_FIELDS = {"title": "title_starts", "body": "body_starts"}


# The words as the spelling fields hold them (the analyzer's tokens, lower case, no stop words, not
# stemmed), each cut to its first 2 and 3 letters: Whoosh's own filters (the schema is pickled into
# the index, and Whoosh alone opens it), a beginning's weight the words that start so.
STARTS_ANALYZER = reduce(or_, [item for item in ANALYZER.items if not isinstance(item, StemFilter)]) | NgramFilter(
    min(STARTS_LENGTHS), max(STARTS_LENGTHS), at="start")


def key_term(key: str) -> str:
    """Index terms for whole titles: a digest, so titles of any length and punctuation fit."""
    return blake2b(key.encode("utf-8"), digest_size=10).hexdigest()


class SearchSchema(Schema):
    """What the index holds for each article."""

    def __reduce__(self) -> tuple[object, ...]:
        # Whoosh pickles the schema into the index: as a plain Schema, so that reading an index
        # needs no module of reader's (Whoosh alone opens it; moving this class breaks nothing).
        return (Schema, (), self.__dict__)

    def __init__(self) -> None:
        super().__init__(
            # The article id (file stem): unique, shown in every row.
            id=ID(stored=True, unique=True),
            # The file name inside the archive: how refresh finds a changed or removed file.
            path=ID(stored=True, unique=True),
            # The title, searched with a boost so a title hit ranks first; stored for result rows.
            title=TEXT(analyzer=ANALYZER, stored=True, field_boost=3.0, spelling=True),
            # The body text; not stored (snippets come from the file), no term vectors.
            body=TEXT(analyzer=ANALYZER, spelling=True),
            # The beginnings of the title's and the body's words (STARTS_ANALYZER), counted but
            # without positions: a short prefix typed is looked up as one term of these.
            title_starts=TEXT(analyzer=STARTS_ANALYZER, phrase=False, field_boost=3.0),
            body_starts=TEXT(analyzer=STARTS_ANALYZER, phrase=False),
            # Digest of title_key(title): exact link resolution is one term lookup.
            title_key=ID,
            # Digest of loose_key(title): the approximate fallback.
            title_loose=ID,
            # Digests of title_key of every link title: backlinks are one term query.
            link_keys=KEYWORD(scorable=False),
            # Digests of loose_key of every link title.
            link_loose=KEYWORD(scorable=False),
            # The words of every link title: candidates for links spelt slightly differently.
            link_words=TEXT(analyzer=ANALYZER, phrase=False),
            # The link sections as JSON [[section, text], ...], to resolve backlinks without parsing.
            links=STORED,
            # Size and modification time of the file when indexed, to rebuild a lost manifest.
            mtime=STORED,
            size=NUMERIC(stored=True),
        )


def document_of(article: Article, name: str, stat: FileStat) -> dict[str, object]:
    # Imported here (once, then found in sys.modules): a search never makes a document, nor loads difflib.
    from reader.core.links import loose_key, title_key

    links = article.links
    body = article.body_text()
    return {
        "id": article.id,
        "path": name,
        "title": article.title,
        "body": body,
        "title_starts": article.title,
        "body_starts": body,
        "title_key": key_term(title_key(article.title)),
        "title_loose": key_term(loose_key(article.title) or "-"),
        "link_keys": " ".join({key_term(title_key(link.text)) for link in links}),
        "link_loose": " ".join({key_term(loose_key(link.text)) for link in links if loose_key(link.text)}),
        "link_words": " ".join(link.text for link in links),
        "links": json.dumps([[link.section, link.text] for link in links], ensure_ascii=False),
        "mtime": stat.mtime_ns,
        "size": stat.size,
    }


_STEM_WORD = next(item for item in ANALYZER.items if isinstance(item, StemFilter)).stemfn


STEMS: dict[str, str] = {}  # word -> stem; a plain dict (Whoosh's cache wrapper cost 4 µs a word)


_STEMS_KEPT = 200_000


def stem(word: str) -> str:
    found = STEMS.get(word)
    if found is None:
        if len(STEMS) >= _STEMS_KEPT:
            STEMS.clear()
        found = STEMS[word] = _STEM_WORD(word)
    return found


STOP_WORDS = next(item for item in ANALYZER.items if isinstance(item, StopFilter)).stops
