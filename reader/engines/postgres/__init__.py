"""The shared engine: an archive in a PostgreSQL database (full-text search with tsvector and GIN,
links in tables, a manifest table), for a newsroom of readers on any machine. This package is the
only importer of psycopg and psycopg_pool."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.engine import EngineError

if TYPE_CHECKING:
    from reader.engines.postgres.engine import PostgresEngine


def open_engine(url: str | None, archive: Path | None, index_dir: Path | None) -> tuple[PostgresEngine, list[str]]:
    """See reader.engines.postgres.engine.open_engine; a missing driver is one line, not a traceback."""
    try:
        from reader.engines.postgres import engine
    except ImportError as error:
        raise EngineError(
            f"the PostgreSQL engine needs psycopg 3 and psycopg_pool ({error.name} is missing): "
            "pip install 'psycopg[binary]' psycopg_pool"
        ) from None
    return engine.open_engine(url, archive, index_dir)


__all__ = ["open_engine"]
