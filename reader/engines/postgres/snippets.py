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

from reader.core.snippets import snippet_around
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
            if term.endswith("*"):
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
                return prefix + "*"
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


@lru_cache(maxsize=256)
def _beginnings(beginnings: frozenset[str]) -> re.Pattern[str]:
    """Words of a folded text starting with one of `beginnings`."""
    alternatives = "|".join(re.escape(b) for b in sorted(beginnings, key=lambda b: (-len(b), b)))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*")


def places(text: str, terms: Iterable[str], lexicon: Lexicon) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word of `text` that a term matches.

    Only words that begin like a term are looked up (a stem, a prefix and a word as written all
    share their first letters with the words they match, once case and accents are folded): the
    regex engine skips the rest of a long article in C."""
    wanted = _Terms(terms)
    if not wanted:
        return []
    folded = text.lower().translate(_FOLD)
    if len(folded) == len(text):
        starts = {term[:3] for term in (*wanted.english, *wanted.prefixes, *wanted.exact) if term}
        found = [(m.start(), m.end()) for m in _beginnings(frozenset(starts)).finditer(folded)]
    else:  # a letter whose lower case is longer: offsets would drift, so look at every word
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


def make_snippet(text: str, terms: Iterable[str], lexicon: Lexicon, width: int = WIDTH) -> Snippet:
    """The `width` characters of `text` holding the most different terms (then the most hits),
    cut as every engine's are (reader.core.snippets)."""
    text = text[:SNIPPET_SCAN_CHARS]
    return snippet_around(text, places(text, terms, lexicon), width)






def snippet_rows(conn: psycopg.Connection, ids: list[str]) -> dict[str, str]:
    """The bodies snippets are cut from, by article id."""
    rows = conn.execute("SELECT id, left(body, %s) FROM reader.articles WHERE id = ANY(%s)",
                        (SNIPPET_SCAN_CHARS, ids))
    return {article_id: body for article_id, body in rows}
