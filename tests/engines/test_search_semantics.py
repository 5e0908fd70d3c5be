"""What a search answers, checked against an independent reading of the articles' text.

A seeded generator writes a few hundred articles of real word families (so stems and words as
written differ: "instability" is indexed "instabl", "trading" "trade") and made-up words. The
expected answer of a query is worked out here from the text alone: words split on letters, Whoosh's
stop words left out, Porter's stemmer (the analyzer's) applied; a prefix stands for the stems of the
words as written, in that field anywhere in the archive, that start with it, and for the stem of
the prefix itself (the word typed may be whole: "ferries" finds "ferry"); for two or three letters
the index looks the prefix up as one term of the words' beginnings, and the same articles must
come of it. Neither reader's parser
nor its matchers are used for it. For hundreds of seeded queries (words, prefixes, AND/OR/NOT,
title:, phrases) and every keystroke of typing some of them:
- the hits are exactly the expected articles, and the count is theirs, exact;
- without prefixes, the hits are also plain Whoosh's (its parser, searcher.search, limit=None);
- a short page is the start of the long one, its count exact or flagged and within 25%;
- once the last word is whole (a trailing space), type-ahead lists the rows `reader search` does;
- no keystroke of typing a stored title leaves the page blank.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from support import article_text
from whoosh.analysis import STOP_WORDS
from whoosh.lang.porter import stem
from whoosh.qparser import MultifieldParser

from reader.engines.whoosh.index import ArchiveIndex

ARTICLES = 300
FIELDS = ("title", "body")

FAMILIES = [
    "trade trades trading traded trader", "stable stability instability unstable",
    "ferry ferries", "space spaces spacious", "shuttle shuttles shuttling",
    "launch launched launching launcher", "safeguard safeguarding safeguards",
    "happy happiness happily", "generate generation generous general generally",
    "connect connection connected connecting", "report reporting reporter reports",
    "child children childhood", "care caring careful carer", "nation national nationally",
    "police policy policies polite", "fund funding fundamental funds", "council counsel counselling",
    "market marketing markets", "press pressure president presidency", "study studies student studio",
    "run running runner", "school schools scholar", "health healthy heal", "orbit orbital orbiting",
    "engine engineer engineering", "theory theories therapy", "thorough thoroughly",
]
# Stop words, so typing one (and the words that start like them) is part of the test.
GLUE = ["the", "of", "and", "a", "to", "in", "for", "with", "on", "this", "that", "then", "an", "at"]


def _made_up(rng: random.Random) -> list[str]:
    words = {"".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 3)))
             + rng.choice(["", "er", "ing", "s", "ed", "ly", "ity"]) for _ in range(160)}
    return sorted(words)


def _tokens(text: str) -> list[str]:
    """Words as written, lower-cased, without stop words (the generator writes only letters)."""
    return [word for word in re.findall(r"[a-z]+", text.lower()) if word not in STOP_WORDS]


@dataclass
class Doc:
    id: str
    title: str
    written: dict[str, list[str]]
    stems: dict[str, list[str]]


@dataclass
class Fixture:
    index: ArchiveIndex
    docs: list[Doc]
    spelled: dict[str, set[str]]
    """Field -> every word as written in it anywhere (Whoosh's spelling list)."""
    vocabulary: list[str]
    prefixes: dict[tuple[str, str], set[str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    rng = random.Random(1212)
    vocabulary = [word for family in FAMILIES for word in family.split()] + _made_up(rng)
    rng.shuffle(vocabulary)
    weights = [1 / (rank + 3) for rank in range(len(vocabulary))]
    root = tmp_path_factory.mktemp("semantics")
    archive = root / "archive"
    archive.mkdir()
    docs: list[Doc] = []

    def words(count: int) -> list[str]:
        drawn = rng.choices(vocabulary, weights, k=count)
        return [rng.choice(GLUE) if rng.random() < 0.2 else word for word in drawn]

    for number in range(ARTICLES):
        title = " ".join(words(rng.randint(3, 7))).capitalize()
        paragraphs = [" ".join(words(rng.randint(8, 30))).capitalize() + "." for _ in range(rng.randint(1, 3))]
        name = f"{number:05d}_{number:016x}"
        (archive / f"{name}.txt").write_text(article_text(title, paragraphs), encoding="utf-8")
        written = {"title": _tokens(title), "body": _tokens(" ".join(paragraphs))}
        docs.append(Doc(name, title, written, {f: [stem(w) for w in ws] for f, ws in written.items()}))
    index = ArchiveIndex(archive, root / "index")
    index.refresh()
    spelled = {name: {word for doc in docs for word in doc.written[name]} for name in FIELDS}
    return Fixture(index, docs, spelled, vocabulary)


# --- the expected answer, from the text ---------------------------------------------------------

Node = tuple  # ("word", text, fields) ("prefix", text, fields) ("phrase", words, fields, last_prefix)
# ("and", [nodes]) ("or", [nodes]) ("not", node) ("all",)


def matches(node: Node, doc: Doc, fx: Fixture) -> bool:
    kind = node[0]
    if kind == "all":
        return True
    if kind == "and":
        return all(matches(sub, doc, fx) for sub in node[1])
    if kind == "or":
        return any(matches(sub, doc, fx) for sub in node[1])
    if kind == "not":
        return not matches(node[1], doc, fx)
    if kind == "word":
        return any(stem(node[1]) in doc.stems[name] for name in node[2])
    if kind == "prefix":
        return any(not prefix_stems(node[1], name, fx).isdisjoint(doc.stems[name]) for name in node[2])
    words, fields, last_prefix = node[1], node[2], node[3]
    for name in fields:
        stems = doc.stems[name]
        for start in range(len(stems) - len(words) + 1):
            window = stems[start:start + len(words)]
            if all(have == stem(want) for have, want in zip(window[:-1], words[:-1])) and (
                    window[-1] in prefix_stems(words[-1], name, fx) if last_prefix else window[-1] == stem(words[-1])):
                return True
    return False


def prefix_stems(prefix: str, name: str, fx: Fixture) -> set[str]:
    key = (prefix, name)
    if key not in fx.prefixes:
        whole = set() if prefix in STOP_WORDS else {stem(prefix)}  # the word typed may be whole
        fx.prefixes[key] = whole | {stem(word) for word in fx.spelled[name] if word.startswith(prefix)}
    return fx.prefixes[key]


def expected(node: Node, fx: Fixture) -> set[str]:
    return {doc.id for doc in fx.docs if matches(node, doc, fx)}


# --- queries: text and meaning together ---------------------------------------------------------


def read(text: str, typing: bool) -> Node:
    """The meaning of a query of the generated shapes (this test's own reading of the language):
    clauses joined by AND or a space, a clause `NOT unit` (or `-unit`) or units joined by OR, a unit a word,
    `title:word` or a phrase; while `typing`, the last word a prefix, an unfinished operator,
    field or one-letter word left out, an open phrase closed."""
    ended = not typing or text[-1:].isspace()
    phrase_open = text.count('"') % 2 == 1
    tokens = re.findall(r'"[^"]*"?|\S+', text)
    if typing and not ended and tokens:
        last = tokens[-1]
        bare = last.split(":")[-1].lstrip("-").strip('"').split()
        word = bare[-1] if bare else ""
        if last.isupper() or last.endswith(":") or last == '"' or (len(word) < 2 and not phrase_open) :
            tokens.pop()
            ended = True
    if phrase_open and tokens and tokens[-1].startswith('"'):
        inner = tokens[-1].strip('"').split()
        if not ended and inner and len(inner[-1]) < 2:
            inner.pop()
            ended = True
        tokens[-1] = '"' + " ".join(inner) + '"' if inner else ""
        tokens = [token for token in tokens if token]
    while tokens and tokens[-1] in ("AND", "OR", "NOT"):
        tokens.pop()
        ended = True
    clauses: list[Node] = []
    pending_not = False
    units: list[Node] = []
    for position, token in enumerate(tokens):
        final = position == len(tokens) - 1 and not ended
        if token == "NOT":
            pending_not = True
            continue
        if token == "AND":
            continue
        if token.startswith("-") and len(token) > 1:  # `-word`: the word excluded, as NOT
            pending_not, token = True, token[1:]
        if token == "OR":
            continue
        fields = FIELDS
        if token.startswith("title:"):
            fields, token = ("title",), token[len("title:"):]
        if token.startswith('"'):
            words = token.strip('"').split()
            unit: Node = ("phrase", words, fields, final) if len(words) > 1 else (
                ("prefix" if final else "word"), words[0], fields)
        else:
            unit = ("prefix" if final else "word", token.lower(), fields)
        joined = position > 0 and tokens[position - 1] == "OR" and units
        if joined:
            units.append(unit)
            clauses[-1] = ("or", list(units))
        else:
            units = [unit]
            clauses.append(("not", unit) if pending_not else unit)
        pending_not = False
    return ("and", clauses) if clauses else ("none",)


def queries(fx: Fixture, rng: random.Random) -> Iterator[str]:
    common, rare = fx.vocabulary[:40], fx.vocabulary[40:]
    pick = rng.choice

    def phrase() -> str:
        doc = pick(fx.docs)
        words = doc.written["body"]
        start = rng.randrange(max(1, len(words) - 1))
        return '"' + " ".join(words[start:start + 2]) + '"'

    def prefix() -> str:
        word = pick(common + rare)
        return word[: rng.randint(2, max(2, len(word) - 1))]

    shapes = [
        lambda: pick(common + rare),
        lambda: f"{pick(common)} {pick(rare)}",
        lambda: f"{pick(rare)} OR {pick(rare)}",
        lambda: f"{pick(common)} NOT {pick(common)}",
        lambda: f"{pick(common)} AND NOT {pick(rare)}",
        lambda: f"title:{pick(common)}",
        lambda: f"title:{pick(common)} {pick(common)}",
        lambda: phrase(),
        lambda: f"{pick(common)} {phrase()}",
        lambda: f"{pick(rare)} OR {pick(common)} NOT {pick(rare)}",
        lambda: f"{prefix()}*",
        lambda: f"{pick(common)} {prefix()}*",
        lambda: f"{pick(common)} NOT {prefix()}*",
        lambda: f"title:{prefix()}*",
        lambda: f"{pick(common)} -{pick(common)}",
        lambda: f"{pick(common)} -{prefix()}*",
        lambda: f"{pick(rare)} OR {pick(common)} -{pick(rare)}",
    ]
    while True:
        yield rng.choice(shapes)()


def node_of_star(text: str) -> Node:
    """A complete query of the generated shapes, whose last word may end in `*` (a prefix)."""
    return read(text.replace("*", ""), typing="*" in text)


def typed_node(text: str, fx: Fixture) -> Node:
    """The meaning of `text` being typed: when nothing matches and its last word may be a stop
    word being typed ("trading of th"), the query without that word."""
    node = read(text, typing=True)
    last = re.findall(r"[a-z]+", text.lower())[-1:] if not text[-1:].isspace() else []
    if node[0] != "none" and last and not expected(node, fx) and any(word.startswith(last[0]) for word in STOP_WORDS):
        return read(text[: text.lower().rfind(last[0])] + " ", typing=True)
    return node


def whoosh_ids(fx: Fixture, text: str) -> set[str]:
    """Plain Whoosh: its parser and searcher.search with limit=None, on reader's index. Whoosh's
    parser has no minus: the generated ` -word` is given to it as ` NOT word`."""
    text = text.replace(" -", " NOT ")
    with fx.index._searching() as searcher:
        parser = MultifieldParser(list(FIELDS), searcher.schema)
        results = searcher.search(parser.parse(text), limit=None)
        return {searcher.stored_fields(hit.docnum)["id"] for hit in results}


def check(fx: Fixture, text: str, node: Node, typeahead: bool) -> list[str]:
    page = fx.index.search(text, limit=ARTICLES, typeahead=typeahead, snippets=0, suggest=False)
    assert page.error is None, (text, page.error)
    want = expected(node, fx) if node[0] != "none" else set()
    got = [hit.id for hit in page.hits]
    assert len(got) == len(set(got)), text
    wrong = set(got) - want
    assert not wrong, f"{text!r}: {len(wrong)} hits do not satisfy it, e.g. {sorted(wrong)[:3]}"
    assert set(got) == want, f"{text!r}: {len(want - set(got))} articles missing, e.g. {sorted(want - set(got))[:3]}"
    assert page.total == len(want) and not page.total_is_estimate, (text, page.total, len(want))
    short = fx.index.search(text, limit=5, typeahead=typeahead, snippets=0, suggest=False)
    assert [hit.id for hit in short.hits] == got[:5], text
    if short.total_is_estimate:
        assert abs(short.total - len(want)) <= 0.25 * len(want), (text, short.total, len(want))
    else:
        assert short.total == len(want), (text, short.total, len(want))
    return got


# --- the tests ----------------------------------------------------------------------------------


def test_complete_queries_find_what_the_text_says(fixture: Fixture) -> None:
    rng = random.Random(5)
    made = queries(fixture, rng)
    checked = plain = 0
    for _ in range(300):
        text = next(made)
        node = node_of_star(text)
        got = check(fixture, text, node, typeahead=False)
        if "*" not in text:
            assert set(got) == whoosh_ids(fixture, text), text
            plain += 1
        checked += 1
    assert checked == 300 and plain >= 150


def test_every_keystroke_answers_the_query_so_far(fixture: Fixture) -> None:
    rng = random.Random(9)
    made = queries(fixture, rng)
    typed = 0
    for _ in range(40):
        text = next(made).replace("*", "")
        for cut in range(1, len(text) + 1):
            so_far = text[:cut]
            check(fixture, so_far, typed_node(so_far, fixture), typeahead=True)
            typed += 1
        # The last word whole: the rows of `reader search`, in its order.
        whole = fixture.index.search(text + " ", limit=50, typeahead=True, snippets=0)
        cli = fixture.index.search(text, limit=50, snippets=0)
        assert [hit.id for hit in whole.hits] == [hit.id for hit in cli.hits], text
    assert typed >= 400


def test_typing_a_stored_title_never_shows_a_blank_page(fixture: Fixture) -> None:
    rng = random.Random(3)
    for doc in rng.sample(fixture.docs, 40):
        for cut in range(1, len(doc.title) + 1):
            typed = doc.title[:cut]
            page = fixture.index.search(typed, limit=ARTICLES, typeahead=True, snippets=0, suggest=False)
            assert page.error is None, (typed, page.error)
            words = typed.lower().split()
            whole, last = (words, "") if typed[-1:].isspace() else (words[:-1], words[-1])
            if all(word in STOP_WORDS or len(word) < 2 for word in whole) and (
                    len(last) < 2 or any(stop.startswith(last) for stop in STOP_WORDS)):
                continue  # nothing searchable typed yet: stop words, one letter, a stop word's start
            assert page.hits, f"typing {doc.title!r}: blank at {typed!r}"
            last = typed.split()[-1].lower()
            if typed[-1:].isspace() or not any(stop.startswith(last) for stop in STOP_WORDS):
                assert doc.id in {hit.id for hit in page.hits}, f"typing {doc.title!r}: not listed at {typed!r}"


def test_bounded_prefixes_stay_sound_and_their_estimates_close(fixture: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # Budgets shrunk so that this small archive's prefixes are bounded as a big archive's are:
    # a page then lists only what matches, a NOT of a prefix still leaves out all its words, and
    # a count is exact or flagged and within 25%. Two letters are then read as their completions,
    # not as the one term of the words' beginnings the index has (as four letters and more are).
    from reader.engines.whoosh import prefixes
    from reader.engines.whoosh.fast import scorer

    monkeypatch.setattr(prefixes, "STARTS_LENGTHS", ())
    monkeypatch.setattr(prefixes, "PREFIX_POSTINGS_BUDGET", 60)
    monkeypatch.setattr(prefixes, "PREFIX_MAX_TERMS", 4)
    monkeypatch.setattr(scorer, "TYPEAHEAD_POSTINGS_BUDGET", 60)
    starts = sorted({word[:2] for doc in fixture.docs for word in doc.written["body"]})
    estimates = checked = 0
    try:
        fixture.index._scorer_state = None  # rankings made with the real budgets are remembered
        for start in starts:
            for text in (start, f"{fixture.vocabulary[0]} {start}", f"{fixture.vocabulary[3]} NOT {start}"):
                page = fixture.index.search(text, limit=5, typeahead=True, snippets=0, suggest=False)
                want = expected(typed_node(text, fixture), fixture)
                assert {hit.id for hit in page.hits} <= want, text
                if page.total_is_estimate:
                    estimates += 1
                    assert abs(page.total - len(want)) <= 0.25 * len(want), (text, page.total, len(want))
                else:
                    assert page.total == len(want), (text, page.total, len(want))
                checked += 1
    finally:
        fixture.index._scorer_state = None
    assert checked >= 150 and estimates >= 20
