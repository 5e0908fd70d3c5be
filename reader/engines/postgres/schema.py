r"""The database's tables, versioned: created and migrated by reader itself, under a lock.

Everything lives in the schema `reader` of the URL's database, so it can share a database with
other applications. `reader.schema_version` holds the version of the tables; a reader that finds
an older version migrates it (when it is the writer), one finding a newer one says so.

Searching goes through key vectors (version 3): `reader.keys.kv` holds, for each article, every
key a query of reader's language can ask for, in one GIN index, so a query's words, prefixes and
operators are one `tsquery` that the index answers alone (intersecting rare and common keys
without reading the articles):

- the English stems of title and body, as `tsv` has them (plain words);
- each word as written (`stv`'s lexemes) after KEY_WORD (prefixes of four letters or more, and
  fuzzy words, match these: `\x01council`);
- each word's first one, two and three letters after KEY_PREFIX (`\x02co`, `\x02cou`): a prefix
  of up to three letters is one key instead of thousands of words (`co` has 360 words and
  half a million postings at 100k, 20 ms through the index of written words);
- (version 4) each two English stems next to each other, after and between KEY_PAIR
  (`\x03council\x03said`): a phrase's candidates are the articles holding each of its pairs,
  not every article holding its words, whose vectors were each read to check the order
  (`"council said"` at 100k: 331 matches among the 50,392 articles holding both words, 1.1 s).

(Version 5) `manifest.digest` is a digest of the bytes indexed: a file with a new time and the same
bytes has only its new time recorded (reader/core/touched.py).

`articles.kt` is the same of the title alone, small, for the title matches that type-ahead ranks
first. The keys table is narrow (an id and a TOAST pointer, about 100 rows a page), so counting
matches visits few pages; the samples' keys are in a table of their own (`reader.sample_keys`).
"""

from __future__ import annotations

import psycopg

from reader.core.engine import EngineError

SCHEMA_VERSION = 5
# pg_advisory_xact_lock keys: one writer refreshes at a time; one process migrates at a time.
WRITER_LOCK = 0x7265616465720001
MIGRATION_LOCK = 0x7265616465720002

EXTENSIONS = ("unaccent", "pg_trgm", "fuzzystrmatch")

# Fixed samples of the articles (by a hash of the id, each a part of the next larger one), with
# text indexes of their own: a broad query is counted on one, at a fraction of the cost, and the
# count scaled (search.py). The smallest first. The expression must be written exactly so in
# queries for the planner to use these indexes.
SAMPLE_SIZES = (256, 16)
"""One article in this many."""
SAMPLE_EVERY = SAMPLE_SIZES[-1]


def sample(every: int, alias: str = "a") -> str:
    """The SQL condition of the sample of one article in `every`, on the table named `alias`."""
    return f"(hashtext({alias}.id) & {every - 1}) = 0"


SAMPLE = sample(SAMPLE_EVERY)
# GIN indexes keep new entries in a pending list that every search reads one by one until it
# is merged into the index, which the inserting writer does once the list passes this many kB
# (PostgreSQL's default, 4 MB, is about 40 changed articles' words that each keystroke would
# scan; a small list keeps searches clean while a refresh writes, and the writer still merges
# its entries in batches, much faster than inserting each article's words into the tree).
PENDING_KB = 256
GIN_OPTIONS = f"WITH (fastupdate = on, gin_pending_list_limit = {PENDING_KB})"
# Version 2's sample indexes (on the articles' text vectors; version 3 drops them).
OLD_SAMPLE_INDEXES = tuple(f"articles_{column}_sample{every}" for every in SAMPLE_SIZES for column in ("tsv", "stv"))
V2_SAMPLE_INDEXES = {
    name: f"CREATE INDEX {name} ON reader.articles USING gin ({name.split('_')[1]}) {GIN_OPTIONS} "
          f"WHERE (hashtext(id) & {int(name.rsplit('sample', 1)[1]) - 1}) = 0"
    for name in OLD_SAMPLE_INDEXES
}
GIN_INDEXES = ("articles_tsv", "articles_stv", "articles_ttv", "articles_tstv", "links_title_key_trgm",
               "words_trgm")

# The markers of the key vectors (see the module's docstring). Article text holds no control
# characters (reader.core.article), and neither does a lexeme of it.
KEY_WORD = "\x01"
KEY_PREFIX = "\x02"
KEY_PAIR = "\x03"
PREFIX_KEYS = (1, 2, 3)
"""Prefixes of these lengths are keys of their own (one letter: `develop’s` typed is `develop`
and the prefix `s`; a word's first letters are few, about 20 keys an article)."""
# A lexeme holds at most 2047 bytes: a marked word must stay within it.
_LONGEST = 2046


def pairs_of(english: str) -> str:
    """The SQL of the pair keys of an English vector (see the module's docstring): lexemes at
    positions p and p + 1, which a phrase's `a <-> b` asks for. PostgreSQL keeps no position past
    16,383 apart, and neither then does its own phrase check."""
    places = f"(SELECT lexeme, unnest(positions) AS p FROM unnest({english}))"
    return (f"array_to_tsvector(ARRAY(SELECT DISTINCT E'\\x03' || x.lexeme || E'\\x03' || y.lexeme "
            f"FROM {places} x JOIN {places} y ON y.p = x.p + 1 "
            f"WHERE octet_length(x.lexeme) + octet_length(y.lexeme) < {_LONGEST - 1}))")


def keys_of(english: str, words: str, pairs: bool = True) -> str:
    """The SQL of an article's key vector from its English vector and the array of its words as
    written (`tsvector_to_array` of its simple vector, computed once by the caller).

    Built from sorted pieces (a tsvector's lexemes are sorted, and a marker before each or a
    prefix of each keeps them so), which array_to_tsvector checks in one pass and `||` merges: a
    third of the time of sorting all the keys at once. Written out in the statement rather than
    called as a function, which PostgreSQL would not inline: 0.5 ms an article instead of 0.8."""
    pieces = [(f"array_to_tsvector(ARRAY(SELECT E'\\x01' || w FROM unnest({words}) AS w "
               f"WHERE octet_length(w) <= {_LONGEST}))")]
    pieces += [f"array_to_tsvector(ARRAY(SELECT E'\\x02' || left(w, {n}) FROM unnest({words}) AS w))"
               for n in PREFIX_KEYS]
    if pairs:
        pieces.append(pairs_of(english))
    return " || ".join([f"strip({english})", *pieces])


def _keys_function(pairs: bool) -> str:
    """The same for the small title vectors, where a function is simpler to call."""
    return f"""
CREATE OR REPLACE FUNCTION reader.search_keys(english tsvector, simple tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT {keys_of("english", "tsvector_to_array(simple)", pairs)}
$$"""


KEYS_FUNCTION = _keys_function(pairs=True)
# The largest sample's key vectors are copied into a table of their own, reader.sample_keys
# (the smaller samples are partial indexes on it): a count on the sample then visits its few
# dozen pages, not most of the pages of reader.keys.
SAMPLE_TABLE_EVERY = SAMPLE_SIZES[-1]
KEY_INDEXES = {
    "keys_kv": f"CREATE INDEX keys_kv ON reader.keys USING gin (kv) {GIN_OPTIONS}",
    "sample_keys_kv": f"CREATE INDEX sample_keys_kv ON reader.sample_keys USING gin (kv) {GIN_OPTIONS}",
    **{f"sample_keys_kv{every}": f"CREATE INDEX sample_keys_kv{every} ON reader.sample_keys USING gin (kv) "
                                 f"{GIN_OPTIONS} WHERE {sample(every, 'sample_keys')}"
       for every in SAMPLE_SIZES if every != SAMPLE_TABLE_EVERY},
    "articles_kt": f"CREATE INDEX articles_kt ON reader.articles USING gin (kt) {GIN_OPTIONS}",
    # Titles of the largest sample: a short prefix matches ten thousand titles at 100k, whose
    # bitmap alone took 2 ms to build before the first 200 were ranked.
    f"articles_kt{SAMPLE_TABLE_EVERY}": f"CREATE INDEX articles_kt{SAMPLE_TABLE_EVERY} ON reader.articles USING gin (kt) "
                                        f"{GIN_OPTIONS} WHERE {sample(SAMPLE_TABLE_EVERY, 'articles')}",
}
SAMPLE_INDEXES = {name: sql for name, sql in KEY_INDEXES.items() if "sample" in name}
# The key vectors of the articles with these paths, into both tables.
def _keys_select(pairs: bool = True) -> str:
    return (f"SELECT a.id, {keys_of('a.tsv', 'ws.words', pairs)} FROM reader.articles a, "
            "LATERAL (SELECT tsvector_to_array(a.stv) AS words) AS ws")


_KEYS_SELECT = _keys_select()
INSERT_KEYS = f"""
WITH k AS (INSERT INTO reader.keys (id, kv) {_KEYS_SELECT} WHERE a.path = ANY(%s) RETURNING id, kv)
INSERT INTO reader.sample_keys (id, kv) SELECT id, kv FROM k WHERE {sample(SAMPLE_TABLE_EVERY, 'k')}
"""
# What a refresh keeps in reader.state for the readers' estimates: the articles in all and in
# each sample (search.py scales a sample's count by these).
STATE_SIZES = ("UPDATE reader.state SET articles = (SELECT count(*) FROM reader.keys), samples = ARRAY["
               + ", ".join(f"(SELECT count(*) FROM reader.sample_keys s WHERE {sample(every, 's')})"
                           for every in SAMPLE_SIZES) + "]")

# Each version's statements, applied in order from the database's version + 1.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE SCHEMA IF NOT EXISTS reader",
        # Bumped by every refresh that changed anything: readers cache titles per generation.
        "CREATE TABLE reader.state (generation bigint NOT NULL, refreshed timestamptz NOT NULL DEFAULT now())",
        "INSERT INTO reader.state (generation) VALUES (0)",
        """CREATE TABLE reader.articles (
            id text PRIMARY KEY,            -- the file stem: stable across runs, shown everywhere
            path text NOT NULL UNIQUE,      -- the file name inside the archive
            title text NOT NULL,
            title_key text NOT NULL,        -- links.title_key(title): exact link resolution
            loose_key text NOT NULL,        -- links.loose_key(title): the approximate fallback
            blocks jsonb NOT NULL,          -- the body as [[kind, text, [items]], ...]
            sections jsonb NOT NULL,        -- the link sections as [[name, [titles]], ...]
            warnings jsonb NOT NULL,        -- what the parser noticed (not UTF-8, title cut)
            body text NOT NULL,             -- Article.body_text(): snippets, more-like-this
            size bigint NOT NULL,
            mtime_ns bigint NOT NULL,
            -- English stems (unaccented), the title weighted A and the body B: ranked search
            tsv tsvector NOT NULL,
            -- the same words as written (simple config, unaccented): prefixes and fuzzy words
            stv tsvector NOT NULL,
            -- tsv and stv of the title alone (weight A): small, so titles match and rank cheaply
            ttv tsvector NOT NULL,
            tstv tsvector NOT NULL
        )""",
        "CREATE INDEX articles_tsv ON reader.articles USING gin (tsv)",
        "CREATE INDEX articles_stv ON reader.articles USING gin (stv)",
        "CREATE INDEX articles_ttv ON reader.articles USING gin (ttv)",
        "CREATE INDEX articles_tstv ON reader.articles USING gin (tstv)",
        "CREATE INDEX articles_title_key ON reader.articles (title_key)",
        "CREATE INDEX articles_loose_key ON reader.articles (loose_key)",
        # Every link of every article: backlinks are one indexed query.
        """CREATE TABLE reader.links (
            source text NOT NULL REFERENCES reader.articles (id) ON DELETE CASCADE,
            position integer NOT NULL,      -- its place among the article's links, from 0
            section text NOT NULL,
            text text NOT NULL,             -- the title it names, as written
            title_key text NOT NULL,
            loose_key text NOT NULL,
            PRIMARY KEY (source, position)
        )""",
        "CREATE INDEX links_title_key ON reader.links (title_key)",
        "CREATE INDEX links_loose_key ON reader.links (loose_key)",
        # Links spelt a few letters away from a title (links.is_close) are found by trigrams.
        "CREATE INDEX links_title_key_trgm ON reader.links USING gin (title_key gin_trgm_ops)",
        # What the last refresh saw of each file (skipped ones too): only changes are read.
        """CREATE TABLE reader.manifest (
            name text PRIMARY KEY,
            mtime_ns bigint NOT NULL,
            size bigint NOT NULL,
            article_id text,                -- NULL when skipped
            skipped text                    -- why the file is not an article
        )""",
        # Every word as written (stv's lexemes) and in how many articles: fuzzy~ words and
        # "did you mean" by trigram similarity.
        # Room on each page for a refresh's count updates to stay on it (HOT: no index updates).
        "CREATE TABLE reader.words (word text PRIMARY KEY, ndoc integer NOT NULL) WITH (fillfactor = 50)",
        "CREATE INDEX words_trgm ON reader.words USING gin (word gin_trgm_ops)",
        # Fuzzy candidates share the first letter (as Whoosh's FuzzyTerm): a range of this index.
        "CREATE INDEX words_pattern ON reader.words (word text_pattern_ops)",
        "CREATE TABLE reader.schema_version (version integer NOT NULL)",
        "INSERT INTO reader.schema_version VALUES (0)",
    ),
    # Type-ahead under load: the sample's indexes, and short pending lists (see PENDING_KB).
    2: (
        *(f"ALTER INDEX IF EXISTS reader.{name} SET (fastupdate = on, gin_pending_list_limit = {PENDING_KB})"
          for name in GIN_INDEXES),
        *(f"SELECT gin_clean_pending_list(to_regclass('reader.{name}')) WHERE to_regclass('reader.{name}') "
          "IS NOT NULL" for name in GIN_INDEXES),
        *(f"DROP INDEX IF EXISTS reader.{name}" for name in OLD_SAMPLE_INDEXES),
        *V2_SAMPLE_INDEXES.values(),
    ),
    # Key vectors: one GIN index answers words, short prefixes and operators (see the docstring).
    3: (
        # First the text vectors' indexes, which every row of the update below would add to.
        *(f"DROP INDEX IF EXISTS reader.{name}" for name in (*OLD_SAMPLE_INDEXES, *GIN_INDEXES[:4])),
        _keys_function(pairs=False),  # version 3's keys: version 4 adds the pairs
        "ALTER TABLE reader.articles ADD COLUMN kt tsvector",
        "UPDATE reader.articles SET kt = reader.search_keys(ttv, tstv)",
        "ALTER TABLE reader.articles ALTER COLUMN kt SET NOT NULL",
        "CREATE TABLE reader.keys (id text PRIMARY KEY, kv tsvector NOT NULL)",
        "CREATE TABLE reader.sample_keys (id text PRIMARY KEY, kv tsvector NOT NULL)",
        f"INSERT INTO reader.keys (id, kv) {_keys_select(pairs=False)}",
        f"INSERT INTO reader.sample_keys (id, kv) SELECT id, kv FROM reader.keys k WHERE {sample(SAMPLE_TABLE_EVERY, 'k')}",
        "SET LOCAL maintenance_work_mem = '256MB'",
        *KEY_INDEXES.values(),
        "ALTER TABLE reader.state ADD COLUMN articles bigint NOT NULL DEFAULT 0",
        "ALTER TABLE reader.state ADD COLUMN samples bigint[] NOT NULL DEFAULT '{}'",
        STATE_SIZES,
        "ANALYZE reader.keys",
        "ANALYZE reader.sample_keys",
        "ANALYZE reader.articles",
    ),
    # Pair keys: phrases find their candidates by the index (see the docstring). The key
    # indexes are made again after, rather than updated row by row.
    4: (
        *(f"DROP INDEX IF EXISTS reader.{name}" for name in KEY_INDEXES),
        KEYS_FUNCTION,
        f"UPDATE reader.keys k SET kv = k.kv || {pairs_of('a.tsv')} FROM reader.articles a WHERE a.id = k.id",
        "UPDATE reader.sample_keys s SET kv = k.kv FROM reader.keys k WHERE k.id = s.id",
        f"UPDATE reader.articles SET kt = kt || {pairs_of('ttv')}",
        "SET LOCAL maintenance_work_mem = '256MB'",
        *KEY_INDEXES.values(),
        "ANALYZE reader.keys",
        "ANALYZE reader.sample_keys",
        "ANALYZE reader.articles",
    ),
    # The digest of each file's bytes; NULL for the rows written before (those are read again).
    5: ("ALTER TABLE reader.manifest ADD COLUMN digest text",),
}


def installed_version(conn: psycopg.Connection) -> int | None:
    """The version of the tables in the database; None when reader has never written there."""
    row = conn.execute("SELECT to_regclass('reader.schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    found = conn.execute("SELECT max(version) FROM reader.schema_version").fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def check_version(version: int | None) -> None:
    """`EngineError` when the tables are newer than this reader understands."""
    if version is not None and version > SCHEMA_VERSION:
        raise EngineError(
            f"the database holds a reader index of version {version}; this reader knows "
            f"version {SCHEMA_VERSION}: upgrade reader"
        )


def migrate(conn: psycopg.Connection) -> int:
    """Create or migrate the tables to SCHEMA_VERSION in one transaction (another process doing
    the same waits for it); returns the version found before."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        version = installed_version(conn)
        check_version(version)
        before = version or 0
        if before < SCHEMA_VERSION:
            for extension in EXTENSIONS:
                _create_extension(conn, extension)
        for step in range(before + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
            conn.execute("UPDATE reader.schema_version SET version = %s", (step,))
        return before


def _create_extension(conn: psycopg.Connection, name: str) -> None:
    present = conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", (name,)).fetchone()
    if present:
        return
    try:
        with conn.transaction():
            # The names are this module's constants, never user text.
            conn.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
    except psycopg.errors.InsufficientPrivilege:
        raise EngineError(
            f"the PostgreSQL extension {name} is not installed and this user may not install it: "
            f"run `CREATE EXTENSION {name};` as the database owner"
        ) from None
