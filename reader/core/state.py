"""Reading state: read marks, bookmarks, the position in each article and the recent list.

Kept in the user's data folder (`platformdirs`; `$READER_DATA_DIR` overrides it, as tests do),
never in the archive: one JSON file per archive, named by a hash of the archive's resolved path
(of the engine's location when there is no archive folder, e.g. PostgreSQL), written atomically
(a temporary file, then `os.replace`). Everything is keyed by article id, so it survives a rebuild
of the index and an article's file being rewritten. Pure: no Textual.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

DATA_ENV = "READER_DATA_DIR"
FORMAT = 1
# Positions and read marks older than these counts are forgotten (oldest first), so the file stays small.
MAX_POSITIONS = 2000
MAX_READ = 50000
MAX_RECENT = 50


class Located(Protocol):
    """What the state needs of a library: where its archive or index is."""

    @property
    def archive(self) -> Path | None: ...

    @property
    def location(self) -> str: ...


def data_dir() -> Path:
    """The folder of reader's reading state: `$READER_DATA_DIR`, else the platform's data folder."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs  # only when there is no override: tests never look at the real home

    return Path(platformdirs.user_data_dir("reader", appauthor=False))


def state_key(library: Located) -> tuple[str, str]:
    """(file stem, what it names) for a library: its archive's resolved path, else its location."""
    archive = library.archive
    if archive is not None:
        resolved = archive.expanduser().resolve()
        named = str(resolved)
        label = "".join(c if c.isalnum() or c in "-_" else "_" for c in resolved.name)[:40] or "archive"
    else:
        named = library.location
        label = "location"
    digest = hashlib.sha1(named.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{label}-{digest}", named


def state_path(library: Located, folder: Path | None = None) -> Path:
    """The JSON file holding the reading state of `library`."""
    stem, _ = state_key(library)
    return (folder or data_dir()) / "state" / f"{stem}.json"


@dataclass(frozen=True, slots=True)
class Bookmark:
    """One bookmarked article."""

    id: str
    """The article's id."""
    title: str
    """Its title when it was bookmarked (shown when the index is not at hand)."""
    added: float
    """When it was bookmarked (seconds since the epoch)."""


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and `os.replace`: a crash
    leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


class ReadingState:
    """What a reader remembers of one archive. `path` None keeps it in memory only (tests, and a
    data folder that cannot be written)."""

    def __init__(self, path: Path | None = None, names: str = "") -> None:
        self.path = path
        self.names = names
        """The archive path (or location) the file belongs to, written into it for people."""
        self._read: dict[str, float] = {}
        self._bookmarks: dict[str, Bookmark] = {}
        self._positions: dict[str, float] = {}
        self._recent: list[str] = []
        self.problem = ""
        """Why the file could not be read or written, in one line ('' when all is well)."""

    # --- loading and saving ----------------------------------------------------------------------

    @classmethod
    def for_library(cls, library: Located, folder: Path | None = None) -> ReadingState:
        """The state of `library`, loaded from its file (empty when there is none yet)."""
        archive = library.archive
        path = state_path(library, folder)
        _, names = state_key(library)
        state = cls(path, names)
        if archive is not None and _inside(path, archive):
            state.path = None  # never write into the archive, even when told to
            state.problem = "the data folder is inside the archive; reading state is not kept"
            return state
        state.load()
        return state

    def load(self) -> None:
        """Read the file; a missing one is an empty state, a damaged one too (said in `problem`)."""
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            self.problem = f"reading state {self.path} could not be read ({error}); starting afresh"
            return
        if not isinstance(data, dict):
            self.problem = f"reading state {self.path} is not a JSON object; starting afresh"
            return
        self._read = {str(k): float(v) for k, v in _dict(data.get("read")).items() if _number(v)}
        self._positions = {str(k): float(v) for k, v in _dict(data.get("positions")).items() if _number(v)}
        self._recent = [str(item) for item in _list(data.get("recent"))][:MAX_RECENT]
        for item in _list(data.get("bookmarks")):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                added = item.get("added")
                self._bookmarks[item["id"]] = Bookmark(
                    item["id"], str(item.get("title") or item["id"]), float(added) if _number(added) else 0.0
                )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "archive": self.names,
            "read": self._read,
            "bookmarks": [{"id": b.id, "title": b.title, "added": b.added} for b in self._bookmarks.values()],
            "positions": self._positions,
            "recent": self._recent,
        }

    def save(self) -> None:
        """Write the file atomically; a folder that cannot be written is said once in `problem`."""
        if self.path is None:
            return
        try:
            write_atomically(self.path, json.dumps(self.to_json(), ensure_ascii=False, indent=1))
        except OSError as error:
            self.problem = f"reading state cannot be saved in {self.path.parent} ({error.strerror or error})"
            self.path = None

    # --- read marks ------------------------------------------------------------------------------

    def mark_read(self, article_id: str) -> None:
        self._read.pop(article_id, None)
        self._read[article_id] = time.time()
        _trim(self._read, MAX_READ)

    def is_read(self, article_id: str) -> bool:
        return article_id in self._read

    @property
    def read_ids(self) -> set[str]:
        return set(self._read)

    # --- bookmarks -------------------------------------------------------------------------------

    def is_bookmarked(self, article_id: str) -> bool:
        return article_id in self._bookmarks

    def toggle_bookmark(self, article_id: str, title: str) -> bool:
        """Bookmark the article, or drop its bookmark; True when it is bookmarked now."""
        if self._bookmarks.pop(article_id, None) is not None:
            return False
        self._bookmarks[article_id] = Bookmark(article_id, title, time.time())
        return True

    def remove_bookmark(self, article_id: str) -> None:
        self._bookmarks.pop(article_id, None)

    @property
    def bookmarks(self) -> list[Bookmark]:
        """Every bookmark, the most recently added first."""
        return sorted(self._bookmarks.values(), key=lambda b: b.added, reverse=True)

    # --- positions and recent --------------------------------------------------------------------

    def set_position(self, article_id: str, scroll_y: float) -> None:
        self._positions.pop(article_id, None)
        if scroll_y > 0:
            self._positions[article_id] = round(float(scroll_y), 1)
            _trim(self._positions, MAX_POSITIONS)

    def position(self, article_id: str) -> float:
        return self._positions.get(article_id, 0.0)

    def add_recent(self, article_id: str) -> None:
        if article_id in self._recent:
            self._recent.remove(article_id)
        self._recent.insert(0, article_id)
        del self._recent[MAX_RECENT:]

    @property
    def recent(self) -> list[str]:
        return list(self._recent)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _trim(table: dict[str, float], limit: int) -> None:
    # Dicts keep insertion order and every update re-inserts: the first keys are the oldest.
    excess = len(table) - limit
    if excess > 0:
        for key in list(_first(table, excess)):
            del table[key]


def _first(table: dict[str, float], count: int) -> Iterator[str]:
    for number, key in enumerate(table):
        if number >= count:
            return
        yield key


def _dict(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> Iterable[Any]:
    return value if isinstance(value, list) else []


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
