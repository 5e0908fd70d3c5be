"""Two at once: a second `reader index` waits and proceeds, or exits with one clear line; searches
keep answering from the last complete index while another process or thread updates it, and find
the new articles once it is done (CLI, core and TUI)."""

from __future__ import annotations

import fcntl
import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

from reader.engines.whoosh.index import ArchiveIndex
from reliability_support import (
    READER,
    assert_clean_failure,
    check_index,
    record,
    reader_env,
    run_reader,
)

WORD = "blupaftzo"  # in the first generated title (the generator is seeded)


def _popen(archive: Path, index_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(READER), "--archive", str(archive), "--index", str(index_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=reader_env(),
    )


def _wait_for_lock_holder(index_dir: Path, pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (index_dir / "lock").read_text().strip() == str(pid):
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError("the first reader never took the lock")


def test_second_index_run_waits_then_proceeds(copy: tuple[Path, Path]) -> None:
    archive, index_dir = copy
    first = _popen(archive, index_dir, "index", "--rebuild")
    _wait_for_lock_holder(index_dir, first.pid)
    started = time.monotonic()
    second = run_reader("--archive", str(archive), "--index", str(index_dir), "index", timeout=600)
    waited = time.monotonic() - started
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0 and b"Traceback" not in err, err
    if second.returncode == 0:
        assert first.poll() is not None
        assert b"Traceback" not in second.stderr
    else:  # the first took longer than the second waits: one clear line
        line = assert_clean_failure(second)
        assert "another reader is updating the index" in line and str(first.pid) in line
        assert waited >= 9
    check_index(archive, index_dir)
    record("concurrency: overlapping index runs")


def test_index_held_too_long_gives_one_clear_line(copy: tuple[Path, Path]) -> None:
    """Another process holds the write lock past the wait: `reader index` exits 2 with one line
    naming it; `reader search` on a stale archive answers from the last complete index."""
    archive, index_dir = copy
    (archive / "zz_new.txt").write_text(f"A new article\n\nabout {WORD}\n")
    with open(index_dir / "lock", "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        holder.seek(0)
        holder.truncate()
        holder.write(str(os.getpid()))
        holder.flush()
        index_run = _popen(archive, index_dir, "index")
        search_run = _popen(archive, index_dir, "search", WORD)
        index_out, index_err = index_run.communicate(timeout=120)
        search_out, search_err = search_run.communicate(timeout=120)
    line = assert_clean_failure(subprocess.CompletedProcess([], index_run.returncode, index_out, index_err))
    assert "another reader is updating the index" in line and f"(process {os.getpid()})" in line
    assert search_run.returncode == 0, search_err
    warning = search_err.decode().strip().splitlines()
    assert warning == ["reader: another process is updating the index; using the last complete one"]
    assert b"000000_" in search_out and b"zz_new" not in search_out  # the last complete index
    # Once the lock is free, the next run brings the new article in.
    assert run_reader("--archive", str(archive), "--index", str(index_dir), "index").returncode == 0
    check_index(archive, index_dir)
    record("concurrency: index runs refused with one line while busy")


def _change(archive: Path, cycle: int, rng: random.Random) -> str:
    names = sorted(n for n in os.listdir(archive) if n.endswith(".txt") and not n.startswith("000000"))
    for name in rng.sample(names, 8):
        path = archive / name
        path.write_text(path.read_text(encoding="utf-8") + f"\n\nAdded in cycle {cycle}.\n", encoding="utf-8")
    word = f"zebra{cycle}x"
    (archive / f"zz_new_{cycle}.txt").write_text(f"New article {cycle}\n\nbody {word}\n", encoding="utf-8")
    return word


def _found_within(index: ArchiveIndex, word: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not index.search(word).hits:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize("writer", ["another process", "a thread of the same process"])
def test_searches_answer_while_the_index_is_updated(copy: tuple[Path, Path], writer: str) -> None:
    archive, index_dir = copy
    index = ArchiveIndex(archive, index_dir)
    errors: list[str] = []
    answered = 0
    stop = threading.Event()

    def search_forever() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                page = index.search(f"{WORD} OR wesp", limit=10, snippets=5)
                assert page.hits and not page.error, page
                index.titles()
                index.backlinks(page.hits[0].id)
                answered += 1
            except Exception as error:  # noqa: BLE001 - any failure is the finding
                errors.append(f"{type(error).__name__}: {error}"[:300])

    threads = [threading.Thread(target=search_forever) for _ in range(2)]
    for thread in threads:
        thread.start()
    rng = random.Random(3)
    try:
        for cycle in range(3):
            word = _change(archive, cycle, rng)
            rebuild = cycle == 2
            before = answered
            if writer == "another process":
                args = ["index", "--rebuild"] if rebuild else ["index"]
                result = run_reader("--archive", str(archive), "--index", str(index_dir), *args)
                assert result.returncode == 0, result.stderr
            else:
                index.refresh(rebuild=rebuild)
            assert answered > before or writer != "another process", "no search answered during the update"
            # Another process's commit is looked for every 50 ms (index.py's _RECHECK_SECONDS): a
            # search this soon after its exit may be answered by the searcher of just before.
            wait = 1.0 if writer == "another process" else 0.0  # a commit here is seen at once
            assert _found_within(index, word, wait), f"cycle {cycle}: the new article is not found after the update"
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors[:5]
    assert answered > 0
    check_index(archive, index_dir)
    record("concurrency: searches answered during updates", answered)


# --- the TUI ------------------------------------------------------------------------------------------


async def test_tui_answers_from_the_last_index_while_updating(copy: tuple[Path, Path]) -> None:
    """The app's own rebuild runs in a worker: searches typed meanwhile are answered from the last
    complete index, and when the rebuild is done the new article is found."""
    from textual.widgets import Input

    from reader.tui.app import ReaderApp
    from pilot_helpers import settle, wait_until

    archive, index_dir = copy
    app = ReaderApp(ArchiveIndex(archive, index_dir), [])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        (archive / "zz_fresh.txt").write_text("A fresh article\n\nabout quokkaz\n", encoding="utf-8")
        app.action_rebuild_index()
        await wait_until(pilot, lambda: app.index_state.busy, what="the rebuild to start", workers=False)
        box = app.screen.query_one("#query", Input)
        screen = app.screen
        answered_while_busy = 0
        for query in (WORD, f"{WORD} ", "wesp", "quokkaz"):
            box.value = query
            await wait_until(pilot, lambda: screen.shown_query == query, what=query, workers=False)
            page = screen._page
            assert page is not None and not page.error
            if app.index_state.busy:
                answered_while_busy += 1
                assert query == "quokkaz" or page.hits, query  # the old index answers
        await wait_until(pilot, lambda: app.index_state.phase == "ready", timeout=300, what="the rebuild")
        box.value = "quokkaz "
        await wait_until(pilot, lambda: screen.shown_query == "quokkaz ", what="the new article")
        assert screen._page is not None and [hit.id for hit in screen._page.hits] == ["zz_fresh"]
    check_index(archive, index_dir)
    record("concurrency: TUI searches answered while its index was rebuilt", answered_while_busy)


async def test_tui_while_another_process_updates(copy: tuple[Path, Path]) -> None:
    """`reader index` in another process: the TUI keeps answering, then finds the new article."""
    from textual.widgets import Input

    from reader.tui.app import ReaderApp
    from pilot_helpers import settle, wait_until

    archive, index_dir = copy
    app = ReaderApp(ArchiveIndex(archive, index_dir), [])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        (archive / "zz_fresh.txt").write_text("A fresh article\n\nabout quokkaz\n", encoding="utf-8")
        other = _popen(archive, index_dir, "index", "--rebuild")
        box = app.screen.query_one("#query", Input)
        screen = app.screen
        queries = 0
        while other.poll() is None and queries < 50:
            query = f"{WORD}{' ' * (queries % 2)}"
            box.value = query
            await wait_until(pilot, lambda: screen.shown_query == query, what=query)
            assert screen._page is not None and screen._page.hits, "no answer during the other update"
            queries += 1
            box.value = ""
            await pilot.pause(0.05)
        _, err = other.communicate(timeout=600)
        assert other.returncode == 0, err
        box.value = "quokkaz "
        await wait_until(pilot, lambda: screen.shown_query == "quokkaz ", what="the new article")
        assert screen._page is not None and [hit.id for hit in screen._page.hits] == ["zz_fresh"]
    record("concurrency: TUI searches answered while another process rebuilt", queries)
