"""A first build of a big archive publishes its first batch early (issue 13): search answers while
the rest is read, progress counts the whole archive, and an interrupted rest is resumed by the next
refresh instead of starting over."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import article_text

from reader.core.types import ProgressReport
from reader.engines.whoosh import writing
from reader.engines.whoosh.index import ArchiveIndex


@pytest.fixture
def big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """60 articles, with the batch lowered to 20 so that 60 count as a big archive."""
    monkeypatch.setattr(writing, "FIRST_BATCH", 20)
    monkeypatch.setattr(writing, "FIRST_BATCH_MIN", 40)
    archive = tmp_path / "archive"
    archive.mkdir()
    for i in range(60):
        text = article_text(f"Harbour ferry {i}", [f"The ferry number {i} sails at dawn."])
        (archive / f"{i:03d}_{i:016x}.txt").write_text(text, encoding="utf-8")
    return archive, tmp_path / "index"


def test_the_first_batch_is_searchable_while_the_rest_is_read(big: tuple[Path, Path]) -> None:
    archive, index_dir = big
    reports: list[ProgressReport] = []
    found_meanwhile: list[int] = []

    def progress(report: ProgressReport) -> None:
        reports.append(report)
        if report.searchable and not found_meanwhile:
            found_meanwhile.append(ArchiveIndex(archive, index_dir).search("ferry", limit=100).total)

    summary = ArchiveIndex(archive, index_dir).refresh(progress=progress)
    assert found_meanwhile == [20]
    assert (summary.rebuilt, summary.indexed, summary.unchanged, summary.total) == (True, 60, 0, 60)
    reading = [r for r in reports if r.phase == "reading"]
    assert {r.total for r in reading} == {60}  # counts of the whole archive, not of each part
    assert reading[-1].done == 60
    assert [r.done for r in reading] == sorted(r.done for r in reading)
    assert "committing" in [r.phase for r in reports]
    index = ArchiveIndex(archive, index_dir)
    assert index.search("ferry", limit=100).total == 60
    again = index.refresh()
    assert (again.indexed, again.unchanged, again.rebuilt) == (0, 60, False)


def test_an_interrupted_rest_is_resumed_not_restarted(big: tuple[Path, Path]) -> None:
    archive, index_dir = big

    def interrupt(report: ProgressReport) -> None:
        if report.phase == "reading" and report.searchable and report.done >= 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ArchiveIndex(archive, index_dir).refresh(progress=interrupt)
    assert ArchiveIndex(archive, index_dir).search("ferry", limit=100).total == 20
    summary = ArchiveIndex(archive, index_dir).refresh()
    assert (summary.rebuilt, summary.indexed, summary.unchanged, summary.total) == (False, 40, 20, 60)


def test_a_rebuild_keeps_the_old_index_until_the_end(big: tuple[Path, Path]) -> None:
    archive, index_dir = big
    ArchiveIndex(archive, index_dir).refresh()
    reports: list[ProgressReport] = []
    summary = ArchiveIndex(archive, index_dir).refresh(rebuild=True, progress=reports.append)
    assert summary.rebuilt and summary.total == 60
    assert not any(r.searchable for r in reports)  # one build, published at its end


def test_later_batches_grow_and_each_is_searchable_when_it_commits(big: tuple[Path, Path],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches of 5, then 15 (20 in all), then the last 40 (at most 45 more): each published as it
    # commits, so what is searchable while the next one is read is 5, then 20.
    monkeypatch.setattr(writing, "FIRST_BATCH", 5)
    monkeypatch.setattr(writing, "BATCH_GROWTH", 3)
    archive, index_dir = big
    searchable: list[int] = []
    found: dict[int, int] = {}

    def progress(report: ProgressReport) -> None:
        if report.searchable and (not searchable or searchable[-1] != report.searchable):
            searchable.append(report.searchable)
            found[report.searchable] = ArchiveIndex(archive, index_dir).search("ferry", limit=100).total

    summary = ArchiveIndex(archive, index_dir).refresh(progress=progress)
    assert searchable == [5, 20]
    assert all(found[count] == count for count in searchable)  # what it says is searchable is
    assert (summary.rebuilt, summary.indexed, summary.total) == (True, 60, 60)


def test_thousands_of_files_new_to_an_index_are_added_in_published_batches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rest of a first build stopped part way (or a big copy into the archive) goes in growing
    batches too: what is searchable grows while it is read, not only at the end."""
    monkeypatch.setattr(writing, "FIRST_BATCH", 5)
    monkeypatch.setattr(writing, "FIRST_BATCH_MIN", 40)
    monkeypatch.setattr(writing, "BATCH_GROWTH", 2)
    archive = tmp_path / "archive"
    archive.mkdir()

    def write(i: int) -> None:
        text = article_text(f"Harbour ferry {i}", [f"The ferry number {i} sails at dawn."])
        (archive / f"{i:03d}_{i:016x}.txt").write_text(text, encoding="utf-8")

    for i in range(10):
        write(i)
    index_dir = tmp_path / "index"
    ArchiveIndex(archive, index_dir).refresh()
    for i in range(10, 60):
        write(i)
    (archive / "003_0000000000000003.txt").write_text(article_text("Harbour ferry 3 renamed"), encoding="utf-8")
    seen: dict[int, int] = {}

    def progress(report: ProgressReport) -> None:
        if report.phase == "reading" and report.searchable not in seen:
            seen[report.searchable] = ArchiveIndex(archive, index_dir).search("ferry", limit=100).total

    summary = ArchiveIndex(archive, index_dir).refresh(progress=progress)
    # Batches of 10, 20 and the last 20 new files; the changed one goes with the first.
    assert seen == {10: 10, 20: 20, 40: 40}
    assert (summary.rebuilt, summary.added, summary.indexed, summary.unchanged, summary.total) == (False, 50, 51, 9, 60)
    assert ArchiveIndex(archive, index_dir).search("renamed", limit=10).total == 1
    again = ArchiveIndex(archive, index_dir).refresh()
    assert (again.indexed, again.unchanged) == (0, 60)
