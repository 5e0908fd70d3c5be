"""Titles for what is typed in "open by title" (Ctrl+O): any word order, prefixes while typing,
typos; the similarity scores are rapidfuzz's, and this module imports no Textual.

Scoring every title with a token scorer (`process.extract(..., fuzz.WRatio)`) costs 65 ms of CPU at
20,000 titles, `token_set_ratio` 25 ms, and both rank short partial matches oddly (a typed word
inside a longer one scores like a whole word). So the query's words are matched against the
titles' distinct words instead (about as many words as titles, each a few letters): a word typed
is the start of a title word (a bisect in the sorted words), or, from 4 letters on, close to one
by rapidfuzz's `fuzz.ratio`. Titles holding every word typed are then ranked in tiers:

1. the exact title (after `rapidfuzz.utils.default_process`: case and punctuation ignored);
2. titles where every typed word starts one of their words, in any order;
3. titles where every typed word starts or is close to one of their words (typos);
4. with several words typed, titles with all but one of them.

Inside a tier, rapidfuzz ranks: `token_sort_ratio` (the typed words against all the title's words,
so a title with fewer other words comes first), then `ratio` in the typed order, and in the typo
tiers how close the words were. Only a tier that is reached is computed: while typing, the first
two usually fill the palette and the fuzzy search over the words never runs.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

# A typed word this long or longer may also match title words close to it (a typo), not just
# those it starts: shorter words are close to too many others to help.
FUZZY_MIN_LETTERS = 4
# How close (rapidfuzz `fuzz.ratio`, 0-100) a title word must be to a typed word to count:
# one letter wrong or missing in a 5-letter word scores 80, in a 4-letter word 75 to 86.
WORD_CUTOFF = 75
# Candidates of one tier ranked fully (the rest by token_sort_ratio alone): a margin over the
# number shown, so the second scorer can still reorder them.
RERANK_FACTOR = 3
TIERS = 4
# Typed words whose close title words are kept (a few sessions of typing).
CLOSE_CACHE_WORDS = 256

_WORD = re.compile(r"[^\W_]+")  # the words default_process keeps (letters and digits)


def normalise(text: str) -> str:
    """`text` as titles are compared: rapidfuzz's default_process (lower case, punctuation to
    spaces) with runs of spaces made one."""
    return " ".join(default_process(text).split())


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """One title found for a query."""

    score: float
    """0 to 1, higher is better: the tier (exact, all words, typos, all but one) and inside it
    rapidfuzz's scores, so Textual's palette can sort hits by it."""
    article_id: str
    """The article's id."""
    title: str
    """The title as stored (for display; never markup)."""
    words: dict[str, int]
    """Normalised title words matched, each with how many of its letters to highlight (the typed
    prefix, or the whole word when it matched as a typo)."""


class TitleIndex:
    """The archive's titles prepared for matching, in two steps, both off the UI thread: building
    it normalises the titles (enough to tell repeated ones apart: about 30 ms of CPU at 20,000);
    `prepare_words` sorts their words and lists which titles hold each (about 100 ms more), and
    the first search runs it if nobody has yet."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs: list[tuple[str, str]] = list(pairs)
        self._norms: list[str] = [normalise(title) for _, title in self.pairs]
        by_norm: dict[str, list[int]] = defaultdict(list)
        for at, norm in enumerate(self._norms):
            by_norm[norm].append(at)
        self._by_norm = dict(by_norm)
        self._at = {article_id: at for at, (article_id, _) in enumerate(self.pairs)}
        self._words_lock = threading.Lock()
        self._words_ready = False
        self._sorted: list[str] = []
        self._postings: dict[str, list[int]] = {}
        self._vocabulary: list[str] = []
        self._by_length: dict[int, list[str]] = {}
        # The words close to each typed word, kept while typing: each keystroke asks again for
        # the words typed before it.
        self._close_cache: dict[str, dict[str, float]] = {}

    def prepare_words(self) -> None:
        """The titles' words sorted, and which titles hold each (once; thread-safe)."""
        with self._words_lock:
            if self._words_ready:
                return
            self._sorted = [" ".join(sorted(norm.split())) for norm in self._norms]
            postings: dict[str, list[int]] = defaultdict(list)
            for at, norm in enumerate(self._norms):
                for word in set(norm.split()):
                    postings[word].append(at)
            self._postings = dict(postings)
            self._vocabulary = sorted(self._postings)
            by_length: dict[int, list[str]] = defaultdict(list)
            for word in self._vocabulary:
                by_length[len(word)].append(word)
            self._by_length = dict(by_length)
            self._words_ready = True

    def __len__(self) -> int:
        return len(self.pairs)

    def shares_title(self, article_id: str) -> bool:
        """Whether another article has the same title (once normalised): the palette then says
        which one this is."""
        at = self._at.get(article_id)
        return at is not None and len(self._by_norm[self._norms[at]]) > 1

    def search(self, query: str, limit: int) -> list[TitleMatch]:
        """The best `limit` titles for `query`, best first (empty when nothing is typed)."""
        typed = normalise(query)
        words = list(dict.fromkeys(typed.split()))
        if not words or limit <= 0:
            return []
        self.prepare_words()
        found: list[TitleMatch] = []
        taken: set[int] = set()
        exact = self._by_norm.get(typed, [])
        prefixes = [self._starting(word) for word in words]
        found += self._ranked(typed, words, exact, None, TIERS - 1, limit, taken)
        if len(found) < limit:
            both = _intersection([set().union(*(self._postings[w] for w in starts)) for starts in prefixes])
            found += self._ranked(typed, words, both, None, TIERS - 2, limit - len(found), taken)
        if len(found) < limit:
            # Typos: each typed word also matches title words close to it.
            close = [self._close(word, starts) for word, starts in zip(words, prefixes)]
            holders = [self._holders(starts, near) for starts, near in zip(prefixes, close)]
            every = _intersection([set(h) for h in holders])
            found += self._ranked(typed, words, every, close, TIERS - 3, limit - len(found), taken)
            if len(found) < limit and len(words) > 1:
                counts = Counter(at for h in holders for at in h)
                most = [at for at, n in counts.items() if n == len(words) - 1]
                found += self._ranked(typed, words, most, close, TIERS - 4, limit - len(found), taken)
        return found

    # --- the steps --------------------------------------------------------------------------------

    def _starting(self, word: str) -> list[str]:
        """The title words `word` starts (itself included)."""
        low = bisect.bisect_left(self._vocabulary, word)
        high = bisect.bisect_left(self._vocabulary, word + "\U0010ffff", low)
        return self._vocabulary[low:high]

    def _close(self, word: str, starts: list[str]) -> dict[str, float]:
        """Title words close to `word` by rapidfuzz's ratio (those it starts left out)."""
        if len(word) < FUZZY_MIN_LETTERS:
            return {}
        near = self._close_cache.get(word)
        if near is None:
            # ratio = 2 * common / (len(a) + len(b)) reaches the cutoff only between these lengths.
            share = WORD_CUTOFF / 100
            shortest = math.ceil(len(word) * share / (2 - share))
            longest = math.floor(len(word) * (2 - share) / share)
            choices = list(chain.from_iterable(self._by_length.get(n, ()) for n in range(shortest, longest + 1)))
            found = process.extract(word, choices, scorer=fuzz.ratio, processor=None,
                                    score_cutoff=WORD_CUTOFF, limit=None)
            near = {other: score for other, score, _ in found}
            if len(self._close_cache) >= CLOSE_CACHE_WORDS:
                self._close_cache.clear()
            self._close_cache[word] = near
        begun = set(starts)
        return {other: score for other, score in near.items() if other not in begun}

    def _holders(self, starts: list[str], near: dict[str, float]) -> dict[int, float]:
        """Title position -> how well the typed word matched one of its words (100: it starts one)."""
        held: dict[int, float] = {}
        for other, score in sorted(near.items(), key=lambda item: item[1]):  # the best last wins
            for at in self._postings[other]:
                held[at] = score
        for other in starts:
            for at in self._postings[other]:
                held[at] = 100.0
        return held

    def _ranked(self, typed: str, words: list[str], candidates: Iterable[int],
                close: list[dict[str, float]] | None, tier: int, limit: int, taken: set[int]) -> list[TitleMatch]:
        """The best `limit` of `candidates` not `taken` yet, as matches of this tier (added to `taken`)."""
        fresh = [at for at in candidates if at not in taken]
        if not fresh or limit <= 0:
            return []
        # rapidfuzz picks the closest by the word sets first (over every candidate, in C) ...
        ordered = " ".join(sorted(words))
        shortlist = process.extract(ordered, {at: self._sorted[at] for at in fresh}, scorer=fuzz.ratio,
                                    processor=None, limit=limit * RERANK_FACTOR)
        scored: list[tuple[float, int, dict[str, int]]] = []
        for _, shape, at in shortlist:
            # ... then the typed words as typed, found in the title in that order, how much of the
            # title words they cover and, in the typo tiers, how close each was.
            order = fuzz.partial_ratio(typed, self._norms[at])
            matched, closeness, covered = self._matched_words(at, words, close)
            if close is None:
                blend = 0.45 * shape + 0.35 * order + 0.2 * covered
            else:
                blend = 0.4 * closeness + 0.25 * shape + 0.2 * order + 0.15 * covered
            scored.append(((tier + 0.99 * blend / 100) / TIERS, at, matched))
        scored.sort(key=lambda item: (-item[0], len(self._norms[item[1]]), item[1]))
        best = scored[:limit]
        taken.update(at for _, at, _ in best)
        return [TitleMatch(score, *self.pairs[at], matched) for score, at, matched in best]

    def _matched_words(self, at: int, words: list[str],
                       close: list[dict[str, float]] | None) -> tuple[dict[str, int], float, float]:
        """The title's words each typed word matched (with the letters to highlight); the mean
        closeness of the typed words (100 when each starts a title word, 0 for a missing one); and
        how much of the matched title words the typed letters cover (0-100: "bike" covers "bike"
        more than "bikes")."""
        own = set(self._norms[at].split())
        matched: dict[str, int] = {}
        total = 0.0
        for n, word in enumerate(words):
            best = 0.0
            for other in own:
                if other.startswith(word):
                    matched[other] = max(matched.get(other, 0), len(word))
                    best = 100.0
                elif close is not None and other in close[n]:
                    matched.setdefault(other, len(other))
                    best = max(best, close[n][other])
            total += best
        typed_letters = sum(len(word) for word in words)
        matched_letters = sum(len(other) for other in matched) or 1
        return matched, total / len(words), 100.0 * min(1.0, typed_letters / matched_letters)


def _intersection(sets: Sequence[set[int]]) -> set[int]:
    if not sets:
        return set()
    ordered = sorted(sets, key=len)
    return ordered[0].intersection(*ordered[1:])


def match_spans(title: str, words: dict[str, int]) -> list[tuple[int, int]]:
    """(start, end) offsets in `title` of the letters to highlight for matched `words` (from a
    `TitleMatch`), found in the title as written."""
    spans: list[tuple[int, int]] = []
    for found in _WORD.finditer(title):
        key = default_process(found.group())
        letters = words.get(key)
        if letters and len(key) == len(found.group()):  # lower() kept the length: offsets line up
            spans.append((found.start(), found.start() + min(letters, len(key))))
    return spans
