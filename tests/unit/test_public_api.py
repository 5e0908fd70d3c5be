"""reader's Python API for scripts, as the README shows it: `from reader import open_archive`, then
search, read, links, backlinks and similar articles; and the engines honour one Protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

import reader
from reader import Library, open_archive
from reader.core.archive import ArchiveError
from reader.core.article import Article
from reader.core.engine import EngineError, SearchEngine
from reader.core.links import Resolution
from reader.core.types import Hit, SearchPage
from reader.engines.whoosh import DeferredIndex
from reader.engines.whoosh.index import ArchiveIndex


@pytest.fixture
def library(archive: Path, index_dir: Path, write) -> Library:
    write("001_ferry", "Ferry strike closes the harbour", ["The ferry crews walked out at dawn; the harbour is shut."],
          related=["Harbour reopens after the strike"])
    write("002_reopen", "Harbour reopens after the strike", ["Ferries sail again from the harbour."],
          related=["Ferry strike closes the harbour", "A story that is not here"])
    write("003_weather", "Storm warning for the coast", ["Ferries may stop if the storm comes to the harbour."])
    opened = open_archive(archive, index_dir)
    opened.refresh()
    return opened


def test_the_readme_example(library: Library) -> None:
    page = library.search("harbour strike", limit=5)
    assert isinstance(page, SearchPage) and page.error is None
    assert {hit.id for hit in page.hits} == {"001_ferry", "002_reopen"}  # both words in each title
    first = next(hit for hit in page.hits if hit.id == "001_ferry")
    assert isinstance(first, Hit) and first.title == "Ferry strike closes the harbour" and first.score > 0
    assert first.snippet is not None and first.snippet.spans  # every hit gets a snippet by default
    assert page.total == 2 and not page.total_is_estimate


def test_search_options(library: Library) -> None:
    assert [hit.snippet for hit in library.search("harbour", snippets=0).hits] == [None, None, None]
    assert len(library.search("harbour", limit=1).hits) == 1
    assert {hit.id for hit in library.search("storm warn", typeahead=True).hits} == {"003_weather"}
    bad = library.search('"unclosed')
    assert bad.error and not bad.hits  # a bad query is a page with an error, never an exception


def test_read_links_backlinks_similar(library: Library) -> None:
    article = library.read("002_reopen")
    assert isinstance(article, Article) and article.title == "Harbour reopens after the strike"
    links = library.links("002_reopen")
    assert [(link.text, resolution.targets) for link, resolution in links] == [
        ("Ferry strike closes the harbour", ("001_ferry",)),
        ("A story that is not here", ()),
    ]
    assert all(isinstance(resolution, Resolution) for _, resolution in links)
    assert library.links(article) == links  # an Article or its id
    assert library.backlinks("001_ferry") == ["002_reopen"]
    assert "001_ferry" in library.similar("002_reopen")
    assert library.freshness().current
    assert library.archive is not None and library.location


def test_it_closes_as_a_context_manager(archive: Path, index_dir: Path, write) -> None:
    write("001_a", "Only one story", ["Nothing else."])
    with open_archive(archive, index_dir) as opened:
        opened.refresh()
        assert [hit.id for hit in opened.search("story").hits] == ["001_a"]


def test_errors_a_script_can_catch(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError):
        open_archive(tmp_path / "no-such-folder", tmp_path / "index")
    with pytest.raises(EngineError, match="unknown engine"):
        open_archive(tmp_path, tmp_path / "index", engine="gopher://somewhere")


def test_engines_honour_the_protocol(archive: Path, index_dir: Path, write) -> None:
    write("001_a", "Only one story", ["Nothing else."])
    deferred = DeferredIndex(archive, index_dir)
    assert isinstance(deferred, SearchEngine)
    assert isinstance(ArchiveIndex(archive, index_dir), SearchEngine)
    # Every method of the Protocol is one the deferred engine defines itself (no forwarding).
    wanted = {name for name in dir(SearchEngine) if not name.startswith("_")}
    assert wanted <= set(vars(DeferredIndex)), wanted - set(vars(DeferredIndex))
    assert not hasattr(DeferredIndex, "__getattr__")


def test_the_package_exports_the_api() -> None:
    assert reader.open_archive is open_archive and reader.Library is Library
    assert set(reader.__all__) >= {"open_archive", "Library"}
