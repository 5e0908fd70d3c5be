"""Work shared with forked helpers (issue 12 item 6, issue 13 item 3): a big archive's scan stats
half its files in a child (reader/core/archive.py) and gives exactly the serial scan; `reader
search` checks freshness in a child beside the query (reader/cli/beside.py), and still sees an
archive changed in place, added to or emptied of a file, and answers from the refreshed index."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.cli import beside as beside_module
from reader.cli import fresh
from reader.cli import main as cli
from reader.core import archive as archive_module
from reader.core.archive import Scan, scan_folder
from reader.engines.whoosh.index import ArchiveIndex


def _serial(folder: Path) -> Scan:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive_module, "_may_fork", lambda count: False)
        return scan_folder(folder)


def _columns(scan: Scan) -> tuple[list[str], list[int], list[int]]:
    return scan.names, scan.mtimes, scan.sizes


def _odd_folder(folder: Path, count: int, seed: int) -> None:
    """`count` names of every kind a scan meets: articles, hidden files and editor leftovers, a
    sub-folder named like an article, links to a file, to a folder and to nothing."""
    rng = random.Random(seed)
    folder.mkdir()
    for number in range(count):
        kind = rng.random()
        name = f"{number:05}_{rng.randrange(10**6)}.txt"
        if kind < 0.7:
            (folder / name).write_bytes(b"x" * rng.randrange(200))
            # Times past 2262 too (more nanoseconds than 64 bits hold; ext4 keeps them up to 2446).
            late = rng.random() < 0.1
            os.utime(folder / name, ns=(0, 32503680000 * 10**9 if late else rng.randrange(10**18)))
        elif kind < 0.75:
            (folder / f".{name}").write_text("hidden")
        elif kind < 0.8:
            (folder / f"{name}~").write_text("leftover")
        elif kind < 0.85:
            (folder / name).mkdir()
        elif kind < 0.9:
            target = folder / f"target-{number}"
            target.write_text("linked")
            (folder / name).symlink_to(target)
        elif kind < 0.95:
            (folder / name).symlink_to(folder / "nowhere")
        else:
            (folder / name).symlink_to(folder)


@pytest.fixture(autouse=True)
def _no_other_thread() -> None:
    """Let threads an earlier test left finishing end first: scan_folder rightly forks no helper
    while another thread runs, and one such (in CI, once) made every forking case fail."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(timeout=10)


@pytest.mark.parametrize(("count", "seed"), [(0, 1), (1, 2), (2, 3), (3, 4), (57, 5), (400, 6), (1001, 7)])
def test_a_scan_shared_with_a_helper_is_the_serial_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        count: int, seed: int) -> None:
    folder = tmp_path / "archive"
    _odd_folder(folder, count, seed)
    serial = _serial(folder)
    monkeypatch.setattr(archive_module, "PARALLEL_SCAN_MIN", 1)
    monkeypatch.setattr(archive_module, "core_free", lambda: True)  # whatever else the machine runs
    forks: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(archive_module.os, "fork", lambda: forks.append(1) or real_fork())
    assert _columns(scan_folder(folder)) == _columns(serial)
    assert forks == ([1] if count else [])  # the helper did the second half
    assert all(name.endswith(".txt") and not name.startswith(".") for name in serial.names)


def test_a_helper_that_fails_leaves_its_half_to_the_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "archive"
    _odd_folder(folder, 300, 8)
    serial = _serial(folder)
    monkeypatch.setattr(archive_module, "PARALLEL_SCAN_MIN", 1)
    monkeypatch.setattr(archive_module, "core_free", lambda: True)
    real = archive_module._Stats.to_bytes
    monkeypatch.setattr(archive_module._Stats, "to_bytes", lambda self: real(self)[:-5])  # an answer cut short
    assert _columns(scan_folder(folder)) == _columns(serial)

    def no_fork() -> int:
        raise OSError("no more processes")

    monkeypatch.setattr(archive_module.os, "fork", no_fork)
    assert _columns(scan_folder(folder)) == _columns(serial)


def test_no_helper_while_another_thread_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(archive_module, "PARALLEL_SCAN_MIN", 1)
    monkeypatch.setattr(archive_module, "core_free", lambda: True)
    assert archive_module._may_fork(10) == (threading.active_count() == 1)
    monkeypatch.setattr(archive_module, "core_free", lambda: False)
    assert not archive_module._may_fork(10)  # no core to run it on: serial
    monkeypatch.setattr(archive_module, "core_free", lambda: True)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert not archive_module._may_fork(10) and not beside_module.can_fork()
    finally:
        stop.set()
        worker.join()


def test_the_child_answers_or_says_it_failed() -> None:
    assert beside_module.Beside(lambda: ("current", "")).answer() == ("current", "")
    assert beside_module.Beside(lambda: ("stale", "files changed ✓")).answer() == ("stale", "files changed ✓")

    def fails() -> tuple[str, ...]:
        raise RuntimeError("cannot list")

    failed = beside_module.Beside(fails)
    child = failed._child
    assert failed.answer() is None
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(child, os.WNOHANG)  # type: ignore[arg-type]


def test_a_child_left_early_is_reaped() -> None:
    left = beside_module.Beside(lambda: ("current", ""))
    child = left._child
    left.close()
    left.close()  # twice is harmless
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # type: ignore[arg-type]


@pytest.fixture
def searched(archive: Path, index_dir: Path, write: Callable[..., Path],
             monkeypatch: pytest.MonkeyPatch) -> Callable[[str], tuple[str, int, int]]:
    """`reader search WORD` in this process: (its output, searches made, checks made beside)."""
    write("001_coal", "Coal mines close", ["The last coal mine of the valley closed."])
    write("002_tea", "Tea prices", ["Tea and coffee prices rose again."])
    ArchiveIndex(archive, index_dir).refresh()
    counts = {"search": 0, "beside": 0}
    real_beside = beside_module.Beside

    def counted_beside(call: Callable[[], tuple[str, ...]]) -> beside_module.Beside:
        counts["beside"] += 1
        return real_beside(call)

    monkeypatch.setattr(fresh, "Beside", counted_beside)
    monkeypatch.setattr(fresh, "can_fork", lambda: True)  # as in `reader`, whatever threads pytest runs
    monkeypatch.setattr(fresh, "_worth_a_child", lambda folder: True)  # as for a big archive on a free core

    def run(word: str) -> tuple[str, int, int]:
        from reader.engines.whoosh import deferred

        real_search = deferred.DeferredIndex.search
        counts["search"] = counts["beside"] = 0

        def counted_search(self: object, *args: object, **kwargs: object) -> object:
            if kwargs.get("suggest", True):  # an answer; a suggestion's check asks without one
                counts["search"] += 1
            return real_search(self, *args, **kwargs)  # type: ignore[arg-type]

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(deferred.DeferredIndex, "search", counted_search)
            out_file = archive.parent / "out.txt"
            with open(out_file, "w", encoding="utf-8") as stream, pytest.MonkeyPatch.context() as streams:
                streams.setattr("sys.stdout", stream)
                code = cli.main(["--archive", str(archive), "--index", str(index_dir), "search", word])
            assert code == 0
        return out_file.read_text(encoding="utf-8"), counts["search"], counts["beside"]

    return run


def test_a_current_index_answers_once_with_the_check_beside(searched: Callable[[str], tuple[str, int, int]]) -> None:
    out, searches, checks = searched("coal")
    assert out.splitlines()[0] == "1 match for coal" and "Coal mines close" in out
    assert (searches, checks) == (1, 1)  # the early answer was kept


def test_a_small_archive_or_a_busy_machine_checks_first(searched: Callable[[str], tuple[str, int, int]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fresh, "_worth_a_child", lambda folder: False)
    out, searches, checks = searched("coal")
    assert out.splitlines()[0] == "1 match for coal" and (searches, checks) == (1, 0)
    monkeypatch.undo()
    monkeypatch.setattr(fresh, "core_free", lambda: True)
    assert not fresh._worth_a_child(Path(__file__).parent)  # a folder of a few files
    monkeypatch.setattr(fresh, "BESIDE_MIN_FOLDER_BYTES", 0)
    assert fresh._worth_a_child(Path(__file__).parent)
    monkeypatch.setattr(fresh, "core_free", lambda: False)
    assert not fresh._worth_a_child(Path(__file__).parent)


def test_a_search_beside_its_check_still_sees_every_change(searched: Callable[[str], tuple[str, int, int]],
                                                          archive: Path, write: Callable[..., Path]) -> None:
    assert searched("coal")[0].startswith("1 match")
    # Changed in place, same size, an entry of the folder untouched (only the file's time shows it).
    path = archive / "002_tea.txt"
    text = path.read_bytes()
    path.write_bytes(text.replace(b"coffee", b"coalyy"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    out, searches, checks = searched("coalyy")
    assert out.splitlines()[0] == "1 match for coalyy" and "Tea prices" in out
    assert (searches, checks) == (2, 1)  # the early answer, from the stale index, was dropped
    write("003_coal", "More coal", ["Coal again."])
    out, _, _ = searched("coal")
    assert out.splitlines()[0] == "2 matches for coal"
    (archive / "001_coal.txt").unlink()
    out, _, _ = searched("coal")
    assert out.splitlines()[0] == "1 match for coal" and "More coal" in out
    assert searched("coal") == (out, 1, 1)  # current again: answered once


def test_a_missing_index_is_built_and_answers(searched: Callable[[str], tuple[str, int, int]],
                                              index_dir: Path) -> None:
    import shutil

    shutil.rmtree(index_dir)
    out, searches, checks = searched("tea")
    assert out.splitlines()[0] == "1 match for tea" and "Tea prices" in out
    assert (searches, checks) == (2, 1)  # the early answer found no index, and was asked again after the build
