"""One contract over every engine: the same tests of links, backlinks, search semantics, hostile
queries and refreshes, run over the Whoosh engine and over PostgreSQL (a real server, see
pg_server.py). Answers are checked against the generated archive itself, so where the engines
must agree (link resolution, hit sets of boolean queries) they agree with the truth and so with
each other."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from contract_archive import Generated, library_over, write_archive, write_article

from reader.core.library import Library
from reader.core.types import ProgressReport

Truth = Callable[[Generated], bool]


def _has(article: Generated, word: str) -> bool:
    return word in article.title_words or word in article.body_words


QUERIES: dict[str, Truth] = {
    "river": lambda a: _has(a, "river"),
    "river forest": lambda a: _has(a, "river") and _has(a, "forest"),
    "river AND forest": lambda a: _has(a, "river") and _has(a, "forest"),
    "river OR desert": lambda a: _has(a, "river") or _has(a, "desert"),
    "river NOT forest": lambda a: _has(a, "river") and not _has(a, "forest"),
    "(river OR ocean) AND valley": lambda a: (_has(a, "river") or _has(a, "ocean")) and _has(a, "valley"),
    "meadow lagoon OR canyon": lambda a: _has(a, "meadow") and (_has(a, "lagoon") or _has(a, "canyon")),
    "title:island": lambda a: "island" in a.title_words,
    "body:island": lambda a: "island" in a.body_words,
    "title:island body:desert": lambda a: "island" in a.title_words and "desert" in a.body_words,
    '"quiet river"': lambda a: "quiet river" in a.phrases,
    '"wild ocean" OR "quiet ocean"': lambda a: "wild ocean" in a.phrases or "quiet ocean" in a.phrases,
    "riv*": lambda a: _has(a, "river"),
    "rivr~": lambda a: _has(a, "river"),
    "glaciar~2 prairie": lambda a: _has(a, "glacier") and _has(a, "prairie"),
    "lagoon -meadow": lambda a: _has(a, "lagoon") and not _has(a, "meadow"),  # -word excludes, as NOT
    "RIVER Forest": lambda a: _has(a, "river") and _has(a, "forest"),
    "id:003_5ccd": lambda a: a.id == "003_5ccd",
}


@pytest.fixture(scope="module")
def shared(engine_name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, list[Generated]]]:
    """The generated archive indexed once per engine, for the tests that only read it."""
    folder = tmp_path_factory.mktemp("contract")
    (folder / "archive").mkdir()
    articles = write_archive(folder / "archive")
    library = library_over(engine_name, request, folder / "index")(folder / "archive")
    yield library, articles
    library.close()


@pytest.fixture
def built(archive: Path, open_library: Callable[[Path], Library]) -> tuple[Library, list[Generated]]:
    """The generated archive indexed for one test that changes it."""
    articles = write_archive(archive)
    return open_library(archive), articles


def _tidy(text: str) -> str:
    """A link text as the parser keeps it: every kind of space made one space."""
    return " ".join(text.split())


def _ids(page: object) -> set[str]:
    return {hit.id for hit in page.hits}  # type: ignore[attr-defined]


# --- search semantics -------------------------------------------------------------------------


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_boolean_queries_find_exactly_the_articles_that_match(shared: tuple[Library, list[Generated]], query: str) -> None:
    library, articles = shared
    expected = {a.id for a in articles if QUERIES[query](a)}
    page = library.search(query, limit=100)
    assert page.error is None
    assert _ids(page) == expected
    assert page.total == len(expected)


def test_a_title_typed_in_full_ranks_its_article_first(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    titles = {a.title for a in articles}
    first = 0
    for article in articles:
        if sum(a.title == article.title for a in articles) > 1:
            continue  # a duplicated title has two first places
        page = library.search(article.title, limit=5)
        first += bool(page.hits) and page.hits[0].id == article.id
    assert first == len(titles) - 1


def test_typing_a_title_letter_by_letter_never_shows_a_blank_page(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    for article in articles[:8]:
        for end in range(2, len(article.title) + 1):
            typed = article.title[:end]
            if typed.endswith(" ") or len(typed.split()[-1]) < 2:
                continue
            page = library.search(typed, typeahead=True, limit=50)
            assert article.id in _ids(page), f"{typed!r} lost {article.id}"


def test_type_ahead_counts_are_true(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    page = library.search("glacier ca", typeahead=True, limit=100)
    expected = {a.id for a in articles if _has(a, "glacier") and _has(a, "canyon")}
    assert _ids(page) == expected and page.total == len(expected) and not page.total_is_estimate


def test_snippets_mark_the_words_that_matched(shared: tuple[Library, list[Generated]]) -> None:
    library, _ = shared
    page = library.search("lagoon", limit=5)
    assert page.hits
    for hit in page.hits:
        assert hit.snippet is not None
        marked = {hit.snippet.text[start:end].lower() for start, end in hit.snippet.spans}
        assert marked <= {"lagoon"}
    assert any(hit.snippet.spans for hit in page.hits if hit.snippet is not None)


def test_did_you_mean_corrects_a_misspelt_word(shared: tuple[Library, list[Generated]]) -> None:
    library, _ = shared
    page = library.search("glaicer")
    assert not page.hits
    assert page.suggestion == "glacier"


def test_did_you_mean_is_never_a_dead_end(shared: tuple[Library, list[Generated]]) -> None:
    library, _ = shared
    # Corrected, the misspelt word still leaves nothing: no suggestion at all.
    assert library.suggest("glaicer id:nosuchstory") is None
    assert library.search("glaicer id:nosuchstory").suggestion is None
    assert library.suggest("glaicer") == "glacier"


def test_did_you_mean_leaves_the_word_being_typed_alone(shared: tuple[Library, list[Generated]]) -> None:
    library, _ = shared
    # "harbo" starts "harbour": being typed, it is not a typo to correct; "glaicer" is.
    assert library.suggest("glaicer harbo", typeahead=True) == "glacier harbo"
    assert library.search("glacier harbo", typeahead=True).hits
    # A typed word no word starts with is corrected like any other.
    assert library.suggest("glaicer", typeahead=True) == "glacier"


def test_more_like_this_names_other_stored_articles(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    similar = library.similar(articles[0].id, limit=5)
    assert similar and articles[0].id not in similar
    assert set(similar) <= {a.id for a in articles}


HOSTILE = [
    "", "   ", '"', "(", ")", "((((", "AND", "OR NOT", "NOT", "*", "?", "~", "~~~", "title:", "id:",
    "'; DROP TABLE reader.articles; --", "river' OR '1'='1", "river\\", "\\'", "river:*", "'river':*",
    "!river", "river & forest", "river | forest", "<->", "river <-> forest", "$$", "%s %(x)s {0}",
    "\x00river", "river\x1b[31m", "(" * 60 + "river" + ")" * 60, "river " * 300, "é" * 500,
    "title:(river OR", '"unclosed phrase', "a~9", "river^100", "[a TO z]", "*:*", "ＲＩＶＥＲ",
]


@pytest.mark.parametrize("typeahead", [False, True])
def test_hostile_queries_never_raise_and_change_nothing(shared: tuple[Library, list[Generated]], typeahead: bool) -> None:
    library, articles = shared
    for query in HOSTILE:
        page = library.search(query, typeahead=typeahead)
        assert page.error is None or "\n" not in page.error
        library.suggest(query)
    assert len(library.article_ids()) == len(articles)
    assert _ids(library.search("river", limit=100)) == {a.id for a in articles if _has(a, "river")}


# --- links ------------------------------------------------------------------------------------


def test_links_resolve_exactly_approximately_to_duplicates_or_dangle(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    got = [(resolution.targets, resolution.approximate) for _, resolution in library.links(articles[0].id)]
    a = [article.id for article in articles]
    assert got == [
        ((a[1],), False),
        ((a[2],), False),
        ((a[3],), True),
        ((a[4], a[5]), False),
        ((a[6],), True),
        ((), False),
    ]


def test_backlinks(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    a = [article.id for article in articles]
    assert library.backlinks(a[0]) == sorted([a[7], a[8]])
    assert library.backlinks(a[1]) == sorted([a[0], a[7]])
    assert library.backlinks(a[3]) == [a[0]]
    assert library.backlinks(a[5]) == [a[0]]
    assert library.backlinks(a[6]) == [a[0]]
    assert library.backlinks(a[9]) == []


def test_the_link_report_lists_every_link_in_archive_order(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    rows = list(library.link_report())
    expected = [(a.id, _tidy(text)) for a in articles for text in a.related]
    assert [(row.source, row.link.text) for row in rows] == expected
    assert [row.link.text for row in rows if row.resolution.dangling] == ["A story that was never written"]


def test_an_article_reads_back_whole(shared: tuple[Library, list[Generated]]) -> None:
    library, articles = shared
    article = library.read(articles[0].id)
    assert article.title == articles[0].title
    assert [link.text for link in article.links] == [_tidy(text) for text in articles[0].related]
    assert library.find(articles[1].title) == [articles[1].id]
    assert library.titles().title_of(articles[2].id) == articles[2].title


# --- refresh ----------------------------------------------------------------------------------


def test_refresh_reads_only_what_was_added_changed_or_removed(archive: Path, built: tuple[Library, list[Generated]]) -> None:
    library, articles = built
    assert library.freshness().current
    again = library.refresh()
    assert (again.indexed, again.removed, again.unchanged) == (0, 0, len(articles))

    added = Generated("900_aaaa", "Tundra notes", {"tundra"}, {"tundra", "river"}, {"wild tundra"})
    write_article(archive, added)
    changed = articles[1]
    changed.body_words = {"tundra"}
    changed.phrases = {"quiet tundra"}
    changed.related = [articles[0].title]
    path = write_article(archive, changed)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    (archive / articles[2].name()).unlink()
    assert not library.freshness().current

    summary = library.refresh()
    assert (summary.indexed, summary.added, summary.removed, summary.unchanged) == (2, 1, 1, len(articles) - 2)
    assert summary.total == len(articles)
    assert _ids(library.search("tundra", limit=50)) == {added.id, changed.id}
    assert articles[2].id not in library.article_ids()
    assert changed.id in library.backlinks(articles[0].id)
    # The removed article's links are gone with it; a link to it now dangles.
    got = {link.text: resolution for link, resolution in library.links(articles[0].id)}
    assert got[articles[2].title.upper()].dangling


def test_files_with_only_a_new_time_are_not_read_again(archive: Path, built: tuple[Library, list[Generated]]) -> None:
    """A corpus copied again or touched: the new times are recorded, nothing is indexed again,
    and a file whose bytes did change (the same size) is."""
    library, articles = built
    for path in archive.iterdir():
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    edited = archive / articles[0].name()
    text = edited.read_bytes()
    assert b"a" in text
    edited.write_bytes(text.replace(b"a", b"e"))  # the same size, other bytes
    os.utime(edited, ns=(edited.stat().st_atime_ns, edited.stat().st_mtime_ns + 2_000_000_000))
    assert not library.freshness().current
    reports: list[ProgressReport] = []
    summary = library.refresh(progress=reports.append)
    assert (summary.indexed, summary.touched, summary.unchanged) == (1, len(articles) - 1, len(articles) - 1)
    assert summary.total == len(articles)
    assert ("comparing", len(articles), len(articles)) in [(r.phase, r.done, r.total) for r in reports]
    assert library.freshness().current
    again = library.refresh()
    assert (again.indexed, again.touched, again.unchanged) == (0, 0, len(articles))
    assert library.find(articles[1].title) == [articles[1].id]


def test_skipped_files_are_reported_and_stay_skipped(archive: Path, built: tuple[Library, list[Generated]]) -> None:
    library, articles = built
    (archive / "500_empty.txt").write_bytes(b"")
    summary = library.refresh()
    assert summary.skipped == {"500_empty.txt": "empty file"} and summary.indexed == 0
    again = library.refresh()
    assert again.skipped == {"500_empty.txt": "empty file"} and again.unchanged == len(articles)


def test_rebuild_starts_over(built: tuple[Library, list[Generated]]) -> None:
    library, articles = built
    summary = library.refresh(rebuild=True)
    assert summary.rebuilt and summary.indexed == len(articles) and summary.total == len(articles)
    assert _ids(library.search("river", limit=100)) == {a.id for a in articles if _has(a, "river")}
