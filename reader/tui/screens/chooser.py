"""A chooser for a link that names several stored articles (the same title more than once)."""

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


class ChooserScreen(ModalScreen[str | None]):
    """Pick one of several articles; dismisses with its id, or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reader.chooser.cancel"),
    ]

    def __init__(self, link_text: str, choices: list[tuple[str, str]]) -> None:
        """`choices` are (id, title) pairs."""
        super().__init__()
        self._link_text = link_text
        self._choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="chooser"):
            yield Static(
                Content.assemble("“", Content(self._link_text), f"” names {len(self._choices)} articles: which one?"),
                classes="dialog-title",
            )
            # Titles are archive text: Content prompts and markup off, never parsed as markup.
            options = [
                Option(Content.assemble(Content(title), ("  " + article_id, "dim")), id=article_id)
                for article_id, title in self._choices
            ]
            yield OptionList(*options, markup=False, id="choices")

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
