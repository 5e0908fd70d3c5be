"""reader's query language where it does not depend on an engine: limits, syntax checks, the
word being typed, and link titles turned into plain queries."""

from __future__ import annotations

import re

from reader.core.types import QueryError

OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def plain_query(text: str) -> str:
    """A query for the words of `text` (e.g. a link title) with none of it read as query syntax:
    quotes, brackets, `field:`, wildcards and operators become plain words."""
    words = re.findall(r"[^\W_]+", text)
    return " ".join(word.lower() if word in OPERATORS else word for word in words)


QUERY_FIELDS = ("title", "body", "id")


MAX_QUERY_CHARS = 1000


MIN_PREFIX = 2


FIELD_NAME = re.compile(r"(?<![\w\\])(\w+):")


TYPING_WORD = re.compile(r"(?:^|(?<=\s))([^\W_]{%d,})$" % MIN_PREFIX)


def check_syntax(text: str) -> str:
    """The query with unknown `field:` prefixes made plain words, or `QueryError`."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    outside_quotes = re.sub(r'"[^"]*"', " ", text)
    if text.count('"') % 2:
        raise QueryError('unclosed quote: add the closing "')
    depth = 0
    for char in outside_quotes:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise QueryError("unbalanced parentheses: a ) has no (")
    if depth:
        raise QueryError("unbalanced parentheses: a ( is not closed")
    if outside_quotes.count("[") != outside_quotes.count("]") or outside_quotes.count("{") != outside_quotes.count("}"):
        raise QueryError("unclosed range: [a TO b] needs both brackets")

    def plain(match: re.Match[str]) -> str:
        # `Baby P: Ed Balls` is a title, not a search in a field called `P`.
        return match.group() if match.group(1).lower() in QUERY_FIELDS else f"{match.group(1)} "

    return FIELD_NAME.sub(plain, text)
