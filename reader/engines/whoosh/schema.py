"""What the Whoosh index holds for each article: the analyzer, the schema, and the mapping from a
parsed article to its fields."""

from __future__ import annotations

import json
import sys
from functools import reduce
from itertools import pairwise
from operator import or_
from typing import TYPE_CHECKING
from zlib import crc32

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


# Each two words that follow each other in the title and the body, as two bucket terms: a phrase's
# documents are looked for only among those with the buckets of all its pairs, where its words'
# positions were read in every document with all its words (`"managers yie"` at 100k articles:
# 1,600 blocks, 0.24 s). Buckets, not the pair itself (Elasticsearch's `index_phrases`): nearly
# every pair of two words is in one article alone, and a term each made the index 5.7 times as
# large (10k articles: 756 MB, not 133). A pair's two buckets are two parts of its CRC-32, so that
# an article has both by chance only rarely (a Bloom filter of two hashes): of 2**14 buckets each,
# an article of 350 pairs has a bucket by chance 2% of the time, both 0.05% (45 articles of 100k,
# read for positions with the phrase's own); one bucket of 2**18 had a hundred, and 2**16 each
# made four times the terms (a block and a term entry each in every segment: 40% more index).
PAIRS_FIELDS = {"title": "title_pairs", "body": "body_pairs"}


PAIR_BUCKET_BITS = 14


def pair_bucket(first: bytes, second: bytes) -> tuple[str, str]:
    """The two bucket terms of two index terms (stems) that follow each other: the low and high
    PAIR_BUCKET_BITS of the CRC-32 (stable across processes and machines, in C) of the two joined
    by a space (never in a term), in hexadecimal after "l" and "h"."""
    code = crc32(first + b" " + second)
    mask = (1 << PAIR_BUCKET_BITS) - 1
    return f"l{code & mask:x}", f"h{code >> (32 - PAIR_BUCKET_BITS):x}"


def pair_buckets(text: str) -> str | None:
    """The bucket terms of every two consecutive index terms of `text` (the searched fields'
    analyzer: stems, stop words out, positions renumbered over them, so a phrase's words follow
    each other), space-separated for a KEYWORD field; None (the field left out) for none."""
    stems = [token.text.encode("utf-8") for token in ANALYZER(text)]
    if len(stems) < 2:
        return None
    return " ".join(dict.fromkeys(term for first, second in pairwise(stems) for term in pair_bucket(first, second)))


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
            # The buckets of each two consecutive stems of the title and of the body (pair_buckets),
            # without positions or lengths: where a phrase's words can follow each other.
            title_pairs=KEYWORD(scorable=False),
            body_pairs=KEYWORD(scorable=False),
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
        "title_pairs": pair_buckets(article.title),
        "body_pairs": pair_buckets(body),
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
