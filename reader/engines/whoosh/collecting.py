"""Whoosh's searcher asked the right way for a page: the top hits without its matcher
replacement (which dropped real hits from limited searches), and exact counts (its own count is
wrong for limited searches), estimated after a time limit."""

from __future__ import annotations

import time

from whoosh import query as wq

# A count of matches walks their ids for at most this long, then is an estimate from how far
# through the index it got.
COUNT_SECONDS = 0.15


def top_hits(searcher: object, query: wq.Query, limit: int) -> object:
    """Whoosh's results for the best `limit` hits, without its matcher replacement: replacing an
    And of Ors once the top scores are known dropped documents that belong in them (`fudaly
    generatio*` lost its 4th best hit with limit=5 but not with 10). Its block-quality skipping,
    which is right, stays."""
    collector = searcher.collector(limit=limit, terms=True)  # type: ignore[attr-defined]
    top = collector
    while not hasattr(top, "replace") and hasattr(top, "child"):  # the wrappers around the top collector
        top = top.child
    top.replace = 0
    searcher.search_with_collector(query, collector)  # type: ignore[attr-defined]
    return collector.results()


def count_matches(searcher: object, query: wq.Query) -> tuple[int, bool]:
    """How many documents match `query`, and whether that is exact: when counting would take
    longer than COUNT_SECONDS, an estimate from the share of the documents walked."""
    plain = query.accept(lambda node: wq.Or(node.subqueries, boost=node.boost) if type(node) is not wq.Or and isinstance(node, wq.Or) else node)
    deadline = time.monotonic() + COUNT_SECONDS
    count = 0
    for docnum in searcher.docs_for_query(plain):  # type: ignore[attr-defined]
        count += 1
        if count % 512 == 0 and time.monotonic() > deadline:
            walked = (docnum + 1) / max(1, searcher.doc_count_all())  # type: ignore[attr-defined]
            return round(count / walked), False
    return count, True
