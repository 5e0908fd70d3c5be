"""Deterministic benchmark query sets drawn from an archive folder (generated or real).

All sets come from words sampled out of at most `max_files` (default 2,000) article files, so
building them costs well under a second even on a 100k archive. The same (archive, n, seed)
always gives the same queries. Queries use Whoosh query syntax: `"a b"` phrases,
`AND`/`OR`/`NOT` with parentheses, and `word~` / `word~2` fuzzy terms.

Words are picked as a user would type them: lower case, letters only, at least 3 letters, no
stop words, and mostly mid-frequency (found in 0.2%-10% of sampled articles; some rarer, a
few commoner). Words of one query come from the same article, so AND queries have hits.
"""

from __future__ import annotations

import functools
import os
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_LETTERS = re.compile(r"[^\W\d_]+")
_WORD3 = re.compile(r"[^\W\d_]{3,}")  # maximal letter runs of 3+: the same as filtering _LETTERS
# Splits a line into runs that a phrase may span: any non-letter other than whitespace ends one.
_RUN_BREAK = re.compile(r"[^\w\s]|[\d_]")
STOP_WORDS = frozenset("""
a about after again all also am an and any are as at be been before being but by can could
did do does doing for from had has have he her here hers him his how i if in into is it its
may me more most my no nor not of off on once one only or other our ours out over own said
same she should so some such tbd than that the their theirs them then there these they this
those through to too two under until up us very was we were what when where which while who
whom why will with would yet you your yours
""".split())  # noqa: SIM905 - a word list reads better as text
_BANDS = ("mid", "rare", "common")
_BAND_WEIGHTS = (0.75, 0.15, 0.10)


@dataclass(frozen=True)
class _Doc:
    words: tuple[str, ...]  # distinct candidate query words of the article, in first-seen order
    text: str  # case-folded text, split into phrase runs only when a phrase is drawn from it

    def runs(self) -> list[list[str]]:
        """Word runs not broken by punctuation or digits, where a phrase may be taken."""
        return [run.split() for line in self.text.splitlines() for run in _RUN_BREAK.split(line) if run.strip()]


@dataclass(frozen=True)
class _Sample:
    docs: tuple[_Doc, ...]
    band: dict[str, str]  # candidate word -> "rare" | "mid" | "common"
    vocabulary: tuple[str, ...]  # every candidate word, sorted (for OR/NOT partners)


def _article_files(archive_dir: Path) -> list[str]:
    with os.scandir(archive_dir) as entries:
        return sorted(e.name for e in entries if e.name.endswith(".txt") and not e.name.startswith("."))


@functools.lru_cache(maxsize=8)
def _sample(archive_dir: str, max_files: int, seed: int) -> _Sample:
    names = _article_files(Path(archive_dir))
    if not names:
        raise ValueError(f"{archive_dir}: no .txt articles")
    rng = random.Random(f"sample:{seed}")
    picked = sorted(rng.sample(names, min(max_files, len(names))))
    docs: list[_Doc] = []
    df: Counter[str] = Counter()
    for name in picked:
        text = Path(archive_dir, name).read_text(encoding="utf-8", errors="replace").casefold()
        words = tuple(w for w in dict.fromkeys(_WORD3.findall(text)) if w not in STOP_WORDS)
        df.update(words)
        docs.append(_Doc(words, text))
    n = len(docs)
    band: dict[str, str] = {}
    for word, count in df.items():
        share = count / n
        if n < 20:  # too few articles for frequencies to mean anything
            band[word] = "mid"
        elif share <= 0.5:  # above: boilerplate and near-stop words, which nobody searches for
            band[word] = "rare" if share <= 0.002 else "mid" if share <= 0.10 else "common"
    return _Sample(tuple(docs), band, tuple(sorted(band)))


def _pick_words(sample: _Sample, rng: random.Random, doc: _Doc, k: int) -> list[str]:
    """Up to `k` distinct words of `doc`, each from a frequency band drawn with _BAND_WEIGHTS."""
    by_band: dict[str, list[str]] = {b: [] for b in _BANDS}
    for w in doc.words:
        if w in sample.band:
            by_band[sample.band[w]].append(w)
    chosen: list[str] = []
    for _ in range(k):
        live = [(b, wt) for b, wt in zip(_BANDS, _BAND_WEIGHTS, strict=True) if by_band[b]]
        if not live:
            break
        b = rng.choices([b for b, _ in live], weights=[wt for _, wt in live])[0]
        word = by_band[b].pop(rng.randrange(len(by_band[b])))
        chosen.append(word)
    return chosen


def _collect(n: int, make: Callable[[random.Random], str], rng: random.Random) -> list[str]:
    """`n` distinct non-empty results of `make(rng)`; repeats allowed only if the archive is tiny."""
    seen: dict[str, None] = {}
    attempts = 0
    while len(seen) < n and attempts < n * 50:
        attempts += 1
        q = make(rng)
        if q:
            seen[q] = None
    out = list(seen)
    while out and len(out) < n:  # too few distinct queries exist: cycle rather than come up short
        out.append(out[len(out) % len(seen)])
    return out


def keystrokes(query: str) -> list[str]:
    """The states of the search box while typing `query`, one per key, skipping those whose
    last token has fewer than 2 letters ("s", "safeguarding h") and those ending in a space."""
    states = []
    for end in range(1, len(query) + 1):
        state = query[:end]
        if not state.endswith(" ") and len(state.rsplit(" ", 1)[-1]) >= 2:
            states.append(state)
    return states


def typeahead_queries(archive_dir: Path, n: int = 200, seed: int = 1, max_files: int = 2000) -> list[str]:
    """`n` distinct final queries of 1-3 words (about 50/35/15%), as typed into the search box."""
    sample = _sample(str(archive_dir), max_files, seed)

    def make(rng: random.Random) -> str:
        doc = rng.choice(sample.docs)
        k = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        return " ".join(_pick_words(sample, rng, doc, k))

    return _collect(n, make, random.Random(f"typeahead:{seed}"))


def typeahead_sequences(archive_dir: Path, n: int = 200, seed: int = 1, max_files: int = 2000) -> list[list[str]]:
    """`n` typing sessions: each final query expanded key by key with `keystrokes`, e.g.
    "safeguarding haringey" -> ["sa", "saf", ..., "safeguarding", "safeguarding ha", ...]."""
    return [keystrokes(q) for q in typeahead_queries(archive_dir, n, seed, max_files)]


def phrase_queries(archive_dir: Path, n: int = 200, seed: int = 1, max_files: int = 2000) -> list[str]:
    """`n` quoted phrases of 2-3 consecutive words from sampled articles, e.g. '"child protection"'.

    A phrase never spans punctuation, starts and ends with a non-stop word of 3+ letters, and
    may have a stop word inside ("protection of children")."""
    sample = _sample(str(archive_dir), max_files, seed)

    def make(rng: random.Random) -> str:
        doc = rng.choice(sample.docs)
        runs = [r for r in doc.runs() if len(r) >= 2]
        if not runs:
            return ""
        run = rng.choice(runs)
        length = min(len(run), rng.choice((2, 2, 3)))
        start = rng.randrange(len(run) - length + 1)
        words = run[start:start + length]
        if not all(_LETTERS.fullmatch(w) for w in words):
            return ""
        if any(w in STOP_WORDS or len(w) < 3 for w in (words[0], words[-1])):
            return ""
        return '"' + " ".join(words) + '"'

    return _collect(n, make, random.Random(f"phrase:{seed}"))


def boolean_queries(archive_dir: Path, n: int = 200, seed: int = 1, max_files: int = 2000) -> list[str]:
    """`n` queries with AND / OR / NOT and parentheses, e.g. "(care OR nursing) AND haringey".

    AND partners come from one article (so they co-occur); OR and NOT partners from anywhere."""
    sample = _sample(str(archive_dir), max_files, seed)

    def other(rng: random.Random) -> str:
        picked = _pick_words(sample, rng, rng.choice(sample.docs), 1)
        return picked[0] if picked else ""

    def make(rng: random.Random) -> str:
        words = _pick_words(sample, rng, rng.choice(sample.docs), 3)
        if len(words) < 3:
            return ""
        a, b, c = words
        d = other(rng)
        if not d:
            return ""
        template = rng.randrange(6)
        if template == 0:
            return f"{a} AND {b}"
        if template == 1:
            return f"{a} OR {d}"
        if template == 2:
            return f"{a} NOT {d}" if d not in (a, b, c) else ""
        if template == 3:
            return f"({a} OR {d}) AND {b}"
        if template == 4:
            return f"{a} AND {b} AND {c}"
        return f"{a} AND ({b} OR {d}) NOT {c}"

    return _collect(n, make, random.Random(f"boolean:{seed}"))


def _typo(word: str, edits: int, rng: random.Random) -> str:
    """`word` with `edits` random single-letter edits (drop, swap-in, insert, transpose),
    never touching the first letter, where typos are rare."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = word
    for _ in range(edits):
        kind = rng.randrange(4 if edits > 1 else 3)  # a transposition costs 2 plain edits
        pos = rng.randrange(1, len(out))
        if kind == 0 and len(out) > 4:
            out = out[:pos] + out[pos + 1:]
        elif kind == 1:
            out = out[:pos] + rng.choice(letters.replace(out[pos], "")) + out[pos + 1:]
        elif kind == 2:
            out = out[:pos] + rng.choice(letters) + out[pos:]
        elif pos < len(out) - 1 and out[pos] != out[pos + 1]:
            out = out[:pos] + out[pos + 1] + out[pos] + out[pos + 2:]
    return out


def fuzzy_queries(archive_dir: Path, n: int = 200, seed: int = 1, max_files: int = 2000) -> list[str]:
    """`n` fuzzy queries: a misspelt word of 5+ letters with `~` (one edit) or `~2` (two),
    about a quarter followed by a second, correctly spelt word, e.g. "safegaurding~2 haringey"."""
    sample = _sample(str(archive_dir), max_files, seed)

    def make(rng: random.Random) -> str:
        doc = rng.choice(sample.docs)
        words = [w for w in _pick_words(sample, rng, doc, 4) if len(w) >= 5]
        if not words:
            return ""
        edits = 2 if rng.random() < 0.2 else 1
        typo = _typo(words[0], edits, rng)
        if typo == words[0]:
            return ""
        query = typo + ("~2" if edits == 2 else "~")
        rest = [w for w in _pick_words(sample, rng, doc, 2) if w != words[0]]
        if rest and rng.random() < 0.25:
            query += " " + rest[0]
        return query

    return _collect(n, make, random.Random(f"fuzzy:{seed}"))


def field_queries(archive_dir: Path, n: int = 200, seed: int = 1, max_files: int = 2000) -> list[str]:
    """`n` field queries: a word of an article's title as `title:word`, about a third followed
    by a word of its body, e.g. "title:haringey safeguarding"."""
    sample = _sample(str(archive_dir), max_files, seed)

    def make(rng: random.Random) -> str:
        doc = rng.choice(sample.docs)
        title = doc.text.split("\n", 1)[0]
        words = [w for w in dict.fromkeys(_WORD3.findall(title)) if w in sample.band]
        if not words:
            return ""
        query = "title:" + rng.choice(words)
        rest = _pick_words(sample, rng, doc, 1)
        if rest and rng.random() < 0.35 and rest[0] not in query:
            query += " " + rest[0]
        return query

    return _collect(n, make, random.Random(f"field:{seed}"))


def misspelt_words(archive_dir: Path, n: int = 200, seed: int = 1, max_files: int = 2000) -> list[str]:
    """`n` words of 5+ letters with one or two typing errors and no `~`: what a user types
    before the page offers "did you mean", e.g. "safegaurding"."""
    sample = _sample(str(archive_dir), max_files, seed)
    known = set(sample.band)

    def make(rng: random.Random) -> str:
        words = [w for w in _pick_words(sample, rng, rng.choice(sample.docs), 3) if len(w) >= 5]
        if not words:
            return ""
        typo = _typo(words[0], 2 if rng.random() < 0.3 else 1, rng)
        return typo if typo not in known else ""

    return _collect(n, make, random.Random(f"misspelt:{seed}"))

