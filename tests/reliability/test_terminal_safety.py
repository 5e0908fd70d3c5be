"""Terminal safety: no byte of an article's text, title, links or file name reaches the terminal as
a control sequence (ESC, CSI, OSC incl. OSC 52 clipboard writes, BEL, backspace, carriage return,
8-bit C1), in the TUI or from `reader show`/`search`/`index`/`links`, on a terminal or piped; and
text that looks like markup shows literally everywhere."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.engines.whoosh.index import ArchiveIndex
from reliability_support import READER, record, reader_env, run_reader

# Payloads, each with a marker word right after it so a leak is recognised byte for byte.
OSC52_BEL = "\x1b]52;c;T1NDNTJCRUw=\x07"
OSC52_ST = "\x1b]52;c;T1NDNTJTVA==\x1b\\"
PAYLOADS = {
    "sgr": "\x1b[31mREDTEXT",
    "csi clear": "\x1b[2JCLEARED",
    "osc title": "\x1b]0;OWNEDTITLE\x07",
    "osc 52 bel": OSC52_BEL + "CLIPBEL",
    "osc 52 st": OSC52_ST + "CLIPST",
    "bell": "\x07BELLED",
    "backspace": "XX\x08\x08BACKED",
    "carriage return": "HIDDEN\rOVERWRITTEN",
    "c1 csi": "\x9b31mCONE",
    "delete": "DEL\x7fETED",
}
MARKUP = "[bold red]MARKUPTEXT[/] [link=https://evil.example]CLICK[/link] :smile:"
# What a payload leaking would put on the wire (the raw sequences, before their marker).
RAW_LEAKS = [
    b"\x1b[31mREDTEXT", b"\x1b[2JCLEARED", b"\x1b]0;", b"\x1b]52;", b"\x07", b"\x08",
    b"HIDDEN\rOVERWRITTEN", b"\xc2\x9b", b"\x7f",
]
# Escape sequences the reader's own output may hold: Rich's SGR colours and its progress bar's
# cursor and line controls, and Textual's cursor moves, modes and colours.
OWN_SEQUENCE = re.compile(rb"\x1b\[[0-9;:?<=>]*[A-Za-z~]|\x1b[78=>]|\x1b\][0-9]*;[^\x07\x1b]*(\x07|\x1b\\)")


def _hostile_article(n: int, payload: str) -> str:
    return (
        f"Title {n} {payload} {MARKUP}\n\n"
        f"A paragraph with {payload} inside, and markup {MARKUP}.\n\n"
        f"• a bullet {payload}\n\n"
        "Related articles\n\n"
        f"Title {(n + 1) % len(PAYLOADS)} {payload} link\n"
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("terminal")
    archive = root / "archive"
    archive.mkdir()
    for n, payload in enumerate(PAYLOADS.values()):
        (archive / f"{n:02d}_art.txt").write_text(_hostile_article(n, payload), encoding="utf-8")
    # File names are text too: ESC, OSC 52 and BEL in names (ids are made from them).
    (archive / f"zz_name{OSC52_BEL}.txt").write_text(f"Named article\n\nbody {MARKUP}\n", encoding="utf-8")
    (archive / "zz_esc\x1b[31mREDNAME.txt").write_text("Red name\n\nbody\n", encoding="utf-8")
    (archive / "zz_c1\x9b2JCSINAME.txt").write_text("C1 name\n\nbody\n", encoding="utf-8")
    (archive / "zz_skip\x07BELLNAME.txt").write_bytes(b"")  # skipped: its name is printed
    index_dir = root / "index"
    ArchiveIndex(archive, index_dir).refresh()
    return archive, index_dir


def _ids(archive: Path) -> list[str]:
    from reader.core.archive import scan
    from reader.core.article import SkippedFile, read_article

    ids = []
    for name in sorted(scan(archive)):
        try:
            ids.append(read_article(archive / name).id)
        except SkippedFile:
            pass
    return ids


def run_in_pty(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> bytes:
    """Run `reader` with a real terminal as stdin, stdout and stderr; everything it wrote."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    env = env or reader_env(TERM="xterm-256color", COLUMNS="120", LINES="40")
    process = subprocess.Popen([str(READER), *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                chunk = b""
            if not chunk and process.poll() is not None:
                break
            output += chunk
        elif process.poll() is not None:
            try:
                output += os.read(master, 65536)
            except OSError:
                pass
            break
    os.close(master)
    assert process.wait(timeout=10) in (0, 1, 2)
    return bytes(output)


def check_bytes(output: bytes, where: str, *, terminal: bool) -> str:
    """No raw payload; only the reader's own escape sequences; returns the visible text."""
    for leak in RAW_LEAKS:
        assert leak not in output, f"{where}: {leak!r} reached the terminal"
    visible = OWN_SEQUENCE.sub(b"", output) if terminal else output
    if not terminal:
        assert b"\x1b" not in output, f"{where}: an escape sequence in piped output"
    at = visible.find(b"\x1b")
    assert at < 0, f"{where}: an escape sequence that is not the reader's own: {visible[max(0, at - 20):at + 40]!r}"
    text = visible.decode("utf-8")
    if terminal:
        # The terminal's line ending, and Rich's progress bar going back to the start of its line
        # (an article's CR would show as "HIDDEN\rOVERWRITTEN", checked above).
        text = text.replace("\r\n", "\n").replace("\r", "")
    bad = re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert not bad, f"{where}: control characters {bad[:5]!r}"
    record("terminal: outputs scanned")
    return text


@pytest.mark.parametrize("terminal", [True, False], ids=["pty", "piped"])
def test_show_every_hostile_article(hostile: tuple[Path, Path], terminal: bool) -> None:
    archive, index_dir = hostile
    for article_id in _ids(archive):
        args = ("--archive", str(archive), "--index", str(index_dir), "show", article_id)
        output = run_in_pty(*args) if terminal else run_reader(*args).stdout
        text = check_bytes(output, f"show {article_id!r}", terminal=terminal)
        if article_id.startswith("0"):
            assert "[bold red]MARKUPTEXT[/]" in text and "[link=https://evil.example]CLICK[/link]" in text
            assert ":smile:" in text  # no emoji codes either
        record("terminal: hostile articles shown")


@pytest.mark.parametrize("terminal", [True, False], ids=["pty", "piped"])
@pytest.mark.parametrize(
    "command",
    [
        ["search", "--limit", "50", "title OR body OR bullet OR named OR name"],
        ["links"],
        ["index", "--rebuild"],
        ["search", "--json", "--limit", "50", "title OR name OR named"],
        ["index", "--json"],
        ["links", "--json"],
    ],
    ids=["search", "links", "index", "search-json", "index-json", "links-json"],
)
def test_search_links_and_index_output(hostile: tuple[Path, Path], tmp_path: Path, command: list[str], terminal: bool) -> None:
    archive, built = hostile
    index_dir = tmp_path / "index"
    import shutil

    shutil.copytree(built, index_dir)
    args = ("--archive", str(archive), "--index", str(index_dir), *command)
    if terminal:
        output = run_in_pty(*args)
    else:
        result = run_reader(*args)
        output = result.stdout + result.stderr
    text = check_bytes(output, " ".join(command), terminal=terminal)
    if command[0] == "search" and "--json" not in command:
        assert "REDTEXT" in text and "␛[31mREDTEXT" in text  # shown, made visible
        assert "[bold red]MARKUPTEXT[/]" in text
    if command[0] == "index" and "--json" not in command:
        assert "zz_skip␇BELLNAME.txt" in text  # the skipped file is named, safely


@pytest.mark.parametrize("terminal", [True, False], ids=["pty", "piped"])
def test_error_messages_echo_safely(hostile: tuple[Path, Path], terminal: bool) -> None:
    archive, index_dir = hostile
    for argument in (OSC52_BEL + "x", "a\nfake line", "[bold]x[/bold]", "\x9b2J"):
        args = ("--archive", str(archive), "--index", str(index_dir), "show", argument)
        output = run_in_pty(*args) if terminal else run_reader(*args).stderr
        text = check_bytes(output, f"show {argument!r}", terminal=terminal)
        assert "no article with id or title" in text
        assert len(text.strip().splitlines()) == 1
    for query in ("[bold]x[/bold] OR title", "title [bold]", OSC52_BEL + " title"):
        args = ("--archive", str(archive), "--index", str(index_dir), "search", query)
        if terminal:
            output = run_in_pty(*args)
        else:
            result = run_reader(*args)
            output = result.stdout + result.stderr
        text = check_bytes(output, f"search {query!r}", terminal=terminal)
        assert "match" in text or "bad query" in text
        if "match" in text:
            assert query.replace("\x1b", "␛").replace("\x07", "␇") in text  # echoed, made visible


# --- the TUI ----------------------------------------------------------------------------------------


async def test_tui_draws_no_control_sequence_from_articles(hostile: tuple[Path, Path]) -> None:
    """Search list and every article screen: what Textual writes to the terminal has only its own
    escape sequences; payloads show as glyphs, markup literally."""
    from textual.widgets import Input

    from reader.tui.app import ReaderApp
    from reader.tui.messages import OpenArticle
    from reader.tui.screens.article import ArticleScreen
    from pilot_helpers import screen_lines, settle, terminal_output, wait_until

    archive, index_dir = hostile
    app = ReaderApp(Library(ArchiveIndex(archive, index_dir)), [])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        for query in ("", "title OR body OR named", "redtext"):
            app.screen.query_one("#query", Input).value = query
            screen = app.screen
            await wait_until(pilot, lambda: screen.shown_query == query, what=repr(query))
            await pilot.pause(0.2)
            check_bytes(terminal_output(pilot).encode("utf-8"), f"search list {query!r}", terminal=True)
        for article_id in _ids(archive):
            app.post_message(OpenArticle(article_id))
            await wait_until(
                pilot,
                lambda: isinstance(app.screen, ArticleScreen)
                and app.screen.article_id == article_id
                and app.screen.article is not None,
                what=article_id,
            )
            await pilot.pause(0.2)
            check_bytes(terminal_output(pilot).encode("utf-8"), f"article {article_id!r}", terminal=True)
            shown = "\n".join(screen_lines(pilot))
            if article_id.startswith("0"):
                assert "[bold red]MARKUPTEXT[/]" in shown, shown[:400]
            record("terminal: hostile articles shown in the TUI")
            await pilot.press("escape")
            await settle(pilot)
