"""What an engine answers: search pages and hits, link rows, refresh summaries, the index's
freshness, and the errors a face shows.

No engine here: the TUI imports these types before its first paint, and Whoosh loads after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # annotations only: a search never loads the link resolver
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
    """Number of matching articles: exact, or within about 25% when `total_is_estimate` (shown as
    "about N"; the list may end sooner, then the count is corrected)."""
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
    added: int = 0
    """Of those, the files the index did not have before (an update; 0 for a build)."""
    unchanged: int = 0
    touched: int = 0
    """Of the unchanged, the files with a new time but the bytes indexed (not read again)."""
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


ProgressPhase = Literal["scanning", "comparing", "reading", "writing", "merging", "committing"]


@dataclass(frozen=True, slots=True)
class ProgressReport:
    """How far one refresh is, as the engine reports it (see `reader.core.progress` for rates)."""

    phase: ProgressPhase
    """scanning: listing the archive; comparing: reading the files with a new time but the same
    size, to skip those whose bytes are the ones indexed (`done` of `total`); reading: reading and
    adding files (`done` of `total`);
    writing: one writer saving its segment; merging: the build's two writer processes finishing
    and their output joined; committing: saving the manifest and publishing the generation."""
    done: int = 0
    """Files read so far (reading); 0 in the other phases."""
    total: int = 0
    """Files to read in all (reading); 0 when the phase has no count."""
    searchable: int = 0
    """Articles a search already finds while the refresh goes on: a first build of a big archive
    publishes its first batch early (see `writing.FIRST_BATCH`); 0 otherwise."""


Progress = Callable[[ProgressReport], None]
"""progress(report): called as a refresh goes from phase to phase, and as files are read."""


class RefreshInterrupted(KeyboardInterrupt):
    """Ctrl+C after a first build published its first batch (see `writing.FIRST_BATCH`): those
    files stay indexed, and the next refresh reads only the rest."""

    def __init__(self, indexed: int, total: int) -> None:
        super().__init__(indexed, total)
        self.indexed = indexed
        """Archive files in the index's record (read and indexed, or skipped)."""
        self.total = total
        """Article files in the archive."""


class IndexMissing(Exception):
    """There is no index yet."""


class IndexDamaged(Exception):
    """The index files cannot be read."""


class EngineUnavailable(IndexMissing):
    """The engine's server cannot be reached (one line, naming host and database only). Faces show
    it as a state and try again: the TUI says it is reconnecting, the CLI prints the line."""


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


def describe(error: BaseException) -> str:
    """An exception in one short line (its type and the first line of its text), for the errors
    of a library that raises every kind on a damaged file."""
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:200] if text else type(error).__name__
