"""The line above the search results: how many articles or matches, and while a first build
publishes its batches, how much of the archive that count covers ("so far")."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from reader.core.types import SearchPage
from reader.tui.messages import IndexState


class HitCount(Static):
    """`show` a listing's or a page's count, `problem` a one-line reason, `index_changed` the
    build's progress; the line is drawn from the three."""

    def __init__(self) -> None:
        super().__init__(id="hit-count")
        self._count = ""
        self._listed = True
        self._building: tuple[int, int] | None = None
        """While a first build publishes batches: (articles searchable, articles in all)."""

    def show(self, text: str, listed: bool) -> None:
        """A count: of the archive listed (`listed`), or of a search's matches."""
        self._count, self._listed = text, listed
        self._draw()

    def problem(self, text: str) -> None:
        self._count = ""
        self.update(Content(text))

    def index_changed(self, state: IndexState) -> None:
        building = None
        if state.busy and state.searchable:
            # The writing phases report no total: the one the reading gave still holds.
            total = state.total or (self._building[1] if self._building is not None else 0)
            building = (state.searchable, total) if total else None
        if building != self._building:
            self._building = building
            if self._count:
                self._draw()

    def _draw(self) -> None:
        line = self._count
        if line and self._building is not None:
            searchable, total = self._building
            line = (f"{searchable:,} of {total:,} articles indexed so far; the rest are on their way" if self._listed
                    else f"{line} so far, in {searchable:,} of {total:,} articles indexed")
        elif line and self._listed:
            line = f"{line} in the archive"
        self.update(Content(line))


def count_text(page: SearchPage, page_size: int) -> str:
    """A first page's count: exact when the page holds the whole answer, else "about N" for an
    estimate (within 25%)."""
    if page.error:
        return ""
    if len(page.hits) < page_size:
        known, exact = len(page.hits), True  # the whole answer is on this page
    else:
        known, exact = max(page.total, len(page.hits)), not page.total_is_estimate
    if not known:
        return "No match"
    noun = "match" if known == 1 else "matches"
    return f"{known:,} {noun}" if exact else f"about {known:,} {noun}"
