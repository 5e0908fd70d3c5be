"""The article's scrolling area with the keys of `less`: Space/PgDn, b/PgUp, j/k, g/G, Home/End,
Ctrl+D/Ctrl+U. Every jump is immediate: no animation (End on a long article used to glide for a
second)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll


class Pager(VerticalScroll, inherit_bindings=False):
    """A vertical scroll whose keys move as a pager's do, at once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,pagedown", "page(1)", "Page down", show=False, id="reader.article.page_down"),
        Binding("b,pageup", "page(-1)", "Page up", show=False, id="reader.article.page_up"),
        Binding("j,down", "lines(1)", "Line down", show=False, id="reader.article.line_down"),
        Binding("k,up", "lines(-1)", "Line up", show=False, id="reader.article.line_up"),
        Binding("ctrl+d", "half(1)", "Half a page down", show=False, id="reader.article.half_down"),
        Binding("ctrl+u", "half(-1)", "Half a page up", show=False, id="reader.article.half_up"),
        Binding("g,home", "top", "Top", show=False, id="reader.article.top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="reader.article.bottom"),
    ]

    def _move_to(self, y: float) -> None:
        self.scroll_to(y=max(0.0, min(y, self.max_scroll_y)), animate=False, immediate=True)

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    def action_page(self, direction: int) -> None:
        # One line of the page before stays in view, as in less -z-1: the eye keeps its place.
        self._move_to(self.scroll_y + direction * max(1, self._page_height() - 1))

    def action_lines(self, count: int) -> None:
        self._move_to(self.scroll_y + count)

    def action_half(self, direction: int) -> None:
        self._move_to(self.scroll_y + direction * max(1, self._page_height() // 2))

    def action_top(self) -> None:
        self._move_to(0)

    def action_bottom(self) -> None:
        self._move_to(self.max_scroll_y)
