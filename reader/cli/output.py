"""Where the command line's output goes: Rich consoles made when first used, lines and snippets
as Rich text, and JSON written as plain text. A line printed where Rich would write its text
unchanged (piped, on POSIX) is written without Rich: `reader search WORD | ...` and `reader index`
then never import it (a tenth of their start)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


class _LazyConsole:
    """A Rich console made when first used: a command whose output needs no Rich (`reader search
    --json`, which writes JSON itself) does not import it, a tenth of its start."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def file(self) -> Any:
        # Where the console writes (Rich's default, looked up when asked), without making it.
        return self._console.file if self._console is not None else sys.stderr if self._stderr else sys.stdout

    def made(self) -> Console:
        """The console itself (for Rich's own progress bar)."""
        if self._console is None:
            from rich.console import Console

            if self._stderr:
                self._console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
            else:
                # Plain text when piped: no colours, no wrapping at 80 columns, no control sequences.
                self._console = Console(highlight=False, soft_wrap=not sys.stdout.isatty(), emoji=False)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made(), name)

    def plain(self) -> bool:
        """Whether Rich would print a line's text as it is: no console made yet, POSIX (Rich
        renders differently for Windows consoles), the stream not a terminal by Rich's own test
        (rich.console.Console.is_terminal) and not a terminal at all (stdout's console wraps on
        one)."""
        if self._console is not None or os.name != "posix":
            return False
        tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
        if tty_compatible == "1" or (tty_compatible != "0" and os.environ.get("FORCE_COLOR")):
            return False
        isatty = getattr(self.file, "isatty", None)
        try:
            return isatty is not None and not isatty()
        except ValueError:  # a closed stream: Rich's console would not be a terminal either
            return False


# What Rich removes from any text it is given (rich.control.STRIP_CONTROL_CODES): bell, backspace,
# vertical tab, form feed, carriage return.
_RICH_STRIPS = dict.fromkeys((7, 8, 11, 12, 13))

Pieces = Sequence[tuple[str, str]]
"""A line as (text, Rich style) pieces."""


def print_line(console: Console, pieces: Pieces) -> None:
    """Print one line of styled pieces: as Rich prints it, written directly where that is the text
    itself (see `_LazyConsole.plain`), else through Rich."""
    if isinstance(console, _LazyConsole) and console.plain():
        text = "".join(piece for piece, _ in pieces)
        if "\t" not in text:  # Rich expands tabs by the cells of what precedes them
            _write_plain(console.file, text.translate(_RICH_STRIPS) + "\n")
            return
    from rich.text import Text  # Rich is imported only when something is printed

    line = Text()
    for piece, style in pieces:
        line.append(piece, style=style)
    console.print(line)


def _write_plain(stream: Any, text: str) -> None:
    """Write and flush as Rich's console does (rich.console.Console._check_buffer): a reader of
    the output gone is exit status 1 with stdout sent to /dev/null, as Rich's on_broken_pipe."""
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError as error:
            error.reason = f"{error.reason}\n*** You may need to add PYTHONIOENCODING=utf-8 to your environment ***"
            raise
        stream.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


def say(console: Console, text: str, style: str = "") -> None:
    """Print `text` as one line in `style` (`line`'s), through `print_line`."""
    if isinstance(console, _LazyConsole) and console.plain() and "\t" not in text:
        _write_plain(console.file, text.translate(_RICH_STRIPS) + "\n")
        return
    console.print(line(text, style))


def is_terminal(console: Console) -> bool:
    """`console.is_terminal`, answered without making the Rich console where it is plain."""
    if isinstance(console, _LazyConsole) and console.plain():
        return False
    return console.is_terminal


def consoles() -> tuple[Console, Console]:
    return _LazyConsole(stderr=False), _LazyConsole(stderr=True)  # type: ignore[return-value]


def made(console: Console) -> Console:
    """The Rich console behind one of `consoles()` (or `console`, when given a real one)."""
    return console.made() if isinstance(console, _LazyConsole) else console


# JSON leaves DEL and the C1 controls (U+0080-U+009F, e.g. U+009B, a CSI to some terminals) raw, and
# lone surrogates (from undecodable file names) cannot be written to stdout at all.
_JSON_UNSAFE = "[\x7f-\x9f\ud800-\udfff]"  # compiled when JSON is printed (re's cache)


def print_json(out: Console, data: object) -> None:
    # Plain json, not Rich's renderer: a links report runs to tens of thousands of rows.
    text = json.dumps(data, ensure_ascii=False, indent=2)
    # Written as JSON escapes instead (they only occur inside strings): the same data loads back.
    text = re.sub(_JSON_UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", text)
    out.file.write(text + "\n")
    out.file.flush()


def line(text: str, style: str = "") -> Text:
    """`text` as a Rich line in `style` (Rich imported here: only when something is printed)."""
    from rich.text import Text

    return Text(text, style=style)


def marked_pieces(text: str, spans: Sequence[tuple[int, int]], styled: bool) -> list[tuple[str, str]]:
    """A snippet with its hits in bold on a terminal, between «» when piped, as pieces."""
    pieces = []
    cursor = 0
    for start, end in spans:
        pieces.append((text[cursor:start], ""))
        pieces.append((text[start:end], "bold reverse") if styled else (f"«{text[start:end]}»", ""))
        cursor = end
    pieces.append((text[cursor:], ""))
    return pieces


def marked(text: str, spans: Sequence[tuple[int, int]], styled: bool) -> Text:
    """`marked_pieces` as Rich text."""
    from rich.text import Text  # Rich is imported only when something is printed

    result = Text()
    for piece, style in marked_pieces(text, spans, styled):
        result.append(piece, style=style)
    return result
