"""A parsed query (reader.core.query_tree) turned into a `tsquery` over the key vectors and SQL,
never by formatting user text into SQL.

Every word is analysed by the server (`to_tsvector` with the English and the simple configuration,
after `unaccent`; one round trip for the words not seen before), so the lexemes are exactly those
of the indexed articles; a word of plain ASCII letters typed as a prefix is its own simple lexeme
in lower case, which needs no round trip. The `tsquery` texts are built from those lexemes, each
quoted as the tsquery syntax wants, and travel as parameters cast with `::tsquery`; the SQL around
them comes from this module's constant fragments only.

The query goes to the key vectors (schema.py): `reader.keys.kv` for the whole article, `kt` of
`reader.articles` for its title. A plain word is its English stems; a prefix is its words as
written, the last one as a prefix: a key of its own when two or three letters long
(`\\x02co`), else every written word starting so (`'\\x01coun':*`); a fuzzy word the written words
near it; AND, OR and NOT the tsquery's own operators. So most queries are one `tsquery` that the
GIN index answers exactly (`keys`, `exact`). What the keys cannot say — phrases (word order),
title:/body: fields, ids — they over-approximate (a phrase's words, a field's word anywhere), and
`check` is the exact condition on the article's own vectors, evaluated on the few rows the keys
let through.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from itertools import pairwise

import psycopg

from reader.core.query_tree import And, Node, Not, Or, Phrase, Word, words_of
from reader.core.snippets import PREFIX
from reader.core.types import QueryError
from reader.engines.postgres.schema import (
    KEY_PAIR,
    KEY_PREFIX,
    KEY_WORD,
    PREFIX_KEYS,
    SAMPLE_TABLE_EVERY,
    sample,
)

WEIGHT = {"title": "A", "body": "B", None: ""}
# A fuzzy word expands to at most this many words of the archive (the commonest first).
FUZZY_MAX_WORDS = 50
NOTHING_LEFT = "nothing to search for: the query has only operators or very common words"

_ANALYSE = """
SELECT t.ord, 'e', v.lexeme, v.positions
FROM unnest(%(english)s::text[]) WITH ORDINALITY AS t (txt, ord),
     unnest(to_tsvector('english', unaccent(t.txt))) AS v
UNION ALL
SELECT t.ord, 's', v.lexeme, v.positions
FROM unnest(%(simple)s::text[]) WITH ORDINALITY AS t (txt, ord),
     unnest(to_tsvector('simple', unaccent(t.txt))) AS v
"""
# The same first letter as a range of the words_pattern index (a LIKE pattern in a parameter would
# not be one in the generic plans readers use, see connection.py).
_FUZZY = """
SELECT word FROM reader.words
WHERE word ~>=~ %(first)s AND word ~<~ %(after)s AND length(word) BETWEEN %(low)s AND %(high)s
  AND levenshtein_less_equal(word, %(word)s, %(edits)s) <= %(edits)s
ORDER BY ndoc DESC, word LIMIT %(limit)s
"""
# Words the simple configuration keeps whole, in lower case: one asciiword token.
_ASCII_WORD = re.compile(r"[A-Za-z]{1,200}")


def quote(lexeme: str) -> str:
    """A lexeme as a tsquery operand: quoted, with quotes doubled and backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def word_key(word: str) -> str:
    """The key of a word as written."""
    return quote(KEY_WORD + word)


def prefix_key(prefix: str) -> str:
    """The keys of every word as written that starts with `prefix`."""
    if len(prefix) in PREFIX_KEYS:
        return quote(KEY_PREFIX + prefix)
    return quote(KEY_WORD + prefix) + ":*"


@dataclass(slots=True)
class Translated:
    """A query as a tsquery over the key vectors and SQL over `reader.articles a`.

    The matches are the articles whose `reader.keys.kv` matches `keys` and, unless `exact`, for
    which `check` (with `check_params`) holds too; without `keys` (a query of ids, or a negated
    phrase alone) `check` alone selects them. `rank_tsv`/`rank_stv` are tsquery texts of the words
    that count for ranking ('' when none)."""

    keys: str
    exact: bool
    check: str
    check_params: tuple[object, ...]
    rank_tsv: str = ""
    rank_stv: str = ""
    title_keys: str = ""
    """The same query over the title alone (on `a.kt`), when a title match implies a match (no
    NOT, no body: or id: words); '' otherwise."""
    title_exact: bool = True
    title_check: str = ""
    title_check_params: tuple[object, ...] = ()
    terms: set[str] = field(default_factory=set)
    """What the snippets mark: English lexemes, `prefix*` and `=word` (as written)."""
    complement: str = ""
    """For a query that only excludes (`NOT x`): the keys of what it excludes. GIN cannot find
    `!x` but by reading every key of the index (4.5 s at 100k); the matches are read as every
    article but those (0.1 s)."""
    condition: str = ""
    condition_params: tuple[object, ...] = ()
    """The whole query as a condition on the article's own vectors (`tsv`, `stv`, `kt`, `id`),
    without the keys: no index serves it, so it is for checking a few rows (pg_load, tests)."""

    @property
    def has_titles(self) -> bool:
        return bool(self.title_keys)


def matches_sql(t: Translated, every: int = 0, outside: int = 0) -> tuple[str, list[object]]:
    """`SELECT id …` of the matching articles (of the sample of one in `every`, see
    schema.sample; not in the sample of one in `outside`), and its parameters."""
    conditions: list[str] = []
    if not t.keys:
        if every:
            conditions.append(sample(every, "a"))
        if outside:
            conditions.append(f"NOT {sample(outside, 'a')}")
        where = " AND ".join([*conditions, f"({t.check})"])
        return f"SELECT a.id FROM reader.articles a WHERE {where}", list(t.check_params)
    table = "reader.sample_keys" if every else "reader.keys"
    if every and every != SAMPLE_TABLE_EVERY:
        conditions.append(sample(every, "k"))
    if outside:
        conditions.append(f"NOT {sample(outside, 'k')}")
    if t.exact and t.complement:
        inner = [c.replace("(k.id)", "(x.id)") for c in conditions]
        conditions.append(f"k.id NOT IN (SELECT x.id FROM {table} x WHERE {' AND '.join([*inner, 'x.kv @@ %s::tsquery'])})")
        return f"SELECT k.id FROM {table} k WHERE {' AND '.join(conditions)}", [t.complement]
    conditions.append("k.kv @@ %s::tsquery")
    if t.exact:
        return f"SELECT k.id FROM {table} k WHERE {' AND '.join(conditions)}", [t.keys]
    conditions.append(f"({t.check})")
    return (f"SELECT k.id FROM {table} k JOIN reader.articles a ON a.id = k.id WHERE {' AND '.join(conditions)}",
            [t.keys, *t.check_params])


def title_matches_sql(t: Translated) -> tuple[str, list[object]]:
    """The condition on `reader.articles a` of the articles matching on their title alone."""
    if t.title_exact:
        return "a.kt @@ %s::tsquery", [t.title_keys]
    return f"a.kt @@ %s::tsquery AND ({t.title_check})", [t.title_keys, *t.title_check_params]


Places = list[tuple[int, str]]
# Each word's analysis under each configuration, kept: typing sends the same words again with
# every letter. The server's configurations do not change under a running reader.
_KNOWN: dict[tuple[str, str], Places] = {}
_KNOWN_MAX = 100_000
_KNOWN_LOCK = threading.Lock()


class _Analysed:
    """Each word's lexemes and positions under the configurations it needs: English for plain
    words and phrases, simple for prefixes and fuzzy words."""

    def __init__(self, conn: psycopg.Connection, tree: Node) -> None:
        wanted: list[tuple[str, str]] = []
        _wanted(tree, wanted)
        found: dict[tuple[str, str], Places] = {}
        missing: dict[str, list[str]] = {"e": [], "s": []}
        with _KNOWN_LOCK:
            for key in wanted:
                if key in _KNOWN:
                    found[key] = _KNOWN[key]
                elif key[0] == "s" and _ASCII_WORD.fullmatch(key[1]):
                    found[key] = [(1, key[1].lower())]
                elif key[1] not in missing[key[0]]:
                    missing[key[0]].append(key[1])
        if missing["e"] or missing["s"]:
            fresh: dict[tuple[str, str], Places] = {("e", t): [] for t in missing["e"]}
            fresh.update({("s", t): [] for t in missing["s"]})
            for ordinal, config, lexeme, positions in conn.execute(
                    _ANALYSE, {"english": missing["e"], "simple": missing["s"]}):
                target = fresh[(config, missing[config][ordinal - 1])]
                for position in positions or (1,):
                    target.append((position, lexeme))
            for places in fresh.values():
                places.sort()
            with _KNOWN_LOCK:
                if len(_KNOWN) + len(fresh) > _KNOWN_MAX:
                    _KNOWN.clear()
                _KNOWN.update(fresh)
            found.update(fresh)
        self.found = found

    def english(self, text: str) -> Places:
        return self.found.get(("e", text), [])

    def simple(self, text: str) -> Places:
        return self.found.get(("s", text), [])


def _wanted(node: Node, into: list[tuple[str, str]]) -> None:
    if isinstance(node, Word):
        if node.field != "id":
            into.append(("s" if node.prefix or node.fuzzy else "e", node.text))
    elif isinstance(node, Phrase):
        into.extend(("e", w) for w in node.words)
    elif isinstance(node, Not):
        _wanted(node.part, into)
    else:
        for part in node.parts:
            _wanted(part, into)


def _lexemes(places: Places) -> list[str]:
    """The lexemes of one word, without a hyphenated compound when its parts are there too
    (`foo-bar` gives foo-bar, foo and bar: the parts match as the Whoosh engine's do)."""
    words = [lexeme for _, lexeme in places]
    if len(words) > 1:
        words = [w for w in words if "-" not in w] or words
    return list(dict.fromkeys(words))


@dataclass(slots=True)
class _Part:
    """One node translated: `keys` (a tsquery over the key vectors; None when they cannot narrow
    it down), whether they are the exact condition, the exact condition in SQL over the article's
    own vectors (`sql`, `params`: what an enclosing OR or NOT needs), and what must be checked on
    the rows the keys let through (`check`, `check_params`; '' when the keys are exact)."""

    keys: str | None
    exact: bool
    sql: str
    params: tuple[object, ...] = ()
    check: str = ""
    check_params: tuple[object, ...] = ()
    negated: str | None = None
    """For a negation (or negations joined by AND): the keys of what it excludes."""

    @staticmethod
    def exactly(keys: str, sql: str, params: tuple[object, ...]) -> _Part:
        return _Part(keys, True, sql, params)

    @staticmethod
    def roughly(keys: str | None, sql: str, params: tuple[object, ...]) -> _Part:
        """Keys that let through more than the condition, which is checked on each row."""
        return _Part(keys, False, sql, params, sql, params)


class _Translator:
    def __init__(self, conn: psycopg.Connection, analysed: _Analysed, title: bool = False,
                 fuzzy_words: dict[tuple[str, int], list[str]] | None = None) -> None:
        self.conn = conn
        self.analysed = analysed
        self.title = title
        self.english_column, self.simple_column = ("ttv", "tstv") if title else ("tsv", "stv")
        self.rank_tsv: list[str] = []
        self.rank_stv: list[str] = []
        self.terms: set[str] = set()
        self.fuzzy_words = {} if fuzzy_words is None else fuzzy_words
        """Each fuzzy word's words of the archive (the title's translation asks again)."""

    def node(self, node: Node, positive: bool = True) -> _Part | None:
        """The node's part; None when it asks for nothing (a stop word: left out, as with the
        Whoosh engine)."""
        if isinstance(node, Word):
            return self.word(node, positive)
        if isinstance(node, Phrase):
            return self.phrase(node, positive)
        if isinstance(node, Not):
            inner = self.node(node.part, not positive)
            if inner is None:
                return None
            sql = f"NOT ({inner.sql})"
            if inner.exact and inner.keys is not None:
                negation = _Part.exactly(f"!({inner.keys})", sql, inner.params)
                negation.negated = inner.keys
                return negation
            return _Part.roughly(None, sql, inner.params)
        parts = [p for p in (self.node(part, positive) for part in node.parts) if p is not None]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        sql = (" AND " if isinstance(node, And) else " OR ").join(f"({p.sql})" for p in parts)
        params = tuple(x for p in parts for x in p.params)
        if isinstance(node, And):
            keys = " & ".join(f"({p.keys})" for p in parts if p.keys is not None) or None
            if keys is not None and all(p.exact for p in parts):
                joined = _Part.exactly(keys, sql, params)
                if all(p.negated for p in parts):
                    joined.negated = " | ".join(f"({p.negated})" for p in parts)
                return joined
            # Only what the keys do not say exactly is checked on the rows.
            checks = [p for p in parts if not p.exact]
            return _Part(keys, False, sql, params, " AND ".join(f"({p.check})" for p in checks),
                         tuple(x for p in checks for x in p.check_params))
        assert isinstance(node, Or)
        if all(p.exact for p in parts):
            return _Part.exactly(" | ".join(f"({p.keys})" for p in parts), sql, params)
        if any(p.keys is None for p in parts):
            return _Part.roughly(None, sql, params)
        return _Part.roughly(" | ".join(f"({p.keys})" for p in parts), sql, params)

    def word(self, word: Word, positive: bool) -> _Part | None:
        if word.field == "id":
            if word.prefix:
                return _Part.roughly(None, "starts_with(a.id, %s)", (word.text,))
            return _Part.roughly(None, "a.id = %s", (word.text,))
        weight = WEIGHT[word.field]
        if word.fuzzy:
            return self.fuzzy(word, weight, positive)
        if word.prefix:
            simple = _lexemes(self.analysed.simple(word.text))
            if not simple:
                return None
            keys = " & ".join([word_key(w) for w in simple[:-1]] + [prefix_key(simple[-1])])
            operands = [f"{quote(w)}:{weight}" if weight else quote(w) for w in simple[:-1]]
            operands.append(f"{quote(simple[-1])}:*{weight}")
            query = " & ".join(operands)
            if positive:
                self.rank_stv.append(query)
                self.terms.update(simple[:-1])
                self.terms.add(simple[-1] + PREFIX)
            return self._fielded(keys, word.field, f"a.{self.simple_column} @@ %s::tsquery", query)
        english = _lexemes(self.analysed.english(word.text))
        if not english:
            return None  # a stop word, or punctuation only
        keys = " & ".join(quote(w) for w in english)
        query = " & ".join(f"{quote(w)}:{weight}" if weight else quote(w) for w in english)
        if positive:
            self.rank_tsv.append(query)
            self.terms.update(english)
        return self._fielded(keys, word.field, f"a.{self.english_column} @@ %s::tsquery", query)

    def _fielded(self, keys: str, field_name: str | None, sql: str, query: str) -> _Part:
        """A word's part: its keys alone, or, under a field, its keys anywhere, checked on the
        field (the title's own keys say title: exactly)."""
        if field_name is None:
            return _Part.exactly(keys, sql, (query,))
        if field_name == "title":
            if self.title:
                return _Part.exactly(keys, sql, (query,))
            return _Part.roughly(keys, "a.kt @@ %s::tsquery", (keys,))
        # body: the keys are the title's and the body's, so a row they let through whose title
        # does not have the word has it in the body: only the others read the body's vector.
        return _Part(keys, False, sql, (query,), f"(NOT a.kt @@ %s::tsquery OR {sql})", (keys, query))

    def fuzzy(self, word: Word, weight: str, positive: bool) -> _Part:
        alternatives = self.fuzzy_words.get((word.text, word.fuzzy))
        if alternatives is None:
            alternatives = []
            for form in _lexemes(self.analysed.simple(word.text)):
                rows = self.conn.execute(_FUZZY, {
                    "first": form[0], "after": form[0] + "\U0010ffff",
                    "low": len(form) - word.fuzzy, "high": len(form) + word.fuzzy,
                    "word": form, "edits": word.fuzzy, "limit": FUZZY_MAX_WORDS,
                })
                alternatives.extend(row[0] for row in rows)
            alternatives = list(dict.fromkeys(alternatives))
            self.fuzzy_words[(word.text, word.fuzzy)] = alternatives
        if not alternatives:
            return _Part.roughly(None, "false", ())
        keys = " | ".join(word_key(w) for w in alternatives)
        query = " | ".join(f"{quote(w)}:{weight}" if weight else quote(w) for w in alternatives)
        if positive:
            self.rank_stv.append(f"({query})")
            self.terms.update("=" + w for w in alternatives)
        return self._fielded(f"({keys})", word.field, f"a.{self.simple_column} @@ %s::tsquery", f"({query})")

    def phrase(self, phrase: Phrase, positive: bool) -> _Part | None:
        places: Places = []
        offset = 0
        for text in phrase.words:
            # Each word was analysed alone: its positions start at 1; stop words take a place.
            found = self.analysed.english(text)
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
        query = f"({''.join(parts)})"
        if positive:
            self.rank_tsv.append(query)
            self.terms.update(lexeme for _, lexeme in places)
        # Each word, and each two next to each other as a pair key: the keys then let through
        # few articles that do not hold the phrase (only a gap of stop words is left unchecked).
        pairs = [f"{KEY_PAIR}{first}{KEY_PAIR}{second}" for (at, first), (then, second) in pairwise(places)
                 if then == at + 1 and len(first.encode()) + len(second.encode()) < 2045]
        keys = " & ".join(quote(key) for key in dict.fromkeys([*(lexeme for _, lexeme in places), *pairs]))
        return _Part.roughly(keys, f"a.{self.english_column} @@ %s::tsquery", (query,))


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
    analysed = _Analysed(conn, tree)
    translator = _Translator(conn, analysed)
    part = translator.node(tree)
    if part is None:
        raise QueryError(NOTHING_LEFT)
    translated = Translated(
        keys=part.keys or "", exact=part.exact, check=part.check, check_params=part.check_params,
        rank_tsv=" | ".join(f"({q})" for q in translator.rank_tsv),
        rank_stv=" | ".join(f"({q})" for q in translator.rank_stv),
        terms=translator.terms, condition=part.sql, condition_params=part.params, complement=part.negated or "",
    )
    if _title_implies_match(tree):
        title = _Translator(conn, analysed, title=True, fuzzy_words=translator.fuzzy_words).node(tree)
        if title is not None and title.keys is not None:
            translated.title_keys = title.keys
            translated.title_exact = title.exact
            translated.title_check, translated.title_check_params = title.check, title.check_params
    return translated


__all__ = ["NOTHING_LEFT", "Translated", "matches_sql", "prefix_key", "quote", "title_matches_sql", "translate",
           "word_key", "words_of"]
