"""The bookmarks: every bookmarked article, the most recent first; Enter opens one, `d` drops it."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from reader.core.state import Bookmark, ReadingState
from reader.tui.messages import OpenArticle


def bookmark_option(bookmark: Bookmark, title: str, read: bool) -> Option:
    """One row: the title (archive text, literal) and the id, dimmed when read."""
    prompt = Content.assemble(Content(title), ("  " + bookmark.id, "dim"))
    if read:
        prompt = prompt.stylize("dim")
    return Option(prompt, id=bookmark.id)


class BookmarksScreen(Screen[None]):
    """The reading list kept in the reading state."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="reader.bookmarks.close"),
        Binding("d,delete", "remove", "Remove bookmark", id="reader.bookmarks.remove"),
    ]

    def __init__(self, state: ReadingState, titles: dict[str, str] | None = None) -> None:
        """`titles`: the index's titles of the bookmarked ids, when at hand (else those saved)."""
        super().__init__()
        self.state = state
        self._titles = titles or {}

    def compose(self) -> ComposeResult:
        yield Static(Content("Bookmarks"), id="bookmarks-title")
        yield Static(id="bookmarks-empty")
        yield OptionList(markup=False, id="bookmarks")
        yield Footer()

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#bookmarks", OptionList).focus()

    def _fill(self, highlighted: int = 0) -> None:
        options = self.query_one("#bookmarks", OptionList)
        bookmarks = self.state.bookmarks
        options.clear_options()
        options.add_options(
            [bookmark_option(b, self._titles.get(b.id) or b.title, self.state.is_read(b.id)) for b in bookmarks]
        )
        empty = self.query_one("#bookmarks-empty", Static)
        empty.update(Content("No bookmarks yet: press m in an article to add it here." if not bookmarks else
                             f"{len(bookmarks)} bookmarked · Enter opens · d removes"))
        if bookmarks:
            options.highlighted = min(highlighted, len(bookmarks) - 1)

    @on(OptionList.OptionSelected, "#bookmarks")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option_id:
            self.post_message(OpenArticle(event.option_id))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_remove(self) -> None:
        options = self.query_one("#bookmarks", OptionList)
        index = options.highlighted
        if index is None or not options.option_count:
            return
        article_id = options.get_option_at_index(index).id
        if article_id:
            self.state.remove_bookmark(article_id)
            self.state.save()
            self.notify("Bookmark removed.", markup=False)
            self._fill(index)
