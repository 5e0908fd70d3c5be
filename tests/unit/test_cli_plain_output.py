"""The command line's lines written without Rich where it is piped (reader/cli/output.py): byte for
byte what Rich's console prints for the same styled pieces, over many generated lines (control
characters, tabs, wide and combining characters, «» marks, newlines), and Rich itself wherever it
would print something else (a terminal, FORCE_COLOR, TTY_COMPATIBLE)."""

from __future__ import annotations

import io
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.cli import output

STYLES = ("", "bold", "dim", "bold cyan", "yellow", "red", "bold reverse")
# Letters of every kind the output meets: plain, accented, wide (CJK), combining, emoji, the
# snippet marks, and the control characters Rich strips or expands (tab, CR, BEL, VT, FF, ESC).
ALPHABET = st.sampled_from(list("abc XYZ019.,:-'\"«»éçñ漢字한글\u0301\u200b😀\t\r\x07\x08\x0b\x0c\x1b\x7f\x9b\n"))
PIECES = st.lists(st.tuples(st.text(ALPHABET, max_size=30), st.sampled_from(STYLES)), max_size=6)


class _Pipe(io.StringIO):
    """A piped stream: not a terminal."""

    def isatty(self) -> bool:
        return False


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _printed(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, print_: object, rich: bool,
             stderr: bool = False) -> tuple[str, bool]:
    """What one of `output.consoles()` wrote, and whether Rich was made for it."""
    monkeypatch.setattr(sys, "stderr" if stderr else "stdout", stream)
    console = output.consoles()[1 if stderr else 0]
    if rich:
        output.made(console)  # the console made first: every line then goes through Rich
    print_(console)  # type: ignore[operator]
    return stream.getvalue(), console._console is not None  # type: ignore[attr-defined]


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(PIECES, min_size=1, max_size=4))
def test_a_piped_line_is_what_rich_prints(lines: list[list[tuple[str, str]]]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
            patch.delenv(name, raising=False)

        def print_lines(console: object) -> None:
            for pieces in lines:
                output.print_line(console, pieces)  # type: ignore[arg-type]

        plain, _ = _printed(patch, _Pipe(), print_lines, rich=False)
        through_rich, _ = _printed(patch, _Pipe(), print_lines, rich=True)
    assert plain == through_rich


@settings(max_examples=300, deadline=None)
@given(text=st.text(ALPHABET, max_size=60), style=st.sampled_from(STYLES), stderr=st.booleans())
def test_a_piped_message_is_what_rich_prints(text: str, style: str, stderr: bool) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
            patch.delenv(name, raising=False)
        plain, _ = _printed(patch, _Pipe(), lambda c: output.say(c, text, style), rich=False, stderr=stderr)
        before, _ = _printed(patch, _Pipe(), lambda c: c.print(output.line(text, style)), rich=True, stderr=stderr)
    assert plain == before


def test_plain_lines_need_no_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    text, made = _printed(monkeypatch, _Pipe(), lambda c: output.print_line(c, [("Coal", "bold"), ("  id", "dim")]),
                          rich=False)
    assert text == "Coal  id\n" and not made
    assert not output.is_terminal(output.consoles()[0])


@pytest.mark.parametrize(("env", "stream"), [
    ({"FORCE_COLOR": "1"}, _Pipe()),
    ({"TTY_COMPATIBLE": "1"}, _Pipe()),
    ({}, _Terminal()),
    ({"TTY_COMPATIBLE": "0"}, _Terminal()),  # not a terminal to Rich, but stdout's console wraps on one
])
def test_where_rich_prints_otherwise_rich_prints(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                 stream: io.StringIO) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _, made = _printed(monkeypatch, stream, lambda c: output.print_line(c, [("Coal", "bold")]), rich=False)
    assert made


def test_a_closed_pipe_ends_as_with_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rich's console: stdout sent to /dev/null and exit status 1 (rich.console.Console.on_broken_pipe).
    class Closed(_Pipe):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    duplicated: list[tuple[int, int]] = []
    monkeypatch.setattr(output.os, "dup2", lambda a, b: duplicated.append((a, b)))
    monkeypatch.setattr(sys, "stdout", Closed())
    monkeypatch.setattr(Closed, "fileno", lambda self: 1, raising=False)
    with pytest.raises(SystemExit) as stopped:
        output.print_line(output.consoles()[0], [("Coal", "")])
    assert stopped.value.code == 1 and duplicated and duplicated[0][1] == 1
