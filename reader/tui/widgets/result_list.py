"""A virtual list of search hits: two lines a row, rows drawn only when on screen.

The list knows how many rows there are but holds only those it was given; for rows on screen it
lacks (or that lack a snippet) it asks its screen with `RowsWanted`, so a 100,000-article archive
scrolls without 100,000 widgets or 100,000 rows in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reader.core.types import Hit

ROW_HEIGHT = 2


class ResultList(ScrollView, can_focus=True):
    """Search hits (or the whole archive): title and id, then a snippet with the matches marked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Next result", show=False, id="reader.results.down"),
        Binding("up", "cursor_up", "Previous result", show=False, id="reader.results.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="reader.results.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="reader.results.page_up"),
        Binding("home", "first", "First result", show=False, id="reader.results.first"),
        Binding("end", "last", "Last result", show=False, id="reader.results.last"),
        Binding("enter", "select", "Open", show=False, id="reader.results.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "result-list--title",
        "result-list--id",
        "result-list--snippet",
        "result-list--match",
        "result-list--cursor",
        "result-list--pending",
        "result-list--read",
    }

    DEFAULT_CSS = """
    ResultList {
        height: 1fr;
    }
    """

    highlighted: reactive[int] = reactive(0, always_update=True, init=False)
    """The row the cursor is on (meaningless while there are no rows)."""

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another row."""

        result_list: ResultList
        """The list that moved."""
        index: int
        """The row now under the cursor."""

        @property
        def control(self) -> ResultList:
            return self.result_list

    @dataclass
    class Selected(Message):
        """A row was chosen (Enter or a click)."""

        result_list: ResultList
        """The list it was chosen in."""
        index: int
        """The row chosen."""
        hit: Hit | None
        """The hit of that row, or None if it is not loaded yet."""

        @property
        def control(self) -> ResultList:
            return self.result_list

    @dataclass
    class RowsWanted(Message):
        """Rows `first`..`last` (inclusive) are on screen and some lack their hit or snippet."""

        result_list: ResultList
        """The list asking."""
        first: int
        """The first row on screen."""
        last: int
        """The last row on screen."""
        generation: int
        """Which content of the list is asked for: answers for an older one are ignored."""

        @property
        def control(self) -> ResultList:
            return self.result_list

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str | None = None,
        is_read: Callable[[str], bool] | None = None,
        snippet_length: int | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._is_read = is_read
        """Whether an article was read already (its row is dimmed)."""
        self._snippet_length = snippet_length
        """At most this many characters of snippet (the config's `snippet_length`)."""
        self._count = 0
        self._rows: dict[int, Hit] = {}
        self._generation = 0
        self._asked: tuple[int, int, int] | None = None
        self._strips: LRUCache[tuple[int, int, bool, int], Strip] = LRUCache(512)

    # --- content ----------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Number of rows, loaded or not."""
        return self._count

    @property
    def generation(self) -> int:
        """Changes whenever `show` gives the list new content."""
        return self._generation

    def hit_at(self, index: int) -> Hit | None:
        """The hit of a row, if loaded."""
        return self._rows.get(index)

    def show(self, count: int, rows: Mapping[int, Hit], highlighted: int = 0, scroll_y: float | None = None) -> int:
        """Replace the content: `count` rows of which `rows` are known. Returns the new generation."""
        self._generation += 1
        self._count = max(0, count)
        self._rows = dict(rows)
        self._asked = None
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, self._count * ROW_HEIGHT)
        self.set_reactive(ResultList.highlighted, self._clamp(highlighted))
        if scroll_y is not None:
            self.scroll_to(y=scroll_y, animate=False, immediate=True)
        else:
            self.scroll_to(y=0, animate=False, immediate=True)
            self._scroll_to_cursor()
        self.refresh()
        if self._count:
            self.post_message(self.Highlighted(self, self.highlighted))
        return self._generation

    def add_rows(self, generation: int, rows: Mapping[int, Hit], count: int | None = None) -> None:
        """Fill in rows (and maybe a corrected count) for content `generation`; older answers are dropped."""
        if generation != self._generation:
            return
        self._rows.update(rows)
        if count is not None and count != self._count:
            self._count = max(0, count)
            self.virtual_size = Size(self.scrollable_content_region.width, self._count * ROW_HEIGHT)
            self.set_reactive(ResultList.highlighted, self._clamp(self.highlighted))
        self._strips.clear()
        self.refresh()

    def marks_changed(self) -> None:
        """Read marks changed: draw the rows again."""
        self._strips.clear()
        self.refresh()

    def _clamp(self, index: int) -> int:
        return min(max(index, 0), max(self._count - 1, 0))

    # --- cursor -----------------------------------------------------------------------------------

    def validate_highlighted(self, value: int) -> int:
        return self._clamp(value)

    def watch_highlighted(self, old: int, new: int) -> None:
        self._strips.clear()
        self._scroll_to_cursor()
        self.refresh()
        if self._count:
            self.post_message(self.Highlighted(self, new))

    def _scroll_to_cursor(self) -> None:
        if not self._count:
            return
        region = Region(0, self.highlighted * ROW_HEIGHT, 1, ROW_HEIGHT)
        self.scroll_to_region(region, animate=False, force=True, immediate=True)

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height // ROW_HEIGHT)

    def action_cursor_down(self) -> None:
        self.highlighted += 1

    def action_cursor_up(self) -> None:
        self.highlighted -= 1

    def action_page_down(self) -> None:
        self.highlighted += self._page_rows()

    def action_page_up(self) -> None:
        self.highlighted -= self._page_rows()

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = self._count - 1

    def action_select(self) -> None:
        if self._count:
            self.post_message(self.Selected(self, self.highlighted, self._rows.get(self.highlighted)))

    async def _on_click(self, event: events.Click) -> None:
        row = event.style.meta.get("row")
        if row is not None and 0 <= row < self._count:
            self.highlighted = row
            self.action_select()

    # --- drawing ----------------------------------------------------------------------------------

    def _on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, self._count * ROW_HEIGHT)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._count * ROW_HEIGHT

    def render_lines(self, crop: Region) -> list[Strip]:
        self._want_visible_rows()
        return super().render_lines(crop)

    def _want_visible_rows(self) -> None:
        if not self._count:
            return
        top = int(self.scroll_offset.y) // ROW_HEIGHT
        bottom = min(self._count - 1, (int(self.scroll_offset.y) + self.scrollable_content_region.height) // ROW_HEIGHT)
        asked = (self._generation, top, bottom)
        if asked == self._asked:
            return
        missing = any(
            (hit := self._rows.get(index)) is None or hit.snippet is None for index in range(top, bottom + 1)
        )
        if missing:
            self._asked = asked
            # Posted from the list's own loop: drawing runs in the screen's, and a message made
            # there would count the screen as its sender and bubble no further than it.
            self.call_later(lambda: self.post_message(self.RowsWanted(self, top, bottom, asked[0])))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = int(self.scroll_offset.y) + y
        index, part = divmod(line, ROW_HEIGHT)
        if index >= self._count:
            return Strip.blank(width, self.visual_style.rich_style)
        cursor = index == self.highlighted
        key = (index, part, cursor, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row_line(index, part, cursor, width)
            self._strips[key] = strip
        return strip

    def _render_row_line(self, index: int, part: int, cursor: bool, width: int) -> Strip:
        base = self.get_visual_style("result-list--cursor") if cursor else self.visual_style
        hit = self._rows.get(index)
        if hit is not None and self._is_read is not None and self._is_read(hit.id):
            base = base + self.get_visual_style("result-list--read", partial=True)
        if part == 0:
            content = self._title_line(hit, width)
        else:
            content = self._snippet_line(hit, width)
        strip = Strip(content.render_segments(base)).adjust_cell_length(width, base.rich_style)
        return strip.apply_meta({"row": index})

    def _title_line(self, hit: Hit | None, width: int) -> Content:
        if hit is None:
            return Content(" …").stylize(self.get_visual_style("result-list--pending", partial=True))
        ident = Content(hit.id).stylize(self.get_visual_style("result-list--id", partial=True))
        # Narrow terminals give the title the width: the id keeps a quarter (its start names it).
        ident = ident.truncate(max(0, width // 4 if width < 60 else width // 2), ellipsis=True)
        room = max(0, width - ident.cell_length - 3)
        # The title is archive text: a literal Content, never markup.
        title = Content(hit.title).stylize(self.get_visual_style("result-list--title", partial=True))
        title = title.truncate(room, ellipsis=True)
        gap = max(1, width - 1 - title.cell_length - ident.cell_length)
        return Content.assemble(" ", title, " " * gap, ident)

    def _snippet_line(self, hit: Hit | None, width: int) -> Content:
        if hit is None or hit.snippet is None:
            return Content("")
        text = hit.snippet.text
        limit = self._snippet_length
        if limit is not None and len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        snippet = Content(text).stylize(self.get_visual_style("result-list--snippet", partial=True))
        match = self.get_visual_style("result-list--match", partial=True)
        for start, end in hit.snippet.spans:
            if start < len(text):
                snippet = snippet.stylize(match, start, min(end, len(text)))
        return Content.assemble("   ", snippet).truncate(max(0, width - 1), ellipsis=True)
