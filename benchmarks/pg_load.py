"""Load and faults of the PostgreSQL engine (issue 15, item 7): a synthetic archive loaded into
PostgreSQL, one reader typing titles letter by letter, then many readers typing at once while one
writer refreshes changed files, then the server restarted under a typing reader.

Usage:
    python benchmarks/pg_load.py [--count 100000] [--readers 20] [--seconds 60] [--changed 100]
                                 [--url postgresql://USER@HOST/DB [--server-data DIR]] [--whoosh]
                                 [--keys FILE]

Without --url a throwaway server is started (tests/engines/pg_server.py: initdb + pg_ctl in a
temporary folder) and the restart is measured too. The archive is generated (benchmarks/
gen_archive.py) into its own folder, /tmp/pg-load-archives/N, because the writer changes files.
Every keystroke is what the TUI asks: `search(text, limit=50, typeahead=True, snippets=12)`.
Prints a Markdown table of the figures and the command that made them.

Wrong results: every keystroke of the single reader, and a sample of the loaded readers', is
checked after the timed part against the query's whole match set, read with no bound (the
translated query over every article's keys), and each listed hit against the query's condition on
the article's own text vectors (not the keys): a listed hit that does not match, a hit listed twice,
a page shorter than the matches allow (a blank page for a real title among them), or a count that
is neither exact nor, flagged "about", within 25%. The writer only adds the words of
`WRITER_WORDS` to bodies, so keystrokes whose words could match those are left out of the check
of the loaded part (their answer may have changed since); the table says how many were checked.
`--keys FILE` writes every keystroke's time (JSON lines) to find the slow ones.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "engines")]

from benchmarks.gen_archive import generate
from benchmarks.measure import percentile
from reader.core.library import open_archive

PAGE, SNIPPETS = 50, 12  # reader/tui/screens/search.py: PAGE_SIZE, FIRST_SNIPPETS
TYPED_CHARS = 30  # of each title: a reader finds it well before the end
# What the writer adds to a changed body ("Update N of this story."): answers involving these
# words may change during the loaded run.
WRITER_WORDS = ("update", "of", "this", "story")
CHECKED_PER_READER = 40  # keystrokes of each loaded reader checked after the run

# (typed, milliseconds, hit ids, total, total is an estimate, when it was typed: time.time())
Seen = tuple[str, float, list[str], int, bool, float]


def _keystrokes(title: str) -> list[str]:
    return [title[:end] for end in range(1, min(len(title), TYPED_CHARS) + 1)]


def _type(library: object, title: str, seen: list[Seen], errors: list[str], pause: float) -> None:
    for typed in _keystrokes(title):
        started, started_at = time.perf_counter(), time.time()
        page = None
        try:
            page = library.search(typed, limit=PAGE, typeahead=True, snippets=SNIPPETS, suggest=False)  # type: ignore[attr-defined]
            if page.error and typed.strip():
                errors.append(f"{typed!r}: {page.error}")
        except Exception as error:  # noqa: BLE001 (a load test counts failures instead of stopping)
            errors.append(f"{typed!r}: {type(error).__name__}: {error}")
        ms = (time.perf_counter() - started) * 1000
        if page is not None and not page.error:
            seen.append((typed, ms, [hit.id for hit in page.hits], page.total, page.total_is_estimate, started_at))
        else:
            seen.append((typed, ms, [], -1, False, started_at))
        if pause:
            time.sleep(pause)


def _reader(url: str, titles: list[str], seconds: float, pause: float, seed: int, out: multiprocessing.Queue) -> None:
    rng = random.Random(seed)
    seen: list[Seen] = []
    errors: list[str] = []
    with open_archive(engine=url) as library:
        library.titles()  # warm, as a TUI that has listed the archive
        cpu = time.process_time()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            _type(library, rng.choice(titles), seen, errors, pause)
        cpu = time.process_time() - cpu
    out.put(("reader", seen, errors, cpu))


def _machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (every process: the server's too)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _server_cpu(data: Path | None) -> float | None:
    """CPU seconds of the PostgreSQL server so far (the postmaster, its live processes and the
    ones that ended), when it runs on this machine with its data folder at `data`."""
    if data is None:
        return None
    try:
        postmaster = int((data / "postmaster.pid").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    ticks = 0

    def fields(pid: str | int) -> list[str]:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()

    try:
        ticks += sum(int(value) for value in fields(postmaster)[11:15])  # its own and its ended children's
    except OSError:
        return None
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != postmaster:
            try:
                own = fields(entry)
            except OSError:
                continue
            if int(own[1]) == postmaster:
                ticks += int(own[11]) + int(own[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _bad_words(typed: str) -> bool:
    """Whether a word typed could match a word the writer adds (as a prefix, or stemmed)."""
    words = [w.lower() for w in typed.replace('"', " ").split()]
    return any(w.isdigit() or any(extra.startswith(w[:4]) for extra in WRITER_WORDS) for w in words)


def _check(url: str, seen: list[Seen]) -> tuple[int, list[str]]:
    """How many of `seen` were checked, and what was wrong (see the module's docstring)."""
    import psycopg

    from reader.core import query_tree
    from reader.core.types import QueryError
    from reader.engines.postgres.search import clean
    from reader.engines.postgres.translate import matches_sql, translate

    wrong: list[str] = []
    checked = 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET statement_timeout = 0")
        for typed, _, ids, total, estimate, _ in seen:
            if total < 0:
                continue  # an error, counted as one already
            confirmed: set[str] = set()
            try:
                t = translate(conn, query_tree.parse(clean(typed), typing=True))
            except QueryError:
                matches: set[str] = set()
            else:
                sql, params = matches_sql(t)
                matches = {row[0] for row in conn.execute(sql, params)}
                confirmed = {row[0] for row in conn.execute(
                    f"SELECT a.id FROM reader.articles a WHERE a.id = ANY(%s) AND ({t.condition})",
                    [ids, *t.condition_params])}
            checked += 1
            problem = ""
            if len(set(ids)) != len(ids):
                problem = "a hit listed twice"
            elif not set(ids) <= matches:
                problem = f"{len(set(ids) - matches)} listed hits do not match"
            elif not set(ids) <= confirmed:
                problem = f"{len(set(ids) - confirmed)} listed hits match the keys but not the text"
            elif len(ids) < min(PAGE, len(matches)):
                problem = f"{len(ids)} hits listed of {len(matches)} matches"
            elif not estimate and total != len(matches):
                problem = f"count {total} for {len(matches)} matches"
            elif estimate and abs(total - len(matches)) > 0.25 * len(matches):
                problem = f"count about {total} for {len(matches)} matches"
            if problem:
                wrong.append(f"{typed!r}: {problem}")
    return checked, wrong


def _writer(url: str, archive: str, changed: int, seconds: float, out: multiprocessing.Queue) -> None:
    rng = random.Random(99)
    names = sorted(n for n in os.listdir(archive) if n.endswith(".txt"))
    durations: list[float] = []
    errors: list[str] = []
    cpu = time.process_time()
    with open_archive(archive, engine=url) as library:
        deadline = time.monotonic() + seconds
        round_ = 0
        while time.monotonic() < deadline:
            round_ += 1
            for name in rng.sample(names, changed):
                path = Path(archive) / name
                text = path.read_text(encoding="utf-8")
                head, _, rest = text.partition("\n\n")
                path.write_text(f"{head}\n\nUpdate {round_} of this story.\n\n{rest}", encoding="utf-8")
            started = time.perf_counter()
            try:
                summary = library.refresh(wait=60)
                if summary.indexed != changed:
                    errors.append(f"refresh {round_} indexed {summary.indexed}")
            except Exception as error:  # noqa: BLE001 (counted, as the readers' failures)
                errors.append(f"refresh {round_}: {type(error).__name__}: {error}")
            durations.append(time.perf_counter() - started)
            time.sleep(2)
    out.put(("writer", durations, errors, time.process_time() - cpu))


def _restart(server: object, url: str, titles: list[str]) -> dict[str, float]:
    """A reader typing while the server restarts: failed keystrokes and seconds to recover."""
    failed = 0
    with open_archive(engine=url) as library:
        library.search(titles[0], typeahead=True)
        server.stop()  # type: ignore[attr-defined]
        stopped = time.monotonic()
        restart_at = stopped + 2.0
        started_again = False
        recovered = None
        while recovered is None and time.monotonic() - stopped < 60:
            if not started_again and time.monotonic() >= restart_at:
                server.start()  # type: ignore[attr-defined]
                started_again = True
                back = time.monotonic()
            try:
                library.search(titles[1][:5], typeahead=True, limit=PAGE, snippets=SNIPPETS)
                if started_again:
                    recovered = time.monotonic() - back
            except Exception:  # noqa: BLE001 (the server is down: a failed keystroke)
                failed += 1
                time.sleep(0.1)
    return {"failed keystrokes while down (one-line errors)": failed,
            "seconds from server back to first answer": recovered if recovered is not None else float("nan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--pause", type=float, default=0.15, help="seconds between keystrokes of a reader")
    parser.add_argument("--url", default=None,
                        help="a database, empty or loaded with this archive before (default: a throwaway server)")
    parser.add_argument("--whoosh", action="store_true", help="also time the Whoosh build of the archive")
    parser.add_argument("--keys", default=None, help="write every keystroke's time here (JSON lines)")
    parser.add_argument("--server-data", default=None,
                        help="with --url to a server on this machine: its data folder, to measure its CPU")
    args = parser.parse_args(argv)

    archive = Path(tempfile.gettempdir()) / "pg-load-archives" / str(args.count)
    archive.mkdir(parents=True, exist_ok=True)
    # One run at a time per archive: the writer changes its files, and a second run's first refresh
    # counted the first's changes too (one run indexed 598 files where it had changed 100).
    holder = open(archive / ".pg-load.lock", "w")  # noqa: SIM115 - held until the process ends
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"another pg_load run is using {archive}: wait for it to end")
        return 2
    started = time.perf_counter()
    generate(archive, args.count)
    print(f"archive: {args.count:,} articles in {archive} ({time.perf_counter() - started:.0f} s)", flush=True)

    server = None
    url = args.url
    data = Path(args.server_data) if args.server_data else None
    if url is None:
        from pg_server import Server, find_binaries

        binaries = find_binaries()
        if binaries is None:
            print("no PostgreSQL binaries (initdb, pg_ctl): install postgresql or give --url")
            return 2
        server = Server(binaries)
        # A server's usual tuning for a database of this size (the default 128 MB is a laptop's).
        server.start("-c shared_buffers=1GB -c effective_cache_size=4GB -c work_mem=16MB")
        url = server.new_database()
        data = server.data
    rows: list[tuple[str, str]] = []
    try:
        with open_archive(archive, engine=url) as library:
            started = time.perf_counter()
            summary = library.refresh()
            load = time.perf_counter() - started
            what = "full load" if summary.rebuilt else "refresh (the database was loaded before)"
            rows.append((f"{what} of {summary.total:,} articles into PostgreSQL", f"{load:.1f} s"))
            print(rows[-1], flush=True)
            table = library.titles()
            rng = random.Random(15)
            titles = [table.title_of(i) or "" for i in rng.sample(library.article_ids(), 200)]
            single: list[Seen] = []
            errors: list[str] = []
            server_before, client_before = _server_cpu(data), time.process_time()
            for title in titles[:30]:
                _type(library, title, single, errors, 0)
            client_single = time.process_time() - client_before
            server_after = _server_cpu(data)
            latencies = [ms for _, ms, *_ in single]
            checked, wrong = _check(url, single)
            rows.append(("single reader, type-ahead per keystroke: p50 / p95 / max",
                         (f"{percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.95):.1f} / {max(latencies):.1f} ms "
                         f"({len(latencies)} keystrokes, {len(errors)} errors, {len(wrong)} wrong of {checked} checked)")))
            print(rows[-1], flush=True)
            server_text = (f"{(server_after - server_before) * 1000 / len(single):.2f} ms"
                           if server_before is not None and server_after is not None else "n/a")
            rows.append((("single reader, CPU per keystroke: the PostgreSQL server / the reader (Python: query, "
                          "driver, snippets)"), f"{server_text} / {client_single * 1000 / len(single):.2f} ms"))
            print(rows[-1], flush=True)
            for problem in wrong[:5]:
                print("wrong:", problem)
        if args.whoosh:
            index = Path(tempfile.mkdtemp(prefix="pg-load-whoosh-"))
            try:
                with open_archive(archive, index) as whoosh:
                    started = time.perf_counter()
                    whoosh.refresh()
                    rows.append(("full build of the same archive with Whoosh", f"{time.perf_counter() - started:.0f} s"))
                    print(rows[-1], flush=True)
            finally:
                shutil.rmtree(index, ignore_errors=True)

        context = multiprocessing.get_context("spawn")
        queue: multiprocessing.Queue = context.Queue()
        readers = [context.Process(target=_reader, args=(url, titles, args.seconds, args.pause, n, queue))
                   for n in range(args.readers)]
        writer = context.Process(target=_writer, args=(url, str(archive), args.changed, args.seconds, queue))
        machine, server_cpu = _machine_cpu(), _server_cpu(data)
        wall, wall_start = time.monotonic(), time.time()
        for process in [*readers, writer]:
            process.start()
        results = [queue.get() for _ in range(args.readers + 1)]
        for process in [*readers, writer]:
            process.join()
        machine, wall = _machine_cpu() - machine, time.monotonic() - wall
        server_after = _server_cpu(data)
        server_cpu = server_after - server_cpu if server_cpu is not None and server_after is not None else None
        writer_cpu = 0.0
        loaded: list[Seen] = []
        sampled: list[Seen] = []
        reader_errors: list[str] = []
        reader_cpu = 0.0
        refreshes: list[float] = []
        writer_errors: list[str] = []
        for kind, values, problems, *cpu in results:
            if kind == "writer":
                refreshes, writer_errors, writer_cpu = values, problems, cpu[0]
            else:
                loaded += values
                reader_errors += problems
                reader_cpu += cpu[0]
                mine = [s for s in values if not _bad_words(s[0])]
                sampled += random.Random(len(values)).sample(mine, min(CHECKED_PER_READER, len(mine)))
        all_latencies = [ms for _, ms, *_ in loaded]
        checked, wrong = _check(url, sampled)
        rows.append(((f"{args.readers} readers typing for {args.seconds:.0f} s ({args.pause * 1000:.0f} ms between keys) "
                     f"while one writer refreshes {args.changed} changed files: p50 / p95 / max per keystroke"),
                     (f"{percentile(all_latencies, 0.5):.1f} / {percentile(all_latencies, 0.95):.1f} / "
                     f"{max(all_latencies):.1f} ms ({len(all_latencies):,} keystrokes, {len(reader_errors)} errors, "
                     f"{len(wrong)} wrong of {checked} checked)")))
        keys = max(1, len(loaded))
        server_text = f"{server_cpu:.0f} s" if server_cpu is not None else "n/a (not on this machine)"
        rows.append((("CPU during the loaded part: the whole machine (server, readers, writer, anything else) / "
                     "the PostgreSQL server (readers' and writer's statements) / the reader processes / the writer"),
                     (f"{machine:.0f} s / {server_text} / {reader_cpu:.0f} s / {writer_cpu:.0f} s of {wall:.0f} s wall "
                      f"on {os.cpu_count()} cores ({machine * 1000 / keys:.1f} ms of machine CPU per keystroke, "
                      f"{reader_cpu * 1000 / keys:.1f} ms in the reader)")))
        for problem in wrong[:5]:
            print("wrong:", problem)
        if args.keys:
            with open(args.keys, "w", encoding="utf-8") as out:
                for phase, batch in (("single", single), ("loaded", loaded)):
                    out.writelines(json.dumps({"phase": phase, "typed": typed, "ms": round(ms, 2), "hits": len(ids),
                                              "total": total, "estimate": estimate, "at": round(at - wall_start, 3)}) + "\n"
                                  for typed, ms, ids, total, estimate, at in batch)
        rows.append(("writer: refreshes of the changed files (median, max)",
                     (f"{len(refreshes)} refreshes, {percentile(refreshes, 0.5):.1f} s, {max(refreshes, default=0):.1f} s, "
                     f"{len(writer_errors)} errors")))
        for problem in (reader_errors + writer_errors)[:5]:
            print("error:", problem)
        if server is not None:
            for name, value in _restart(server, url, titles).items():
                rows.append((f"server restarted under a typing reader: {name}", f"{value:g}"))
    finally:
        if server is not None:
            server.close()

    print()
    print("| measured | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    print("command: python benchmarks/pg_load.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
