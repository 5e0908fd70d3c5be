"""Where the command line's output goes: Rich consoles made when first used (a command that prints
no Rich line, such as `reader search --json`, never imports Rich), lines and snippets as Rich
text, and JSON written as plain text."""

from __future__ import annotations

import json
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


def consoles() -> tuple[Console, Console]:
    return _LazyConsole(stderr=False), _LazyConsole(stderr=True)  # type: ignore[return-value]


def made(console: Console) -> Console:
    """The Rich console behind one of `consoles()` (or `console`, when given a real one)."""
    return console.made() if isinstance(console, _LazyConsole) else console


# JSON leaves DEL and the C1 controls (U+0080-U+009F, e.g. U+009B, a CSI to some terminals) raw, and
# lone surrogates (from undecodable file names) cannot be written to stdout at all.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff]")


def print_json(out: Console, data: object) -> None:
    # Plain json, not Rich's renderer: a links report runs to tens of thousands of rows.
    text = json.dumps(data, ensure_ascii=False, indent=2)
    # Written as JSON escapes instead (they only occur inside strings): the same data loads back.
    text = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    out.file.write(text + "\n")
    out.file.flush()


def line(text: str, style: str = "") -> Text:
    """`text` as a Rich line in `style` (Rich imported here: only when something is printed)."""
    from rich.text import Text

    return Text(text, style=style)


def marked(text: str, spans: Sequence[tuple[int, int]], styled: bool) -> Text:
    """A snippet with its hits in bold on a terminal, between «» when piped."""
    from rich.text import Text  # Rich is imported only when something is printed

    result = Text()
    cursor = 0
    for start, end in spans:
        result.append(text[cursor:start])
        if styled:
            result.append(text[start:end], style="bold reverse")
        else:
            result.append(f"«{text[start:end]}»")
        cursor = end
    result.append(text[cursor:])
    return result
