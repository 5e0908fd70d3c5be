"""Reference engines to time side by side with reader: ripgrep over the raw files and SQLite FTS5.

Neither depends on the `reader` package. A reference that cannot run on this machine raises
`ReferenceUnavailable`, which a benchmark catches and reports as "n/a".
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

# Paths handed to one rg call: well under ARG_MAX (~2 MB) for 27-byte names, like xargs does.
_ARGS_PER_CALL = 20_000
_RG_HINT = "install it (apt-get install ripgrep, or pip install --only-binary :all: ripgrep)"
# Runs of letters/digits, as FTS5's unicode61 tokenizer splits them (underscore separates too).
_FTS_TOKEN = re.compile(r"[^\W_]+")
# Characters that are special in ripgrep's (Rust) regex syntax; escaping them is always allowed.
_RG_META = re.compile(r"([\\.+*?()|\[\]{}^$#&\-~])")


class ReferenceUnavailable(RuntimeError):
    """A reference engine cannot run here (tool or SQLite feature missing)."""


def find_rg() -> str | None:
    """The ripgrep binary: `rg` on PATH, else the one the PyPI `ripgrep` wheel puts in this venv."""
    found = shutil.which("rg")
    if found:
        return found
    # The wheel installs `rg` into the environment's scripts dir, which is only on PATH
    # when the venv is activated.
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder) / "rg"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


class RipgrepRef:
    """What a grep user pays: one whole `rg` process per query word, over the raw files.

    A multi-word query is run the way it is typed at a shell, as a pipeline
    `rg -il -F w1 | xargs rg -il -F w2 | ...`: the first word scans the whole folder, each later
    word scans only the files still matching (passed as arguments in chunks, as xargs would),
    in typed order. Every word is a case-insensitive literal substring (`-F`), so a prefix is
    matched as typed and `last_is_prefix` changes nothing; with `whole_words=True` each word
    must instead start at a word boundary and every word but a prefix last one end at one
    (regex `\\bword\\b` / `\\bword`), which mirrors an index's token matching more closely.
    Only `*.txt` files are searched; hidden files (the generator's `.complete`) are skipped and
    ignore files are not honoured. The time measured is whole-process time: spawning rg, walking
    the folder, reading every candidate file (from the page cache when warm) and matching.
    """

    def __init__(self, archive_dir: Path, *, rg: str | None = None, whole_words: bool = False,
                 threads: int | None = None) -> None:
        self.archive_dir = Path(archive_dir)
        if not self.archive_dir.is_dir():
            raise FileNotFoundError(self.archive_dir)
        binary = rg or find_rg()
        if binary is None:
            raise ReferenceUnavailable(f"ripgrep (rg) not found: {_RG_HINT}")
        self.rg = binary
        self.whole_words = whole_words
        self.threads = threads  # None: rg's default (all cores)

    def version(self) -> str:
        out = subprocess.run([self.rg, "--version"], capture_output=True, text=True, check=True)
        return out.stdout.splitlines()[0]

    def _pattern_args(self, word: str, prefix: bool) -> list[str]:
        if not self.whole_words:
            return ["-F", "-e", word]
        escaped = _RG_META.sub(r"\\\1", word)
        return ["-e", rf"\b{escaped}" if prefix else rf"\b{escaped}\b"]

    def _run(self, pattern: list[str], paths: Sequence[str]) -> list[str]:
        cmd = [self.rg, "--no-config", "--files-with-matches", "--ignore-case", "--no-ignore",
               "--no-messages", "--glob", "*.txt"]
        if self.threads:
            cmd += ["--threads", str(self.threads)]
        cmd += [*pattern, "--", *paths]
        proc = subprocess.run(cmd, check=False, cwd=self.archive_dir, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        if proc.returncode not in (0, 1):  # 1 means "no match"
            raise RuntimeError(f"rg failed ({proc.returncode}): {proc.stderr.strip()}")
        return [line.removeprefix("./") for line in proc.stdout.splitlines()]

    def query(self, words: list[str], last_is_prefix: bool) -> list[str]:
        """Article ids (file stems, sorted) whose text contains every word."""
        words = [w for w in words if w.strip()]
        if not words:
            return []
        files: list[str] | None = None
        for k, word in enumerate(words):
            pattern = self._pattern_args(word, last_is_prefix and k == len(words) - 1)
            if files is None:
                files = self._run(pattern, ["."])
            else:
                kept: list[str] = []
                for start in range(0, len(files), _ARGS_PER_CALL):
                    kept += self._run(pattern, files[start:start + _ARGS_PER_CALL])
                files = kept
            if not files:
                return []
        return sorted(Path(f).stem for f in files or [])


def fts5_available() -> bool:
    """Whether this Python's SQLite was compiled with FTS5."""
    try:
        with sqlite3.connect(":memory:") as conn:
            conn.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False


def fts5_match_expression(text: str, last_is_prefix: bool) -> str:
    """User text as a safe FTS5 query: each token a quoted string, ANDed; `*` on the last if prefix.

    Quoting makes FTS5 operators (AND, OR, NOT, NEAR, column filters, `^`, `*`) literal words.
    """
    tokens = _FTS_TOKEN.findall(text)
    parts = ['"' + tok.replace('"', '""') + '"' for tok in tokens]
    if parts and last_is_prefix:
        parts[-1] += "*"
    return " ".join(parts)


class Fts5Ref:
    """A SQLite FTS5 table over the same files: title (line 1) and body (the rest), bm25-ranked.

    The default tokenizer stems with Porter, like reader's analyzer. FTS5 stems a prefix query's
    text too, so a prefix that is not itself a stem ("safeguardi*") may miss words it starts;
    pass `tokenize="unicode61 remove_diacritics 2"` to compare without stemming. `prefix` adds
    FTS5 prefix indexes (lengths 2 and 3 by default) so short type-ahead prefixes stay fast.
    """

    TABLE = "articles"

    def __init__(self, archive_dir: Path, db_path: Path, *,
                 tokenize: str = "porter unicode61 remove_diacritics 2",
                 prefix: str | None = "2 3", title_weight: float = 10.0) -> None:
        if not fts5_available():
            raise ReferenceUnavailable("this Python's SQLite has no FTS5")
        self.archive_dir = Path(archive_dir)
        self.db_path = Path(db_path)
        self.tokenize = tokenize
        self.prefix = prefix
        self.title_weight = title_weight
        self._conn: sqlite3.Connection | None = None

    def _articles(self) -> Iterator[tuple[str, str, str]]:
        for path in sorted(self.archive_dir.glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            title, _, body = text.partition("\n")
            yield path.stem, title, body

    def build(self) -> float:
        """(Re)build the database from the files; returns wall seconds, file reading included."""
        start = time.perf_counter()
        self.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_path)
        try:
            # A throwaway build: durability buys nothing, so skip the journal and fsyncs.
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            options = f", tokenize='{self.tokenize}'"
            if self.prefix:
                options += f", prefix='{self.prefix}'"
            conn.execute(f"CREATE VIRTUAL TABLE {self.TABLE} USING fts5(id UNINDEXED, title, body{options})")
            with conn:
                conn.executemany(f"INSERT INTO {self.TABLE}(id, title, body) VALUES (?, ?, ?)", self._articles())
            with conn:
                conn.execute(f"INSERT INTO {self.TABLE}({self.TABLE}) VALUES ('optimize')")
        finally:
            conn.close()
        return time.perf_counter() - start

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self.db_path.is_file():
                raise FileNotFoundError(f"{self.db_path}: call build() first")
            self._conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
        return self._conn

    def query(self, text: str, last_is_prefix: bool, limit: int = 20) -> list[tuple[str, str, str]]:
        """Top `limit` (id, title, snippet) for all words of `text`, best bm25 first."""
        expression = fts5_match_expression(text, last_is_prefix)
        if not expression:
            return []
        sql = (
            f"SELECT id, title, snippet({self.TABLE}, 2, '[', ']', '…', 12) FROM {self.TABLE} "
            f"WHERE {self.TABLE} MATCH ? ORDER BY bm25({self.TABLE}, 0.0, ?, 1.0) LIMIT ?"
        )
        return self._connection().execute(sql, (expression, self.title_weight, limit)).fetchall()

    def match(self, expression: str, limit: int = 20) -> list[tuple[str, str, str]]:
        """Top `limit` (id, title, snippet) for an FTS5 query expression as it is (phrases in double
        quotes, AND / OR / NOT, parentheses: the same spelling as Whoosh's for those)."""
        sql = (
            f"SELECT id, title, snippet({self.TABLE}, 2, '[', ']', '…', 12) FROM {self.TABLE} "
            f"WHERE {self.TABLE} MATCH ? ORDER BY bm25({self.TABLE}, 0.0, ?, 1.0) LIMIT ?"
        )
        return self._connection().execute(sql, (expression, self.title_weight, limit)).fetchall()

    def count(self, text: str, last_is_prefix: bool) -> int:
        """How many articles match (the total a result list would show)."""
        expression = fts5_match_expression(text, last_is_prefix)
        if not expression:
            return 0
        sql = f"SELECT count(*) FROM {self.TABLE} WHERE {self.TABLE} MATCH ?"
        return self._connection().execute(sql, (expression,)).fetchone()[0]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
