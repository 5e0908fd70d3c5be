"""The real `reader` command in a real terminal: tmux types the keys, capture-pane reads the screen.

Skipped, with the reason, where tmux is not installed (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import article_text

READER = Path(sys.executable).parent / "reader"

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]


# Which screen has the keys, read from the Footer. Before a key is sent, a test waits for the
# screen it is meant for: text alone can mislead, since a search page's snippet quotes the article
# it lists, and an article paints its body before its links. A key sent into the wrong screen
# acts there (the "h" of "herd" is Back in an article), and an Escape is held for ESCDELAY to tell
# it from an escape sequence, so a key sent right behind it merges with it, as in any terminal.
IN_SEARCH = "f1 Keys"  # the search box has focus
IN_ARTICLE = "? Keys"


class Terminal:
    """One tmux session running a command, 100x30."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.name = f"reader-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        # When reader exits the pane says so, and stays for the test to read.
        self._shell = f"env TERM=xterm-256color {exports} {command}; clear; echo reader-exited; sleep 60"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "100", "-y", "30", self._shell],
            check=True,
        )

    def restart(self) -> None:
        """Run the command again in the same pane (after it exited): a new process, the same files."""
        subprocess.run(["tmux", "respawn-pane", "-k", "-t", self.name, self._shell], check=True)

    def screen(self) -> str:
        result = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return result.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def wait_for(self, text: str, timeout: float = 30.0, absent: str | None = None, also: tuple[str, ...] = ()) -> str:
        """The screen once `text` and all of `also` are on it, and `absent` is not."""
        deadline = time.monotonic() + timeout
        screen = ""
        wanted = (text, *also)
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(part in screen for part in wanted) and (absent is None or absent not in screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{wanted!r} did not appear on the screen within {timeout} s; the screen:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "001_aa.txt").write_text(
        article_text(
            "Walrus colony found on the beach",
            ["Hundreds of walruses hauled out on the shingle this morning.", "Wardens closed the path"],
            related=["Wardens\u00a0close the coastal path"],
        ),
        encoding="utf-8",
    )
    (archive / "002_bb.txt").write_text(
        article_text("Wardens close the coastal path", ["The path stays shut until the herd moves on."]),
        encoding="utf-8",
    )
    (archive / "003_cc.txt").write_text(article_text("Unrelated council budget", ["Numbers and more numbers."]))
    if not READER.exists():
        pytest.fail(f"the reader command is not installed beside {sys.executable}: pip install -e .")
    env = {
        "READER_ARCHIVE": str(archive), "READER_INDEX": str(tmp_path / "index"), "HOME": str(tmp_path),
        "READER_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    if "PATH" in os.environ:
        env["PATH"] = os.environ["PATH"]
    term = Terminal(shlex.quote(str(READER)), env)
    try:
        yield term
    finally:
        term.close()


def test_search_open_follow_and_back_in_a_real_terminal(terminal: Terminal) -> None:
    # The search box has focus at start; the index is built in the background.
    terminal.wait_for("Unrelated council budget", also=(IN_SEARCH,))
    terminal.keys("walrus", literal=True)
    screen = terminal.wait_for("Walrus colony found on the beach", absent="Unrelated council budget")
    assert "001_aa" in screen

    terminal.keys("Down")
    terminal.keys("Enter")
    screen = terminal.wait_for("Related articles", also=(IN_ARTICLE,))
    assert "Hundreds of walruses hauled out" in screen and "Wardens close the coastal path" in screen

    terminal.keys("Tab")
    terminal.keys("Enter")
    screen = terminal.wait_for("The path stays shut until the herd moves on.", absent="Hundreds of walruses",
                               also=("Linked from", IN_ARTICLE))

    terminal.keys("Escape")
    terminal.wait_for("Hundreds of walruses hauled out", absent="The path stays shut", also=("Related articles", IN_ARTICLE))

    terminal.keys("Escape")
    screen = terminal.wait_for("Walrus colony found on the beach", absent="Related articles", also=("1 match", IN_SEARCH))
    assert "walrus" in screen  # the query is still in the box

    # A query and Enter in one burst, as a paste sends them: Enter opens that query's hit, not the
    # row the list showed before the keys arrived.
    terminal.keys("C-u", "herd", "Enter")
    screen = terminal.wait_for("The path stays shut until the herd moves on.", absent="Hundreds of walruses",
                               also=("Linked from", IN_ARTICLE))

    # In an article (no text box has focus) q quits, as in less; the Footer says so.
    assert " q Quit" in screen
    terminal.keys("q")
    terminal.wait_for("reader-exited")


def test_bookmarks_and_read_marks_survive_a_restart(terminal: Terminal) -> None:
    terminal.wait_for("Unrelated council budget", also=(IN_SEARCH,))
    assert "^q Quit" in terminal.screen()  # the search box has focus: q would type
    terminal.keys("walrus", literal=True)
    terminal.wait_for("Walrus colony found on the beach", absent="Unrelated council budget")
    terminal.keys("Enter")
    terminal.wait_for("Related articles", also=(IN_ARTICLE,))
    terminal.keys("m")
    terminal.wait_for("★ bookmarked")
    terminal.keys("q")
    terminal.wait_for("reader-exited")
    terminal.restart()
    terminal.wait_for("Unrelated council budget", also=(IN_SEARCH,))
    terminal.keys("C-b")
    screen = terminal.wait_for("1 bookmarked")
    assert "Walrus colony found on the beach" in screen
    terminal.keys("Enter")
    terminal.wait_for("Hundreds of walruses hauled out", also=("Related articles", IN_ARTICLE))
    terminal.keys("q")
    terminal.wait_for("reader-exited")


def test_quitting_in_the_middle_of_a_big_first_build_is_prompt(tmp_path: Path) -> None:
    """Ctrl+Q while a first build writes its batches: the terminal is back within seconds (not
    after the batch being written, a minute at 100k), with one line saying what happens next, and
    the next start answers from the batches already published."""
    archive = tmp_path / "archive"
    archive.mkdir()
    words = "harbour council budget walrus ferry school hospital bridge market river".split()
    for n in range(8_000):
        text = article_text(f"Story {n} about the {words[n % 10]} and the {words[n // 10 % 10]}",
                            [f"Number {n} says the {words[n // 100 % 10]} was discussed at length today.",
                             # Many distinct words: the writers' part of a batch takes a while.
                             " ".join(f"term{(n * 31 + i * 97) % 20_000}" for i in range(80)) + "."])
        (archive / f"{n:06d}_x.txt").write_text(text, encoding="utf-8")
    env = {"READER_ARCHIVE": str(archive), "READER_INDEX": str(tmp_path / "index"), "HOME": str(tmp_path),
           "READER_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    # stderr stays on the pane after the app has left the alternate screen.
    term = Terminal(shlex.quote(str(READER)), env)
    try:
        term.wait_for("articles indexed so far", timeout=90)
        # The worst moment: a batch's writer processes are writing, and report nothing until done.
        term.wait_for("Merging the index writers", timeout=90)
        term.keys("C-q")
        started = time.monotonic()
        screen = term.wait_for("reader-exited", timeout=60)
        assert time.monotonic() - started < 6, "quitting waited for the batch being written"
        term.restart()
        term.wait_for("Story", timeout=60)  # the published batches answer at once
        term.keys("C-q")
        term.wait_for("reader-exited", timeout=30)
    finally:
        term.close()
    assert "Traceback" not in screen
