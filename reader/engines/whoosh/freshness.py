"""Whether an index matches its archive, found without Whoosh: the schema stamp, the manifest, the
sizes of the index's files and a scan of the archive folder.

`reader index` with nothing to do, and the TUI's first check, run only this: importing and opening
Whoosh is a fifth of a second they do not need.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from reader.core import manifest as manifest_file
from reader.core import stamp as stamp_file
from reader.core.archive import Scan, scan_folder
from reader.core.types import Freshness, IndexBusy, IndexLocationError, RefreshSummary
from reader.engines.whoosh.store import CURRENT_NAME, IndexStore

# Reasons that start with this mean files of the index were lost or cut, not that the archive changed.
DAMAGED = "the index is damaged"
OUTDATED = "the index format changed"
NO_INDEX = "no index yet"

# Bump when the schema or what goes into it changes: an index of another version is rebuilt.
SCHEMA_VERSION = 3  # 2: the words' beginnings (title_starts, body_starts); 3: word pairs (title_pairs, body_pairs)
VERSION_FILE = "reader-schema"


def load_manifest(folder: Path) -> manifest_file.Manifest | None:
    """`manifest.load`, read once per version of the file: a command checks the index is fresh,
    then reads the titles, from the same 100k-entry record. Callers must not change it."""
    try:
        stat = (folder / manifest_file.MANIFEST_NAME).stat()
    except OSError:
        return None
    try:
        changes = (folder / manifest_file.CHANGES_NAME).stat()
    except OSError:
        version: tuple[int, ...] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    else:
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size, changes.st_ino, changes.st_mtime_ns, changes.st_size)
    return _cached_manifest(str(folder), version)


@lru_cache(maxsize=2)
def _cached_manifest(folder: str, version: tuple[int, ...]) -> manifest_file.Manifest | None:
    return manifest_file.load(Path(folder))


def schema_version(folder: Path) -> int:
    try:
        return int((folder / VERSION_FILE).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return -1


# Files of a generation that are not Whoosh's: the record and its changes, Whoosh's empty lock, our version stamp.
_UNRECORDED = frozenset(
    {manifest_file.MANIFEST_NAME, manifest_file.CHANGES_NAME, stamp_file.STAMP_NAME, "MAIN_WRITELOCK", VERSION_FILE}
)


def version_reason(folder: Path) -> str:
    if schema_version(folder) == -1:  # no number there at all: lost or cut, not an older format
        return f"{DAMAGED} ({VERSION_FILE} is missing or unreadable)"
    return OUTDATED


def no_index_reason(store: IndexStore) -> str:
    if (store.root / CURRENT_NAME).exists():
        return f"{DAMAGED} ({CURRENT_NAME} does not name a complete index)"
    try:  # a finished generation without CURRENT: the pointer was deleted
        if any(p.name.startswith("g-") and not p.name.endswith(".tmp") for p in store.root.iterdir()):
            return f"{DAMAGED} ({CURRENT_NAME} is missing)"
    except OSError:
        pass
    return NO_INDEX


def index_files(folder: Path) -> dict[str, int]:
    """Whoosh's files of a generation with their sizes, recorded in the manifest after a commit."""
    with os.scandir(folder) as entries:
        return {
            entry.name: entry.stat().st_size
            for entry in entries
            if entry.is_file() and entry.name not in _UNRECORDED and not entry.name.startswith(".")
        }


def toc_generation(name: str) -> int:
    """The generation of a Whoosh table of contents file `_MAIN_<n>.toc`, or -1."""
    number = name.removeprefix("_MAIN_").removesuffix(".toc")
    return int(number) if name.startswith("_MAIN_") and name.endswith(".toc") and number.isdigit() else -1


def damage(folder: Path, saved: manifest_file.Manifest | None) -> str:
    """A file recorded after the last commit that is now missing, emptied or cut short ('' when all
    are as recorded). Whoosh itself fails on such files with tracebacks of every kind, or reads on
    with wrong results; this notices them from their sizes, before Whoosh opens anything."""
    if saved is None:
        return ""
    return _damage(folder, saved.generation, saved.files)


def _damage(folder: Path, generation: int, files: dict[str, int]) -> str:
    if f"_MAIN_{generation}.toc" not in files:
        return ""
    try:
        names = os.listdir(folder)
    except OSError as error:
        return f"its folder cannot be listed ({error.strerror})"
    if any(toc_generation(name) > generation for name in names):
        return ""  # committed after the record was written (a crash in between): Whoosh decides
    for name, size in sorted(files.items()):
        try:
            actual = (folder / name).stat().st_size
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as error:
            return f"{name} cannot be read ({error.strerror})"
        if actual != size:
            return f"{name} has {actual:,} bytes instead of {size:,}"
    return ""


def latest_generation(folder: Path) -> int:
    """The newest Whoosh generation committed in `folder` (as Whoosh itself finds it), or -1."""
    try:
        return max((toc_generation(name) for name in os.listdir(folder)), default=-1)
    except OSError:
        return -1


def _stamped(archive: Path, store: IndexStore) -> tuple[RefreshSummary | None, Scan | None]:
    """The summary of a refresh with nothing to do, found from the stamp beside the manifest
    (`reader.core.stamp`) without reading the manifest; else None, with the scan when one was made."""
    folder = store.current()
    if folder is None or schema_version(folder) != SCHEMA_VERSION:
        return None, None
    stamp = stamp_file.load(folder)
    if stamp is None or latest_generation(folder) != stamp.generation or _damage(folder, stamp.generation, stamp.files):
        return None, None
    files = scan_folder(archive)
    if len(files) != stamp.count or stamp_file.scan_digest(files) != stamp.digest:
        return None, files
    summary = RefreshSummary(unchanged=len(files) - len(stamp.skipped), total=stamp.indexed)
    summary.skipped.update(stamp.skipped)
    return summary, files


def _compare(archive: Path, store: IndexStore, files: Scan | None = None) -> tuple[str, manifest_file.Manifest | None, Scan | None]:
    """Why the index does not match the archive ('' when it does), with its record and the
    archive's scan when they were read (`files`: one just made)."""
    folder = store.current()
    if folder is None:
        return no_index_reason(store), None, None
    if schema_version(folder) != SCHEMA_VERSION:
        return version_reason(folder), None, None
    saved = load_manifest(folder)
    if saved is None:
        return f"{DAMAGED} (its record {manifest_file.MANIFEST_NAME} is missing or unreadable)", None, None
    problem = damage(folder, saved)
    if problem:
        return f"{DAMAGED} ({problem})", saved, None
    if files is None:
        files = scan_folder(archive)
    removed, changed = saved.compare(files)
    if not removed and not changed:
        return "", saved, files
    added = len(files) - (len(saved) - len(removed))
    return ("files were added or removed" if removed or added else "files changed"), saved, files


def stale_reason(archive: Path, store: IndexStore) -> str:
    """Why the index does not match the archive ('' when it does). Found current the slow way
    (an index made before stamps, or whose stamp is void), the index is stamped, as a refresh with
    nothing to do stamps it: `reader search` ran the slow check at every start otherwise."""
    quick, files = _stamped(archive, store)
    if quick is not None:
        return ""
    reason, saved, files = _compare(archive, store, files)
    folder = store.current()
    if (not reason and saved is not None and files is not None and folder is not None and not saved.outdated
            and latest_generation(folder) == saved.generation and not store.has_leftovers()):
        _stamp_quietly(store, folder, files)
    return reason


def unchanged_summary(files: Scan, saved: manifest_file.Manifest) -> RefreshSummary:
    """What a refresh that found `files` exactly as `saved` records them reports."""
    summary = RefreshSummary(unchanged=len(files), total=saved.indexed_count())
    summary.skipped.update(saved.skipped())  # every recorded file was found
    summary.unchanged -= len(summary.skipped)
    return summary


def nothing_to_do(archive: Path, store: IndexStore) -> tuple[RefreshSummary | None, Scan | None]:
    """The summary of a refresh when the archive and the index's record agree and the record is
    the newest commit's, in the current format. Otherwise None, with the archive's scan when one
    was made: a real refresh must look (a change, a crash between commit and record, damage,
    another schema) and can reuse it."""
    if store.has_leftovers():  # of a killed writer: the refresh that takes the lock clears them
        return None, None
    quick, files = _stamped(archive, store)
    if quick is not None:
        return quick, files
    reason, saved, files = _compare(archive, store, files)
    folder = store.current()
    if reason or saved is None or files is None or folder is None:
        return None, files
    if saved.outdated or latest_generation(folder) != saved.generation:
        return None, files
    _stamp_quietly(store, folder, files)
    return unchanged_summary(files, saved), files


def _stamp_quietly(store: IndexStore, folder: Path, files: Scan) -> None:
    """An index made before stamps (or whose stamp is void): stamp it now if no writer is at work,
    so the next check is the quick one. Skipped when the lock cannot be had at once."""
    try:
        with store.writing(wait=0):
            saved = load_manifest(folder)  # under the lock: the record as it is now
            if (saved is not None and store.current() == folder and not saved.outdated
                    and latest_generation(folder) == saved.generation and saved.compare(files) == ([], {})):
                stamp_file.save(folder, saved, files.names)
    except (IndexBusy, IndexLocationError, OSError):
        pass


def classify(reason: str) -> Freshness:
    """The typed state of a reason from `stale_reason`, for the faces."""
    if not reason:
        return Freshness("current")
    if reason.startswith(DAMAGED):
        return Freshness("damaged", reason)
    if reason == OUTDATED:
        return Freshness("outdated", reason)
    if reason == NO_INDEX:
        return Freshness("missing", reason)
    return Freshness("stale", reason)
