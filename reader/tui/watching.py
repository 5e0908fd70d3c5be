"""The TUI's watch on its archive folder: a thread worker waits for settled bursts of changes
(`reader.core.watch`) and the app runs its usual incremental refresh, one at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.worker import Worker, get_current_worker

from reader.core.watch import ChangeKind, archive_changes


class _Stop:
    """Set when the app stops the watch or cancels its worker (closing: the app's exit waits for
    the worker's thread, so the watch must notice)."""

    def __init__(self, event: threading.Event, worker: Worker[None]) -> None:
        self.event = event
        self.worker = worker

    def is_set(self) -> bool:
        return self.event.is_set() or self.worker.is_cancelled

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if left <= 0:
                return False
            self.event.wait(left)
        return True


class ArchiveWatch:
    """Started once the app is mounted; ends when its worker is cancelled (the app closing).
    `refresh` starts the app's refresh worker (group "index")."""

    def __init__(self, app: App[Any], archive: Path | None, refresh: Callable[[], object]) -> None:
        self.app = app
        self.archive = archive
        self.refresh = refresh
        self._stop = threading.Event()
        self._pending = False
        """Changes came while a refresh ran: refresh again when it ends (never cancel it)."""
        self._gone = False

    def start(self) -> None:
        if self.archive is None:  # an engine without the files here: nothing to watch
            return
        self.app.run_worker(
            self._watch, thread=True, exclusive=True, group="watch", exit_on_error=False,
            description="Watching the archive folder",
        )

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        assert self.archive is not None
        stop = _Stop(self._stop, get_current_worker())
        for kind in archive_changes(self.archive, stop):
            if stop.is_set():
                return
            try:
                self.app.call_from_thread(self._changed, kind)
            except RuntimeError:  # the app closed between the change and this call
                return

    def _changed(self, kind: ChangeKind) -> None:
        if kind == "gone":
            if not self._gone:
                self.app.notify("The archive folder is gone; reading on from the index until it is back.",
                                severity="warning", markup=False)
            self._gone = True
            return
        self._gone = False
        # Not its state: a refresh just started has not said so yet, and a second one would cancel it.
        if any(worker.group == "index" and not worker.is_finished for worker in self.app.workers):
            self._pending = True
        else:
            self.refresh()

    def refresh_ended(self) -> None:
        """The app's refresh worker ended (however): run the one the watcher asked for meanwhile."""
        busy = any(worker.group == "index" and not worker.is_finished for worker in self.app.workers)
        if self._pending and not busy and not self._stop.is_set():
            self._pending = False
            self.refresh()
