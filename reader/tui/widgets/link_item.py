"""One followable link: a focusable row that Tab reaches, Enter or a click follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from reader.core.links import Resolution


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """A link as the article screen shows it: the text written, and where it leads (the core's
    resolution: no target, one, or several; approximate or exact)."""

    text: str
    """The title shown (archive text)."""
    resolution: Resolution

    @property
    def targets(self) -> tuple[str, ...]:
        return self.resolution.targets

    @property
    def approximate(self) -> bool:
        return self.resolution.approximate

    @property
    def dangling(self) -> bool:
        return self.resolution.dangling


class LinkItem(Widget, can_focus=True):
    """A link to another article, numbered when a number key follows it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "follow", "Follow link", id="reader.link.follow"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"link-item--number", "link-item--note"}

    DEFAULT_CSS = """
    LinkItem {
        height: auto;
    }
    """

    @dataclass
    class Followed(Message):
        """The link was chosen."""

        item: LinkItem
        """The link row that was chosen."""
        target: LinkTarget
        """Where it leads."""

        @property
        def control(self) -> LinkItem:
            return self.item

    def __init__(self, target: LinkTarget, number: int | None = None, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.target = target
        self.number = number
        if target.dangling:
            self.add_class("-dangling")

    def render(self) -> Content:
        number = f"{self.number} " if self.number is not None and self.number <= 9 else "  "
        parts: list[Content | str] = [
            Content(number).stylize(self.get_visual_style("link-item--number", partial=True)),
            Content(self.target.text),  # archive text: literal, never markup
        ]
        note = self.note
        if note:
            parts.append(Content(f"  ({note})").stylize(self.get_visual_style("link-item--note", partial=True)))
        return Content.assemble(*parts)

    @property
    def note(self) -> str:
        """What the reader should know before following: dangling, several, approximate."""
        target = self.target
        if target.dangling:
            return "not in this archive"
        if len(target.targets) > 1:
            return f"{len(target.targets)} articles"
        if target.approximate:
            return "closest match"
        return ""

    def action_follow(self) -> None:
        self.post_message(self.Followed(self, self.target))

    def _on_click(self, event: events.Click) -> None:
        event.stop()
        self.focus()
        self.action_follow()
