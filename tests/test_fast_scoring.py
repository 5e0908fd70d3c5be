"""The fast scorer (type-ahead, more like this, link-word candidates) ranks exactly as Whoosh does
for the same terms, and skips documents deleted by a refresh."""

from __future__ import annotations

import pytest

from reader.engines.whoosh import index as search
from reader.engines.whoosh.fast.format import Unsupported
from reader.engines.whoosh.fast.scorer import Scorer


@pytest.fixture
def whoosh_only(monkeypatch: pytest.MonkeyPatch):
    """Make every search take Whoosh's own path, as with an index the fast scorer cannot read."""

    def unsupported(self: search.ArchiveIndex, searcher: object) -> Scorer:
        raise Unsupported("testing Whoosh's path")

    return lambda: monkeypatch.setattr(search.ArchiveIndex, "_scorer", unsupported)


def _archive(write) -> None:
    write("001_a", "Zebrafish in the harbour", ["Zebrafish swim in the harbour. The harbour is cold."])
    write("002_b", "Harbour works", ["Cranes and zebrafish at the harbour, the zebrafish count grows."])
    write("003_c", "Cold weather", ["Cold weather closes the harbour for a week."])
    write("004_d", "Quiet news", ["Nothing about fish here, only the weather and the harbour lights."])


def test_type_ahead_scores_equal_whooshs(make_index, write, whoosh_only) -> None:
    _archive(write)
    index = make_index()
    fast = index.search("harbour zebraf", typeahead=True)
    whole = index.search("harbour zebrafish")  # Whoosh's parser and scorer, the word typed in full
    assert [h.id for h in fast.hits] == [h.id for h in whole.hits] and len(fast.hits) == 2
    assert [round(h.score, 6) for h in fast.hits] == [round(h.score, 6) for h in whole.hits]
    assert fast.total == 2 and not fast.total_is_estimate
    whoosh_only()
    slow = make_index().search("harbour zebraf", typeahead=True)
    assert [h.id for h in slow.hits] == [h.id for h in fast.hits]


def test_type_ahead_skips_documents_a_refresh_replaced_or_removed(make_index, write, archive) -> None:
    _archive(write)
    index = make_index()
    assert {h.id for h in index.search("zebr", typeahead=True).hits} == {"001_a", "002_b"}
    write("001_a", "Harbour in winter", ["No fish this time."])
    (archive / "002_b.txt").unlink()
    write("005_e", "Zebrafish return", ["The zebrafish are back."])
    index.refresh()
    page = index.search("zebr", typeahead=True)
    assert [h.id for h in page.hits] == ["005_e"] and page.total == 1


def test_more_like_this_ranks_as_whoosh(make_index, write, whoosh_only) -> None:
    _archive(write)
    index = make_index()
    fast = [index.more_like_this(article_id) for article_id in ("001_a", "002_b", "003_c")]
    whoosh_only()
    slow_index = make_index()
    assert [slow_index.more_like_this(article_id) for article_id in ("001_a", "002_b", "003_c")] == fast


def test_scores_equal_whooshs_across_segments_a_refresh_added(make_index, write, archive, whoosh_only) -> None:
    # A refresh writes a small second segment beside the first: the fast scorer adds up both,
    # and statistics across them, as Whoosh does.
    _archive(write)
    index = make_index()
    write("005_e", "Zebrafish return to the harbour", ["The zebrafish are back in the cold harbour."])
    write("006_f", "Harbour cranes", ["Cranes lift zebrafish tanks; a rare quagga mussel was seen."])
    assert index.refresh().indexed == 2
    fast = {text: index.search(text, typeahead=True) for text in ("harbour zebraf", "quag", "cold harb")}
    similar = index.more_like_this("005_e")
    whoosh_only()
    slow_index = make_index()
    for text, page in fast.items():
        slow = slow_index.search(text, typeahead=True)
        assert [h.id for h in slow.hits] == [h.id for h in page.hits] and page.hits, text
        assert [round(h.score, 6) for h in slow.hits] == [round(h.score, 6) for h in page.hits], text
    assert slow_index.more_like_this("005_e") == similar


def test_backlinks_equal_whooshs_across_a_refresh_that_replaced_and_removed(make_index, write, archive,
                                                                            whoosh_only) -> None:
    # Backlinks look up the title's key in each segment's own term table, and skip the documents
    # a refresh deleted, as Whoosh's term query does.
    write("001_a", "Zebrafish in the harbour", ["Zebrafish swim here."])
    write("002_b", "Harbour works", ["Cranes."], related=["Zebrafish in the harbour"])
    write("003_c", "Cold weather", ["Cold."], related=["Zebrafish\u00a0in the ‘harbour’"])
    write("004_d", "Quiet news", ["Nothing."], related=["Harbour works"])
    index = make_index()
    assert index.backlinks("001_a") == ["002_b", "003_c"]
    write("002_b", "Harbour works", ["Cranes, no link now."])
    (archive / "003_c.txt").unlink()
    write("005_e", "Zebrafish return", ["Back."], related=["Zebrafish in the harbour", "Harbour works"])
    index.refresh()
    fast = {article_id: index.backlinks(article_id) for article_id in ("001_a", "002_b", "004_d", "005_e")}
    assert fast == {"001_a": ["005_e"], "002_b": ["004_d", "005_e"], "004_d": [], "005_e": []}
    whoosh_only()
    slow_index = make_index()
    assert {article_id: slow_index.backlinks(article_id) for article_id in fast} == fast
