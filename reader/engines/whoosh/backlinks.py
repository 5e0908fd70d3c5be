"""Backlinks: the stored articles with a link that resolves to a given one.

Every link's title key is indexed (`link_keys`, `link_loose`), so the candidates are one term
lookup each; links spelt a few letters away are found through the words of link titles. Each
candidate's links are then resolved for real, by one resolver (`_linking`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from whoosh import query as wq

from reader.core.links import (
    MIN_FUZZY_LENGTH,
    TitleTable,
    is_close,
    loose_key,
    loose_of_key,
    resolve,
    title_key,
)
from reader.engines.whoosh.fast.bm25 import best_scores
from reader.engines.whoosh.fast.scorer import LINK_WORDS_BUDGET, Scorer
from reader.engines.whoosh.schema import ANALYZER, key_term

# Candidates looked at for links spelt like the title (the best-scoring by their words).
_FUZZY_CANDIDATES = 30


def find_backlinks(article_id: str, table: TitleTable, searcher: object, scorer: Scorer | None) -> list[str]:
    """Ids of the stored articles with a link that resolves to `article_id`; `scorer` None when
    Whoosh must answer itself (another version)."""
    title = table.title_of(article_id)
    if title is None:
        return []
    key, loose = title_key(title), loose_key(title)
    reader = searcher.reader()  # type: ignore[attr-defined]
    candidates: set[int] = set()
    terms = [("link_keys", key_term(key))] + ([("link_loose", key_term(loose))] if loose else [])
    for fieldname, text in terms:
        if scorer is None:
            candidates.update(wq.Term(fieldname, text).docs(searcher))
        else:
            candidates |= scorer.term_docs(fieldname, text.encode("utf-8"))
    sources = _linking([reader.stored_fields(n) for n in candidates], article_id, key, loose, table)
    if len(key) >= MIN_FUZZY_LENGTH:
        nearby = _spelt_alike(title, searcher, scorer, candidates)
        sources |= _linking(nearby, article_id, key, loose, table)
    return sorted(sources)


def _spelt_alike(title: str, searcher: object, scorer: Scorer | None, seen: set[int]) -> list[dict[str, object]]:
    """Stored fields of the articles whose link titles share the most words with `title` (see
    `links.is_close`), leaving out those in `seen`."""
    words = {token.text for token in ANALYZER(title)}
    if not words:
        return []
    if scorer is None:
        q = wq.Or([wq.Term("link_words", word) for word in words])
        results = searcher.search(q, limit=_FUZZY_CANDIDATES)  # type: ignore[attr-defined]
        return [hit.fields() for hit in results if hit.docnum not in seen]
    # The rarest words first: a very common one is left out when over the budget.
    terms = sorted((("link_words", word.encode("utf-8")) for word in words), key=lambda t: (scorer.frequency(*t), t))
    scores, _ = scorer.clause(terms, None, _FUZZY_CANDIDATES, LINK_WORDS_BUDGET)
    fields_of = searcher.stored_fields  # type: ignore[attr-defined]
    return [fields_of(number) for number, _ in best_scores(scores, _FUZZY_CANDIDATES) if number not in seen]


def _linking(stored: Iterable[dict[str, object]], article_id: str, key: str, loose: str, table: TitleTable) -> set[str]:
    """Ids of the articles (as stored fields) with a link that resolves to `article_id`. Only a
    link that can name it is resolved: resolving a dangling one looks up similar titles."""
    sources: set[str] = set()
    for fields in stored:
        for _, text in json.loads(str(fields.get("links") or "[]")):
            if may_name(text, key, loose) and article_id in resolve(text, table).targets:
                sources.add(str(fields["id"]))
                break
    return sources


def may_name(text: str, key: str, loose: str) -> bool:
    """Whether a link written `text` can resolve to the article titled with `key` (its title_key)
    and `loose` (its loose_key): the same key, the same loose key, or close (links.is_close).
    Resolving every link of a candidate in full looked up similar titles for each dangling one:
    most of the time of `backlinks` on 100k articles."""
    link_key = title_key(text)
    return link_key == key or loose_of_key(link_key) == loose or is_close(link_key, key)
