"""The search screen: a box that searches as you type, the number of hits, and the hits.

An empty box lists the whole archive. Searches run in an exclusive thread worker a moment after the
last keystroke; an answer whose query no longer equals the box is dropped (as in Textual's
examples/dictionary.py). Rows beyond the first page, and snippets, are fetched as they scroll in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from reader.core import collector
from reader.core.history import SearchPlace
from reader.core.links import TitleTable
from reader.core.types import (
    EngineUnavailable,
    Hit,
    IndexDamaged,
    IndexMissing,
    SearchPage,
)
from reader.tui.messages import IndexState, IndexUnusable, OpenArticle
from reader.tui.widgets.hit_count import HitCount, count_text
from reader.tui.widgets.index_status import IndexStatus
from reader.tui.widgets.result_list import ResultList
from reader.tui.widgets.text_box import TextBox

if TYPE_CHECKING:
    from reader.core.library import Library
    from reader.core.state import ReadingState

# Wait this long after a keystroke before searching: typing fast runs one search, not ten.
DEBOUNCE_SECONDS = 0.12
# Hits fetched per search request; rows further down are fetched a page at a time as they scroll in.
PAGE_SIZE = 50
# Snippets made with the first page (about a screenful); the rest as rows come into view.
FIRST_SNIPPETS = 12


@dataclass(frozen=True, slots=True)
class _Listing:
    """The empty query: every article in archive order."""

    ids: list[str]
    """Every article id, in archive order."""
    titles: TitleTable
    """Their titles."""


class SearchScreen(Screen[None]):
    """Search as you type; Enter opens the highlighted hit."""

    AUTO_FOCUS = "#query"

    # Priority: the search box keeps the focus, and these keys drive the result list under it.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Move", key_display="↓↑", priority=True, id="reader.search.down"),
        Binding("up", "cursor_up", "Up", show=False, priority=True, id="reader.search.up"),
        Binding("pagedown", "page_down", "Page down", show=False, priority=True, id="reader.search.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, priority=True, id="reader.search.page_up"),
        Binding("enter", "open", "Open", priority=True, id="reader.search.open"),
        Binding("ctrl+l,slash", "focus_query", "Search box", show=False, id="reader.search.focus"),
        Binding("ctrl+y", "take_suggestion", "Take suggestion", show=False, id="reader.search.suggestion"),
    ]

    @dataclass
    class Searched(Message):
        """A search worker's answer."""

        query: str
        """The query it answers."""
        page: SearchPage | None
        """The first page of hits; None when there is no usable index."""
        problem: str = ""
        """Why there is no page."""

    @dataclass
    class Suggested(Message):
        """A "did you mean" for a query whose page came empty."""

        query: str
        suggestion: str

    @dataclass
    class Listed(Message):
        """The listing worker's answer (the whole archive, for the empty query)."""

        listing: _Listing | None
        """Every article; None when there is no usable index."""
        problem: str = ""
        """Why there is no listing."""

    @dataclass
    class RowsLoaded(Message):
        """Rows fetched for the result list as they scrolled into view."""

        generation: int
        """The list content they belong to."""
        rows: dict[int, Hit]
        """Row index -> hit (with its snippet)."""
        count: int | None = None
        """A corrected row count, when a page showed the first count was an estimate."""

    def __init__(self, index: Library, reading: ReadingState | None = None, snippet_length: int | None = None) -> None:
        super().__init__()
        self.index = index
        self.reading = reading
        """Read marks, to dim the articles already read (None: nothing remembered)."""
        self.snippet_length = snippet_length
        self._debounce: Timer | None = None
        self._shown_query: str | None = None
        """The query whose results are on screen (None: nothing yet)."""
        self._requested: str | None = None
        """The query last sent to a worker."""
        self._page: SearchPage | None = None
        self._listing: _Listing | None = None
        self._restore: SearchPlace | None = None
        self._open_when_ready = False
        self._suggestion: str | None = None

    def compose(self) -> ComposeResult:
        yield TextBox(placeholder='Search: words, "a phrase", title:word, AND OR NOT', id="query")
        yield Static(id="query-error")
        yield Static(id="suggestion")
        yield HitCount()
        reading = self.reading
        yield ResultList(
            id="results",
            is_read=reading.is_read if reading is not None else None,
            snippet_length=self.snippet_length,
        )
        yield IndexStatus()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(HitCount).problem("Loading the archive…")
        # After the first paint: the listing opens the index, which the first frame must not wait for.
        self.call_after_refresh(lambda: self._start(self.query_text))

    # --- state for the history --------------------------------------------------------------------

    @property
    def query_text(self) -> str:
        """The text in the search box."""
        return self.query_one("#query", Input).value

    @property
    def shown_query(self) -> str | None:
        """The query whose results are on screen (None before the first answer)."""
        return self._shown_query

    def place(self) -> SearchPlace:
        """Where this screen is, to come back to."""
        results = self.query_one(ResultList)
        return SearchPlace(self.query_text, results.highlighted, results.scroll_y)

    def restore(self, place: SearchPlace) -> None:
        """Show `place`: its query, its results, its selection and scroll."""
        box = self.query_one("#query", Input)
        results = self.query_one(ResultList)
        results.marks_changed()  # an article read since is dimmed now
        if place.query == self._shown_query and place.query == box.value:
            results.highlighted = place.highlighted
            results.scroll_to(y=place.scroll_y, animate=False, immediate=True)
            return
        self._restore = place
        with box.prevent(Input.Changed):
            box.value = place.query
        box.cursor_position = len(place.query)
        self._start(place.query)

    def index_changed(self, state: IndexState) -> None:
        """The app's index state changed: show it, and search again once the index is new."""
        self.query_one(IndexStatus).show(state)
        self.query_one(HitCount).index_changed(state)
        if state.phase == "ready" and (state.changed or self._shown_query is None):
            if state.changed:
                self._listing = None  # the archive's list changed with the index
            self._restore = self.place()
            self._start(self.query_text)

    # --- searching ----------------------------------------------------------------------------------

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        if self.query_text == self._requested:
            # Enter ran behind these keys and already asked for what the box holds: its hit opens.
            return
        self._open_when_ready = False
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self._start(self.query_text))

    def _start(self, query: str) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self._requested = query
        if query.strip():
            self._search(query)
        else:
            self._list_archive()

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="Searching")
    def _search(self, query: str) -> None:
        worker = get_current_worker()
        try:
            page = self.index.search(query, limit=PAGE_SIZE, typeahead=True, snippets=FIRST_SNIPPETS, suggest=False)
        except (IndexMissing, IndexDamaged) as error:
            self._unusable(error)
            answer = self.Searched(query, None, _problem(error))
        else:
            answer = self.Searched(query, page)
        if worker.is_cancelled:
            return
        self.post_message(answer)
        if answer.page is not None and not answer.page.hits and not answer.page.error:
            # "Did you mean" after the empty page is shown: spelling correction takes a few
            # tenths of a second on a big archive, and typing on cancels it.
            try:
                suggestion = self.index.suggest(query, typeahead=True)
            except (IndexMissing, IndexDamaged):
                return
            if suggestion and not worker.is_cancelled:
                self.post_message(self.Suggested(query, suggestion))

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="Listing the archive")
    def _list_archive(self) -> None:
        worker = get_current_worker()
        first = self._listing is None
        if not first:
            answer = self.Listed(self._listing)
        else:
            try:
                ids = self.index.article_ids()
                titles = self.index.titles()
            except (IndexMissing, IndexDamaged) as error:
                self._unusable(error)
                answer = self.Listed(None, _problem(error))
            else:
                answer = self.Listed(_Listing(ids, titles))
        if not worker.is_cancelled:
            self.post_message(answer)
        if first and answer.listing is not None and not worker.is_cancelled:
            try:  # the archive is listed for the first time: read ahead what the first key needs
                self.index.warm()
            except (IndexMissing, IndexDamaged, EngineUnavailable):
                pass
            collector.settle()  # what was read lives as long as the session (reader.core.collector)

    def _unusable(self, error: Exception) -> None:
        self.app.post_message(IndexUnusable(str(error), isinstance(error, IndexDamaged), isinstance(error, EngineUnavailable)))

    @on(Searched)
    def _searched(self, message: Searched) -> None:
        if message.query != self.query_text:
            return  # typed on since: a newer search is on its way
        self._page = message.page
        self._shown_query = message.query
        self._suggestion = None
        error = self.query_one("#query-error", Static)
        results = self.query_one(ResultList)
        page = message.page
        restore, self._restore = self._restore, None
        if page is None:
            error.update(Content(""))
            self._show_suggestion(None)
            self.query_one(HitCount).problem(message.problem)
            results.show(0, {})
            return
        error.update(Content(page.error or ""))
        error.set_class(bool(page.error), "-shown")
        self._show_suggestion(page.suggestion if not page.hits else None)
        self.query_one(HitCount).show(count_text(page, PAGE_SIZE), listed=False)
        rows = dict(enumerate(page.hits))
        total = _row_count(page)
        if restore is not None and restore.query == message.query:
            results.show(total, rows, restore.highlighted, restore.scroll_y)
        else:
            results.show(total, rows)
        if self._open_when_ready:
            self._open_when_ready = False
            if results.count:
                self._open_row(results.highlighted)

    @on(Suggested)
    def _suggested(self, message: Suggested) -> None:
        if message.query == self.query_text == self._shown_query and self._page is not None and not self._page.hits:
            self._show_suggestion(message.suggestion)

    def _show_suggestion(self, text: str | None) -> None:
        self._suggestion = text
        suggestion = self.query_one("#suggestion", Static)
        if text:
            suggestion.update(Content.assemble("Did you mean ", (text, "bold"), "?  Enter or Ctrl+Y searches for it"))
        else:
            suggestion.update(Content(""))
        suggestion.set_class(text is not None, "-shown")

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        if self.query_text.strip():
            return
        self._listing = message.listing
        self._page = None
        self._shown_query = self.query_text
        self._suggestion = None
        for name in ("#query-error", "#suggestion"):
            widget = self.query_one(name, Static)
            widget.update(Content(""))
            widget.remove_class("-shown")
        results = self.query_one(ResultList)
        restore, self._restore = self._restore, None
        listing = message.listing
        if listing is None:
            self.query_one(HitCount).problem(message.problem)
            results.show(0, {})
            return
        total = len(listing.ids)
        self.query_one(HitCount).show(f"{total:,} {'article' if total == 1 else 'articles'}", listed=True)
        if restore is not None and not restore.query.strip():
            results.show(total, {}, restore.highlighted, restore.scroll_y)
        else:
            results.show(total, {})
        if self._open_when_ready:
            self._open_when_ready = False
            if results.count:
                self._open_row(results.highlighted)

    # --- rows as they scroll in ---------------------------------------------------------------------

    @on(ResultList.RowsWanted)
    def _rows_wanted(self, message: ResultList.RowsWanted) -> None:
        results = self.query_one(ResultList)
        known: dict[int, Hit | None] = {
            index: results.hit_at(index)
            for index in range(message.first, message.last + 1)
            if (hit := results.hit_at(index)) is None or hit.snippet is None
        }
        if known:
            listing = self._listing if self._page is None else None
            self._load_rows(message.generation, known, self._page, listing, results.count)

    @work(thread=True, exclusive=True, group="rows", exit_on_error=False, description="Loading rows")
    def _load_rows(
        self,
        generation: int,
        wanted: dict[int, Hit | None],
        page: SearchPage | None,
        listing: _Listing | None,
        count_now: int,
    ) -> None:
        """Fetch the hits (a search page from `offset`, or listing rows) and snippets of `wanted` rows."""
        worker = get_current_worker()
        known = {index: hit for index, hit in wanted.items() if hit is not None}
        missing = sorted(index for index, hit in wanted.items() if hit is None)
        count: int | None = None
        try:
            if page is not None:
                if missing:
                    start, size = missing[0], missing[-1] - missing[0] + 1
                    more = self.index.search(page.query, limit=size, offset=start, typeahead=True, snippets=0)
                    known.update((start + offset, hit) for offset, hit in enumerate(more.hits))
                    if len(more.hits) < size:
                        count = start + len(more.hits)  # the total was an estimate: the list ends here
                    elif page.total_is_estimate and missing[-1] >= count_now - 1:
                        count = count_now + PAGE_SIZE  # more may follow: another page of rows to fill
                terms: tuple[str, ...] = page.terms
            elif listing is not None:
                for index in missing:
                    if index < len(listing.ids):
                        article_id = listing.ids[index]
                        title = listing.titles.title_of(article_id) or article_id
                        known[index] = Hit(article_id, title, _file_name(self.index, article_id), 0.0)
                terms = ()
            else:
                return
            order = sorted(known)
            filled = self.index.snippets([known[index] for index in order], terms)
        except (IndexMissing, IndexDamaged) as error:
            self._unusable(error)
            return
        if not worker.is_cancelled:
            self.post_message(self.RowsLoaded(generation, dict(zip(order, filled)), count))

    @on(RowsLoaded)
    def _rows_loaded(self, message: RowsLoaded) -> None:
        self.query_one(ResultList).add_rows(message.generation, message.rows, message.count)

    # --- opening ------------------------------------------------------------------------------------

    @on(ResultList.Selected)
    def _selected(self, message: ResultList.Selected) -> None:
        self._open_row(message.index)

    def action_open(self) -> None:
        """Enter: open the highlighted hit; take "did you mean" when nothing matched; when the
        search for what was just typed is still running, open its first hit when it comes."""
        # Enter is a priority binding, handled as it reaches the app; keys sent just before it (a
        # paste, `tmux send-keys "text" Enter`) may still wait in the box's queue. Acting from that
        # queue, behind them, sees the query they make.
        self.query_one("#query", Input).call_later(self._open_typed)

    def _open_typed(self) -> None:
        query = self.query_text
        if self._shown_query != query:
            self._open_when_ready = True
            self._start(query)
            return
        results = self.query_one(ResultList)
        if results.count:
            self._open_row(results.highlighted)
        elif self._suggestion:
            self.action_take_suggestion()

    def _open_row(self, index: int) -> None:
        results = self.query_one(ResultList)
        hit = results.hit_at(index)
        article_id = hit.id if hit is not None else None
        if article_id is None and self._page is None and self._listing is not None and index < len(self._listing.ids):
            article_id = self._listing.ids[index]
        if article_id is None:
            self.notify("That row is still loading; try again in a moment.", markup=False)
            return
        terms = self._page.terms if self._page is not None else ()
        self.post_message(OpenArticle(article_id, tuple(terms)))

    def action_take_suggestion(self) -> None:
        if not self._suggestion:
            return
        box = self.query_one("#query", Input)
        box.value = self._suggestion
        box.cursor_position = len(box.value)
        box.focus()
        self._start(box.value)

    def on_click(self, event) -> None:  # type: ignore[no-untyped-def]
        if isinstance(event.widget, Static) and event.widget.id == "suggestion":
            self.action_take_suggestion()

    # --- moving -------------------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.query_one(ResultList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(ResultList).action_cursor_up()

    def action_page_down(self) -> None:
        self.query_one(ResultList).action_page_down()

    def action_page_up(self) -> None:
        self.query_one(ResultList).action_page_up()

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()


def _problem(error: Exception) -> str:
    if isinstance(error, EngineUnavailable):
        return f"{error}; reconnecting…"
    if isinstance(error, IndexMissing):
        return "The index is being built; results appear when it is ready."
    return "The index cannot be read; it is being rebuilt."


def _file_name(index: Library, article_id: str) -> str:
    path = index.path_of(article_id)
    return path.name if path is not None else ""


def _row_count(page: SearchPage) -> int:
    """How many rows to give the list for a first page of hits.

    A page with room to spare holds every hit. A full one with an estimated total gets a page of
    rows more than it shows (filled, or the count corrected, when they scroll into view)."""
    if len(page.hits) < PAGE_SIZE:
        return len(page.hits)
    if page.total_is_estimate:
        return max(page.total, len(page.hits) + PAGE_SIZE)
    return max(page.total, len(page.hits))
