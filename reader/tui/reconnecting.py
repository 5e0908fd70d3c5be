"""Reconnecting to a shared archive's server: when the engine cannot be reached, the app shows
"reconnecting" and asks again every few seconds; once it answers, screens search again."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.timer import Timer

from reader.core.types import EngineUnavailable
from reader.tui.messages import IndexState

# How often a lost server is asked again.
RETRY_SECONDS = 2.0


class Reconnector:
    """Tries `probe` (a cheap engine call) in a thread every RETRY_SECONDS while the engine is
    unreachable, and tells `show` the state: reconnecting, then ready (changed, so screens
    search again)."""

    def __init__(self, app: App[int], probe: Callable[[], object], show: Callable[[IndexState], None]) -> None:
        self.app = app
        self.probe = probe
        self.show = show
        self._timer: Timer | None = None

    @property
    def active(self) -> bool:
        return self._timer is not None

    def lost(self, reason: str) -> None:
        """The engine could not be reached (`reason`: one line naming host and database)."""
        self.show(IndexState("reconnecting", f"{reason}; reconnecting…"))
        if self._timer is None:
            self._timer = self.app.set_interval(RETRY_SECONDS, self._try)

    def _try(self) -> None:
        self.app.run_worker(self._ask, thread=True, exclusive=True, group="reconnect", exit_on_error=False,
                            description="Reconnecting")

    def _ask(self) -> None:
        try:
            self.probe()
        except EngineUnavailable as error:
            self.app.call_from_thread(self.show, IndexState("reconnecting", f"{error}; reconnecting…"))
            return
        self.app.call_from_thread(self._back)

    def _back(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.show(IndexState("ready", changed=True))
        self.app.notify("Connected again.", markup=False)
