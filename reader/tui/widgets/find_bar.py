"""The find-in-article box: a line at the bottom with the text to find and "2 of 5"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from reader.tui.widgets.text_box import TextBox


class FindBar(Horizontal):
    """Hidden until opened; typing posts `Changed`, Enter `Submitted`, Escape `Closed`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close find", id="reader.find.close"),
    ]

    DEFAULT_CSS = """
    FindBar {
        height: auto;
        display: none;
        &.-open { display: block; }
    }
    """

    @dataclass
    class Changed(Message):
        """The text to find changed."""

        text: str
        """The text now in the box."""

    @dataclass
    class Submitted(Message):
        """Enter was pressed in the box."""

        text: str
        """The text in the box."""

    class Closed(Message):
        """The box was closed (Escape)."""

    def compose(self) -> ComposeResult:
        yield TextBox(placeholder="Find in article", id="find-input")
        yield Static(id="find-count")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def text(self) -> str:
        return self.query_one("#find-input", Input).value

    def open(self) -> None:
        self.add_class("-open")
        self.query_one("#find-input", Input).focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.query_one("#find-input", Input).value = ""

    def show_count(self, current: int | None, total: int) -> None:
        """Show where the current match is among all of them."""
        if not self.text:
            text = ""
        elif not total:
            text = "no match"
        elif current is None:
            text = f"{total} found"
        else:
            text = f"{current + 1} of {total}"
        self.query_one("#find-count", Static).update(Content(text))

    def action_close(self) -> None:
        self.post_message(self.Closed())

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted, "#find-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))
