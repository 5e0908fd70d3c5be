"""Which segments a refresh merges: like sizes together, so no refresh rewrites much.

Each refresh writes the files it read as a new small segment. Whoosh's default policy
(MERGE_SMALL) merges the smallest segments while their total stays under a Fibonacci bound, so a
middling segment is merged again, with a few new documents, refresh after refresh: at 100k
articles one refresh of 10 files in three or four took seconds more, and one took 30 s.

Here segments are grouped by size in tiers (x MERGE_FACTOR each), and a tier's segments are
merged once it holds MERGE_FACTOR of them (Lucene's tiered merging, simplified): each document is
rewritten once per tier it climbs, and the work of a merge grows with how rarely it comes.
Segments of LARGEST_MERGED documents or more (a build's, and what merges made of 4 x 64..255) are
left alone: a merge rewrites about 40 documents a second here, so the largest one a refresh does
takes some 20 s, once in 64 refreshes of 10 files (`reader index --rebuild` compacts them all).
Segments whose documents were all replaced are dropped at every commit.

Whoosh merges a segment by reading each of its terms' postings, and looked each term up again in
the hash table it was walking: in a small segment, where most terms have one posting, that was
half of the merge. Here the postings are read from the table's own entries (`_postings_in_order`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.reading import SegmentReader

# A tier's segments are merged when it holds this many.
MERGE_FACTOR = 4
# Segments with this many documents or more are never merged by a refresh.
LARGEST_MERGED = 256


def tier(documents: int) -> int:
    """The size tier of a segment of `documents` live documents: 0 for up to 3, 1 for 4-15, ..."""
    return int(math.log(documents, MERGE_FACTOR)) if documents >= 1 else 0


def chosen_for_merge(sizes: Sequence[int]) -> list[int]:
    """Which of the segments with these live document counts to merge (their positions)."""
    empty = [at for at, size in enumerate(sizes) if size == 0]
    tiers: dict[int, list[int]] = {}
    for at, size in enumerate(sizes):
        if 0 < size < LARGEST_MERGED:
            tiers.setdefault(tier(size), []).append(at)
    full = [positions for positions in tiers.values() if len(positions) >= MERGE_FACTOR]
    # The smallest full tier only: merging it may fill the next, which the next commit merges.
    merged = min(full, key=lambda positions: sizes[positions[0]]) if full else []
    return sorted(empty + merged)


def merge_tiers(writer: object, segments: list[object]) -> list[object]:
    """A Whoosh merge policy (`writer.commit(mergetype=merge_tiers)`): adds the chosen segments'
    documents to the writer's new segment; returns the segments kept as they are."""
    chosen = set(chosen_for_merge([segment.doc_count() for segment in segments]))  # type: ignore[attr-defined]
    if not chosen:
        return segments
    for at in sorted(chosen):
        reader = SegmentReader(writer.storage, writer.schema, segments[at])  # type: ignore[attr-defined]
        try:
            if isinstance(reader._terms, W3TermsReader):
                reader.iter_postings = lambda reader=reader: _postings_in_order(reader)  # type: ignore[method-assign]
            writer.add_reader(reader)  # type: ignore[attr-defined]
        finally:
            reader.close()
    return [segment for at, segment in enumerate(segments) if at not in chosen]


def _postings_in_order(reader: SegmentReader) -> Iterator[tuple[str, bytes, int, float, bytes]]:
    """What Whoosh's `IndexReader.iter_postings` yields, (field, term, document, weight, value) of
    every live posting, from the term table's entries in order."""
    terms = reader._terms
    schema = reader.schema
    deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
    postings_reader, postfile, decode_key = terms._codec.postings_reader, terms._postfile, terms._keydecoder
    from_bytes = W3TermInfo.from_bytes
    for key, info in terms._tindex.items():
        fieldname, text = decode_key(key)
        if fieldname not in schema:
            continue
        matcher = postings_reader(postfile, from_bytes(info), schema[fieldname].format, term=(fieldname, text))
        while matcher.is_active():
            docnum = matcher.id()
            if docnum not in deleted:
                yield fieldname, text, docnum, matcher.weight(), matcher.value()
            matcher.next()
