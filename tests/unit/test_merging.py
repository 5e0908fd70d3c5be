"""The refresh's merge policy: segments merged by size tier, a build's segments left alone."""

from __future__ import annotations

from pathlib import Path

from reader.engines.whoosh.merging import LARGEST_MERGED, MERGE_FACTOR, chosen_for_merge, tier
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.store import IndexStore


def test_tiers_grow_by_the_merge_factor() -> None:
    assert MERGE_FACTOR == 4
    assert [tier(n) for n in (0, 1, 3, 4, 15, 16, 63, 64)] == [0, 0, 0, 1, 1, 2, 2, 3]


def test_a_tier_is_merged_when_it_holds_merge_factor_segments() -> None:
    assert chosen_for_merge([50_000, 10, 10, 10]) == []  # three of tier 1: not yet
    assert chosen_for_merge([50_000, 10, 10, 10, 12]) == [1, 2, 3, 4]
    # Only the smallest full tier at a time; segments of other tiers stay.
    assert chosen_for_merge([40, 40, 10, 10, 10, 10, 40, 40, 100]) == [2, 3, 4, 5]
    # Segments whose documents were all replaced go at every commit.
    assert chosen_for_merge([50_000, 0, 10, 0]) == [1, 3]
    # A build's segments are never merged by a refresh, however many.
    assert chosen_for_merge([LARGEST_MERGED] * 6 + [50_000] * 2) == []


def test_each_document_is_rewritten_once_per_tier_it_climbs() -> None:
    # 200 refreshes of 10 files each: simulate the segments and what each commit merges.
    segments: list[int] = []
    rewritten = largest = 0
    for _ in range(200):
        chosen = chosen_for_merge(segments)
        merged = sum(segments[at] for at in chosen)
        rewritten += merged
        largest = max(largest, merged)
        segments = [size for at, size in enumerate(segments) if at not in chosen] + [10 + merged]
    small = [size for size in segments if size < LARGEST_MERGED]
    assert len(small) <= (MERGE_FACTOR - 1) * (tier(LARGEST_MERGED - 1) + 1)
    assert largest <= MERGE_FACTOR * (LARGEST_MERGED - 1)  # the longest refresh is bounded
    # Each file was rewritten at most once per tier it climbed (1-15, 16-63, 64-255).
    assert rewritten <= 200 * 10 * 3
    assert sum(segments) == 200 * 10


def test_refreshes_merge_small_segments_and_keep_the_builds(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    from support import article_text

    archive = tmp_path / "archive"
    archive.mkdir()
    for number in range(30):
        (archive / f"{number:03}_a.txt").write_text(article_text(f"Base story {number}", ["About harbours."]))
    index = ArchiveIndex(archive, tmp_path / "index")
    index.refresh()
    for number in range(9):
        (archive / f"{100 + number}_n.txt").write_text(article_text(f"Ferry story {number}", [f"The ferry number{number}."]))
        if number == 2:  # the first refresh's segment now holds a replaced document, which a merge leaves out
            (archive / "100_n.txt").write_text(article_text("Ferry story 0", ["The ferry number0, revised."]))
        assert index.refresh().indexed == (2 if number == 2 else 1)
    folder = IndexStore(tmp_path / "index").current()
    assert folder is not None
    sizes = sorted(segment.doc_count_all() for segment in whoosh_index.open_dir(str(folder))._segments())
    # The build's segment. The first refresh's segment lost its one document to the third, and
    # went with the fourth commit; the sixth found four small segments (1, 2, 1, 1 live documents)
    # and merged them into its own (5 + 1); the three after it wait for a fourth.
    assert sizes == [1, 1, 1, 6, 30]
    assert index.search("ferry").total == 9 and index.search("harbours").total == 30
    assert [hit.id for hit in index.search("revised").hits] == ["100_n"]
    assert [hit.id for hit in index.search("number6").hits] == ["106_n"]
