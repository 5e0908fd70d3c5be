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
from collections.abc import Callable, Iterable
from functools import lru_cache

import psycopg

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

    def forms(self, words: Iterable[str]) -> dict[str, tuple[frozenset[str], str]]:
        wanted = set(words)
        with self._lock:
            missing = [w for w in wanted if w not in self._forms]
        if missing:
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
    begun and ended at word breaks, whitespace collapsed, with the hits' spans."""
    text = text[:SNIPPET_SCAN_CHARS]
    found = places(text, terms, lexicon)
    if not found:
        return Snippet(" ".join(text[: width * 2].split())[:width])
    best = (0, 0, 0)
    best_first = best_last = 0
    last = 0
    for first in range(len(found)):
        limit = found[first][0] + width
        last = max(last, first)
        while last + 1 < len(found) and found[last + 1][1] <= limit:
            last += 1
        inside = found[first : last + 1]
        score = (len({place[2] for place in inside}), len(inside), -first)
        if score > best:
            best, best_first, best_last = score, first, last
    chosen = found[best_first : best_last + 1]
    used = chosen[-1][1] - chosen[0][0]
    start = max(0, chosen[0][0] - max(0, (width - used) // 3))
    if start:
        space = text.find(" ", start, chosen[0][0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + max(width, used))
    if end < len(text):
        space = text.rfind(" ", chosen[-1][1], end)
        end = space if space >= 0 else max(end, chosen[-1][1])
    return _collapse(text, start, end, [(s, e) for s, e, _ in chosen])


_MARK_START, _MARK_END = "\x02", "\x03"  # article text never holds controls (article.safe_text)


def _collapse(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> Snippet:
    """text[start:end] with whitespace collapsed, and the spans moved with it."""
    pieces: list[str] = []
    cursor = start
    for span_start, span_end in spans:
        pieces += [text[cursor:span_start], _MARK_START, text[span_start:span_end], _MARK_END]
        cursor = span_end
    pieces.append(text[cursor:end])
    plain: list[str] = []
    moved: list[tuple[int, int]] = []
    length = opened = 0
    for part in re.split(f"([{_MARK_START}{_MARK_END}])", " ".join("".join(pieces).split())):
        if part == _MARK_START:
            opened = length
        elif part == _MARK_END:
            moved.append((opened, length))
        else:
            plain.append(part)
            length += len(part)
    return Snippet("".join(plain), tuple(moved))


def snippet_rows(conn: psycopg.Connection, ids: list[str]) -> dict[str, str]:
    """The bodies snippets are cut from, by article id."""
    rows = conn.execute("SELECT id, left(body, %s) FROM reader.articles WHERE id = ANY(%s)",
                        (SNIPPET_SCAN_CHARS, ids))
    return {article_id: body for article_id, body in rows}
