"""The contract suite's archive: a few dozen generated articles whose words are chosen so the
answer to every query is known from the data itself (which bodies and titles hold which words),
plus links of every kind: exact, spelt differently, approximate, close, duplicate and dangling."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import article_text

from reader.core.library import Library, open_archive

# Plain nouns both engines' stemmers leave alone or stem alike, and no stop words.
VOCABULARY = ("river", "forest", "desert", "ocean", "valley", "island", "harbour", "meadow",
              "glacier", "canyon", "prairie", "lagoon")
ADJECTIVES = ("quiet", "wild")
COUNT = 36


@dataclass
class Generated:
    """One generated article and the words it was made of."""

    id: str
    title: str
    title_words: set[str]
    body_words: set[str]
    phrases: set[str] = field(default_factory=set)
    """"adjective noun" pairs written next to each other in the body."""
    related: list[str] = field(default_factory=list)

    def name(self) -> str:
        return f"{self.id}.txt"


def generate() -> list[Generated]:
    rng = random.Random(15)
    made: list[Generated] = []
    for n in range(COUNT):
        title_words = rng.sample(VOCABULARY, 2)
        body_words = set(rng.sample(VOCABULARY, rng.randint(2, 5)))
        phrases = {f"{rng.choice(ADJECTIVES)} {word}" for word in sorted(body_words)}
        made.append(Generated(f"{n:03d}_{n * 7919 % 65536:04x}", f"{title_words[0].title()} {title_words[1]} journal {n}",
                              set(title_words), body_words, phrases))
    # Two stories with the same title: a link to it leads to both.
    made[5].title = made[4].title
    made[5].title_words = set(made[4].title_words)
    long_title = "Glacier canyon survey of the northern harbours 2009"
    made[6].title, made[6].title_words = long_title, {"glacier", "canyon", "harbour"}
    made[0].related = [
        made[1].title,                                  # exact
        made[2].title.upper().replace(" ", "\u00a0"),   # another case, a no-break space: same key
        made[3].title.replace(" journal", ", journal!"),  # punctuation: approximate (loose key)
        made[4].title,                                  # a duplicated title: two targets
        long_title.replace("northern", "northren"),     # a typo in a long title: approximate (close)
        "A story that was never written",               # dangling
    ]
    made[7].related = [made[0].title, made[1].title]
    made[8].related = [made[0].title.lower()]
    return made


def body_text(article: Generated) -> list[str]:
    return [f"The {phrase} lay beyond the hills, it was seen." for phrase in sorted(article.phrases)]


def write_article(folder: Path, article: Generated) -> Path:
    path = folder / article.name()
    path.write_text(article_text(article.title, body_text(article), related=article.related), encoding="utf-8")
    return path


def write_archive(folder: Path) -> list[Generated]:
    articles = generate()
    for article in articles:
        write_article(folder, article)
    return articles


def library_over(engine_name: str, request: pytest.FixtureRequest, index_dir: Path) -> Callable[[Path], Library]:
    """open(archive) -> a refreshed Library over the named engine (a new database for PostgreSQL)."""
    url = request.getfixturevalue("pg_server").new_database() if engine_name == "postgres" else None

    def _open(archive: Path) -> Library:
        library = open_archive(archive, index_dir) if url is None else open_archive(archive, engine=url)
        library.refresh()
        return library

    return _open
