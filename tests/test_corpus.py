"""The 20 Newsgroups corpus from ../shared: every one of its related links resolves to the right
article. Skipped where ../shared is absent (a user's fresh clone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import NEWSGROUPS
from reader.core.article import read_article
from reader.engines.whoosh.index import ArchiveIndex

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not NEWSGROUPS.is_dir(), reason=f"the shared corpora are not here ({NEWSGROUPS} is absent)"),
]


@pytest.fixture(scope="module")
def newsgroups(newsgroups_index_dir: Path) -> ArchiveIndex:
    index = ArchiveIndex(NEWSGROUPS, newsgroups_index_dir)
    assert len(index.titles()) == 9962
    return index


def test_every_related_link_resolves_to_the_article_it_names(newsgroups: ArchiveIndex) -> None:
    rows = list(newsgroups.link_report())
    assert len(rows) == 13843
    assert {row.link.section for row in rows} == {"Related articles"}
    titles = newsgroups.titles()
    wrong = [
        row for row in rows
        if len(row.resolution.targets) != 1
        or row.resolution.approximate
        or " ".join((titles.title_of(row.resolution.targets[0]) or "").split()) != " ".join(row.link.text.split())
    ]
    assert wrong == []
    assert not any(row.source in row.resolution.targets for row in rows)  # the corpus has no self-links


def test_backlinks_mirror_the_links(newsgroups: ArchiveIndex) -> None:
    rows = list(newsgroups.link_report())
    target = rows[0].resolution.targets[0]
    expected = sorted({row.source for row in rows if target in row.resolution.targets})
    assert newsgroups.backlinks(target) == expected


def test_search_and_read(newsgroups: ArchiveIndex) -> None:
    page = newsgroups.search("space shuttle")
    assert page.total > 10 and page.hits
    article = newsgroups.read(page.hits[0].id)
    assert isinstance(article.path, Path) and article.title == page.hits[0].title
    assert read_article(article.path).id == article.id
    assert newsgroups.more_like_this(article.id)
