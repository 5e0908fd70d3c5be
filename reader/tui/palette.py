"""Command-palette providers: open an article by its title, and run any of reader's actions.

Titles are matched by `reader.tui.title_matching` (rapidfuzz); the palette's part is Textual's:
the providers, the match style, and the work kept off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.style import Style

from reader.core.article import SkippedFile
from reader.core.types import IndexDamaged, IndexMissing
from reader.tui.title_matching import TitleIndex, TitleMatch, match_spans

if TYPE_CHECKING:
    from reader.core.library import Library


class ReaderApp(Protocol):
    """What the providers use of the app (a Protocol: the palette never imports the app, which
    loads the palette lazily)."""

    index: Library
    recent: Iterable[str]

    def open_article(self, article_id: str) -> None: ...


# The palette shows the best this many titles for a query; finding them is cheap, showing not.
MAX_TITLE_HITS = 60
# With an empty box: the recent articles, then this many from the start of the archive.
DISCOVER_FIRST = 20
# Binding ids of reader's own actions start with this.
BINDING_PREFIX = "reader."
# A repeated title's hit says which article it is: its id and the start of its first line.
FIRST_LINE_CHARS = 72

_prepared: TitleIndex | None = None
_prepared_lock = threading.Lock()


def prepared_titles(pairs: list[tuple[str, str]]) -> TitleIndex:
    """The titles prepared for matching, reused while they stay the same (each palette opened
    asks again; preparing 20,000 titles costs over 100 ms of CPU)."""
    global _prepared
    with _prepared_lock:
        if _prepared is None or _prepared.pairs != pairs:
            _prepared = TitleIndex(pairs)
        return _prepared


def highlighted(title: str, spans: Iterable[tuple[int, int]], style: Style) -> Content:
    """The title as literal content (never markup: Textual's `Matcher.highlight` would read it as
    markup) with the matched letters in the palette's match style."""
    content = Content(title)
    for start, end in spans:
        content = content.stylize(style, start, end)
    return content


def first_line(library: Library, article_id: str) -> str:
    """The first line of the article's body, cut to FIRST_LINE_CHARS ("" when it cannot be read)."""
    try:
        article = library.read(article_id)
    except (SkippedFile, IndexMissing, IndexDamaged, OSError, KeyError):
        return ""
    for block in article.blocks:
        text = (block.items[0] if block.items else "") if block.kind == "list" else block.text
        line = " ".join(text.strip().split("\n")[0].split())
        if len(line) > FIRST_LINE_CHARS:  # cut at a space, unless one word fills the room
            cut = line[: FIRST_LINE_CHARS - 1]
            line = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"
        if line:
            return line
    return ""


class ArticleTitles(Provider):
    """Every article by title (words in any order, typos forgiven: reader.tui.title_matching);
    the recent ones when the box is empty. Articles sharing a title show their id and first line."""

    DISCOVER_ARCHIVE = False
    """Whether an empty box also lists the start of the archive after the recent articles."""

    @property
    def reader(self) -> ReaderApp:
        return cast("ReaderApp", self.app)

    async def startup(self) -> None:
        index = self.reader.index

        def load() -> TitleIndex:
            try:
                table = index.titles()
                pairs = [(article_id, table.title_of(article_id) or article_id) for article_id in index.article_ids()]
            except (IndexMissing, IndexDamaged):
                pairs = []
            return prepared_titles(pairs)

        self._index = await asyncio.to_thread(load)
        self._by_id = dict(self._index.pairs)
        self._first_lines: dict[str, str] = {}
        # The titles' words are prepared while the box is still empty (the recent articles show
        # at once); a search that comes first waits for them in its own thread.
        self._preparing = asyncio.create_task(asyncio.to_thread(self._index.prepare_words))

    def _open(self, article_id: str) -> Callable[[], None]:
        return partial(self.reader.open_article, article_id)

    def _help(self, article_id: str) -> Content:
        """The id, and for a title other articles share, the first line too (read in a thread)."""
        if not self._index.shares_title(article_id):
            return Content(article_id)
        if article_id not in self._first_lines:
            self._first_lines[article_id] = first_line(self.reader.index, article_id)
        line = self._first_lines[article_id]
        return Content(f"{article_id} · {line}" if line else article_id)

    def _helps(self, article_ids: list[str]) -> list[Content]:
        return [self._help(article_id) for article_id in article_ids]

    async def discover(self) -> Hits:
        recent = [article_id for article_id in self.reader.recent if article_id in self._by_id]
        rest: list[str] = []
        if self.DISCOVER_ARCHIVE:
            first = self._index.pairs[: DISCOVER_FIRST + len(recent)]
            rest = [article_id for article_id, _ in first if article_id not in recent]
        shown = [*recent, *rest[:DISCOVER_FIRST]]
        helps = await asyncio.to_thread(self._helps, shown)
        for article_id, help_text in zip(shown, helps):
            title = self._by_id[article_id]
            yield DiscoveryHit(Content(title), self._open(article_id), text=title, help=cast(str, help_text))

    async def search(self, query: str) -> Hits:
        def find() -> list[tuple[TitleMatch, Content]]:
            found = self._index.search(query, MAX_TITLE_HITS)
            return list(zip(found, self._helps([match.article_id for match in found])))

        best = await asyncio.to_thread(find)
        style = self.matcher(query).match_style
        for match, help_text in best:
            # Content, not str: the palette reads a str prompt or help as markup.
            yield Hit(
                match.score,
                highlighted(match.title, match_spans(match.title, match.words), style),
                self._open(match.article_id),
                text=match.title,
                help=cast(str, help_text),
            )


class ArticleTitlePicker(ArticleTitles):
    """The "Open article by title" palette: recent articles first, then the archive's first ones."""

    DISCOVER_ARCHIVE = True


class ReaderActions(Provider):
    """Every action reader has a key for on the current screen, by its description."""

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        actions: list[tuple[str, str, Callable[[], object]]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
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
        for name, help_text, callback in getattr(self.app, "extra_commands", list)():
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


def highlighted_name(matcher: Matcher, name: str) -> Content:
    """An action's name with the letters Textual's fuzzy matcher matched styled (our own names,
    but kept literal too)."""
    score, offsets = matcher.fuzzy_search.match(matcher.query, name)
    spans = [(offset, offset + 1) for offset in offsets if not name[offset].isspace()] if score else []
    return highlighted(name, spans, matcher.match_style)
