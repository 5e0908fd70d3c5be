"""The stamp beside the manifest (issue 13): a refresh with nothing changed answers from a digest of
the scan without reading the manifest, and any change, or any new record, falls back to the full
comparison."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reader.core import manifest as manifest_file
from reader.core import stamp as stamp_file
from reader.engines.whoosh import freshness
from reader.engines.whoosh.freshness import index_files, nothing_to_do, stale_reason
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.store import IndexStore


def _built(archive: Path, index_dir: Path, write, count: int = 5) -> Path:  # type: ignore[no-untyped-def]
    for number in range(count):
        write(f"{number:03}_s", f"Story {number}", [f"Paragraph of story {number}."])
    (archive / "zz_empty.txt").write_text("", encoding="utf-8")  # skipped: counted from the stamp too
    ArchiveIndex(archive, index_dir).refresh()
    folder = IndexStore(index_dir).current()
    assert folder is not None
    return folder


def _no_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(folder: Path) -> None:
        raise AssertionError("the manifest was read")

    freshness._cached_manifest.cache_clear()
    monkeypatch.setattr(manifest_file, "load", refused)


def test_nothing_changed_is_found_without_reading_the_manifest(archive: Path, index_dir: Path, write,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _built(archive, index_dir, write)
    assert (folder / stamp_file.STAMP_NAME).is_file()
    assert stamp_file.STAMP_NAME not in index_files(folder)  # not one of the index's own files
    expected, _ = nothing_to_do(archive, IndexStore(index_dir))
    assert expected is not None and expected.skipped

    with monkeypatch.context() as patch:
        _no_manifest(patch)
        quiet, scanned = nothing_to_do(archive, IndexStore(index_dir))
        assert stale_reason(archive, IndexStore(index_dir)) == ""
    assert quiet == expected  # the same counts and skipped files as the full comparison
    assert scanned is not None and len(scanned) == 6


@pytest.mark.parametrize("change", ["edited", "touched", "added", "removed"])
def test_any_change_to_the_archive_falls_back_to_the_full_comparison(archive: Path, index_dir: Path, write,
                                                                     change: str) -> None:
    _built(archive, index_dir, write)
    path = archive / "002_s.txt"
    if change == "edited":  # same size, new time
        info = path.stat()
        path.write_text(path.read_text(encoding="utf-8").replace("story", "STORY"), encoding="utf-8")
        assert path.stat().st_size == info.st_size
    elif change == "touched":
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    elif change == "added":
        write("010_new", "A new story", ["Fresh words."])
    else:
        path.unlink()
    quiet, scanned = nothing_to_do(archive, IndexStore(index_dir))
    assert quiet is None and scanned is not None  # the scan is handed to the real refresh
    summary = ArchiveIndex(archive, index_dir).refresh()
    if change == "touched":  # a new time, the bytes indexed: the new time recorded, nothing read again
        assert not summary.changed and summary.touched == 1
    else:
        assert summary.changed and not summary.touched
    assert nothing_to_do(archive, IndexStore(index_dir))[0] is not None  # stamped again


def test_a_stamp_of_another_record_is_void(archive: Path, index_dir: Path, write,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _built(archive, index_dir, write)
    saved = manifest_file.load(folder)
    assert saved is not None
    manifest_file.save(folder, saved, None)  # the same record, written again: a new file
    assert stamp_file.load(folder) is None
    with monkeypatch.context() as patch:  # so the answer comes from the manifest, as before stamps
        patch.setattr(stamp_file, "save", lambda *args: None)
        assert nothing_to_do(archive, IndexStore(index_dir))[0] is not None


def test_an_index_without_a_stamp_is_stamped_by_its_next_check(archive: Path, index_dir: Path, write,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _built(archive, index_dir, write)
    (folder / stamp_file.STAMP_NAME).unlink()  # as an index made before stamps
    assert nothing_to_do(archive, IndexStore(index_dir))[0] is not None
    assert stamp_file.load(folder) is not None
    with monkeypatch.context() as patch:
        _no_manifest(patch)
        assert nothing_to_do(archive, IndexStore(index_dir))[0] is not None


def test_the_stamp_does_not_hide_damage(archive: Path, index_dir: Path, write) -> None:
    folder = _built(archive, index_dir, write)
    saved = manifest_file.load(folder)
    assert saved is not None
    biggest = max(saved.files, key=saved.files.__getitem__)
    with open(folder / biggest, "r+b") as stream:
        stream.truncate(saved.files[biggest] // 2)
    assert nothing_to_do(archive, IndexStore(index_dir))[0] is None
    assert stale_reason(archive, IndexStore(index_dir)).startswith(freshness.DAMAGED)
