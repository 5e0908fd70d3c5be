"""Command-palette providers: open an article by its title, and run any of reader's actions."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import FuzzySearch
from textual.style import Style

from reader.core.types import IndexDamaged, IndexMissing

if TYPE_CHECKING:
    from reader.core.library import Library


class ReaderApp(Protocol):
    """What the providers use of the app (a Protocol: the palette never imports the app, which
    loads the palette lazily)."""

    index: Library
    recent: Iterable[str]

    def open_article(self, article_id: str) -> None: ...

# The palette shows the best this many titles for a query; scoring them all is cheap, showing not.
MAX_TITLE_HITS = 60
# With an empty box: the recent articles, then this many from the start of the archive.
DISCOVER_FIRST = 20
# Binding ids of reader's own actions start with this.
BINDING_PREFIX = "reader."


def match_title(query: str, title: str) -> tuple[float, list[int]] | None:
    """A fuzzy match of `query` in `title` (case-insensitive): score and matched offsets, or None.

    Linear, unlike textual's FuzzySearch which tries every way letters can match (slow on 100,000
    titles): a substring wins outright; otherwise each letter is taken at its first place after the
    previous one, preferring the start of a word.
    """
    needle = query.casefold().strip()
    hay = title.casefold()
    if not needle or len(hay) != len(title):  # casefold changed lengths (ß): offsets would not match
        hay = title.lower()
        needle = query.lower().strip()
        if not needle or len(hay) != len(title):
            return None
    where = hay.find(needle)
    if where >= 0:
        offsets = list(range(where, where + len(needle)))
        bonus = 2.0 if where == 0 or not hay[where - 1].isalnum() else 1.5
        return _SCORER.score(hay, offsets) * bonus, offsets
    # Several words, in any order ("bridge harbour" is Harbour bridge reopens): each found whole,
    # at the start of a word where it can be; ranked below the words in the title's own order.
    words = needle.split()
    if len(words) > 1:
        anywhere = _words_anywhere(words, hay)
        if anywhere:
            return _SCORER.score(hay, anywhere) * 0.9, anywhere
    # Letters at the starts of words first ("hbr" is Harbour bridge reopens); if that leaves later
    # letters unmatched, plain leftmost (which finds a match whenever there is one).
    offsets = _subsequence(needle, hay, prefer_word_starts=True) or _subsequence(needle, hay, prefer_word_starts=False)
    if not offsets:
        return None
    return _SCORER.score(hay, offsets), offsets


def _words_anywhere(words: list[str], hay: str) -> list[int] | None:
    """Sorted offsets of every word of `words` in `hay`, each in a place no other took (the start
    of a word first, else anywhere), or None when one is missing."""
    taken: set[int] = set()
    for word in sorted(words, key=len, reverse=True):  # the longest first: "bri" not inside "bridge"'s place
        places = [at for at in _places(hay, word) if taken.isdisjoint(range(at, at + len(word)))]
        if not places:
            return None
        at = next((at for at in places if at == 0 or not hay[at - 1].isalnum()), places[0])
        taken.update(range(at, at + len(word)))
    return sorted(taken)


def _places(hay: str, word: str) -> list[int]:
    found: list[int] = []
    at = hay.find(word)
    while at >= 0:
        found.append(at)
        at = hay.find(word, at + 1)
    return found


def _subsequence(needle: str, hay: str, prefer_word_starts: bool) -> list[int] | None:
    offsets: list[int] = []
    position = 0
    for char in needle:
        if char.isspace():
            continue
        found = hay.find(char, position)
        if found < 0:
            return None
        if prefer_word_starts:
            word_start = _next_word_start(hay, char, position)
            if word_start is not None and word_start - found < 40:
                found = word_start
        offsets.append(found)
        position = found + 1
    return offsets


_SCORER = FuzzySearch()


def _next_word_start(hay: str, char: str, position: int) -> int | None:
    index = hay.find(char, position)
    while index >= 0:
        if index == 0 or not hay[index - 1].isalnum():
            return index
        index = hay.find(char, index + 1)
    return None


def best_titles(query: str, titles: Iterable[tuple[str, str]], limit: int = MAX_TITLE_HITS) -> list[tuple[float, str, str, list[int]]]:
    """The `limit` best (score, id, title, offsets) for `query`, best first."""
    scored = []
    for article_id, title in titles:
        found = match_title(query, title)
        if found is not None:
            scored.append((found[0], article_id, title, found[1]))
    return heapq.nlargest(limit, scored, key=lambda item: (item[0], -len(item[2])))


def highlighted(title: str, offsets: Iterable[int], style: Style) -> Content:
    """The title as literal content (never markup) with the matched letters styled."""
    content = Content(title)
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize(style, offset, offset + 1)
    return content


class ArticleTitles(Provider):
    """Every article by title, fuzzy matched; the recent ones when the box is empty."""

    DISCOVER_ARCHIVE = False
    """Whether an empty box also lists the start of the archive after the recent articles."""

    @property
    def reader(self) -> ReaderApp:
        return cast("ReaderApp", self.app)

    async def startup(self) -> None:
        index = self.reader.index

        def load() -> list[tuple[str, str]]:
            try:
                table = index.titles()
                return [(article_id, table.title_of(article_id) or article_id) for article_id in index.article_ids()]
            except (IndexMissing, IndexDamaged):
                return []

        self._titles = await asyncio.to_thread(load)
        self._by_id = dict(self._titles)

    def _open(self, article_id: str) -> Callable[[], None]:
        return partial(self.reader.open_article, article_id)

    async def discover(self) -> Hits:
        recent = [article_id for article_id in self.reader.recent if article_id in self._by_id]
        rest: list[str] = []
        if self.DISCOVER_ARCHIVE:
            rest = [article_id for article_id, _ in self._titles[: DISCOVER_FIRST + len(recent)] if article_id not in recent]
        for article_id in [*recent, *rest[:DISCOVER_FIRST]]:
            title = self._by_id[article_id]
            yield DiscoveryHit(Content(title), self._open(article_id), help=cast(str, Content(article_id)))

    async def search(self, query: str) -> Hits:
        best = await asyncio.to_thread(best_titles, query, self._titles)
        style = self.matcher(query).match_style
        for score, article_id, title, offsets in best:
            # Content, not str: the palette reads a str prompt or help as markup.
            yield Hit(
                score,
                highlighted(title, offsets, style),
                self._open(article_id),
                text=title,
                help=cast(str, Content(article_id)),
            )


class ArticleTitlePicker(ArticleTitles):
    """The "Open article by title" palette: recent articles first, then the archive's first ones."""

    DISCOVER_ARCHIVE = True


class ReaderActions(Provider):
    """Every action reader has a key for on the current screen, by its description."""

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        actions: list[tuple[str, str, Callable[[], object]]] = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or not (binding.id or "").startswith(BINDING_PREFIX):
                continue
            if binding.description in seen or not binding.description:
                continue
            seen.add(binding.description)
            shown = self.app.get_key_display(binding)
            actions.append(
                (binding.description, f"Key: {shown}", partial(self.app.run_action, binding.action, active.node))
            )
        for name, help_text, callback in getattr(self.app, "extra_commands", lambda: [])():
            if name not in seen:
                actions.append((name, help_text, callback))
        return sorted(actions)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._actions():
            yield DiscoveryHit(Content(name), callback, help=cast(str, Content(help_text)))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, highlighted_name(matcher, name), callback, text=name, help=cast(str, Content(help_text)))


def highlighted_name(matcher: object, name: str) -> Content:
    """An action's name with the matched letters styled (our own names, but kept literal too)."""
    found = match_title(getattr(matcher, "query", ""), name)
    style = getattr(matcher, "match_style", Style(reverse=True))
    return highlighted(name, found[1] if found else (), style)
