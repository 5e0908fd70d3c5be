"""Hostile queries: every one gets results or a one-line message (exit 2 from the CLI, the message
under the box in the TUI), never a traceback. Timing is measured by benchmarks/hostile_queries.py,
not here."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.hostile_queries import hostile_queries
from reader.cli import main as cli
from reader.engines.whoosh.index import ArchiveIndex
from reliability_support import assert_clean_failure, cli_args, record, run_reader

QUERIES = [(name, query) for name, queries in hostile_queries().items() for query in queries]


@pytest.fixture(scope="module")
def index(small_built: tuple[Path, Path]) -> ArchiveIndex:
    archive, index_dir = small_built
    return ArchiveIndex(archive, index_dir)


def test_core_answers_every_hostile_query(index: ArchiveIndex) -> None:
    """ArchiveIndex.search: a page of results or `error`, one line, for search and type-ahead."""
    refused = 0
    for name, query in QUERIES:
        for typeahead in (False, True):
            page = index.search(query, limit=20, typeahead=typeahead, snippets=20)
            if page.error is not None:
                refused += 1
                assert page.error.strip() and "\n" not in page.error, (name, query[:40], page.error)
                assert "Traceback" not in page.error
                assert not page.hits
            for hit in page.hits:
                assert hit.snippet is not None
    record("queries: hostile queries tried (core, search + type-ahead)", 2 * len(QUERIES))
    record("queries: refused with a message (core)", refused)


def test_cli_answers_every_hostile_query(small_built: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI's main(), in process (1,300 subprocesses would take minutes): exit 0 with results
    or exit 2 with one line on stderr. Arguments that a shell cannot pass (NUL) are included."""
    archive, index_dir = small_built
    failures = 0
    for name, query in QUERIES:
        code = cli.main(["--archive", str(archive), "--index", str(index_dir), *cli_args(query)])
        out, err = capsys.readouterr()
        assert code in (0, 2), (name, query[:40], code, err)
        assert "Traceback" not in err
        if code == 2:
            failures += 1
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("reader: bad query: "), (name, query[:40], err)
        else:
            assert " match" in out.splitlines()[0], (name, query[:40], out[:200])
    record("queries: hostile queries tried (CLI main)", len(QUERIES))
    record("queries: refused with exit 2 and one line (CLI main)", failures)


# One query of each kind through the real command, and what only argv can carry.
SAMPLE = [queries[i] for queries in hostile_queries().values() for i in (0, -1)]


@pytest.mark.parametrize("query", [q for q in SAMPLE if "\x00" not in q], ids=lambda q: ascii(q[:16]))
def test_reader_command_answers_hostile_queries(small_built: tuple[Path, Path], query: str) -> None:
    archive, index_dir = small_built
    result = run_reader("--archive", str(archive), "--index", str(index_dir), *cli_args(query))
    record("queries: hostile queries tried (reader command)")
    if result.returncode == 2:
        assert assert_clean_failure(result).startswith("reader: bad query: ")
    else:
        assert result.returncode == 0, result.stderr
        assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    "argument",
    [b"\xff", b"caf\xe9", b"\xed\xa0\x80", b"safeguard \xff\xfe", b"\x1b]52;c;aGk=\x07"],
    ids=["byte ff", "latin-1", "encoded surrogate", "word and bytes", "OSC 52"],
)
def test_query_arguments_that_are_not_utf8(small_built: tuple[Path, Path], argument: bytes) -> None:
    """A terminal in another encoding sends bytes Python decodes to lone surrogates."""
    archive, index_dir = small_built
    result = run_reader("--archive", str(archive), "--index", str(index_dir), "search", "--", argument)
    record("queries: hostile queries tried (reader command)")
    if result.returncode == 2:
        assert_clean_failure(result)
    else:
        assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"\x1b]52" not in result.stdout + result.stderr


def test_query_that_looks_like_an_option(small_built: tuple[Path, Path]) -> None:
    """`reader search -x`: argparse's own message (usage line + error), exit 2, no traceback;
    with `--` the same text is searched."""
    archive, index_dir = small_built
    result = run_reader("--archive", str(archive), "--index", str(index_dir), "search", "-(")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    result = run_reader("--archive", str(archive), "--index", str(index_dir), "search", "--", "-(")
    assert result.returncode == 2
    assert assert_clean_failure(result).startswith("reader: bad query: ")


def test_search_without_index_then_hostile_query(tmp_path: Path, small_built: tuple[Path, Path]) -> None:
    """The first command on an archive builds the index, then answers (or refuses) the query."""
    archive, _ = small_built
    result = run_reader("--archive", str(archive), "--index", str(tmp_path / "index"), *cli_args("*:*"))
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr


# --- the TUI: the message shows under the box ------------------------------------------------------


async def test_tui_shows_query_errors_under_the_box(small_built: tuple[Path, Path]) -> None:
    from textual.widgets import Input, Static

    from reader.tui.app import ReaderApp
    from pilot_helpers import screen_lines, settle, text_of, wait_until

    archive, index_dir = small_built
    app = ReaderApp(ArchiveIndex(archive, index_dir), [])
    sample = [q for q in SAMPLE if q.strip()]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        box = app.screen.query_one("#query", Input)
        for query in sample:
            box.value = query
            screen = app.screen
            await wait_until(pilot, lambda: screen.shown_query == query, what=f"the answer to {query[:20]!r}")
            page = screen._page
            message = text_of(app.screen.query_one("#query-error", Static))
            if page is not None and page.error:
                assert message == page.error, (query[:40], message)
                shown = " ".join(" ".join(screen_lines(pilot)).split())
                assert page.error[:40] in shown, (query[:40], page.error)  # on screen, not just set
            else:
                assert not message.strip(), (query[:40], message)
        record("queries: hostile queries tried (TUI)", len(sample))
        assert app.return_code is None  # still running: nothing crashed it
