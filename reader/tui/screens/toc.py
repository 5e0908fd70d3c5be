"""The table of contents of an article: its sub-headings; Enter jumps to one."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class TocScreen(ModalScreen[int | None]):
    """Pick a sub-heading; dismisses with its unit in the body, or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,t", "cancel", "Close", id="reader.toc.close"),
        # A modal screen hides the app's bindings: `q` quits from here too (the same id, remapped with it).
        Binding("q", "app.quit", "Quit", id="reader.quit"),
    ]

    def __init__(self, title: str, headings: list[tuple[int, str]]) -> None:
        """`headings` are (unit, text) pairs of the article body."""
        super().__init__()
        self._title = title
        self._headings = headings

    def compose(self) -> ComposeResult:
        with Vertical(id="toc"):
            yield Static(Content.assemble("Contents of “", Content(self._title), "”"), classes="dialog-title")
            if self._headings:
                # Headings are archive text: Content prompts and markup off.
                yield OptionList(
                    *(Option(Content(text), id=str(unit)) for unit, text in self._headings), markup=False, id="toc-list"
                )
            else:
                yield Static(Content("This article has no sub-headings."), id="toc-empty")

    def on_mount(self) -> None:
        for options in self.query("#toc-list").results(OptionList):
            options.focus()

    @on(OptionList.OptionSelected, "#toc-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option_id) if event.option_id else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
