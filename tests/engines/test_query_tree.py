"""reader.core.query_tree: the engine-neutral parse of reader's query language (Whoosh's default
syntax), which the PostgreSQL engine translates and any engine may."""

from __future__ import annotations

import pytest

from reader.core.query_tree import And, Not, Or, Phrase, Word, parse, words_of
from reader.core.types import QueryError

W = Word

CASES = [
    ("river", W("river")),
    ("river forest", And((W("river"), W("forest")))),
    ("river AND forest", And((W("river"), W("forest")))),
    ("river OR forest", Or((W("river"), W("forest")))),
    # Juxtaposition binds loosest, then OR, then AND, then NOT (as Whoosh's parser reads them).
    ("a b OR c", And((W("a"), Or((W("b"), W("c")))))),
    ("a AND b OR c", Or((And((W("a"), W("b"))), W("c")))),
    ("a OR b AND c", Or((W("a"), And((W("b"), W("c")))))),
    ("NOT a b", And((Not(W("a")), W("b")))),
    ("a ANDNOT b", And((W("a"), Not(W("b"))))),
    ("(a OR b) c", And((Or((W("a"), W("b"))), W("c")))),
    ('"social work" x', And((Phrase(("social", "work")), W("x")))),
    ('title:"social work"', Phrase(("social", "work"), "title")),
    ("title:baby body:p", And((W("baby", "title"), W("p", "body")))),
    ("title:(a OR b)", Or((W("a", "title"), W("b", "title")))),
    ("id:000_x", W("000_x", "id")),
    ("saf*", W("saf", prefix=True)),
    ("fuzz~ fuzz~2 f~9", And((W("fuzz", fuzzy=1), W("fuzz", fuzzy=2), W("f", fuzzy=2)))),
    ("word^2", W("word")),
    ("-word", Not(W("word"))),  # a minus starting a clause excludes, as NOT
    ('a -"b c" -(d OR e)', And((W("a"), Not(Phrase(("b", "c"))), Not(Or((W("d"), W("e"))))))),
    ("earth-moon a - b", And((W("earth-moon"), W("a"), W("-"), W("b")))),  # a hyphen, a lone dash: words
    ("and or not", And((W("and"), W("or"), W("not")))),  # lower case: words
    ("Baby P: Ed", And((W("Baby"), W("P"), W("Ed")))),  # an unknown field is a word
    ("a AND", W("a")),
]


@pytest.mark.parametrize(("text", "tree"), CASES)
def test_parse(text: str, tree: object) -> None:
    assert parse(text) == tree


TYPING = [
    ("haringey safeg", And((W("haringey"), W("safeg", prefix=True)))),
    ("haringey safeg ", And((W("haringey"), W("safeg")))),  # a space: the word is finished
    ("s", W("s")),  # one letter is not yet a prefix
    ('"social wo', Phrase(("social", "wo"))),
    ("(a OR river", Or((W("a"), W("river", prefix=True)))),
    ("river AND", W("river")),
    ("title:riv", W("riv", "title", prefix=True)),
]


@pytest.mark.parametrize(("text", "tree"), TYPING)
def test_parse_while_typing(text: str, tree: object) -> None:
    assert parse(text, typing=True) == tree


@pytest.mark.parametrize(("text", "message"), [
    ('"open', 'unclosed quote: add the closing "'),
    ("(a", "unbalanced parentheses: a ( is not closed"),
    ("a)", "unbalanced parentheses: a ) has no ("),
    ("", "nothing to search for"),
    ("OR AND", "nothing to search for"),
    ("x" * 1001, "query too long (1001 characters; the limit is 1000)"),
    ("(" * 60 + "a" + ")" * 60, "too many nested parentheses (the limit is 50)"),
])
def test_errors_are_one_line(text: str, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse(text)
    assert str(error.value) == message


def test_words_of_lists_every_word_in_order() -> None:
    assert words_of(parse('a "b c" NOT (d OR e*)')) == ["a", "b", "c", "d", "e"]
