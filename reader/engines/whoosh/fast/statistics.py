"""What the fast scorer reads of each segment, once per field or term, for one searcher
generation: the segments (with their deletions), term lists, length columns and norms, term infos
and statistics, and the posting blocks decoded so far."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    _lenfield,
)
from whoosh.util.numeric import byte_to_length

from reader.engines.whoosh.fast.bm25 import length_norms
from reader.engines.whoosh.fast.format import (
    SMALL_SEGMENT,
    Blocks,
    Leaf,
    Lexicon,
    Posting,
    Unsupported,
    read_lexicon,
    read_range,
    read_spans,
    term_frequency,
    term_weight,
)

_INFOS_KEPT = 50_000  # term infos looked up per segment (see SegmentData.info)


_FREQUENCIES_KEPT = 200_000  # document frequencies remembered per generation (see frequency)


_BLOCKS_KEPT = 3000  # decoded posting blocks kept per index generation (up to 128 postings each)



class SegmentData:
    """The segments of one searcher as the fast scorer reads them, each piece read on first use
    and kept (term lists outlive generations: a segment never changes)."""

    def __init__(self, searcher: object, lexicons: dict[tuple[str, str], Lexicon]) -> None:
        self.searcher = searcher
        reader = searcher.reader()  # type: ignore[attr-defined]
        self.doccount = reader.doc_count_all()
        self.leaves: list[Leaf] = []
        for leaf, offset in reader.leaf_readers():
            if not hasattr(leaf, "_perdoc") or not hasattr(leaf, "_terms"):
                raise Unsupported("not a Whoosh 3 segment")
            deleted = frozenset(leaf.deleted_docs_set) if leaf.has_deletions() else frozenset()
            segment = leaf.segment()
            name = segment.segment_id() if segment is not None else f"leaf-{id(leaf)}"
            self.leaves.append(Leaf(leaf, name, offset, leaf.doc_count_all(), deleted))
        self._shared_lexicons = lexicons
        self._norms: dict[str, tuple[float, list[float]]] = {}
        self._lock = threading.Lock()
        self._read: OrderedDict[tuple[str, str, bytes], Blocks] = OrderedDict()
        """Blocks read, by (segment, field, term); the oldest terms go past _BLOCKS_KEPT blocks."""
        self._read_blocks = [0]
        self._frequencies: dict[tuple[str, bytes], int] = {}
        self._tables: dict[str, list[tuple[dict[bytes, int], object]] | None] = {}
        """(field, term) -> documents with it: a prefix's thousands of completions are counted
        several times a key (expansion, the rarest-first order, the share of documents)."""

    # --- per-field data, read on first use ------------------------------------------------------

    def _blocks(self, leaf: Leaf, fieldname: str, term: bytes) -> Blocks:
        key = (leaf.name, fieldname, term)
        with self._lock:
            found = self._read.get(key)
            if found is None:
                found = self._read[key] = Blocks(self._read_blocks)
                while len(self._read) > 1 and self._read_blocks[0] > _BLOCKS_KEPT:
                    _, oldest = self._read.popitem(last=False)  # the least recently used go first
                    self._read_blocks[0] -= len(oldest.decoded) + len(oldest.raw)
            else:
                self._read.move_to_end(key)
            return found

    def lexicon(self, leaf: Leaf, fieldname: str) -> Lexicon:
        found = leaf.lexicons.get(fieldname)
        if found is None:
            key = (leaf.name, fieldname)  # segments never change: their term lists outlive generations
            found = self._shared_lexicons.get(key)
            if found is None:
                found = self._shared_lexicons[key] = read_lexicon(leaf.reader, fieldname)
            leaf.lexicons[fieldname] = found
        return found

    def lengths(self, leaf: Leaf, fieldname: str) -> bytes:
        found = leaf.lengths.get(fieldname)
        if found is None:
            column = leaf.reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)  # type: ignore[attr-defined]
            found = getattr(column, "_bytes", None)
            if found is None:  # no lengths stored: Whoosh reads them as 1
                found = bytes(leaf.size)
            elif len(found) < leaf.size:
                # Whoosh writes none past the last document with the field (its last articles
                # with no word there but stop words): those read 0, as Whoosh's column gives them.
                # Taken for "no lengths", every length of the field was read as 1.
                found += bytes(leaf.size - len(found))
            leaf.lengths[fieldname] = found
        return found

    def norms(self, fieldname: str) -> tuple[float, list[float]]:
        """The field's average length and BM25's length normalisation for each length byte."""
        found = self._norms.get(fieldname)
        if found is None:
            average = self.searcher.avg_field_length(fieldname) or 1  # type: ignore[attr-defined]
            norm = length_norms(average, byte_to_length)
            found = self._norms[fieldname] = (average, norm)
        return found

    def info(self, leaf: Leaf, fieldname: str, term: bytes) -> bytes | None:
        """The term's info in one segment as stored (W3TermInfo's bytes), or None: from its term
        list when that is read, else one lookup in the segment's hash table, so that a search of
        whole words (`reader search WORD`, a process of its own) never reads a term list (0.2 s
        for the body of 10k articles)."""
        key = (fieldname, term)
        infos = leaf.infos
        if key in infos:
            return infos[key]
        lexicon = self._loaded(leaf, fieldname)
        if lexicon is not None:
            at = lexicon.find(term)
            found = lexicon.info(at) if at >= 0 else None
        else:
            try:
                terms = leaf.reader._terms  # type: ignore[attr-defined]
                found = terms._tindex.get(terms._keycoder(fieldname, term))
            except (AttributeError, TypeError) as error:
                raise Unsupported(f"cannot look up a term: {error}") from None
        if len(infos) > _INFOS_KEPT:
            infos.clear()
        infos[key] = found
        return found  # type: ignore[no-any-return]

    def prefetch_infos(self, terms: Iterable[tuple[str, bytes]]) -> None:
        """Look up the infos of many `terms` at once (a short prefix's completions), where their
        fields' term lists are read: neighbours in the terms file in one read (read_spans)."""
        for leaf in self.leaves:
            infos = leaf.infos
            wanted: list[tuple[tuple[str, bytes], int, int]] = []
            table = None
            for key in terms:
                if key in infos:
                    continue
                lexicon = self._loaded(leaf, key[0])
                if lexicon is None:
                    continue
                at = lexicon.find(key[1])
                if at < 0:
                    infos[key] = None
                    continue
                wanted.append((key, lexicon.places[at], lexicon.sizes[at]))
                table = lexicon.table
            if table is None:
                continue
            if len(infos) + len(wanted) > _INFOS_KEPT:
                infos.clear()
            for index, data in read_spans(table.dbfile, [(place, size) for _, place, size in wanted]):  # type: ignore[attr-defined]
                infos[wanted[index][0]] = data

    def weight(self, fieldname: str, term: bytes) -> float:
        """The term's total weight (occurrences) in every segment: Whoosh's reader.frequency."""
        total = 0.0
        for leaf in self.leaves:
            info = self.info(leaf, fieldname, term)
            if info is not None:
                total += term_weight(info)
        return total

    def _loaded(self, leaf: Leaf, fieldname: str) -> Lexicon | None:
        """The segment's term list of a field when it has been read (see lexicon), else None."""
        found = leaf.lexicons.get(fieldname)
        if found is None:
            found = self._shared_lexicons.get((leaf.name, fieldname))
            if found is not None:
                leaf.lexicons[fieldname] = found
        return found

    def frequency(self, fieldname: str, term: bytes) -> int:
        key = (fieldname, term)
        known = self._frequencies.get(key)
        if known is not None:
            return known
        tables = self._tables.get(fieldname)
        if tables is None:
            tables = self._tables[fieldname] = self._frequency_tables(fieldname)
        total = 0
        if tables:  # every segment's term list read: a dict lookup each (a prefix has thousands)
            for where, freqs in tables:
                at = where.get(term)
                if at is not None:
                    total += freqs[at]  # type: ignore[index]
            self._remember(key, total)
            return total
        for leaf in self.leaves:
            lexicon = self._loaded(leaf, fieldname)
            if lexicon is not None:
                total += lexicon.frequency(term)
                continue
            info = self.info(leaf, fieldname, term)
            if info is not None:
                total += term_frequency(info)
        self._remember(key, total)
        return total

    def _remember(self, key: tuple[str, bytes], total: int) -> None:
        if len(self._frequencies) > _FREQUENCIES_KEPT:
            self._frequencies.clear()
        self._frequencies[key] = total

    def _frequency_tables(self, fieldname: str) -> list[tuple[dict[bytes, int], object]] | None:
        """(term -> place, doc frequencies) of the field's term list in every segment, when every
        one has been read; else None (and asked again at the next term, until they are)."""
        tables = []
        for leaf in self.leaves:
            lexicon = self._loaded(leaf, fieldname)
            if lexicon is None:
                return None
            tables.append((lexicon.places_by_term(), lexicon.freqs))
        return tables

    def term_docs(self, fieldname: str, term: bytes) -> set[int]:
        """The documents with `term`, looked up in each segment's own hash table: for the fields
        of many unique terms (every link's title key), whose term lists are never read whole."""
        found: set[int] = set()
        fmt = self.searcher.schema[fieldname].format  # type: ignore[attr-defined]
        for leaf in self.leaves:
            if leaf.size <= SMALL_SEGMENT:  # its term list is short: read once, then a dict lookup
                lexicon = self.lexicon(leaf, fieldname)
                at = lexicon.find(term)
                info = lexicon.info(at) if at >= 0 else None
            else:
                terms = leaf.reader._terms  # type: ignore[attr-defined]
                info = terms._tindex.get(terms._keycoder(fieldname, term))
            if info is None:
                continue
            posting = Posting(leaf, (fieldname, term), fmt, info, Blocks([0]), b"", [], 0.0, 1.0, 0)
            for _bound, _highest, position in posting.blocks():
                ids, _weights = posting.read(position)
                found.update(local + leaf.offset for local in ids if local not in leaf.deleted)
        return found

    def prefixed(self, fieldname: str, prefix: str) -> Iterator[str]:
        """The terms of a field that start with `prefix`, from every segment (repeats possible):
        from its term list when read, else from where they start in the terms file (the first
        key typed, or a "did you mean" of `reader search`, need not read whole term lists: 0.2 s
        a field on 10k articles)."""
        encoded = prefix.encode("utf-8")
        for leaf in self.leaves:
            lexicon = self._loaded(leaf, fieldname)
            if lexicon is not None:
                for term, _freq in lexicon.prefixed(encoded):
                    yield term.decode("utf-8")
                continue
            try:
                found = read_range(leaf.reader, fieldname, encoded)
            except (KeyError, Unsupported):  # a field this segment does not have
                continue
            infos = leaf.infos
            if len(infos) + len(found) > _INFOS_KEPT:
                infos.clear()
            for term, _freq, info in found:
                infos[(fieldname, term)] = info
                yield term.decode("utf-8")
