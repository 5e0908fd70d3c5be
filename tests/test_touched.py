"""Files with a new time but the bytes indexed (a corpus copied again, `touch`, a checkout): the
refresh records their new times and reads nothing again; a file whose bytes changed is indexed
again whatever its size; records written before digests were kept still work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reader.cli.fresh import summary_line
from reader.core import manifest as manifest_file
from reader.core import touched as touched_module
from reader.core.archive import FileStat, scan
from reader.core.progress import ProgressModel
from reader.core.touched import drop_touched
from reader.core.types import ProgressReport
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.store import IndexStore


def _archive(write) -> None:
    write("001_a", "Walrus colony counted from the air", ["The survey found four hundred walruses."])
    write("002_b", "Harbour seals return to the estuary", ["Seals were seen on the sandbanks."])
    write("003_c", "Puffins nest early this spring", ["The first puffins came in March."])


def _later(path: Path, seconds: int = 10) -> None:
    """A new modification time, the bytes untouched."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + seconds * 1_000_000_000))


def _folder(index_dir: Path) -> Path:
    folder = IndexStore(index_dir).current()
    assert folder is not None
    return folder


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the index writer reads to index them, as they are read."""
    read: list[str] = []
    original = touched_module.read_checked
    monkeypatch.setattr(touched_module, "read_checked", lambda path: read.append(path.name) or original(path))
    return read


def test_touched_files_are_not_indexed_again(archive: Path, index_dir: Path, write,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    generation = IndexStore(index_dir).current_name()
    for path in archive.iterdir():
        _later(path)
    read = _reads(monkeypatch)
    reports: list[ProgressReport] = []
    assert index.needs_refresh() == "files changed"
    summary = index.refresh(progress=reports.append)
    assert read == []
    assert (summary.indexed, summary.unchanged, summary.touched, summary.removed) == (0, 3, 3, 0)
    assert not summary.changed and summary.total == 3
    assert "3 unchanged (3 of them with only a new time)" in summary_line(summary)
    assert [(r.done, r.total) for r in reports if r.phase == "comparing"] == [(3, 3)]
    # The new times are recorded: the next check finds the index current, in the same generation.
    assert IndexStore(index_dir).current_name() == generation
    saved = manifest_file.load(_folder(index_dir))
    assert saved is not None and saved.stamps() == scan(archive)
    assert index.needs_refresh() == ""
    assert [hit.id for hit in index.search("walruses").hits] == ["001_a"]


def test_new_bytes_of_the_same_size_are_indexed_again(archive: Path, index_dir: Path, write,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    path = archive / "002_b.txt"
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("sandbanks", "mudflatsx"), encoding="utf-8")
    assert path.stat().st_size == before.st_size
    _later(path)
    _later(archive / "003_c.txt")
    read = _reads(monkeypatch)
    summary = index.refresh()
    assert read == ["002_b.txt"]
    assert (summary.indexed, summary.unchanged, summary.touched) == (1, 2, 1)
    assert [hit.id for hit in index.search("mudflatsx").hits] == ["002_b"]
    assert index.search("sandbanks").hits == ()
    assert index.needs_refresh() == ""


def test_a_record_without_digests_reads_touched_files_once(archive: Path, index_dir: Path, write,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An index written before digests were kept: its touched files are read and indexed again, as
    before, and from then on they carry digests."""
    _archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    folder = _folder(index_dir)
    record = json.loads((folder / manifest_file.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert len(record["digests"]) == 3 and all(record["digests"])
    del record["digests"]
    (folder / manifest_file.MANIFEST_NAME).write_text(json.dumps(record), encoding="utf-8")
    loaded = manifest_file.load(folder)
    assert loaded is not None and loaded.get("001_a.txt").digest == ""  # type: ignore[union-attr]
    assert index.needs_refresh() == ""  # the times are unchanged: nothing to read

    _later(archive / "001_a.txt")
    read = _reads(monkeypatch)
    summary = index.refresh()
    assert read == ["001_a.txt"] and (summary.indexed, summary.touched) == (1, 0)
    _later(archive / "001_a.txt")
    summary = index.refresh()
    assert read == ["001_a.txt"] and (summary.indexed, summary.touched) == (0, 1)


def test_changes_rows_of_the_earlier_width_are_read(archive: Path, index_dir: Path, write) -> None:
    """`manifest-changes.json` rows of five fields (written before digests) load, with no digest."""
    _archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    _later(archive / "003_c.txt")
    write("003_c", "Puffins nest early this spring", ["The first puffins came in April."])
    _later(archive / "003_c.txt")
    index.refresh()
    folder = _folder(index_dir)
    changes = json.loads((folder / manifest_file.CHANGES_NAME).read_text(encoding="utf-8"))
    row = changes["changes"]["003_c.txt"]
    assert len(row) == 6 and row[5] == manifest_file.content_digest((archive / "003_c.txt").read_bytes())
    changes["changes"]["003_c.txt"] = row[:5]
    (folder / manifest_file.CHANGES_NAME).write_text(json.dumps(changes), encoding="utf-8")
    saved = manifest_file.load(folder)
    assert saved is not None and saved.get("003_c.txt") == manifest_file.Entry(*row[:5])
    assert index.needs_refresh() == ""


def test_a_file_changed_after_the_scan_stays_changed(archive: Path, index_dir: Path, write) -> None:
    """The bytes compared are the ones read: a file that grew since the scan, or that cannot be
    read, is left for the refresh to read as before."""
    _archive(write)
    ArchiveIndex(archive, index_dir).refresh()
    saved = manifest_file.load(_folder(index_dir))
    assert saved is not None
    saved = saved.copy()
    old_a, old_b = saved.get("001_a.txt"), saved.get("002_b.txt")
    assert old_a is not None and old_b is not None
    changed = {"001_a.txt": FileStat(old_a.mtime_ns + 1, old_a.size), "002_b.txt": FileStat(old_b.mtime_ns + 1, old_b.size),
               "009_gone.txt": FileStat(5, 5)}
    with (archive / "001_a.txt").open("a", encoding="utf-8") as grown:
        grown.write("\nOne more line.\n")
    assert drop_touched(archive, saved, changed) == 1
    assert sorted(changed) == ["001_a.txt", "009_gone.txt"]
    assert saved.get("002_b.txt") == old_b._replace(mtime_ns=old_b.mtime_ns + 1)
    assert saved.get("001_a.txt") == old_a


def test_the_comparing_phase_is_shown_with_its_count() -> None:
    model = ProgressModel(clock=lambda: 0.0)
    model.update(ProgressReport("comparing", 200, 9962))
    assert model.line() == "Comparing with the index 200 of 9,962 articles"
    assert model.plain() == "comparing with the index 200 of 9,962 articles"
