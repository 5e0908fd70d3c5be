"""Searching the database: ranked pages, type-ahead, "did you mean", more-like-this.

Ranking is title-first: `ts_rank` with the title's weight (A) above the body's (B), plus a bonus
when every positive word is in the title and a larger one when the query is the title itself,
so a known item typed in full comes first (as with the Whoosh engine's field boost).

Broad queries bound their work (see `run`); `total` is exact up to `COUNT_LIMIT` matches
(`TYPEAHEAD_COUNT_LIMIT` while typing) and flagged as an estimate above it.
"""

from __future__ import annotations

import math
import re

import psycopg

from reader.core import query_tree
from reader.core.links import title_key
from reader.core.query_tree import Word
from reader.core.types import Hit, QueryError, SearchPage
from reader.engines.postgres.translate import NOTHING_LEFT, Translated, quote, translate

WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D, C, B (body), A (title)
TITLE_BONUS = 1.0
EXACT_TITLE_BONUS = 2.0
# Up to this many matches every one is ranked; above it, titles first and CANDIDATES others.
FULL_RANK = 5_000
TYPEAHEAD_FULL_RANK = 150
CANDIDATES = 500
TYPEAHEAD_CANDIDATES = 100
TITLE_CANDIDATES = 500
# `total` is exact up to this many matches, and an estimate (this number) above it.
COUNT_LIMIT = 10_000
TYPEAHEAD_COUNT_LIMIT = 300
# more_like_this: the article's most telling words (tf-idf over the words as written).
SIMILAR_WORDS = 12


_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")


def clean(text: str) -> str:
    """The query without what PostgreSQL text cannot hold: NUL, and lone surrogates (which are
    not UTF-8 at all). Each becomes a space, a word break like other punctuation."""
    return _UNSENDABLE.sub(" ", text)


def _score(t: Translated, text: str) -> tuple[str, list[object]]:
    """The score of an article `a` for a translated query: its full-text rank, a bonus when it
    matches on the title alone, a larger one when the query is its title."""
    parts: list[str] = []
    params: list[object] = []
    if t.rank_tsv:
        parts.append(f"ts_rank('{WEIGHTS}', a.tsv, %s::tsquery, 1)")
        params.append(t.rank_tsv)
    if t.rank_stv:
        parts.append(f"ts_rank('{WEIGHTS}', a.stv, %s::tsquery, 1)")
        params.append(t.rank_stv)
    if t.title_where:
        parts.append(f"CASE WHEN {t.title_where} THEN {TITLE_BONUS} ELSE 0 END")
        params.extend(t.title_params)
    parts.append(f"CASE WHEN a.title_key = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END")
    params.append(title_key(text))
    return " + ".join(parts), params


def _title_score(t: Translated, text: str) -> tuple[str, list[object]]:
    """The score of an article matching on its title alone: ranked on the small title vectors
    (shorter titles first among equals), above every article matching elsewhere only."""
    parts = [str(TITLE_BONUS)]
    params: list[object] = []
    if t.rank_tsv:
        parts.append(f"ts_rank('{WEIGHTS}', a.ttv, %s::tsquery, 2)")
        params.append(t.rank_tsv)
    if t.rank_stv:
        parts.append(f"ts_rank('{WEIGHTS}', a.tstv, %s::tsquery, 2)")
        params.append(t.rank_stv)
    parts.append(f"CASE WHEN a.title_key = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END")
    params.append(title_key(text))
    return " + ".join(parts), params


def _count(conn: psycopg.Connection, where: str, params: list[object], limit: int) -> int:
    row = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM reader.articles a WHERE {where} LIMIT %s) m",
                       [*params, limit]).fetchone()
    return int(row[0]) if row else 0


def _ranked(conn: psycopg.Connection, t: Translated, text: str, where: str, params: list[object],
            keep: int, candidates: int | None) -> list[tuple[str, str, str, float]]:
    """The `keep` best of the articles matching `where` (of at most `candidates` of them)."""
    score, score_params = _score(t, text)
    bound = "LIMIT %s" if candidates is not None else ""
    rows = conn.execute(
        f"""SELECT a.id, a.title, a.path, {score} AS score
            FROM (SELECT a.id FROM reader.articles a WHERE {where} {bound}) c
            JOIN reader.articles a ON a.id = c.id
            ORDER BY score DESC, a.path COLLATE "C" LIMIT %s""",
        [*score_params, *params, *([candidates] if candidates is not None else []), keep],
    ).fetchall()
    return [(r[0], r[1], r[2], float(r[3])) for r in rows]


def run(conn: psycopg.Connection, text: str, limit: int, offset: int, typeahead: bool) -> SearchPage:
    """A page of hits without snippets; `QueryError` for a query the user must change.

    Every match is ranked when there are few; with many (a short prefix, a common word) the
    title matches are ranked first on the title vectors, and the page is filled from a bounded
    set of the other matches: ranking every match read the large tsvector of most articles."""
    text = clean(text)
    tree = query_tree.parse(text, typing=typeahead)
    try:
        t = translate(conn, tree)
    except QueryError as error:
        if typeahead and str(error) == NOTHING_LEFT:
            return SearchPage(text)  # "a", "S" while typing: nothing yet, as with the Whoosh engine
        raise
    where, params = t.where, list(t.params)
    count_limit = TYPEAHEAD_COUNT_LIMIT if typeahead else COUNT_LIMIT
    total = _count(conn, where, params, count_limit + 1)
    keep = offset + limit
    rows: list[tuple[str, str, str, float]] = []
    if total and keep:
        candidates = TYPEAHEAD_CANDIDATES if typeahead else CANDIDATES
        if total <= (TYPEAHEAD_FULL_RANK if typeahead else FULL_RANK):
            rows = _ranked(conn, t, text, where, params, keep, None)
        elif t.title_where:
            score, score_params = _title_score(t, text)
            found = conn.execute(
                f"""SELECT a.id, a.title, a.path, {score} AS score
                    FROM (SELECT a.id FROM reader.articles a WHERE {t.title_where} LIMIT %s) c
                    JOIN reader.articles a ON a.id = c.id
                    ORDER BY score DESC, a.path COLLATE "C" LIMIT %s""",
                [*score_params, *t.title_params, TITLE_CANDIDATES, keep],
            ).fetchall()
            rows = [(r[0], r[1], r[2], float(r[3])) for r in found]
            if len(rows) < keep:
                others = f"({where}) AND NOT ({t.title_where})"
                rows += _ranked(conn, t, text, others, [*params, *t.title_params], keep - len(rows), candidates)
        else:
            rows = _ranked(conn, t, text, where, params, keep, candidates)
    estimate = total > count_limit
    hits = tuple(Hit(article_id, title, path, score) for article_id, title, path, score in rows[offset:])
    return SearchPage(text, hits, count_limit if estimate else total, estimate, None, None, tuple(sorted(t.terms)))


def suggest(conn: psycopg.Connection, text: str) -> str | None:
    """The query with each plain word that no article has replaced by the most similar word of
    the archive (trigram similarity, the same first letter; the commoner of equals)."""
    text = clean(text)
    try:
        tree = query_tree.parse(text)
    except QueryError:
        return None
    words = sorted({w.text for w in _plain_words(tree)})
    if not words:
        return None
    rows = conn.execute(
        """SELECT t.w, lower(unaccent(t.w)), EXISTS (SELECT 1 FROM reader.words WHERE word = lower(unaccent(t.w))),
                  (SELECT word FROM reader.words
                   WHERE word %% lower(unaccent(t.w)) AND left(word, 1) = left(lower(unaccent(t.w)), 1)
                   ORDER BY similarity(word, lower(unaccent(t.w))) DESC, ndoc DESC, word LIMIT 1)
           FROM unnest(%s::text[]) AS t (w)""",
        (words,),
    ).fetchall()
    corrected = text
    for word, form, known, better in rows:
        if known or not better or better == form:
            continue
        corrected = re.sub(rf"(?<![\w:]){re.escape(word)}(?!\w)", better, corrected)
    return corrected if corrected != text and corrected.strip() else None


def _plain_words(node: query_tree.Node) -> list[Word]:
    if isinstance(node, Word):
        return [node] if node.field != "id" and not node.prefix and not node.fuzzy else []
    if isinstance(node, query_tree.Phrase):
        return [Word(w) for w in node.words]
    if isinstance(node, query_tree.Not):
        return []
    return [w for part in node.parts for w in _plain_words(part)]


def more_like_this(conn: psycopg.Connection, article_id: str, limit: int) -> list[str]:
    """The articles sharing this one's most telling words: the words as written, weighted by
    tf-idf, and only those another article has too (a signature found once matches only itself)."""
    counted = conn.execute("SELECT count(*) FROM reader.articles").fetchone()
    total = int(counted[0]) if counted else 0
    rows = conn.execute(
        """SELECT v.lexeme, coalesce(array_length(v.positions, 1), 1), w.ndoc
           FROM reader.articles a, unnest(a.stv) AS v JOIN reader.words w ON w.word = v.lexeme
           WHERE a.id = %s AND w.ndoc > 1 AND length(v.lexeme) > 2""",
        (article_id,),
    ).fetchall()
    if not rows or total < 2:
        return []
    weighted = sorted(((tf * math.log(total / ndoc), lexeme) for lexeme, tf, ndoc in rows), reverse=True)
    chosen = [lexeme for weight, lexeme in weighted[:SIMILAR_WORDS] if weight > 0]
    if not chosen:
        return []
    query = " | ".join(quote(lexeme) for lexeme in chosen)
    found = conn.execute(
        f"""SELECT a.id FROM reader.articles a WHERE a.stv @@ %s::tsquery AND a.id <> %s
            ORDER BY ts_rank('{WEIGHTS}', a.stv, %s::tsquery, 1) DESC, a.path COLLATE "C" LIMIT %s""",
        (query, article_id, query, limit),
    ).fetchall()
    return [row[0] for row in found]
