"""A line under each screen while the index is checked, built or updated: what and how far."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static

from reader.tui.messages import IndexState


class IndexStatus(Horizontal):
    """Hidden while the index is ready; otherwise a message and, when known, a progress bar."""

    DEFAULT_CSS = """
    IndexStatus {
        height: 1;
        display: none;
        &.-shown { display: block; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="index-status-text")
        yield ProgressBar(show_eta=False, id="index-status-bar")

    def show(self, state: IndexState) -> None:
        """Show `state` (hide when the index is ready)."""
        shown = state.phase != "ready"
        self.set_class(shown, "-shown")
        self.set_class(state.phase == "failed", "-failed")
        self.query_one("#index-status-text", Static).update(Content(state.text))
        bar = self.query_one("#index-status-bar", ProgressBar)
        bar.display = state.busy and state.total > 0
        if state.total:
            bar.update(total=state.total, progress=state.done)
