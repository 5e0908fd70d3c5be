"""reader's query language where it does not depend on an engine: limits, syntax checks, the
word being typed, and link titles turned into plain queries."""

from __future__ import annotations

import re

OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def plain_query(text: str) -> str:
    """A query for the words of `text` (e.g. a link title) with none of it read as query syntax:
    quotes, brackets, `field:`, wildcards and operators become plain words."""
    words = re.findall(r"[^\W_]+", text)
    return " ".join(word.lower() if word in OPERATORS else word for word in words)


