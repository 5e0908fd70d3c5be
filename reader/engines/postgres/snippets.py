"""Snippets and highlighting from the stored body text, with the words a query matched marked.

A page's terms are this engine's: English lexemes (`safeguard`), prefixes of the words as written
(`safeg*`) and words as written (`=colour`, from fuzzy~ words). Which words of a text carry which
lexeme the server says (`to_tsvector` of each distinct word, as the articles were indexed); the
answers are kept, so a page's snippets cost one round trip for the words not seen before.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg

from reader.core.snippets import PREFIX, snippet_around
from reader.core.types import Snippet

# Snippets look for hits in this much of a body: a long article's first pages hold them.
SNIPPET_SCAN_CHARS = 30_000
WIDTH = 160
_KEPT = 200_000
_WORD = re.compile(r"\w+")

_FORMS = """
SELECT w, coalesce((SELECT array_agg(lexeme) FROM unnest(to_tsvector('english', unaccent(w)))), '{}'),
       lower(unaccent(w))
FROM unnest(%s::text[]) AS w
"""


class Lexicon:
    """Each word's English lexemes and its form as written (lower case, unaccented)."""

    def __init__(self, connect: Callable[[], object]) -> None:
        self._connect = connect  # a context manager factory lending a connection
        self._forms: dict[str, tuple[frozenset[str], str]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def lent(self, conn: psycopg.Connection) -> Iterator[None]:
        """Look words up through `conn` (the caller's) in this thread meanwhile: a keystroke
        borrows one connection from the pool, not one per step."""
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = None

    def forms(self, words: Iterable[str]) -> dict[str, tuple[frozenset[str], str]]:
        wanted = set(words)
        with self._lock:
            missing = [w for w in wanted if w not in self._forms]
        if missing:
            lent = getattr(self._local, "conn", None)
            if lent is not None:
                rows = lent.execute(_FORMS, (missing,)).fetchall()
            else:
                with self._connect() as conn:  # type: ignore[attr-defined]
                    rows = conn.execute(_FORMS, (missing,)).fetchall()
            with self._lock:
                if len(self._forms) + len(rows) > _KEPT:
                    self._forms.clear()
                for word, lexemes, simple in rows:
                    self._forms[word] = (frozenset(lexemes), simple)
        with self._lock:
            return {w: self._forms[w] for w in wanted if w in self._forms}


class _Terms:
    def __init__(self, terms: Iterable[str]) -> None:
        self.english: set[str] = set()
        self.prefixes: list[str] = []
        self.exact: set[str] = set()
        for term in terms:
            if term.endswith(PREFIX):
                self.prefixes.append(term[:-1])
            elif term.startswith("="):
                self.exact.add(term[1:])
            else:
                self.english.add(term)

    def __bool__(self) -> bool:
        return bool(self.english or self.prefixes or self.exact)

    def matches(self, form: tuple[frozenset[str], str]) -> str | None:
        """The term a word with this form matches (for counting distinct terms), else None."""
        lexemes, simple = form
        for lexeme in lexemes:
            if lexeme in self.english:
                return lexeme
        if simple in self.exact:
            return "=" + simple
        for prefix in self.prefixes:
            if simple.startswith(prefix):
                return prefix + PREFIX
        return None


def _fold_table() -> dict[int, str]:
    """Accented Latin letters to their base letter, one character for one (offsets stay)."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[:1]
        if base.isascii() and base.isalpha() and base != chr(code):
            table[code] = base.lower()
    return table


_FOLD = _fold_table()
_FOLDED = re.compile("[{}]".format("".join(chr(code) for code in sorted(_FOLD))))


def _folded(lowered: str) -> str:
    """`lowered.translate(_FOLD)`, letter by letter only where there is something to fold
    (str.translate looks every character of a long body up in the table: 0.2 ms a snippet)."""
    if _FOLDED.search(lowered) is None:
        return lowered
    return _FOLDED.sub(lambda m: _FOLD[ord(m.group())], lowered)


@lru_cache(maxsize=512)
def _beginnings(beginnings: frozenset[str]) -> re.Pattern[str]:
    """`beginnings` and the rest of the word after them, in a folded text (inside a word too: a
    pattern that starts with its literal is searched for four times faster than one behind an
    assertion, so the caller drops the matches preceded by a letter)."""
    alternatives = "|".join(re.escape(b) for b in sorted(beginnings, key=lambda b: (-len(b), b)))
    return re.compile(rf"(?:{alternatives})\w*")


def _word_starts(pattern: re.Pattern[str], folded: str) -> list[tuple[int, int]]:
    """The spans of the words of `folded` that `pattern` matches from their first letter."""
    found: list[tuple[int, int]] = []
    for match in pattern.finditer(folded):
        start = match.start()
        if start:
            before = folded[start - 1]
            if before.isalnum() or before == "_":
                continue
        found.append((start, match.end()))
    return found


# Each body's folded text and each term's places in it, kept by the body's key (article id and
# version): typing asks for the same rows again with one term changed (the word being typed), so
# only that term is looked for again.
_SPANS: dict[tuple[object, str], list[tuple[int, int]]] = {}
_FOLDS: dict[object, str] = {}
_SPANS_KEPT = 50_000
_SPANS_LOCK = threading.Lock()


def places(text: str, terms: Iterable[str], lexicon: Lexicon, key: object = None) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word of `text` that a term matches; `key` names the text for
    the cache of each term's places (a body of one version of an article).

    Only words that begin like a term are looked up (a stem, a prefix and a word as written all
    share their first letters with the words they match, once case and accents are folded): the
    regex engine skips the rest of a long article in C. A word matching several terms counts as
    the first: an English lexeme, then a word as written, then a prefix, as typed."""
    wanted = _Terms(terms)
    if not wanted:
        return []
    folded = _FOLDS.get(key) if key is not None else None
    if folded is None:
        folded = _folded(text.lower())
        if key is not None:
            with _SPANS_LOCK:
                if len(_FOLDS) > _SPANS_KEPT // 10:
                    _FOLDS.clear()
                _FOLDS[key] = folded
    if len(folded) != len(text):  # a letter whose lower case is longer: offsets would drift
        return _every_word(text, wanted, lexicon)
    ordered = [*sorted(wanted.english), *("=" + w for w in sorted(wanted.exact)), *(p + PREFIX for p in wanted.prefixes)]
    spans: dict[str, list[tuple[int, int]]] = {}
    if key is not None:
        with _SPANS_LOCK:
            spans = {term: _SPANS[(key, term)] for term in ordered if (key, term) in _SPANS}
    missing = [term for term in ordered if term not in spans]
    if missing:
        found = _term_spans(text, folded, missing, lexicon)
        spans.update(found)
        if key is not None:
            with _SPANS_LOCK:
                if len(_SPANS) + len(found) > _SPANS_KEPT:
                    _SPANS.clear()
                _SPANS.update(((key, term), value) for term, value in found.items())
    chosen: dict[int, tuple[int, str]] = {}
    for term in ordered:
        for start, end in spans[term]:
            chosen.setdefault(start, (end, term))
    return [(start, end, term) for start, (end, term) in sorted(chosen.items())]


def _term_spans(text: str, folded: str, terms: list[str], lexicon: Lexicon) -> dict[str, list[tuple[int, int]]]:
    """Each term's places in `text` (`folded`: its lower case with accents folded)."""
    candidates: dict[str, list[tuple[int, int]]] = {}
    local: dict[str, tuple[frozenset[str], str]] = {}
    asked: set[str] = set()
    for term in terms:
        english = not (term.endswith(PREFIX) or term.startswith("="))
        begin = term if english else term[:-1] if term.endswith(PREFIX) else term[1:]
        # A stem can end otherwise than its words (story: stori); a prefix or a word as written
        # of ASCII letters is the beginning of the folded word itself (where unaccent and the
        # fold differ, a ligature or ß, it is looked for by its first letters).
        if english or not begin.isascii():
            begin = begin[:3]
        found = _word_starts(_beginnings(frozenset((begin,))), folded) if begin else []
        candidates[term] = found
        for start, end in found:
            word = text[start:end]
            if word in asked or (not english and word in local):
                continue
            # A word that may carry an English term needs the server's analysis; beside a prefix
            # or a word as written its form as written is enough, and a word of ASCII letters and
            # digits is its own form in lower case (unaccent leaves ASCII alone).
            if not english and word.isascii() and word.isalnum():
                local[word] = (frozenset(), word.lower())
            else:
                asked.add(word)
                local.pop(word, None)
    forms = lexicon.forms(asked) if asked else {}
    for word, form in local.items():
        forms.setdefault(word, form)
    result: dict[str, list[tuple[int, int]]] = {}
    for term in terms:
        single = _Terms((term,))
        result[term] = [(start, end) for start, end in candidates[term]
                        if (form := forms.get(text[start:end])) is not None and single.matches(form) is not None]
    return result


def _every_word(text: str, wanted: _Terms, lexicon: Lexicon) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    forms = lexicon.forms({text[start:end] for start, end in found})
    result: list[tuple[int, int, str]] = []
    for start, end in found:
        form = forms.get(text[start:end])
        term = wanted.matches(form) if form is not None else None
        if term is not None:
            result.append((start, end, term))
    return result


def highlight(text: str, terms: Iterable[str], lexicon: Lexicon) -> list[tuple[int, int]]:
    return [(start, end) for start, end, _ in places(text, terms, lexicon)]


def make_snippet(text: str, terms: Iterable[str], lexicon: Lexicon, width: int = WIDTH, key: object = None) -> Snippet:
    """The `width` characters of `text` holding the most different terms (then the most hits),
    cut as every engine's are (reader.core.snippets); `key` names the text (see `places`)."""
    text = text[:SNIPPET_SCAN_CHARS]
    return snippet_around(text, places(text, terms, lexicon, key), width)


def snippet_rows(conn: psycopg.Connection, ids: list[str]) -> dict[str, tuple[int, str]]:
    """The bodies snippets are cut from, with their version (search.VERSION), by article id."""
    rows = conn.execute("SELECT id, xmin::text::bigint, left(body, %s) FROM reader.articles WHERE id = ANY(%s)",
                        (SNIPPET_SCAN_CHARS, ids))
    return {article_id: (int(version), body) for article_id, version, body in rows}
