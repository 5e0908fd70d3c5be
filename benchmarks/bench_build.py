"""The index sections of the benchmark: the full build (reader's `index --rebuild`, the
bare-Whoosh floor of benchmarks/floor.py and SQLite FTS5), cached while the archive and reader's
build code are unchanged (`source_digest`), and refreshing the index with nothing changed, 10 files
changed, or every file touched (a new time, the same bytes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
from pathlib import Path

from benchmarks.measure import folder_bytes, mb, run_process
from benchmarks.references import Fts5Ref, ReferenceUnavailable
from benchmarks.settings import (
    BENCH_VERSION,
    REPO,
    ArchiveSpec,
    Result,
    Settings,
    clean_env,
    ms_summary,
    reader_cmd,
    say,
)


def source_digest() -> str:
    """A digest of the code that decides what a build writes and how fast: reader's parsing,
    linking, archive scanning and storing modules, the build half of reader.engines.whoosh.index (schema,
    documents, writers) and this benchmark's floor. Query-side changes keep cached builds."""
    import inspect

    from reader.engines.whoosh import freshness, parallel, patches, schema, writing

    digest = hashlib.sha256(f"bench{BENCH_VERSION}".encode())
    for name in ("core/article.py", "core/links.py", "core/archive.py", "core/manifest.py", "engines/whoosh/store.py"):
        digest.update((REPO / "reader" / name).read_bytes())
    for module in (schema, writing, parallel, patches):
        digest.update(inspect.getsource(module).encode())
    digest.update(repr((freshness.SCHEMA_VERSION, writing.PARALLEL_BUILD_MIN)).encode())
    digest.update((REPO / "benchmarks" / "floor.py").read_bytes())
    try:
        from importlib.metadata import version

        digest.update(version("Whoosh-Reloaded").encode())
    # No installed version to read (a source checkout): the digest goes without it.
    except Exception:  # noqa: BLE001, S110
        pass
    return digest.hexdigest()[:16]


def archive_fingerprint(path: Path) -> str:
    """Names, sizes and times of the article files: changes when the archive does."""
    digest = hashlib.sha256()
    count = 0
    with os.scandir(path) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith(".txt") and not entry.name.startswith("."):
                stat = entry.stat()
                digest.update(f"{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
                count += 1
    return f"{count}-{digest.hexdigest()[:16]}"


def bench_build(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    """reader's rebuild, the bare-Whoosh floor and FTS5: measured once per archive and source
    version, then read back from the cache."""
    index_dir = place / "index"
    cache_file = place / "build.json"
    key = {"archive": archive_fingerprint(spec.path), "source": source_digest()}
    cached: dict[str, object] | None = None
    if not settings.fresh_build and cache_file.is_file() and (index_dir / "CURRENT").is_file():
        try:
            saved = json.loads(cache_file.read_text())
            if saved.get("key") == key:
                cached = saved
            elif settings.keep_build and saved.get("key", {}).get("archive") == key["archive"]:
                cached = saved
                result.note("build", f"build figures measured {saved['measured']} with reader's build code as it was "
                                     "then (--keep-build)")
        except ValueError:
            pass
    if cached is not None:
        say(f"{spec.name}: build figures from the cache ({cached['measured']})")
        rows = cached["rows"]  # type: ignore[assignment]
        for name, row in rows.items():  # type: ignore[union-attr]
            row["cached_from"] = cached["measured"]
            result.rows[name] = row
        return

    say(f"{spec.name}: building reader's index (reader index --rebuild)")
    shutil.rmtree(index_dir, ignore_errors=True)
    run = run_process(reader_cmd(settings, spec.path, index_dir, "index", "--rebuild", "--json"), env=clean_env())
    if run.returncode != 0:
        raise RuntimeError(f"reader index --rebuild failed: {run.stderr.strip()[-2000:]}")
    info = json.loads(run.stdout)
    docs = int(info["total"])
    result.row("build.reader", "full build: reader index --rebuild", n=1, seconds=run.seconds, cpu_seconds=run.cpu_seconds,
               docs=docs, docs_per_s=docs / run.seconds, peak_rss_mb=mb(run.peak_rss_total),
               peak_rss_single_mb=mb(run.peak_rss_single), index_mb=mb(folder_bytes(index_dir)))

    say(f"{spec.name}: building the bare-Whoosh floor")
    procs = 2 if docs >= _parallel_min() and (os.cpu_count() or 1) > 1 else 1
    floor_dir = place / "floor-index"
    floor = run_process([settings.python, "-m", "benchmarks.floor", str(spec.path), str(floor_dir),
                         "--procs", str(procs)], env=clean_env(), cwd=str(REPO))
    if floor.returncode != 0:
        raise RuntimeError(f"floor build failed: {floor.stderr.strip()[-2000:]}")
    fl = json.loads(floor.stdout)
    result.row("build.floor", "full build: bare Whoosh floor (same schema and documents, from memory)", n=1,
               seconds=fl["seconds"], cpu_seconds=fl.get("cpu_seconds"), docs=fl["docs"], docs_per_s=fl["docs_per_s"],
               peak_rss_mb=mb(fl["peak_rss_total"]), peak_rss_writers_mb=mb(fl["peak_rss_writers"]),
               documents_in_memory_mb=mb(fl["rss_with_documents"]), index_mb=mb(fl["index_bytes"]),
               settings=fl["settings"])

    say(f"{spec.name}: building the SQLite FTS5 reference")
    try:
        ref = Fts5Ref(spec.path, place / "fts5.db")
        seconds = ref.build()
        ref.close()
        result.row("build.fts5", "full build: SQLite FTS5 (reference)", n=1, seconds=seconds,
                   docs=docs, docs_per_s=docs / seconds, index_mb=mb((place / "fts5.db").stat().st_size))
    except ReferenceUnavailable as error:
        result.missing("build.fts5", "full build: SQLite FTS5 (reference)", str(error))
    measured = dt.datetime.now().isoformat(timespec="seconds")
    rows = {name: result.rows[name] for name in ("build.reader", "build.floor", "build.fts5")}
    cache_file.write_text(json.dumps({"key": key, "measured": measured, "rows": rows}, indent=1))


def _parallel_min() -> int:
    from reader.engines.whoosh.writing import PARALLEL_BUILD_MIN

    return PARALLEL_BUILD_MIN


# --- refresh --------------------------------------------------------------------------------------


def bench_refresh(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    """`reader index` with nothing changed, then with 10 files edited (and again restored)."""
    index_dir = place / "index"
    env = clean_env()
    cmd = reader_cmd(settings, spec.path, index_dir, "index", "--json")
    first = run_process(cmd, env=env, sample_rss=False)  # settles anything left from an earlier run
    if first.returncode != 0:
        raise RuntimeError(f"reader index failed: {first.stderr.strip()[-2000:]}")
    unchanged: list[float] = []
    unchanged_cpu: list[float] = []
    for _ in range(max(3, settings.refresh_rounds * 2)):
        run = run_process(cmd, env=env, sample_rss=False)
        if json.loads(run.stdout)["indexed"] != 0:
            result.note("refresh", "refresh with nothing changed indexed files")
        unchanged.append(run.seconds)
        unchanged_cpu.append(run.cpu_seconds)
    result.row("refresh.unchanged", "refresh, nothing changed: reader index", **ms_summary(unchanged, unchanged_cpu))

    names = sorted(n for n in os.listdir(spec.path) if n.endswith(".txt") and not n.startswith("."))
    rng = random.Random(f"refresh:{spec.name}")
    changed: list[float] = []
    changed_cpu: list[float] = []
    indexed: list[int] = []
    for round_number in range(settings.refresh_rounds):
        picked = [spec.path / name for name in rng.sample(names, min(10, len(names)))]
        originals = [(path, path.read_bytes(), path.stat()) for path in picked]
        try:
            for path, data, _ in originals:
                title, _, rest = data.partition(b"\n")
                path.write_bytes(title + b"\n\nA benchmark edit, round %d.\n" % round_number + rest)
            run = run_process(cmd, env=env, sample_rss=False)
            changed.append(run.seconds)
            changed_cpu.append(run.cpu_seconds)
            indexed.append(json.loads(run.stdout)["indexed"])
        finally:
            for path, data, stat in originals:
                path.write_bytes(data)
                os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        run = run_process(cmd, env=env, sample_rss=False)  # the originals back: 10 changed again
        changed.append(run.seconds)
        changed_cpu.append(run.cpu_seconds)
        indexed.append(json.loads(run.stdout)["indexed"])
    result.row("refresh.changed10", "refresh, 10 files changed: reader index", files_indexed=indexed,
               **ms_summary(changed, changed_cpu))

    # The archive copied again: every file a new time, the same bytes (then its times put back,
    # the same again). Each is compared with the digest recorded, none indexed again.
    stats = {name: (spec.path / name).stat() for name in names}
    touched: list[float] = []
    touched_cpu: list[float] = []
    counts: list[int] = []
    try:
        for shift in (10**9, 0):
            for name, stat in stats.items():
                os.utime(spec.path / name, ns=(stat.st_atime_ns, stat.st_mtime_ns + shift))
            run = run_process(cmd, env=env, sample_rss=False)
            report = json.loads(run.stdout)
            touched.append(run.seconds)
            touched_cpu.append(run.cpu_seconds)
            counts.append(int(report.get("touched", 0)))
            if report["indexed"] != 0:
                result.note("refresh", "refresh of touched files indexed files again")
    finally:
        for name, stat in stats.items():
            os.utime(spec.path / name, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result.row("refresh.touched_all", "refresh, every file touched (same bytes): reader index",
               files_touched=counts, **ms_summary(touched, touched_cpu))
