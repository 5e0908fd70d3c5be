"""Searching the database: ranked pages, type-ahead, "did you mean", more-like-this.

Matching goes through the key vectors (schema.py, translate.py): one GIN index answers a query's
words, short prefixes and operators together, so a common prefix beside a rare word costs the rare
word's postings, not the prefix's hundreds of thousands.

Ranking is title-first: the articles whose title alone matches come first, ranked on the small
title vectors (`ts_rank` normalised by the title's length, a bonus when the query is the title
itself, so a known item typed in full comes first, as with the Whoosh engine's field boost), then
the others, ranked by `ts_rank` of their body with the title's weight (A) above the body's (B).

`total` is exact, or an estimate flagged "about" and within 25% of the truth: the matches of a
fixed 1/256th or 1/16th of the archive (schema.SAMPLE_SIZES, with indexes of their own) scaled up,
used only when that sample holds at least `SAMPLE_MIN` matches (a relative error of at most
1/sqrt(SAMPLE_MIN), 7%, one standard deviation: beyond 25% is a 3.5-sigma event).

A type-ahead keystroke is one statement (`typed`): the title matches, ranked; the count (the
1/256 sample, else the 1/16, else the archive up to a cap: each step only when the one before
found too few); and, when the titles do not fill the page, other matches, the first of them
ranked. Its text is the same for every keystroke of a shape (the query travels as a tsquery
parameter), so it is prepared once per connection and planned once (connection.py). Ranking an
article's body reads its large vector from TOAST storage (20-70 µs), which is why type-ahead ranks
few bodies and the titles' small vectors instead.
"""

from __future__ import annotations

import math
import re

import psycopg

from reader.core import query_tree
from reader.core.links import title_key
from reader.core.query import so_far
from reader.core.query_tree import Word
from reader.core.types import Hit, QueryError, SearchPage
from reader.engines.postgres.schema import SAMPLE_SIZES, SAMPLE_TABLE_EVERY, sample
from reader.engines.postgres.translate import (
    NOTHING_LEFT,
    Translated,
    matches_sql,
    quote,
    title_matches_sql,
    translate,
    word_key,
)

WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D, C, B (body), A (title)
TITLE_BONUS = 1.0
EXACT_TITLE_BONUS = 2.0
# The command line: up to this many matches every one is ranked; above it, titles first and
# CANDIDATES others.
FULL_RANK = 5_000
CANDIDATES = 500
TITLE_CANDIDATES = 500
# Type-ahead (see `typed`): at most this many title matches are ranked; the titles of the 1/16
# sample stand for all when it has this many; of the other matches, this many are ranked (ranking
# one reads its body's vector from TOAST storage: 20-70 µs).
TYPEAHEAD_TITLE_CANDIDATES = 200
TITLE_SAMPLE_MIN = 50
TYPEAHEAD_BODY_RANKED = 20
# `total` is exact up to this many matches, and an estimate from the sample above it.
COUNT_LIMIT = 10_000
TYPEAHEAD_COUNT_LIMIT = 5_000
# The sample's matches that make its estimate good enough (see the module's docstring).
SAMPLE_MIN = 200
# more_like_this: the article's most telling words (tf-idf over the words as written).
SIMILAR_WORDS = 12

Row = tuple[str, str, str, int, float]
"""id, title, path, version (snippets keep bodies by it), score"""
VERSION = "a.xmin::text::bigint"
"""An article row's version: the transaction that wrote it (a refresh deletes and inserts)."""
SQL = tuple[str, list[object]]

_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")


def clean(text: str) -> str:
    """The query without what PostgreSQL text cannot hold: NUL, and lone surrogates (which are
    not UTF-8 at all). Each becomes a space, a word break like other punctuation."""
    return _UNSENDABLE.sub(" ", text)


def _title_score(t: Translated, text: str) -> SQL:
    """The score of an article `a` matching on its title alone: ranked on the small title
    vectors (shorter titles first among equals), above every article matching elsewhere only."""
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


def _body_score(t: Translated, written: bool = True) -> SQL:
    """The score of an article `a` that matches elsewhere than in its title alone: its full-text
    rank (the title's words above the body's). `written`: also the prefixes and fuzzy words, on
    the vector of the words as written (type-ahead leaves out the word being typed, which
    changes with every key: reading that large vector too would double the cost)."""
    parts: list[str] = []
    params: list[object] = []
    if t.rank_tsv:
        parts.append(f"ts_rank('{WEIGHTS}', a.tsv, %s::tsquery, 1)")
        params.append(t.rank_tsv)
    if written and t.rank_stv:
        parts.append(f"ts_rank('{WEIGHTS}', a.stv, %s::tsquery, 1)")
        params.append(t.rank_stv)
    return (" + ".join(parts) or "0"), params


def _rows(found: list[tuple]) -> list[Row]:
    return [(r[0], r[1], r[2], int(r[3]), float(r[4])) for r in found]


def _scaled(sampled: int, every: int, sizes: tuple[int, list[int]]) -> int:
    """A sample's count scaled by the true ratio of the archive to the sample (at 100k, 390
    articles of 1/256 stand for anything from 355 to 425: 10% of error otherwise)."""
    articles, samples = sizes
    size = samples[SAMPLE_SIZES.index(every)] if len(samples) == len(SAMPLE_SIZES) else 0
    ratio = articles / size if size else float(every)
    return round(sampled * ratio)


def _sizes(conn: psycopg.Connection) -> tuple[int, list[int]]:
    row = conn.execute("SELECT articles, samples FROM reader.state").fetchone()
    return (int(row[0]), [int(n) for n in row[1]]) if row else (0, [])


def _estimated(counts: tuple[int | None, int | None, int | None], sizes: tuple[int, list[int]], cap: int,
               at_least: int) -> tuple[int, bool]:
    """The total from the cascade's counts (1/256, 1/16, the archive up to `cap` + 1)."""
    n256, n16, everything = counts
    if n256 is not None and n256 >= SAMPLE_MIN:
        return max(_scaled(n256, SAMPLE_SIZES[0], sizes), at_least), True
    if n16 is not None and n16 >= SAMPLE_MIN:
        return max(_scaled(n16, SAMPLE_SIZES[1], sizes), at_least), True
    if everything is not None and everything <= cap:
        return everything, False
    # More than the cap although the 1/16 sample has fewer than SAMPLE_MIN: rare, and that
    # sample's count is then still within a few sigma.
    return max(_scaled(n16 or 0, SAMPLE_SIZES[1], sizes), cap + 1), True


_BROAD = "((SELECT n FROM n256) >= %s OR coalesce((SELECT n FROM n16), 0) >= %s)"
"""Whether a sample counted the query (n256 or n16 reached SAMPLE_MIN): then `m` is not read."""


def _cascade(t: Translated, cap: int) -> SQL:
    """The CTEs n256, n16, m and nall: the matches of the 1/256 sample, of the 1/16 sample when
    the first has fewer than SAMPLE_MIN, and, when both have, the archive's (at most `cap` + 1 of
    them, `m`) and their number."""
    small, small_params = matches_sql(t, SAMPLE_SIZES[0])
    large, large_params = matches_sql(t, SAMPLE_SIZES[1])
    every, every_params = matches_sql(t)
    sql = f"""n256 AS MATERIALIZED (SELECT count(*) AS n FROM ({small}) s),
        n16 AS MATERIALIZED (SELECT CASE WHEN (SELECT n FROM n256) >= %s THEN NULL
                                    ELSE (SELECT count(*) FROM ({large}) s) END AS n),
        m AS MATERIALIZED (SELECT e.id FROM ({every}) e WHERE NOT {_BROAD} LIMIT %s),
        nall AS MATERIALIZED (SELECT CASE WHEN {_BROAD} THEN NULL ELSE (SELECT count(*) FROM m) END AS n)"""
    return sql, [*small_params, SAMPLE_MIN, *large_params, *every_params, SAMPLE_MIN, SAMPLE_MIN, cap + 1,
                 SAMPLE_MIN, SAMPLE_MIN]


def _title_candidates(t: Translated, text: str) -> SQL:
    """The CTEs te, ts, tf and t: the title matches type-ahead ranks (see `typed`)."""
    where, where_params = title_matches_sql(t)
    score, score_params = _title_score(t, text)
    row = f"a.id, a.title, a.path, {VERSION} AS version, {score} AS score"
    sql = f"""te AS (SELECT {row} FROM reader.articles a WHERE a.title_key = %s AND {where}),
        ts AS MATERIALIZED (SELECT {row} FROM reader.articles a WHERE {sample(SAMPLE_TABLE_EVERY)} AND {where} LIMIT %s),
        tf AS MATERIALIZED (SELECT {row} FROM reader.articles a WHERE {where}
                            AND (SELECT count(*) FROM ts) < %s LIMIT %s),
        t AS MATERIALIZED (SELECT * FROM te UNION SELECT * FROM ts WHERE (SELECT count(*) FROM ts) >= %s
                           UNION SELECT * FROM tf)"""
    params = [*score_params, title_key(text), *where_params,
              *score_params, *where_params, TYPEAHEAD_TITLE_CANDIDATES,
              *score_params, *where_params, TITLE_SAMPLE_MIN, TYPEAHEAD_TITLE_CANDIDATES,
              TITLE_SAMPLE_MIN]
    return sql, params


def typed(conn: psycopg.Connection, t: Translated, text: str, keep: int) -> tuple[list[Row], int, bool]:
    """Type-ahead's page in one statement: the `keep` best rows, the count and whether it is an
    estimate.

    - t: the title matches, ranked: those of the 1/16 sample when it has TITLE_SAMPLE_MIN of
      them (the title matches then run to hundreds or thousands, and which of them lead is
      arbitrary either way), else up to TYPEAHEAD_TITLE_CANDIDATES of all; and the article
      whose title is the query itself, always.
    - n256, n16, m, nall: the count (see `_cascade`).
    - b: when the titles do not fill the page, the other matches: those in `m` when it was
      read, else those of the 1/256 sample first, then of the rest of the 1/16, then of the rest
      of the archive, each read only if the ones before did not fill the page (a broad query
      never builds the whole archive's bitmap); the first TYPEAHEAD_BODY_RANKED of them ranked
      by their text, the rest after them in that order.

    Which articles are candidates never depends on `keep`, so a later page (a larger `keep`)
    begins with the rows of the first."""
    params: list[object] = []
    if t.has_titles:
        titles, params = _title_candidates(t, text)
    else:
        titles = ("t AS MATERIALIZED (SELECT NULL::text AS id, NULL::text AS title, NULL::text AS path, "
                  "NULL::bigint AS version, NULL::float8 AS score WHERE false)")
    cascade, cascade_params = _cascade(t, TYPEAHEAD_COUNT_LIMIT)
    params += cascade_params
    # All the matches when `m` holds them, else the samples' first.
    smallest = SAMPLE_SIZES[0]
    sources = [matches_sql(t, smallest), matches_sql(t, SAMPLE_TABLE_EVERY, outside=smallest),
               matches_sql(t, outside=SAMPLE_TABLE_EVERY)]
    others = " UNION ALL ".join(["(SELECT id FROM m)"] + [f"(SELECT x.id FROM ({sql}) x WHERE {_BROAD})"
                                                          for sql, _ in sources])
    params += [p for _, ps in sources for p in [*ps, SAMPLE_MIN, SAMPLE_MIN]]
    params += [keep, keep, TYPEAHEAD_BODY_RANKED]
    body, body_params = _body_score(t, written=False)
    params += [TYPEAHEAD_BODY_RANKED, *body_params, keep]
    found = conn.execute(
        f"""WITH {titles},
        {cascade},
        b AS MATERIALIZED (
            SELECT m.id, row_number() OVER () AS n FROM (
                SELECT o.id FROM ({others}) o WHERE o.id <> ALL (ARRAY(SELECT id FROM t))
                LIMIT CASE WHEN (SELECT count(*) FROM t) < %s
                           THEN greatest(%s - (SELECT count(*) FROM t), %s) ELSE 0 END) m)
        SELECT 0 AS part, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::float8, NULL::bigint,
               (SELECT n FROM n256), (SELECT n FROM n16), (SELECT n FROM nall), s.articles, s.samples
        FROM reader.state s
        UNION ALL
        SELECT 2, a.id, a.title, a.path, {VERSION}, CASE WHEN b.n <= %s THEN {body} END, b.n,
               NULL, NULL, NULL, NULL, NULL
        FROM b JOIN reader.articles a ON a.id = b.id
        UNION ALL
        (SELECT 1, id, title, path, version, score, NULL, NULL, NULL, NULL, NULL, NULL FROM t
         ORDER BY score DESC, path COLLATE "C" LIMIT %s)""",
        params, prepare=True,
    ).fetchall()
    head = next(r for r in found if r[0] == 0)
    title_rows = _rows([r[1:6] for r in found if r[0] == 1])
    # COLLATE "C" orders by UTF-8 bytes, which is the order of code points, Python's.
    body_rows = sorted((r for r in found if r[0] == 2),
                       key=lambda r: (r[5] is None, -(r[5] or 0.0), r[3] if r[5] is not None else "", r[6]))
    other_rows = [(r[1], r[2], r[3], int(r[4]), float(r[5] or 0.0)) for r in body_rows]
    rows = (title_rows + other_rows)[:keep]
    sizes = (int(head[10]), [int(n) for n in head[11]])
    total, estimate = _estimated((head[7], head[8], head[9]), sizes, TYPEAHEAD_COUNT_LIMIT, len(rows))
    return rows, total, estimate


def run(conn: psycopg.Connection, text: str, limit: int, offset: int, typeahead: bool) -> tuple[SearchPage, dict[str, int]]:
    """A page of hits without snippets, and each hit's version (for the snippets' bodies);
    `QueryError` for a query the user must change."""
    text = clean(text)
    tree = query_tree.parse(text, typing=typeahead)
    try:
        t = translate(conn, tree)
    except QueryError as error:
        if typeahead and str(error) == NOTHING_LEFT:
            return SearchPage(text), {}  # "a", "S" while typing: nothing yet, as with the Whoosh engine
        raise
    keep = offset + limit
    if typeahead and keep:
        rows, total, estimate = typed(conn, t, text, keep)
    else:
        rows, total, estimate = _searched(conn, t, text, keep)
    hits = tuple(Hit(article_id, title, path, score) for article_id, title, path, _, score in rows[offset:])
    versions = {row[0]: row[3] for row in rows[offset:]}
    return SearchPage(text, hits, total, estimate, None, None, tuple(sorted(t.terms))), versions


def _count(conn: psycopg.Connection, t: Translated, limit: int) -> int:
    matched, params = matches_sql(t)
    row = conn.execute(f"SELECT count(*) FROM ({matched} LIMIT %s) m", [*params, limit]).fetchone()
    return int(row[0]) if row else 0


def sample_count(conn: psycopg.Connection, t: Translated, every: int) -> int:
    """How many articles of the sample of one in `every` match."""
    matched, params = matches_sql(t, every)
    row = conn.execute(f"SELECT count(*) FROM ({matched}) m", params).fetchone()
    return int(row[0]) if row else 0


def _ranked(conn: psycopg.Connection, t: Translated, text: str, keep: int, candidates: int | None,
            not_titles: bool = False) -> list[Row]:
    """The `keep` best of the matches (of at most `candidates` of them; of those whose title
    alone does not match with `not_titles`), title matches first."""
    matched, params = matches_sql(t)
    bound = "LIMIT %s" if candidates is not None else ""
    body, body_params = _body_score(t)
    if t.has_titles:
        title, title_params = title_matches_sql(t)
        score, score_params = _title_score(t, text)
        if not_titles:
            matched = f"SELECT m.id FROM ({matched}) m JOIN reader.articles a ON a.id = m.id WHERE NOT ({title})"
            params = [*params, *title_params]
        select = f"""SELECT a.id, a.title, a.path, a.version, CASE WHEN t THEN {score} ELSE {body} END AS score, t
                     FROM (SELECT a.*, {VERSION} AS version, {title} AS t FROM reader.articles a) a"""
        select_params = [*score_params, *body_params, *title_params]
    else:
        select = f"SELECT a.id, a.title, a.path, {VERSION}, {body} AS score, false AS t FROM reader.articles a"
        select_params = body_params
    found = conn.execute(
        f"""{select} JOIN ({matched} {bound}) c ON c.id = a.id
            ORDER BY t DESC, score DESC, a.path COLLATE "C" LIMIT %s""",
        [*select_params, *params, *([candidates] if candidates is not None else []), keep],
    ).fetchall()
    return _rows([r[:5] for r in found])


def _titles(conn: psycopg.Connection, t: Translated, text: str, keep: int, candidates: int) -> list[Row]:
    """The `keep` best of the articles matching on their title alone (of `candidates`)."""
    score, score_params = _title_score(t, text)
    where, where_params = title_matches_sql(t)
    found = conn.execute(
        f"""SELECT a.id, a.title, a.path, {VERSION}, {score} AS score
            FROM (SELECT a.id FROM reader.articles a WHERE {where} LIMIT %s) c
            JOIN reader.articles a ON a.id = c.id
            ORDER BY score DESC, a.path COLLATE "C" LIMIT %s""",
        [*score_params, *where_params, candidates, keep],
    ).fetchall()
    return _rows(found)


def _searched(conn: psycopg.Connection, t: Translated, text: str, keep: int) -> tuple[list[Row], int, bool]:
    """The command line's page: the count exact up to COUNT_LIMIT (else the sample's estimate),
    every match ranked up to FULL_RANK, else titles first and CANDIDATES others."""
    total = _count(conn, t, COUNT_LIMIT + 1)
    estimate = total > COUNT_LIMIT
    if estimate:
        counts = (sample_count(conn, t, SAMPLE_SIZES[0]), sample_count(conn, t, SAMPLE_SIZES[1]), None)
        total, _ = _estimated(counts, _sizes(conn), COUNT_LIMIT, COUNT_LIMIT + 1)
    rows: list[Row] = []
    if total and keep:
        if total <= FULL_RANK:
            rows = _ranked(conn, t, text, keep, None)
        elif t.has_titles:
            rows = _titles(conn, t, text, keep, TITLE_CANDIDATES)
            if len(rows) < keep:
                rows += _ranked(conn, t, text, keep - len(rows), CANDIDATES, not_titles=True)
        else:
            rows = _ranked(conn, t, text, keep, CANDIDATES)
    return rows, total, estimate


def suggest(conn: psycopg.Connection, text: str, typeahead: bool = False) -> str | None:
    """The query with each plain word that no article has replaced by the most similar word of
    the archive (trigram similarity, the same first letter; the commoner of equals).
    `typeahead`: the query so far is corrected, its last word (being typed) only when no word of
    the archive starts with it."""
    text = clean(text)
    typed = ""
    if typeahead:
        text, typed, _in_phrase = so_far(text)
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
        if typed and form == typed.lower() and _starts_a_word(conn, form):
            continue  # a word being typed, not a typo
        corrected = re.sub(rf"(?<![\w:]){re.escape(word)}(?!\w)", better, corrected)
    return corrected if corrected != text and corrected.strip() else None


def _starts_a_word(conn: psycopg.Connection, start: str) -> bool:
    # A range of the words_pattern index, as fuzzy words find their first letter (translate.py):
    # starts_with() would read every word of the archive.
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM reader.words WHERE word ~>=~ %s AND word ~<~ %s)",
                       (start, start + "\U0010ffff")).fetchone()
    return bool(row and row[0])


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
    total = _sizes(conn)[0]
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
    keys = " | ".join(word_key(lexeme) for lexeme in chosen)
    query = " | ".join(quote(lexeme) for lexeme in chosen)
    found = conn.execute(
        f"""SELECT a.id FROM reader.keys k JOIN reader.articles a ON a.id = k.id
            WHERE k.kv @@ %s::tsquery AND a.id <> %s
            ORDER BY ts_rank('{WEIGHTS}', a.stv, %s::tsquery, 1) DESC, a.path COLLATE "C" LIMIT %s""",
        (keys, article_id, query, limit),
    ).fetchall()
    return [row[0] for row in found]
