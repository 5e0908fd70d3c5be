"""reader's performance benchmark: one command, a table per archive, every figure in JSON.

    python -m benchmarks.run --sizes 1k,10k,100k     # the full run (100k takes a while)
    python -m benchmarks.run --quick                 # a smoke run on 1k in about a minute

For each archive (synthetic archives of the given sizes, generated once into the work folder, and
every real corpus under ../shared/corpora/ when present) it measures, side by side in one run:
- the full index build: the real `reader index --rebuild` command against a bare Whoosh writer fed
  the same documents from memory with the best settings found (benchmarks/floor.py), and SQLite FTS5;
- refreshing the index with nothing changed and with 10 files changed (the real command);
- type-ahead (each query typed key by key, as the TUI asks: `ArchiveIndex.search(text,
  typeahead=True, limit=PAGE_SIZE, snippets=FIRST_SNIPPETS, suggest=False)`), phrase, boolean and fuzzy queries,
  against `rg -i -l` over the files and SQLite FTS5 over the same texts;
- opening an article: read and parse, lay out, resolve links, backlinks, more like this;
- cold start to the TUI's first painted screen (headless) and `reader search WORD` end to end;
- the peak memory of a scripted TUI session (search, open, follow a link, back);
- indexing as it is lived (benchmarks/live.py): a fresh archive's time to first results, and a
  file written into a watched archive's time to being found.

The work folder ($READER_BENCH_DIR, default /tmp/reader-bench) keeps the archives, reader's index,
the FTS5 database and the build figures; they are reused while the archive and reader's source are
unchanged (`--fresh-build` measures the builds again). Figures go to benchmarks/results/latest.json
and a Markdown table to benchmarks/results/latest.md.

The sections are measured by benchmarks/bench_build.py (build, refresh), bench_queries.py (queries,
opening articles), bench_start.py (start, session) and live.py; benchmarks/settings.py holds the
settings, rows and helpers they share, and benchmarks/report.py judges the targets and writes the
tables. This module reads the options and runs the sections, archive by archive.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import gen_archive
from benchmarks.bench_build import bench_build, bench_refresh
from benchmarks.bench_queries import bench_queries, tui_constants
from benchmarks.bench_start import bench_session, bench_start
from benchmarks.live import bench_live
from benchmarks.measure import machine
from benchmarks.report import judge, print_tables, write_results
from benchmarks.settings import (
    CORPORA,
    RESULTS,
    ROW_KEYS,
    TARGET_KEYS,
    ArchiveSpec,
    Result,
    Settings,
    parse_size,
    say,
    size_name,
)

# The smoke test reads the row and target keys from here.
__all__ = ["ROW_KEYS", "TARGET_KEYS", "main"]


# --- archives -------------------------------------------------------------------------------------


def archive_specs(sizes: Sequence[int], corpora: Sequence[Path], work: Path) -> list[ArchiveSpec]:
    specs = [ArchiveSpec(f"synthetic-{size_name(n)}", "synthetic", work / "archives" / size_name(n), n) for n in sizes]
    specs += [ArchiveSpec(path.name, "corpus", path) for path in corpora]
    return specs


def ensure_archive(spec: ArchiveSpec) -> None:
    if spec.size is None:
        return
    if not gen_archive.is_complete(spec.path, spec.size):
        say(f"generating {spec.size:,} articles into {spec.path}")
        gen_archive.generate(spec.path, spec.size)


# --- main -----------------------------------------------------------------------------------------


# Each section's function, in the order a run measures them (each takes spec, settings, result, place).
STEPS: tuple[tuple[str, Callable[[ArchiveSpec, Settings, Result, Path], None]], ...] = (
    ("build", bench_build), ("refresh", bench_refresh), ("queries", bench_queries),
    ("start", bench_start), ("session", bench_session), ("live", bench_live),
)
SECTIONS = tuple(name for name, _ in STEPS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="synthetic archive sizes, e.g. 1k,10k,100k (default: 1k,10k,100k; 1k with --quick)")
    parser.add_argument("--corpora", nargs="*", type=Path, default=None,
                        help="real corpora to include (default: every folder under ../shared/corpora)")
    parser.add_argument("--no-corpora", action="store_true", help="synthetic archives only")
    parser.add_argument("--quick", action="store_true", help="fewer queries and repeats: a smoke run")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("READER_BENCH_DIR", "/tmp/reader-bench")),
                        help="where archives, indexes and cached build figures are kept ($READER_BENCH_DIR)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.json and latest.md")
    parser.add_argument("--fresh-build", action="store_true", help="measure the builds again even when cached")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of the last latest.json that this run does not measure")
    parser.add_argument("--keep-build", action="store_true",
                        help="use cached build figures and index even if reader's build code changed since (noted in the output)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"what to measure ({','.join(SECTIONS)})")
    parser.add_argument("--queries", type=int, default=None, help="queries per class (default 200; 40 quick)")
    args = parser.parse_args(argv)

    sizes = [parse_size(s) for s in (args.sizes or ("1k" if args.quick else "1k,10k,100k")).split(",") if s.strip()]
    if args.no_corpora:
        corpora: list[Path] = []
    elif args.corpora is not None:
        corpora = list(args.corpora)
    else:
        corpora = sorted(p for p in CORPORA.iterdir() if p.is_dir()) if CORPORA.is_dir() and not args.quick else []
    page, first, _ = tui_constants()
    n = args.queries or (40 if args.quick else 200)
    settings = Settings(
        quick=args.quick, work=args.work.resolve(), rows=first, page=page, queries=n,
        sequences=max(5, n // 8) if args.quick else n, rg_sample=20 if args.quick else 200, opens=n,
        starts=3 if args.quick else 10, refresh_rounds=1 if args.quick else 5, fresh_build=args.fresh_build,
        sections=set(args.sections.split(",")), keep_build=args.keep_build,
    )
    settings.work.mkdir(parents=True, exist_ok=True)
    meta: dict[str, object] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "versions": _versions(),
        "settings": {"page_size": page, "snippets": first, "queries_per_class": n, "typeahead_queries": settings.sequences,
                     "rg_sample": settings.rg_sample, "work": str(settings.work)},
    }
    results: list[Result] = []
    for spec in archive_specs(sizes, corpora, settings.work):
        ensure_archive(spec)
        place = settings.work / spec.name
        place.mkdir(parents=True, exist_ok=True)
        result = Result(spec)
        if args.merge:
            _merge_previous(result, args.out / "latest.json", meta, settings.sections)
        result.articles = sum(1 for name in os.listdir(spec.path) if name.endswith(".txt") and not name.startswith("."))
        for name, step in STEPS:
            if name in settings.sections:
                say(f"{spec.name}: {name}")
                step(spec, settings, result, place)
        judge(result)
        results.append(result)
        write_results(results, meta, args.out, args.merge)  # after each archive, so a long run leaves figures behind
    print_tables(results, meta)
    say(f"figures written to {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    return 0


def _merge_previous(result: Result, path: Path, meta: dict[str, object], sections: set[str]) -> None:
    """Start from the rows an earlier run wrote for this archive (--merge), and its notes of the
    sections this run does not measure again (a note without its section, from an older file, is
    left out: it may no longer hold)."""
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
        archive = earlier["archives"][result.spec.name]
    except (OSError, ValueError, KeyError):
        return
    result.rows.update(archive.get("rows", {}))
    sections_of = archive.get("note_sections", {})
    for text in archive.get("notes", []):
        section = sections_of.get(text)
        if section is not None and section not in sections:
            result.note(section, text)
    commands = meta.setdefault("merged_from", [])
    assert isinstance(commands, list)
    commands.append({"date": earlier["meta"].get("date"), "command": earlier["meta"].get("command"),
                     "load_average_at_start": earlier["meta"].get("machine", {}).get("load_average_at_start")})


def _versions() -> dict[str, str]:
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    from benchmarks.references import find_rg

    versions: dict[str, str] = {}
    for name, distributions in (("whoosh", ("Whoosh-Reloaded", "Whoosh")), ("textual", ("textual",)), ("rich", ("rich",))):
        for distribution in distributions:
            try:
                versions[name] = f"{distribution} {version(distribution)}"
                break
            except PackageNotFoundError:
                continue
    versions["sqlite"] = sqlite3.sqlite_version
    rg = find_rg()
    versions["rg"] = (subprocess.run([rg, "--version"], check=False, capture_output=True, text=True).stdout.split("\n")[0]
                      if rg else "not found")
    return versions


if __name__ == "__main__":
    sys.exit(main())
