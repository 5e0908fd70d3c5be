"""reader: a terminal reader for an archive of stored news articles.

For scripts: `open_archive(archive=None, index=None, engine=None)` gives a `Library` to search and
read it (see reader.core.library and the README)."""

from reader.core.library import Library, open_archive

__version__ = "0.1.0"

__all__ = ["Library", "open_archive", "__version__"]
