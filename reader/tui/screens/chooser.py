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
        # A modal screen hides the app's bindings: `q` quits from here too (the same id, remapped with it).
        Binding("q", "app.quit", "Quit", id="reader.quit"),
    ]

    def __init__(self, link_text: str, choices: list[tuple[str, str]] | list[tuple[str, str, str]]) -> None:
        """`choices` are (id, title) pairs, or (id, title, detail): a line that tells the
        targets apart (the first line of the body, the file's date)."""
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
            # Room for one line of detail: the dialog is 80% of the screen (38 to 90 cells), less its frame.
            room = max(16, min(90, max(38, int(self.app.size.width * 0.8))) - 6)
            wide = self.app.size.width >= 60
            options = [Option(_prompt(*choice, room=room, wide=wide), id=choice[0]) for choice in self._choices]
            yield OptionList(*options, markup=False, id="choices")

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _prompt(article_id: str, title: str, detail: str = "", *, room: int = 80, wide: bool = True) -> Content:
    """The title (and the id, when there is room), then the detail on one dimmed line cut to
    `room` cells (archive text kept literal: Content, never markup)."""
    head = Content.assemble(Content(title), ("  " + article_id, "dim")) if wide or not detail else Content(title)
    if not detail:
        return head
    return Content.assemble(head, "\n", Content(detail).truncate(room, ellipsis=True).stylize("dim"))
