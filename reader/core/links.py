"""Title normalisation and link resolution: which stored articles a link's title names.

A link names a story by its title, but rarely byte for byte: U+00A0 for spaces, curly for straight
quotes, en dashes for hyphens, other case. `title_key` folds those away; an exact key match resolves
the link. Failing that, `loose_key` also drops punctuation and accents, and a close edit-similarity
is tried last; both are marked approximate. Resolution happens when a link is read, against the
titles stored now, so a target added later resolves old links without re-reading them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Protocol

from reader.core.title_keys import KeyedIds

_FOLD = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        "…": "...",
    }
)
_DIGITS = re.compile(r"\d+")

# How alike two titles must be to be taken as the same story when their keys differ.
SIMILARITY_THRESHOLD = 0.9
# Below this length a one-letter difference is a different word, not a typo.
MIN_FUZZY_LENGTH = 16


def title_key(title: str) -> str:
    """The form titles are compared in: NFKC, case-folded, quotes and dashes unified, one space."""
    if title.isascii():  # the same result, without the Unicode steps that change nothing here
        return " ".join(title.lower().replace("`", "'").split())  # ` is the one ASCII character _FOLD maps
    folded = unicodedata.normalize("NFKC", title).casefold().translate(_FOLD)
    return " ".join(folded.split())


def loose_key(title: str) -> str:
    """`title_key` without accents, punctuation or spaces: the fallback for near-identical titles."""
    return loose_of_key(title_key(title))


# Every ASCII byte but letters and digits: bytes.translate deletes them ten times faster than re.sub
# (backlinks make the loose key of every link of every candidate article).
_NOT_ASCII_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())


def loose_of_key(key: str) -> str:
    """`loose_key` of a title whose `title_key` is already known."""
    if key.isascii():
        return key.encode("ascii").translate(None, _NOT_ASCII_ALNUM).decode("ascii")
    decomposed = unicodedata.normalize("NFKD", key)
    return "".join(c for c in decomposed if c.isalnum())


# At most this many single-letter edits separate two spellings of one title.
MAX_EDITS = 2


def edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """Whether the Levenshtein distance of `a` and `b` is at most `limit` (rapidfuzz's, which
    stops once past the limit; imported here, not by every command that never compares titles)."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b, score_cutoff=limit) <= limit


def is_close(a: str, b: str) -> bool:
    """Whether two different keys are near enough to be one story's title spelt two ways.

    Strict on purpose: titles of different stories often share a long prefix ("Baby P: Lost
    confidence" / "Baby P: Recruitment impact"), and numbered parts differ in one digit. So: both
    long, the same numbers, at most `MAX_EDITS` letters apart and 90% alike.
    """
    # Cheapest tests first: backlinks ask this of every link of every candidate article.
    if abs(len(a) - len(b)) > MAX_EDITS or min(len(a), len(b)) < MIN_FUZZY_LENGTH:
        return False
    if _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    if not edit_distance_at_most(a, b, MAX_EDITS):
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return (
        matcher.real_quick_ratio() >= SIMILARITY_THRESHOLD
        and matcher.quick_ratio() >= SIMILARITY_THRESHOLD
        and matcher.ratio() >= SIMILARITY_THRESHOLD
    )


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a link leads."""

    targets: tuple[str, ...]
    """Ids of the stored articles it names: none (dangling), one, or several with the same title."""
    approximate: bool = False
    """True when no title matched exactly and the targets are the closest match."""

    @property
    def dangling(self) -> bool:
        return not self.targets


DANGLING = Resolution(())


class TitleLookup(Protocol):
    """What resolution needs to know about the stored titles."""

    def ids_for_key(self, key: str) -> tuple[str, ...]:
        """Ids whose `title_key` equals `key`."""
        ...

    def ids_for_loose(self, loose: str) -> tuple[str, ...]:
        """Ids whose `loose_key` equals `loose`."""
        ...

    def similar_titles(self, text: str, limit: int) -> Iterable[tuple[str, str]]:
        """Up to `limit` (id, title) pairs whose title keys are at most `MAX_EDITS` edits from
        `text`'s, nearest first (then by id): the candidates `is_close` then judges."""
        ...

    def title_of(self, article_id: str) -> str | None:
        """The stored title of an article."""
        ...


def resolve(text: str, titles: TitleLookup) -> Resolution:
    """Resolve one link title against the stored titles."""
    key = title_key(text)
    exact = titles.ids_for_key(key)
    if len(exact) > 1:
        # Titles that differ only in case or quotes are different stories when one is spelt
        # exactly as the link is ("Re: X" and "RE: X" in a newsgroup).
        spelt = " ".join(text.split())
        same = tuple(i for i in exact if " ".join((titles.title_of(i) or "").split()) == spelt)
        exact = same or exact
    if exact:
        return Resolution(exact)
    loose = loose_key(text)
    if loose:
        near = titles.ids_for_loose(loose)
        if near:
            return Resolution(near, approximate=True)
    best: list[str] = []
    for article_id, title in titles.similar_titles(text, limit=12):
        if is_close(key, title_key(title)):
            best.append(article_id)
    return Resolution(tuple(best), approximate=True) if best else DANGLING


class TitleTable:
    """An in-memory `TitleLookup` over (id, title) pairs; the index's lookup builds on it."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._by_key = KeyedIds()
        self._by_loose = KeyedIds()
        self._titles: dict[str, str] = {}
        self._by_length: dict[int, list[str]] | None = None  # keys by length, for the first fuzzy lookup
        # Titles added but not yet keyed: keying 100k titles takes a second, which listing the
        # archive does not need; the first lookup by key does it (once, under the lock).
        self._unkeyed: list[tuple[str, str, str | None, str | None]] = []
        self._lock = threading.Lock()
        for article_id, title in pairs:
            self.add(article_id, title)

    def add(self, article_id: str, title: str, key: str | None = None, loose: str | None = None) -> None:
        with self._lock:
            self._titles[article_id] = title
            self._unkeyed.append((article_id, title, key, loose))
            self._by_length = None

    def _keyed(self) -> None:
        if not self._unkeyed:
            return
        with self._lock:
            pending, self._unkeyed = self._unkeyed, []
            keys = [key if key is not None else title_key(title) for _, title, key, _ in pending]
            ids = [article_id for article_id, _, _, _ in pending]
            self._by_key.extend(keys, ids)
            looses = [loose if loose is not None else loose_of_key(key) for key, (_, _, _, loose) in zip(keys, pending)]
            kept = [number for number, loose in enumerate(looses) if loose]  # an empty loose key names nothing
            self._by_loose.extend([looses[n] for n in kept], [ids[n] for n in kept])

    def __len__(self) -> int:
        return len(self._titles)

    def title_of(self, article_id: str) -> str | None:
        return self._titles.get(article_id)

    def items(self) -> Iterable[tuple[str, str]]:
        return self._titles.items()

    def ids_for_key(self, key: str) -> tuple[str, ...]:
        self._keyed()
        return self._by_key.get(key)

    def ids_for_loose(self, loose: str) -> tuple[str, ...]:
        self._keyed()
        return self._by_loose.get(loose)

    def similar_titles(self, text: str, limit: int) -> list[tuple[str, str]]:
        key = title_key(text)
        if len(key) < MIN_FUZZY_LENGTH:  # is_close takes none of them
            return []
        if self._by_length is None:
            self._keyed()
            with self._lock:
                by_length: dict[int, list[str]] = defaultdict(list)
                for stored in self._by_key:
                    by_length[len(stored)].append(stored)
                self._by_length = by_length
        # Only keys whose length is within MAX_EDITS can be that close; rapidfuzz measures them
        # in C (a table of every title's words took 0.5 s to build at 100k titles, paid by the
        # first dangling link of a session, and found candidates by shared words, not edits).
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        candidates = [stored for length in range(len(key) - MAX_EDITS, len(key) + MAX_EDITS + 1)
                      for stored in self._by_length.get(length, ())]
        near = process.extract(key, candidates, scorer=Levenshtein.distance, score_cutoff=MAX_EDITS, limit=None)
        ranked = sorted((distance, article_id) for stored, distance, _ in near for article_id in self._by_key.ids_of(stored))
        return [(article_id, self._titles[article_id]) for _, article_id in ranked[:limit]]
