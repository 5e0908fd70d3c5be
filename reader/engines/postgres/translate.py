"""A parsed query (reader.core.query_tree) turned into SQL and `tsquery` values, never by
formatting user text into SQL.

Every word is analysed by the server first (one round trip: `to_tsvector` of each word with the
English and the simple configuration, after `unaccent`), so the lexemes are exactly those of the
indexed articles. The `tsquery` texts are then built from those lexemes, each quoted as the
tsquery syntax wants, and travel as parameters cast with `::tsquery` (no second normalisation).
The SQL around them comes from this module's constant fragments only.

Columns: `tsv` holds English stems (plain words and phrases), `stv` the words as written (prefixes
and fuzzy words: "no blank page on a real title" needs prefixes of the written words, which a stem
such as `stori` for "story" is not). A title:/body: field is a weight restriction (A/B). `ttv` and
`tstv` are the same of the title alone: small, so matching and ranking titles is cheap, and for a
query without NOT or body: a title match is a match (type-ahead ranks those first).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psycopg

from reader.core.query_tree import And, Node, Not, Phrase, Word, words_of
from reader.core.types import QueryError

WEIGHT = {"title": "A", "body": "B", None: ""}
# A fuzzy word expands to at most this many words of the archive (the commonest first).
FUZZY_MAX_WORDS = 50
NOTHING_LEFT = "nothing to search for: the query has only operators or very common words"

_ANALYSE = """
SELECT t.ord, 'e', v.lexeme, v.positions, NULL::integer
FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS t (txt, ord),
     unnest(to_tsvector('english', unaccent(t.txt))) AS v
UNION ALL
SELECT t.ord, 's', v.lexeme, v.positions, coalesce(w.ndoc, 0)
FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS t (txt, ord)
     CROSS JOIN LATERAL unnest(to_tsvector('simple', unaccent(t.txt))) AS v
     LEFT JOIN reader.words w ON w.word = v.lexeme
"""
# A prefix beside a rare plain word is checked on that word's articles instead of through the
# index when that is cheaper: the index gathers every article of every word with that prefix
# ("gr": most of the archive) only to keep the few the word has, at about 0.1-0.4 µs a posting;
# checking an article reads its whole vector of words, about 25 µs. So: when the prefix's
# postings (the sum of its words' article counts) exceed the rare word's articles this many times.
FILTER_RATIO = 150
_POSTINGS = """
SELECT coalesce(sum(ndoc), 0) FROM reader.words WHERE word ~>=~ %(low)s AND word ~<~ %(high)s
"""
# How many postings each prefix has, kept a while: the next keystrokes ask again.
_PREFIX_POSTINGS: dict[str, tuple[float, int]] = {}
_POSTINGS_SECONDS = 60.0
_FUZZY = """
SELECT word FROM reader.words
WHERE word LIKE %(start)s AND length(word) BETWEEN %(low)s AND %(high)s
  AND levenshtein_less_equal(word, %(word)s, %(edits)s) <= %(edits)s
ORDER BY ndoc DESC, word LIMIT %(limit)s
"""


def quote(lexeme: str) -> str:
    """A lexeme as a tsquery operand: quoted, with quotes doubled and backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class _Ts:
    """A condition on one tsvector column: `column @@ query::tsquery`."""

    column: str
    query: str


@dataclass(frozen=True, slots=True)
class _Sql:
    """Any other condition: a constant SQL fragment and its parameters."""

    text: str
    params: tuple[object, ...] = ()
    conjuncts: tuple[tuple[str, tuple[object, ...], bool], ...] = ()
    """For conditions joined by AND: each one (SQL, parameters, whether an index finds it alone)."""


_Expr = _Ts | _Sql


@dataclass(slots=True)
class Translated:
    """A query as SQL: `where` (with `params`) selects the matches of `reader.articles a`;
    `rank_tsv`/`rank_stv` are tsquery texts of the words that count for ranking ('' when none)."""

    where: str
    params: tuple[object, ...]
    rank_tsv: str = ""
    rank_stv: str = ""
    title_where: str = ""
    """The same query over the title alone (`ttv`, `tstv`), when a title match implies a match
    (no NOT, no body: or id: words); '' otherwise."""
    title_params: tuple[object, ...] = ()
    conjuncts: tuple[tuple[str, tuple[object, ...], bool], ...] = ()
    """The parts of a `where` of conditions joined by AND (see _Sql); () for any other."""
    terms: set[str] = field(default_factory=set)
    """What the snippets mark: English lexemes, `prefix*` and `=word` (as written)."""


Places = list[tuple[int, str]]
# Each word's analysis, kept: typing sends the same words again with every letter. The server's
# configurations do not change under a running reader.
_KNOWN: dict[str, tuple[Places, Places, int]] = {}
_KNOWN_MAX = 50_000
_KNOWN_LOCK = threading.Lock()


class _Analysed:
    """Each word's lexemes and positions under both configurations."""

    def __init__(self, conn: psycopg.Connection, texts: list[str]) -> None:
        self.texts = texts
        with _KNOWN_LOCK:
            known = {text: _KNOWN[text] for text in texts if text in _KNOWN}
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        if missing:
            places: dict[str, tuple[Places, Places]] = {text: ([], []) for text in missing}
            rarest: dict[str, int] = {}
            for ordinal, config, lexeme, positions, ndoc in conn.execute(_ANALYSE, {"texts": missing}):
                text = missing[ordinal - 1]
                target = places[text][0 if config == "e" else 1]
                for position in positions or (1,):
                    target.append((position, lexeme))
                if ndoc is not None:
                    rarest[text] = min(ndoc, rarest.get(text, ndoc))
            found = {text: (sorted(e), sorted(s), rarest.get(text, 0)) for text, (e, s) in places.items()}
            with _KNOWN_LOCK:
                if len(_KNOWN) + len(found) > _KNOWN_MAX:
                    _KNOWN.clear()
                _KNOWN.update(found)
            known.update(found)
        self.english: list[Places] = [known[text][0] for text in texts]
        self.simple: list[Places] = [known[text][1] for text in texts]
        self.articles: list[int] = [known[text][2] for text in texts]
        """In how many articles each word is written so (its rarest part): a rough frequency."""


def _lexemes(places: list[tuple[int, str]]) -> list[str]:
    """The lexemes of one word, without a hyphenated compound when its parts are there too
    (`foo-bar` gives foo-bar, foo and bar: the parts match as the Whoosh engine's do)."""
    words = [lexeme for _, lexeme in places]
    if len(words) > 1:
        words = [w for w in words if "-" not in w] or words
    return list(dict.fromkeys(words))


class _Translator:
    def __init__(self, conn: psycopg.Connection, analysed: _Analysed, title: bool = False) -> None:
        self.conn = conn
        self.analysed = analysed
        self.english_column, self.simple_column = ("ttv", "tstv") if title else ("tsv", "stv")
        self.filtered: set[int] = set()
        """ids of the prefix words to check as a filter rather than through the index."""
        self.next = 0  # index of the next word text in `analysed`, in words_of order
        self.rank_tsv: list[str] = []
        self.rank_stv: list[str] = []
        self.terms: set[str] = set()

    def take(self, count: int) -> range:
        start = self.next
        self.next += count
        return range(start, self.next)

    def node(self, node: Node, positive: bool = True) -> _Expr | None:
        if isinstance(node, Word):
            return self.word(node, positive)
        if isinstance(node, Phrase):
            return self.phrase(node, positive)
        if isinstance(node, Not):
            inner = self.node(node.part, not positive)
            if inner is None:
                return None
            if isinstance(inner, _Ts):
                return _Ts(inner.column, f"!({inner.query})")
            return _Sql(f"NOT ({inner.text})", inner.params)
        parts = [self.node(part, positive) for part in node.parts]
        kept = [part for part in parts if part is not None]
        if not kept:
            return None
        return _combine(kept, "&" if isinstance(node, And) else "|")

    def word(self, word: Word, positive: bool) -> _Expr | None:
        (at,) = self.take(1)
        if word.field == "id":
            if word.prefix:
                return _Sql("starts_with(a.id, %s)", (word.text,))
            return _Sql("a.id = %s", (word.text,))
        weight = WEIGHT[word.field]
        if word.fuzzy:
            return self.fuzzy(word, at, weight, positive)
        if word.prefix:
            simple = _lexemes(self.analysed.simple[at])
            if not simple:
                return None
            operands = [f"{quote(w)}:{weight}" if weight else quote(w) for w in simple[:-1]]
            operands.append(f"{quote(simple[-1])}:*{weight}")
            query = " & ".join(operands)
            if positive:
                self.rank_stv.append(query)
                self.terms.update(simple[:-1])
                self.terms.add(simple[-1] + "*")
            if id(word) in self.filtered:
                # ts_match_vq is the @@ operator's function: the planner does not take it to the
                # index, so the rows of the rare word are checked one by one.
                return _Sql(f"ts_match_vq(a.{self.simple_column}, %s::tsquery)", (query,))
            return _Ts(self.simple_column, query)
        english = _lexemes(self.analysed.english[at])
        if not english:
            return None  # a stop word, or punctuation only
        query = " & ".join(f"{quote(w)}:{weight}" if weight else quote(w) for w in english)
        if positive:
            self.rank_tsv.append(query)
            self.terms.update(english)
        return _Ts(self.english_column, query)

    def fuzzy(self, word: Word, at: int, weight: str, positive: bool) -> _Expr:
        alternatives: list[str] = []
        for form in _lexemes(self.analysed.simple[at]):
            start = form[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = self.conn.execute(_FUZZY, {
                "start": start, "low": len(form) - word.fuzzy, "high": len(form) + word.fuzzy,
                "word": form, "edits": word.fuzzy, "limit": FUZZY_MAX_WORDS,
            })
            alternatives.extend(row[0] for row in rows)
        alternatives = list(dict.fromkeys(alternatives))
        if not alternatives:
            return _Sql("false")
        query = " | ".join(f"{quote(w)}:{weight}" if weight else quote(w) for w in alternatives)
        if positive:
            self.rank_stv.append(f"({query})")
            self.terms.update("=" + w for w in alternatives)
        return _Ts(self.simple_column, f"({query})")

    def phrase(self, phrase: Phrase, positive: bool) -> _Expr | None:
        places: list[tuple[int, str]] = []
        offset = 0
        for at in self.take(len(phrase.words)):
            # Each word was analysed alone: its positions start at 1; stop words take a place.
            found = self.analysed.english[at]
            places.extend((offset + position, lexeme) for position, lexeme in found)
            offset += max((position for position, _ in found), default=1)
        if not places:
            return None
        weight = WEIGHT[phrase.field]
        parts: list[str] = []
        previous = None
        for position, lexeme in places:
            operand = f"{quote(lexeme)}:{weight}" if weight else quote(lexeme)
            parts.append(operand if previous is None else f" <{position - previous}> {operand}")
            previous = position
        query = "".join(parts)
        if positive:
            self.rank_tsv.append(f"({query})")
            self.terms.update(lexeme for _, lexeme in places)
        return _Ts(self.english_column, f"({query})")


def _combine(parts: list[_Expr], operator: str) -> _Expr:
    """One condition for parts joined by `&` or `|`: conditions on one column become one tsquery
    (one index scan), the rest are joined in SQL."""
    by_column: dict[str, list[str]] = {}
    sql: list[_Sql] = []
    for part in parts:
        if isinstance(part, _Ts):
            by_column.setdefault(part.column, []).append(f"({part.query})")
        else:
            sql.append(part)
    merged: list[_Expr] = [_Ts(column, f" {operator} ".join(queries)) for column, queries in by_column.items()]
    merged.extend(sql)
    if len(merged) == 1:
        return merged[0]
    joiner = " AND " if operator == "&" else " OR "
    texts: list[str] = []
    params: list[object] = []
    conjuncts: list[tuple[str, tuple[object, ...], bool]] = []
    for part in merged:
        if isinstance(part, _Ts):
            texts.append(f"a.{part.column} @@ %s::tsquery")
            params.append(part.query)
            # a negation alone would have the index list every article
            conjuncts.append((texts[-1], (part.query,), not part.query.startswith("!")))
        else:
            texts.append(f"({part.text})")
            params.extend(part.params)
            conjuncts.extend(part.conjuncts or [(texts[-1], part.params, False)])
    return _Sql(joiner.join(texts), tuple(params), tuple(conjuncts) if operator == "&" else ())


def _sql(expr: _Expr) -> tuple[str, tuple[object, ...]]:
    if isinstance(expr, _Ts):
        return f"a.{expr.column} @@ %s::tsquery", (expr.query,)
    return expr.text, expr.params


def _title_implies_match(node: Node) -> bool:
    """Whether every article whose title matches `node` matches it (a monotone query of title
    and either-field words)."""
    if isinstance(node, Word | Phrase):
        return node.field in (None, "title")
    if isinstance(node, Not):
        return False
    return all(_title_implies_match(part) for part in node.parts)


def prefix_postings(conn: psycopg.Connection, prefix: str) -> int:
    """How many (article, word) pairs the words starting with `prefix` have: the work of
    matching it through the index."""
    now = time.monotonic()
    with _KNOWN_LOCK:
        known = _PREFIX_POSTINGS.get(prefix)
    if known is not None and now - known[0] < _POSTINGS_SECONDS:
        return known[1]
    row = conn.execute(_POSTINGS, {"low": prefix, "high": prefix + "\U0010ffff"}).fetchone()
    postings = int(row[0]) if row else 0
    with _KNOWN_LOCK:
        if len(_PREFIX_POSTINGS) > _KNOWN_MAX:
            _PREFIX_POSTINGS.clear()
        _PREFIX_POSTINGS[prefix] = (now, postings)
    return postings


def _filtered_prefixes(conn: psycopg.Connection, tree: Node, analysed: _Analysed) -> set[int]:
    """The prefix words of a top-level AND that are cheaper checked on the articles of a rare
    plain word beside them than matched through the index (see FILTER_RATIO), by id."""
    if not isinstance(tree, And):
        return set()
    at = 0
    rarest: int | None = None
    prefixes: list[tuple[int, int]] = []
    for part in tree.parts:
        count = len(words_of(part))
        if isinstance(part, Word) and part.prefix and part.field != "id":
            prefixes.append((id(part), at))
        elif isinstance(part, Word) and not part.fuzzy and part.field != "id" and analysed.english[at]:
            rarest = analysed.articles[at] if rarest is None else min(rarest, analysed.articles[at])
        at += count
    if rarest is None or not prefixes:
        return set()
    chosen: set[int] = set()
    for key, place in prefixes:
        simple = _lexemes(analysed.simple[place])
        if simple and prefix_postings(conn, simple[-1]) > rarest * FILTER_RATIO:
            chosen.add(key)
    return chosen


def translate(conn: psycopg.Connection, tree: Node) -> Translated:
    """The SQL of a parsed query; `QueryError` when nothing searchable is left (stop words only)."""
    analysed = _Analysed(conn, words_of(tree))
    translator = _Translator(conn, analysed)
    translator.filtered = _filtered_prefixes(conn, tree, analysed)
    expr = translator.node(tree)
    if expr is None:
        raise QueryError(NOTHING_LEFT)
    where, params = _sql(expr)
    title_where, title_params = "", ()
    if _title_implies_match(tree):
        title_translator = _Translator(conn, analysed, title=True)
        title_translator.filtered = translator.filtered
        title_expr = title_translator.node(tree)
        if title_expr is not None:
            title_where, title_params = _sql(title_expr)
    return Translated(
        where, params,
        rank_tsv=" | ".join(f"({q})" for q in translator.rank_tsv),
        rank_stv=" | ".join(f"({q})" for q in translator.rank_stv),
        title_where=title_where,
        title_params=title_params,
        conjuncts=expr.conjuncts if isinstance(expr, _Sql) else (),
        terms=translator.terms,
    )
