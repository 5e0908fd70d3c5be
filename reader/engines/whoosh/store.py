"""The index folder on disk: one writer at a time, and whole generations swapped in atomically.

Layout of an index folder:
    lock        held (flock) by the one process that writes
    CURRENT     the name of the generation in use, replaced atomically
    g-<n>/      a generation: the Whoosh files and the manifest
    g-<n>.tmp/  a generation being built; never read, removed if its builder died

A rebuild fills a new `.tmp` generation and only then points CURRENT at it, so readers see the old
index or the new one, never a half-built one, and a killed build leaves the old one in use.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from reader.core.types import IndexBusy, IndexLocationError

CURRENT_NAME = "CURRENT"
LOCK_NAME = "lock"
_PREFIX = "g-"
_BUILDING = ".tmp"


class IndexStore:
    """One index folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # --- reading --------------------------------------------------------------------------------

    def current_name(self) -> str | None:
        """The generation in use, or None before the first build."""
        try:
            name = (self.root / CURRENT_NAME).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not name.startswith(_PREFIX) or "/" in name or not (self.root / name).is_dir():
            return None
        return name

    def current(self) -> Path | None:
        name = self.current_name()
        return self.root / name if name else None

    # --- writing --------------------------------------------------------------------------------

    def ensure_writable(self) -> None:
        """Create the folder; raise `IndexLocationError` when it cannot be written."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise IndexLocationError(
                f"cannot write the index folder {self.root}: {error.strerror or error}"
            ) from None

    @contextmanager
    def writing(self, wait: float = 10.0) -> Iterator[None]:
        """Hold the write lock; wait up to `wait` seconds for another writer, then `IndexBusy`."""
        self.ensure_writable()
        handle = open(self.root / LOCK_NAME, "a+")  # noqa: SIM115 - held until the finally below
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        holder = _read_pid(handle)
                        who = f" (process {holder})" if holder else ""
                        raise IndexBusy(
                            f"another reader is updating the index at {self.root}{who}; "
                            "try again when it has finished"
                        ) from None
                    time.sleep(0.1)
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            self._remove_leftovers()
            yield
        finally:
            handle.close()  # closing releases the flock; a killed process releases it too

    def new_generation(self) -> Path:
        """An empty folder to build a generation in (call while holding the lock)."""
        folder = self.root / f"{_PREFIX}{time.time_ns()}{_BUILDING}"
        folder.mkdir()
        return folder

    def publish(self, building: Path) -> Path:
        """Make a finished generation the current one and remove the ones before it."""
        final = building.with_name(building.name.removesuffix(_BUILDING))
        _fsync_tree(building)
        building.rename(final)
        temporary = self.root / f".{CURRENT_NAME}.{os.getpid()}"
        with open(temporary, "w", encoding="ascii") as stream:
            stream.write(final.name)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, self.root / CURRENT_NAME)
        _fsync_dir(self.root)
        self._remove_leftovers()
        return final

    def _leftovers(self) -> Iterator[Path]:
        """Half-built generations (a killed builder, or one at work), superseded ones, and the
        temporaries of a killed atomic write."""
        current = self.current_name()
        for entry in self.root.iterdir():
            superseded = entry.name.startswith(_PREFIX) and entry.name != current and entry.is_dir()
            if superseded or entry.name.startswith(f".{CURRENT_NAME}."):
                yield entry
        if current:
            # A writer killed while writing a file of the current generation atomically leaves its
            # temporary behind: ours (the manifest) are hidden; Whoosh writes its table of contents
            # as `_MAIN_<n>.toc.<time>` and renames it, and its own cleaning keeps one whose
            # generation the next commit reuses.
            yield from (self.root / current).glob(".*.tmp")
            yield from (self.root / current).glob("_*.toc.*")

    def has_leftovers(self) -> bool:
        """Whether a writer has something to clean up (so a refresh must take the lock)."""
        try:
            return any(True for _ in self._leftovers())
        except OSError:
            return True

    def _remove_leftovers(self) -> None:
        """Remove what `_leftovers` finds; only a writer makes such files, and we are it."""
        for entry in list(self._leftovers()):
            if entry.is_dir():
                import shutil  # only a writer cleans up: a search does not load it

                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _read_pid(handle: IO[str]) -> str:
    try:
        with open(handle.name, encoding="ascii") as stream:
            return stream.read(20).strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _fsync_tree(folder: Path) -> None:
    """Flush a generation's files to disk before it is published, so a crash cannot publish holes."""
    for entry in folder.iterdir():
        if entry.is_file():
            with open(entry, "rb") as stream:
                os.fsync(stream.fileno())
    _fsync_dir(folder)
