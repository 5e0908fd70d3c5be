"""The Whoosh index: incremental refresh, rebuilds, link resolution through it, search and snippets."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from support import tree_snapshot
from reader.core import manifest as manifest_file
from reader.core import touched as touched_module
from reader.core.archive import scan, scan_folder
from reader.engines.whoosh.freshness import latest_generation, nothing_to_do
from reader.core.snippets import make_snippet
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.schema import stem
from reader.engines.whoosh.store import IndexBusy, IndexStore


def _basic_archive(write) -> None:
    write("001_a", "Haringey council orders safeguarding inspection", ["Inspectors will visit children's services in Haringey."],
          related=["Ofsted\u00a0report on Haringey published"])
    write("002_b", "Ofsted report on Haringey published", ["The report criticises the council's safeguarding."],
          related=["Haringey council orders safeguarding inspection", "A story that is not stored"])
    write("003_c", "Motorcycle maintenance for beginners", ["Check the chain and the brakes before every ride."])


def _built(archive: Path, index_dir: Path, write) -> tuple[ArchiveIndex, Path]:
    """The basic archive, indexed; its index and the folder of the current generation."""
    _basic_archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    folder = IndexStore(index_dir).current()
    assert folder is not None
    return index, folder


def test_first_refresh_builds_then_nothing_changes(archive: Path, index_dir: Path, write) -> None:
    _basic_archive(write)
    index = ArchiveIndex(archive, index_dir)
    assert index.needs_refresh() == "no index yet"
    first = index.refresh()
    assert first.rebuilt and first.indexed == 3 and first.total == 3
    assert index.needs_refresh() == ""
    second = index.refresh()
    assert not second.changed
    assert (second.indexed, second.unchanged, second.removed) == (0, 3, 0)


def test_incremental_refresh_reads_only_what_changed(archive: Path, index_dir: Path, write, monkeypatch) -> None:
    _basic_archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    write("004_d", "A new story about brakes", ["Brakes again."])
    (archive / "003_c.txt").unlink()
    changed = write("001_a", "Haringey council orders safeguarding inspection", ["Now about ferrets."])
    os.utime(changed, ns=(1, 1))  # a different time even on a coarse clock
    read: list[str] = []
    original = touched_module.read_checked
    monkeypatch.setattr(touched_module, "read_checked", lambda path: read.append(path.name) or original(path))
    summary = index.refresh()
    assert sorted(read) == ["001_a.txt", "004_d.txt"]
    assert (summary.indexed, summary.unchanged, summary.removed, summary.total) == (2, 1, 1, 3)
    assert not summary.rebuilt
    assert [hit.id for hit in index.search("ferrets").hits] == ["001_a"]
    assert index.search("chain").hits == ()
    assert [hit.id for hit in index.search("brakes").hits] == ["004_d"]


def test_rebuild_starts_over_into_a_new_generation(archive: Path, index_dir: Path, write) -> None:
    _basic_archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    before = IndexStore(index_dir).current_name()
    summary = index.refresh(rebuild=True)
    after = IndexStore(index_dir).current_name()
    assert summary.rebuilt and summary.indexed == 3 and before != after
    assert [p.name for p in index_dir.iterdir() if p.name.startswith("g-")] == [after]
    assert len(index.search("Haringey").hits) == 2


def test_schema_version_change_forces_rebuild(archive: Path, index_dir: Path, write, monkeypatch) -> None:
    _basic_archive(write)
    ArchiveIndex(archive, index_dir).refresh()
    from reader.engines.whoosh import freshness

    monkeypatch.setattr(freshness, "SCHEMA_VERSION", freshness.SCHEMA_VERSION + 1)
    index = ArchiveIndex(archive, index_dir)
    assert index.needs_refresh() == "the index format changed"
    summary = index.refresh()
    assert summary.rebuilt and summary.rebuild_reason == "the index format changed"


def test_skipped_files_are_reported_and_not_reread(archive: Path, index_dir: Path, write) -> None:
    _basic_archive(write)
    (archive / "010_empty.txt").write_bytes(b"")
    (archive / "011_bin.txt").write_bytes(b"\x00\x01\x02binary")
    (archive / ".hidden.txt").write_text("Hidden\n\nnot an article")
    index = ArchiveIndex(archive, index_dir)
    first = index.refresh()
    assert first.indexed == 3
    assert set(first.skipped) == {"010_empty.txt", "011_bin.txt"}
    assert first.skipped["010_empty.txt"] == "empty file"
    assert first.skipped["011_bin.txt"].startswith("binary file")
    second = index.refresh()
    assert not second.changed and set(second.skipped) == {"010_empty.txt", "011_bin.txt"}


def test_duplicate_ids_are_impossible_but_a_duplicate_title_is_fine(archive: Path, make_index, write) -> None:
    write("001_a", "Same title", ["One."])
    write("002_b", "Same title", ["Two."])
    write("003_c", "Links", related=["Same title"])
    index = make_index()
    assert index.resolve("Same\u00a0title").targets == ("001_a", "002_b")
    assert index.backlinks("001_a") == index.backlinks("002_b") == ["003_c"]


def test_indexing_never_writes_into_the_archive(archive: Path, index_dir: Path, write) -> None:
    _basic_archive(write)
    before = tree_snapshot(archive)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    index.refresh(rebuild=True)
    index.search("haringey")
    assert tree_snapshot(archive) == before


def test_links_resolve_and_backlinks(make_index, write) -> None:
    _basic_archive(write)
    index = make_index()
    article = index.read("002_b")
    resolved = [(link.text, res.targets, res.approximate) for link, res in index.resolve_links(article)]
    assert resolved == [
        ("Haringey council orders safeguarding inspection", ("001_a",), False),
        ("A story that is not stored", (), False),
    ]
    assert index.backlinks("001_a") == ["002_b"]
    assert index.backlinks("002_b") == ["001_a"]  # linked with U+00A0 in its title
    assert index.backlinks("003_c") == []


def test_dangling_link_resolves_when_its_target_is_added_later(archive: Path, make_index, write, monkeypatch) -> None:
    _basic_archive(write)
    index = make_index()
    assert index.resolve("A story that is not stored").dangling
    write("005_e", "A story that is not stored", ["Now it is."])
    read: list[str] = []
    original = touched_module.read_checked
    monkeypatch.setattr(touched_module, "read_checked", lambda path: read.append(path.name) or original(path))
    index.refresh()
    assert read == ["005_e.txt"]  # 002_b, which links to it, was not read again
    assert index.resolve("A story that is not stored").targets == ("005_e",)
    assert index.backlinks("005_e") == ["002_b"]


def test_approximate_links_and_their_backlinks(make_index, write) -> None:
    write("001_a", "Social workers strike over pay in Leeds", ["Text."])
    write("002_b", "Links", related=["Social workers strike over pay in Leeds!", "Social workers strke over pay in Leeds"])
    write("003_c", "Social workers strike", ["A different, shorter story."])
    index = make_index()
    results = [res for _, res in index.resolve_links(index.read("002_b"))]
    assert [(r.targets, r.approximate) for r in results] == [(("001_a",), True), (("001_a",), True)]
    assert index.backlinks("001_a") == ["002_b"]
    assert index.backlinks("003_c") == []


def test_self_link(make_index, write) -> None:
    write("001_a", "Looking at myself", ["Text."], related=["Looking at myself"])
    index = make_index()
    assert index.resolve_links(index.read("001_a"))[0][1].targets == ("001_a",)
    assert index.backlinks("001_a") == ["001_a"]


def test_search_ranks_title_hits_first_and_marks_snippets(make_index, write) -> None:
    _basic_archive(write)
    write("004_d", "Budget news", ["Haringey is mentioned once in this body about budgets and other things."])
    index = make_index()
    page = index.search("haringey")
    assert page.error is None and page.total == 3
    assert page.hits[-1].id == "004_d"  # body-only hit ranks below title hits
    snippet = page.hits[-1].snippet
    assert snippet is not None
    assert [snippet.text[a:b] for a, b in snippet.spans] == ["Haringey"]


def test_stemming_and_type_ahead_prefix(make_index, write) -> None:
    _basic_archive(write)
    index = make_index()
    assert {h.id for h in index.search("inspections").hits} == {"001_a"}
    for typed in ["sa", "saf", "safeguardi", "safeguarding"]:
        assert {h.id for h in index.search(typed, typeahead=True).hits} == {"001_a", "002_b"}, typed
    assert {h.id for h in index.search("haringey saf", typeahead=True).hits} == {"001_a", "002_b"}
    assert {h.id for h in index.search("motorcyc", typeahead=True).hits} == {"003_c"}


def test_query_language(make_index, write) -> None:
    _basic_archive(write)
    index = make_index()
    ids = lambda text: {h.id for h in index.search(text).hits}  # noqa: E731
    assert ids('"children\'s services"') == {"001_a"}
    assert ids("haringey NOT ofsted") == {"001_a"}
    assert ids("ofsted OR motorcycle") == {"002_b", "003_c"}
    assert ids("title:motorcycle") == {"003_c"}
    assert ids("motorcyle~") == {"003_c"}
    assert ids("motor*") == {"003_c"}
    assert ids("id:002_b") == {"002_b"}
    assert ids("Ofsted report: Haringey") == {"002_b"}  # "report:" is not a field


def test_did_you_mean(make_index, write) -> None:
    _basic_archive(write)
    index = make_index()
    page = index.search("haringy")
    assert page.hits == () and page.suggestion == "haringey"
    # The TUI shows the empty page first, then asks for the suggestion on its own.
    quick = index.search("haringy", typeahead=True, suggest=False)
    assert quick.hits == () and quick.suggestion is None
    assert index.suggest("haringy") == "haringey"
    assert index.suggest("haringey") is None and index.suggest('"unclosed') is None


@pytest.mark.parametrize("query", ['"unclosed', "(open", "close)", "[a TO", "", "AND", "x" * 1001])
def test_malformed_queries_give_one_line_errors(make_index, write, query: str) -> None:
    _basic_archive(write)
    page = make_index().search(query)
    assert page.error and "\n" not in page.error and page.hits == ()


def test_unknown_field_is_read_as_words(make_index, write) -> None:
    _basic_archive(write)
    page = make_index().search("Haringey: safeguarding")
    assert page.error is None and len(page.hits) == 2


def test_more_like_this(make_index, write) -> None:
    write("001_a", "Brakes", ["Motorcycle brakes and chains need care; brakes wear, chains stretch."])
    write("002_b", "Chains", ["Motorcycle chains stretch and brakes wear over the seasons."])
    write("003_c", "Gardening", ["Tulips and roses bloom in spring in the garden."])
    index = make_index()
    assert index.more_like_this("001_a")[0] == "002_b"
    assert "001_a" not in index.more_like_this("001_a")


def test_a_second_writer_waits_then_gets_a_clear_message(archive: Path, index_dir: Path, write) -> None:
    _basic_archive(write)
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with IndexStore(index_dir).writing():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(IndexBusy, match="another reader is updating the index"):
            ArchiveIndex(archive, index_dir).refresh(wait=0.3)
        assert len(index.search("haringey").hits) == 2  # readers carry on meanwhile
    finally:
        release.set()
        thread.join()
    assert not ArchiveIndex(archive, index_dir).refresh(wait=0.3).changed


def test_snippet_of_text_without_the_terms_is_its_start() -> None:
    snippet = make_snippet("First words of the body. " * 20, {"absent"}, stem)
    assert snippet.text.startswith("First words") and snippet.spans == ()


def test_article_ids_and_titles_in_archive_order(make_index, write) -> None:
    _basic_archive(write)
    index = make_index()
    assert index.article_ids() == ["001_a", "002_b", "003_c"]
    assert index.titles().title_of("003_c") == "Motorcycle maintenance for beginners"
    assert index.find("003_c") == ["003_c"]
    assert index.find("motorcycle MAINTENANCE for beginners") == ["003_c"]
    assert index.find("nothing like it") == []


def test_manifest_columns_round_trip_and_the_first_format_is_rewritten(archive: Path, index_dir: Path, write) -> None:
    import json

    _basic_archive(write)
    (archive / "004_bad.txt").write_bytes(b"\x00\x01 not text")
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    folder = IndexStore(index_dir).current()
    assert folder is not None
    saved = manifest_file.load(folder)
    assert saved is not None and not saved.outdated
    assert saved.indexed_count() == 3 and list(saved.skipped()) == ["004_bad.txt"]
    stamps = saved.stamps()
    assert {name: (e.mtime_ns, e.size) for name, e in saved.entries.items()} == stamps
    assert sorted(article_id for _, article_id, _ in saved.articles()) == ["001_a", "002_b", "003_c"]

    # An index written by the first release (an object per file) is read, then written anew.
    rows = {name: [e.mtime_ns, e.size, e.id, e.title, e.skipped] for name, e in saved.entries.items()}
    record = {"generation": saved.generation, "files": rows, "index_files": saved.files}
    (folder / manifest_file.MANIFEST_NAME).write_text(json.dumps(record), encoding="utf-8")
    old = manifest_file.load(folder)
    assert old is not None and old.outdated and old.stamps() == stamps
    assert index.needs_refresh() == ""
    summary = index.refresh()
    assert not summary.changed and summary.total == 3 and list(summary.skipped) == ["004_bad.txt"]
    again = manifest_file.load(folder)
    assert again is not None and not again.outdated and again.stamps() == stamps


def test_a_few_changes_are_recorded_beside_the_full_record(archive: Path, index_dir: Path, write, monkeypatch) -> None:
    index, folder = _built(archive, index_dir, write)
    full = (folder / manifest_file.MANIFEST_NAME).read_bytes()
    changes = folder / manifest_file.CHANGES_NAME

    (archive / "002_b.txt").write_bytes(b"\x00\x01 not text")
    (archive / "003_c.txt").unlink()
    os.utime(write("001_a", "Haringey council orders safeguarding inspection", ["Now about ferrets."]), ns=(1, 1))
    summary = index.refresh()
    assert (summary.indexed, summary.removed, list(summary.skipped)) == (1, 1, ["002_b.txt"])
    # Only the changes were written; read back, the record is the archive as it is now.
    assert (folder / manifest_file.MANIFEST_NAME).read_bytes() == full and changes.is_file()
    saved = manifest_file.load(folder)
    assert saved is not None and saved.generation == latest_generation(folder)
    assert saved.stamps() == scan(archive)
    assert saved.ids() == {"001_a": "001_a.txt"}
    assert saved.skipped() == {"002_b.txt": summary.skipped["002_b.txt"]} and saved.indexed_count() == 1
    assert saved.get("001_a.txt") == manifest_file.Entry(1, (archive / "001_a.txt").stat().st_size, "001_a",
                                                         "Haringey council orders safeguarding inspection",
                                                         digest=manifest_file.content_digest((archive / "001_a.txt").read_bytes()))
    assert saved.get("003_c.txt") is None
    assert index.needs_refresh() == "" and not index.refresh().changed

    # A changes file that cannot be read: the record is older than the index, which rebuilds it.
    changes.write_text("{not json", encoding="utf-8")
    assert index.needs_refresh() != ""
    summary = index.refresh()
    assert not summary.rebuilt and summary.indexed == 0 and summary.total == 1
    assert not changes.exists() and manifest_file.load(folder).stamps() == scan(archive)  # type: ignore[union-attr]
    assert [hit.id for hit in index.search("ferrets").hits] == ["001_a"]

    # Past CHANGES_KEPT changed files the full record is written again.
    with monkeypatch.context() as patch:
        patch.setattr(manifest_file, "CHANGES_KEPT", 1)
        full = (folder / manifest_file.MANIFEST_NAME).read_bytes()
        write("001_a", "Haringey council orders safeguarding inspection", ["About ferries."])
        write("002_b", "Lambeth review of care homes", ["Readable again."])
        assert index.refresh().indexed == 2
        assert (folder / manifest_file.MANIFEST_NAME).read_bytes() != full and not changes.exists()
        assert manifest_file.load(folder).stamps() == scan(archive)  # type: ignore[union-attr]
        assert index.needs_refresh() == ""

    # So is it when files are added out of the folder's order (added rows go at the end): the
    # record read back is in the folder's order either way.
    write("001_a", "Haringey council orders safeguarding inspection", ["About ferns."])
    index.refresh()
    assert changes.is_file()
    for name in ("000_z", "004_d", "005_e"):
        write(name, f"A new story {name}", ["Brakes again."])
    assert index.refresh().indexed == 3
    saved = manifest_file.load(folder)
    assert saved is not None and saved.stamps() == scan(archive)
    assert list(saved.stamps()) == scan_folder(archive).names
    assert index.needs_refresh() == ""


def test_the_record_keeps_the_folders_order_and_finds_changes_without_a_dict(archive: Path, index_dir: Path,
                                                                            write, monkeypatch) -> None:
    import json

    for number in range(30):
        write(f"{number:03}_n", f"Story number {number}", [f"Paragraph of story {number}."])
    index = ArchiveIndex(archive, index_dir)
    index.refresh()
    folder = IndexStore(index_dir).current()
    assert folder is not None
    # The full record is written in the order the folder lists its files (not sorted).
    record = json.loads((folder / manifest_file.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert record["names"] == scan_folder(archive).names

    # While no file is added or removed the scan and the record compare as lists: no dict of stamps.
    def no_dict(self):  # type: ignore[no-untyped-def]
        raise AssertionError("compared through a dict")

    edited = write("007_n", "Story number 7, edited", ["A longer paragraph than before."])
    with monkeypatch.context() as patch:
        patch.setattr(manifest_file.Manifest, "stamps", no_dict)
        saved = manifest_file.load(folder)
        assert saved is not None
        stat = edited.stat()
        assert saved.compare(scan_folder(archive)) == ([], {"007_n.txt": (stat.st_mtime_ns, stat.st_size)})
        assert index.needs_refresh() == "files changed"
        summary = index.refresh()
        assert (summary.indexed, summary.unchanged) == (1, 29)
        # The change went beside the record, and the row kept its place.
        assert (folder / manifest_file.CHANGES_NAME).is_file()
        saved = manifest_file.load(folder)
        assert saved is not None and saved.compare(scan_folder(archive)) == ([], {})
        assert index.needs_refresh() == "" and not index.refresh().changed
    assert [hit.id for hit in index.search("longer").hits] == ["007_n"]

    # Added and removed files are found by name.
    (archive / "003_n.txt").unlink()
    write("100_new", "A new story", ["Brand new."])
    saved = manifest_file.load(folder)
    assert saved is not None
    removed, changed = saved.compare(scan_folder(archive))
    assert removed == ["003_n.txt"] and list(changed) == ["100_new.txt"]
    assert index.needs_refresh() == "files were added or removed"
    summary = index.refresh()
    assert (summary.indexed, summary.removed, summary.total) == (1, 1, 30)
    assert manifest_file.load(folder).stamps() == scan(archive)  # type: ignore[union-attr]


def test_refreshes_keep_short_posting_lists_in_the_term_info_and_merge_them(archive: Path, index_dir: Path,
                                                                            write) -> None:
    # A refresh's small segment keeps its short posting lists inside the term infos (Whoosh's
    # inlining, mended in search.py); Whoosh later merges such segments, and all of it is searched
    # as before.
    from whoosh import index as whoosh_index

    index, _ = _built(archive, index_dir, write)
    for number in range(8):
        write(f"01{number}_n", f"Ferry story {number}", [f"The ferry number{number} sails at dawn."])
        assert index.refresh().indexed == 1
    folder = IndexStore(index_dir).current()
    ix = whoosh_index.open_dir(str(folder))
    segments = ix._segments()
    assert len(segments) < 9  # small segments were merged
    with ix.reader() as reader:  # a term info starts with its "inlined" flag
        flags = [info[0] for leaf, _ in reader.leaf_readers() for _, info in leaf._terms._tindex.items()]
    assert flags.count(1) > 0
    assert index.search("ferry").total == 8
    assert [hit.id for hit in index.search("number5").hits] == ["015_n"]
    assert [hit.id for hit in index.search("numb", typeahead=True).hits] and index.more_like_this("013_n")
    assert index.needs_refresh() == ""


def test_a_killed_commits_table_of_contents_is_cleared_by_the_next_run(archive: Path, index_dir: Path,
                                                                          write) -> None:
    # Whoosh writes `_MAIN_<n>.toc.<time>` and renames it; killed in between, the temporary stays,
    # and Whoosh's cleaning keeps it when the next commit reuses generation n. The next run, even
    # with nothing to index, takes the lock and removes it.
    index, folder = _built(archive, index_dir, write)
    stray = folder / "_MAIN_2.toc.1795670477.4392257"
    stray.write_bytes(b"half a table of contents")
    assert nothing_to_do(archive, IndexStore(index_dir))[0] is None  # the quick check hands on
    summary = index.refresh()
    assert not summary.changed and not stray.exists() and not IndexStore(index_dir).has_leftovers()
    assert [hit.id for hit in index.search("motorcycle").hits] == ["003_c"]
