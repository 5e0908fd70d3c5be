"""The freshness check every command runs first (`reader search` included): an index found current
without a stamp is stamped, so the next check reads no manifest; and the quick answer still sees a
file changed in place, which the archive folder's own time does not show (why one stat of the
folder cannot answer "nothing changed")."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core import manifest as manifest_file
from reader.core import stamp as stamp_file
from reader.engines.whoosh import freshness
from reader.engines.whoosh.freshness import stale_reason
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.store import IndexStore


def _built(archive: Path, index_dir: Path, write: Callable[..., Path]) -> Path:
    for number in range(4):
        write(f"{number:03}_s", f"Story {number}", [f"Paragraph of story {number}."])
    ArchiveIndex(archive, index_dir).refresh()
    folder = IndexStore(index_dir).current()
    assert folder is not None
    return folder


def _manifest_refused(patch: pytest.MonkeyPatch) -> None:
    def refused(folder: Path) -> None:
        raise AssertionError("the manifest was read")

    freshness._cached_manifest.cache_clear()
    patch.setattr(manifest_file, "load", refused)


def test_a_current_index_without_a_stamp_is_stamped_by_the_check(archive: Path, index_dir: Path,
                                                                  write: Callable[..., Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _built(archive, index_dir, write)
    (folder / stamp_file.STAMP_NAME).unlink()  # as an index made before stamps
    assert stale_reason(archive, IndexStore(index_dir)) == ""
    assert stamp_file.load(folder) is not None
    with monkeypatch.context() as patch:
        _manifest_refused(patch)
        assert stale_reason(archive, IndexStore(index_dir)) == ""


def test_a_stale_index_is_not_stamped(archive: Path, index_dir: Path, write: Callable[..., Path]) -> None:
    folder = _built(archive, index_dir, write)
    (folder / stamp_file.STAMP_NAME).unlink()
    write("010_new", "A new story", ["Fresh words."])
    assert stale_reason(archive, IndexStore(index_dir)) == "files were added or removed"
    assert stamp_file.load(folder) is None


def test_the_check_does_not_wait_for_a_writer_to_stamp(archive: Path, index_dir: Path,
                                                      write: Callable[..., Path]) -> None:
    folder = _built(archive, index_dir, write)
    (folder / stamp_file.STAMP_NAME).unlink()
    store = IndexStore(index_dir)
    with store.writing(wait=0):  # another writer at work (flock is per open file: this is one)
        started = time.monotonic()
        assert stale_reason(archive, IndexStore(index_dir)) == ""
        assert time.monotonic() - started < 1.0  # not the writer lock's ten-second wait
    assert stamp_file.load(folder) is None  # left to the next check


def test_a_file_changed_in_place_is_noticed_though_the_folder_is_not(archive: Path, index_dir: Path,
                                                                      write: Callable[..., Path]) -> None:
    _built(archive, index_dir, write)
    assert stale_reason(archive, IndexStore(index_dir)) == ""  # stamped
    folder_time = archive.stat().st_mtime_ns
    path = archive / "002_s.txt"
    size = path.stat().st_size
    with open(path, "r+b") as stream:  # rewritten in place, same size: no entry of the folder changes
        text = stream.read()
        stream.seek(0)
        stream.write(text.replace(b"story", b"STORY"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert archive.stat().st_mtime_ns == folder_time and path.stat().st_size == size
    assert stale_reason(archive, IndexStore(index_dir)) == "files changed"


def test_a_change_in_the_helpers_half_of_a_shared_scan_is_noticed(archive: Path, index_dir: Path,
                                                                 write: Callable[..., Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A big archive's scan stats its second half in a forked helper (reader/core/archive.py):
    # a file changed in place there, or one gone from there, is seen as in a serial scan.
    from reader.core import archive as archive_module

    _built(archive, index_dir, write)
    monkeypatch.setattr(archive_module, "PARALLEL_SCAN_MIN", 1)
    monkeypatch.setattr(archive_module, "core_free", lambda: True)
    assert stale_reason(archive, IndexStore(index_dir)) == ""
    last = archive / archive_module.scan_folder(archive).names[-1]  # in the helper's half
    os.utime(last, ns=(last.stat().st_atime_ns, last.stat().st_mtime_ns + 1_000_000))
    assert stale_reason(archive, IndexStore(index_dir)) == "files changed"
    last.unlink()
    assert stale_reason(archive, IndexStore(index_dir)) == "files were added or removed"
