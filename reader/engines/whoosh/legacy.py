"""Names that indexes written by earlier versions of reader pickled, so they open without a
rebuild: their schema was `reader.search.SearchSchema` (a `Schema` subclass with no state of its
own). schema.py registers this module under that name; new indexes pickle a plain Schema."""

from __future__ import annotations

from whoosh.fields import Schema


class SearchSchema(Schema):
    """An earlier version's schema class, unpickled as it was written (no __init__ runs)."""
