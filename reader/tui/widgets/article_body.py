"""An article's body as wrapped lines: sub-headings styled, bullets as bullets, hits marked.

Line API: the body is wrapped once per width into a list of lines that remember which block and
which characters of it they show, so the line of any hit is known (for next/previous hit) and only
the lines on screen are drawn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, get_character_cell_size
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from reader.core.article import Block

BULLET = "• "
_CHUNK = re.compile(r"\S+\s*|\s+")


def wrap_offsets(text: str, width: int) -> list[int]:
    """Where the lines of one paragraph line start when word-wrapped to `width` cells.

    Words longer than the width are cut; the whitespace after a word stays on its line (and so is
    never drawn at the start of the next). Always starts with 0."""
    width = max(1, width)
    starts = [0]
    used = 0
    # Printable ASCII takes one cell a character: len, not Rich's per-character lookup.
    cells = len if text.isascii() and text.isprintable() else cell_len
    for match in _CHUNK.finditer(text):
        chunk = match.group()
        word = chunk.rstrip()
        word_cells = cells(word)
        if used and used + word_cells > width:
            starts.append(match.start())
            used = 0
        if word_cells > width:  # fold a long word character by character
            position = match.start()
            for char in word:
                size = get_character_cell_size(char)
                if used and used + size > width:
                    starts.append(position)
                    used = 0
                used += size
                position += 1
            used += cells(chunk) - word_cells
        else:
            used += cells(chunk)
    return starts


@dataclass(frozen=True, slots=True)
class _Unit:
    """A piece of the body laid out on its own: a heading, a paragraph or one bullet item."""

    kind: str
    """`title`, `subtitle`, `heading`, `paragraph` or `item`."""
    text: str
    gap_before: bool
    """Whether a blank line separates it from the unit before."""


@dataclass(frozen=True, slots=True)
class _Line:
    unit: int
    """Index of the unit it shows, or -1 for a blank line."""
    start: int
    end: int
    first: bool
    """Whether it is the first line of its unit (where a bullet is drawn)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One highlighted place in the body."""

    unit: int
    start: int
    end: int


def unit_texts(title: str, blocks: Sequence[Block], subtitle: str = "") -> list[str]:
    """The text of each unit, where hits are looked for ('' for the subtitle, which has none):
    the offsets of a `Hit` index into these."""
    return ["" if unit.kind == "subtitle" else unit.text for unit in units_of(title, blocks, subtitle)]


def units_of(title: str, blocks: Sequence[Block], subtitle: str = "") -> list[_Unit]:
    """The title, a subtitle line and the body's blocks as units, in reading order."""
    units: list[_Unit] = [_Unit("title", title, gap_before=False)] if title else []
    if subtitle:
        units.append(_Unit("subtitle", subtitle, gap_before=False))
    for block in blocks:
        if block.kind == "list":
            for number, item in enumerate(block.items):
                units.append(_Unit("item", item, gap_before=bool(units) and number == 0))
        else:
            units.append(_Unit(block.kind, block.text, gap_before=bool(units)))
    return units


class ArticleBody(Widget):
    """The title and wrapped body of one article, with highlighted hits and a current hit."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "article-body--title",
        "article-body--subtitle",
        "article-body--heading",
        "article-body--bullet",
        "article-body--hit",
        "article-body--current-hit",
    }

    DEFAULT_CSS = """
    ArticleBody {
        height: auto;
    }
    """

    def __init__(
        self, title: str = "", blocks: Sequence[Block] = (), subtitle: str = "", *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._units = units_of(title, blocks, subtitle)
        self._hits: list[Hit] = []
        self._current: int | None = None
        self._width = -1
        self._lines: list[_Line] = []
        self._strips: LRUCache[tuple[int, int, int | None], Strip] = LRUCache(1024)

    # --- content ------------------------------------------------------------------------------

    @property
    def texts(self) -> list[str]:
        """The text of each unit, to find hits in (see `unit_texts`)."""
        return [unit.text for unit in self._units]

    def set_hits(self, hits: Sequence[Hit]) -> None:
        """Mark these places (in reading order); none is current."""
        self._hits = sorted(hits, key=lambda hit: (hit.unit, hit.start))
        self._current = None
        self._strips.clear()
        self.refresh()

    def set_subtitle(self, subtitle: str) -> None:
        """Show another subtitle line (it holds no hits: their offsets do not change)."""
        self._units = [
            _Unit(unit.kind, subtitle, unit.gap_before) if unit.kind == "subtitle" else unit for unit in self._units
        ]
        self._width = -1
        self._strips.clear()
        self.refresh(layout=True)

    def headings(self) -> list[tuple[int, str]]:
        """(unit, text) of every sub-heading, in reading order: the table of contents."""
        return [(number, unit.text) for number, unit in enumerate(self._units) if unit.kind == "heading"]

    def line_of_unit(self, unit: int) -> int | None:
        """The first line (at the current width) of unit `unit`."""
        self._layout(self.size.width)
        return next((number for number, line in enumerate(self._lines) if line.unit == unit), None)

    @property
    def hit_count(self) -> int:
        return len(self._hits)

    @property
    def current_hit(self) -> int | None:
        return self._current

    def set_current(self, index: int | None) -> int | None:
        """Make hit `index` current; returns the line it is on (for scrolling), or None."""
        if index is None or not self._hits:
            self._current = None
            self._strips.clear()
            self.refresh()
            return None
        self._current = index % len(self._hits)
        self._strips.clear()
        self.refresh()
        return self.line_of_hit(self._current)

    def line_of_hit(self, index: int) -> int | None:
        """The line (at the current width) where hit `index` starts."""
        if not 0 <= index < len(self._hits):
            return None
        hit = self._hits[index]
        found = None
        for number, line in enumerate(self._lines):
            if line.unit == hit.unit and line.start <= hit.start:
                found = number
            elif line.unit > hit.unit:
                break
        return found

    # --- layout -------------------------------------------------------------------------------

    def _layout(self, width: int) -> None:
        if width == self._width:
            return
        self._width = width
        self._strips.clear()
        lines: list[_Line] = []
        for number, unit in enumerate(self._units):
            if unit.gap_before:
                if lines and lines[-1].unit != -1:
                    lines.append(_Line(-1, 0, 0, False))
            indent = len(BULLET) if unit.kind == "item" else 0
            room = max(1, width - indent)
            offset = 0
            for text_line in unit.text.split("\n"):
                starts = wrap_offsets(text_line, room)
                ends = starts[1:] + [len(text_line)]
                for index, (start, end) in enumerate(zip(starts, ends)):
                    lines.append(_Line(number, offset + start, offset + end, offset == 0 and index == 0))
                offset += len(text_line) + 1
        self._lines = lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._layout(width)
        return len(self._lines)

    def on_resize(self) -> None:
        self._layout(self.size.width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # --- drawing ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._layout(width)
        base = self.visual_style
        if not 0 <= y < len(self._lines):
            return Strip.blank(width, base.rich_style)
        selection = self.text_selection
        key = (y, width, self._current)
        strip = self._strips.get(key) if selection is None else None
        if strip is None:
            content = self.line_content(y)
            if selection is not None and (span := selection.get_span(y)) is not None:
                start, end = span
                end = len(content.plain) if end == -1 else end
                content = content.stylize(self.screen.get_visual_style("screen--selection", partial=True), start, end)
            # Offsets let the mouse select text here (the screen maps cells to (x, y) of the text).
            strip = Strip(content.render_segments(base)).adjust_cell_length(width, base.rich_style).apply_offsets(0, y)
            if selection is None:
                self._strips[key] = strip
        return strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text, as laid out (what the mouse went over)."""
        return selection.extract("\n".join(self.plain_lines())), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._strips.clear()
        self.refresh()

    def line_content(self, y: int) -> Content:
        """Line `y` as styled content (archive text kept literal: never markup)."""
        line = self._lines[y]
        if line.unit < 0:
            return Content("")
        unit = self._units[line.unit]
        text = unit.text[line.start : line.end].rstrip()
        content = Content(text, strip_control_codes=False)
        if unit.kind in ("heading", "title", "subtitle"):
            content = content.stylize(self.get_visual_style(f"article-body--{unit.kind}", partial=True))
        # Whole styles (the body's own with the component's on top), not partial ones: Textual's
        # partial style drops an opaque background, and a hit is marked by its background.
        hit_style = self.get_visual_style("article-body--hit")
        current_style = self.get_visual_style("article-body--current-hit")
        for number, hit in enumerate(self._hits):
            if hit.unit != line.unit or hit.end <= line.start or hit.start >= line.start + len(text):
                continue
            style = current_style if number == self._current else hit_style
            content = content.stylize(style, max(0, hit.start - line.start), min(len(text), hit.end - line.start))
        if unit.kind == "item":
            bullet = BULLET if line.first else " " * len(BULLET)
            marker = Content(bullet).stylize(self.get_visual_style("article-body--bullet", partial=True))
            content = Content.assemble(marker, content)
        return content

    def plain_lines(self) -> list[str]:
        """Every line as plain text (for tests and copying)."""
        self._layout(self.size.width)
        return [self.line_content(y).plain for y in range(len(self._lines))]
