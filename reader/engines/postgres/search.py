"""Searching the database: ranked pages, type-ahead, "did you mean", more-like-this.

Ranking is title-first: `ts_rank` with the title's weight (A) above the body's (B), plus a bonus
when every positive word is in the title and a larger one when the query is the title itself,
so a known item typed in full comes first (as with the Whoosh engine's field boost).

Broad queries bound their work (see `run` and `typed`). `total` is exact, or an estimate flagged
"about" and within 25% of the truth: the matches of a fixed 1/256th or 1/16th of the archive
(schema.SAMPLE_SIZES, with text indexes of their own) scaled up, used only when that sample holds
at least `SAMPLE_MIN` matches (a relative error of at most 1/sqrt(SAMPLE_MIN), 7%, one standard
deviation: beyond 25% is a 3.5-sigma event).
"""

from __future__ import annotations

import math
import re
import threading
import time

import psycopg

from reader.core import query_tree
from reader.core.links import title_key
from reader.core.query_tree import Word
from reader.core.types import Hit, QueryError, SearchPage
from reader.engines.postgres.schema import SAMPLE_EVERY, SAMPLE_SIZES, sample
from reader.engines.postgres.translate import NOTHING_LEFT, Translated, quote, translate

WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D, C, B (body), A (title)
TITLE_BONUS = 1.0
EXACT_TITLE_BONUS = 2.0
# Up to this many matches every one is ranked; above it, titles first and CANDIDATES others.
FULL_RANK = 5_000
TYPEAHEAD_FULL_RANK = 150
CANDIDATES = 500
TYPEAHEAD_CANDIDATES = 150
TITLE_CANDIDATES = 500
TYPEAHEAD_TITLE_CANDIDATES = 300
# `total` is exact up to this many matches, and an estimate from the sample above it.
COUNT_LIMIT = 10_000
TYPEAHEAD_COUNT_LIMIT = 5_000
# The sample's matches that make its estimate good enough (see the module's docstring).
SAMPLE_MIN = 200
# more_like_this: the article's most telling words (tf-idf over the words as written).
SIMILAR_WORDS = 12

Row = tuple[str, str, str, float]


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


def _sampled(conn: psycopg.Connection, t: Translated, ids: int, every: int = SAMPLE_EVERY) -> tuple[int, list[str]]:
    """How many articles of the sample of one in `every` match, and the ids of up to `ids` of them.

    Conditions joined by AND that an index finds alone are each found so and intersected: the
    planner would rather find one and check the others on each article, which reads the
    article's whole vector of words (a common word beside a short prefix: 2,000 articles of the
    sample, 80 ms, against a few ms for the intersection)."""
    found = [(text, params) for text, params, alone in t.conjuncts if alone]
    if len(found) > 1:
        checks = [(text, params) for text, params, alone in t.conjuncts if not alone]
        first = " AND ".join(f"({text})" for text, _ in [found[0], *checks])
        selects = [first, *(text for text, _ in found[1:])]
        matched = " INTERSECT ".join(f"SELECT a.id FROM reader.articles a WHERE {sample(every)} AND {text}"
                                     for text in selects)
        params = [p for _, ps in [found[0], *checks, *found[1:]] for p in ps]
    else:
        matched = f"SELECT a.id FROM reader.articles a WHERE {sample(every)} AND ({t.where})"
        params = list(t.params)
    row = conn.execute(
        f"""WITH s AS MATERIALIZED ({matched})
            SELECT (SELECT count(*) FROM s), ARRAY(SELECT id FROM s LIMIT %s)""",
        [*params, ids],
    ).fetchone()
    return (int(row[0]), list(row[1])) if row else (0, [])


# The articles in all and in each sample, by database, read again after this many seconds:
# scaling by the true ratio leaves only the error of which articles fell in the sample (at
# 100k, 390 articles of 1/256 stand for anything from 355 to 425: 10% of error otherwise).
_SIZES: dict[tuple[str, str, int], tuple[float, dict[int, float]]] = {}
_SIZES_SECONDS = 30.0
_SIZES_LOCK = threading.Lock()


def _ratios(conn: psycopg.Connection) -> dict[int, float]:
    """For each sample, how many articles of the archive each of its articles stands for."""
    key = (conn.info.host, conn.info.dbname, conn.info.port)
    now = time.monotonic()
    with _SIZES_LOCK:
        known = _SIZES.get(key)
    if known is not None and now - known[0] < _SIZES_SECONDS:
        return known[1]
    counts = ", ".join(f"count(*) FILTER (WHERE {sample(every)})" for every in SAMPLE_SIZES)
    row = conn.execute(f"SELECT count(*), {counts} FROM reader.articles a").fetchone()
    total = int(row[0]) if row else 0
    ratios = {every: (total / int(n) if n else float(every)) for every, n in zip(SAMPLE_SIZES, row[1:] if row else (),
                                                                                  strict=True)}
    with _SIZES_LOCK:
        _SIZES[key] = (now, ratios)
    return ratios


def _estimate(conn: psycopg.Connection, sampled: int, at_least: int, every: int = SAMPLE_EVERY) -> int:
    return max(round(sampled * _ratios(conn).get(every, every)), at_least)


def _smallest_sample(conn: psycopg.Connection, t: Translated, ids: int) -> tuple[int, int, list[str]]:
    """The smallest sample with SAMPLE_MIN matches (else the largest): one in how many, how many
    of its articles match, and up to `ids` of them. A query matching most of the archive is
    counted on 400 articles, not 6,000."""
    for every in SAMPLE_SIZES:
        sampled, found = _sampled(conn, t, ids, every)
        if sampled >= SAMPLE_MIN:
            break
    return every, sampled, found


def _count(conn: psycopg.Connection, where: str, params: list[object], limit: int) -> int:
    row = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM reader.articles a WHERE {where} LIMIT %s) m",
                       [*params, limit]).fetchone()
    return int(row[0]) if row else 0


def _ranked(conn: psycopg.Connection, t: Translated, text: str, where: str, params: list[object],
            keep: int, candidates: int | None) -> list[Row]:
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


def _titles(conn: psycopg.Connection, t: Translated, text: str, keep: int, candidates: int) -> list[Row]:
    """The `keep` best of the articles matching on their title alone (of `candidates`)."""
    score, score_params = _title_score(t, text)
    found = conn.execute(
        f"""SELECT a.id, a.title, a.path, {score} AS score
            FROM (SELECT a.id FROM reader.articles a WHERE {t.title_where} LIMIT %s) c
            JOIN reader.articles a ON a.id = c.id
            ORDER BY score DESC, a.path COLLATE "C" LIMIT %s""",
        [*score_params, *t.title_params, candidates, keep],
    ).fetchall()
    return [(r[0], r[1], r[2], float(r[3])) for r in found]


def _others(conn: psycopg.Connection, t: Translated, text: str, ids: list[str], keep: int) -> list[Row]:
    """The `keep` best of the articles `ids` (matches) whose title alone does not match (those
    are ranked by `_titles`), or of all of them for a query without a title form."""
    score, score_params = _score(t, text)
    not_title = f"AND NOT ({t.title_where})" if t.title_where else ""
    rows = conn.execute(
        f"""SELECT a.id, a.title, a.path, {score} AS score FROM reader.articles a
            WHERE a.id = ANY(%s) {not_title}
            ORDER BY score DESC, a.path COLLATE "C" LIMIT %s""",
        [*score_params, ids, *t.title_params, keep],
    ).fetchall()
    return [(r[0], r[1], r[2], float(r[3])) for r in rows]


def _counted(conn: psycopg.Connection, t: Translated, text: str, keep: int, cap: int,
             candidates: int) -> tuple[int, list[Row], list[bool]]:
    """In one round trip: the matches counted up to `cap` + 1, and the `keep` best of the first
    `candidates` of them, each with whether its title alone matches."""
    score, score_params = _score(t, text)
    title = f"({t.title_where})" if t.title_where else "false"
    found = conn.execute(
        f"""WITH m AS MATERIALIZED (SELECT a.id FROM reader.articles a WHERE {t.where} LIMIT %s)
            SELECT NULL, NULL, NULL, (SELECT count(*) FROM m)::float8, false
            UNION ALL
            (SELECT a.id, a.title, a.path, {score} AS score, {title}
             FROM (SELECT id FROM m LIMIT %s) c JOIN reader.articles a ON a.id = c.id
             ORDER BY score DESC, a.path COLLATE "C" LIMIT %s)""",
        [*t.params, cap + 1, *score_params, *t.title_params, candidates, keep],
    ).fetchall()
    total = next((int(r[3]) for r in found if r[0] is None), 0)
    ranked = [r for r in found if r[0] is not None]
    return total, [(r[0], r[1], r[2], float(r[3])) for r in ranked], [bool(r[4]) for r in ranked]


def typed(conn: psycopg.Connection, t: Translated, text: str, keep: int) -> tuple[list[Row], int, bool]:
    """Type-ahead's page: the `keep` best rows, the count and whether it is an estimate.

    First the samples (1/256th, then 1/16th of the archive, on indexes of their own). When one
    holds enough
    matches the count is its estimate and the page never touches the whole archive's postings
    of the (often short, often common) words typed: the title matches ranked on the small title
    vectors, then, if they are fewer than a page, the best of the sample's other matches. Else
    the query is selective: one statement counts every match (up to a cap) and ranks the first
    of them, and the title matches come first when there are many."""
    every, sampled, sample_ids = _smallest_sample(conn, t, TYPEAHEAD_CANDIDATES)
    if sampled >= SAMPLE_MIN:
        rows = _titles(conn, t, text, keep, TYPEAHEAD_TITLE_CANDIDATES) if t.title_where else []
        if len(rows) < keep:
            rows += _others(conn, t, text, sample_ids, keep - len(rows))
        if len(rows) >= keep:
            return rows, _estimate(conn, sampled, len(rows), every), True
        # else the sample's matches cannot fill the page: widen to the whole archive
    candidates = max(TYPEAHEAD_FULL_RANK, keep)  # every match ranked when there are no more
    total, rows, title_flags = _counted(conn, t, text, keep, TYPEAHEAD_COUNT_LIMIT, candidates)
    if total > candidates and t.title_where:
        titles = _titles(conn, t, text, keep, TYPEAHEAD_TITLE_CANDIDATES)
        rows = titles + [row for row, title in zip(rows, title_flags, strict=True) if not title]
        rows = rows[:keep]
    if total > TYPEAHEAD_COUNT_LIMIT:
        return rows, _estimate(conn, sampled, TYPEAHEAD_COUNT_LIMIT + 1, every), True
    return rows, total, False


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
    keep = offset + limit
    if typeahead and keep:
        rows, total, estimate = typed(conn, t, text, keep)
    else:
        rows, total, estimate = _searched(conn, t, text, keep)
    hits = tuple(Hit(article_id, title, path, score) for article_id, title, path, score in rows[offset:])
    return SearchPage(text, hits, total, estimate, None, None, tuple(sorted(t.terms)))


def _searched(conn: psycopg.Connection, t: Translated, text: str, keep: int) -> tuple[list[Row], int, bool]:
    """The command line's page: the count exact up to COUNT_LIMIT (else the sample's estimate),
    every match ranked up to FULL_RANK, else titles first and CANDIDATES others."""
    where, params = t.where, list(t.params)
    total = _count(conn, where, params, COUNT_LIMIT + 1)
    estimate = total > COUNT_LIMIT
    if estimate:
        every, sampled, _ = _smallest_sample(conn, t, 0)
        total = _estimate(conn, sampled, COUNT_LIMIT + 1, every)
    rows: list[Row] = []
    if total and keep:
        if total <= FULL_RANK:
            rows = _ranked(conn, t, text, where, params, keep, None)
        elif t.title_where:
            rows = _titles(conn, t, text, keep, TITLE_CANDIDATES)
            if len(rows) < keep:
                others = f"({where}) AND NOT ({t.title_where})"
                rows += _ranked(conn, t, text, others, [*params, *t.title_params], keep - len(rows), CANDIDATES)
        else:
            rows = _ranked(conn, t, text, where, params, keep, CANDIDATES)
    return rows, total, estimate


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
