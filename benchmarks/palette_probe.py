"""How soon Ctrl+O ("open by title") shows its first matches, at 20,000 titles:

    python -m benchmarks.palette_probe [--archive DIR] [--count 20000] [--queries 300] [--json]

Runs reader's own palette provider (`reader.tui.palette.ArticleTitlePicker`) inside a headless
Textual app, over real titles: the first line of every file of the archive (default: the 20
Newsgroups corpus, 9,962 articles), topped up to `--count` with replies to them ("Re: <title>",
as a newsgroup has) and, one in twenty, reposts under the very same title (so the palette must
read their first lines to tell them apart). The app's library is an in-memory stand-in giving
those titles and reading the archive's files for the first lines; no index is built.

For each query it times, wall (`time.perf_counter`) and CPU of the whole process
(`time.process_time`, the provider's thread included), from calling the provider's `search` to
its first yielded hit, and to its last. Queries come from titles drawn at random: two or three
of their words in another order, the same cut to prefixes (typing in progress), one with a
letter left out (a typo), and a typing run (every keystroke of a few queries, as the palette
asks). Also timed: the provider's start (preparing the titles) on the first palette opened and
on a second one (prepared titles reused). Prints a table, or JSON with `--json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import machine, percentile
from reader.core.article import Article, SkippedFile, read_article
from reader.core.links import TitleTable

NEWSGROUPS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "20newsgroups"
REPOST_EVERY = 20  # one added title in this many repeats its original exactly


class TitlesLibrary:
    """The part of `Library` the palette uses, over titles held in memory."""

    def __init__(self, pairs: list[tuple[str, str]], paths: dict[str, Path]) -> None:
        self._pairs = pairs
        self._paths = paths
        self._table = TitleTable(pairs)  # the engines keep theirs too

    def titles(self) -> TitleTable:
        return self._table

    def article_ids(self) -> list[str]:
        return [article_id for article_id, _ in self._pairs]

    def read(self, article_id: str) -> Article:
        path = self._paths.get(article_id)
        if path is None:
            raise SkippedFile("unreadable")
        return read_article(path)


def load_titles(archive: Path, count: int) -> tuple[list[tuple[str, str]], dict[str, Path]]:
    """(id, title) pairs: the archive's, then replies and reposts up to `count`."""
    pairs: list[tuple[str, str]] = []
    paths: dict[str, Path] = {}
    for path in sorted(archive.glob("*.txt")):
        with path.open(encoding="utf-8", errors="replace") as stream:
            title = " ".join(stream.readline().split())
        if title:
            pairs.append((path.stem, title))
            paths[path.stem] = path
    originals = list(pairs)
    rng = random.Random(7)
    n = 0
    while len(pairs) < count:
        article_id, title = originals[n % len(originals)]
        copy_id = f"{article_id}_r{n // len(originals)}"
        if n % REPOST_EVERY == 0:
            pairs.append((copy_id, title))  # a repost: the same title, the original's text
        else:
            pairs.append((copy_id, title if title.startswith("Re: ") else f"Re: {title}"))
        paths[copy_id] = paths[article_id]
        n += 1
    rng.shuffle(pairs)
    return pairs, paths


def make_queries(pairs: list[tuple[str, str]], count: int, seed: int = 12) -> dict[str, list[str]]:
    """Queries by kind, `count` in all, from titles drawn at random."""
    rng = random.Random(seed)
    kinds: dict[str, list[str]] = {"words shuffled": [], "prefixes": [], "typo": [], "keystrokes": []}
    per_kind = max(1, count // 4)
    while min(len(v) for k, v in kinds.items() if k != "keystrokes") < per_kind:
        _, title = rng.choice(pairs)
        words = [w for w in title.split() if w.isalpha() and len(w) > 3]
        if len(words) < 2:
            continue
        picked = rng.sample(words, min(len(words), rng.choice((2, 3))))
        rng.shuffle(picked)
        kinds["words shuffled"].append(" ".join(picked))
        kinds["prefixes"].append(" ".join(w[: rng.randint(2, max(2, len(w) - 1))] for w in picked))
        longest = max(picked, key=len)
        at = rng.randrange(1, len(longest))
        kinds["typo"].append(" ".join(w[:at] + w[at + 1:] if w == longest else w for w in picked))
    # Typing: every keystroke of a few of the shuffled queries (the palette strips the box).
    for typed in kinds["words shuffled"][: max(1, per_kind // 10)]:
        kinds["keystrokes"] += [typed[:end].strip() for end in range(1, len(typed) + 1) if typed[:end].strip()]
    return {kind: queries[:per_kind] if kind != "keystrokes" else queries for kind, queries in kinds.items()}


async def probe(pairs: list[tuple[str, str]], paths: dict[str, Path], queries: dict[str, list[str]]) -> dict[str, Any]:
    from textual.app import App

    from reader.tui import palette

    class ProbeApp(App[None]):
        def __init__(self) -> None:
            super().__init__()
            self.index = TitlesLibrary(pairs, paths)
            self.recent: list[str] = []

        def open_article(self, article_id: str) -> None:  # the palette's Protocol; never chosen here
            pass

    report: dict[str, Any] = {"titles": len(pairs), "kinds": {}}
    app = ProbeApp()
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        starts: list[tuple[float, float]] = []
        provider = None
        for _ in range(2):  # a first palette, then a second with the prepared titles reused
            provider = palette.ArticleTitlePicker(app.screen, None)
            wall, cpu = time.perf_counter(), time.process_time()
            provider._post_init()
            await provider._wait_init()  # what the empty box (recent articles) waits for
            starts.append((time.perf_counter() - wall, time.process_time() - cpu))
            preparing = getattr(provider, "_preparing", None)
            if preparing is not None:  # the titles' words, prepared meanwhile for the first search
                await preparing
            starts.append((time.perf_counter() - wall, time.process_time() - cpu))
        assert provider is not None
        for n, name in enumerate(("start_first", "words_first", "start_again", "words_again")):
            report[f"{name}_s"], report[f"{name}_cpu_s"] = starts[n]
        for kind, texts in queries.items():
            first_wall: list[float] = []
            first_cpu: list[float] = []
            all_wall: list[float] = []
            hits: list[int] = []
            for text in texts:
                wall, cpu = time.perf_counter(), time.process_time()
                found = 0
                async for _ in provider.search(text):
                    if found == 0:
                        first_wall.append(time.perf_counter() - wall)
                        first_cpu.append(time.process_time() - cpu)
                    found += 1
                if found == 0:  # nothing to show: "first matches" is the answer "none"
                    first_wall.append(time.perf_counter() - wall)
                    first_cpu.append(time.process_time() - cpu)
                all_wall.append(time.perf_counter() - wall)
                hits.append(found)
            report["kinds"][kind] = {
                "queries": len(texts),
                "first_ms_median": 1000 * statistics.median(first_wall),
                "first_ms_p95": 1000 * percentile(first_wall, 0.95),
                "first_cpu_ms_median": 1000 * statistics.median(first_cpu),
                "first_cpu_ms_p95": 1000 * percentile(first_cpu, 0.95),
                "all_ms_p95": 1000 * percentile(all_wall, 0.95),
                "no_hits": sum(1 for n in hits if n == 0),
                "hits_median": statistics.median(hits),
                "example": texts[0] if texts else "",
            }
    every_first = [k["first_ms_p95"] for k in report["kinds"].values()]
    report["worst_first_ms_p95"] = max(every_first) if every_first else float("nan")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=NEWSGROUPS, help="where the real titles come from")
    parser.add_argument("--count", type=int, default=20_000, help="how many titles the palette holds")
    parser.add_argument("--queries", type=int, default=300, help="queries drawn (a quarter of each kind)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if not args.archive.is_dir():
        print(f"palette_probe: no archive at {args.archive}", file=sys.stderr)
        return 2
    pairs, paths = load_titles(args.archive, args.count)
    queries = make_queries(pairs, args.queries)
    report = asyncio.run(probe(pairs, paths, queries))
    report["machine"] = machine()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    load = report["machine"].get("load_average_at_start")
    print(f"{report['titles']} titles from {args.archive}; load {load}")
    for name, label in (("first", "first palette"), ("again", "next palette")):
        print(f"{label}: provider started {1000 * report[f'start_{name}_s']:.0f} ms "
              f"(CPU {1000 * report[f'start_{name}_cpu_s']:.0f} ms), words ready "
              f"{1000 * report[f'words_{name}_s']:.0f} ms (CPU {1000 * report[f'words_{name}_cpu_s']:.0f} ms)")
    print(f"{'queries':<16}{'n':>5}{'first ms med':>14}{'p95':>8}{'CPU med':>9}{'CPU p95':>9}"
          f"{'all p95':>9}{'none':>6}  example")
    for kind, row in report["kinds"].items():
        print(f"{kind:<16}{row['queries']:>5}{row['first_ms_median']:>14.1f}{row['first_ms_p95']:>8.1f}"
              f"{row['first_cpu_ms_median']:>9.1f}{row['first_cpu_ms_p95']:>9.1f}{row['all_ms_p95']:>9.1f}"
              f"{row['no_hits']:>6}  {row['example']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
