"""Benchmark rows of issue 13 (indexing as it is lived): how soon a fresh archive answers a search,
and how soon a file written into a watched archive is found.

- `live.first_results`: `reader index` on an archive with no index yet, from its launch to the
  first search (in this process, polling the index folder) that finds an article of the first
  batch; the build is then stopped with Ctrl+C (its end is `build.reader`'s row).
- `live.file_searchable`: `reader index --watch` running on the built index; from a new file
  written into the archive to the first search that finds it (polling, in this process). The
  file is removed again and the index refreshed: the cached archive stays as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.archive import scan_folder
from reader.core.article import SkippedFile, read_article

if TYPE_CHECKING:
    from benchmarks.settings import ArchiveSpec, Result, Settings

POLL_SECONDS = 0.02
FIRST_RESULTS_TIMEOUT = 1800.0
SEARCHABLE_TIMEOUT = 60.0
# A word no generated or real article holds: the written file is the only match.
MARKER = "zqxbenchmarker"


def _first_word(archive: Path) -> str:
    """A word of the title of the first file the folder lists: it is in a first build's first batch."""
    for name in scan_folder(archive).names:
        try:
            title = read_article(archive / name).title
        except SkippedFile:
            continue
        words = [w for w in re.findall(r"[A-Za-z]+", title) if len(w) >= 4]
        if words:
            return words[0].lower()
    raise RuntimeError(f"no article with a usable title in {archive}")


def _poll(found: Callable[[], bool], timeout: float, start: float | None = None) -> float | None:
    """Seconds from `start` (default: now, by `time.perf_counter`) until `found()` holds, polling;
    None after `timeout`."""
    start = time.perf_counter() if start is None else start
    while time.perf_counter() - start < timeout:
        try:
            if found():
                return time.perf_counter() - start
        except Exception:  # noqa: BLE001, S110 (no index yet, or one being swapped in: look again)
            pass
        time.sleep(POLL_SECONDS)
    return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl+C: the sub-writers too
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def bench_first_results(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    from benchmarks.settings import clean_env, ms_summary, reader_cmd
    from reader.engines.whoosh.index import ArchiveIndex

    word = _first_word(spec.path)
    times: list[float] = []
    for _ in range(1 if settings.quick else 3):
        index_dir = Path(tempfile.mkdtemp(prefix="first-results-", dir=place))
        try:
            cmd = reader_cmd(settings, spec.path, index_dir, "index")
            launched = time.perf_counter()
            process = subprocess.Popen(cmd, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                index = ArchiveIndex(spec.path, index_dir)
                seconds = _poll(lambda index=index: bool(index.search(word, limit=1, snippets=0, suggest=False).hits),
                                FIRST_RESULTS_TIMEOUT, launched)
                index.close()
            finally:
                _stop(process)
        finally:
            shutil.rmtree(index_dir, ignore_errors=True)
        if seconds is None:
            result.missing("live.first_results", "live: fresh archive, reader index launch to first results",
                           f"no result for {word!r} within {FIRST_RESULTS_TIMEOUT:.0f} s")
            return
        times.append(seconds)
    result.row("live.first_results", "live: fresh archive, reader index launch to first results",
               word=word, **ms_summary(times))


def bench_file_searchable(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    from benchmarks.measure import run_process
    from benchmarks.settings import clean_env, ms_summary, reader_cmd
    from reader.engines.whoosh.index import ArchiveIndex

    index_dir = place / "index"
    label = "live: file written to found by search (reader index --watch)"
    cmd = reader_cmd(settings, spec.path, index_dir, "index", "--watch")
    process = subprocess.Popen(cmd, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    written: list[Path] = []
    added: list[float] = []
    try:
        assert process.stderr is not None
        for line in iter(process.stderr.readline, b""):  # the first refresh, then the watch begins
            if b"watching" in line:
                break
        else:
            result.missing("live.file_searchable", label, "reader index --watch did not start watching")
            return
        index = ArchiveIndex(spec.path, index_dir)
        time.sleep(3)  # a new watch's first look (changes made before it had no event)
        for round_number in range(3 if settings.quick else 10):
            word = f"{MARKER}{round_number}"
            path = spec.path / f"zz_bench_live_{round_number}.txt"
            written.append(path)

            def hits(word: str = word) -> int:
                return len(index.search(word, limit=1, snippets=0, suggest=False).hits)

            path.write_text(f"Benchmark file {round_number}\n\nThe word {word} is only here.\n", encoding="utf-8")
            seconds = _poll(lambda: hits() == 1, SEARCHABLE_TIMEOUT)
            if seconds is None:
                result.missing("live.file_searchable", label, f"not found within {SEARCHABLE_TIMEOUT:.0f} s")
                return
            added.append(seconds)
            # Not timed: a searcher kept open in this process does not see another process's
            # deletions (reported), so "found no more" would wait for ever.
            path.unlink()
            time.sleep(1)
        index.close()
    finally:
        _stop(process)
        for path in written:
            path.unlink(missing_ok=True)
        run_process(reader_cmd(settings, spec.path, index_dir, "index"), env=clean_env(), sample_rss=False)
    result.row("live.file_searchable", label, **ms_summary(added))


def bench_live(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    bench_first_results(spec, settings, result, place)
    bench_file_searchable(spec, settings, result, place)
