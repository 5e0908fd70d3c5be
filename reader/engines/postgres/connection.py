"""Connections to the PostgreSQL server: one pool per engine, shared by every worker thread, and
the driver's errors turned into one line that names the host and database, never the password.

A lost server (restarted, network gone) makes the pool's connections fail; the pool checks a
connection before lending it and opens a new one when it is broken, so the first call after the
server returns works again. Until then every call raises `EngineUnavailable`, which the faces show
as a one-line message (and the TUI as a state it leaves by itself).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from reader.core.engine import EngineError
from reader.core.types import EngineUnavailable as CoreEngineUnavailable

# Worker threads of the TUI (search, snippets, article, index) and the 20 readers of the load test
# fit; a waiting caller gets a connection within this many seconds or a one-line error.
POOL_MAX = 8
POOL_WAIT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 5
# A statement of a reader (not of a refresh) is cancelled after this long: a hostile query must
# not hold a connection of the shared pool.
STATEMENT_TIMEOUT_MS = 15_000
# A connection lent again within this many seconds of its last use is not checked first (a round
# trip per keystroke otherwise); a broken one then fails that one call, and the pool drops it.
CHECK_AFTER_SECONDS = 2.0


# The pool logs each failed reconnection attempt; without a handler of the application's, Python
# would print them on stderr under the one-line message the faces give.
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())


class EngineUnavailable(EngineError, CoreEngineUnavailable):
    """The server cannot be reached or refused us (one line; names host and database only).

    Also an `IndexMissing` so a face that waits for an index to appear (the TUI) shows it as a
    state, not a traceback, and tries again."""


def describe(url: str) -> str:
    """`database DB on HOST[:PORT]` for messages: no user name, no password."""
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "a PostgreSQL database (the URL cannot be read)"
    host = str(params.get("host") or "localhost")
    if host.startswith("/"):
        host = f"the socket in {host}"
    port = params.get("port")
    where = f"{host}:{port}" if port and str(port) != "5432" else host
    return f"database {params.get('dbname') or '(default)'} on {where}"


def _reason(error: BaseException) -> str:
    """The first line of a driver error, without anything after a password could be echoed."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    # libpq quotes the connection string in some messages ("invalid connection option …").
    if "password" in text.lower() and "=" in text:
        return "authentication failed"
    return text[:200]


class Database:
    """A pool of connections to one database; `connection()` lends one for a unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = describe(url)
        try:
            conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            raise EngineError(f"cannot read the PostgreSQL URL: {_reason(error)}") from None
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()
        self._used: dict[int, float] = {}  # id of a pooled connection: when it was last given back

    def _opened(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=POOL_MAX,
                    open=False,
                    timeout=POOL_WAIT_SECONDS,
                    check=self._check,
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                            "application_name": "reader"},
                    configure=_configure,
                    name="reader",
                )
                self._pool.open(wait=False)
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection in autocommit mode; wrap writes in `conn.transaction()`."""
        try:
            with self._opened().connection() as conn:
                yield conn
                self._used[id(conn)] = time.monotonic()
        except PoolTimeout:
            raise EngineUnavailable(f"cannot reach PostgreSQL ({self.where}): no connection within "
                                    f"{POOL_WAIT_SECONDS:.0f} s; is the server running?") from None
        except psycopg.OperationalError as error:
            raise EngineUnavailable(f"lost the connection to PostgreSQL ({self.where}): {_reason(error)}") from None

    def _check(self, conn: psycopg.Connection) -> None:
        """The pool's check before lending a connection: a round trip, unless it was in use
        moments ago."""
        used = self._used.pop(id(conn), None)
        if used is None or time.monotonic() - used > CHECK_AFTER_SECONDS:
            ConnectionPool.check_connection(conn)

    def dedicated(self) -> psycopg.Connection:
        """A connection of its own, outside the pool: the writer holds its lock and transaction
        for as long as a refresh takes, which must not starve the readers' pool."""
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                   application_name="reader index")
        except psycopg.OperationalError as error:
            raise EngineUnavailable(f"cannot connect to PostgreSQL ({self.where}): {_reason(error)}") from None
        return conn

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _configure(conn: psycopg.Connection) -> None:
    conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    # Searches end in LIMIT, and the planner then likes to walk the table until enough rows pass
    # the text filter, reading and unpacking each article's tsvector: 30 ms for two common words
    # at 100k, against under 2 ms through the GIN index. Readers always have an index to use.
    conn.execute("SET enable_seqscan = off")
    # Which makes a query that has to scan (a one-row table, a negated phrase) cost 10^10 for
    # the planner, so it would be compiled by JIT first: 100-250 ms for `SELECT generation
    # FROM reader.state`. Nothing a reader asks gains from JIT.
    conn.execute("SET jit = off")
    # A keystroke's statement has the same text for every query of its shape (the query is a
    # parameter) and is prepared; planning it again for each keystroke was 0.7 ms of server CPU.
    # Its plan does not depend on the values (GIN indexes, seqscan off).
    conn.execute("SET plan_cache_mode = force_generic_plan")


def translate(error: psycopg.Error, where: str) -> EngineError:
    """A driver error of a statement as a one-line `EngineError` (lost connections as
    `EngineUnavailable`)."""
    if isinstance(error, psycopg.OperationalError):
        return EngineUnavailable(f"lost the connection to PostgreSQL ({where}): {_reason(error)}")
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return EngineError(f"PostgreSQL ({where}) refused: {_reason(error)}")
    return EngineError(f"PostgreSQL ({where}) failed: {_reason(error)}")
