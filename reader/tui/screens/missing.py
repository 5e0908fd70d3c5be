"""What following a dangling link shows: the story is not in this archive; search for its title?"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class MissingScreen(ModalScreen[bool]):
    """Dismisses with True to search for the title, False to stay."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reader.missing.cancel"),
        # A modal screen hides the app's bindings: `q` quits from here too (the same id, remapped with it).
        Binding("q", "app.quit", "Quit", id="reader.quit"),
    ]

    def __init__(self, link_text: str) -> None:
        super().__init__()
        self._link_text = link_text

    def compose(self) -> ComposeResult:
        with Vertical(id="missing"):
            yield Static(
                Content.assemble("“", Content(self._link_text), "” is not in this archive."),
                classes="dialog-title",
            )
            with Horizontal(classes="buttons"):
                yield Button("Search for its title", variant="primary", id="search-title")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#search-title", Button).focus()

    @on(Button.Pressed, "#search-title")
    def _search(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
