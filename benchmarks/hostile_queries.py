"""Every hostile query of issue 5 against a generated archive: how long each class takes.

Usage:
    python benchmarks/hostile_queries.py [--archive /tmp/bench-archives/10k] [--index DIR]

The archive is generated (benchmarks/gen_archive.py, 10,000 articles) when the folder holds no
complete one, and indexed into --index (default: a folder beside the archive) when needed. Each
query runs in one warm process as a plain search (what `reader search` does) and as type-ahead
(what the TUI sends on every key), 20 hits with their snippets, and once more to take the better
of two times (these machines are shared). Prints one row per query class: queries, how many were
refused with a message, and the median and max time per query. The bar (issue 5): none over 1 s.

The same query lists drive tests/reliability/test_hostile_queries.py.
"""

from __future__ import annotations

import argparse
import statistics
import string
import sys
import time
from pathlib import Path

LIMIT_SECONDS = 1.0

_P = string.punctuation


def hostile_queries() -> dict[str, list[str]]:
    """Query class -> queries. Every ASCII punctuation character alone and in pairs, unbalanced
    quotes and brackets, unknown fields, wildcards, fuzzy and boost syntax, operators alone,
    10,000-character queries (and ones just under the length limit, which do reach the engine),
    Unicode, emoji, and control characters."""
    return {
        "punctuation alone": list(_P),
        "punctuation pairs": [a + b for a in _P for b in _P],
        "unbalanced quotes, brackets": [
            '"', '"word', 'word"', '"a "b" c', "'", "'word", "(", ")", "((word)", "(word))", ")(",
            "(()", "[", "]", "{", "}", "[a TO", "a TO b]", "{a TO b", '"("', '("a)"', "word (", "( word",
        ],
        "field names": [
            "nosuchfield:word", "title:", "title:(", ":word", "id:", 'body:"unclosed', "TITLE:word",
            "a:b:c", "title:title:word", "path:x", "links:x", "size:[0 TO 5]", "mtime:1", "title_key:x",
            "link_keys:x", "Baby P: Ed Balls", "http://example.com/a?b=c&d", "C:\\Windows\\x",
        ],
        "wildcards": [
            "*", "**", "?", "*?", "a*", "ab*", "*a", "*a*", "a?b", "ab?*", "title:*", "body:*", "*:*",
            "* *", "*" * 50, "ab*cd*ef", "safe*", "s*", "?????",
        ],
        "fuzzy, boost, slop": [
            "a~", "a~9", "word~9999", "ab~2/9", "safeguard~9/1", "word^", "word^999999999999",
            "word^-1", '"a b"~99999', "~", "^", "word~2/1", "~word", "^word", "word~~", "word^^2",
        ],
        "operators alone": [
            "AND", "OR", "NOT", "AND OR NOT", "NOT word", "word AND", "word OR", "ANDNOT", "ANDMAYBE",
            "TO", "-", "+", "- word", "word -", "AND AND AND", "NOT NOT word", "(AND)",
        ],
        "10,000 characters": [
            "a" * 10_000, "word " * 2_000, "(" * 10_000, '"' * 10_000, "*" * 10_000,
            "safeguard " * 1_000, "日本" * 5_000, "a*" * 5_000, "😀" * 10_000, "~" * 10_000,
        ],
        "just under the length limit": [
            "safeguard " * 99, "ab* " * 249, "sa* " * 249, "word~2 " * 142, "x OR " * 199,
            '"a b" ' * 166, "(a (b (c " * 55 + ")))" * 55, "title:a " * 124, "NOT a " * 166,
        ],
        "unicode, emoji": [
            "日本語", "café", "cafe\u0301", "😀", "👩\u200d👩\u200d👧\u200d👦", "safeguard 😀",
            "\u200f", "\u202eword", "\u2028", "\ufdfa", "\u01c4", "ß", "İstanbul", "ＡＢＣ",
            "word\u0301\u0301\u0301", "\ufeffword", "\U0001f1ec\U0001f1e7", "\U000e0041", "\udcff",
        ],
        "control characters": [
            "\x00", "\x07", "\x08", "\r", "\t", "\n", "a\x00b", "\x1b", "\x1b[31mred", "\x9b31m",
            "\x1b]52;c;aGVsbG8=\x07", "word\rover",
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=Path("/tmp/bench-archives/10k"))
    parser.add_argument("--count", type=int, default=10_000, help="articles to generate if the archive is missing")
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: ARCHIVE-hostile-index)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.gen_archive import generate
    from reader.core.archive import scan
    from reader.engines.whoosh.index import ArchiveIndex

    archive: Path = args.archive
    if not archive.is_dir() or not scan(archive):
        print(f"generating {args.count:,} articles into {archive} …", file=sys.stderr)
        generate(archive, args.count)
    index_dir = args.index or archive.with_name(archive.name + "-hostile-index")
    index = ArchiveIndex(archive, index_dir)
    if index.needs_refresh():
        print(f"indexing {archive} into {index_dir} …", file=sys.stderr)
        index.refresh()
    index.search("warm up")  # open the searcher and load titles once, as a running TUI has

    files = len(scan(archive))
    print(f"hostile queries on {files:,} articles ({archive}); best of 2 runs, 20 hits with snippets")
    print(f"{'class':<30} {'mode':<10} {'queries':>7} {'refused':>7} {'median ms':>10} {'max ms':>9}  slowest")
    total = over = 0
    worst_overall = 0.0
    for name, queries in hostile_queries().items():
        for typeahead in (False, True):
            times: list[float] = []
            refused = 0
            slowest = ("", 0.0)
            for query in queries:
                best = float("inf")
                for _ in range(2):
                    started = time.perf_counter()
                    page = index.search(query, limit=20, typeahead=typeahead, snippets=20)
                    best = min(best, time.perf_counter() - started)
                times.append(best)
                refused += page.error is not None
                if best > slowest[1]:
                    slowest = (query, best)
                over += best > LIMIT_SECONDS
            total += len(queries)
            worst_overall = max(worst_overall, max(times))
            shown = repr(slowest[0][:24] + ("…" if len(slowest[0]) > 24 else ""))
            print(
                f"{name:<30} {'type-ahead' if typeahead else 'search':<10} {len(queries):>7} {refused:>7} "
                f"{statistics.median(times) * 1000:>10.1f} {max(times) * 1000:>9.1f}  {shown}"
            )
    print(f"{total:,} query runs; slowest {worst_overall * 1000:.0f} ms; {over} over {LIMIT_SECONDS:.0f} s")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
