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

from dataclasses import dataclass, field

import psycopg

from reader.core.query_tree import And, Node, Not, Phrase, Word, words_of
from reader.core.types import QueryError

WEIGHT = {"title": "A", "body": "B", None: ""}
# A fuzzy word expands to at most this many words of the archive (the commonest first).
FUZZY_MAX_WORDS = 50
NOTHING_LEFT = "nothing to search for: the query has only operators or very common words"

_ANALYSE = """
SELECT t.ord, 'e', v.lexeme, v.positions
FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS t (txt, ord),
     unnest(to_tsvector('english', unaccent(t.txt))) AS v
UNION ALL
SELECT t.ord, 's', v.lexeme, v.positions
FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS t (txt, ord),
     unnest(to_tsvector('simple', unaccent(t.txt))) AS v
"""
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
    terms: set[str] = field(default_factory=set)
    """What the snippets mark: English lexemes, `prefix*` and `=word` (as written)."""


class _Analysed:
    """Each word's lexemes and positions under both configurations."""

    def __init__(self, conn: psycopg.Connection, texts: list[str]) -> None:
        self.texts = texts
        self.english: list[list[tuple[int, str]]] = [[] for _ in texts]
        self.simple: list[list[tuple[int, str]]] = [[] for _ in texts]
        if texts:
            for ordinal, config, lexeme, positions in conn.execute(_ANALYSE, {"texts": texts}):
                target = self.english if config == "e" else self.simple
                for position in positions or (1,):
                    target[ordinal - 1].append((position, lexeme))
        for places in (*self.english, *self.simple):
            places.sort()


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
    for part in merged:
        if isinstance(part, _Ts):
            texts.append(f"a.{part.column} @@ %s::tsquery")
            params.append(part.query)
        else:
            texts.append(f"({part.text})")
            params.extend(part.params)
    return _Sql(joiner.join(texts), tuple(params))


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


def translate(conn: psycopg.Connection, tree: Node) -> Translated:
    """The SQL of a parsed query; `QueryError` when nothing searchable is left (stop words only)."""
    analysed = _Analysed(conn, words_of(tree))
    translator = _Translator(conn, analysed)
    expr = translator.node(tree)
    if expr is None:
        raise QueryError(NOTHING_LEFT)
    where, params = _sql(expr)
    title_where, title_params = "", ()
    if _title_implies_match(tree):
        title_expr = _Translator(conn, analysed, title=True).node(tree)
        if title_expr is not None:
            title_where, title_params = _sql(title_expr)
    return Translated(
        where, params,
        rank_tsv=" | ".join(f"({q})" for q in translator.rank_tsv),
        rank_stv=" | ".join(f"({q})" for q in translator.rank_stv),
        title_where=title_where,
        title_params=title_params,
        terms=translator.terms,
    )
