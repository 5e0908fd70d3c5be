"""Watching the archive folder: one signal per settled burst of changes, so a face can run the same
incremental refresh as at start. File-system events through `watchfiles` where it works, polling
where it does not; the folder may go away and come back.

The watcher says only that something may have changed: the refresh finds what (a refresh with
nothing to do is one scan of the folder), so a missed or extra signal costs little.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, Protocol

ChangeKind = Literal["changed", "gone", "back"]
"""changed: files were added, changed, renamed or removed (or, polling, may have been); gone: the
folder is no longer there; back: it is there again (refresh: anything may have changed)."""

# Quiet this long after the last event before saying so: a copy of 1,000 files is one signal.
SETTLE_MS = 300
# But not longer than this after the first event: a copy that never pauses still shows up.
LONGEST_BURST_MS = 3000
# How often to look whether the folder went or came back, and how often to poll without events.
CHECK_SECONDS = 2.0


class StopFlag(Protocol):
    """What tells the watcher to end: a `threading.Event`, or anything with its two methods."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


def _identity(folder: Path) -> tuple[int, int] | None:
    """The folder's device and inode, None when it is not there: a folder removed and made again
    is a new inode, which the old inotify watch does not see."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


def archive_changes(
    folder: Path,
    stop: StopFlag,
    settle_ms: int = SETTLE_MS,
    check_seconds: float = CHECK_SECONDS,
    polling: bool = False,
) -> Iterator[ChangeKind]:
    """Yield a `ChangeKind` each time the folder settles after changes, until `stop` is set.
    `polling` (or no usable `watchfiles`, or events that cannot be had) looks every
    `check_seconds` instead; then each look is a "changed" for the refresh to check."""
    try:
        import watchfiles  # a compiled wheel: a machine may lack it
    except ImportError:
        watchfiles = None
    identity = _identity(folder)
    while not stop.is_set():
        if identity is None:  # gone: look for it now and then
            if stop.wait(check_seconds):
                return
            identity = _identity(folder)
            if identity is not None:
                yield "back"
            continue
        if watchfiles is None:
            if stop.wait(check_seconds):
                return
            now = _identity(folder)
            if now != identity:
                identity = now
                yield "gone" if now is None else "back"
            else:
                yield "changed"
            continue
        # Changes made before the watch began (after the caller's last refresh, or while the folder
        # was away) have no event: the first answer of each new watch is a "changed".
        caught_up = False
        try:
            for batch in watchfiles.watch(
                folder, watch_filter=None, debounce=LONGEST_BURST_MS, step=settle_ms, stop_event=stop,
                rust_timeout=int(check_seconds * 1000), yield_on_timeout=True, recursive=False,
                force_polling=polling, poll_delay_ms=int(check_seconds * 1000), ignore_permission_denied=True,
            ):
                now = _identity(folder)
                if now != identity:  # removed, or removed and made again: watch it anew
                    identity = now
                    yield "gone" if now is None else "back"
                    break
                if batch or not caught_up:
                    caught_up = True
                    yield "changed"
        except (OSError, RuntimeError):  # no inotify (limits, some mounts), or the folder went
            now = _identity(folder)
            if now == identity:
                if polling and stop.wait(check_seconds):  # polling failed too: try again later
                    return
                polling = True  # events cannot be had here: poll
            else:
                identity = now
                yield "gone" if now is None else "back"
