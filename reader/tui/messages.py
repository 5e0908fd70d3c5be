"""Messages and state that travel across screens: where to go next, and how the index is doing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message

IndexPhase = Literal["checking", "building", "updating", "waiting", "ready", "failed", "reconnecting"]


@dataclass
class OpenArticle(Message):
    """Show an article (a new place in the history)."""

    article_id: str
    """The article to show."""
    terms: tuple[str, ...] = ()
    """Indexed word forms to highlight: those of the search that led here."""
    notice: str = ""
    """A line to show above the article, e.g. that a link matched only approximately."""


@dataclass
class OpenSearch(Message):
    """Show the search screen with this query (a new place in the history)."""

    query: str | None = None
    """The text to put in the search box; None keeps the one there."""


@dataclass
class IndexUnusable(Message):
    """A screen found the index missing or unreadable; the app builds or rebuilds it."""

    reason: str
    """One line saying what is wrong."""
    damaged: bool
    """True when the index exists but cannot be read (rebuild), False when there is none yet."""
    unreachable: bool = False
    """True when the engine's server cannot be reached: the app reconnects, it builds nothing."""


@dataclass
class IndexProgress(Message):
    """The refresh worker read some files, or went on to another phase."""

    done: int
    """Files read so far."""
    total: int
    """Files to read in all (0 in phases that have no count)."""
    detail: str = ""
    """The progress line: phase, count, rate, time left (`reader.core.progress`)."""
    searchable: int = 0
    """Articles a search finds already (a big first build publishes its first batch early)."""


@dataclass(frozen=True)
class IndexState:
    """How the index is doing, as shown under every screen."""

    phase: IndexPhase
    """What is happening: checking, building, updating, waiting (for another process), ready,
    failed, reconnecting (a shared archive's server went away; tried again every few seconds)."""
    text: str = ""
    """One line for the reader."""
    done: int = 0
    """Files read so far (building and updating)."""
    total: int = 0
    """Files to read in all; 0 when unknown."""
    changed: bool = False
    """With `ready`: the index was just built or changed, so screens should search again."""
    detail: str = ""
    """While building or updating: the progress line (phase, count, rate, time left)."""
    searchable: int = 0
    """While building: articles a search finds already ("results so far"); 0 when none."""
    since: float = 0.0
    """With `ready` and a `text` (what a watched change did): when, by `time.monotonic()`."""

    @property
    def busy(self) -> bool:
        return self.phase in ("checking", "building", "updating", "waiting")
