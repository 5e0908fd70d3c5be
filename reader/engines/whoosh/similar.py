"""More like this: the articles whose bodies share an article's most telling words.

Whoosh's more_like() picks the rarest words, and a word found in this article alone (a signature,
an address) can only match itself: only words that other articles share are looked for.
"""

from __future__ import annotations

from whoosh import query as wq

from reader.core.article import Article
from reader.engines.whoosh.fast.bm25 import best_scores
from reader.engines.whoosh.fast.scorer import (
    SIMILAR_POSTINGS_BUDGET,
    SIMILAR_TERMS,
    Scorer,
)

# Key terms of an article weighed before those shared with other articles are kept.
_KEY_TERMS = 40


def similar_articles(article: Article, searcher: object, scorer: Scorer | None, limit: int) -> list[str]:
    """Ids of up to `limit` articles most like `article` (itself left out); `scorer` None when
    Whoosh must answer itself. The fast scorer gives the same key terms and ranking."""
    if scorer is not None:  # Whoosh's lookup walks every segment's matchers
        docnum = min(scorer.term_docs("id", article.id.encode("utf-8")), default=None)
    else:
        docnum = searcher.document_number(id=article.id)  # type: ignore[attr-defined]
    if docnum is None:
        return []
    if scorer is not None:
        weighted = scorer.key_terms(article.body_text(), "body", _KEY_TERMS)
        shared = [("body", term) for term, _, docs in weighted if docs > 1][:SIMILAR_TERMS]
        boosts = {("body", term): weight for term, weight, _ in weighted}
        scores, _ = scorer.clause(shared, None, limit + 1, SIMILAR_POSTINGS_BUDGET, boosts)
        stored = searcher.stored_fields  # type: ignore[attr-defined]
        return [stored(number)["id"] for number, _ in best_scores(scores, limit, leave_out=docnum)]
    reader = searcher.reader()  # type: ignore[attr-defined]
    weighted = searcher.key_terms_from_text("body", article.body_text(), numterms=_KEY_TERMS)  # type: ignore[attr-defined]
    shared = [(term, weight) for term, weight in weighted if reader.doc_frequency("body", term) > 1][:SIMILAR_TERMS]
    if not shared:
        return []
    q = wq.Or([wq.Term("body", term, boost=weight) for term, weight in shared])
    results = searcher.search(q, limit=limit, mask={docnum})  # type: ignore[attr-defined]
    return [hit["id"] for hit in results]
