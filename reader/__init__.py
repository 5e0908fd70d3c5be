"""reader: a terminal reader for an archive of stored news articles."""

__version__ = "0.1.0"
