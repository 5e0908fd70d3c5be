"""Queries in reader's language turned into Whoosh queries: Whoosh's parser, then every word that
expands (prefix*, wild?card, fuzzy~, ranges) bounded to a set of index terms."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser

from reader.core.query import (
    MIN_PREFIX,
    TYPING_WORD,
    check_syntax,
)
from reader.core.types import (
    QueryError,
)
from reader.engines.whoosh.schema import (
    ANALYZER,
    SEARCH_FIELDS,
    SearchSchema,
)
from reader.engines.whoosh.writing import (
    describe,
)

# Type-ahead: the prefix of the word being typed expands to at most this many index terms, and
# stops adding terms once their postings add up to this many; the commonest come first.
PREFIX_MAX_TERMS = 24


PREFIX_POSTINGS_BUDGET = 8000


# An explicit `word~N` asks for at most this many edits (more is slow and finds noise).
MAX_FUZZY_EDITS = 2


# A `[a TO b]` range may span at most this many index terms.
RANGE_MAX_TERMS = 2000


# Words with * ? ~ or ranges in one query, and fuzzy~ ones among them (see bounded).
MAX_EXPANDING_WORDS = 16


MAX_FUZZY_WORDS = 4


@dataclass(frozen=True, slots=True)
class Parsed:
    text: str
    """The query text without the word being typed."""
    query: wq.Query | None
    prefix: str = ""
    """The word being typed, lower-cased, when type-ahead treats it as a prefix."""


def make_parser() -> MultifieldParser:
    parser = MultifieldParser(list(SEARCH_FIELDS), SearchSchema())
    parser.add_plugin(FuzzyTermPlugin())
    return parser


def parse(text: str, typeahead: bool) -> Parsed:
    cleaned = check_syntax(text.strip())
    prefix = ""
    if typeahead and not text[-1:].isspace():  # after a space no word is being typed
        typing = TYPING_WORD.search(cleaned)
        if typing and typing.group(1).upper() not in ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"):
            prefix = typing.group(1).lower()
            cleaned = cleaned[: typing.start()].rstrip()
    if not cleaned:
        if prefix:
            return Parsed("", None, prefix)
        raise QueryError("nothing to search for")
    try:
        query = make_parser().parse(cleaned)
    except Exception as error:  # the parser is lenient, but its plugins can raise on odd input
        raise QueryError(f"cannot read the query: {describe(error)}") from None
    if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
        if prefix:
            return Parsed(cleaned, None, prefix)
        raise QueryError("nothing to search for: the query has only operators or very common words")
    return Parsed(cleaned, query, prefix)


def plain_words(query: wq.Query | None) -> list[list[tuple[str, str]]] | None:
    """A query of plain words (all must match) as one list of (field, term) a word, or None when
    it is anything else (phrases, OR, NOT, fields, wildcards, fuzzy terms, boosts)."""
    if query is None:
        return []
    clauses: list[list[tuple[str, str]]] = []
    for node in query.subqueries if type(query) is wq.And else [query]:
        alternatives: list[tuple[str, str]] = []
        for term in node.subqueries if type(node) is wq.Or else [node]:
            if type(term) is not wq.Term or term.fieldname not in SEARCH_FIELDS or term.boost != 1:
                return None
            alternatives.append((term.fieldname, term.text if isinstance(term.text, str) else term.text.decode("utf-8")))
        clauses.append(alternatives)
    return clauses


class _PreloadedOr(wq.Or):
    """A union that loads its terms' postings into an array: Whoosh's fast path for many terms,
    which it otherwise gives up on above 5,000 documents."""

    matcher_type = wq.Or.ARRAY_MATCHER


def _expand(fieldname: str, found: Iterable[tuple[int, str]], exact: Iterable[str] = ()) -> wq.Query | None:
    """A bounded query for (doc frequency, term) candidates of a prefix: the commonest terms while
    their postings fit the budget, scored with the preloading union. When even the commonest term
    is over the budget it stands alone, where Whoosh's block-max skipping finds the top hits
    without scoring every posting."""
    ranked = sorted(found, key=lambda pair: (-pair[0], pair[1]))
    chosen: list[str] = list(dict.fromkeys(exact))
    budget = PREFIX_POSTINGS_BUDGET
    for frequency, term in ranked:
        if len(chosen) >= PREFIX_MAX_TERMS or frequency > budget:
            if not chosen:
                chosen.append(term)
            break
        if term not in chosen:
            chosen.append(term)
            budget -= frequency
    if not chosen:
        return None
    if len(chosen) == 1:
        return wq.Term(fieldname, chosen[0])
    return _PreloadedOr([wq.Term(fieldname, term) for term in chosen])


def _prefix_candidates(reader: object, fieldname: str, prefix: str, pattern: re.Pattern[str] | None = None) -> Iterator[tuple[int, str]]:
    """(doc frequency, term) for the terms of a field that start with `prefix`."""
    try:
        for raw, info in reader.iter_prefix(fieldname, prefix):  # type: ignore[attr-defined]
            term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if pattern is None or pattern.fullmatch(term):
                yield info.doc_frequency(), term
    except (KeyError, TypeError):  # a field the index does not have
        return


def _fuzzy_candidates(reader: object, fieldname: str, text: str, maxdist: int, prefix: int) -> Iterator[tuple[int, str]]:
    """(doc frequency, term) for the indexed terms within `maxdist` edits of `text`.

    Whoosh's own FuzzyTerm looks in the spelling word list, whose words are unstemmed, and then
    searches them in the stemmed field, where they are not: "motorcyle~" found nothing. This walks
    the field's own terms with the same automaton."""
    seen: set[str] = set()
    for leaf, _ in reader.leaf_readers():  # type: ignore[attr-defined]
        try:
            automata = leaf._codec.automata(leaf._storage, leaf._segment)
            words = automata.terms_within(leaf.cursor(fieldname), text, maxdist, prefix)
        except (KeyError, TypeError, AttributeError):
            continue
        seen.update(w.decode("utf-8") if isinstance(w, bytes) else w for w in words)
    for term in seen:
        yield reader.doc_frequency(fieldname, term), term  # type: ignore[attr-defined]


def prefix_query(prefix: str, reader: object) -> wq.Query:
    """The word being typed: index terms starting with it, and the stem it has already passed
    ("safeguardi" has passed the stem "safeguard", which a plain prefix would miss)."""
    branches: list[wq.Query] = []
    # The word as typed may already be whole: "ferry" is indexed as "ferri", which no prefix finds.
    whole = [token.text for token in ANALYZER(prefix)]
    for fieldname in SEARCH_FIELDS:
        stems = [
            prefix[:cut]
            for cut in range(len(prefix) - 1, max(3, len(prefix) - 4) - 1, -1)
            if (fieldname, prefix[:cut]) in reader  # type: ignore[operator]
        ]
        exact = [term for term in whole[:1] if (fieldname, term) in reader] + stems[:1]  # type: ignore[operator]
        expanded = _expand(fieldname, _prefix_candidates(reader, fieldname, prefix), exact=exact)
        if expanded is not None:
            branches.append(expanded)
    if not branches:
        return wq.NullQuery
    return branches[0] if len(branches) == 1 else wq.Or(branches)


def bounded(query: wq.Query | None, reader: object) -> wq.Query | None:
    """The parsed query with every explicit prefix* and wild*card bounded like type-ahead."""
    if query is None:
        return None
    # Each word that expands into many terms costs a walk over the term list (a fuzzy~2 word up
    # to a second on 10k articles): a query of hundreds of them ran for minutes, holding the searcher.
    expanding: set[tuple[str, object, object]] = set()
    fuzzy: set[tuple[str, object, object]] = set()

    def bound(node: wq.Query) -> wq.Query:
        if isinstance(node, (wq.FuzzyTerm, wq.Prefix, wq.Wildcard, wq.TermRange)):
            if isinstance(node, wq.TermRange):
                word = ("range", node.start, node.end)
            else:
                word = (type(node).__name__, node.text, None)  # type: ignore[attr-defined]
            expanding.add(word)
            if isinstance(node, wq.FuzzyTerm):
                fuzzy.add(word)
            if len(expanding) > MAX_EXPANDING_WORDS or len(fuzzy) > MAX_FUZZY_WORDS:
                raise QueryError(
                    f"too many words with * ? ~ or ranges: at most {MAX_EXPANDING_WORDS}, "
                    f"of which {MAX_FUZZY_WORDS} fuzzy~"
                )
        if isinstance(node, wq.Every):
            # `*` or `body:*`: Whoosh reads every posting of every term of a field for Every(field)
            # (30 s on 10k articles); every article has a title, so all documents is the same answer.
            return wq.Every(boost=node.boost)
        if isinstance(node, wq.FuzzyTerm):
            # `word~9` is allowed by the syntax, but more than 2 edits is a minute of automaton walking.
            maxdist = min(node.maxdist, MAX_FUZZY_EDITS)
            # `ab~2/9`: a kept prefix longer than the word made Whoosh's automaton raise IndexError.
            prefixlength = min(node.prefixlength, len(node.text))
            found = _fuzzy_candidates(reader, node.fieldname, node.text, maxdist, prefixlength)
        elif isinstance(node, wq.Prefix):
            if len(node.text) < MIN_PREFIX:  # `s*`: thousands of terms to weigh (1.4 s on 10k articles)
                raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters, as in ab*")
            found = _prefix_candidates(reader, node.fieldname, node.text)
        elif isinstance(node, wq.Wildcard):
            pattern = re.compile(fnmatch.translate(node.text))
            # Whoosh's Wildcard has no `prefix` attribute (`?` raised AttributeError): the literal
            # start before the first wildcard character bounds the terms walked. Without one (`?`,
            # `*a*`) every term of the field is matched against the pattern: 10 s on 10k articles.
            literal = node._find_prefix(node.text)
            if len(literal) < MIN_PREFIX:
                raise QueryError(f"a wildcard needs at least {MIN_PREFIX} letters before it, as in ab*")
            found = _prefix_candidates(reader, node.fieldname, literal, pattern)
        elif isinstance(node, wq.TermRange):
            # `[a TO z]` made Whoosh score every word of the field at once (over 5 minutes on 10k
            # articles); a range with no words in it raised ValueError. Bounded like a prefix.
            found = _range_candidates(reader, node)
        else:
            return node
        return _expand(node.fieldname, found) or wq.NullQuery

    return query.accept(bound)


def _range_candidates(reader: object, node: wq.TermRange) -> list[tuple[int, str]]:
    """(doc frequency, term) for the terms of a `[a TO b]` range, or `QueryError` when it spans
    more than RANGE_MAX_TERMS of them."""
    found: list[tuple[int, str]] = []
    for raw in node._btexts(reader):  # Whoosh's own walk over the range, in term order
        if len(found) >= RANGE_MAX_TERMS:
            raise QueryError(f"range too wide: it spans more than {RANGE_MAX_TERMS:,} words; narrow it")
        term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        found.append((reader.doc_frequency(node.fieldname, term), term))  # type: ignore[attr-defined]
    return found


def query_words(query: wq.Query) -> frozenset[str]:
    """The indexed words a query looks for in titles and bodies, for highlighting."""
    words: set[str] = set()
    for fieldname, text in query.iter_all_terms():
        if fieldname in SEARCH_FIELDS:
            words.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return frozenset(words)
