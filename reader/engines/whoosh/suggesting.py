"""Did you mean: Whoosh's spelling correction (`Searcher.correct_query`) of a query that found
nothing, told which words to correct. Imported only for such a query.

Left to itself, correct_query corrects every token of the query that is not an index term: the
text of a prefix too (`spacx nas*` came back as `space nasnew`, the correction spliced into the
pattern), and, while a word is being typed, a start of a word the index holds (`title:nas` as
`title:new`, where `nasa` was being typed). Only the plain words are corrected here, and the word
being typed only when nothing in the index starts with it (then it is a typo, not a start)."""

from __future__ import annotations

from whoosh.query import MultiTerm

from reader.engines.whoosh.fast.spelling import correctors
from reader.engines.whoosh.queries import make_parser
from reader.engines.whoosh.schema import SEARCH_FIELDS


def correction(searcher: object, fast: object | None, text: str, typed: str = "") -> str | None:
    """The corrected query text, or None when there is nothing to correct (`typed`: the word
    being typed, lower-cased, when the last word is read as a prefix; `fast`: the fast scorer,
    whose term lists give the candidate words sooner)."""
    parser = make_parser()
    query = parser.parse(text)
    reader = searcher.reader()  # type: ignore[attr-defined]
    keep = typed if typed and _has_completions(reader, typed) else ""
    terms = [(token.fieldname, token.text) for token in _plain_tokens(query)
             if (token.fieldname, token.text) not in reader and not (keep and _typed_token(text, token, keep))]
    if not terms:
        return None
    # prefix=1: candidates share the first letter (typos rarely hit it). Whoosh's default of 0
    # compares every word with every index term: 2-7 s on 10k articles for a query that finds
    # nothing, against 0.01-0.4 s, with the same suggestions for real typos.
    extra = {"correctors": correctors(fast, SEARCH_FIELDS)} if fast is not None else {}
    found = searcher.correct_query(query, text, terms=terms, prefix=1, **extra)  # type: ignore[attr-defined]
    # The texts compared, not the queries: Whoosh corrects a phrase's words in place, in the
    # original query too.
    if found.string and found.string.strip() and found.string != text:
        return str(found.string)
    return None


def _plain_tokens(query: object) -> list[object]:
    """The tokens of the query's words, as Query.all_tokens gives them, but for its patterns
    (prefixes, wildcards, fuzzy words, ranges: MultiTerm), which no spelling list holds."""
    if query.is_leaf():  # type: ignore[attr-defined]
        return [] if isinstance(query, MultiTerm) else list(query.tokens())  # type: ignore[attr-defined]
    return [token for child in query.children() for token in _plain_tokens(child)]  # type: ignore[attr-defined]


def _has_completions(reader: object, typed: str) -> bool:
    for fieldname in SEARCH_FIELDS:
        for _word in reader.expand_prefix(fieldname, typed):  # type: ignore[attr-defined]
            return True
    return False


def _typed_token(text: str, token: object, typed: str) -> bool:
    """Whether the token is the word being typed: the query's last word (by the place the parser
    gives it in the text, or by its text where the parser gives none)."""
    end = getattr(token, "endchar", None)
    if end is not None:
        return text[:end].lower().endswith(typed) and not text[end:].strip(" \"')")
    return token.text == typed  # type: ignore[attr-defined, no-any-return]
