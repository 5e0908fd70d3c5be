"""A line under each screen while the index is checked, built or updated: what and how far
("Reading 12,400 of 100,000 articles · 850/s · 1:40 left" and a bar); once ready, what the last
watched change did ("3 articles added, 1 changed · just now"), instead of a toast each time."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static

from reader.core.progress import ago_text, clock_text
from reader.tui.messages import IndexState


class IndexStatus(Horizontal):
    """Hidden while the index is ready (unless a watched change is told of); otherwise a message
    and, once the refresh reports, a bar: filled while articles are read, moving to and fro in the
    phases that have no count."""

    DEFAULT_CSS = """
    IndexStatus {
        height: 1;
        display: none;
        &.-shown { display: block; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._state = IndexState("checking")
        self._since = time.monotonic()
        """When the line last changed: phases with no count (merging) show the time so far."""

    def compose(self) -> ComposeResult:
        yield Static(id="index-status-text")
        yield ProgressBar(show_eta=False, id="index-status-bar")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def show(self, state: IndexState) -> None:
        """Show `state` (hide when the index is ready)."""
        if state.detail != self._state.detail or state.phase != self._state.phase:
            self._since = time.monotonic()
        self._state = state
        shown = state.phase != "ready" or bool(state.text)
        self.set_class(shown, "-shown")
        self.set_class(state.phase == "failed", "-failed")
        self.set_class(state.phase == "reconnecting", "-reconnecting")
        self._show_text()
        bar = self.query_one("#index-status-bar", ProgressBar)
        bar.display = state.busy and (state.total > 0 or bool(state.detail))
        if state.total:
            bar.update(total=state.total, progress=state.done)
        elif state.detail:
            bar.update(total=None)  # indeterminate: writing, merging, committing

    def _show_text(self) -> None:
        state = self._state
        # The progress line says what is being done now; the reason for it came before.
        text = state.detail if state.busy and state.detail else state.text
        elapsed = time.monotonic() - self._since
        if state.busy and state.detail and not state.total and elapsed >= 1:
            text += f" · {clock_text(elapsed)} so far"  # no report comes while Whoosh merges
        if state.phase == "ready" and state.text:
            text += f" · {ago_text(time.monotonic() - state.since)}"
        self.query_one("#index-status-text", Static).update(Content(text))

    def _tick(self) -> None:
        state = self._state
        if (state.busy and state.detail and not state.total) or (state.phase == "ready" and state.text):
            self._show_text()
