"""Queries in reader's language turned into Whoosh queries: Whoosh's parser, then every word that
expands (prefix*, wild?card, fuzzy~, ranges) bounded to a set of index terms."""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser

from reader.core.query import (
    MIN_PREFIX,
    check_syntax,
    so_far,
)
from reader.core.snippets import PREFIX
from reader.core.types import (
    QueryError,
    describe,
)
from reader.engines.whoosh.prefixes import choose, expansion, starts_field
from reader.engines.whoosh.schema import (
    ANALYZER,
    SEARCH_FIELDS,
    STARTS_FIELDS,
    SearchSchema,
)

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
    """The query text as searched: while typing, the query so far (see core/query.py so_far)."""
    query: wq.Query | None
    """Whoosh's reading of it, the word being typed a Prefix in place; None when nothing is left."""
    prefix: str = ""
    """The word being typed, lower-cased, when type-ahead reads it as a prefix."""
    words: list[list[tuple[str, str]]] | None = None
    """When the query is plain words and the word being typed (the fast scorer's shape): the
    words, as plain_words gives them."""


_PER_THREAD = threading.local()


def make_parser() -> MultifieldParser:
    """The query parser, one per thread and kept: a new schema and parser at every key cost about
    as much as the search itself (parsing keeps no state, but the screens' workers are threads)."""
    parser: MultifieldParser | None = getattr(_PER_THREAD, "parser", None)
    if parser is None:
        parser = MultifieldParser(list(SEARCH_FIELDS), SearchSchema())
        parser.add_plugin(FuzzyTermPlugin())
        _PER_THREAD.parser = parser
    return parser


def parse(text: str, typeahead: bool) -> Parsed:
    """`text` in reader's query language; with `typeahead`, the query so far with the word being
    typed read as a prefix where it stands (`space NOT shutt` is `space NOT shutt*`): the same
    answer as the query language gives, never an error for an operator or a quote half typed."""
    prefix = ""
    phrase = False
    if typeahead:
        cleaned, typing, phrase = so_far(text)
        shown = cleaned = check_syntax(cleaned)
        if typing:
            prefix = typing.lower()
            at = cleaned.rfind(typing)
            # The word ends the text (before closing brackets): `word*` in place. In a phrase,
            # where Whoosh has no prefixes, a stand-in word that _phrase_prefix swaps for one
            # (the word itself might be a stop word, which the phrase would lose).
            swapped = _STAND_IN if phrase else f"{typing}*"
            cleaned = f"{cleaned[:at]}{swapped}{cleaned[at + len(typing):]}"
        if not cleaned:
            return Parsed("", None)
    else:
        shown = cleaned = check_syntax(text.strip())
    try:
        query = make_parser().parse(cleaned)
    except Exception as error:  # noqa: BLE001 - the parser is lenient, but its plugins can raise on odd input
        raise QueryError(f"cannot read the query: {describe(error)}") from None
    query = _written_prefixes(query, cleaned)
    if phrase and prefix:
        query = _phrase_prefix(query, prefix)
    if query is wq.NullQuery or isinstance(query, type(wq.NullQuery)):
        if typeahead:
            return Parsed(shown, None)
        raise QueryError("nothing to search for: the query has only operators or very common words")
    return Parsed(shown, query, prefix, _typeahead_words(query, prefix) if prefix else None)


def _written_prefixes(query: wq.Query, text: str) -> wq.Query:
    """The parsed query with each `word*` as written: Whoosh's parser stems the text of a prefix
    ("runne*" became "runn*", which finds "running"); a prefix stands for words as written."""
    field = make_parser().schema["body"]
    written: dict[str, str] = {}
    for word in re.findall(r"([^\W_]+)\*", text.lower()):
        for stemmed in field.process_text(word, mode="query", tokenize=False, removestops=False):
            written[stemmed] = word

    def restore(node: wq.Query) -> wq.Query:
        if type(node) is wq.Prefix and node.text in written:
            return wq.Prefix(node.fieldname, written[node.text], boost=node.boost)
        return node

    return query.accept(restore) if written else query


_STAND_IN = "qxzjtypedqxzj"


def _phrase_prefix(query: wq.Query, prefix: str) -> wq.Query:
    """The open phrase being typed with its last word a prefix: `"space shut` finds "space
    shuttle" (Whoosh's phrases hold whole words only; a Sequence holds any query)."""
    stand_in = [token.text for token in ANALYZER(_STAND_IN)]

    def swap(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Phrase) and node.words and node.words[-1] == stand_in[0]:
            parts: list[wq.Query] = [wq.Term(node.fieldname, word) for word in node.words[:-1]]
            parts.append(wq.Prefix(node.fieldname, prefix))
            return parts[0] if len(parts) == 1 else wq.Sequence(parts, boost=node.boost)
        if isinstance(node, wq.Term) and node.text == stand_in[0]:  # the phrase had no other word
            return wq.Prefix(node.fieldname, prefix, boost=node.boost)
        return node

    return query.accept(swap)


def _is_typed(node: wq.Query, prefix: str) -> bool:
    """Whether `node` is the word being typed looked for in every searched field."""
    parts = node.subqueries if type(node) is wq.Or else [node]
    return (
        all(type(part) is wq.Prefix and part.text == prefix and part.boost == 1 for part in parts)
        and sorted(part.fieldname for part in parts) == sorted(SEARCH_FIELDS)
    )


def _typeahead_words(query: wq.Query, prefix: str) -> list[list[tuple[str, str]]] | None:
    """The plain words of a query of plain words and the word being typed, or None."""
    nodes = query.subqueries if type(query) is wq.And else [query]
    typed = [node for node in nodes if _is_typed(node, prefix)]
    if len(typed) != 1:
        return None
    return plain_words(wq.And([node for node in nodes if node is not typed[0]]))


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


def _expand(fieldname: str, found: Iterable[tuple[int, str]], widen: bool = False) -> tuple[wq.Query, bool]:
    """A query for the (doc frequency, term) candidates of a word that expands, and whether all
    of them are in it: the commonest while their postings fit the budget (prefixes.choose), or
    every one when `widen`, scored with the preloading union. When even the commonest term is over
    the budget it stands alone, where Whoosh's block-max skipping finds the top hits without
    scoring every posting. No candidate: a term no document has (NullQuery would be dropped
    from an And, matching everything the other words match)."""
    ranked = list(found)
    if widen:
        chosen, complete = [term for _, term in ranked], True
    else:
        chosen, complete = choose(ranked)
    if not chosen:
        return wq.Term(fieldname, ""), True
    if len(chosen) == 1:
        return wq.Term(fieldname, chosen[0]), complete
    return _PreloadedOr([wq.Term(fieldname, term) for term in chosen]), complete


def _raw_prefixed(reader: object, fieldname: str, prefix: str) -> Iterator[str]:
    try:
        for raw, _info in reader.iter_prefix(fieldname, prefix):  # type: ignore[attr-defined]
            yield raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except (KeyError, TypeError):  # a field the index does not have
        return


class Terms:
    """The index terms `bounded` expands words into: from the fast scorer's in-memory term lists
    when there is one (Whoosh's term iterator took 0.2 s for `co*` on 20 Newsgroups), else Whoosh's."""

    def __init__(self, reader: object, scorer: object | None = None) -> None:
        self.reader = reader
        self.scorer = scorer

    def prefixed(self, fieldname: str, prefix: str) -> Iterable[str]:
        if self.scorer is not None:
            return self.scorer.prefixed(fieldname, prefix)  # type: ignore[attr-defined, no-any-return]
        return _raw_prefixed(self.reader, fieldname, prefix)

    def fuzzy(self, fieldname: str, text: str, maxdist: int, prefix: int) -> Iterable[tuple[int, str]]:
        """(doc frequency, term) for the terms within `maxdist` edits of `text` (see
        _fuzzy_candidates)."""
        if self.scorer is not None:
            words = self.scorer.within(fieldname, text, maxdist, prefix)  # type: ignore[attr-defined]
            return [(self.frequency(fieldname, word), word) for word in words]
        return _fuzzy_candidates(self.reader, fieldname, text, maxdist, prefix)

    def frequency(self, fieldname: str, term: str) -> int:
        if self.scorer is not None:
            return self.scorer.frequency(fieldname, term.encode("utf-8"))  # type: ignore[attr-defined, no-any-return]
        return self.reader.doc_frequency(fieldname, term)  # type: ignore[attr-defined, no-any-return]


def _prefix_candidates(reader: object, fieldname: str, prefix: str, pattern: re.Pattern[str] | None = None) -> Iterator[tuple[int, str]]:
    """(doc frequency, term) for the terms of a field that start with `prefix` (for wildcards)."""
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


@dataclass(frozen=True, slots=True)
class Bounded:
    query: wq.Query | None
    complete: bool
    """Whether every word that expands is looked for in all its terms (else the count of matches
    is a lower bound, and a short page may be missing a rare one: see `widen`)."""


def bounded(query: wq.Query | None, reader: object) -> wq.Query | None:
    """The parsed query with every prefix*, wild*card, fuzzy~ and range bounded to index terms."""
    return bound(query, Terms(reader)).query


def bound(query: wq.Query | None, terms: Terms, widen: bool = False) -> Bounded:
    """The parsed query with every word that expands bounded to a set of index terms; a prefix
    stands for the stems of the words as written that start with it (prefixes.py), all of them
    when `widen`."""
    if query is None:
        return Bounded(None, True)
    reader = terms.reader
    complete = [True]
    # Under a NOT a word must stand for all its terms: NOT of some of them matches too much.
    negated: set[int] = set()
    # In a phrase a prefix needs its completions' positions, which the words' beginnings lack.
    phrased: set[int] = set()

    def mark(node: wq.Query, under: bool, phrase: bool = False) -> None:
        phrase = phrase or isinstance(node, (wq.Sequence, wq.Phrase))
        if phrase:
            phrased.add(id(node))
        if isinstance(node, wq.AndNot):
            mark(node.a, under, phrase)
            mark(node.b, True, phrase)
            return
        under = under or isinstance(node, wq.Not)
        if under:
            negated.add(id(node))
        for child in node.children():
            mark(child, under, phrase)

    mark(query, False)
    schema = getattr(reader, "schema", ())
    # Each word that expands into many terms costs a walk over the term list (a fuzzy~2 word up
    # to a second on 10k articles): a query of hundreds of them ran for minutes, holding the searcher.
    expanding: set[tuple[str, object, object]] = set()
    fuzzy: set[tuple[str, object, object]] = set()

    def bound_node(node: wq.Query) -> wq.Query:
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
        if isinstance(node, wq.Sequence):
            # A phrase being typed (`"space shut`): positions need Whoosh's own union matcher.
            return node.apply(lambda sub: wq.Or(sub.subqueries) if isinstance(sub, _PreloadedOr) else sub)
        if isinstance(node, wq.Every):
            # `*` or `body:*`: Whoosh reads every posting of every term of a field for Every(field)
            # (30 s on 10k articles); every article has a title, so all documents is the same answer.
            return wq.Every(boost=node.boost)
        if isinstance(node, wq.FuzzyTerm):
            # `word~9` is allowed by the syntax, but more than 2 edits is a minute of automaton walking.
            maxdist = min(node.maxdist, MAX_FUZZY_EDITS)
            # `ab~2/9`: a kept prefix longer than the word made Whoosh's automaton raise IndexError.
            prefixlength = min(node.prefixlength, len(node.text))
            # Commonest first, as `choose` takes them (the terms came in set order, which differs
            # between processes: a bounded fuzzy word chose different terms from run to run).
            found = sorted(terms.fuzzy(node.fieldname, node.text, maxdist, prefixlength), key=lambda pair: (-pair[0], pair[1]))
        elif isinstance(node, wq.Prefix):
            if len(node.text) < MIN_PREFIX:  # `s*`: thousands of terms to weigh (1.4 s on 10k articles)
                raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters, as in ab*")
            starts = None if id(node) in phrased else starts_field(node.fieldname, node.text, schema)
            if starts is not None:  # one term of the words' beginnings, exact (no bound)
                return wq.Term(starts, node.text, boost=node.boost)
            found = [(count, term) for count, _, term in
                     expansion(node.text, [node.fieldname], terms.prefixed, terms.frequency)]
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
        expanded, whole = _expand(node.fieldname, found, widen or id(node) in negated)
        complete[0] = complete[0] and whole
        return expanded

    return Bounded(query.accept(bound_node), complete[0])


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
    """The indexed words a query looks for in titles and bodies, for highlighting; a word
    beginning as a prefix (`pr*`: the words that start so)."""
    words: set[str] = set()
    for fieldname, text in query.iter_all_terms():
        word = text.decode("utf-8") if isinstance(text, bytes) else text
        if fieldname in SEARCH_FIELDS:
            words.add(word)
        elif fieldname in _STARTS:
            words.add(word + PREFIX)
    return frozenset(words)


_STARTS = frozenset(STARTS_FIELDS.values())
