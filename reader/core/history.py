"""Back and forward over the places a reader has been, like a browser; and the recent articles.

Pure data: no Textual. The app records a `Place` for every search and article it shows, updates
the current one with its scroll position before leaving it, and asks `back()`/`forward()` where
to go next.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

# Older places than this are forgotten, so a long session does not grow without bound.
MAX_PLACES = 500
MAX_RECENT = 50


@dataclass(frozen=True, slots=True)
class SearchPlace:
    """The search screen as it was left."""

    query: str = ""
    """The text in the search box."""
    highlighted: int = 0
    """The row the cursor was on."""
    scroll_y: float = 0.0
    """How far the result list was scrolled."""


@dataclass(frozen=True, slots=True)
class ArticlePlace:
    """An article as it was left."""

    article_id: str
    """The article shown."""
    terms: tuple[str, ...] = ()
    """Indexed word forms of the search that led here, highlighted in the text."""
    scroll_y: float = 0.0
    """How far the article was scrolled."""
    notice: str = ""
    """A line shown above the article, e.g. that a link only matched approximately."""


Place = SearchPlace | ArticlePlace

T = TypeVar("T")


class History(Generic[T]):
    """A list of visited places with a cursor: visiting drops everything ahead of the cursor."""

    def __init__(self, limit: int = MAX_PLACES) -> None:
        if limit < 1:
            raise ValueError("a history holds at least one place")
        self._places: list[T] = []
        self._cursor = -1
        self._limit = limit

    def __len__(self) -> int:
        return len(self._places)

    def __iter__(self) -> Iterator[T]:
        return iter(self._places)

    @property
    def current(self) -> T | None:
        """Where we are, or None before the first visit."""
        return self._places[self._cursor] if self._places else None

    @property
    def can_go_back(self) -> bool:
        return self._cursor > 0

    @property
    def can_go_forward(self) -> bool:
        return 0 <= self._cursor < len(self._places) - 1

    def visit(self, place: T) -> None:
        """Go somewhere new: it becomes current and the forward places are dropped."""
        del self._places[self._cursor + 1 :]
        self._places.append(place)
        if len(self._places) > self._limit:
            del self._places[: len(self._places) - self._limit]
        self._cursor = len(self._places) - 1

    def replace(self, place: T) -> None:
        """Update the current place (e.g. with where it was scrolled to) without moving."""
        if not self._places:
            self.visit(place)
        else:
            self._places[self._cursor] = place

    def back(self) -> T | None:
        """Step back; the place now current, or None (staying put) at the start."""
        if not self.can_go_back:
            return None
        self._cursor -= 1
        return self._places[self._cursor]

    def forward(self) -> T | None:
        """Step forward; the place now current, or None (staying put) at the end."""
        if not self.can_go_forward:
            return None
        self._cursor += 1
        return self._places[self._cursor]


class Recent:
    """Recently opened article ids, most recent first, each once."""

    def __init__(self, limit: int = MAX_RECENT) -> None:
        self._ids: list[str] = []
        self._limit = limit

    def add(self, article_id: str) -> None:
        if article_id in self._ids:
            self._ids.remove(article_id)
        self._ids.insert(0, article_id)
        del self._ids[self._limit :]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._ids))

    def __len__(self) -> int:
        return len(self._ids)
