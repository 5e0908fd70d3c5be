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


TYPING_WORD = re.compile(rf"(?:^|(?<=[\s:(\"]))([^\W_]{{{MIN_PREFIX},}})$")
"""The word being typed at the end of a query (after a space, a `field:`, a `(` or a quote)."""


_SHORT_WORD = re.compile(rf"(?:^|(?<=[\s:(\"]))[^\W_]{{1,{MIN_PREFIX - 1}}}$")


_OPERATOR_STARTS = frozenset(op[:cut] for op in OPERATORS - {"TO"} for cut in range(1, len(op) + 1))


_UNFINISHED = re.compile(r"(?:^|\s)(?:[A-Z]+|\w+:|[(+-]+)$")
"""A trailing operator being typed (`AN`, `NOT`), a `field:` with nothing after it, a lone `(`."""


_MINUS = re.compile(r'"[^"]*"?|(?:^|(?<=[\s(]))-(?=[^\W_]|["(])')
"""A phrase (left as it is), or a `-` starting a clause before a word, a phrase or a bracket."""


def minus_as_not(text: str) -> str:
    """`-word`, `-"a phrase"` and `-(a OR b)` as `NOT …`: the exclusion a user of any web search
    means by it (Whoosh's parser has no minus and read `space -shuttle` as both words). A hyphen
    inside a word (`earth-moon`), inside a phrase, or on its own is left as it is."""
    if "-" not in text:
        return text
    return _MINUS.sub(lambda found: found.group() if found.group().startswith('"') else "NOT ", text)


def so_far(text: str) -> tuple[str, str, bool]:
    """While a query is typed: the query so far, the word being typed ('' after a space, or when
    none is) and whether that word is inside a phrase.

    An operator being typed (`opec AN`) or a `field:` with nothing after it is left out, an open
    quote, bracket or range is closed or left out, so that every keystroke shows an answer: the
    query language's answer for the words typed, the last read as a prefix."""
    ended = text[-1:].isspace()
    query = minus_as_not(text.strip())
    if not ended:
        short = _SHORT_WORD.search(query)
        if short:  # one letter of a word being typed stands for too many words to be a prefix
            query, ended = query[: short.start()].rstrip(), True
    phrase = query.count('"') % 2 == 1
    if phrase:
        opened = query.rfind('"')
        inside = query[opened + 1:].split()
        if len(inside) <= 1:  # a quote just opened, or one word in it: no phrase yet
            query, phrase = (query[:opened] + query[opened + 1:]).rstrip(), False
            ended = ended or not inside
    if phrase:
        query += '"'
    else:
        # An unfinished range `[a TO` has no answer yet: it is left out.
        for opening, closing in (("[", "]"), ("{", "}")):
            at = query.rfind(opening)
            if at > query.rfind(closing):
                query, ended = query[:at].rstrip(), True
        while True:
            found = _UNFINISHED.search(query)
            if not found:
                break
            token = found.group().strip()
            if token.isupper() and token not in _OPERATOR_STARTS:
                break  # a word in capitals (`NASA`), not an operator
            query = query[: found.start()].rstrip()
            ended = True  # the word before it is whole
    outside = re.sub(r'"[^"]*"', " ", query)
    depth = 0
    for char in outside:
        depth = max(0, depth + {"(": 1, ")": -1}.get(char, 0))
    query += ")" * depth
    typing = ""
    if not ended:
        body = query[: len(query) - depth - (1 if phrase else 0)]
        found = TYPING_WORD.search(body)
        if found and found.group(1) not in OPERATORS:
            typing = found.group(1)
    return query, typing, phrase and bool(typing)


def check_syntax(text: str) -> str:
    """The query with unknown `field:` prefixes made plain words and `-word` as `NOT word`, or
    `QueryError`."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    text = minus_as_not(text)
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
