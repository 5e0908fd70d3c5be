"""What an engine answers: search pages and hits, link rows, refresh summaries, the index's
freshness, and the errors a face shows.

No engine here: the TUI imports these types before its first paint, and Whoosh loads after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from reader.core.article import Link
from reader.core.links import Resolution


@dataclass(frozen=True, slots=True)
class Snippet:
    """A line of an article around the words that matched; `spans` index into `text`."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result."""

    id: str
    title: str
    path: str
    """File name inside the archive."""
    score: float
    snippet: Snippet | None = None
    """Filled for the rows asked for; the TUI asks only for those on screen."""


@dataclass(frozen=True, slots=True)
class SearchPage:
    """The answer to one query."""

    query: str
    hits: tuple[Hit, ...] = ()
    total: int = 0
    """Number of matching articles (a lower bound when `total_is_estimate`)."""
    total_is_estimate: bool = False
    suggestion: str | None = None
    """A corrected query when nothing matched."""
    error: str | None = None
    """Why the query could not be run, in one line."""
    terms: tuple[str, ...] = ()
    """The words the query matched on, for highlighting the article it opens."""


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One link of the archive's link report."""

    source: str
    """Id of the article the link is in."""
    link: Link
    resolution: Resolution


class QueryError(ValueError):
    """A query the user must change; the message is one line."""


@dataclass(slots=True)
class RefreshSummary:
    """What one `refresh` did."""

    indexed: int = 0
    """Files read and added (new or changed)."""
    unchanged: int = 0
    removed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    """File name -> reason, for every file that is not an article (old and new)."""
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rebuilt: bool = False
    rebuild_reason: str = ""
    total: int = 0
    """Articles in the index afterwards."""

    @property
    def changed(self) -> bool:
        return self.rebuilt or bool(self.indexed or self.removed)


Progress = Callable[[int, int], None]
"""progress(done, total): called as files are read."""


class IndexMissing(Exception):
    """There is no index yet."""


class IndexDamaged(Exception):
    """The index files cannot be read."""


class IndexBusy(Exception):
    """Another process is writing the index."""


class IndexLocationError(Exception):
    """The index folder cannot be used (not writable, not a folder, inside the archive)."""


REBUILD_HINT = "; run `reader index --rebuild`"

FreshnessState = Literal["current", "stale", "missing", "damaged", "outdated"]


@dataclass(frozen=True, slots=True)
class Freshness:
    """Whether an index matches its archive, and why not."""

    state: FreshnessState
    """current: nothing to do; stale: files were added, changed or removed (a refresh reads
    those); missing: no index yet; damaged: files of the index were lost or cut; outdated: an older
    format. The last three mean a whole build."""
    reason: str = ""
    """One line for the user ('' when current)."""

    @property
    def current(self) -> bool:
        return self.state == "current"

    @property
    def whole_build(self) -> bool:
        """Whether bringing it up to date means building it from every file."""
        return self.state in ("missing", "damaged", "outdated")

    @property
    def damaged(self) -> bool:
        return self.state == "damaged"


CURRENT = Freshness("current")
