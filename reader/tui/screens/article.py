"""The article screen: title, id and file; the body with the search's words highlighted; the
article's link sections, "Linked from" and "More like this", each link reachable with Tab.

The article is read, and its links resolved, in a thread worker; backlinks and similar articles in
a second one, so the screen opens at once and fills in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from reader.core.article import Article, SkippedFile, safe_line
from reader.core.history import ArticlePlace
from reader.core.library import Library
from reader.core.links import Resolution
from reader.core.query import plain_query
from reader.core.types import EngineUnavailable, IndexDamaged, IndexMissing
from reader.tui.messages import IndexState, IndexUnusable, OpenArticle, OpenSearch
from reader.tui.screens.chooser import ChooserScreen
from reader.tui.screens.handoffs import HandOffs, target_detail
from reader.tui.screens.missing import MissingScreen
from reader.tui.screens.toc import TocScreen
from reader.tui.widgets.pager import Pager

if TYPE_CHECKING:
    from reader.core.state import ReadingState
from reader.tui.widgets.article_body import ArticleBody, Hit, unit_texts
from reader.tui.widgets.find_bar import FindBar
from reader.tui.widgets.index_status import IndexStatus
from reader.tui.widgets.link_item import LinkItem, LinkTarget

# "Linked from" lists at most this many articles: more would mount more widgets than a screen needs.
MAX_BACKLINKS = 200
MORE_LIKE_THIS = 8
# How often the open article's file is checked for being deleted or rewritten (one stat call).
FILE_CHECK_SECONDS = 2.0


def display_path(path: Path) -> str:
    """A file's path as short as it can be said: relative to the working folder or home if inside.
    Made safe to draw: a file name can hold ESC, BEL or an OSC 52 clipboard write."""
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~" + os.sep)):
        try:
            return safe_line(prefix + str(path.relative_to(base)))
        except ValueError:
            continue
    return safe_line(str(path))


class ArticleScreen(HandOffs, Screen[None]):
    """One article and the links out of it and into it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_hit", "Next hit", id="reader.article.next_hit"),
        Binding("p,N", "previous_hit", "Previous hit", show=False, id="reader.article.previous_hit"),
        Binding("slash,ctrl+f", "find", "Find", show=False, id="reader.article.find"),
        Binding("s", "search", "Search", show=False, id="reader.article.search"),
        Binding("m", "toggle_bookmark", "Bookmark", id="reader.article.bookmark"),
        Binding("t", "contents", "Contents", id="reader.article.contents"),
        Binding("v", "pager", "Open in $PAGER", show=False, id="reader.article.pager"),
        Binding("e", "editor", "Open in $EDITOR", show=False, id="reader.article.editor"),
        Binding("y", "copy('id')", "Copy id", show=False, id="reader.article.copy_id"),
        Binding("Y", "copy('title')", "Copy title", show=False, id="reader.article.copy_title"),
        Binding("f", "copy('path')", "Copy file path", show=False, id="reader.article.copy_path"),
        Binding("escape", "close_find", "Close find", show=False, id="reader.article.close_find"),
        *(
            Binding(str(number), f"follow_number({number})", f"Follow link {number}", show=False, id=f"reader.article.follow_{number}")
            for number in range(1, 10)
        ),
    ]

    @dataclass
    class Loaded(Message):
        """The article worker's answer."""

        article: Article | None
        """The parsed article, or None when it cannot be read."""
        links: list[tuple[str, LinkTarget]]
        """(section name, where the link leads) for every link, in order."""
        hits: list[Hit]
        """Where the search's words occur in the title and body."""
        problem: str = ""
        """Why there is no article."""

    @dataclass
    class Related(Message):
        """The related-articles worker's answer."""

        backlinks: list[LinkTarget]
        """Articles with a link to this one."""
        backlink_total: int
        """How many there are (more than shown when over MAX_BACKLINKS)."""
        similar: list[LinkTarget]
        """Articles whose bodies share this one's telling words."""
        problem: str = ""
        """Why they could not be found."""

    def __init__(
        self, index: Library, place: ArticlePlace, state: IndexState | None = None, reading: ReadingState | None = None
    ) -> None:
        super().__init__()
        self.index = index
        self.reading = reading
        """Read marks and bookmarks (None: nothing remembered)."""
        self._place = place
        self._initial_state = state
        self.article: Article | None = None
        self._search_hits: list[Hit] = []
        self._numbered: list[LinkItem] = []
        self._related_done = False
        self._file_seen: tuple[int, int] | None = None
        """(mtime, size) of the article's file when it was read."""
        self._file_check: Timer | None = None

    def compose(self) -> ComposeResult:
        with Pager(id="article"):
            yield Static(id="notice")
            yield Static(Content("Loading…"), id="title")
            yield Static(id="problem")
            yield ArticleBody(id="body")
            yield Static(id="warnings")
            yield Vertical(id="links")
            with Vertical(id="linked-from", classes="related"):
                yield Static(Content("Linked from"), classes="section-title")
                yield Static(Content("Looking for articles that link here…"), classes="related-status")
            with Vertical(id="more-like-this", classes="related"):
                yield Static(Content("More like this"), classes="section-title")
                yield Static(Content("Looking for similar articles…"), classes="related-status")
        yield Static(id="hit-status")
        yield FindBar()
        yield IndexStatus()
        yield Footer()

    def on_mount(self) -> None:
        notice = self.query_one("#notice", Static)
        notice.update(Content(self._place.notice))
        notice.display = bool(self._place.notice)
        self.query_one("#article").focus()
        if self._initial_state is not None:
            self.query_one(IndexStatus).show(self._initial_state)
        self._load(self._place.article_id, self._place.terms)
        if self._file_check is None:
            self._file_check = self.set_interval(FILE_CHECK_SECONDS, self._check_file)

    # --- state for the history --------------------------------------------------------------------

    @property
    def article_id(self) -> str:
        return self._place.article_id

    def place(self) -> ArticlePlace:
        """Where this screen is, to come back to."""
        scroll = self.query_one("#article", Pager)
        return ArticlePlace(self._place.article_id, self._place.terms, scroll.scroll_y, self._place.notice)

    def index_changed(self, state: IndexState) -> None:
        """The app's index state changed: show it; fill in what needed the index once it is there."""
        self.query_one(IndexStatus).show(state)
        if state.phase == "ready" and state.changed and not self._related_done and self.article is not None:
            self._load_related(self.article.id)

    # --- loading ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="article", exit_on_error=False, description="Reading the article")
    def _load(self, article_id: str, terms: tuple[str, ...]) -> None:
        worker = get_current_worker()
        try:
            article = self.index.read(article_id)
            resolved = self.index.links(article)
        except SkippedFile as skip:
            answer = self.Loaded(None, [], [], f"This article cannot be shown: {skip.reason}.")
        except (IndexMissing, IndexDamaged) as error:
            self.app.post_message(IndexUnusable(str(error), isinstance(error, IndexDamaged), isinstance(error, EngineUnavailable)))
            answer = self.Loaded(None, [], [], "The index is not ready; try again when it is built.")
        else:
            links = [
                (link.section, LinkTarget(link.text, resolution))
                for link, resolution in resolved
            ]
            hits: list[Hit] = []
            if terms:
                for number, text in enumerate(unit_texts(article.title, article.blocks, self._subtitle(article))):
                    hits.extend(Hit(number, start, end) for start, end in self.index.highlight(text, terms))
            answer = self.Loaded(article, links, hits)
        if not worker.is_cancelled:
            self.post_message(answer)

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        article = message.article
        if article is None:
            self.query_one("#title", Static).update(Content(self.index_title(self._place.article_id)))
            self.query_one("#problem", Static).update(Content(message.problem))
            for status in self.query(".related-status").results(Static):
                status.update(Content(""))
            return
        self.article = article
        self._file_seen = _file_state(article.path)
        # The title, id and path are drawn by the body, where the search's words are marked too.
        self.query_one("#title", Static).display = False
        self.query_one("#problem", Static).display = False
        warnings = self.query_one("#warnings", Static)
        warnings.update(Content("\n".join(f"Note: {warning}" for warning in article.warnings)))
        warnings.display = bool(article.warnings)

        old_body = self.query_one("#body", ArticleBody)
        body = ArticleBody(article.title, article.blocks, self._subtitle(article, self._bookmarked()), id="body")
        await old_body.remove()
        await self.query_one("#article").mount(body, before=warnings)
        self._search_hits = message.hits
        body.set_hits(message.hits)
        if message.hits:
            count = len(message.hits)
            self._show_hit_status(f"{count} {'hit' if count == 1 else 'hits'} of the search marked · n next, p previous")

        container = self.query_one("#links", Vertical)
        widgets: list[Static | LinkItem] = []
        section = None
        for name, target in message.links:
            if name != section:
                section = name
                widgets.append(Static(Content(name), classes="section-title"))
            widgets.append(self._numbered_item(target))
        await container.mount_all(widgets)
        self.call_after_refresh(self._restore_scroll)
        self._load_related(article.id)

    # --- the file changing under the open article (issue 5) ------------------------------------------

    async def _check_file(self) -> None:
        """The open article's file deleted or rewritten: say so (and show the new version), and
        have the app refresh the index so that search follows."""
        article = self.article
        if article is None:
            return
        now = _file_state(article.path)
        if now == self._file_seen:
            return
        self._file_seen = now
        if now is None:
            notice = self.query_one("#notice", Static)
            notice.update(Content("The file of this article was deleted; this is the copy read before."))
            notice.display = True
        else:
            await self._reload("The file of this article changed on disk; this is the new version.")
        app = self.app
        if not getattr(app, "index_state", IndexState("ready")).busy and hasattr(app, "refresh_index"):
            app.refresh_index()

    async def _reload(self, notice: str) -> None:
        """Read the article again into fresh widgets, keeping the scroll position."""
        scroll_y = self.query_one("#article", Pager).scroll_y
        self._place = replace(self._place, notice=notice, scroll_y=scroll_y)
        self._initial_state = getattr(self.app, "index_state", None)
        self.article = None
        self._numbered = []
        self._search_hits = []
        self._related_done = False
        await self.recompose()
        self.on_mount()

    @staticmethod
    def _subtitle(article: Article, bookmarked: bool = False) -> str:
        mark = "  ·  ★ bookmarked" if bookmarked else ""
        return f"{article.id}  ·  {display_path(article.path)}{mark}"

    def _bookmarked(self) -> bool:
        return self.reading is not None and self.reading.is_bookmarked(self._place.article_id)

    def index_title(self, article_id: str) -> str:
        try:
            return self.index.titles().title_of(article_id) or article_id
        except (IndexMissing, IndexDamaged):
            return article_id

    def _numbered_item(self, target: LinkTarget) -> LinkItem:
        read = self.reading is not None and bool(target.targets) and all(self.reading.is_read(t) for t in target.targets)
        item = LinkItem(target, len(self._numbered) + 1, classes="-read" if read else None)
        self._numbered.append(item)
        return item

    def _restore_scroll(self) -> None:
        if self._place.scroll_y:
            self.query_one("#article", Pager).scroll_to(y=self._place.scroll_y, animate=False, immediate=True)

    @work(thread=True, exclusive=True, group="related", exit_on_error=False, description="Finding related articles")
    def _load_related(self, article_id: str) -> None:
        worker = get_current_worker()
        try:
            table = self.index.titles()
            backlinks = self.index.backlinks(article_id)
            similar = self.index.similar(article_id, limit=MORE_LIKE_THIS)
        except (IndexMissing, IndexDamaged):
            answer = self.Related([], 0, [], "The index is not ready; these appear when it is built.")
        else:

            def target(other: str) -> LinkTarget:
                return LinkTarget(table.title_of(other) or other, Resolution((other,)))

            answer = self.Related(
                [target(other) for other in backlinks[:MAX_BACKLINKS]],
                len(backlinks),
                [target(other) for other in similar if other != article_id],
            )
        if not worker.is_cancelled:
            self.post_message(answer)

    @on(Related)
    async def _related(self, message: Related) -> None:
        self._related_done = not message.problem
        for box_id, targets, empty in (
            ("#linked-from", message.backlinks, "No article in this archive links here."),
            ("#more-like-this", message.similar, "No similar article found."),
        ):
            box = self.query_one(box_id, Vertical)
            await box.query(LinkItem).remove()
            status = box.query_one(".related-status", Static)
            text = message.problem or ("" if targets else empty)
            if box_id == "#linked-from" and message.backlink_total > len(targets):
                text = f"Showing {len(targets)} of {message.backlink_total}."
            status.update(Content(text))
            status.display = bool(text)
            await box.mount_all([self._numbered_item(target) for target in targets], before=status)

    # --- following links ----------------------------------------------------------------------------

    @on(LinkItem.Followed)
    def _followed(self, message: LinkItem.Followed) -> None:
        self.follow(message.target)

    def follow(self, target: LinkTarget) -> None:
        """Open where a link leads: the article, a chooser for several, an offer to search for a dangling one."""
        if target.dangling:

            def searched(wanted: bool | None) -> None:
                if wanted:
                    self.post_message(OpenSearch(plain_query(target.text)))

            self.app.push_screen(MissingScreen(target.text), searched)
        elif len(target.targets) > 1:
            table = self.index.titles()
            choices = [(other, table.title_of(other) or other, target_detail(self.index, other)) for other in target.targets]

            def chosen(article_id: str | None) -> None:
                if article_id:
                    self.post_message(OpenArticle(article_id, notice=self._approximate_notice(target)))

            self.app.push_screen(ChooserScreen(target.text, choices), chosen)
        else:
            self.post_message(OpenArticle(target.targets[0], notice=self._approximate_notice(target)))

    @staticmethod
    def _approximate_notice(target: LinkTarget) -> str:
        if not target.approximate:
            return ""
        return f"No article has exactly the title “{target.text}”; this is the closest match."

    def action_follow_number(self, number: int) -> None:
        items = [item for item in self._numbered if item.is_attached]
        if 0 < number <= len(items):
            items[number - 1].focus()
            self.follow(items[number - 1].target)
        else:
            self.notify(f"There is no link {number}.", markup=False)

    def action_search(self) -> None:
        self.post_message(OpenSearch())

    # --- bookmarks, contents, hand-offs ---------------------------------------------------------------

    def action_toggle_bookmark(self) -> None:
        article = self.article
        if self.reading is None or article is None:
            self.notify("Nothing to bookmark yet.", markup=False)
            return
        marked = self.reading.toggle_bookmark(article.id, article.title)
        self.reading.save()
        self.query_one("#body", ArticleBody).set_subtitle(self._subtitle(article, marked))
        self.notify("Bookmarked (Ctrl+B lists the bookmarks)." if marked else "Bookmark removed.", markup=False)

    def action_contents(self) -> None:
        article = self.article
        if article is None:
            return
        body = self.query_one("#body", ArticleBody)

        def chosen(unit: int | None) -> None:
            line = body.line_of_unit(unit) if unit is not None else None
            if line is not None:
                self.query_one("#article", Pager).scroll_to(
                    y=body.virtual_region.y + line, animate=False, immediate=True
                )

        self.app.push_screen(TocScreen(article.title, body.headings()), chosen)

    # --- hits and find --------------------------------------------------------------------------------

    def _step_hit(self, step: int) -> None:
        body = self.query_one("#body", ArticleBody)
        if not body.hit_count:
            self.notify("Nothing highlighted: press / to find text.", markup=False)
            return
        current = body.current_hit
        index = (0 if step > 0 else -1) if current is None else current + step
        line = body.set_current(index)
        self._show_find_count()
        if body.current_hit is not None:
            self._show_hit_status(f"hit {body.current_hit + 1} of {body.hit_count}")
        if line is not None:
            scroll = self.query_one("#article", Pager)
            region = Region(0, body.virtual_region.y + line, 1, 1)
            scroll.scroll_to_region(region, animate=False, center=True, force=True, immediate=True)

    def action_next_hit(self) -> None:
        self._step_hit(1)

    def action_previous_hit(self) -> None:
        self._step_hit(-1)

    def action_find(self) -> None:
        self.query_one(FindBar).open()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_find":
            return self.query_one(FindBar).is_open  # otherwise Escape goes back (the app's binding)
        return True

    def action_close_find(self) -> None:
        self._close_find()

    @on(FindBar.Closed)
    def _close_find(self) -> None:
        self.query_one(FindBar).close()
        body = self.query_one("#body", ArticleBody)
        body.set_hits(self._search_hits)
        self.query_one("#article").focus()

    @on(FindBar.Changed)
    def _find_changed(self, message: FindBar.Changed) -> None:
        body = self.query_one("#body", ArticleBody)
        if not message.text:
            body.set_hits(self._search_hits)
        else:
            needle = re.compile(re.escape(message.text), re.IGNORECASE)
            body.set_hits(
                [Hit(number, m.start(), m.end()) for number, text in enumerate(body.texts) for m in needle.finditer(text)]
            )
        self._show_find_count()

    @on(FindBar.Submitted)
    def _find_submitted(self, message: FindBar.Submitted) -> None:
        self._step_hit(1)
        self.query_one("#article").focus()

    def _show_hit_status(self, text: str) -> None:
        status = self.query_one("#hit-status", Static)
        status.update(Content(text))
        status.display = bool(text)

    def _show_find_count(self) -> None:
        body = self.query_one("#body", ArticleBody)
        self.query_one(FindBar).show_count(body.current_hit, body.hit_count)


def _file_state(path: Path) -> tuple[int, int] | None:
    """(mtime, size) of a file, None when it is gone or unreadable."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
