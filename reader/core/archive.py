"""Which files of an archive folder are articles, and what changed since the index last saw them."""

from __future__ import annotations

import marshal
import os
import sys
from functools import partial
from itertools import compress
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import NamedTuple

ARTICLE_SUFFIX = ".txt"


class ArchiveError(Exception):
    """The archive folder cannot be used (missing, not a folder, unreadable)."""


class FileStat(NamedTuple):
    """An article file as the index remembers it, to notice when it changes. A plain pair, so a
    scan of 100k files compares with the manifest's stamps in one dict comparison."""

    mtime_ns: int
    size: int


_NOT_ARTICLE_STARTS = (".", "#", "~")
_new_stat = partial(tuple.__new__, FileStat)  # FileStat(mtime, size), made in C: once per file per scan


def is_article_name(name: str) -> bool:
    """Article files end in `.txt`; hidden files and editor leftovers (`.#x.txt`, `x.txt~`,
    `x.txt.swp`, `#x.txt#`) do not count."""
    return name.endswith(ARTICLE_SUFFIX) and not name.startswith(_NOT_ARTICLE_STARTS)


def check_archive(archive: Path) -> Path:
    """The archive as an absolute path, or `ArchiveError` saying what is wrong with it."""
    path = archive.expanduser()
    if not path.exists():
        raise ArchiveError(f"archive folder not found: {path}")
    if not path.is_dir():
        raise ArchiveError(f"archive is not a folder: {path}")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ArchiveError(f"archive folder is not readable: {path}")
    return path.resolve()


class Scan:
    """The article files of an archive folder as one scan found them, in the folder's own order
    (stable while no file is added or removed): three parallel columns. A refresh compares them
    with the index's record, kept in the same order, as whole lists in C; a dict of 100k
    (time, size) pairs cost more to make and compare than the scan's system calls."""

    __slots__ = ("_files", "mtimes", "names", "sizes")

    def __init__(self, names: list[str], mtimes: list[int], sizes: list[int]) -> None:
        self.names = names
        self.mtimes = mtimes
        self.sizes = sizes
        self._files: dict[str, FileStat] | None = None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def files(self) -> dict[str, FileStat]:
        """Each file's (time, size), by name (made when first asked for)."""
        if self._files is None:
            self._files = dict(zip(self.names, map(_new_stat, zip(self.mtimes, self.sizes))))
        return self._files


def scan_folder(archive: Path) -> Scan:
    """The article files directly inside `archive`, in the folder's order. Sub-folders are not
    searched; a symbolic link counts as the file it leads to (with that file's time and size)."""
    try:
        folder = os.open(archive, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        raise ArchiveError(f"cannot list the archive folder {archive}: {error.strerror}") from None
    # A stat per file is most of a scan (at 100k files, 0.3 s of system time against 0.04 s to
    # list the names). Made through a descriptor, each stat looks up one name in the folder
    # instead of walking the whole path again; a big folder's are shared with a forked helper.
    try:
        names = [name for name in os.listdir(folder) if name.endswith(ARTICLE_SUFFIX)
                 and not name.startswith(_NOT_ARTICLE_STARTS)]
        return _stat_in_parallel(folder, names) if _may_fork(len(names)) else _Stats(folder, names).scan(names)
    except OSError as error:
        raise ArchiveError(f"cannot list the archive folder {archive}: {error.strerror}") from None
    finally:
        os.close(folder)


class _Stats:
    """The times and sizes of some names of a folder, as parallel columns; `keep[i]` is 0 for a
    name that is not a file (a sub-folder, a broken link) or went away meanwhile."""

    __slots__ = ("keep", "mtimes", "sizes")

    def __init__(self, folder: int, names: list[str]) -> None:
        keep = bytearray(len(names))
        mtimes: list[int] = []  # lists, not arrays: a time past 2262 (`touch -d 3000-01-01`) is a valid one
        sizes: list[int] = []
        # Written out (no helper calls, no stat results kept): it runs once per file at every start.
        lstat, is_file, is_link = os.lstat, S_ISREG, S_ISLNK
        for position, name in enumerate(names):
            try:
                info = lstat(name, dir_fd=folder)
                if not is_file(info.st_mode):
                    if not is_link(info.st_mode):
                        continue
                    info = os.stat(name, dir_fd=folder)  # a link counts as what it leads to
                    if not is_file(info.st_mode):
                        continue
            except OSError:  # vanished, or a broken link: not an article any more
                continue
            keep[position] = 1
            mtimes.append(info.st_mtime_ns)
            sizes.append(info.st_size)
        self.keep, self.mtimes, self.sizes = keep, mtimes, sizes

    def scan(self, names: list[str]) -> Scan:
        if self.keep.count(0):
            names = list(compress(names, self.keep))
        return Scan(names, self.mtimes, self.sizes)

    def to_bytes(self) -> bytes:
        return marshal.dumps((bytes(self.keep), self.mtimes, self.sizes))  # in C, any size of int

    @classmethod
    def from_bytes(cls, data: bytes, count: int) -> _Stats:
        try:
            keep, mtimes, sizes = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            raise ValueError("a scan helper's answer was cut short") from None
        if not (isinstance(keep, bytes) and isinstance(mtimes, list) and isinstance(sizes, list)
                and len(keep) == count and len(mtimes) == len(sizes) == keep.count(1)):
            raise ValueError("a scan helper's answer does not fit its names")
        stats = cls.__new__(cls)
        stats.keep, stats.mtimes, stats.sizes = bytearray(keep), mtimes, sizes
        return stats

    def extend(self, other: _Stats) -> None:
        self.keep += other.keep
        self.mtimes += other.mtimes
        self.sizes += other.sizes


# From this many files a scan shares its stats with a forked helper process: two cores make them
# in half the time, where the fork and the answer's copy cost a few milliseconds.
PARALLEL_SCAN_MIN = 20_000


def _may_fork(count: int) -> bool:
    """Whether a helper can be forked safely and to some use: POSIX, a big folder, no other thread
    running (a forked child of a threaded process may find a lock held forever; the TUI scans
    from a worker thread and is never forked), and a core to run it on."""
    if count < PARALLEL_SCAN_MIN or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    return core_free()


def core_free() -> bool:
    """Whether another core is idle now. On Linux the kernel's count of runnable tasks at this
    instant (the fourth field of /proc/loadavg, which counts this process) is read: the minute's
    load average lags, and right after other busy work it kept the helper away from an idle core
    (100k `reader search` 647 ms wall where 442 ms was to be had). Elsewhere the load average,
    below the cores less a half: on a machine kept busy the helper only waits for a core, and the
    shared scan was slower than the serial one (1.07 s against 0.92 s at a load of 4.7 on 2)."""
    cores = _usable_cores()
    try:
        with open("/proc/loadavg", "rb") as stats:
            runnable = int(stats.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        runnable = None
    if runnable is not None:
        return runnable < cores
    try:
        return os.getloadavg()[0] < cores - 0.5
    except (AttributeError, OSError):  # no load average to be had (not POSIX)
        return False


def _usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` can allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _stat_in_parallel(folder: int, names: list[str]) -> Scan:
    """The scan of `names`, the second half statted by a forked child that sends its columns back
    through a pipe. Anything amiss with the child (it could not start, died, answered short) and
    the parent stats that half itself: the answer is always the serial scan's."""
    half = len(names) // 2
    first, second = names[:half], names[half:]
    try:
        readable, writable = os.pipe()
    except OSError:
        return _Stats(folder, names).scan(names)
    try:
        child = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        return _Stats(folder, names).scan(names)
    if child == 0:  # the helper: stat, answer, and leave without running any of the parent's exit code
        code = 1
        try:
            os.close(readable)
            view = memoryview(_Stats(folder, second).to_bytes())
            while view:
                view = view[os.write(writable, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(writable)
    try:
        stats = _Stats(folder, first)
        data = _read_all(readable)
    finally:
        os.close(readable)
        _reap(child)
    try:
        stats.extend(_Stats.from_bytes(data, len(second)))
    except ValueError:
        stats.extend(_Stats(folder, second))
    return stats.scan(names)


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _reap(child: int) -> None:
    try:
        os.waitpid(child, 0)
    except ChildProcessError:  # already reaped (a SIGCHLD handler of the embedding program)
        pass


def scan(archive: Path) -> dict[str, FileStat]:
    """The article files directly inside `archive`, by name. Sub-folders are not searched."""
    return scan_folder(archive).files
