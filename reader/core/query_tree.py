"""reader's query language parsed into a small tree any engine can translate: words (all must
match), AND/OR/NOT, "phrases", prefix*, fuzzy~ and word~2, title:/body:/id: fields, parentheses.

The grammar follows Whoosh's default parser, which reader used first, so a query means the same
on every engine:

    query   := clause+                      (juxtaposed clauses: all must match)
    clause  := term (OR term)*               (explicit AND binds tighter than OR)
    term    := unary ((AND | ANDNOT | ANDMAYBE) unary)*
    unary   := NOT unary | atom
    atom    := [field:] (word | "phrase" | ( query ))

Operators are upper case only (`and` is a word). `-word` (or `-"phrase"`, `-(…)`) starting a
clause is `NOT word` (core/query.py's minus_as_not, which the Whoosh engine applies too). An unknown `x:` is the word `x` ("Baby P: Ed Balls" is a title, not a field `P`).
Nothing here analyses words (stemming, stop words): that is the engine's job, so a tree's words
are as the user typed them, without the syntax around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reader.core.query import minus_as_not
from reader.core.types import QueryError

FIELDS = ("title", "body", "id")
MAX_QUERY_CHARS = 1000
# An explicit `word~N` asks for at most this many edits (more is slow and finds noise).
MAX_FUZZY_EDITS = 2
# Type-ahead reads the word being typed as a prefix once it has this many letters.
MIN_PREFIX = 2
# Deeper nesting than this is refused rather than recursed into.
MAX_DEPTH = 50
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a query."""

    text: str
    """The word as typed, without `field:`, `*`, `~N` or `^boost`."""
    field: str | None = None
    """`title`, `body` or `id`; None for title and body both."""
    prefix: bool = False
    """Matches every word starting with `text` (`word*`, or the word being typed)."""
    fuzzy: int = 0
    """Matches words up to this many edits away (`word~` is 1, `word~2` is 2)."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear next to each other, in order."""

    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True, slots=True)
class And:
    """Every part must match."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one part must match."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The part must not match."""

    part: Node


Node = Word | Phrase | And | Or | Not

# Tokens: a quoted phrase (maybe unclosed), a bracket, or a run of anything else but spaces.
_TOKEN = re.compile(r'"([^"]*)("?)(?:~\d+)?|([()])|([^\s"()]+)')
_FIELD = re.compile(r"^(\w+):(.*)$", re.DOTALL)
_SUFFIX = re.compile(r"^(.*?)(\*+)?(?:~(\d*))?(?:\^[\d.]*)?$", re.DOTALL)
# Characters that are query syntax inside a word (ranges, wildcards in the middle): word breaks.
_SYNTAX_INSIDE = re.compile(r"[\[\]{}*?~^]+")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    """'word', 'phrase', '(', ')', 'op', 'field' (a `field:` alone, before a phrase or group)."""
    text: str = ""
    field: str | None = None
    closed: bool = True


def _tokens(text: str) -> list[_Tok]:
    found: list[_Tok] = []
    pending_field: str | None = None
    for match in _TOKEN.finditer(text):
        phrase, closing, bracket, word = match.groups()
        if phrase is not None:
            found.append(_Tok("phrase", phrase, pending_field, closed=bool(closing)))
        elif bracket is not None:
            found.append(_Tok(bracket, field=pending_field if bracket == "(" else None))
        else:
            assert word is not None
            field = None
            fielded = _FIELD.match(word)
            if fielded and fielded.group(1).lower() in FIELDS:
                field, word = fielded.group(1).lower(), fielded.group(2)
                if not word:  # `title:"…"` or `title:(…)`: the field applies to what follows
                    end = match.end()
                    if end < len(text) and text[end] in '"(':
                        pending_field = field
                        continue
                    found.append(_Tok("field", field=field))
                    continue
            elif fielded:  # an unknown field is a word
                word = f"{fielded.group(1)} {fielded.group(2)}"
            if word in OPERATORS and field is None:
                found.append(_Tok("op", word))
            else:
                found.extend(_Tok("word", piece, field) for piece in word.split())
        pending_field = None
    return found


def _check(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    if text.count('"') % 2:
        raise QueryError('unclosed quote: add the closing "')
    depth = 0
    for char in re.sub(r'"[^"]*"', " ", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise QueryError("unbalanced parentheses: a ) has no (")
        if depth > MAX_DEPTH:
            raise QueryError(f"too many nested parentheses (the limit is {MAX_DEPTH})")
    if depth:
        raise QueryError("unbalanced parentheses: a ( is not closed")


def _word(token: _Tok, typing_last: bool) -> Node | None:
    """A word token as a node: its `*`, `~N` and `^boost` read, inner syntax made word breaks."""
    suffix = _SUFFIX.match(token.text)
    assert suffix is not None
    body, stars, edits = suffix.group(1), suffix.group(2), suffix.group(3)
    fuzzy = 0
    if edits is not None:
        fuzzy = min(int(edits) if edits else 1, MAX_FUZZY_EDITS)
    if token.field == "id":  # ids are matched whole, as written
        return Word(token.text.rstrip("*"), "id", prefix=bool(stars)) if token.text.strip("*") else None
    pieces = [p for p in _SYNTAX_INSIDE.split(body) if p]
    if not pieces:
        return None
    prefix = bool(stars) and not fuzzy
    if typing_last and not fuzzy and edits is None and len(re.sub(r"\W", "", pieces[-1])) >= MIN_PREFIX:
        prefix = True
    words = [Word(p, token.field, prefix=prefix and i == len(pieces) - 1, fuzzy=fuzzy) for i, p in enumerate(pieces)]
    return words[0] if len(words) == 1 else And(tuple(words))


class _Parser:
    def __init__(self, tokens: list[_Tok], typing: bool) -> None:
        self.tokens = tokens
        self.at = 0
        self.typing = typing

    def peek(self) -> _Tok | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Tok:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def query(self, depth: int = 0) -> Node | None:
        clauses: list[Node] = []
        while (token := self.peek()) is not None and token.kind != ")":
            if token.kind == "op" and token.text != "NOT":
                self.take()  # a binary operator with nothing before it: Whoosh ignores it
                continue
            clause = self.clause(depth)
            if clause is not None:
                clauses.append(clause)
        return _join(And, clauses)

    def clause(self, depth: int) -> Node | None:
        parts = [self.term(depth)]
        while (token := self.peek()) is not None and token.kind == "op" and token.text == "OR":
            self.take()
            parts.append(self.term(depth))
        return _join(Or, [p for p in parts if p is not None])

    def term(self, depth: int) -> Node | None:
        parts = [self.unary(depth)]
        while (token := self.peek()) is not None and token.kind == "op" and token.text in ("AND", "ANDNOT", "ANDMAYBE"):
            self.take()
            right = self.unary(depth)
            if right is None:
                continue
            if token.text == "ANDNOT":
                parts.append(Not(right))
            elif token.text == "AND":
                parts.append(right)
            # ANDMAYBE: the right side only changes the ranking; it is not a condition.
        return _join(And, [p for p in parts if p is not None])

    def unary(self, depth: int) -> Node | None:
        token = self.peek()
        if token is None or token.kind == ")" or (token.kind == "op" and token.text != "NOT"):
            return None
        if token.kind == "op":  # NOT
            self.take()
            part = self.unary(depth)
            return Not(part) if part is not None else None
        return self.atom(depth)

    def atom(self, depth: int) -> Node | None:
        token = self.take()
        if token.kind == "phrase":
            words = tuple(w for w in (_SYNTAX_INSIDE.sub(" ", token.text)).split() if w)
            if token.field == "id":
                return Word(" ".join(words), "id") if words else None
            if not words:
                return None
            if len(words) == 1:
                last = self.typing and self.at == len(self.tokens) and not token.closed
                return Word(words[0], token.field, prefix=last and len(words[0]) >= MIN_PREFIX)
            return Phrase(words, token.field)
        if token.kind == "(":
            if depth >= MAX_DEPTH:
                raise QueryError(f"too many nested parentheses (the limit is {MAX_DEPTH})")
            inner = self.query(depth + 1)
            if (closing := self.peek()) is not None and closing.kind == ")":
                self.take()
            return _with_field(inner, token.field) if token.field and inner is not None else inner
        if token.kind == "word":
            return _word(token, self.typing and self.at == len(self.tokens) and self.last_open)
        return None  # a `field:` with nothing after it

    last_open = False
    """Whether the text ends inside the last word (no space after it): type-ahead's prefix."""


def _with_field(node: Node, field: str) -> Node:
    """A group under `field:`: every word and phrase inside that has no field gets this one."""
    if isinstance(node, Word):
        return node if node.field else Word(node.text, field, node.prefix, node.fuzzy)
    if isinstance(node, Phrase):
        return node if node.field else Phrase(node.words, field)
    if isinstance(node, Not):
        return Not(_with_field(node.part, field))
    return type(node)(tuple(_with_field(part, field) for part in node.parts))


def _join(kind: type[And | Or], parts: list[Node]) -> Node | None:
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def parse(text: str, typing: bool = False) -> Node:
    """The tree of a query, or `QueryError` with a one-line message.

    With `typing` the text is being typed: the last word, when no space follows it, is read as a
    prefix, and an unclosed quote or bracket or a trailing operator is tolerated."""
    stripped = text.strip()
    if len(stripped) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(stripped)} characters; the limit is {MAX_QUERY_CHARS})")
    stripped = minus_as_not(stripped)
    if typing:
        if stripped.count('"') % 2:
            stripped += '"' if text[-1:].isspace() else ""  # an open quote: the phrase so far
        depth = sum({"(": 1, ")": -1}.get(c, 0) for c in re.sub(r'"[^"]*("|$)', " ", stripped))
        if depth < 0:
            raise QueryError("unbalanced parentheses: a ) has no (")
        if depth > MAX_DEPTH:
            raise QueryError(f"too many nested parentheses (the limit is {MAX_DEPTH})")
    else:
        _check(stripped)
    parser = _Parser(_tokens(stripped), typing)
    parser.last_open = bool(stripped) and not text[-1:].isspace() and stripped[-1:] not in ')"'
    tree = parser.query()
    while parser.peek() is not None:  # a stray ) while typing: read on after it
        parser.take()
        rest = parser.query()
        tree = _join(And, [n for n in (tree, rest) if n is not None])
    if tree is None:
        raise QueryError("nothing to search for")
    return tree


def words_of(node: Node) -> list[str]:
    """Every word text in the tree (phrase words too), in order: what an engine analyses."""
    if isinstance(node, Word):
        return [node.text]
    if isinstance(node, Phrase):
        return list(node.words)
    if isinstance(node, Not):
        return words_of(node.part)
    return [word for part in node.parts for word in words_of(part)]
