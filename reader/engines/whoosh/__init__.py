"""The embedded engine: a Whoosh index in a folder beside the archive. This package is the only
importer of Whoosh, and importing it imports no Whoosh yet (see deferred.py)."""

from reader.engines.whoosh.deferred import DeferredIndex, open_engine

__all__ = ["DeferredIndex", "open_engine"]
