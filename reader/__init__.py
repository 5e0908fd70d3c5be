"""reader: a terminal reader for an archive of stored news articles.

For scripts: `open_archive(archive=None, index=None, engine=None)` gives a `Library` to search and
read it (see reader.core.library and the README)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reader.core.library import Library, open_archive

__version__ = "0.1.0"

__all__ = ["Library", "__version__", "open_archive"]


def __getattr__(name: str) -> Any:
    # The façade is imported when first asked for: `reader` (the command) imports this package
    # before anything else, and decides itself what to import when.
    if name in ("Library", "open_archive"):
        from reader.core import library

        return getattr(library, name)
    raise AttributeError(f"module 'reader' has no attribute {name!r}")
