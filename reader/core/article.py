"""One article file -> a typed `Article`: decoding, terminal-safe text, and the archive's layout.

The layout (see README "The archive format"): line 1 is the title; paragraphs are separated by blank
lines; a short line without final punctuation is a sub-heading; lines starting with `•` form a bullet
list; `Related articles`, `Blogs` and `More information` each introduce link titles, one per
paragraph, but only as the article's closing sections, where every paragraph after the first of
them is a section name or a title-like line (so a body heading "MORE INFORMATION" followed by a
signature stays body text); trailing site boilerplate (`More from …`, `Comments are closed.`) is
dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

# Files larger than this are refused rather than read whole into memory.
MAX_FILE_BYTES = 32 * 1024 * 1024
# A title longer than this is cut: it is shown on one row and kept as one index term.
MAX_TITLE_CHARS = 500

LINK_SECTIONS = ("Related articles", "Blogs", "More information")
_SECTION_BY_KEY = {name.casefold(): name for name in LINK_SECTIONS}

# The documented reasons a file is skipped (`SkippedFile.reason` starts with one of these).
REASON_EMPTY = "empty file"
REASON_BINARY = "binary file"
REASON_NO_TITLE = "no title"
REASON_TOO_LARGE = "too large"
REASON_UNREADABLE = "unreadable"
REASON_BAD_NAME = "file name is not valid UTF-8"

BlockKind = Literal["paragraph", "heading", "list"]


class SkippedFile(Exception):
    """A file that is not an article; `reason` says why, in a few words a user understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of an article's body, in reading order."""

    kind: BlockKind
    """`paragraph`, `heading` (a sub-heading) or `list` (bullets in `items`)."""
    text: str = ""
    """The paragraph or heading text; single newlines inside a paragraph are kept."""
    items: tuple[str, ...] = ()
    """The bullet texts of a `list` block, without their bullet marks."""


@dataclass(frozen=True, slots=True)
class LinkSection:
    """A trailing section that names other stories by their titles."""

    name: str
    """`Related articles`, `Blogs` or `More information`."""
    titles: tuple[str, ...]
    """The link texts, each the title of another story, in the order written."""


@dataclass(frozen=True, slots=True)
class Link:
    """One link of an article, flattened out of its section."""

    section: str
    """The section it is listed under."""
    text: str
    """The title it names, as written in the article."""
    position: int
    """Its place among all the article's links, from 0."""


@dataclass(frozen=True, slots=True)
class Article:
    """A parsed article file."""

    id: str
    """The file stem, e.g. `000_74398830eb76dfcf`: stable across runs."""
    title: str
    """Line 1 of the file, with its whitespace tidied."""
    path: Path
    """The file it was read from."""
    blocks: tuple[Block, ...]
    """The body, in order, without the link sections and the site boilerplate."""
    sections: tuple[LinkSection, ...] = ()
    """The link sections, in order."""
    warnings: tuple[str, ...] = field(default=())
    """Things a user may want to know about the file (e.g. it was not UTF-8)."""

    @property
    def links(self) -> list[Link]:
        """Every link of every section, in order."""
        flat: list[Link] = []
        for section in self.sections:
            for text in section.titles:
                flat.append(Link(section.name, text, len(flat)))
        return flat

    def body_text(self) -> str:
        """The body as plain text, as it is indexed."""
        parts: list[str] = []
        for block in self.blocks:
            parts.append("\n".join(block.items) if block.kind == "list" else block.text)
        return "\n\n".join(parts)


# --- decoding and terminal safety -----------------------------------------------------------------

# C0 controls other than newline and tab, DEL and the C1 range can drive a terminal (ESC, CSI, OSC,
# BEL, backspace, carriage return). They are replaced by visible look-alikes before anything sees them.
# Lone surrogates (a str made from undecodable bytes, e.g. a file name) cannot be printed or
# indexed as UTF-8 at all (UnicodeEncodeError): they become U+FFFD.
_CONTROL = "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\ud800-\udfff]"
_LINE_CONTROL = "[\x00-\x1f\x7f\x80-\x9f\ud800-\udfff\u2028\u2029]"
_BINARY_CONTROL = "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]"
_LINE_BREAKS = "\r\n|\r|\u2028|\u2029|\x85"


@cache
def _compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile`, when first used: the patterns of this module cost 2 ms to compile at every
    start, and `reader search WORD` uses none of them."""
    return re.compile(pattern, flags)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 block: ␛ for ESC, ␇ for BEL, ...
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def safe_text(text: str) -> str:
    """`text` with line breaks unified to LF, tabs expanded and every control character made visible."""
    text = _compiled(_LINE_BREAKS).sub("\n", text)
    if "\t" in text:
        text = "\n".join(line.expandtabs(8) for line in text.split("\n"))
    return _compiled(_CONTROL).sub(_visible, text)


def safe_line(text: str) -> str:
    """`text` for one line of output (a file name, an id): like `safe_text`, but newlines, tabs
    and line separators are made visible too, so it cannot break or fake a line."""
    if text.isprintable():  # then it holds none of them (they are not printable): nothing to compile
        return text
    return _compiled(_LINE_CONTROL).sub(_visible, text)


def decode(data: bytes) -> tuple[str, list[str]]:
    """Bytes -> text. UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is read as
    Windows-1252 (Latin-1 for the bytes it leaves undefined), with a warning saying so."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise SkippedFile(f"{REASON_BINARY} (bad UTF-16)") from None
    if b"\x00" in data:
        raise SkippedFile(f"{REASON_BINARY} (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), ["not valid UTF-8: read as Windows-1252"]
    except UnicodeDecodeError:
        return data.decode("latin-1"), ["not valid UTF-8: read as Latin-1"]


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return len(_compiled(_BINARY_CONTROL).findall(sample)) > max(8, len(sample) // 10)


# --- layout ---------------------------------------------------------------------------------------

_BULLET = r"^\s*[•◦▪‣]\s*"
_FINAL_PUNCTUATION = tuple(".!?:;,…-–—\"'”’)]»")
_BOILERPLATE_MORE_FROM = r"more from \S.{0,80}"


def tidy(text: str) -> str:
    """Collapse every run of whitespace (U+00A0 too) to one space and trim the ends."""
    return " ".join(text.split())  # str.split() breaks on every Unicode space, U+00A0 included


def _has_visible(line: str) -> bool:
    return any(unicodedata.category(c)[0] in "LNPS" for c in line)


def _is_boilerplate(paragraph: list[str]) -> bool:
    if len(paragraph) != 1:
        return False
    line = tidy(paragraph[0])
    return line.casefold() == "comments are closed." or bool(_compiled(_BOILERPLATE_MORE_FROM, re.IGNORECASE).fullmatch(line))


def _is_heading(paragraph: list[str]) -> bool:
    if len(paragraph) != 1:
        return False
    line = tidy(paragraph[0])
    return (
        0 < len(line) <= 100
        and len(line.split()) <= 14
        and not line.endswith(_FINAL_PUNCTUATION)
        and any(c.isalpha() for c in line)
        and not line.startswith((">", "|", "-", "*"))
    )


def _section_name(paragraph: list[str]) -> str | None:
    return _SECTION_BY_KEY.get(tidy(paragraph[0]).casefold()) if len(paragraph) == 1 else None


def _is_title_like(paragraph: list[str]) -> bool:
    """A paragraph that can be a link: one line, a title's length, with a letter or digit, and not a
    quote, a signature delimiter (`--`) or a rule."""
    if len(paragraph) != 1:
        return False
    line = tidy(paragraph[0])
    return (
        0 < len(line) <= MAX_TITLE_CHARS
        and any(c.isalnum() for c in line)
        and not line.startswith((">", "|", "--", "__", "=="))
    )


def _closing_sections_start(paragraphs: list[list[str]]) -> int:
    """Where the closing link sections begin (len(paragraphs) when there are none): the first
    section name of the trailing run of section names and title-like lines, which must name at
    least one title."""
    start = len(paragraphs)
    for number in range(len(paragraphs) - 1, -1, -1):
        paragraph = paragraphs[number]
        if _section_name(paragraph):
            start = number
        elif not _is_title_like(paragraph):
            break
    if all(_section_name(paragraph) for paragraph in paragraphs[start:]):
        return len(paragraphs)  # names with no titles under them: headings of the body
    return start


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _list_block(paragraph: list[str]) -> Block:
    items: list[str] = []
    for line in paragraph:
        bullet = _compiled(_BULLET).match(line)
        if bullet or not items:
            items.append(tidy(line[bullet.end() :] if bullet else line))
        else:  # a wrapped continuation of the previous bullet
            items[-1] = f"{items[-1]} {tidy(line)}"
    return Block("list", items=tuple(item for item in items if item))


def parse_text(text: str, path: Path, warnings: list[str] | None = None) -> Article:
    """Parse decoded text. Raises `SkippedFile` when it holds no title."""
    text = safe_text(text)
    lines = text.split("\n")
    notes = list(warnings or [])

    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        raise SkippedFile(REASON_EMPTY)
    # The title is the first line a reader can see: skip lines of zero-width or combining marks.
    start = next((i for i in range(start, len(lines)) if _has_visible(lines[i])), None)
    if start is None:
        raise SkippedFile(REASON_NO_TITLE)
    title = tidy(lines[start])
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
        notes.append(f"title longer than {MAX_TITLE_CHARS} characters: cut")

    paragraphs = _paragraphs(lines[start + 1 :])
    while paragraphs and _is_boilerplate(paragraphs[-1]):
        paragraphs.pop()

    blocks: list[Block] = []
    sections: list[tuple[str, list[str]]] = []
    closing = _closing_sections_start(paragraphs)
    for number, paragraph in enumerate(paragraphs):
        name = _section_name(paragraph) if number >= closing else None
        if name:
            sections.append((name, []))
        elif sections:
            sections[-1][1].extend(t for t in (tidy(line) for line in paragraph) if t)
        elif _compiled(_BULLET).match(paragraph[0]):
            blocks.append(_list_block(paragraph))
        elif _is_heading(paragraph):
            blocks.append(Block("heading", tidy(paragraph[0])))
        elif len(paragraph) == 1:
            blocks.append(Block("paragraph", tidy(paragraph[0])))
        else:  # keep the line breaks of preformatted text (quotes, tables, signatures)
            blocks.append(Block("paragraph", "\n".join(paragraph)))

    return Article(
        # A file name may hold ESC or BEL (`x\x1b]52;…\x07.txt`): the id is shown everywhere.
        id=safe_line(path.stem),
        title=title,
        path=path,
        blocks=tuple(blocks),
        sections=tuple(LinkSection(name, tuple(titles)) for name, titles in sections),
        warnings=tuple(notes),
    )


def parse_bytes(data: bytes, path: Path) -> Article:
    """Parse a file's bytes. Raises `SkippedFile` with a documented reason for non-articles."""
    if not data.strip():
        raise SkippedFile(REASON_EMPTY)
    text, warnings = decode(data)
    if _looks_binary(text):
        raise SkippedFile(f"{REASON_BINARY} (mostly control characters)")
    return parse_text(unicodedata.normalize("NFC", text), path, warnings)


def read_article(path: Path) -> Article:
    """Read and parse one article file; never writes to it."""
    return parse_bytes(read_checked(path), path)


def read_checked(path: Path) -> bytes:
    """The bytes of one article file, or SkippedFile with the reason it cannot be read (a name
    the index cannot store, too large, unreadable); never writes to it."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        # Undecodable bytes in the name (surrogate escapes) cannot be stored in the index.
        raise SkippedFile(f"{REASON_BAD_NAME} (rename it)") from None
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SkippedFile(f"{REASON_TOO_LARGE} ({size / 1e6:.0f} MB > {MAX_FILE_BYTES / 1e6:.0f} MB)")
        data = path.read_bytes()
    except OSError as error:
        raise SkippedFile(f"{REASON_UNREADABLE} ({error.strerror or error})") from None
    return data
