"""Titles, link resolution, backlinks and the link report from the database's tables.

Resolution is reader.core.links.resolve over a `TitleTable` of the stored titles (kept per
generation of the database), so a link leads where it leads with the Whoosh engine. Backlinks are
one indexed query on `reader.links` (the same title key, the same loose key, or a title key a few
letters away by trigrams), each candidate then resolved for real.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg

from reader.core.article import Link
from reader.core.links import (
    MIN_FUZZY_LENGTH,
    TitleTable,
    is_close,
    loose_key,
    loose_of_key,
    resolve,
    title_key,
)
from reader.core.types import LinkRow

_BACKLINK_CANDIDATES = """
SELECT l.source, l.text FROM reader.links l WHERE l.title_key = %(key)s
UNION
SELECT l.source, l.text FROM reader.links l WHERE %(loose)s <> '' AND l.loose_key = %(loose)s
UNION
SELECT l.source, l.text FROM reader.links l
WHERE %(fuzzy)s AND l.title_key %% %(key)s AND abs(length(l.title_key) - length(%(key)s)) <= 2
"""


def load_titles(conn: psycopg.Connection) -> tuple[TitleTable, list[str], dict[str, str]]:
    """Every article's (id, title) as a table, the ids in archive order (file names sorted as
    Python sorts them, as the Whoosh engine lists them) and each id's file name."""
    rows = conn.execute("SELECT id, title, path, title_key, loose_key FROM reader.articles").fetchall()
    rows.sort(key=lambda row: row[2])
    table = TitleTable()
    for article_id, title, _, key, loose in rows:
        table.add(article_id, title, key, loose)
    return table, [row[0] for row in rows], {row[0]: row[2] for row in rows}


def _may_name(text: str, key: str, loose: str) -> bool:
    """Whether a link written `text` can resolve to the title with these keys (cheap tests
    before resolving it: resolving a dangling link looks up similar titles)."""
    link_key = title_key(text)
    return link_key == key or loose_of_key(link_key) == loose or is_close(link_key, key)


def backlinks(conn: psycopg.Connection, article_id: str, table: TitleTable) -> list[str]:
    title = table.title_of(article_id)
    if title is None:
        return []
    key, loose = title_key(title), loose_key(title)
    rows = conn.execute(_BACKLINK_CANDIDATES, {"key": key, "loose": loose, "fuzzy": len(key) >= MIN_FUZZY_LENGTH})
    sources: set[str] = set()
    for source, text in rows:
        if source not in sources and _may_name(text, key, loose) and article_id in resolve(text, table).targets:
            sources.add(source)
    return sorted(sources)


def link_report(conn: psycopg.Connection, order: list[str], table: TitleTable) -> Iterator[LinkRow]:
    """Every link of every article with its resolution, in archive order. The rows are read now
    (the connection goes back to the pool), resolved as they are asked for."""
    by_source: dict[str, list[Link]] = {}
    for source, position, section, text in conn.execute(
        "SELECT source, position, section, text FROM reader.links ORDER BY source, position"
    ):
        by_source.setdefault(source, []).append(Link(section, text, position))
    return _resolved(order, by_source, table)


def _resolved(order: list[str], by_source: dict[str, list[Link]], table: TitleTable) -> Iterator[LinkRow]:
    for article_id in order:
        for link in by_source.get(article_id, ()):
            yield LinkRow(article_id, link, resolve(link.text, table))
